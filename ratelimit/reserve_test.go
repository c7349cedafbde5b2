package ratelimit

import (
	"context"
	"errors"
	"math/rand/v2"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/anttbot/anttbot/internal/testenv"
)

// slotted is a Reserver under test that also tells the start of each
// reserved slot, in µs on the limiter's own clock, so that tests can assert
// the schedule exactly: Memory on a fake clock, Redis on Redis's clock.
type slotted struct {
	Limiter
	// reserve is ReserveAll plus the slot (the time asked plus Delay).
	reserve func(t *testing.T, takes []Take, maxWait time.Duration) (Reservation, int64)
	// advance lets d pass: the fake clock moves, or the test sleeps.
	advance func(d time.Duration)
	// tol is how far a Delay or RetryAfter may fall short of the exact value:
	// the time that passes between two calls on a real clock.
	tol time.Duration
}

func slottedImplementations() map[string]func(t *testing.T) *slotted {
	return map[string]func(t *testing.T) *slotted{
		"memory": func(t *testing.T) *slotted {
			now := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
			m := NewMemory(WithNow(func() time.Time { return now }))
			return &slotted{
				Limiter: m,
				reserve: func(t *testing.T, takes []Take, maxWait time.Duration) (Reservation, int64) {
					t.Helper()
					r, err := m.ReserveAll(context.Background(), takes, maxWait)
					testenv.Must(t, "reserve", err)
					return r, now.UnixMicro() + r.Delay.Microseconds()
				},
				advance: func(d time.Duration) { now = now.Add(d) },
			}
		},
		"redis": func(t *testing.T) *slotted {
			c, prefix := testenv.Redis(t)
			l := NewRedis(c, prefix)
			return &slotted{
				Limiter: l,
				reserve: func(t *testing.T, takes []Take, maxWait time.Duration) (Reservation, int64) {
					t.Helper()
					r, slot, err := l.reserve(context.Background(), takes, maxWait)
					testenv.Must(t, "reserve", err)
					return r, slot
				},
				advance: time.Sleep,
				tol:     100 * time.Millisecond,
			}
		},
	}
}

// within fails unless want-tol <= got <= want.
func within(t *testing.T, what string, got, want, tol time.Duration) {
	t.Helper()
	if got > want || got < want-tol {
		t.Errorf("%s = %s, want %s (at most %s less)", what, got, want, tol)
	}
}

// maxInWindow is the largest number of stamps in any window [s, s+w).
func maxInWindow(stamps []time.Time, w time.Duration) int {
	stamps = slices.SortedFunc(slices.Values(stamps), time.Time.Compare)
	best, j := 0, 0
	for i := range stamps {
		for j < len(stamps) && stamps[j].Sub(stamps[i]) < w {
			j++
		}
		best = max(best, j-i)
	}
	return best
}

