package loadtest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"html"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// fakeTelegram is a minimal Telegram Bot API: it answers the methods the
// adapter calls, hands every message to its chat's simulated user, and, with
// a limit, answers 429 like Telegram's flood control when more than limit
// messages arrive in one second.
type fakeTelegram struct {
	rt     *router
	flood  *window
	nextID atomic.Int64
}

// sendMethods are the calls that put a message in a chat.
var sendMethods = map[string]bool{"sendMessage": true, "editMessageText": true, "sendPhoto": true, "sendDocument": true}

func (f *fakeTelegram) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	at := time.Now()
	rest, ok := strings.CutPrefix(r.URL.Path, "/bot")
	_, method, ok2 := strings.Cut(rest, "/")
	if !ok || !ok2 {
		http.NotFound(w, r)
		return
	}
	fields, err := formFields(r)
	if err != nil {
		writeTelegram(w, http.StatusBadRequest, map[string]any{"ok": false, "error_code": 400, "description": "Bad Request: " + err.Error()})
		return
	}
	switch {
	case method == "getMe":
		writeOK(w, map[string]any{"id": 123456789, "is_bot": true, "first_name": "ANTT", "username": "anttbot_load_bot"})
	case sendMethods[method]:
		if !f.flood.allow(at) {
			f.rt.limited.Add(1)
			writeTelegram(w, http.StatusTooManyRequests, map[string]any{
				"ok": false, "error_code": 429, "description": "Too Many Requests: retry after 1",
				"parameters": map[string]any{"retry_after": 1},
			})
			return
		}
		chatID := fields["chat_id"]
		id := fields["message_id"]
		if method != "editMessageText" || id == "" {
			id = strconv.FormatInt(f.nextID.Add(1), 10)
		}
		text := fields["text"]
		if text == "" {
			text = fields["caption"]
		}
		f.rt.deliver(chatID, Reply{MessageID: id, Text: html.UnescapeString(text), Buttons: inlineButtons(fields["reply_markup"]), At: at})
		chat, _ := strconv.ParseInt(chatID, 10, 64)
		n, _ := strconv.Atoi(id)
		writeOK(w, map[string]any{"message_id": n, "date": at.Unix(), "chat": map[string]any{"id": chat, "type": "private"}})
	default: // setWebhook, setMyCommands, answerCallbackQuery, ...: accepted
		writeOK(w, true)
	}
}

// formFields reads a multipart, urlencoded or JSON Bot API request.
func formFields(r *http.Request) (map[string]string, error) {
	out := map[string]string{}
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch mt {
	case "multipart/form-data":
		if err := r.ParseMultipartForm(8 << 20); err != nil {
			if r.ContentLength == 0 || strings.Contains(err.Error(), "EOF") {
				return out, nil // parameterless calls come as an empty multipart body
			}
			return nil, err
		}
		for k, v := range r.MultipartForm.Value {
			out[k] = v[0]
		}
	case "application/json":
		var m map[string]json.RawMessage
		if err := json.NewDecoder(r.Body).Decode(&m); err != nil {
			return nil, err
		}
		for k, v := range m {
			var s string
			if json.Unmarshal(v, &s) == nil {
				out[k] = s
			} else {
				out[k] = string(v)
			}
		}
	default:
		if err := r.ParseForm(); err != nil {
			return nil, err
		}
		for k, v := range r.Form {
			out[k] = v[0]
		}
	}
	return out, nil
}

func inlineButtons(markup string) []Button {
	if markup == "" {
		return nil
	}
	var kb struct {
		Inline [][]struct {
			Text string `json:"text"`
			Data string `json:"callback_data"`
		} `json:"inline_keyboard"`
	}
	if json.Unmarshal([]byte(markup), &kb) != nil {
		return nil
	}
	var out []Button
	for _, row := range kb.Inline {
		for _, b := range row {
			out = append(out, Button{Label: b.Text, Data: b.Data})
		}
	}
	return out
}

func writeOK(w http.ResponseWriter, result any) {
	writeTelegram(w, http.StatusOK, map[string]any{"ok": true, "result": result})
}

