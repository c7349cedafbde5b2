package ratelimit

import (
	"context"
	"sync"
	"time"
)

// Memory is an in-process Limiter. It is safe for concurrent use; keys idle
// long enough to be full again are forgotten, so the map does not grow with
// every chat ever served.
type Memory struct {
	now func() time.Time

	mu        sync.Mutex
	cells     map[string]*cell
	lastSweep int64
}

// MemoryOption configures a Memory limiter.
type MemoryOption func(*Memory)

// WithNow sets the clock Allow reads (tests); waiting still uses real timers.
func WithNow(now func() time.Time) MemoryOption { return func(m *Memory) { m.now = now } }

// NewMemory returns an empty in-process limiter.
func NewMemory(opts ...MemoryOption) *Memory {
	m := &Memory{now: time.Now, cells: make(map[string]*cell)}
	for _, o := range opts {
		o(m)
	}
	return m
}

// sweepEvery bounds how often AllowAll scans for forgettable keys (µs).
const sweepEvery = int64(time.Minute / time.Microsecond)

// AllowAll implements Limiter.
func (m *Memory) AllowAll(ctx context.Context, takes []Take) (Result, error) {
	r, err := m.ReserveAll(ctx, takes, 0)
	return r.Result, err
}

// ReserveAll implements Reserver.
func (m *Memory) ReserveAll(_ context.Context, takes []Take, maxWait time.Duration) (Reservation, error) {
	if err := validate(takes); err != nil {
		return Reservation{}, err
	}
	now := m.now().UnixMicro()
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sweep(now)
	cells := make([]cell, len(takes))
	for i, t := range takes {
		if c, ok := m.cells[t.Key]; ok {
			cells[i] = *c
		}
	}
	res, slot, tats := decide(cells, takes, now, max(maxWait, 0).Microseconds())
	if !res.Allowed {
		return Reservation{Result: res}, nil
	}
	for i, t := range takes {
		c, ok := m.cells[t.Key]
		if !ok {
			c = &cell{}
			m.cells[t.Key] = c
		}
		c.tat = tats[i]
	}
	return Reservation{Result: res, Delay: micros(slot - now), release: func(context.Context) error {
		m.release(takes, tats, cells)
		return nil
	}}, nil
}

// release gives a reserved slot back: each key whose TAT is still the one
// the reservation set (tats) goes back to the TAT before it (from cells).
// TATs only grow, so an equal TAT means nobody has reserved after it.
func (m *Memory) release(takes []Take, tats []int64, cells []cell) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for i, t := range takes {
		if c, ok := m.cells[t.Key]; ok && c.tat == tats[i] {
			c.tat = cells[i].tat
		}
	}
}

// Allow implements Limiter.
func (m *Memory) Allow(ctx context.Context, key string, r Rule) (Result, error) {
	return m.AllowAll(ctx, []Take{{Key: key, Rule: r}})
}

// Wait implements Limiter.
func (m *Memory) Wait(ctx context.Context, key string, r Rule) error {
	_, err := WaitAll(ctx, m, []Take{{Key: key, Rule: r}})
	return err
}

// Hold implements Limiter.
func (m *Memory) Hold(_ context.Context, key string, d time.Duration) error {
	till := m.now().UnixMicro() + d.Microseconds()
	m.mu.Lock()
	defer m.mu.Unlock()
	c, ok := m.cells[key]
	if !ok {
		c = &cell{}
		m.cells[key] = c
	}
	c.hold = max(c.hold, till)
	return nil
}

// sweep forgets keys whose TAT and hold have passed: a missing key behaves
// exactly the same.
func (m *Memory) sweep(now int64) {
	if now-m.lastSweep < sweepEvery {
		return
	}
	m.lastSweep = now
	for k, c := range m.cells {
		if c.tat <= now && c.hold <= now {
			delete(m.cells, k)
		}
	}
}

// Len returns how many keys are remembered (tests, metrics).
func (m *Memory) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.cells)
}
