package session_test

import (
	"bytes"
	"context"
	"errors"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/anttbot/anttbot/internal/testenv"
	"github.com/anttbot/anttbot/session"
)

// fixture is one fresh store under test with the means to move its time.
type fixture struct {
	store session.Store
	// now is the store's idea of the current time.
	now func() time.Time
	// advance moves time forward by d: a fake clock for Memory, a real wait for Redis.
	advance func(d time.Duration)
	// ttl is a session lifetime short enough to wait out in a test.
	ttl time.Duration
	// reopen returns a second, independent handle on the same data (a new
	// client after a restart); nil when the store does not outlive its process.
	reopen func() session.Store
}

// fakeClock is a settable clock safe for concurrent readers.
type fakeClock struct{ ns atomic.Int64 }

func (c *fakeClock) Now() time.Time          { return time.Unix(0, c.ns.Load()) }
func (c *fakeClock) Advance(d time.Duration) { c.ns.Add(int64(d)) }

var implementations = []struct {
	name string
	open func(t *testing.T) fixture
}{
	{
		name: "memory",
		open: func(t *testing.T) fixture {
			clock := &fakeClock{}
			clock.ns.Store(time.Date(2025, 2, 4, 8, 0, 0, 0, time.UTC).UnixNano())
			return fixture{
				store:   session.NewMemory(session.WithClock(clock.Now)),
				now:     clock.Now,
				advance: clock.Advance,
				ttl:     10 * time.Minute,
			}
		},
	},
	{
		name: "redis",
		open: func(t *testing.T) fixture {
			c, prefix := testenv.Redis(t)
			return fixture{
				store:   session.NewRedis(c, prefix),
				now:     time.Now,
				advance: time.Sleep,
				ttl:     300 * time.Millisecond,
				reopen: func() session.Store {
					opt, err := redis.ParseURL(testenv.RedisURL())
					testenv.Must(t, "parse redis url", err)
					c2 := redis.NewClient(opt)
					t.Cleanup(func() { c2.Close() })
					return session.NewRedis(c2, prefix)
				},
			}
		},
	},
}

func TestConformance(t *testing.T) {
	tests := []struct {
		name string
		run  func(t *testing.T, f fixture)
	}{
		{"load missing", testLoadMissing},
		{"create and load", testCreate},
		{"create twice conflicts", testCreateTwice},
		{"binary data round trip", testBinaryData},
		{"stale version conflicts", testStaleVersion},
		{"delete with CAS", testDelete},
		{"recreated key does not reuse versions", testNoVersionReuse},
		{"ttl expiry", testTTL},
		{"zero ttl keeps the session", testNoTTL},
		{"due ordering and redelivery", testDue},
		{"due skips expired sessions", testDueExpired},
		{"concurrent increments", testConcurrentIncrements},
		{"restart keeps sessions", testRestart},
		{"reserved and empty keys rejected", testBadKeys},
	}
	for _, impl := range implementations {
		t.Run(impl.name, func(t *testing.T) {
			for _, tc := range tests {
				t.Run(tc.name, func(t *testing.T) {
					tc.run(t, impl.open(t))
				})
			}
		})
	}
}

func testLoadMissing(t *testing.T, f fixture) {
	_, err := f.store.Load(context.Background(), "telegram:1")
	if !errors.Is(err, session.ErrNotFound) {
		t.Fatalf("Load missing: err = %v, want ErrNotFound", err)
	}
}

