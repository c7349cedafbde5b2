package zalotest

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestSign(t *testing.T) {
	// Vectors computed independently (Python hashlib) from the documented
	// formula: hex(sha256(app_id + body + timestamp + OA secret key)).
	tests := []struct {
		name            string
		appID, body, ts string
		key             string
		want            string
	}{
		{name: "small", appID: "123", body: `{"a":1}`, ts: "456", key: "key",
			want: "mac=1e85cba6580d983604c833893e7cc9f5511f98582bcc6db24b158b630701b2d8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Sign(tt.appID, []byte(tt.body), tt.ts, tt.key); got != tt.want {
				t.Errorf("Sign = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestWebhookRequestSignsWithTheBodyTimestamp(t *testing.T) {
	at := time.UnixMilli(1727164800123)
	body := TextEvent("360846524940903967", "388613280878808645", "246845883529197922", "96d3cdf3af150460909", "Xin chào 👋", at)
	req, err := WebhookRequest("http://example.invalid/zalo", body, "k")
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(req.Body)
	if got, want := req.Header.Get("X-ZEvent-Signature"), Sign("360846524940903967", raw, "1727164800123", "k"); got != want {
		t.Errorf("signature %s, want %s", got, want)
	}
	var ev map[string]any
	if err := json.Unmarshal(raw, &ev); err != nil || ev["timestamp"] != "1727164800123" || ev["event_name"] != "user_send_text" {
		t.Errorf("event %s (%v)", raw, err)
	}
}

func TestServerSpendsRefreshTokensOnce(t *testing.T) {
	s := NewServer(t, "app", "secret")
	_, rt := s.IssueTokens()
	refresh := func() map[string]any {
		req, _ := http.NewRequest(http.MethodPost, s.URL+PathToken,
			strings.NewReader("refresh_token="+rt+"&app_id=app&grant_type=refresh_token"))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header["secret_key"] = []string{"secret"}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&out)
		return out
	}
	if first := refresh(); first["access_token"] == nil || first["expires_in"] != "90000" {
		t.Fatalf("first refresh: %v", first)
	}
	if second := refresh(); second["access_token"] != nil || second["error"] == nil {
		t.Errorf("second use of the same refresh token: %v", second)
	}
}
