package delivery

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/anttbot/anttbot/bot"
	"github.com/anttbot/anttbot/internal/testenv"
	"github.com/anttbot/anttbot/store"
	"github.com/anttbot/anttbot/store/storetest"
)

// testLogger discards logs unless DELIVERY_TEST_LOG is set.
func testLogger() *slog.Logger {
	if os.Getenv("DELIVERY_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// newStore returns a migrated store with River's tables.
func newStore(t *testing.T, driver string) *store.Store {
	t.Helper()
	st := storetest.New(t, driver)
	if err := migrate(context.Background(), st, testLogger()); err != nil {
		t.Fatalf("migrate river: %v", err)
	}
	return st
}

// forEachDriver runs f as a parallel subtest on every driver.
func forEachDriver(t *testing.T, f func(t *testing.T, st *store.Store)) {
	t.Helper()
	for _, d := range storetest.Drivers() {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			f(t, newStore(t, d))
		})
	}
}

// reopen opens a second store (its own connection pool) on st's database,
// as another replica would.
func reopen(t *testing.T, st *store.Store) *store.Store {
	t.Helper()
	db, err := st.SQLDB()
	if err != nil {
		t.Fatal(err)
	}
	var dsn string
	switch st.Driver() {
	case store.DriverSQLite:
		var seq int
		var name string
		if err := db.QueryRow("PRAGMA database_list").Scan(&seq, &name, &dsn); err != nil {
			t.Fatalf("sqlite file: %v", err)
		}
	case store.DriverPostgres:
		var name string
		if err := db.QueryRow("SELECT current_database()").Scan(&name); err != nil {
			t.Fatalf("database name: %v", err)
		}
		u, err := url.Parse(testenv.PostgresAdmin())
		if err != nil {
			t.Fatal(err)
		}
		u.Path = "/" + name
		dsn = u.String()
	}
	return storetest.Open(t, st.Driver(), dsn)
}

// fastOptions are Options for tests: quick polling, short back-offs.
func fastOptions() Options {
	return Options{
		Workers:      4,
		PollInterval: 100 * time.Millisecond,
		RetryBase:    50 * time.Millisecond,
		RetryMax:     200 * time.Millisecond,
		SendTimeout:  30 * time.Second,
		Lease:        30 * time.Second,
		Logger:       testLogger(),
	}
}

// startQueue starts a Queue and stops it when the test ends.
func startQueue(t *testing.T, st *store.Store, channels map[string]bot.Channel, opts Options) *Queue {
	t.Helper()
	q, err := NewQueue(st, channels, opts)
	if err != nil {
		t.Fatalf("new queue: %v", err)
	}
	if err := q.Start(context.Background()); err != nil {
		t.Fatalf("start queue: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := q.Stop(ctx); err != nil {
			t.Errorf("stop queue: %v", err)
		}
	})
	return q
}

// sentMsg is one message a fake channel accepted.
type sentMsg struct {
	ChatID string
	Text   string
	At     time.Time
	ID     string
}

// fakeChannel is a bot.Channel that records what it accepts. fail, when
// set, decides the outcome of each call before it is recorded; block, when
// set, holds each call until it is closed or ctx ends.
type fakeChannel struct {
	name string

	mu    sync.Mutex
	sent  []sentMsg
	calls int
	fail  func(call int, m bot.Message) error
	block chan struct{}
	// started is signalled (non-blocking) when a call begins.
	started chan string
	nextID  int
}

func newFake(name string) *fakeChannel {
	return &fakeChannel{name: name, started: make(chan string, 100)}
}

func (f *fakeChannel) Name() string { return f.name }

func (f *fakeChannel) Send(ctx context.Context, m bot.Message) (bot.Sent, error) {
	f.mu.Lock()
	f.calls++
	call, fail, block := f.calls, f.fail, f.block
	f.mu.Unlock()
	select {
	case f.started <- m.ChatID:
	default:
	}
	if block != nil {
		select {
		case <-block:
		case <-ctx.Done():
			return bot.Sent{}, ctx.Err()
		}
	}
	if fail != nil {
		if err := fail(call, m); err != nil {
			return bot.Sent{}, err
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.nextID++
	id := fmt.Sprintf("%s-%d", f.name, f.nextID)
	f.sent = append(f.sent, sentMsg{ChatID: m.ChatID, Text: m.Text, At: time.Now(), ID: id})
	return bot.Sent{MessageID: id}, nil
}

func (f *fakeChannel) setFail(fn func(call int, m bot.Message) error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fail = fn
}

func (f *fakeChannel) messages() []sentMsg {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.sent)
}

// texts returns the accepted texts, in order, optionally for one chat.
func (f *fakeChannel) texts(chatID string) []string {
	var out []string
	for _, m := range f.messages() {
		if chatID == "" || m.ChatID == chatID {
			out = append(out, m.Text)
		}
	}
	return out
}

// count returns how many times text was accepted.
func (f *fakeChannel) count(text string) int {
	n := 0
	for _, m := range f.messages() {
		if m.Text == text {
			n++
		}
	}
	return n
}

// eventually polls cond until it holds or the timeout passes.
func eventually(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// settle waits until the queue has nothing left to do.
func settle(t *testing.T, q *Queue, timeout time.Duration) {
	t.Helper()
	eventually(t, timeout, "an empty queue", func() bool {
		s, err := q.Stats(context.Background())
		if err != nil {
			t.Fatalf("stats: %v", err)
		}
		return s.Depth == 0
	})
}

// org is a small organisation: one commune, one team, people with identities.
type org struct {
	commune, team int64
	people        map[string]store.Person
}

// person describes a fixture person: name, role, identities "channel:id".
type person struct {
	name       string
	role       store.Role
	identities []string
	inactive   bool
}

func newOrg(t *testing.T, st *store.Store, people ...person) org {
	t.Helper()
	ctx := context.Background()
	team, err := st.EnsureUnitPath(ctx, "Hải Dương", "", "Xã An Bình", "Thôn Đông")
	if err != nil {
		t.Fatalf("units: %v", err)
	}
	commune, err := st.CommuneOf(ctx, team.ID)
	if err != nil {
		t.Fatalf("commune: %v", err)
	}
	o := org{commune: commune.ID, team: team.ID, people: map[string]store.Person{}}
	for i, p := range people {
		unit := team.ID
		if p.role.IsPolice() {
			unit = commune.ID
		}
		sp := store.Person{Name: p.name, Phone: fmt.Sprintf("+8490000%04d", i), Role: p.role, UnitID: unit, Active: !p.inactive}
		if err := st.CreatePerson(ctx, &sp); err != nil {
			t.Fatalf("person %s: %v", p.name, err)
		}
		for _, id := range p.identities {
			ch, ext, _ := strings.Cut(id, ":")
			if _, err := st.LinkIdentity(ctx, sp.ID, ch, ext, ext, "vi"); err != nil {
				t.Fatalf("identity %s: %v", id, err)
			}
		}
		o.people[p.name] = sp
	}
	return o
}

// id returns a fixture person's id.
func (o org) id(name string) int64 { return o.people[name].ID }

// textJob is a job to a person with a plain text.
func textJob(to Recipient, kind, text string) Job {
	return Job{To: to, Kind: kind, Message: bot.Message{Text: text}}
}
