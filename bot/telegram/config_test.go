package telegram

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/anttbot/anttbot/bot/telegram/telegramtest"
)

func TestConfigValidate(t *testing.T) {
	valid := Config{Token: telegramtest.DefaultToken}
	tests := []struct {
		name    string
		mod     func(*Config)
		wantErr []string // every one must appear
	}{
		{name: "defaults are valid", mod: func(*Config) {}},
		{name: "webhook mode", mod: func(c *Config) {
			c.Mode, c.WebhookURL, c.WebhookSecret = ModeWebhook, "https://bot.example.vn/tg", "abc_DEF-123"
		}},
		{name: "no token", mod: func(c *Config) { c.Token = "" }, wantErr: []string{"token"}},
		{name: "malformed token", mod: func(c *Config) { c.Token = "not a token" }, wantErr: []string{"token"}},
		{name: "unknown mode", mod: func(c *Config) { c.Mode = "push" }, wantErr: []string{"mode"}},
		{name: "webhook needs https and a secret", mod: func(c *Config) {
			c.Mode, c.WebhookURL = ModeWebhook, "http://bot.example.vn/tg"
		}, wantErr: []string{"webhook_url", "webhook_secret"}},
		{name: "secret with forbidden characters", mod: func(c *Config) {
			c.Mode, c.WebhookURL, c.WebhookSecret = ModeWebhook, "https://bot.example.vn/tg", "có dấu!"
		}, wantErr: []string{"webhook_secret"}},
		{name: "bad API URL", mod: func(c *Config) { c.APIURL = "ftp://x" }, wantErr: []string{"api_url"}},
		{name: "negative rate", mod: func(c *Config) { c.RateChatPerSec = -1 }, wantErr: []string{"rate_chat_per_sec"}},
		{name: "poll timeout too short", mod: func(c *Config) { c.PollTimeout = time.Millisecond }, wantErr: []string{"poll_timeout"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := valid
			tt.mod(&c)
			err := c.withDefaults().Validate()
			if len(tt.wantErr) == 0 {
				if err != nil {
					t.Errorf("Validate: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Validate accepted %+v", c)
			}
			for _, w := range tt.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %s", err, w)
				}
			}
			if c.Token != "" && strings.Contains(err.Error(), c.Token) {
				t.Errorf("error leaks the token")
			}
		})
	}
}

func TestConfigDefaults(t *testing.T) {
	c := Config{Token: telegramtest.DefaultToken, APIURL: "http://127.0.0.1:8081/", Username: "@anttbot"}.withDefaults()
	if c.APIURL != "http://127.0.0.1:8081" || c.Mode != ModePolling || c.Username != "anttbot" {
		t.Errorf("normalised config %+v", c)
	}
	if c.RateGlobalPerSec != 30 || c.RateChatPerSec != 1 || c.RateGroupPerMin != 20 || c.ChatBurst != 3 ||
		c.GlobalBurst != 1 || c.GroupBurst != 1 || c.PollTimeout != 50*time.Second {
		t.Errorf("defaults %+v", c)
	}
	if Config.withDefaults(Config{}).APIURL != DefaultAPIURL {
		t.Errorf("default API URL")
	}
}

func TestNew(t *testing.T) {
	srv := telegramtest.NewServer(t, "")
	if _, err := New(testConfig(srv), nil); err == nil {
		t.Error("New without a Submitter succeeded")
	}
	short := &http.Client{Timeout: 10 * time.Second}
	if _, err := New(Config{Token: srv.Token, PollTimeout: 50 * time.Second}, newRecorder(), WithHTTPClient(short)); err == nil {
		t.Error("New accepted an HTTP client that times out before the long poll")
	}
	// Without WithTranslator the embedded catalogue is used.
	a, err := New(testConfig(srv), newRecorder())
	if err != nil {
		t.Fatal(err)
	}
	if got := a.contactMarkup().Keyboard[0][0].Text; got == "" || got == contactButtonKey {
		t.Errorf("contact button label %q, want the catalogue's text", got)
	}
	if a.Name() != "telegram" {
		t.Errorf("Name() = %q", a.Name())
	}
}