// TestReserveBackToBackDespiteLateWakers plays several waiters on a fake
// clock: each reserves a slot, wakes up to 5 ms late, spends up to 10 ms
// sending, and reserves again. The slots are handed out exactly back to back
// on the rule's schedule, so lateness costs nothing: the run reaches the full
// rate and no one-second window holds more than the rule allows.
func TestReserveBackToBackDespiteLateWakers(t *testing.T) {
	for _, burst := range []int{1, 3} {
		t.Run("burst "+strconv.Itoa(burst), func(t *testing.T) {
			start := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
			now := start
			m := NewMemory(WithNow(func() time.Time { return now }))
			rule := PerSecond(30, burst)
			interval := micros(intervalMicros(rule)) // 33.334 ms
			takes := []Take{{Key: "global", Rule: rule}}
			rnd := rand.New(rand.NewPCG(1, uint64(burst)))

			const waiters, run = 8, 2 * time.Second
			asks := make([]time.Time, waiters) // when each waiter asks next
			for i := range asks {
				asks[i] = start
			}
			var slots []time.Time
			for {
				w := 0
				for i := range asks {
					if asks[i].Before(asks[w]) {
						w = i
					}
				}
				if now = asks[w]; now.Sub(start) >= run {
					break
				}
				r, err := m.ReserveAll(context.Background(), takes, NoMaxWait)
				testenv.Must(t, "reserve", err)
				if !r.Allowed {
					t.Fatalf("reservation refused without a max wait: %+v", r)
				}
				slot := now.Add(r.Delay)
				slots = append(slots, slot)
				late := time.Duration(rnd.Int64N(5000)+rnd.Int64N(10000)) * time.Microsecond
				asks[w] = slot.Add(late)
			}

			// Exactly the GCRA schedule: the burst at the start, then one
			// slot every interval, whoever woke late.
			inRun := 0
			for k, slot := range slots {
				want := start.Add(time.Duration(max(0, k-(burst-1))) * interval)
				if !slot.Equal(want) {
					t.Fatalf("slot %d at %s, want %s", k, slot.Sub(start), want.Sub(start))
				}
				if slot.Sub(start) < run {
					inRun++
				}
			}
			limit := rule.Rate + burst - 1 // GCRA: the burst, then Rate a second
			if n := maxInWindow(slots, time.Second); n > limit {
				t.Errorf("%d slots within one second, want at most %d", n, limit)
			}
			wantRun := int(run/interval) + burst // 60 slots in 2 s, plus the burst
			if inRun != wantRun {
				t.Errorf("%d slots in %s, want %d", inRun, run, wantRun)
			}
			if rate := float64(inRun-(burst-1)) / run.Seconds(); rate < 0.95*float64(rule.Rate) {
				t.Errorf("achieved %.2f/s, want at least 95%% of %d/s", rate, rule.Rate)
			}
		})
	}
}

// TestWaitAllKeepsFullRate: concurrent waiters on one key at 30/s burst 1,
// on a real clock. The sends reach at least 95% of the rule's rate over the
// run, and no one-second window holds more than Rate+Burst of them (the
// slots hold at most Rate; one more only if the goroutines wake unevenly).
func TestWaitAllKeepsFullRate(t *testing.T) {
	rule := PerSecond(30, 1)
	const waiters, sends = 8, 60 // about 2 s
	for name, mk := range implementations(t) {
		t.Run(name, func(t *testing.T) {
			l := mk(t)
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			var (
				tickets atomic.Int64
				mu      sync.Mutex
				stamps  []time.Time
				wg      sync.WaitGroup
			)
			for range waiters {
				wg.Go(func() {
					for tickets.Add(1) <= sends {
						if _, err := WaitAll(ctx, l, []Take{{Key: "global", Rule: rule}}); err != nil {
							t.Error(err)
							return
						}
						mu.Lock()
						stamps = append(stamps, time.Now())
						mu.Unlock()
					}
				})
			}
			wg.Wait()
			if len(stamps) != sends {
				t.Fatalf("%d sends, want %d", len(stamps), sends)
			}
			slices.SortFunc(stamps, time.Time.Compare)
			if n := maxInWindow(stamps, time.Second); n > rule.Rate+rule.Burst {
				t.Errorf("%d sends within one second, want at most %d", n, rule.Rate+rule.Burst)
			}
			span := stamps[len(stamps)-1].Sub(stamps[0])
			rate := float64(len(stamps)-1) / span.Seconds()
			t.Logf("%d sends in %s: %.2f/s against %d/s (%.1f%%)", len(stamps), span.Round(time.Millisecond), rate, rule.Rate, 100*rate/float64(rule.Rate))
			if rate < 0.95*float64(rule.Rate) {
				t.Errorf("achieved %.2f/s, want at least 95%% of %d/s", rate, rule.Rate)
			}
		})
	}
}

