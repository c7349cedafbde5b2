package ratelimit

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/anttbot/anttbot/internal/testenv"
)

// implementations returns every Limiter under test; the behaviour tests run on each.
func implementations(t *testing.T) map[string]func(t *testing.T) Limiter {
	return map[string]func(t *testing.T) Limiter{
		"memory": func(t *testing.T) Limiter { return NewMemory() },
		"redis": func(t *testing.T) Limiter {
			c, prefix := testenv.Redis(t)
			return NewRedis(c, prefix)
		},
	}
}

func TestAllowBurstThenSpacing(t *testing.T) {
	rule := Rule{Rate: 10, Per: time.Second, Burst: 3} // one event per 100 ms
	for name, mk := range implementations(t) {
		t.Run(name, func(t *testing.T) {
			l := mk(t)
			ctx := context.Background()
			for i, wantRemaining := range []int{2, 1, 0} {
				res, err := l.Allow(ctx, "chat:1", rule)
				testenv.Must(t, "allow", err)
				if !res.Allowed || res.Keys[0].Remaining != wantRemaining {
					t.Fatalf("event %d: got %+v, want allowed with %d remaining", i+1, res, wantRemaining)
				}
				// Callers tell an idle key by ResetAfter; a few ms pass between calls.
				wantReset := time.Duration(i+1) * rule.Interval()
				if got := res.Keys[0].ResetAfter; got > wantReset+time.Millisecond || got < wantReset-20*time.Millisecond {
					t.Errorf("event %d: ResetAfter = %s, want about %s", i+1, got, wantReset)
				}
			}
			res, err := l.Allow(ctx, "chat:1", rule)
			testenv.Must(t, "allow", err)
			if res.Allowed {
				t.Fatalf("fourth event in a burst of 3 was allowed: %+v", res)
			}
			if res.RetryAfter <= 0 || res.RetryAfter > rule.Interval() {
				t.Errorf("RetryAfter = %s, want in (0, %s]", res.RetryAfter, rule.Interval())
			}
			if res.Held {
				t.Errorf("a busy key reported as held")
			}
			// Another key has its own budget.
			res, err = l.Allow(ctx, "chat:2", rule)
			testenv.Must(t, "allow other key", err)
			if !res.Allowed {
				t.Errorf("another key was limited: %+v", res)
			}
		})
	}
}

func TestWaitSpacesEvents(t *testing.T) {
	rule := Rule{Rate: 20, Per: time.Second, Burst: 2} // one event per 50 ms
	for name, mk := range implementations(t) {
		t.Run(name, func(t *testing.T) {
			l := mk(t)
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			var stamps []time.Time
			for range 6 {
				testenv.Must(t, "wait", l.Wait(ctx, "k", rule))
				stamps = append(stamps, time.Now())
			}
			checkSpacing(t, stamps, rule)
			// 2 at once, then 4 more at 50 ms each.
			if got := stamps[5].Sub(stamps[0]); got < 180*time.Millisecond || got > time.Second {
				t.Errorf("6 events took %s, want about 200ms", got)
			}
		})
	}
}

func TestWaitConcurrentCallersShareOneBudget(t *testing.T) {
	rule := Rule{Rate: 20, Per: time.Second, Burst: 1} // one event per 50 ms
	for name, mk := range implementations(t) {
		t.Run(name, func(t *testing.T) {
			l := mk(t)
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			var (
				mu     sync.Mutex
				stamps []time.Time
				wg     sync.WaitGroup
			)
			for range 12 {
				wg.Go(func() {
					if err := l.Wait(ctx, "global", rule); err != nil {
						t.Error(err)
						return
					}
					mu.Lock()
					stamps = append(stamps, time.Now())
					mu.Unlock()
				})
			}
			wg.Wait()
			slices.SortFunc(stamps, time.Time.Compare)
			checkSpacing(t, stamps, rule)
		})
	}
}

