package telegram

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	tgbot "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"github.com/anttbot/anttbot/bot"
)

// Offset is the last update polling handed to the dispatcher, and when.
type Offset struct {
	UpdateID int64
	At       time.Time
}

// OffsetStore keeps the polling offset across restarts (the store's key-value
// table in production). Get returns the zero Offset when nothing is stored.
type OffsetStore interface {
	Get(ctx context.Context) (Offset, error)
	Set(ctx context.Context, o Offset) error
}

// MemoryOffsetStore is an OffsetStore for tests and a single process.
type MemoryOffsetStore struct {
	mu sync.Mutex
	o  Offset
}

// NewMemoryOffsetStore returns an empty MemoryOffsetStore.
func NewMemoryOffsetStore() *MemoryOffsetStore { return &MemoryOffsetStore{} }

// Get implements OffsetStore.
func (m *MemoryOffsetStore) Get(context.Context) (Offset, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.o, nil
}

// Set implements OffsetStore.
func (m *MemoryOffsetStore) Set(_ context.Context, o Offset) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.o = o
	return nil
}

// staleOffset is how old a stored offset may be and still be used. After a
// week without updates Telegram numbers new ones from a random start, so an
// older offset could be above every new id and hide them all.
const staleOffset = 6 * 24 * time.Hour

// poll long-polls getUpdates until ctx ends. An update is submitted (so the
// dispatcher's journal holds it) before the offset moves past it, and
// Telegram only forgets an update when a later getUpdates carries a higher
// offset: a stop at any point loses nothing, at worst an update comes twice
// and the journal drops the copy.
func (a *Adapter) poll(ctx context.Context) error {
	if err := a.deleteWebhook(ctx); err != nil || ctx.Err() != nil {
		return err
	}
	next := a.startOffset(ctx)
	bo := newBackoff()
	for ctx.Err() == nil {
		raws, err := a.getUpdates(ctx, next)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			if isAuthError(err) {
				return err
			}
			wait := bo.next()
			var rl *bot.RateLimitedError
			if errors.As(err, &rl) {
				wait = rl.RetryAfter
			}
			if errors.Is(err, tgbot.ErrorConflict) {
				a.log.Error("getUpdates conflict: another process polls with this token, or a webhook is set", "err", err, "retry_in", wait)
			} else {
				a.log.Warn("getUpdates failed", "err", err, "retry_in", wait)
			}
			_ = sleep(ctx, wait)
			continue
		}
		bo.reset()
		for _, raw := range raws {
			if !a.submitRaw(ctx, raw) {
				return nil
			}
			next = raw.id + 1
			if err := a.offsets.Set(ctx, Offset{UpdateID: raw.id, At: a.now()}); err != nil && ctx.Err() == nil {
				// Not fatal: the journal drops what a restart would redeliver.
				a.log.Warn("save polling offset", "update_id", raw.id, "err", err)
			}
		}
	}
	return nil
}

// deleteWebhook removes a webhook left from webhook mode: while one is set,
// getUpdates fails. Pending updates are kept.
func (a *Adapter) deleteWebhook(ctx context.Context) error {
	bo := newBackoff()
	for {
		err := a.call(ctx, "deleteWebhook", a.cfg.RequestTimeout, func(ctx context.Context) error {
			_, err := a.api.DeleteWebhook(ctx, &tgbot.DeleteWebhookParams{})
			return err
		})
		if err == nil || ctx.Err() != nil {
			return nil
		}
		if isAuthError(err) {
			return err
		}
		wait := bo.next()
		a.log.Warn("deleteWebhook failed, retrying", "err", err, "retry_in", wait)
		if sleep(ctx, wait) != nil {
			return nil
		}
	}
}

// startOffset returns the offset for the first getUpdates: one past the
// stored update, or 0 (everything Telegram still holds) when none is stored
// or it is too old to trust.
func (a *Adapter) startOffset(ctx context.Context) int64 {
	o, err := a.offsets.Get(ctx)
	switch {
	case err != nil:
		a.log.Warn("read polling offset, starting from Telegram's queue", "err", err)
		return 0
	case o.UpdateID == 0:
		return 0
	case a.now().Sub(o.At) > staleOffset:
		a.log.Warn("stored polling offset is too old to trust, starting from Telegram's queue",
			"update_id", o.UpdateID, "stored_at", o.At)
		return 0
	default:
		a.log.Info("resuming polling", "offset", o.UpdateID+1)
		return o.UpdateID + 1
	}
}

// rawUpdate is one update as received, with its id read on its own so that an
// update the library's models cannot decode can still be skipped.
type rawUpdate struct {
	id   int64
	body json.RawMessage
}