func testCreate(t *testing.T, f fixture) {
	ctx := context.Background()
	wake := f.now().Add(time.Minute)
	rec := session.Record{Key: "telegram:1", Data: []byte(`{"v":1,"step":"ask_text"}`), TTL: time.Hour, WakeAt: wake}
	testenv.Must(t, "save new", f.store.Save(ctx, &rec))
	if rec.Version == 0 {
		t.Fatal("Save left Version at 0")
	}
	got, err := f.store.Load(ctx, "telegram:1")
	testenv.Must(t, "load", err)
	if got.Key != rec.Key || !bytes.Equal(got.Data, rec.Data) || got.Version != rec.Version {
		t.Fatalf("Load = %+v, want %+v", got, rec)
	}
	if !got.WakeAt.Equal(time.UnixMilli(wake.UnixMilli())) {
		t.Errorf("WakeAt = %v, want %v", got.WakeAt, wake)
	}
	if got.TTL <= 0 || got.TTL > time.Hour {
		t.Errorf("TTL = %v, want in (0, 1h]", got.TTL)
	}

	// The loaded data is a copy: changing it must not change the store.
	got.Data[0] = 'X'
	again, err := f.store.Load(ctx, "telegram:1")
	testenv.Must(t, "load again", err)
	if !bytes.Equal(again.Data, rec.Data) {
		t.Errorf("store shares its buffer with the caller: %q", again.Data)
	}

	// An update with the loaded version succeeds and moves the version on.
	again.Data = []byte(`{"v":1,"step":"confirm"}`)
	again.WakeAt = time.Time{}
	old := again.Version
	testenv.Must(t, "update", f.store.Save(ctx, &again))
	if again.Version == old {
		t.Errorf("version unchanged after update: %d", again.Version)
	}
	final, err := f.store.Load(ctx, "telegram:1")
	testenv.Must(t, "load final", err)
	if string(final.Data) != `{"v":1,"step":"confirm"}` || !final.WakeAt.IsZero() || final.Version != again.Version {
		t.Errorf("after update Load = %+v", final)
	}
}

func testBinaryData(t *testing.T, f fixture) {
	ctx := context.Background()
	data := []byte{0, 1, 2, 0xff, 0xfe, '"', '\\', 0xc3, 0x28, '\n'}
	rec := session.Record{Key: "telegram:bin", Data: data, TTL: time.Hour}
	testenv.Must(t, "save", f.store.Save(ctx, &rec))
	got, err := f.store.Load(ctx, rec.Key)
	testenv.Must(t, "load", err)
	if !bytes.Equal(got.Data, data) {
		t.Fatalf("Data = %v, want %v", got.Data, data)
	}
}

func testCreateTwice(t *testing.T, f fixture) {
	ctx := context.Background()
	a := session.Record{Key: "zalo:42", Data: []byte("a"), TTL: f.ttl}
	testenv.Must(t, "first create", f.store.Save(ctx, &a))
	b := session.Record{Key: "zalo:42", Data: []byte("b"), TTL: f.ttl}
	if err := f.store.Save(ctx, &b); !errors.Is(err, session.ErrConflict) {
		t.Fatalf("second create: err = %v, want ErrConflict", err)
	}
	if b.Version != 0 {
		t.Errorf("failed Save changed Version to %d", b.Version)
	}
	got, err := f.store.Load(ctx, "zalo:42")
	testenv.Must(t, "load", err)
	if string(got.Data) != "a" {
		t.Errorf("data = %q, want the first writer's", got.Data)
	}
}

func testStaleVersion(t *testing.T, f fixture) {
	ctx := context.Background()
	rec := session.Record{Key: "telegram:7", Data: []byte("1"), TTL: time.Hour}
	testenv.Must(t, "create", f.store.Save(ctx, &rec))
	a, err := f.store.Load(ctx, "telegram:7")
	testenv.Must(t, "load a", err)
	b, err := f.store.Load(ctx, "telegram:7")
	testenv.Must(t, "load b", err)
	a.Data = []byte("from a")
	testenv.Must(t, "save a", f.store.Save(ctx, &a))
	b.Data = []byte("from b")
	if err := f.store.Save(ctx, &b); !errors.Is(err, session.ErrConflict) {
		t.Fatalf("stale save: err = %v, want ErrConflict", err)
	}
	// Saving a version for a key that does not exist conflicts too.
	ghost := session.Record{Key: "telegram:8", Data: []byte("x"), Version: 5, TTL: time.Hour}
	if err := f.store.Save(ctx, &ghost); !errors.Is(err, session.ErrConflict) {
		t.Fatalf("save with version on absent key: err = %v, want ErrConflict", err)
	}
	got, err := f.store.Load(ctx, "telegram:7")
	testenv.Must(t, "load", err)
	if string(got.Data) != "from a" {
		t.Errorf("data = %q, want %q", got.Data, "from a")
	}
}