func TestHold(t *testing.T) {
	rule := Rule{Rate: 100, Per: time.Second, Burst: 5}
	for name, mk := range implementations(t) {
		t.Run(name, func(t *testing.T) {
			l := mk(t)
			ctx := context.Background()
			testenv.Must(t, "hold", l.Hold(ctx, "chat:9", 300*time.Millisecond))
			// A shorter hold does not shorten the longer one.
			testenv.Must(t, "short hold", l.Hold(ctx, "chat:9", 10*time.Millisecond))
			res, err := l.Allow(ctx, "chat:9", rule)
			testenv.Must(t, "allow", err)
			if res.Allowed || !res.Held {
				t.Fatalf("held key: got %+v, want held", res)
			}
			if res.RetryAfter < 200*time.Millisecond || res.RetryAfter > 300*time.Millisecond {
				t.Errorf("RetryAfter = %s, want about 300ms", res.RetryAfter)
			}
			other, err := l.Allow(ctx, "chat:10", rule)
			testenv.Must(t, "allow other", err)
			if !other.Allowed {
				t.Errorf("hold leaked to another key: %+v", other)
			}
			start := time.Now()
			ctx2, cancel := context.WithTimeout(ctx, 3*time.Second)
			defer cancel()
			testenv.Must(t, "wait", l.Wait(ctx2, "chat:9", rule))
			if waited := time.Since(start); waited < 200*time.Millisecond {
				t.Errorf("Wait returned after %s, before the hold ended", waited)
			}
			// The hold did not spend the budget: the rest of the burst is there.
			res, err = l.Allow(ctx, "chat:9", rule)
			testenv.Must(t, "allow after hold", err)
			if !res.Allowed || res.Keys[0].Remaining != 3 {
				t.Errorf("after hold: got %+v, want allowed with 3 remaining", res)
			}
		})
	}
}

func TestAllowAllIsAllOrNothing(t *testing.T) {
	chat := Rule{Rate: 1, Per: time.Second, Burst: 1}
	global := Rule{Rate: 1000, Per: time.Second, Burst: 10}
	for name, mk := range implementations(t) {
		t.Run(name, func(t *testing.T) {
			l := mk(t)
			ctx := context.Background()
			both := []Take{{Key: "chat:1", Rule: chat}, {Key: "global", Rule: global}}
			res, err := l.AllowAll(ctx, both)
			testenv.Must(t, "first", err)
			if !res.Allowed || len(res.Keys) != 2 || res.Keys[0].Remaining != 0 || res.Keys[1].Remaining != 9 {
				t.Fatalf("first take: %+v", res)
			}
			// The chat is spent: nothing may be taken from the global key either.
			res, err = l.AllowAll(ctx, both)
			testenv.Must(t, "second", err)
			if res.Allowed || res.RetryAfter <= 900*time.Millisecond {
				t.Fatalf("second take: %+v, want refused for about 1s", res)
			}
			res, err = l.Allow(ctx, "global", global)
			testenv.Must(t, "global alone", err)
			if !res.Allowed || res.Keys[0].Remaining != 8 {
				t.Errorf("global after a refused AllowAll: %+v, want 8 remaining (nothing was taken)", res)
			}
			// A held key refuses the whole take and says so.
			testenv.Must(t, "hold", l.Hold(ctx, "global", 2*time.Second))
			res, err = l.AllowAll(ctx, []Take{{Key: "chat:2", Rule: chat}, {Key: "global", Rule: global}})
			testenv.Must(t, "held", err)
			if res.Allowed || !res.Held || res.RetryAfter < 1500*time.Millisecond {
				t.Errorf("take with a held key: %+v", res)
			}
			if res, _ := l.Allow(ctx, "chat:2", chat); !res.Allowed {
				t.Errorf("chat:2 was spent by a refused AllowAll")
			}
		})
	}
}

// TestNoWindowExceedsRate checks the interval is rounded up: with burst 1,
// events granted back to back never number more than Rate in any window of
// length Per (30/s would otherwise allow a 31st event at 0.99999 s).
func TestNoWindowExceedsRate(t *testing.T) {
	now := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	m := NewMemory(WithNow(func() time.Time { return now }))
	rule := PerSecond(30, 1)
	var granted []time.Time
	for len(granted) < 31 {
		res, err := m.Allow(context.Background(), "global", rule)
		testenv.Must(t, "allow", err)
		if res.Allowed {
			granted = append(granted, now)
			continue
		}
		now = now.Add(res.RetryAfter)
	}
	if d := granted[30].Sub(granted[0]); d < time.Second {
		t.Errorf("31st event %s after the first, want at least 1s", d)
	}
}

