package zalo

import (
	"bytes"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/anttbot/anttbot/bot"
	"github.com/anttbot/anttbot/bot/zalo/zalotest"
)

// FuzzWebhook feeds arbitrary bodies, seeded with the real-shaped events in
// testdata/webhook, to the webhook handler, both signed with the OA key (to
// reach the translation) and as they come: no panic, only the documented
// answers, nothing passed on without a valid signature, and every update
// passed on well formed.
func FuzzWebhook(f *testing.F) {
	files, err := filepath.Glob(filepath.Join("testdata", "webhook", "*.json"))
	if err != nil || len(files) == 0 {
		f.Fatalf("no seed events: %v", err)
	}
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, true)
	}
	srv := zalotest.NewServer(f, testAppID, testAppSecret)
	at, rt := srv.IssueTokens()
	store := NewMemoryTokenStore(TokenPair{AccessToken: at, RefreshToken: rt, ExpiresAt: testNow.Add(24 * time.Hour)})
	sub := &recordingSubmitter{}
	a, err := New(Config{
		AppID: testAppID, AppSecret: testAppSecret, OASecretKey: testOASecret,
		APIURL: srv.URL, OAuthURL: srv.URL, ZNSURL: srv.URL,
	}, sub, store,
		WithTranslator(loadCatalogue(f)),
		WithClock(func() time.Time { return testNow }),
		WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))),
	)
	if err != nil {
		f.Fatal(err)
	}
	h := a.WebhookHandler()
	var mu sync.Mutex // the submitter's list is read around each call
	f.Fuzz(func(t *testing.T, body []byte, sign bool) {
		mu.Lock()
		defer mu.Unlock()
		before := len(sub.got())
		req := httptest.NewRequest(http.MethodPost, "/zalo/webhook", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		if sign {
			if sig, err := zalotest.SignBody(body, testOASecret); err == nil {
				req.Header.Set("X-ZEvent-Signature", sig)
			}
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if !slices.Contains([]int{http.StatusOK, http.StatusBadRequest, http.StatusUnauthorized, http.StatusRequestEntityTooLarge}, w.Code) {
			t.Fatalf("answered %d to %q", w.Code, body)
		}
		got := sub.got()[before:]
		if len(got) > 0 && (w.Code != http.StatusOK || req.Header.Get("X-ZEvent-Signature") == "") {
			t.Fatalf("passed %d updates on from a request answered %d (signed %v)", len(got), w.Code, sign)
		}
		for _, u := range got {
			if u.Channel != bot.ChannelZalo || u.ID == "" || u.ChatID == "" || u.Kind == "" {
				t.Fatalf("incomplete update %+v", u)
			}
			if !utf8.ValidString(u.Text) || !norm.NFC.IsNormalString(u.Text) {
				t.Fatalf("text not valid NFC UTF-8: %q", u.Text)
			}
			if u.Kind == bot.KindCallback && u.Callback == nil {
				t.Fatal("callback update without Callback")
			}
			if u.Kind == bot.KindContact && u.Contact == nil {
				t.Fatal("contact update without Contact")
			}
		}
	})
}

// FuzzButtonPayload checks the signed button payloads: what is signed for a
// user verifies for that user only, and whatever verifies is exactly what
// signing would have produced.
func FuzzButtonPayload(f *testing.F) {
	h := &Adapter{buttonKey: []byte("fuzz-button-key")}
	f.Add("246845883529197922", "246845883529197923", "d1.2.ok", "#anttbot:x")
	f.Add("", "1", "", "")
	f.Fuzz(func(t *testing.T, user, other, data, typed string) {
		p := h.signPayload(user, data)
		if got, ours, ok := h.verifyPayload(user, p); !ours || !ok || got != data {
			t.Fatalf("signed payload for %q does not verify: %q, %v, %v", data, got, ours, ok)
		}
		if other != user {
			if _, _, ok := h.verifyPayload(other, p); ok {
				t.Fatalf("a button of user %q verifies for user %q", user, other)
			}
		}
		if got, _, ok := h.verifyPayload(user, typed); ok && h.signPayload(user, got) != typed {
			t.Fatalf("%q verified but is not what signing %q gives", typed, got)
		}
	})
}
