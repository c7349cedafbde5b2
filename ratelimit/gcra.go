package ratelimit

import "time"

// The GCRA in one place for Memory; redis.go's Lua script is the same
// arithmetic, line for line, and the tests run both through the same cases.
// Times are integer microseconds: exact in Lua's doubles too.

// cell is one key's state: the theoretical arrival time of the event after
// the last one taken, and the end of a hold.
type cell struct {
	tat  int64
	hold int64
}

// intervalMicros is the spacing of a rule's events, rounded up so that no
// window of length Per ever holds more than Rate events (plus the burst).
func intervalMicros(r Rule) int64 {
	per, rate := r.Per.Microseconds(), int64(r.Rate)
	return (per + rate - 1) / rate
}

// decide takes one event from every cell at now, or from none. It returns the
// result and, when allowed, each cell's new TAT.
func decide(cells []cell, takes []Take, now int64) (Result, []int64) {
	var wait int64
	held := false
	tats := make([]int64, len(cells))
	for i, c := range cells {
		interval, burst := intervalMicros(takes[i].Rule), int64(takes[i].Rule.Burst)
		if c.hold > now {
			if c.hold-now > wait {
				wait, held = c.hold-now, true
			}
			continue
		}
		tat := max(c.tat, now)
		if allowAt := tat - (burst-1)*interval; allowAt > now {
			if allowAt-now > wait {
				wait, held = allowAt-now, false
			}
		}
		tats[i] = tat + interval
	}
	if wait > 0 {
		return Result{RetryAfter: micros(wait), Held: held}, nil
	}
	res := Result{Allowed: true, Keys: make([]KeyState, len(cells))}
	for i, t := range takes {
		interval, burst := intervalMicros(t.Rule), int64(t.Rule.Burst)
		res.Keys[i] = KeyState{
			Remaining:  int((now + burst*interval - tats[i]) / interval),
			ResetAfter: micros(tats[i] - now),
		}
	}
	return res, tats
}

func micros(n int64) time.Duration { return time.Duration(n) * time.Microsecond }
