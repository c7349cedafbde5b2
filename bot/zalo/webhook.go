package zalo

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"golang.org/x/text/unicode/norm"

	"github.com/anttbot/anttbot/bot"
)

// maxWebhookBody bounds a webhook body; real events are a few kilobytes.
const maxWebhookBody = 1 << 20

// event is every webhook envelope in one struct: they differ per event
// (message events have sender/recipient, follow has follower, chat-now has
// user_id). Ids and timestamps are decoded as strings, never as floats.
type event struct {
	AppID     flexString `json:"app_id"`
	EventName string     `json:"event_name"`
	Timestamp flexString `json:"timestamp"`
	Sender    *party     `json:"sender"`
	Recipient *party     `json:"recipient"`
	Follower  *party     `json:"follower"`
	UserID    flexString `json:"user_id"`
	Message   *message   `json:"message"`
	Info      *userInfo  `json:"info"`
}

type party struct {
	ID flexString `json:"id"`
}

type message struct {
	MsgID       flexString   `json:"msg_id"`
	Text        string       `json:"text"`
	Attachments []attachment `json:"attachments"`
}

type attachment struct {
	Type    string            `json:"type"`
	Payload attachmentPayload `json:"payload"`
}

type attachmentPayload struct {
	URL         string       `json:"url"`
	Thumbnail   string       `json:"thumbnail"`
	Name        string       `json:"name"`
	Size        flexString   `json:"size"`
	ID          flexString   `json:"id"`
	Description string       `json:"description"`
	Coordinates *coordinates `json:"coordinates"`
	// Some sources show the point without the coordinates wrapper.
	Lat       flexString `json:"lat"`
	Long      flexString `json:"long"`
	Latitude  flexString `json:"latitude"`
	Longitude flexString `json:"longitude"`
}

type coordinates struct {
	Latitude  flexString `json:"latitude"`
	Longitude flexString `json:"longitude"`
	Lat       flexString `json:"lat"`
	Long      flexString `json:"long"`
}

type userInfo struct {
	Name     string     `json:"name"`
	Phone    flexString `json:"phone"`
	Address  string     `json:"address"`
	City     string     `json:"city"`
	District string     `json:"district"`
	Ward     string     `json:"ward"`
}

// WebhookHandler receives the OA webhook. It answers 200 to Zalo's unsigned
// "POST {}" registration probe; 401 to a missing or wrong X-ZEvent-Signature
// or another app's event; otherwise it translates the event and answers 200
// only after the Submitter recorded it (503 when it could not, so the event
// is not acknowledged as handled). Echoes of the OA's own sends and events
// the bot has no use for are acknowledged and dropped.
func (a *Adapter) WebhookHandler() http.Handler { return http.HandlerFunc(a.serveWebhook) }