func TestWaitHonoursContext(t *testing.T) {
	rule := Rule{Rate: 1, Per: time.Minute, Burst: 1}
	for name, mk := range implementations(t) {
		t.Run(name, func(t *testing.T) {
			l := mk(t)
			ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
			defer cancel()
			testenv.Must(t, "first", l.Wait(ctx, "slow", rule))
			start := time.Now()
			err := l.Wait(ctx, "slow", rule)
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("Wait = %v, want deadline exceeded", err)
			}
			if time.Since(start) > time.Second {
				t.Errorf("Wait ignored the deadline for %s", time.Since(start))
			}
		})
	}
}

func TestInvalidRule(t *testing.T) {
	tests := []struct {
		name string
		rule Rule
	}{
		{name: "zero rate", rule: Rule{Rate: 0, Per: time.Second, Burst: 1}},
		{name: "zero period", rule: Rule{Rate: 1, Burst: 1}},
		{name: "zero burst", rule: Rule{Rate: 1, Per: time.Second}},
		{name: "too fast", rule: Rule{Rate: 10, Per: time.Nanosecond, Burst: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.rule.Validate(); err == nil {
				t.Errorf("Validate(%v) = nil", tt.rule)
			}
			if _, err := NewMemory().Allow(context.Background(), "k", tt.rule); err == nil {
				t.Errorf("Allow accepted %v", tt.rule)
			}
		})
	}
}

func TestMemoryExactWithFakeClock(t *testing.T) {
	now := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	m := NewMemory(WithNow(func() time.Time { return now }))
	ctx := context.Background()
	group := PerMinute(20, 1) // one message every 3 s
	steps := []struct {
		name    string
		advance time.Duration
		allowed bool
		retry   time.Duration
	}{
		{name: "first", allowed: true},
		{name: "immediately after", allowed: false, retry: 3 * time.Second},
		{name: "2.9s later", advance: 2900 * time.Millisecond, allowed: false, retry: 100 * time.Millisecond},
		{name: "3s after the first", advance: 100 * time.Millisecond, allowed: true},
		{name: "long idle", advance: time.Hour, allowed: true},
	}
	for _, s := range steps {
		now = now.Add(s.advance)
		res, err := m.Allow(ctx, "group:-100", group)
		testenv.Must(t, s.name, err)
		if res.Allowed != s.allowed || res.RetryAfter != s.retry {
			t.Errorf("%s: got %+v, want allowed=%v retry=%s", s.name, res, s.allowed, s.retry)
		}
	}
	// Idle full buckets are forgotten at the next sweep.
	testenv.Must(t, "hold", m.Hold(ctx, "held", time.Hour))
	now = now.Add(2 * time.Minute)
	if _, err := m.Allow(ctx, "other", group); err != nil {
		t.Fatal(err)
	}
	if got := m.Len(); got != 2 { // "other" just used, "held" still held
		t.Errorf("after sweep %d keys remembered, want 2", got)
	}
}

