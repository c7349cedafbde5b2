// Package ratelimit spaces out events per key (a chat, a group, a bot token)
// with the generic cell rate algorithm (GCRA): a Rule allows Rate events per
// Per on average and up to Burst of them back to back.
//
// Two implementations behave identically: Redis, so that every replica of the
// service draws from the same budget, and Memory, for one process and tests.
// Both can take an event from several keys at once, all or none (AllowAll):
// a message to a group must fit the group's, the chat's and the bot's budget
// at the same instant, or waiting on one key would let the others' slots go
// stale and the messages bunch up on the wire. A key can also be held for a
// while (after the platform answered "too many requests"), which makes every
// caller of that key wait, in every process sharing the limiter.
//
// Waiting (WaitAll, Wait) reserves: one call takes the next free slot on
// every key, for one instant, and the caller sleeps until that instant and
// goes without asking again (ReserveAll). Slots are handed out back to back
// on each key's schedule, so a waiter woken late does not push the schedule
// back, and busy keys run at their full rate without ever exceeding it.
package ratelimit

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"time"
)

// Rule allows Rate events per Per on average, and up to Burst at once.
type Rule struct {
	Rate  int
	Per   time.Duration
	Burst int
}

// PerSecond returns a Rule of n events a second with the given burst.
func PerSecond(n, burst int) Rule { return Rule{Rate: n, Per: time.Second, Burst: burst} }

// PerMinute returns a Rule of n events a minute with the given burst.
func PerMinute(n, burst int) Rule { return Rule{Rate: n, Per: time.Minute, Burst: burst} }

// Interval is the average time between two events.
func (r Rule) Interval() time.Duration { return r.Per / time.Duration(r.Rate) }

// Validate reports a rule that cannot be enforced.
func (r Rule) Validate() error {
	switch {
	case r.Rate < 1:
		return fmt.Errorf("ratelimit: rate %d must be at least 1", r.Rate)
	case r.Per <= 0:
		return fmt.Errorf("ratelimit: period %s must be positive", r.Per)
	case r.Burst < 1:
		return fmt.Errorf("ratelimit: burst %d must be at least 1", r.Burst)
	case r.Interval() < time.Microsecond:
		return fmt.Errorf("ratelimit: %d events per %s is too fast to measure", r.Rate, r.Per)
	}
	return nil
}

func (r Rule) String() string { return fmt.Sprintf("%d/%s burst %d", r.Rate, r.Per, r.Burst) }

// Take names one key to draw an event from, and its rule.
type Take struct {
	Key  string
	Rule Rule
}

// KeyState describes one key after an attempt, for decisions and metrics.
type KeyState struct {
	// Remaining is how many more events the key could take right now.
	Remaining int
	// ResetAfter is how long until the key is idle again (its whole burst
	// available). Right after an event on an idle key it is one Interval.
	ResetAfter time.Duration
}

// Result is the outcome of one attempt.
type Result struct {
	// Allowed is true when the event was taken (from every key).
	Allowed bool
	// RetryAfter is how long to wait before the attempt can succeed; zero when allowed.
	RetryAfter time.Duration
	// Held is true when a held key (see Limiter.Hold) is what makes the caller wait.
	Held bool
	// Keys is the state of each key, in the order asked, when Allowed.
	Keys []KeyState
}

// Limiter is a rate limiter keyed by strings.
type Limiter interface {
	// Allow takes one event for key if r allows it now; otherwise it says how
	// long to wait. It never blocks beyond one round trip to the backend.
	Allow(ctx context.Context, key string, r Rule) (Result, error)
	// AllowAll takes one event from every key at once if all allow it now,
	// and from none otherwise.
	AllowAll(ctx context.Context, takes []Take) (Result, error)
	// Wait blocks until key may have one more event under r, takes it and
	// returns nil; or returns ctx's error.
	Wait(ctx context.Context, key string, r Rule) error
	// Hold stops every event for key during d from now (a longer hold already
	// in place is kept), for every process sharing the limiter.
	Hold(ctx context.Context, key string, d time.Duration) error
}

// Reserver is implemented by the Limiters that can take a slot ahead of
// time: Memory, Redis and Fallback. WaitAll uses it when l has it.
type Reserver interface {
	// ReserveAll takes the next slot free on every key at once: the earliest
	// instant, now or later, at which every key allows one more event (its
	// hold over, its burst tolerance reached), taken from every key for that
	// same instant. The caller must sleep Delay and then go, without asking
	// again. When the slot is more than maxWait away, nothing is taken and
	// the Reservation is refused with RetryAfter set to how far it is.
	// A negative maxWait counts as zero, which makes it AllowAll.
	//
	// A slot nearer than maxWait may be refused too, with RetryAfter saying
	// when to ask again: when taking it would skip a whole interval or more
	// of one key's schedule (a chat's 1/s rule sets the slot a second ahead,
	// and the bot's global key would be booked that far, idle meanwhile for
	// every other chat), or when a Fallback part cannot reserve.
	ReserveAll(ctx context.Context, takes []Take, maxWait time.Duration) (Reservation, error)
}

