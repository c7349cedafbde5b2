// Package session keeps each chat's conversation state between updates: an
// opaque blob with a version for compare-and-set, a time to live, and an
// optional wake time at which the owner wants to be called back (idle
// reminders, retries of a failed save). Redis holds it in production so that
// several replicas share it; an in-process store serves the embedded default
// and tests.
package session

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// ErrNotFound is returned by Load when the chat has no (live) session.
var ErrNotFound = errors.New("session: not found")

// ErrConflict is returned by Save and Delete when the stored version is not
// the one the caller loaded: somebody else changed the session meanwhile.
var ErrConflict = errors.New("session: changed concurrently") // CAS lost

// ErrUnavailable wraps failures to reach the backing store, so that callers
// can tell the user to try again shortly.
var ErrUnavailable = errors.New("session: store unavailable")

// Record is one chat's opaque session blob with a version for compare-and-set.
type Record struct {
	// Key names the chat, e.g. "telegram:123456" (channel + ":" + chat id).
	Key string
	// Data is the owner's serialised state; the store never looks inside.
	Data []byte
	// Version is set by Load and Save. Zero in a new record means the key must
	// not exist yet. Versions are never reused for a key, so a session that was
	// deleted and created again cannot be mistaken for the one a caller loaded.
	Version int64
	// TTL is how long the store keeps the record after a Save; zero or less
	// keeps it until deleted. Load reports the time left.
	TTL time.Duration
	// WakeAt, when not zero, makes Due return the key once WakeAt <= now.
	// Stored with millisecond precision.
	WakeAt time.Time
}

// Store keeps session records. Implementations are safe for concurrent use.
type Store interface {
	// Load returns the record for key, or ErrNotFound when absent or expired.
	Load(ctx context.Context, key string) (Record, error)
	// Save writes rec if the stored version still equals rec.Version (zero:
	// the key must not exist) and sets rec.Version to the new version; it
	// returns ErrConflict otherwise.
	Save(ctx context.Context, rec *Record) error
	// Delete removes key if its stored version equals version; deleting an
	// absent key is not an error.
	Delete(ctx context.Context, key string, version int64) error
	// Due returns up to limit keys whose WakeAt <= now, earliest first. A key
	// comes back on every call until it is saved with a later or zero WakeAt,
	// deleted, or expires.
	Due(ctx context.Context, now time.Time, limit int) ([]string, error)
}

// reservedKeys are names the Redis store uses for its own bookkeeping next to
// the sessions; real keys always contain a ":" so they never collide.
var reservedKeys = map[string]bool{"wake": true, "seq": true}

func checkKey(key string) error {
	if key == "" {
		return errors.New("session: empty key")
	}
	if reservedKeys[key] {
		return fmt.Errorf("session: reserved key %q", key)
	}
	return nil
}

// wakeMillis returns t in Unix milliseconds, 0 for the zero time.
func wakeMillis(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	ms := t.UnixMilli()
	if ms <= 0 {
		// A wake time at or before 1970 is "due now", not "no wake".
		ms = 1
	}
	return ms
}

// fromMillis is the inverse of wakeMillis.
func fromMillis(ms int64) time.Time {
	if ms <= 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms)
}

var (
	_ Store = (*Memory)(nil)
	_ Store = (*Redis)(nil)
)