func TestRedisSharedAcrossClients(t *testing.T) {
	c, prefix := testenv.Redis(t)
	other := redis.NewClient(&redis.Options{Addr: c.Options().Addr, DB: c.Options().DB})
	t.Cleanup(func() { other.Close() })
	a, b := NewRedis(c, prefix), NewRedis(other, prefix)
	ctx := context.Background()
	rule := PerMinute(2, 2)
	for i, l := range []Limiter{a, b} {
		res, err := l.Allow(ctx, "global", rule)
		testenv.Must(t, "allow", err)
		if !res.Allowed {
			t.Fatalf("event %d refused: %+v", i+1, res)
		}
	}
	res, err := a.Allow(ctx, "global", rule)
	testenv.Must(t, "allow", err)
	if res.Allowed {
		t.Errorf("third event allowed although two clients already spent the burst of 2")
	}
	// Times are stored as exact integer microseconds, not Lua's 14-digit floats.
	tat, err := c.HGet(ctx, prefix+"global", "tat").Result()
	testenv.Must(t, "read tat", err)
	if _, err := strconv.ParseInt(tat, 10, 64); err != nil || len(tat) < 16 {
		t.Errorf("stored tat %q is not an exact microsecond count", tat)
	}
	if ttl := c.PTTL(ctx, prefix+"global").Val(); ttl <= 0 || ttl > 2*time.Minute {
		t.Errorf("key TTL %s, want it to expire once idle", ttl)
	}
	testenv.Must(t, "hold", b.Hold(ctx, "chat:5", time.Minute))
	res, err = a.Allow(ctx, "chat:5", rule)
	testenv.Must(t, "allow held", err)
	if !res.Held {
		t.Errorf("a hold placed through one client was not seen by the other: %+v", res)
	}
	// Another prefix is another budget.
	res, err = NewRedis(c, prefix+"other:").Allow(ctx, "global", rule)
	testenv.Must(t, "allow other prefix", err)
	if !res.Allowed {
		t.Errorf("another prefix shared the budget: %+v", res)
	}
}

func TestFallback(t *testing.T) {
	c, prefix := testenv.Redis(t)
	broken := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", MaxRetries: -1, DialTimeout: 100 * time.Millisecond})
	t.Cleanup(func() { broken.Close() })
	rule := PerSecond(1, 1)
	ctx := context.Background()

	t.Run("primary down", func(t *testing.T) {
		secondary := NewMemory()
		f := NewFallback(NewRedis(broken, prefix), secondary, nil)
		res, err := f.Allow(ctx, "k", rule)
		if err != nil || !res.Allowed {
			t.Fatalf("Allow = %+v, %v; want allowed by the secondary", res, err)
		}
		res, err = f.Allow(ctx, "k", rule)
		if err != nil || res.Allowed {
			t.Fatalf("second Allow = %+v, %v; want limited by the secondary", res, err)
		}
		testenv.Must(t, "hold", f.Hold(ctx, "h", time.Minute))
		if res, _ := secondary.Allow(ctx, "h", rule); !res.Held {
			t.Errorf("hold did not reach the secondary")
		}
	})
	t.Run("primary up", func(t *testing.T) {
		secondary := NewMemory()
		f := NewFallback(NewRedis(c, prefix), secondary, nil)
		if res, err := f.Allow(ctx, "k2", rule); err != nil || !res.Allowed {
			t.Fatalf("Allow = %+v, %v", res, err)
		}
		if secondary.Len() != 0 {
			t.Errorf("secondary used while the primary works")
		}
	})
	t.Run("context error is not a failure", func(t *testing.T) {
		secondary := NewMemory()
		f := NewFallback(NewRedis(c, prefix), secondary, nil)
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		if _, err := f.Allow(cctx, "k3", rule); !errors.Is(err, context.Canceled) {
			t.Errorf("Allow on a cancelled context = %v, want context.Canceled", err)
		}
		if secondary.Len() != 0 {
			t.Errorf("secondary used for a cancelled context")
		}
	})
}

// checkSpacing fails when any run of events is denser than rule allows:
// n events need at least (n-Burst) intervals between the first and the last.
// The stamps are taken after Wait returns, so a goroutine scheduled late makes
// its event look later than it was granted; 10 ms of slack absorbs that (the
// rules tested space events 50 ms apart or more).
func checkSpacing(t *testing.T, stamps []time.Time, rule Rule) {
	t.Helper()
	const slack = 10 * time.Millisecond
	for i := range stamps {
		for j := i + rule.Burst; j < len(stamps); j++ {
			need := time.Duration(j-i+1-rule.Burst) * rule.Interval()
			if got := stamps[j].Sub(stamps[i]); got < need-slack {
				t.Errorf("events %d..%d within %s, rule %s needs %s", i, j, got, rule, need)
			}
		}
	}
}
