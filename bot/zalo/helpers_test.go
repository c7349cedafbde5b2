package zalo

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"text/template"
	"time"

	"github.com/BurntSushi/toml"

	"github.com/anttbot/anttbot/bot"
	"github.com/anttbot/anttbot/bot/zalo/zalotest"
	"github.com/anttbot/anttbot/internal/testenv"
)

// Identities used by the fixtures in testdata/webhook.
const (
	testAppID     = "360846524940903967"
	testOAID      = "388613280878808645"
	testUser      = "246845883529197922"
	testAppSecret = "test-app-secret"
	testOASecret  = "test-oa-secret-key"
)

// testNow is the fixed clock of the tests (the fixtures' timestamps are a little earlier).
var testNow = time.Date(2024, 9, 24, 15, 0, 0, 0, time.UTC)

// catalogue reads this adapter's locale files, so tests use the real strings
// and fail when a key is missing in either language.
type catalogue struct {
	t    testing.TB
	msgs map[string]map[string]string
}

func loadCatalogue(t testing.TB) *catalogue {
	t.Helper()
	c := &catalogue{t: t, msgs: map[string]map[string]string{}}
	for _, lang := range []string{"vi", "en"} {
		var tree map[string]any
		if _, err := toml.DecodeFile(filepath.Join("..", "..", "locales", lang, "zalo.toml"), &tree); err != nil {
			t.Fatalf("load %s catalogue: %v", lang, err)
		}
		m := map[string]string{}
		flatten("", tree, m)
		c.msgs[lang] = m
	}
	return c
}

// flatten turns TOML's dotted keys (nested tables) back into flat keys.
func flatten(prefix string, tree map[string]any, out map[string]string) {
	for k, v := range tree {
		switch v := v.(type) {
		case map[string]any:
			flatten(prefix+k+".", v, out)
		case string:
			out[prefix+k] = v
		}
	}
}

func (c *catalogue) T(lang, key string, args ...any) string {
	s, ok := c.msgs[lang][key]
	if !ok {
		c.t.Errorf("missing locale key %s/%s", lang, key)
		return key
	}
	data := map[string]any{}
	for i := 0; i+1 < len(args); i += 2 {
		data[args[i].(string)] = args[i+1]
	}
	tpl := template.Must(template.New(key).Parse(s))
	var b strings.Builder
	if err := tpl.Execute(&b, data); err != nil {
		c.t.Errorf("render %s: %v", key, err)
	}
	return b.String()
}

// recordingSubmitter records what the webhook submits.
type recordingSubmitter struct {
	mu      sync.Mutex
	updates []bot.Update
	err     error
}

func (s *recordingSubmitter) Submit(_ context.Context, u bot.Update) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.updates = append(s.updates, u)
	return s.err == nil, s.err
}

func (s *recordingSubmitter) got() []bot.Update {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]bot.Update(nil), s.updates...)
}

// touchRecorder records interactions.
type touchRecorder struct {
	mu      sync.Mutex
	touches []string // "user@unixms"
}

func (r *touchRecorder) Touch(_ context.Context, userID string, at time.Time) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.touches = append(r.touches, userID+"@"+at.UTC().Format(time.RFC3339Nano))
	return nil
}

func (r *touchRecorder) got() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.touches...)
}

// harness is an adapter wired to a fake Zalo.
type harness struct {
	a     *Adapter
	srv   *zalotest.Server
	sub   *recordingSubmitter
	touch *touchRecorder
	store *MemoryTokenStore
	logs  *testenv.Buffer
}

type harnessOpt func(*Config)

func withZNS(id string) harnessOpt { return func(c *Config) { c.ZNSTemplateID = id } }

// newHarness starts a fake Zalo and an adapter whose store holds a valid token pair.
func newHarness(t *testing.T, opts ...harnessOpt) *harness {
	t.Helper()
	srv := zalotest.NewServer(t, testAppID, testAppSecret)
	at, rt := srv.IssueTokens()
	store := NewMemoryTokenStore(TokenPair{AccessToken: at, RefreshToken: rt, ExpiresAt: testNow.Add(24 * time.Hour)})
	return newHarnessWith(t, srv, store, opts...)
}

func newHarnessWith(t *testing.T, srv *zalotest.Server, store *MemoryTokenStore, opts ...harnessOpt) *harness {
	t.Helper()
	cfg := Config{
		AppID: testAppID, AppSecret: testAppSecret, OASecretKey: testOASecret,
		APIURL: srv.URL, OAuthURL: srv.URL, ZNSURL: srv.URL,
	}
	for _, o := range opts {
		o(&cfg)
	}
	h := &harness{srv: srv, sub: &recordingSubmitter{}, touch: &touchRecorder{}, store: store, logs: &testenv.Buffer{}}
	logger := slog.New(slog.NewTextHandler(h.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	a, err := New(cfg, h.sub, store,
		WithTranslator(loadCatalogue(t)),
		WithClock(func() time.Time { return testNow }),
		WithInteractionRecorder(h.touch),
		WithLogger(logger),
	)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	h.a = a
	return h
}

// post signs body like Zalo and posts it to the webhook handler.
func (h *harness) post(t *testing.T, body []byte) int {
	t.Helper()
	req, err := zalotest.WebhookRequest("/zalo/webhook", body, testOASecret)
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	h.a.WebhookHandler().ServeHTTP(rec, req)
	return rec.Code
}

// postRaw posts body with the given headers, unsigned unless headers say so.
func (h *harness) postRaw(body []byte, hdr map[string]string) int {
	req := httptest.NewRequest(http.MethodPost, "/zalo/webhook", bytes.NewReader(body))
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h.a.WebhookHandler().ServeHTTP(rec, req)
	return rec.Code
}

func readFixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "webhook", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// sameJSON compares two JSON documents by value.
func sameJSON(t *testing.T, got []byte, want string) bool {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("decode got: %v: %s", err, got)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("decode want: %v: %s", err, want)
	}
	gb, _ := json.Marshal(g)
	wb, _ := json.Marshal(w)
	return bytes.Equal(gb, wb)
}

func TestLocaleKeysMatch(t *testing.T) {
	c := loadCatalogue(t)
	keys := func(lang string) []string {
		var ks []string
		for k, v := range c.msgs[lang] {
			if strings.TrimSpace(v) == "" {
				t.Errorf("%s: %s is empty", lang, k)
			}
			ks = append(ks, k)
		}
		sort.Strings(ks)
		return ks
	}
	vi, en := keys("vi"), keys("en")
	if strings.Join(vi, ",") != strings.Join(en, ",") {
		t.Errorf("vi and en keys differ:\nvi: %v\nen: %v", vi, en)
	}
	for _, k := range []string{"zalo.choices.prompt", "zalo.choices.hint", "zalo.contact.title", "zalo.contact.subtitle", "zalo.attachment.unsupported"} {
		if _, ok := c.msgs["vi"][k]; !ok {
			t.Errorf("key %s used by the adapter is missing", k)
		}
	}
}

func mustMarshal(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