// TestRedisReplicasNeverShareASlot: two clients (two replicas) reserve on one
// key at once. Every slot is distinct and they follow each other exactly one
// interval apart, on Redis's clock. A hold makes the schedule start 500 ms
// ahead, so that it does not depend on how fast the calls are.
func TestRedisReplicasNeverShareASlot(t *testing.T) {
	c, prefix := testenv.Redis(t)
	other := redis.NewClient(&redis.Options{Addr: c.Options().Addr, DB: c.Options().DB})
	t.Cleanup(func() { other.Close() })
	replicas := []*Redis{NewRedis(c, prefix), NewRedis(other, prefix)}
	ctx := context.Background()
	rule := PerSecond(30, 1)
	testenv.Must(t, "hold", replicas[0].Hold(ctx, "global", 500*time.Millisecond))

	const perReplica, goroutines = 30, 4
	var (
		mu    sync.Mutex
		slots []int64
		wg    sync.WaitGroup
	)
	for _, l := range replicas {
		var left atomic.Int64
		left.Store(perReplica)
		for range goroutines {
			wg.Go(func() {
				for left.Add(-1) >= 0 {
					r, slot, err := l.reserve(ctx, []Take{{Key: "global", Rule: rule}}, NoMaxWait)
					if err != nil || !r.Allowed {
						t.Errorf("reserve: %+v, %v", r, err)
						return
					}
					mu.Lock()
					slots = append(slots, slot)
					mu.Unlock()
				}
			})
		}
	}
	wg.Wait()
	if len(slots) != 2*perReplica {
		t.Fatalf("%d slots, want %d", len(slots), 2*perReplica)
	}
	slices.Sort(slots)
	for i := 1; i < len(slots); i++ {
		if d := slots[i] - slots[i-1]; d != intervalMicros(rule) {
			t.Fatalf("slots %d and %d are %d µs apart, want exactly %d", i-1, i, d, intervalMicros(rule))
		}
	}
}

// TestReserveAllMultiRule: a send under a chat rule and a global rule gets
// one slot, the later of the two keys' next ones, and both keys are booked
// for that same instant.
func TestReserveAllMultiRule(t *testing.T) {
	global := PerSecond(10, 1) // 100 ms apart: clear of the real clock's noise
	for name, mk := range slottedImplementations() {
		t.Run(name, func(t *testing.T) {
			s := mk(t)
			gI := global.Interval()

			t.Run("global sets the slot", func(t *testing.T) {
				chat := PerSecond(1, 1)
				g := Take{Key: "global:a", Rule: global}
				_, g0 := s.reserve(t, []Take{g}, NoMaxWait)
				for k := int64(1); k <= 2; k++ {
					if _, slot := s.reserve(t, []Take{g}, NoMaxWait); slot != g0+k*gI.Microseconds() {
						t.Fatalf("global slot %d at %+d µs, want %d intervals after the first", k, slot-g0, k)
					}
				}
				r, slot := s.reserve(t, []Take{{Key: "chat:a", Rule: chat}, g}, NoMaxWait)
				if !r.Allowed || slot != g0+3*gI.Microseconds() {
					t.Fatalf("chat+global: %+v at %+d µs, want the global's next slot %d µs", r, slot-g0, 3*gI.Microseconds())
				}
				within(t, "Delay", r.Delay, 3*gI, s.tol)
				// As seen at the slot, each key has just had one event.
				if want := []KeyState{{Remaining: 0, ResetAfter: time.Second}, {Remaining: 0, ResetAfter: gI}}; !slices.Equal(r.Keys, want) {
					t.Errorf("Keys = %+v, want %+v", r.Keys, want)
				}
				// The chat was booked at the same instant as the global.
				if _, next := s.reserve(t, []Take{{Key: "chat:a", Rule: chat}}, NoMaxWait); next != slot+time.Second.Microseconds() {
					t.Errorf("chat's next slot %+d µs after the shared one, want 1 s", next-slot)
				}
				if _, next := s.reserve(t, []Take{g}, NoMaxWait); next != slot+gI.Microseconds() {
					t.Errorf("global's next slot %+d µs after the shared one, want one interval", next-slot)
				}
			})

			t.Run("chat sets the slot", func(t *testing.T) {
				chat := PerSecond(5, 1) // 200 ms apart
				c, g := Take{Key: "chat:b", Rule: chat}, Take{Key: "global:b", Rule: global}
				_, c0 := s.reserve(t, []Take{c}, 0)
				// The chat's slot is two global intervals away: booking the
				// global that far ahead would idle it for every other chat.
				// Nothing is taken; ask again half a global interval before.
				r, _ := s.reserve(t, []Take{c, g}, NoMaxWait)
				if r.Allowed {
					t.Fatalf("chat+global with the chat 200 ms ahead: %+v, want refused for now", r)
				}
				within(t, "RetryAfter", r.RetryAfter, chat.Interval()-gI/2, s.tol)
				if r2, _ := s.reserve(t, []Take{c}, 0); r2.Allowed || r2.RetryAfter > chat.Interval() {
					t.Errorf("the refusal took from the chat: %+v", r2)
				}
				// The global is free now: the refusal took nothing from it.
				if r2, _ := s.reserve(t, []Take{g}, 0); !r2.Allowed {
					t.Fatalf("the refusal took from the global: %+v", r2)
				}
				s.advance(r.RetryAfter)
				r, slot := s.reserve(t, []Take{c, g}, NoMaxWait)
				if !r.Allowed || slot < c0+chat.Interval().Microseconds() {
					t.Fatalf("chat+global when asked again: %+v at %+d µs, want the chat's next slot %d µs", r, slot-c0, chat.Interval().Microseconds())
				}
				if s.tol == 0 && slot != c0+chat.Interval().Microseconds() {
					t.Errorf("slot at %+d µs, want exactly the chat's next one", slot-c0)
				}
				if r.Delay > gI/2 {
					t.Errorf("Delay = %s, want at most half a global interval", r.Delay)
				}
				if want := []KeyState{{Remaining: 0, ResetAfter: chat.Interval()}, {Remaining: 0, ResetAfter: gI}}; !slices.Equal(r.Keys, want) {
					t.Errorf("Keys = %+v, want %+v", r.Keys, want)
				}
				if _, next := s.reserve(t, []Take{c}, NoMaxWait); next != slot+chat.Interval().Microseconds() {
					t.Errorf("chat's next slot %+d µs after the shared one, want one chat interval", next-slot)
				}
				if _, next := s.reserve(t, []Take{g}, NoMaxWait); next != slot+gI.Microseconds() {
					t.Errorf("global's next slot %+d µs after the shared one, want one global interval", next-slot)
				}
			})
		})
	}
}

