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

// decide takes one event from every cell at the earliest instant at or after
// now that every cell allows (the slot), or from none. It returns the
// result, the slot and, when taken, each cell's new TAT.
//
// A cell allows an event once its hold is over and once its burst tolerance
// reaches the instant: tat - (burst-1)*interval. The slot is the latest of
// those over every cell, so the event is taken at the same instant from
// every cell, and each cell's TAT moves to max(tat, slot) + interval: one
// schedule per key, handed out back to back whenever callers arrive.
// With maxWait zero this is plain GCRA (AllowAll); with a positive maxWait it
// reserves a slot in the future (ReserveAll). Keys describe each cell as seen
// at the slot, so a reservation reads the same as an event allowed then.
//
// Nothing is taken when the slot is more than maxWait away (RetryAfter is
// then how far it is), nor when it would skip a whole interval or more of
// some cell's own schedule: a message held back by its chat's 1/s rule must
// not book the bot's global key a second ahead, which would keep every other
// chat off it meanwhile. RetryAfter then says when to ask again: half the
// shortest such interval before the slot, when (other callers permitting)
// the same slot skips less than an interval of every cell.
func decide(cells []cell, takes []Take, now, maxWait int64) (res Result, slot int64, tats []int64) {
	slot, held := now, false
	for i, c := range cells {
		interval, burst := intervalMicros(takes[i].Rule), int64(takes[i].Rule.Burst)
		if c.hold > slot {
			slot, held = c.hold, true
		}
		if allowAt := c.tat - (burst-1)*interval; allowAt > slot {
			slot, held = allowAt, false
		}
	}
	if slot-now > maxWait {
		return Result{RetryAfter: micros(slot - now), Held: held}, slot, nil
	}
	retryAt := now
	for i, c := range cells {
		interval := intervalMicros(takes[i].Rule)
		if slot-max(now, c.hold, c.tat) >= interval {
			retryAt = max(retryAt, slot-interval/2)
		}
	}
	if retryAt > now {
		return Result{RetryAfter: micros(retryAt - now), Held: held}, slot, nil
	}
	res = Result{Allowed: true, Keys: make([]KeyState, len(cells))}
	tats = make([]int64, len(cells))
	for i, c := range cells {
		interval, burst := intervalMicros(takes[i].Rule), int64(takes[i].Rule.Burst)
		tats[i] = max(c.tat, slot) + interval
		res.Keys[i] = KeyState{
			Remaining:  int((slot + burst*interval - tats[i]) / interval),
			ResetAfter: micros(tats[i] - slot),
		}
	}
	return res, slot, tats
}

func micros(n int64) time.Duration { return time.Duration(n) * time.Microsecond }