func testDelete(t *testing.T, f fixture) {
	ctx := context.Background()
	testenv.Must(t, "delete absent", f.store.Delete(ctx, "telegram:9", 3))
	rec := session.Record{Key: "telegram:9", Data: []byte("x"), TTL: time.Hour, WakeAt: f.now().Add(-time.Second)}
	testenv.Must(t, "create", f.store.Save(ctx, &rec))
	if err := f.store.Delete(ctx, "telegram:9", rec.Version+1); !errors.Is(err, session.ErrConflict) {
		t.Fatalf("delete with wrong version: err = %v, want ErrConflict", err)
	}
	if err := f.store.Delete(ctx, "telegram:9", 0); !errors.Is(err, session.ErrConflict) {
		t.Fatalf("delete with version 0 of an existing key: err = %v, want ErrConflict", err)
	}
	if _, err := f.store.Load(ctx, "telegram:9"); err != nil {
		t.Fatalf("session gone after failed delete: %v", err)
	}
	testenv.Must(t, "delete", f.store.Delete(ctx, "telegram:9", rec.Version))
	if _, err := f.store.Load(ctx, "telegram:9"); !errors.Is(err, session.ErrNotFound) {
		t.Fatalf("after delete: err = %v, want ErrNotFound", err)
	}
	due, err := f.store.Due(ctx, f.now(), 10)
	testenv.Must(t, "due", err)
	if len(due) != 0 {
		t.Errorf("deleted session still due: %v", due)
	}
	// Delete is idempotent.
	testenv.Must(t, "delete again", f.store.Delete(ctx, "telegram:9", rec.Version))
}

func testNoVersionReuse(t *testing.T, f fixture) {
	ctx := context.Background()
	first := session.Record{Key: "telegram:10", Data: []byte("old"), TTL: time.Hour}
	testenv.Must(t, "create", f.store.Save(ctx, &first))
	stale := first // a reader that loaded the old session
	testenv.Must(t, "delete", f.store.Delete(ctx, first.Key, first.Version))
	second := session.Record{Key: "telegram:10", Data: []byte("new"), TTL: time.Hour}
	testenv.Must(t, "recreate", f.store.Save(ctx, &second))
	if second.Version == stale.Version {
		t.Fatalf("recreated session reuses version %d", second.Version)
	}
	stale.Data = []byte("lost update")
	if err := f.store.Save(ctx, &stale); !errors.Is(err, session.ErrConflict) {
		t.Fatalf("save of the deleted session's version: err = %v, want ErrConflict", err)
	}
}

func testTTL(t *testing.T, f fixture) {
	ctx := context.Background()
	rec := session.Record{Key: "telegram:11", Data: []byte("x"), TTL: f.ttl}
	testenv.Must(t, "create", f.store.Save(ctx, &rec))
	got, err := f.store.Load(ctx, rec.Key)
	testenv.Must(t, "load before expiry", err)
	if got.TTL <= 0 || got.TTL > f.ttl {
		t.Errorf("TTL left = %v, want in (0, %v]", got.TTL, f.ttl)
	}
	f.advance(f.ttl + f.ttl/3)
	if _, err := f.store.Load(ctx, rec.Key); !errors.Is(err, session.ErrNotFound) {
		t.Fatalf("after TTL: err = %v, want ErrNotFound", err)
	}
	// An expired session is gone: the old version may not be saved over it,
	// and a new one can be created with version 0.
	if err := f.store.Save(ctx, &got); !errors.Is(err, session.ErrConflict) {
		t.Fatalf("save over expired session: err = %v, want ErrConflict", err)
	}
	fresh := session.Record{Key: rec.Key, Data: []byte("y"), TTL: time.Hour}
	testenv.Must(t, "create after expiry", f.store.Save(ctx, &fresh))
}

