package ratelimit

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// Fallback is a Limiter that asks a primary (Redis) and, when it fails, a
// secondary (an in-process Memory): a Redis outage must not stop every reply.
// Meanwhile each replica limits itself alone, so several replicas together may
// exceed a rule until Redis is back; the platform's 429 answers, which the
// adapters honour, cover that gap. Context errors are returned as they are.
type Fallback struct {
	primary   Limiter
	secondary Limiter
	log       *slog.Logger

	mu       sync.Mutex
	lastWarn time.Time
}

// NewFallback returns a Limiter that falls back from primary to secondary on errors.
func NewFallback(primary, secondary Limiter, log *slog.Logger) *Fallback {
	if log == nil {
		log = slog.Default()
	}
	return &Fallback{primary: primary, secondary: secondary, log: log.With("comp", "ratelimit")}
}

// Allow implements Limiter.
func (f *Fallback) Allow(ctx context.Context, key string, r Rule) (Result, error) {
	return f.AllowAll(ctx, []Take{{Key: key, Rule: r}})
}

// AllowAll implements Limiter.
func (f *Fallback) AllowAll(ctx context.Context, takes []Take) (Result, error) {
	res, err := f.primary.AllowAll(ctx, takes)
	if err == nil || errCtx(err) {
		return res, err
	}
	f.warn(err)
	return f.secondary.AllowAll(ctx, takes)
}

// ReserveAll implements Reserver. A primary or secondary that cannot reserve
// is asked AllowAll instead (see Reserver). A slot reserved on the secondary
// during an outage is limited by this process alone, as AllowAll is.
func (f *Fallback) ReserveAll(ctx context.Context, takes []Take, maxWait time.Duration) (Reservation, error) {
	r, err := reserveOn(ctx, f.primary, takes, maxWait)
	if err == nil || errCtx(err) {
		return r, err
	}
	f.warn(err)
	return reserveOn(ctx, f.secondary, takes, maxWait)
}

// Wait implements Limiter.
func (f *Fallback) Wait(ctx context.Context, key string, r Rule) error {
	_, err := WaitAll(ctx, f, []Take{{Key: key, Rule: r}})
	return err
}

// Hold implements Limiter; the hold is placed on both, so it survives a switch.
func (f *Fallback) Hold(ctx context.Context, key string, d time.Duration) error {
	err := f.primary.Hold(ctx, key, d)
	if err != nil && !errCtx(err) {
		f.warn(err)
	}
	if err2 := f.secondary.Hold(ctx, key, d); err2 != nil {
		return err2
	}
	if errCtx(err) {
		return err
	}
	return nil
}

// warn logs a primary failure at most every 30 s: during an outage every
// message would otherwise log it.
func (f *Fallback) warn(err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if time.Since(f.lastWarn) < 30*time.Second {
		return
	}
	f.lastWarn = time.Now()
	f.log.Warn("shared rate limiter unavailable, limiting per process", "err", err)
}
