package scheduler

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/anttbot/anttbot/store"
)

// Locker keeps one replica at a time running a job. The run ledger alone
// already guarantees a period's messages are queued once; the lock saves the
// other replicas from computing the same run for nothing.
type Locker interface {
	// TryLock takes the lock named key for at most ttl. ok is false when
	// somebody else holds it. release frees it if this holder still has it.
	TryLock(ctx context.Context, key string, ttl time.Duration) (release func(context.Context) error, ok bool, err error)
}

// token returns a random lock owner token.
func token() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// RedisLocker is a Locker on Redis (SET NX PX), shared by every replica
// using the same server and prefix.
type RedisLocker struct {
	rdb    redis.Cmdable
	prefix string
}

// NewRedisLocker returns a Locker whose keys are prefix+"scheduler:lock:"+name.
func NewRedisLocker(rdb redis.Cmdable, prefix string) *RedisLocker {
	return &RedisLocker{rdb: rdb, prefix: prefix + "scheduler:lock:"}
}

// releaseScript deletes the key only when it still holds our token, so a
// holder whose lock expired cannot free somebody else's.
var releaseScript = redis.NewScript(`if redis.call("GET", KEYS[1]) == ARGV[1] then return redis.call("DEL", KEYS[1]) end return 0`)

// TryLock implements Locker.
func (l *RedisLocker) TryLock(ctx context.Context, key string, ttl time.Duration) (func(context.Context) error, bool, error) {
	k, tok := l.prefix+key, token()
	ok, err := l.rdb.SetNX(ctx, k, tok, ttl).Result()
	if err != nil {
		return nil, false, fmt.Errorf("scheduler: lock %s: %w", key, err)
	}
	if !ok {
		return nil, false, nil
	}
	return func(ctx context.Context) error {
		if err := releaseScript.Run(ctx, l.rdb, []string{k}, tok).Err(); err != nil {
			return fmt.Errorf("scheduler: unlock %s: %w", key, err)
		}
		return nil
	}, true, nil
}

// kvStore is what StoreLocker needs of the store.
type kvStore interface {
	GetKV(ctx context.Context, key string) (string, error)
	CompareAndSetKV(ctx context.Context, key, old, newValue string) (bool, error)
}

// StoreLocker is a Locker in the database's kv table, for a service without
// Redis: the embedded SQLite default, or PostgreSQL replicas that share no
// Redis. Expiry uses the wall clock of each replica.
type StoreLocker struct {
	st  kvStore
	now func() time.Time
}

// NewStoreLocker returns a Locker whose keys are "scheduler.lock.<name>" in
// the kv table.
func NewStoreLocker(st *store.Store) *StoreLocker {
	return &StoreLocker{st: st, now: time.Now}
}

// TryLock implements Locker. The value is "<token>|<expiry in Unix ms>"; an
// expired value is taken over with compare-and-set, so two replicas racing
// for it cannot both win.
func (l *StoreLocker) TryLock(ctx context.Context, key string, ttl time.Duration) (func(context.Context) error, bool, error) {
	k := "scheduler.lock." + key
	cur, err := l.st.GetKV(ctx, k)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, false, fmt.Errorf("scheduler: lock %s: %w", key, err)
	}
	if cur != "" {
		_, exp, _ := strings.Cut(cur, "|")
		ms, perr := strconv.ParseInt(exp, 10, 64)
		if perr == nil && l.now().UnixMilli() < ms {
			return nil, false, nil
		}
	}
	mine := token() + "|" + strconv.FormatInt(l.now().Add(ttl).UnixMilli(), 10)
	ok, err := l.st.CompareAndSetKV(ctx, k, cur, mine)
	if err != nil {
		return nil, false, fmt.Errorf("scheduler: lock %s: %w", key, err)
	}
	if !ok {
		return nil, false, nil
	}
	return func(ctx context.Context) error {
		if _, err := l.st.CompareAndSetKV(ctx, k, mine, ""); err != nil {
			return fmt.Errorf("scheduler: unlock %s: %w", key, err)
		}
		return nil
	}, true, nil
}

// MemoryLocker is a Locker inside one process: the default on SQLite,
// whose database file one process owns.
type MemoryLocker struct {
	mu   sync.Mutex
	held map[string]string // key → holder token
	now  func() time.Time
	exp  map[string]time.Time
}

// NewMemoryLocker returns an in-process Locker.
func NewMemoryLocker() *MemoryLocker {
	return &MemoryLocker{held: map[string]string{}, exp: map[string]time.Time{}, now: time.Now}
}

// TryLock implements Locker.
func (l *MemoryLocker) TryLock(_ context.Context, key string, ttl time.Duration) (func(context.Context) error, bool, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, ok := l.held[key]; ok && l.now().Before(l.exp[key]) {
		return nil, false, nil
	}
	tok := token()
	l.held[key], l.exp[key] = tok, l.now().Add(ttl)
	return func(context.Context) error {
		l.mu.Lock()
		defer l.mu.Unlock()
		if l.held[key] == tok {
			delete(l.held, key)
			delete(l.exp, key)
		}
		return nil
	}, true, nil
}