func testNoTTL(t *testing.T, f fixture) {
	ctx := context.Background()
	rec := session.Record{Key: "telegram:12", Data: []byte("x"), TTL: f.ttl}
	testenv.Must(t, "create with ttl", f.store.Save(ctx, &rec))
	rec.TTL = 0
	testenv.Must(t, "save without ttl", f.store.Save(ctx, &rec))
	f.advance(f.ttl + f.ttl/3)
	got, err := f.store.Load(ctx, rec.Key)
	testenv.Must(t, "load", err)
	if got.TTL != 0 {
		t.Errorf("TTL = %v, want 0 (kept until deleted)", got.TTL)
	}
}

func testDue(t *testing.T, f fixture) {
	ctx := context.Background()
	base := f.now()
	save := func(key string, wake time.Time) *session.Record {
		rec := &session.Record{Key: key, Data: []byte(key), TTL: time.Hour, WakeAt: wake}
		testenv.Must(t, "save "+key, f.store.Save(ctx, rec))
		return rec
	}
	a := save("telegram:a", base.Add(3*time.Second))
	b := save("telegram:b", base.Add(1*time.Second))
	c := save("telegram:c", base.Add(2*time.Second))
	save("telegram:none", time.Time{})
	save("telegram:later", base.Add(time.Hour))

	steps := []struct {
		name  string
		now   time.Time
		limit int
		want  []string
	}{
		{"nothing due yet", base, 10, nil},
		{"one due", base.Add(1500 * time.Millisecond), 10, []string{"telegram:b"}},
		{"due exactly at wake time", base.Add(2 * time.Second), 10, []string{"telegram:b", "telegram:c"}},
		{"all due, earliest first", base.Add(5 * time.Second), 10, []string{"telegram:b", "telegram:c", "telegram:a"}},
		{"limit", base.Add(5 * time.Second), 2, []string{"telegram:b", "telegram:c"}},
		{"redelivered until cleared", base.Add(5 * time.Second), 10, []string{"telegram:b", "telegram:c", "telegram:a"}},
		{"zero limit", base.Add(5 * time.Second), 0, nil},
	}
	for _, s := range steps {
		got, err := f.store.Due(ctx, s.now, s.limit)
		testenv.Must(t, s.name, err)
		if !equalKeys(got, s.want) {
			t.Errorf("%s: Due = %v, want %v", s.name, got, s.want)
		}
	}

	// Clearing: b saved with no wake, c pushed later, a deleted.
	b.WakeAt = time.Time{}
	testenv.Must(t, "clear b", f.store.Save(ctx, b))
	c.WakeAt = base.Add(30 * time.Minute)
	testenv.Must(t, "postpone c", f.store.Save(ctx, c))
	testenv.Must(t, "delete a", f.store.Delete(ctx, a.Key, a.Version))
	got, err := f.store.Due(ctx, base.Add(5*time.Second), 10)
	testenv.Must(t, "due after clearing", err)
	if len(got) != 0 {
		t.Errorf("after clearing: Due = %v, want none", got)
	}
	got, err = f.store.Due(ctx, base.Add(31*time.Minute), 10)
	testenv.Must(t, "due after postponing", err)
	if !equalKeys(got, []string{"telegram:c"}) {
		t.Errorf("after postponing: Due = %v, want [telegram:c]", got)
	}
}

func testDueExpired(t *testing.T, f fixture) {
	ctx := context.Background()
	past := f.now().Add(-time.Minute)
	short := session.Record{Key: "telegram:short", Data: []byte("x"), TTL: f.ttl, WakeAt: past.Add(-time.Second)}
	testenv.Must(t, "save short", f.store.Save(ctx, &short))
	long := session.Record{Key: "telegram:long", Data: []byte("x"), TTL: time.Hour, WakeAt: past}
	testenv.Must(t, "save long", f.store.Save(ctx, &long))
	got, err := f.store.Due(ctx, f.now(), 1)
	testenv.Must(t, "due before expiry", err)
	if !equalKeys(got, []string{"telegram:short"}) {
		t.Fatalf("before expiry: Due = %v, want [telegram:short]", got)
	}
	f.advance(f.ttl + f.ttl/3)
	// The expired key is skipped and the limit filled from the keys behind it.
	got, err = f.store.Due(ctx, f.now(), 1)
	testenv.Must(t, "due after expiry", err)
	if !equalKeys(got, []string{"telegram:long"}) {
		t.Fatalf("after expiry: Due = %v, want [telegram:long]", got)
	}
	// Re-creating the expired key without a wake time must not make it due.
	again := session.Record{Key: "telegram:short", Data: []byte("y"), TTL: time.Hour}
	testenv.Must(t, "recreate", f.store.Save(ctx, &again))
	got, err = f.store.Due(ctx, f.now(), 10)
	testenv.Must(t, "due after recreate", err)
	if !equalKeys(got, []string{"telegram:long"}) {
		t.Fatalf("after recreate: Due = %v, want [telegram:long]", got)
	}
}