// NoMaxWait makes ReserveAll take the next slot however far it is.
const NoMaxWait = time.Duration(math.MaxInt64)

// Reservation is the outcome of ReserveAll.
type Reservation struct {
	// Result is Allowed when the slot was taken from every key; its Keys then
	// describe each key as at the start of the slot, so they read as those of
	// an event allowed at that instant. When refused, RetryAfter is how long
	// until the slot would start, or when to ask again (see Reserver), and
	// Held whether a hold is what sets the slot.
	Result
	// Delay is how long after the limiter's decision the slot starts: zero
	// when it is now. For Redis it is measured on Redis's clock, so sleeping
	// Delay after the reply arrives never starts early.
	Delay time.Duration

	release func(ctx context.Context) error
	// polled marks the answer of a Limiter that cannot reserve (AllowAll).
	polled bool
}

// Cancel gives back a slot that will not be used. On each key the slot comes
// back only if no later slot has been taken there since; otherwise it is lost,
// which leaves the key idle for one interval and never lets it exceed its
// rule. It does nothing for a refused Reservation or when called again.
// A Reservation must not be cancelled from two goroutines at once.
func (r *Reservation) Cancel(ctx context.Context) error {
	release := r.release
	r.release = nil
	if release == nil {
		return nil
	}
	return release(ctx)
}

// reserveOn reserves on l when it can; otherwise it asks l.AllowAll, whose
// refusal then means "ask again after RetryAfter".
func reserveOn(ctx context.Context, l Limiter, takes []Take, maxWait time.Duration) (Reservation, error) {
	if r, ok := l.(Reserver); ok {
		return r.ReserveAll(ctx, takes, maxWait)
	}
	res, err := l.AllowAll(ctx, takes)
	return Reservation{Result: res, polled: true}, err
}

// ErrBeyondDeadline is returned (wrapped) by WaitAll when the next free slot
// starts after ctx's deadline: nothing is taken and WaitAll returns at once
// instead of waiting for a slot it could not use. It wraps
// context.DeadlineExceeded.
var ErrBeyondDeadline = fmt.Errorf("ratelimit: next free slot is past the deadline: %w", context.DeadlineExceeded)

// releaseTimeout bounds giving a slot back after the caller's ctx ended.
const releaseTimeout = time.Second

// WaitAll blocks until l grants one event from every take at once, and
// returns that Result; or returns ctx's error.
//
// When l is a Reserver (Memory, Redis and Fallback are), WaitAll reserves
// the next free slot (ReserveAll), sleeps until it starts and returns,
// without asking l again: one round trip per event, and slots handed out
// back to back, so a busy key runs at its full rate however late the
// sleepers wake. A slot further away than ctx's deadline is not taken:
// WaitAll returns ErrBeyondDeadline at once (to give up after a maximum
// wait, give ctx that deadline). When ctx ends during the sleep, the slot is
// given back where nobody has reserved after it (see Reservation.Cancel),
// and lost otherwise.
//
// A slot that would book some key far past its own schedule is asked for
// again shortly before it starts (see Reserver). A hold placed after a slot
// was reserved does not recall it: at most one slot per waiter, reserved
// before the hold, may still be used during it. A Limiter that cannot
// reserve is asked again whenever it said to retry, with a little jitter.
// The Result's Keys describe each key as at the granted slot.
func WaitAll(ctx context.Context, l Limiter, takes []Take) (Result, error) {
	for {
		maxWait := NoMaxWait
		if deadline, ok := ctx.Deadline(); ok {
			maxWait = max(time.Until(deadline), 0)
		}
		r, err := reserveOn(ctx, l, takes, maxWait)
		if err != nil {
			return Result{}, err
		}
		if r.Allowed {
			if r.Delay > 0 {
				if err := sleep(ctx, r.Delay); err != nil {
					rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), releaseTimeout)
					_ = r.Cancel(rctx) // best effort: a slot not given back is only lost
					cancel()
					return Result{}, err
				}
			}
			return r.Result, nil
		}
		if r.RetryAfter > maxWait {
			return Result{}, fmt.Errorf("%w (in %s)", ErrBeyondDeadline, r.RetryAfter)
		}
		// Not yet: ask again when told. A Limiter that cannot reserve only
		// knows the earliest time worth asking, when every waiter would ask.
		wait := r.RetryAfter
		if r.polled {
			wait = jitter(wait)
		}
		if err := sleep(ctx, wait); err != nil {
			return Result{}, err
		}
	}
}

// validate checks every take.
func validate(takes []Take) error {
	if len(takes) == 0 {
		return errors.New("ratelimit: nothing to take")
	}
	for _, t := range takes {
		if err := t.Rule.Validate(); err != nil {
			return fmt.Errorf("ratelimit: key %s: %w", t.Key, err)
		}
	}
	return nil
}

// jitter adds up to 5 ms so that callers of a Limiter that cannot reserve,
// woken for the same slot, do not retry in lock step against the backend.
func jitter(d time.Duration) time.Duration {
	return max(d, time.Millisecond) + rand.N(5*time.Millisecond)
}

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// errCtx reports whether err only says the caller gave up, which is no reason
// to fall back to another limiter.
func errCtx(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}
