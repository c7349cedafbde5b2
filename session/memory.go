package session

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"
)

// Memory is an in-process Store for the single-replica embedded default and
// for tests. Its contents die with the process.
type Memory struct {
	now func() time.Time

	mu        sync.Mutex
	recs      map[string]memRecord
	wake      []wakeEntry // sorted by (at, key)
	seq       int64
	lastSweep time.Time
}

type memRecord struct {
	data    []byte
	version int64
	expires time.Time // zero: never
	wake    int64     // Unix ms, 0: none
}

type wakeEntry struct {
	at  int64
	key string
}

func cmpWake(a, b wakeEntry) int {
	if a.at != b.at {
		if a.at < b.at {
			return -1
		}
		return 1
	}
	switch {
	case a.key < b.key:
		return -1
	case a.key > b.key:
		return 1
	}
	return 0
}

// MemoryOption configures a Memory store.
type MemoryOption func(*Memory)

// WithClock makes the store read the time from now, so tests can move time
// forward to expire sessions.
func WithClock(now func() time.Time) MemoryOption {
	return func(m *Memory) { m.now = now }
}

// sweepEvery bounds how often Save walks all records to drop expired ones, so
// sessions nobody touches again do not pile up.
const sweepEvery = time.Minute

// NewMemory returns an empty in-process store.
func NewMemory(opts ...MemoryOption) *Memory {
	m := &Memory{now: time.Now, recs: make(map[string]memRecord)}
	for _, o := range opts {
		o(m)
	}
	return m
}

// live returns the record for key if it exists and has not expired, dropping
// it when it has. The caller holds m.mu.
func (m *Memory) live(key string, now time.Time) (memRecord, bool) {
	r, ok := m.recs[key]
	if !ok {
		return memRecord{}, false
	}
	if !r.expires.IsZero() && !now.Before(r.expires) {
		m.remove(key, r)
		return memRecord{}, false
	}
	return r, true
}

// remove drops key and its wake entry. The caller holds m.mu.
func (m *Memory) remove(key string, r memRecord) {
	delete(m.recs, key)
	m.unwake(key, r.wake)
}

func (m *Memory) unwake(key string, at int64) {
	if at == 0 {
		return
	}
	if i, ok := slices.BinarySearchFunc(m.wake, wakeEntry{at, key}, cmpWake); ok {
		m.wake = slices.Delete(m.wake, i, i+1)
	}
}

func (m *Memory) addWake(key string, at int64) {
	if at == 0 {
		return
	}
	e := wakeEntry{at, key}
	i, ok := slices.BinarySearchFunc(m.wake, e, cmpWake)
	if !ok {
		m.wake = slices.Insert(m.wake, i, e)
	}
}

// Load implements Store.
func (m *Memory) Load(ctx context.Context, key string) (Record, error) {
	if err := checkKey(key); err != nil {
		return Record{}, err
	}
	if err := ctx.Err(); err != nil {
		return Record{}, fmt.Errorf("session: load %s: %w", key, err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	r, ok := m.live(key, now)
	if !ok {
		return Record{}, ErrNotFound
	}
	rec := Record{Key: key, Data: slices.Clone(r.data), Version: r.version, WakeAt: fromMillis(r.wake)}
	if !r.expires.IsZero() {
		rec.TTL = r.expires.Sub(now)
	}
	return rec, nil
}

// Save implements Store.
func (m *Memory) Save(ctx context.Context, rec *Record) error {
	if err := checkKey(rec.Key); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("session: save %s: %w", rec.Key, err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	m.sweep(now)
	cur, ok := m.live(rec.Key, now)
	if (ok && cur.version != rec.Version) || (!ok && rec.Version != 0) {
		return ErrConflict
	}
	m.seq++
	nr := memRecord{data: slices.Clone(rec.Data), version: m.seq, wake: wakeMillis(rec.WakeAt)}
	if rec.TTL > 0 {
		nr.expires = now.Add(rec.TTL)
	}
	if ok {
		m.unwake(rec.Key, cur.wake)
	}
	m.recs[rec.Key] = nr
	m.addWake(rec.Key, nr.wake)
	rec.Version = nr.version
	return nil
}

// Delete implements Store.
func (m *Memory) Delete(ctx context.Context, key string, version int64) error {
	if err := checkKey(key); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("session: delete %s: %w", key, err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	cur, ok := m.live(key, m.now())
	if !ok {
		return nil
	}
	if cur.version != version {
		return ErrConflict
	}
	m.remove(key, cur)
	return nil
}

// Due implements Store.
func (m *Memory) Due(ctx context.Context, now time.Time, limit int) ([]string, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("session: due: %w", err)
	}
	if limit <= 0 {
		return nil, nil
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	clock := m.now()
	cutoff := now.UnixMilli()
	var keys, dead []string
	for _, e := range m.wake {
		if e.at > cutoff || len(keys) == limit {
			break
		}
		r := m.recs[e.key]
		if !r.expires.IsZero() && !clock.Before(r.expires) {
			dead = append(dead, e.key)
			continue
		}
		keys = append(keys, e.key)
	}
	for _, k := range dead {
		m.remove(k, m.recs[k])
	}
	return keys, nil
}

// Len returns how many live sessions the store holds (for metrics and tests).
func (m *Memory) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	n := 0
	for _, r := range m.recs {
		if r.expires.IsZero() || now.Before(r.expires) {
			n++
		}
	}
	return n
}

// sweep drops expired records at most once per sweepEvery. The caller holds m.mu.
func (m *Memory) sweep(now time.Time) {
	if now.Sub(m.lastSweep) < sweepEvery {
		return
	}
	m.lastSweep = now
	for k, r := range m.recs {
		if !r.expires.IsZero() && !now.Before(r.expires) {
			m.remove(k, r)
		}
	}
}