func writeTelegram(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// telegramClient posts updates to the service's Telegram webhook, as Telegram does.
type telegramClient struct {
	hc     *http.Client
	url    string
	secret string
	nextID atomic.Int64
}

type tgUser struct {
	ID        int64  `json:"id"`
	IsBot     bool   `json:"is_bot"`
	FirstName string `json:"first_name"`
	Language  string `json:"language_code,omitempty"`
}

type tgChat struct {
	ID        int64  `json:"id"`
	Type      string `json:"type"`
	FirstName string `json:"first_name,omitempty"`
}

type tgEntity struct {
	Type   string `json:"type"`
	Offset int    `json:"offset"`
	Length int    `json:"length"`
}

type tgContact struct {
	Phone     string `json:"phone_number"`
	FirstName string `json:"first_name"`
	UserID    int64  `json:"user_id"`
}

type tgMessage struct {
	ID       int64      `json:"message_id"`
	From     *tgUser    `json:"from,omitempty"`
	Chat     tgChat     `json:"chat"`
	Date     int64      `json:"date"`
	Text     string     `json:"text,omitempty"`
	Entities []tgEntity `json:"entities,omitempty"`
	Contact  *tgContact `json:"contact,omitempty"`
}

type tgCallback struct {
	ID           string    `json:"id"`
	From         tgUser    `json:"from"`
	ChatInstance string    `json:"chat_instance"`
	Data         string    `json:"data"`
	Message      tgMessage `json:"message"`
}

type tgUpdate struct {
	ID       int64       `json:"update_id"`
	Message  *tgMessage  `json:"message,omitempty"`
	Callback *tgCallback `json:"callback_query,omitempty"`
}

func (c *telegramClient) user(m *member) tgUser {
	return tgUser{ID: m.tgID, FirstName: m.firstName, Language: "vi"}
}

func (c *telegramClient) message(m *member, id int64) *tgMessage {
	u := c.user(m)
	return &tgMessage{ID: id, From: &u, Chat: tgChat{ID: m.tgID, Type: "private", FirstName: m.firstName}, Date: time.Now().Unix()}
}

func (c *telegramClient) say(ctx context.Context, m *member, text string) error {
	id := c.nextID.Add(1)
	msg := c.message(m, id)
	msg.Text = text
	if strings.HasPrefix(text, "/") {
		cmd, _, _ := strings.Cut(text, " ")
		msg.Entities = []tgEntity{{Type: "bot_command", Length: len(cmd)}}
	}
	return c.post(ctx, tgUpdate{ID: id, Message: msg})
}

func (c *telegramClient) contact(ctx context.Context, m *member) error {
	id := c.nextID.Add(1)
	msg := c.message(m, id)
	msg.Contact = &tgContact{Phone: m.intlPhone, FirstName: m.firstName, UserID: m.tgID}
	return c.post(ctx, tgUpdate{ID: id, Message: msg})
}

func (c *telegramClient) tap(ctx context.Context, m *member, on Reply, label string) error {
	b, ok := on.button(label)
	if !ok {
		return fmt.Errorf("no button %q on %q", label, on.Text)
	}
	id := c.nextID.Add(1)
	mid, _ := strconv.ParseInt(on.MessageID, 10, 64)
	bot := tgUser{ID: 123456789, IsBot: true, FirstName: "ANTT"}
	return c.post(ctx, tgUpdate{ID: id, Callback: &tgCallback{
		ID: strconv.FormatInt(id, 10), From: c.user(m), ChatInstance: "1", Data: b.Data,
		Message: tgMessage{ID: mid, From: &bot, Chat: tgChat{ID: m.tgID, Type: "private"}, Date: time.Now().Unix(), Text: on.Text},
	}})
}

func (c *telegramClient) post(ctx context.Context, u tgUpdate) error {
	body, err := json.Marshal(u)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Telegram-Bot-Api-Secret-Token", c.secret)
	return do(c.hc, req)
}

// do sends a webhook request and wants 200.
func do(hc *http.Client, req *http.Request) error {
	resp, err := hc.Do(req)
	if err != nil {
		return fmt.Errorf("webhook: %w", err)
	}
	defer resp.Body.Close()
	var sink [512]byte
	for {
		if _, err := resp.Body.Read(sink[:]); err != nil {
			break
		}
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("webhook answered %s", resp.Status)
	}
	return nil
}
