package telegramtest

import (
	"bytes"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"
	"time"
)

// post sends fields as a multipart form, like go-telegram/bot, and returns the decoded answer.
func post(t *testing.T, s *Server, method string, fields map[string]string) (status int, answer map[string]any) {
	t.Helper()
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	for k, v := range fields {
		_ = w.WriteField(k, v)
	}
	_ = w.Close()
	resp, err := http.Post(s.URL+"/bot"+s.Token+"/"+method, w.FormDataContentType(), &body)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(data, &answer); err != nil {
		t.Fatalf("%s answered %q: %v", method, data, err)
	}
	return resp.StatusCode, answer
}

func TestServerChecksLikeTelegram(t *testing.T) {
	tests := []struct {
		name       string
		method     string
		fields     map[string]string
		wantStatus int
		wantDesc   string
	}{
		{name: "plain text", method: "sendMessage", fields: map[string]string{"chat_id": "1", "text": "a < b"}, wantStatus: 200},
		{name: "unescaped < in HTML", method: "sendMessage", fields: map[string]string{"chat_id": "1", "text": "a < b", "parse_mode": "HTML"}, wantStatus: 400, wantDesc: "can't parse entities"},
		{name: "bare & in HTML", method: "sendMessage", fields: map[string]string{"chat_id": "1", "text": "A & B", "parse_mode": "HTML"}, wantStatus: 400, wantDesc: "can't parse entities"},
		{name: "escaped HTML", method: "sendMessage", fields: map[string]string{"chat_id": "1", "text": "a &lt; b &amp; <b>c</b>", "parse_mode": "HTML"}, wantStatus: 200},
		{name: "empty text", method: "sendMessage", fields: map[string]string{"chat_id": "1", "text": "  "}, wantStatus: 400, wantDesc: "message text is empty"},
		{name: "too long in UTF-16", method: "sendMessage", fields: map[string]string{"chat_id": "1", "text": strings.Repeat("🚨", 2049)}, wantStatus: 400, wantDesc: "message is too long"},
		{name: "callback data over 64 bytes", method: "sendMessage", fields: map[string]string{"chat_id": "1", "text": "x",
			"reply_markup": `{"inline_keyboard":[[{"text":"a","callback_data":"` + strings.Repeat("d", 65) + `"}]]}`}, wantStatus: 400, wantDesc: "BUTTON_DATA_INVALID"},
		{name: "empty copy_text", method: "sendMessage", fields: map[string]string{"chat_id": "1", "text": "x",
			"reply_markup": `{"inline_keyboard":[[{"text":"a","callback_data":"d","copy_text":{"text":""}}]]}`}, wantStatus: 400, wantDesc: "BUTTON_COPY_TEXT_INVALID"},
		{name: "caption too long", method: "sendPhoto", fields: map[string]string{"chat_id": "1", "photo": "id", "caption": strings.Repeat("a", 1025)}, wantStatus: 400, wantDesc: "caption is too long"},
		{name: "unknown method", method: "sendTelepathy", fields: map[string]string{}, wantStatus: 404},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := NewServer(t, "")
			status, answer := post(t, s, tt.method, tt.fields)
			if status != tt.wantStatus {
				t.Errorf("status %d, want %d (%v)", status, tt.wantStatus, answer)
			}
			if desc, _ := answer["description"].(string); !strings.Contains(desc, tt.wantDesc) {
				t.Errorf("description %q, want it to contain %q", desc, tt.wantDesc)
			}
		})
	}
}

func TestServerWrongToken(t *testing.T) {
	s := NewServer(t, "")
	resp, err := http.Post(s.URL+"/bot1:wrong/getMe", "application/json", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 401 {
		t.Errorf("status %d, want 401", resp.StatusCode)
	}
}

func TestServerUpdatesHonourOffset(t *testing.T) {
	s := NewServer(t, "")
	for _, id := range []string{"3", "1", "2"} {
		s.AddUpdate([]byte(`{"update_id": ` + id + `, "message": {"message_id": 1, "date": 1, "chat": {"id": 5, "type": "private"}, "text": "t"}}`))
	}
	ids := func(answer map[string]any) []float64 {
		var out []float64
		for _, u := range answer["result"].([]any) {
			out = append(out, u.(map[string]any)["update_id"].(float64))
		}
		return out
	}
	_, a := post(t, s, "getUpdates", map[string]string{"limit": "2"})
	if got := ids(a); len(got) != 2 || got[0] != 1 || got[1] != 2 {
		t.Errorf("first batch %v, want [1 2]", got)
	}
	_, a = post(t, s, "getUpdates", map[string]string{"offset": "3"})
	if got := ids(a); len(got) != 1 || got[0] != 3 {
		t.Errorf("after offset 3: %v, want [3]", got)
	}
	if s.Pending() != 1 || s.Offset() != 3 {
		t.Errorf("pending %d offset %d, want 1 and 3", s.Pending(), s.Offset())
	}
	start := time.Now()
	_, a = post(t, s, "getUpdates", map[string]string{"offset": "4", "timeout": "1"})
	if got := ids(a); len(got) != 0 || time.Since(start) < 900*time.Millisecond {
		t.Errorf("long poll returned %v after %s, want nothing after about 1s", got, time.Since(start))
	}
	s.SetWebhookInfo(&WebhookInfo{URL: "https://x"})
	if status, _ := post(t, s, "getUpdates", nil); status != 409 {
		t.Errorf("getUpdates with a webhook set: %d, want 409", status)
	}
}

func TestServerFailures(t *testing.T) {
	s := NewServer(t, "")
	s.Fail("sendMessage", 2, TooManyRequests(7))
	for i := range 3 {
		status, a := post(t, s, "sendMessage", map[string]string{"chat_id": "1", "text": "x"})
		wantStatus := 429
		if i == 2 {
			wantStatus = 200
		}
		if status != wantStatus {
			t.Errorf("call %d: status %d, want %d", i+1, status, wantStatus)
		}
		if i < 2 {
			p, _ := a["parameters"].(map[string]any)
			if p["retry_after"] != float64(7) {
				t.Errorf("call %d: parameters %v, want retry_after 7", i+1, p)
			}
		}
	}
	if calls := s.Calls("sendMessage"); len(calls) != 3 || calls[0].Status != 429 || !calls[2].OK() {
		t.Errorf("recorded %+v", calls)
	}
}