// TestReserveBeyondMaxWaitTakesNothing: a slot further away than the caller
// would wait is refused and costs no key anything.
func TestReserveBeyondMaxWaitTakesNothing(t *testing.T) {
	for name, mk := range slottedImplementations() {
		t.Run(name, func(t *testing.T) {
			s := mk(t)
			k := Take{Key: "k", Rule: PerSecond(2, 1)} // 500 ms apart
			g := Take{Key: "g", Rule: PerSecond(100, 5)}
			_, s0 := s.reserve(t, []Take{k}, NoMaxWait)
			r, _ := s.reserve(t, []Take{k, g}, 100*time.Millisecond)
			if r.Allowed {
				t.Fatalf("slot 500 ms away taken with a max wait of 100 ms: %+v", r)
			}
			within(t, "RetryAfter", r.RetryAfter, 500*time.Millisecond, s.tol)
			if _, next := s.reserve(t, []Take{k}, NoMaxWait); next != s0+500_000 {
				t.Errorf("next slot %+d µs after the first, want 500 ms: the refusal took one", next-s0)
			}
			if r, _ := s.reserve(t, []Take{g}, 0); !r.Allowed || r.Keys[0].Remaining != 4 {
				t.Errorf("other key after the refusal: %+v, want its whole burst (4 left)", r)
			}
			// A max wait of zero is AllowAll; a negative one counts as zero.
			if r, _ := s.reserve(t, []Take{{Key: "z", Rule: k.Rule}}, -time.Second); !r.Allowed || r.Delay != 0 {
				t.Errorf("idle key with a negative max wait: %+v, want allowed now", r)
			}

			// WaitAll refuses a slot past ctx's deadline at once.
			m := Take{Key: "m", Rule: PerMinute(1, 1)}
			_, m0 := s.reserve(t, []Take{m}, NoMaxWait)
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
			defer cancel()
			start := time.Now()
			_, err := WaitAll(ctx, s.Limiter, []Take{m})
			if !errors.Is(err, ErrBeyondDeadline) || !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("WaitAll = %v, want ErrBeyondDeadline (a context.DeadlineExceeded)", err)
			}
			if d := time.Since(start); d > time.Second {
				t.Errorf("WaitAll took %s to refuse a slot a minute away", d)
			}
			if _, next := s.reserve(t, []Take{m}, NoMaxWait); next != m0+time.Minute.Microseconds() {
				t.Errorf("next slot %+d µs after the first, want 1 min: the refused wait took one", next-m0)
			}
		})
	}
}