// submitRaw decodes, translates and submits one update, retrying Submit until
// it works. It returns false when ctx ended first.
func (a *Adapter) submitRaw(ctx context.Context, raw rawUpdate) bool {
	var upd models.Update
	if err := json.Unmarshal(raw.body, &upd); err != nil {
		// Retrying cannot help, and holding the offset would stop all updates.
		a.log.Warn("skipping an update the client cannot decode", "update_id", raw.id, "err", err)
		return true
	}
	u, drop := a.translate(&upd)
	if drop != "" {
		a.log.Debug("update dropped", "update_id", raw.id, "reason", drop)
		return true
	}
	bo := newBackoff()
	for {
		_, err := a.sub.Submit(ctx, u)
		if err == nil {
			return true
		}
		if ctx.Err() != nil {
			return false
		}
		wait := bo.next()
		a.log.Warn("submit update failed, retrying", "update_id", raw.id, "err", err, "retry_in", wait)
		if sleep(ctx, wait) != nil {
			return false
		}
	}
}

// getUpdatesRequest is the getUpdates call; the library does not export one.
type getUpdatesRequest struct {
	Offset         int64    `json:"offset,omitempty"`
	Limit          int      `json:"limit"`
	Timeout        int      `json:"timeout"`
	AllowedUpdates []string `json:"allowed_updates"`
}

// apiResponse is the Bot API's envelope.
type apiResponse struct {
	OK          bool            `json:"ok"`
	Result      json.RawMessage `json:"result"`
	ErrorCode   int             `json:"error_code"`
	Description string          `json:"description"`
	Parameters  struct {
		RetryAfter int `json:"retry_after"`
	} `json:"parameters"`
}

// getUpdates long-polls once. Errors are mapped like the library's, so the
// caller can use errors.Is(err, tgbot.ErrorConflict) and friends.
func (a *Adapter) getUpdates(ctx context.Context, offset int64) ([]rawUpdate, error) {
	body, err := json.Marshal(getUpdatesRequest{
		Offset:         offset,
		Limit:          100,
		Timeout:        int(a.cfg.PollTimeout / time.Second),
		AllowedUpdates: allowedUpdates,
	})
	if err != nil {
		return nil, fmt.Errorf("telegram: getUpdates: encode: %w", err)
	}
	// The server holds the request up to PollTimeout; allow for the network on top.
	cctx, cancel := context.WithTimeout(ctx, a.cfg.PollTimeout+a.cfg.RequestTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(cctx, http.MethodPost, a.cfg.APIURL+"/bot"+a.cfg.Token+"/getUpdates", bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("telegram: getUpdates: %w", a.redact(err))
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := a.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("telegram: getUpdates: %w: %w", bot.ErrTemporary, a.redact(err))
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return nil, fmt.Errorf("telegram: getUpdates: read: %w: %w", bot.ErrTemporary, a.redact(err))
	}
	var r apiResponse
	if err := json.Unmarshal(data, &r); err != nil {
		if resp.StatusCode >= 500 {
			return nil, fmt.Errorf("telegram: getUpdates: status %d: %w", resp.StatusCode, bot.ErrTemporary)
		}
		return nil, fmt.Errorf("telegram: getUpdates: status %d: decode: %w", resp.StatusCode, err)
	}
	if !r.OK {
		return nil, apiError("getUpdates", r)
	}
	var items []json.RawMessage
	if err := json.Unmarshal(r.Result, &items); err != nil {
		return nil, fmt.Errorf("telegram: getUpdates: decode result: %w", err)
	}
	out := make([]rawUpdate, 0, len(items))
	for _, it := range items {
		var head struct {
			ID int64 `json:"update_id"`
		}
		if err := json.Unmarshal(it, &head); err != nil || head.ID == 0 {
			return nil, fmt.Errorf("telegram: getUpdates: update without update_id: %s", truncate(string(it), 200))
		}
		out = append(out, rawUpdate{id: head.ID, body: it})
	}
	return out, nil
}

// apiError maps an error answer like the library does.
func apiError(method string, r apiResponse) error {
	switch r.ErrorCode {
	case http.StatusTooManyRequests:
		return fmt.Errorf("telegram: %s: %w: %s", method,
			&bot.RateLimitedError{RetryAfter: time.Duration(max(r.Parameters.RetryAfter, 1)) * time.Second}, r.Description)
	case http.StatusUnauthorized:
		return fmt.Errorf("telegram: %s: %w, %s", method, tgbot.ErrorUnauthorized, r.Description)
	case http.StatusNotFound:
		return fmt.Errorf("telegram: %s: %w, %s", method, tgbot.ErrorNotFound, r.Description)
	case http.StatusConflict:
		return fmt.Errorf("telegram: %s: %w, %s", method, tgbot.ErrorConflict, r.Description)
	case http.StatusBadRequest:
		return fmt.Errorf("telegram: %s: %w, %s", method, tgbot.ErrorBadRequest, r.Description)
	}
	if r.ErrorCode >= 500 {
		return fmt.Errorf("telegram: %s: %w: %d %s", method, bot.ErrTemporary, r.ErrorCode, r.Description)
	}
	return fmt.Errorf("telegram: %s: %d %s", method, r.ErrorCode, r.Description)
}

// redact removes the token from an HTTP error (its URL contains it).
func (a *Adapter) redact(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		ue.URL = strings.ReplaceAll(ue.URL, a.cfg.Token, "***")
	}
	return err
}