// testConcurrentIncrements has 50 goroutines add one to a counter kept in a
// session through Load/Save retry loops: a lost update shows as a total below 50.
func testConcurrentIncrements(t *testing.T, f fixture) {
	ctx := context.Background()
	const workers = 50
	const key = "telegram:counter"
	rec := session.Record{Key: key, Data: []byte("0"), TTL: time.Hour}
	testenv.Must(t, "create", f.store.Save(ctx, &rec))

	var wg sync.WaitGroup
	var conflicts atomic.Int64
	errs := make(chan error, workers)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for attempt := 0; ; attempt++ {
				if attempt > 1000 {
					errs <- errors.New("gave up after 1000 conflicts")
					return
				}
				r, err := f.store.Load(ctx, key)
				if err != nil {
					errs <- err
					return
				}
				n, err := strconv.Atoi(string(r.Data))
				if err != nil {
					errs <- err
					return
				}
				r.Data = []byte(strconv.Itoa(n + 1))
				r.TTL = time.Hour
				err = f.store.Save(ctx, &r)
				if errors.Is(err, session.ErrConflict) {
					conflicts.Add(1)
					continue
				}
				if err != nil {
					errs <- err
				}
				return
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("worker: %v", err)
	}
	got, err := f.store.Load(ctx, key)
	testenv.Must(t, "load", err)
	if string(got.Data) != strconv.Itoa(workers) {
		t.Fatalf("counter = %s, want %d (lost updates)", got.Data, workers)
	}
	t.Logf("%d conflicts retried", conflicts.Load())
}

func testRestart(t *testing.T, f fixture) {
	if f.reopen == nil {
		t.Skip("this store lives and dies with its process")
	}
	ctx := context.Background()
	wake := f.now().Add(-time.Second)
	rec := session.Record{Key: "zalo:restart", Data: []byte("draft"), TTL: time.Hour, WakeAt: wake}
	testenv.Must(t, "save", f.store.Save(ctx, &rec))
	other := f.reopen()
	got, err := other.Load(ctx, rec.Key)
	testenv.Must(t, "load after restart", err)
	if string(got.Data) != "draft" || got.Version != rec.Version {
		t.Fatalf("after restart Load = %+v, want %+v", got, rec)
	}
	due, err := other.Due(ctx, f.now(), 10)
	testenv.Must(t, "due after restart", err)
	if !equalKeys(due, []string{rec.Key}) {
		t.Fatalf("after restart Due = %v", due)
	}
	// The new instance's write is seen by the old one: one shared state.
	got.Data = []byte("edited")
	testenv.Must(t, "save from new instance", other.Save(ctx, &got))
	if err := f.store.Save(ctx, &rec); !errors.Is(err, session.ErrConflict) {
		t.Fatalf("old instance with stale version: err = %v, want ErrConflict", err)
	}
}

func testBadKeys(t *testing.T, f fixture) {
	ctx := context.Background()
	for _, key := range []string{"", "wake", "seq"} {
		rec := session.Record{Key: key, Data: []byte("x")}
		if err := f.store.Save(ctx, &rec); err == nil {
			t.Errorf("Save(%q) accepted a reserved key", key)
		}
		if _, err := f.store.Load(ctx, key); err == nil || errors.Is(err, session.ErrNotFound) {
			t.Errorf("Load(%q): err = %v, want a key error", key, err)
		}
	}
}

func equalKeys(got, want []string) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range got {
		if got[i] != want[i] {
			return false
		}
	}
	return true
}