// TestReservationCancel: a cancelled slot comes back on each key where no
// later slot was taken since, and is lost (never handed out twice) elsewhere.
func TestReservationCancel(t *testing.T) {
	ctx := context.Background()
	for name, mk := range slottedImplementations() {
		t.Run(name, func(t *testing.T) {
			s := mk(t)
			c := Take{Key: "c", Rule: PerSecond(1, 1)}
			sec := time.Second.Microseconds()
			_, s0 := s.reserve(t, []Take{c}, NoMaxWait)
			r1, _ := s.reserve(t, []Take{c}, NoMaxWait) // s0+1s
			_, _ = s.reserve(t, []Take{c}, NoMaxWait)   // s0+2s
			testenv.Must(t, "cancel r1", r1.Cancel(ctx))
			r3, s3 := s.reserve(t, []Take{c}, NoMaxWait)
			if s3 != s0+3*sec {
				t.Fatalf("after cancelling a slot with a later one behind it: next at %+d µs, want 3 s (it is lost)", s3-s0)
			}
			testenv.Must(t, "cancel r3", r3.Cancel(ctx))
			r4, s4 := s.reserve(t, []Take{c}, NoMaxWait)
			if s4 != s0+3*sec {
				t.Fatalf("after cancelling the last slot: next at %+d µs, want 3 s again (given back)", s4-s0)
			}
			testenv.Must(t, "cancel r4", r4.Cancel(ctx))
			_, s5 := s.reserve(t, []Take{c}, NoMaxWait)
			// r4 and r5 booked the same TAT: a second Cancel must not free r5's slot.
			testenv.Must(t, "cancel r4 again", r4.Cancel(ctx))
			if _, s6 := s.reserve(t, []Take{c}, NoMaxWait); s5 != s0+3*sec || s6 != s0+4*sec {
				t.Errorf("slots at %+d and %+d µs, want 3 s and 4 s", s5-s0, s6-s0)
			}
			refused, _ := s.reserve(t, []Take{c}, 0)
			testenv.Must(t, "cancel a refusal", refused.Cancel(ctx))

			// Several keys: each gets its slot back where it can.
			a, g := Take{Key: "a", Rule: PerSecond(1, 1)}, Take{Key: "g", Rule: PerSecond(10, 1)}
			for range 3 {
				_, _ = s.reserve(t, []Take{g}, NoMaxWait) // g booked 300 ms ahead
			}
			ra, sa := s.reserve(t, []Take{a, g}, NoMaxWait)
			if !ra.Allowed || ra.Delay == 0 {
				t.Fatalf("a+g: %+v, want a slot after g's bookings", ra)
			}
			_, _ = s.reserve(t, []Take{g}, NoMaxWait) // a slot behind ra's, on g only
			testenv.Must(t, "cancel a+g", ra.Cancel(ctx))
			if r, _ := s.reserve(t, []Take{a}, NoMaxWait); !r.Allowed || r.Delay != 0 {
				t.Errorf("a after the cancel: %+v, want free now (its slot given back)", r)
			}
			if _, next := s.reserve(t, []Take{g}, NoMaxWait); next != sa+2*100_000 {
				t.Errorf("g: next slot %+d µs after the cancelled one, want 200 ms (lost)", next-sa)
			}
		})
	}
}

