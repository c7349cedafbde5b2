package telegram

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"

	"github.com/go-telegram/bot/models"

	"github.com/anttbot/anttbot/bot"
)

// secretHeader carries the secret given to setWebhook.
const secretHeader = "X-Telegram-Bot-Api-Secret-Token"

// maxWebhookBody bounds one update; real ones are a few kilobytes.
const maxWebhookBody = 1 << 20

// WebhookHandler returns the handler for Telegram's webhook POSTs. Its answer
// tells Telegram whether to deliver again: 200 once the update is handled or
// journaled (or is a duplicate, or is deliberately dropped), 503 when the
// dispatcher could not take it or another delivery of it is being handled, 4xx for requests that are not valid updates from
// Telegram (wrong secret: 401, nothing is read or submitted).
func (a *Adapter) WebhookHandler() http.Handler { return http.HandlerFunc(a.serveWebhook) }

func (a *Adapter) serveWebhook(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	if !a.secretOK(r.Header.Get(secretHeader)) {
		a.log.Warn("webhook request with a wrong secret", "remote", r.RemoteAddr)
		http.Error(w, "unauthorized", http.StatusUnauthorized)
		return
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		http.Error(w, "want application/json", http.StatusUnsupportedMediaType)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxWebhookBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			http.Error(w, "update too large", http.StatusRequestEntityTooLarge)
			return
		}
		http.Error(w, "read body", http.StatusBadRequest)
		return
	}
	// One decode on the hot path; only a body the client's models reject is
	// looked at again, to tell a foreign body from an update we cannot read.
	var upd models.Update
	if err := json.Unmarshal(body, &upd); err != nil {
		var head struct {
			ID int64 `json:"update_id"`
		}
		if herr := json.Unmarshal(body, &head); herr != nil || head.ID == 0 {
			http.Error(w, "not a Telegram update", http.StatusBadRequest)
			return
		}
		// Well-formed JSON the client's models reject (a newer API field, say):
		// Telegram would redeliver it forever, so take it and say so in the log.
		a.log.Warn("skipping an update the client cannot decode", "update_id", head.ID, "err", err)
		w.WriteHeader(http.StatusOK)
		return
	}
	if upd.ID == 0 {
		http.Error(w, "not a Telegram update", http.StatusBadRequest)
		return
	}
	u, drop := a.translate(&upd)
	if drop != "" {
		a.log.Debug("update dropped", "update_id", upd.ID, "reason", drop)
		w.WriteHeader(http.StatusOK)
		return
	}
	// Telegram delivers an update again until it gets a 2xx: the dispatcher
	// may answer after the step instead of journaling the update first.
	if _, err := a.sub.Submit(bot.WithRedelivery(r.Context()), u); err != nil {
		if errors.Is(err, bot.ErrInFlight) {
			// Another delivery of it is being handled: expected, not a failure.
			a.log.Debug("update in flight elsewhere, asking for a later delivery", "update_id", u.ID)
		} else {
			a.log.Error("submit webhook update", "update_id", u.ID, "err", err)
		}
		http.Error(w, "try again", http.StatusServiceUnavailable)
		return
	}
	w.WriteHeader(http.StatusOK)
}

// secretOK compares in constant time; hashing first hides the length too.
func (a *Adapter) secretOK(got string) bool {
	if a.cfg.WebhookSecret == "" {
		// Without a secret anyone could post updates: refuse them all.
		return false
	}
	g, w := sha256.Sum256([]byte(got)), sha256.Sum256([]byte(a.cfg.WebhookSecret))
	return subtle.ConstantTimeCompare(g[:], w[:]) == 1
}
