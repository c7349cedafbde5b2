package telegram

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/anttbot/anttbot/bot"
	"github.com/anttbot/anttbot/bot/telegram/telegramtest"
)

func TestWebhookHandler(t *testing.T) {
	text := readUpdate(t, "text")
	const secret = "s3cr3t-Webhook_token"
	tests := []struct {
		name        string
		method      string
		contentType string
		secret      string
		body        []byte
		failSubmit  bool
		wantStatus  int
		wantSubmits int
	}{
		{name: "valid update", body: text, wantStatus: 200, wantSubmits: 1},
		{name: "content type with charset", contentType: "application/json; charset=utf-8", body: text, wantStatus: 200, wantSubmits: 1},
		{name: "wrong secret", secret: "s3cr3t-Webhook_tokeX", body: text, wantStatus: 401},
		{name: "missing secret", secret: "-", body: text, wantStatus: 401},
		{name: "secret prefix only", secret: "s3cr3t", body: text, wantStatus: 401},
		{name: "wrong method", method: http.MethodGet, wantStatus: 405},
		{name: "not JSON content", contentType: "text/plain", body: text, wantStatus: 415},
		{name: "bad JSON", body: []byte(`{"update_id": 1, "message": {`), wantStatus: 400},
		{name: "JSON without update_id", body: []byte(`{"message": {"text": "hi"}}`), wantStatus: 400},
		{name: "oversized body", body: append(append([]byte(`{"update_id": 9, "x": "`), bytes.Repeat([]byte("a"), 1<<20)...), []byte(`"}`)...), wantStatus: 413},
		{name: "submit fails", body: text, failSubmit: true, wantStatus: 503},
		{name: "dropped update", body: readUpdate(t, "channel_post"), wantStatus: 200},
		// Valid JSON the client's models reject (unknown member status): taking
		// it is better than Telegram redelivering it forever.
		{name: "undecodable update", body: []byte(`{"update_id": 77, "my_chat_member": {"chat": {"id": 1, "type": "private"}, "from": {"id": 1, "is_bot": false, "first_name": "A"}, "date": 1, "old_chat_member": {"status": "member", "user": {"id": 2, "is_bot": true, "first_name": "B"}}, "new_chat_member": {"status": "future_status", "user": {"id": 2, "is_bot": true, "first_name": "B"}}}}`), wantStatus: 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := telegramtest.NewServer(t, "")
			rec := newRecorder()
			if tt.failSubmit {
				rec.failFor = func(bot.Update, int) error { return errJournalDown }
			}
			a := newAdapter(t, srv, rec, func(c *Config) { c.WebhookSecret = secret })
			method := tt.method
			if method == "" {
				method = http.MethodPost
			}
			req := httptest.NewRequest(method, "/telegram/webhook", bytes.NewReader(tt.body))
			ct := tt.contentType
			if ct == "" {
				ct = "application/json"
			}
			req.Header.Set("Content-Type", ct)
			switch tt.secret {
			case "":
				req.Header.Set(secretHeader, secret)
			case "-":
			default:
				req.Header.Set(secretHeader, tt.secret)
			}
			w := httptest.NewRecorder()
			a.WebhookHandler().ServeHTTP(w, req)
			if w.Code != tt.wantStatus {
				t.Errorf("status %d, want %d (body %q)", w.Code, tt.wantStatus, w.Body.String())
			}
			if got := len(rec.updates()); got != tt.wantSubmits {
				t.Errorf("%d updates submitted, want %d", got, tt.wantSubmits)
			}
			if tt.wantStatus == 401 && rec.calls != 0 {
				t.Errorf("Submit was called for an unauthenticated request")
			}
			if tt.wantStatus == 405 && w.Header().Get("Allow") != http.MethodPost {
				t.Errorf("Allow header %q, want POST", w.Header().Get("Allow"))
			}
		})
	}
}

func TestWebhookDuplicateIsOK(t *testing.T) {
	srv := telegramtest.NewServer(t, "")
	rec := newRecorder()
	a := newAdapter(t, srv, rec, nil)
	for i := range 2 {
		req := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(readUpdate(t, "text")))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set(secretHeader, a.cfg.WebhookSecret)
		w := httptest.NewRecorder()
		a.WebhookHandler().ServeHTTP(w, req)
		if w.Code != http.StatusOK {
			t.Errorf("delivery %d: status %d, want 200", i+1, w.Code)
		}
	}
	if got := len(rec.updates()); got != 1 {
		t.Errorf("%d updates accepted, want 1", got)
	}
}

func TestWebhookWithoutSecretRefusesAll(t *testing.T) {
	srv := telegramtest.NewServer(t, "")
	rec := newRecorder()
	a := newAdapter(t, srv, rec, func(c *Config) { c.WebhookSecret = "" })
	req := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(readUpdate(t, "text")))
	req.Header.Set("Content-Type", "application/json")
	w := httptest.NewRecorder()
	a.WebhookHandler().ServeHTTP(w, req)
	if w.Code != http.StatusUnauthorized || rec.calls != 0 {
		t.Errorf("status %d with %d submits, want 401 and none", w.Code, rec.calls)
	}
}

func TestRunWebhookRegisters(t *testing.T) {
	srv := telegramtest.NewServer(t, "")
	srv.Fail("setWebhook", 1, telegramtest.InternalError())
	a := newAdapter(t, srv, newRecorder(), func(c *Config) {
		c.Mode = ModeWebhook
		c.WebhookURL = "https://bot.example.vn/telegram/webhook"
		c.Username = "" // learned through getMe
	})
	stop := runAdapter(t, a)
	calls := srv.WaitCalls("setWebhook", 2) // the first one fails with 500 and is retried
	if err := stop(); err != nil {
		t.Fatalf("Run: %v", err)
	}
	last := calls[len(calls)-1]
	if last.Fields["url"] != "https://bot.example.vn/telegram/webhook" || last.Fields["secret_token"] != "s3cr3t-Webhook_token" {
		t.Errorf("setWebhook fields %v", last.Fields)
	}
	var allowed []string
	if err := last.Decode("allowed_updates", &allowed); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(allowed, allowedUpdates) {
		t.Errorf("allowed_updates %v, want %v", allowed, allowedUpdates)
	}
	if wh := srv.Webhook(); wh == nil || wh.SecretToken != "s3cr3t-Webhook_token" {
		t.Errorf("webhook not set on the server: %+v", wh)
	}
	if n := len(srv.Calls("deleteWebhook", "getUpdates")); n != 0 {
		t.Errorf("webhook mode made %d polling calls", n)
	}
	if a.botUsername() != telegramtest.BotUsername {
		t.Errorf("username %q not learned from getMe", a.botUsername())
	}
}

func TestRunRejectedToken(t *testing.T) {
	srv := telegramtest.NewServer(t, "")
	a := newAdapter(t, srv, newRecorder(), func(c *Config) {
		c.Token = "987654321:AAwrong-token"
		c.Username = ""
	})
	err := a.Run(context.Background())
	if err == nil {
		t.Fatal("Run with a rejected token returned nil")
	}
	if strings.Contains(err.Error(), "AAwrong-token") {
		t.Errorf("error leaks the token: %v", err)
	}
}