// TestWaitAllCancelledWhileSleeping: WaitAll returns ctx's error as soon as
// it is cancelled, and its slot is given back.
func TestWaitAllCancelledWhileSleeping(t *testing.T) {
	rule := PerSecond(1, 1)
	for name, mk := range implementations(t) {
		t.Run(name, func(t *testing.T) {
			l := mk(t)
			takes := []Take{{Key: "w", Rule: rule}}
			_, err := WaitAll(context.Background(), l, takes)
			testenv.Must(t, "first", err)
			ctx, cancel := context.WithCancel(context.Background())
			time.AfterFunc(50*time.Millisecond, cancel)
			start := time.Now()
			if _, err := WaitAll(ctx, l, takes); !errors.Is(err, context.Canceled) {
				t.Fatalf("WaitAll = %v, want context.Canceled", err)
			}
			if d := time.Since(start); d > 700*time.Millisecond {
				t.Errorf("WaitAll returned %s after the start, 50 ms after the cancel was due", d)
			}
			// Given back: the next slot is the one the cancelled wait had,
			// about 1 s after the first, not 2 s.
			r, err := l.(Reserver).ReserveAll(context.Background(), takes, NoMaxWait)
			testenv.Must(t, "reserve", err)
			if !r.Allowed || r.Delay >= time.Second {
				t.Errorf("after the cancelled wait: %+v, want the slot it had back (within 1 s)", r)
			}
		})
	}
}

// allowOnly hides ReserveAll: a Limiter that cannot reserve.
type allowOnly struct{ Limiter }

// TestWaitAllOnLimiterThatCannotReserve: WaitAll still paces a Limiter
// without ReserveAll, asking it again when it says.
func TestWaitAllOnLimiterThatCannotReserve(t *testing.T) {
	l := allowOnly{NewMemory()}
	if _, ok := Limiter(l).(Reserver); ok {
		t.Fatal("allowOnly is a Reserver")
	}
	rule := Rule{Rate: 20, Per: time.Second, Burst: 1}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var stamps []time.Time
	for range 4 {
		_, err := WaitAll(ctx, l, []Take{{Key: "k", Rule: rule}})
		testenv.Must(t, "wait", err)
		stamps = append(stamps, time.Now())
	}
	checkSpacing(t, stamps, rule)
	slow := []Take{{Key: "slow", Rule: PerMinute(1, 1)}}
	_, err := WaitAll(ctx, l, slow)
	testenv.Must(t, "first slow", err)
	if _, err := WaitAll(ctx, l, slow); !errors.Is(err, ErrBeyondDeadline) {
		t.Errorf("WaitAll = %v, want ErrBeyondDeadline", err)
	}
}

// TestFallbackReserves: a Fallback reserves on Redis, and on the secondary
// while Redis is down.
func TestFallbackReserves(t *testing.T) {
	c, prefix := testenv.Redis(t)
	broken := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", MaxRetries: -1, DialTimeout: 100 * time.Millisecond})
	t.Cleanup(func() { broken.Close() })
	takes := []Take{{Key: "k", Rule: PerSecond(2, 1)}}
	ctx := context.Background()
	for name, primary := range map[string]*Redis{"primary up": NewRedis(c, prefix), "primary down": NewRedis(broken, prefix)} {
		t.Run(name, func(t *testing.T) {
			secondary := NewMemory()
			f := NewFallback(primary, secondary, nil)
			// A failing primary costs a few hundred ms of dialling per call:
			// the second slot is one interval after the first, less that.
			for i := range 2 {
				r, err := f.ReserveAll(ctx, takes, NoMaxWait)
				testenv.Must(t, "reserve", err)
				if !r.Allowed || (i == 0) != (r.Delay == 0) || r.Delay > 500*time.Millisecond {
					t.Fatalf("reservation %d: %+v, want allowed, the first now and the second within 500 ms", i+1, r)
				}
			}
			if usedSecondary := secondary.Len() != 0; usedSecondary != (name == "primary down") {
				t.Errorf("secondary used: %v", usedSecondary)
			}
		})
	}
}