func (a *Adapter) serveWebhook(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxWebhookBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			a.log.Warn("webhook body too large")
			http.Error(w, "body too large", http.StatusRequestEntityTooLarge)
			return
		}
		http.Error(w, "cannot read body", http.StatusBadRequest)
		return
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil {
		a.log.Warn("webhook body is not a JSON object", "err", err)
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	if len(fields) == 0 {
		// Zalo checks a new webhook URL with an unsigned POST {} and saves it only on 200.
		a.log.Info("webhook registration probe answered")
		w.WriteHeader(http.StatusOK)
		return
	}
	var head struct {
		AppID     flexString `json:"app_id"`
		EventName string     `json:"event_name"`
		Timestamp flexString `json:"timestamp"`
	}
	if err := json.Unmarshal(raw, &head); err != nil {
		a.log.Warn("webhook envelope malformed", "err", err)
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	if !a.verifySignature(raw, string(head.AppID), string(head.Timestamp),
		r.Header.Get("X-ZEvent-Timestamp"), r.Header.Get("X-ZEvent-Signature")) {
		a.log.Warn("webhook signature rejected", "event", head.EventName, "has_signature", r.Header.Get("X-ZEvent-Signature") != "")
		http.Error(w, "invalid signature", http.StatusUnauthorized)
		return
	}
	if string(head.AppID) != a.cfg.AppID {
		a.log.Warn("webhook for another app rejected", "event", head.EventName)
		http.Error(w, "unknown app", http.StatusUnauthorized)
		return
	}

	var ev event
	if err := json.Unmarshal(raw, &ev); err != nil {
		// Signed by Zalo but not in a shape we know: a 4xx would not make Zalo
		// send anything better, so acknowledge and leave a trace.
		a.log.Warn("webhook event not understood, dropped", "event", head.EventName, "err", err)
		w.WriteHeader(http.StatusOK)
		return
	}
	// Everything below must fit in Zalo's 2-second answer budget.
	ctx, cancel := context.WithTimeout(r.Context(), a.submitTimeout)
	defer cancel()
	for _, u := range a.translate(ctx, ev) {
		accepted, err := a.sub.Submit(ctx, u)
		if err != nil {
			a.log.Error("webhook update not recorded", "event", ev.EventName, "update_id", u.ID, "err", err)
			http.Error(w, "try again", http.StatusServiceUnavailable)
			return
		}
		if !accepted {
			a.log.Debug("duplicate webhook event", "event", ev.EventName, "update_id", u.ID)
		}
	}
	w.WriteHeader(http.StatusOK)
}

// verifySignature checks X-ZEvent-Signature: "mac=" + hex(SHA-256(app_id +
// raw body + timestamp + OA secret key)), a plain hash, not an HMAC. Which
// timestamp Zalo uses is unconfirmed, so the body's is tried, then the header's.
func (a *Adapter) verifySignature(raw []byte, appID, bodyTS, headerTS, sig string) bool {
	got := strings.ToLower(strings.TrimSpace(sig))
	got = strings.TrimPrefix(got, "mac=")
	if got == "" {
		return false
	}
	match := 0
	for _, ts := range [2]string{bodyTS, headerTS} {
		if ts == "" {
			continue
		}
		h := sha256.New()
		h.Write([]byte(appID))
		h.Write(raw)
		h.Write([]byte(ts))
		h.Write([]byte(a.cfg.OASecretKey))
		match |= subtle.ConstantTimeCompare([]byte(got), []byte(hex.EncodeToString(h.Sum(nil))))
	}
	return match == 1
}

// translate turns an event into Updates: none for events the bot
// deliberately ignores, one per picture or file when a message carries
// several, one otherwise.
func (a *Adapter) translate(ctx context.Context, ev event) []bot.Update {
	u, ok := a.translateOne(ctx, ev)
	if !ok {
		return nil
	}
	out := []bot.Update{u}
	if (u.Kind != bot.KindPhoto && u.Kind != bot.KindFile) || ev.Message == nil || len(ev.Message.Attachments) < 2 {
		return out
	}
	// An album arrives as one event with several attachments: nothing a user
	// sent may be lost, so each becomes an update with an id of its own.
	for i, att := range ev.Message.Attachments[1:] {
		v := u
		v.ID = fmt.Sprintf("%s#%d", u.ID, i+2)
		v.Text = ""
		v.Photo = media(att.Payload, u.Kind, "")
		out = append(out, v)
	}
	return out
}

// media describes an attached picture or file.
func media(p attachmentPayload, kind bot.UpdateKind, caption string) *bot.Media {
	if kind == bot.KindFile {
		size, _ := p.Size.int()
		return &bot.Media{URL: p.URL, Name: norm.NFC.String(p.Name), Size: size}
	}
	return &bot.Media{URL: p.URL, Caption: caption}
}

// translateOne translates the event's main content; ok is false for events
// the bot deliberately ignores.
func (a *Adapter) translateOne(ctx context.Context, ev event) (bot.Update, bool) {
	name := ev.EventName
	if strings.HasPrefix(name, "oa_") {
		// Echoes of our own sends (sender = the OA).
		a.log.Debug("oa echo ignored", "event", name)
		return bot.Update{}, false
	}
	userID := userOf(ev)
	at := a.now()
	if ms, ok := ev.Timestamp.int(); ok && ms > 0 {
		at = time.UnixMilli(ms)
	}
	if strings.HasPrefix(name, "user_") && userID != "" {
		// Any user action keeps the 7-day CS window open; counting too much
		// is cheap because a -230 still falls back to ZNS (SendScheduled).
		if err := a.recorder.Touch(ctx, userID, at); err != nil {
			a.log.Warn("record last interaction", "err", err)
		}
	}
	if userID == "" {
		a.log.Debug("event without a user ignored", "event", name)
		return bot.Update{}, false
	}
	u := bot.Update{
		Channel: bot.ChannelZalo,
		ChatID:  userID,
		UserID:  userID,
		Locale:  DefaultLang, // Zalo gives no language; its users are Vietnamese
		Private: true,
		Time:    at,
	}
	msg := ev.Message
	if msg == nil {
		msg = &message{}
	}
	u.ID = string(msg.MsgID)
	if u.ID == "" {
		// Events without a message id still need a stable id for de-duplication.
		u.ID = name + ":" + string(ev.Timestamp) + ":" + userID
	}
	text := norm.NFC.String(msg.Text)
	first := attachmentPayload{}
	if len(msg.Attachments) > 0 {
		first = msg.Attachments[0].Payload
	}

	switch name {
	case "user_send_text":
		a.translateText(ctx, &u, text)
	case "user_send_image":
		u.Kind = bot.KindPhoto
		u.Text = text
		u.Photo = media(first, bot.KindPhoto, text)
	case "user_send_location":
		lat, lon, ok := first.point()
		if !ok {
			a.log.Warn("location without readable coordinates", "update_id", u.ID)
			u.Kind = bot.KindOther
			u.Text = text
			break
		}
		u.Kind = bot.KindLocation
		u.Location = &bot.Location{Lat: lat, Lon: lon}
	case "user_send_sticker":
		u.Kind = bot.KindSticker
		u.Photo = &bot.Media{FileID: string(first.ID), URL: first.URL}
	case "user_send_file":
		u.Kind = bot.KindFile
		u.Text = text
		u.Photo = media(first, bot.KindFile, "")
	case "user_send_gif", "user_send_audio", "user_send_video", "user_send_link", "user_send_business_card":
		// Real messages the flows cannot use: the router answers them generically.
		u.Kind = bot.KindOther
		u.Text = text
	case "follow":
		u.Kind = bot.KindFollow
	case "unfollow":
		u.Kind = bot.KindUnfollow
	case "user_click_chatnow":
		// The user tapped "Nhắn tin" on the OA page: the Zalo counterpart of
		// Telegram's /start, so it gets the greeting like a follow.
		u.Kind = bot.KindFollow
	case "user_submit_info":
		if ev.Info == nil || ev.Info.Phone == "" {
			a.log.Warn("user_submit_info without a phone", "update_id", u.ID)
			u.Kind = bot.KindOther
			break
		}
		u.Kind = bot.KindContact
		u.UserName = norm.NFC.String(ev.Info.Name)
		u.Contact = &bot.Contact{
			Phone:  strings.TrimSpace(string(ev.Info.Phone)),
			Name:   norm.NFC.String(ev.Info.Name),
			UserID: userID,
			// Zalo fills the form with the account's own number.
			Verified: true,
		}
	default:
		// Receipts (user_received_message, user_seen_message), reactions,
		// anonymous chats, shop and template events: nothing for the bot to do.
		a.log.Debug("event ignored", "event", name)
		return bot.Update{}, false
	}
	return u, true
}

// translateText reads a text as a button tap, a typed choice or plain text.
func (a *Adapter) translateText(ctx context.Context, u *bot.Update, text string) {
	if data, ours, ok := a.verifyPayload(u.UserID, text); ours {
		u.Kind = bot.KindCallback
		if !ok {
			// Forged, or signed with a rotated secret: the core answers "stale button".
			a.log.Warn("button payload failed verification", "update_id", u.ID)
			u.Callback = &bot.Callback{}
			return
		}
		u.Text = data
		u.Callback = &bot.Callback{Data: data}
		return
	}
	u.Kind = bot.KindText
	u.Text = text
	c, found, err := a.choices.Recall(ctx, u.UserID)
	if err != nil {
		a.log.Warn("recall offered choices", "err", err)
		return
	}
	if !found {
		return
	}
	if o, ok := match(text, c); ok {
		u.Kind = bot.KindCallback
		u.Text = o.Data
		u.Callback = &bot.Callback{Data: o.Data}
	}
}

// userOf finds the user in whichever envelope the event uses.
func userOf(ev event) string {
	switch {
	case ev.Follower != nil && ev.Follower.ID != "":
		return string(ev.Follower.ID)
	case ev.Sender != nil && ev.Sender.ID != "":
		return string(ev.Sender.ID)
	default:
		return string(ev.UserID)
	}
}

// point reads a location in either shape: coordinates with string or number
// fields, or lat/long beside them.
func (p attachmentPayload) point() (lat, lon float64, ok bool) {
	var pairs [][2]flexString
	if c := p.Coordinates; c != nil {
		pairs = append(pairs, [2]flexString{c.Latitude, c.Longitude}, [2]flexString{c.Lat, c.Long})
	}
	pairs = append(pairs, [2]flexString{p.Lat, p.Long}, [2]flexString{p.Latitude, p.Longitude})
	for _, pr := range pairs {
		la, ok1 := pr[0].float()
		lo, ok2 := pr[1].float()
		if ok1 && ok2 && la >= -90 && la <= 90 && lo >= -180 && lo <= 180 {
			return la, lo, true
		}
	}
	return 0, 0, false
}
