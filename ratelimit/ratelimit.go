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
package ratelimit

import (
	"context"
	"errors"
	"fmt"
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

// WaitAll blocks until l grants one event from every take at once, and
// returns that Result; or returns ctx's error.
func WaitAll(ctx context.Context, l Limiter, takes []Take) (Result, error) {
	for {
		res, err := l.AllowAll(ctx, takes)
		if err != nil {
			return Result{}, err
		}
		if res.Allowed {
			return res, nil
		}
		if err := sleep(ctx, jitter(res.RetryAfter)); err != nil {
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

// jitter adds up to 5 ms so that callers woken for the same slot do not retry
// in lock step against the backend.
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
