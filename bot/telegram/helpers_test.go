package telegram

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/anttbot/anttbot/bot"
	"github.com/anttbot/anttbot/bot/telegram/telegramtest"
	"github.com/anttbot/anttbot/locales"
)

// fixedNow is the clock of most tests: callbacks carry no date of their own.
var fixedNow = time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)

// recorder is a Submitter that remembers what it was given, drops duplicates
// like the dispatcher's journal, and fails when told to.
type recorder struct {
	mu      sync.Mutex
	got     []bot.Update
	at      map[string]time.Time // update id → when it was accepted
	calls   int
	failFor func(u bot.Update, call int) error // call counts Submit calls for that update, from 1
	tries   map[string]int
}

func newRecorder() *recorder {
	return &recorder{at: make(map[string]time.Time), tries: make(map[string]int)}
}

func (r *recorder) Submit(_ context.Context, u bot.Update) (bool, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls++
	r.tries[u.ID]++
	if r.failFor != nil {
		if err := r.failFor(u, r.tries[u.ID]); err != nil {
			return false, err
		}
	}
	if _, dup := r.at[u.ID]; dup {
		return false, nil
	}
	r.at[u.ID] = time.Now()
	r.got = append(r.got, u)
	return true, nil
}

func (r *recorder) updates() []bot.Update {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]bot.Update(nil), r.got...)
}

func (r *recorder) acceptedAt(id string) (time.Time, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	t, ok := r.at[id]
	return t, ok
}

// waitFor waits up to 10 s until n updates were accepted.
func (r *recorder) waitFor(t *testing.T, n int) []bot.Update {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if us := r.updates(); len(us) >= n {
			return us
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("%d updates accepted after 10s, want %d", len(r.updates()), n)
	return nil
}

var errJournalDown = errors.New("journal unavailable")

// testConfig is a valid configuration against srv.
func testConfig(srv *telegramtest.Server) Config {
	return Config{
		Token:         srv.Token,
		APIURL:        srv.URL,
		Username:      telegramtest.BotUsername,
		WebhookSecret: "s3cr3t-Webhook_token",
		PollTimeout:   time.Second,
	}
}

// newAdapter builds an adapter on srv; mod may change the config.
func newAdapter(t *testing.T, srv *telegramtest.Server, sub Submitter, mod func(*Config), opts ...Option) *Adapter {
	t.Helper()
	cfg := testConfig(srv)
	if mod != nil {
		mod(&cfg)
	}
	opts = append([]Option{
		WithLogger(testLogger()),
		WithClock(func() time.Time { return fixedNow }),
		WithTranslator(catalog(t)),
	}, opts...)
	a, err := New(cfg, sub, opts...)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return a
}

var (
	catalogOnce sync.Once
	catalogVal  *locales.Catalog
	catalogErr  error
)

// catalog loads the real message catalogue once for all tests.
func catalog(t *testing.T) *locales.Catalog {
	t.Helper()
	catalogOnce.Do(func() { catalogVal, catalogErr = locales.Load() })
	if catalogErr != nil {
		t.Fatalf("load locales: %v", catalogErr)
	}
	return catalogVal
}

// testLogger is quiet unless TEST_LOG is set.
func testLogger() *slog.Logger {
	if os.Getenv("TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// readUpdate returns the bytes of testdata/updates/<name>.json.
func readUpdate(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "updates", name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// runAdapter runs a.Run in the background; the returned stop cancels it and
// returns Run's error, failing the test if Run does not return within 3 s.
func runAdapter(t *testing.T, a *Adapter) (stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	var once sync.Once
	var err error
	stop = func() error {
		once.Do(func() {
			cancel()
			select {
			case err = <-done:
			case <-time.After(3 * time.Second):
				t.Errorf("Run did not return within 3s of cancel")
			}
		})
		return err
	}
	t.Cleanup(func() { _ = stop() })
	return stop
}
