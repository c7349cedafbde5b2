package zalo

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/anttbot/anttbot/bot"
	"github.com/anttbot/anttbot/bot/zalo/zalotest"
	"github.com/anttbot/anttbot/locales"
)

func TestConfigValidate(t *testing.T) {
	good := Config{AppID: "1", AppSecret: "s", OASecretKey: "k"}
	tests := []struct {
		name string
		cfg  Config
		want []string // substrings of the error; nil means valid
	}{
		{name: "minimal", cfg: good},
		{name: "everything missing", cfg: Config{}, want: []string{"app_id", "app_secret", "oa_secret_key"}},
		{name: "relative API URL", cfg: func() Config { c := good; c.APIURL = "openapi.zalo.me"; return c }(), want: []string{"api_url"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Validate()
			if (err == nil) != (tt.want == nil) {
				t.Fatalf("Validate = %v", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %s", err, w)
				}
			}
		})
	}
}

func TestNewDefaultsToTheEmbeddedCatalogue(t *testing.T) {
	cat, err := locales.Load()
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"zalo.choices.prompt", "zalo.choices.hint", "zalo.contact.title", "zalo.contact.subtitle", "zalo.attachment.unsupported"} {
		for _, lang := range []string{"vi", "en"} {
			if !cat.Has(lang, key) {
				t.Errorf("embedded catalogue lacks %s/%s", lang, key)
			}
		}
	}
	a, err := New(Config{AppID: "1", AppSecret: "s", OASecretKey: "k"}, &recordingSubmitter{}, NewMemoryTokenStore(TokenPair{}))
	if err != nil {
		t.Fatal(err)
	}
	if a.cfg.APIURL != DefaultAPIURL || a.cfg.OAuthURL != DefaultOAuthURL || a.cfg.ZNSURL != DefaultZNSURL ||
		a.cfg.InteractionWindow != 7*24*time.Hour || a.Name() != bot.ChannelZalo {
		t.Errorf("defaults not applied: %+v", a.cfg)
	}
	if got := a.tr.T("vi", "zalo.choices.hint", "Max", 3); got != "Trả lời bằng một số từ 1 đến 3 để chọn." {
		t.Errorf("hint = %q", got)
	}
}

func TestMemoryOptionsExpire(t *testing.T) {
	now := testNow
	m := NewMemoryOptions(time.Hour, func() time.Time { return now })
	ctx := context.Background()
	c := Choices{Numbered: true, Options: []Choice{{Label: "Có", Data: "y"}}}
	if err := m.Remember(ctx, "u1", c); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		after time.Duration
		user  string
		want  bool
	}{
		{name: "fresh", after: 59 * time.Minute, user: "u1", want: true},
		{name: "other user", after: 0, user: "u2", want: false},
		{name: "expired", after: 61 * time.Minute, user: "u1", want: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			now = testNow.Add(tt.after)
			got, ok, err := m.Recall(ctx, tt.user)
			if err != nil || ok != tt.want || (ok && got.Options[0].Data != "y") {
				t.Errorf("Recall = %+v, %v, %v; want found=%v", got, ok, err, tt.want)
			}
		})
	}
}

// recordingWaiter records the keys it is asked to wait on.
type recordingWaiter struct {
	mu   sync.Mutex
	keys []string
	err  error
}

func (w *recordingWaiter) Wait(_ context.Context, key string) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.keys = append(w.keys, key)
	return w.err
}

func TestEveryAPICallWaitsForTheLimiter(t *testing.T) {
	h := newHarness(t, withZNS("305621"))
	w := &recordingWaiter{}
	h.a.waiter = w
	ctx := context.Background()
	if _, err := h.a.Send(ctx, bot.Message{ChatID: testUser, Text: "Biểu đồ",
		Attachment: &bot.Attachment{Name: "c.png", MIME: "image/png", Data: png, IsImage: true}}); err != nil {
		t.Fatal(err)
	}
	if _, err := h.a.SendZNS(ctx, "0912345678", nil); err != nil {
		t.Fatal(err)
	}
	want := "zalo:oa:" + testAppID + " zalo:oa:" + testAppID + " zalo:oa:" + testAppID + " zalo:zns:" + testAppID
	if got := strings.Join(w.keys, " "); got != want {
		t.Errorf("waited on %q, want %q (upload, image, text, zns)", got, want)
	}

	w.err = context.DeadlineExceeded
	h.srv.Reset()
	if _, err := h.a.Send(ctx, bot.Message{ChatID: testUser, Text: "x"}); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v, want the limiter's error", err)
	}
	if n := len(h.srv.Requests("")); n != 0 {
		t.Errorf("%d requests despite the limiter refusing", n)
	}
}

func TestFixturesAreSignedLikeZalo(t *testing.T) {
	// The documented formula over the raw fixture bytes, computed independently (Python hashlib).
	body := readFixture(t, "user_send_text.json")
	want := "mac=d28e70fefdc16994d12986e6e7ed8e31e5877b8ee47ccfe4a70239c9b5c5185e"
	if got := zalotest.Sign(testAppID, body, "1727164800123", testOASecret); got != want {
		t.Fatalf("Sign = %s, want %s", got, want)
	}
	h := newHarness(t)
	if code := h.postRaw(body, map[string]string{"X-ZEvent-Signature": want}); code != 200 {
		t.Errorf("status = %d", code)
	}
}
