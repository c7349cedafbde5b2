package telegram

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/anttbot/anttbot/bot"
	"github.com/anttbot/anttbot/bot/telegram/telegramtest"
	"github.com/anttbot/anttbot/locales"
)

// FuzzWebhookUpdate feeds arbitrary bodies, seeded with the real-shaped
// updates in testdata/updates, through the verified webhook into the
// translation: no panic, only the documented answers, and every update passed
// on is well formed, with button data only when its signature holds.
func FuzzWebhookUpdate(f *testing.F) {
	files, err := filepath.Glob(filepath.Join("testdata", "updates", "*.json"))
	if err != nil || len(files) == 0 {
		f.Fatalf("no seed updates: %v", err)
	}
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	cat, err := locales.Load()
	if err != nil {
		f.Fatal(err)
	}
	srv := telegramtest.NewServer(f, "")
	rec := newRecorder()
	a, err := New(testConfig(srv), rec, WithLogger(testLogger()), WithTranslator(cat),
		WithClock(func() time.Time { return fixedNow }))
	if err != nil {
		f.Fatal(err)
	}
	h := a.WebhookHandler()
	f.Fuzz(func(t *testing.T, body []byte) {
		before := len(rec.updates())
		req := httptest.NewRequest(http.MethodPost, "/telegram/webhook", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Telegram-Bot-Api-Secret-Token", testConfig(srv).WebhookSecret)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if !slices.Contains([]int{http.StatusOK, http.StatusBadRequest, http.StatusRequestEntityTooLarge}, w.Code) {
			t.Fatalf("answered %d to %q", w.Code, body)
		}
		got := rec.updates()[before:]
		if len(got) > 0 && w.Code != http.StatusOK {
			t.Fatalf("passed an update on but answered %d", w.Code)
		}
		for _, u := range got {
			checkUpdate(t, a, body, u)
		}
	})
}

// checkUpdate asserts what the core relies on in every translated update.
func checkUpdate(t *testing.T, a *Adapter, body []byte, u bot.Update) {
	t.Helper()
	if u.Channel != bot.ChannelTelegram || u.ID == "" || u.ChatID == "" || u.Kind == "" {
		t.Fatalf("incomplete update %+v", u)
	}
	for _, s := range []string{u.Text, u.UserName} {
		if !utf8.ValidString(s) || !norm.NFC.IsNormalString(s) {
			t.Fatalf("text not valid NFC UTF-8: %q", s)
		}
	}
	switch u.Kind {
	case bot.KindCallback:
		if u.Callback == nil {
			t.Fatal("callback update without Callback")
		}
		var raw struct {
			Q *struct {
				Data string `json:"data"`
			} `json:"callback_query"`
		}
		_ = json.Unmarshal(body, &raw)
		if u.Callback.Data != "" {
			if raw.Q == nil {
				t.Fatalf("callback data %q out of nowhere", u.Callback.Data)
			}
			if data, ok := a.signer.verify(u.ChatID, raw.Q.Data); !ok || data != u.Callback.Data {
				t.Fatalf("callback data %q passed on without a valid signature for chat %s", u.Callback.Data, u.ChatID)
			}
		}
	case bot.KindContact:
		if u.Contact == nil {
			t.Fatal("contact update without Contact")
		}
		if u.Contact.Verified && u.Contact.UserID != u.UserID {
			t.Fatalf("somebody else's contact marked verified: %+v from %s", u.Contact, u.UserID)
		}
	case bot.KindPhoto, bot.KindFile:
		if u.Photo == nil {
			t.Fatalf("%s update without media", u.Kind)
		}
	case bot.KindLocation:
		if u.Location == nil {
			t.Fatal("location update without Location")
		}
	}
}

// FuzzCallbackSignature checks the button signature both ways: what is
// signed verifies in its chat only, and whatever verifies is exactly what
// signing would have produced.
func FuzzCallbackSignature(f *testing.F) {
	f.Add("123456789", "-100987654321", "d1.2.ok", "")
	f.Add("42", "43", "menu:baocao", "AAAAAAAAAAAAAAAAx")
	f.Add("", "0", "\x00", "\xff\xfe")
	s := newSigner("fuzz-secret")
	f.Fuzz(func(t *testing.T, chat, other, data, forged string) {
		if signed, err := s.sign(chat, data); err == nil {
			if got, ok := s.verify(chat, signed); !ok || got != data {
				t.Fatalf("signed data does not verify in its chat: %q → %q, %v", data, got, ok)
			}
			if other != chat {
				if _, ok := s.verify(other, signed); ok {
					t.Fatalf("a button of chat %q verifies in chat %q", chat, other)
				}
			}
			if len(signed) > 64 {
				t.Fatalf("callback_data of %d bytes exceeds Telegram's 64", len(signed))
			}
		}
		if got, ok := s.verify(chat, forged); ok {
			if again, err := s.sign(chat, got); err != nil || again != forged {
				t.Fatalf("%q verified but is not what signing %q gives (%q)", forged, got, again)
			}
		}
	})
}
