package ratelimit

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// Redis is a Limiter whose state lives in Redis, so every replica of the
// service draws from the same budget. Each key is one hash ("tat", "hold")
// under the prefix, expiring once idle. One script call decides and commits
// every key of an AllowAll or a ReserveAll atomically, on Redis's own clock,
// so the replicas' clocks do not matter and two replicas never reserve the
// same slot.
//
// github.com/go-redis/redis_rate was the first choice; it has no atomic
// multi-key take and no hold, and a separate hold key would cost a second
// round trip per key and be racy. The script below is the same GCRA.
//
// With Redis Cluster every key of one AllowAll or ReserveAll must hash to one
// cluster slot: put a hash tag in the prefix ("anttbot:{rl}:").
type Redis struct {
	rdb    redis.Scripter
	prefix string
}

// NewRedis returns a Limiter on rdb with every key under prefix (e.g. "anttbot:rl:").
func NewRedis(rdb redis.Scripter, prefix string) *Redis {
	return &Redis{rdb: rdb, prefix: prefix}
}

// reserveScript is decide() from gcra.go, used by AllowAll (max wait 0) and
// ReserveAll. KEYS: one hash per key. ARGV: the max wait (µs), then the
// interval (µs) and burst of each key, in order. Reply: {1, delay, 0, slot,
// remaining1, reset1, tat1, prev1, remaining2, …} when taken, where tatN is
// the key's new TAT and prevN the one before (for releaseScript); {0, wait,
// held, slot} otherwise, wait being RetryAfter. Numbers are stored with
// %.0f: Lua's tostring would round them to 14 digits.
var reserveScript = redis.NewScript(`
if redis.replicate_commands then redis.replicate_commands() end
local t = redis.call("TIME")
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local max_wait = tonumber(ARGV[1])
local slot, held = now, 0
local tats, holds = {}, {}
for i = 1, #KEYS do
  local interval, burst = tonumber(ARGV[2*i]), tonumber(ARGV[2*i+1])
  local v = redis.call("HMGET", KEYS[i], "tat", "hold")
  local tat, hold = tonumber(v[1]) or 0, tonumber(v[2]) or 0
  tats[i], holds[i] = tat, hold
  if hold > slot then slot, held = hold, 1 end
  local allow_at = tat - (burst - 1) * interval
  if allow_at > slot then slot, held = allow_at, 0 end
end
if slot - now > max_wait then return {0, slot - now, held, slot} end
local retry_at = now
for i = 1, #KEYS do
  local interval = tonumber(ARGV[2*i])
  if slot - math.max(now, holds[i], tats[i]) >= interval then
    retry_at = math.max(retry_at, slot - math.floor(interval / 2))
  end
end
if retry_at > now then return {0, retry_at - now, held, slot} end
local out = {1, slot - now, 0, slot}
for i = 1, #KEYS do
  local interval, burst = tonumber(ARGV[2*i]), tonumber(ARGV[2*i+1])
  local new_tat = math.max(tats[i], slot) + interval
  redis.call("HSET", KEYS[i], "tat", string.format("%.0f", new_tat))
  redis.call("PEXPIRE", KEYS[i], math.ceil((math.max(new_tat, holds[i]) - now) / 1000) + 1)
  out[#out + 1] = math.floor((slot + burst * interval - new_tat) / interval)
  out[#out + 1] = new_tat - slot
  out[#out + 1] = new_tat
  out[#out + 1] = tats[i]
end
return out
`)

// releaseScript gives a reserved slot back: each key whose TAT is still the
// one the reservation set goes back to the TAT before it. TATs only grow, so
// an equal TAT means nobody has reserved after it. KEYS: the reserved keys.
// ARGV: for each, the TAT the reservation set and the one before. Reply: how
// many keys got their slot back.
var releaseScript = redis.NewScript(`
local n = 0
for i = 1, #KEYS do
  local tat = tonumber(redis.call("HGET", KEYS[i], "tat"))
  if tat ~= nil and tat == tonumber(ARGV[2*i-1]) then
    redis.call("HSET", KEYS[i], "tat", ARGV[2*i])
    n = n + 1
  end
end
return n
`)

// holdScript extends a key's hold to at least ARGV[1] µs from now.
var holdScript = redis.NewScript(`
if redis.replicate_commands then redis.replicate_commands() end
local t = redis.call("TIME")
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local till = now + tonumber(ARGV[1])
local hold = tonumber(redis.call("HGET", KEYS[1], "hold")) or 0
if till > hold then
  redis.call("HSET", KEYS[1], "hold", string.format("%.0f", till))
  hold = till
end
local tat = tonumber(redis.call("HGET", KEYS[1], "tat")) or 0
redis.call("PEXPIRE", KEYS[1], math.ceil((math.max(hold, tat) - now) / 1000) + 1)
return 1
`)

// AllowAll implements Limiter.
func (l *Redis) AllowAll(ctx context.Context, takes []Take) (Result, error) {
	r, _, err := l.reserve(ctx, takes, 0)
	return r.Result, err
}

// ReserveAll implements Reserver. One script call decides and takes the slot
// on every key, so two replicas never get the same slot.
func (l *Redis) ReserveAll(ctx context.Context, takes []Take, maxWait time.Duration) (Reservation, error) {
	r, _, err := l.reserve(ctx, takes, maxWait)
	return r, err
}

// reserve is ReserveAll; it also returns the slot, in µs on Redis's clock.
func (l *Redis) reserve(ctx context.Context, takes []Take, maxWait time.Duration) (Reservation, int64, error) {
	if err := validate(takes); err != nil {
		return Reservation{}, 0, err
	}
	keys := make([]string, len(takes))
	args := make([]any, 0, 1+2*len(takes))
	args = append(args, max(maxWait, 0).Microseconds())
	for i, t := range takes {
		keys[i] = l.prefix + t.Key
		args = append(args, intervalMicros(t.Rule), t.Rule.Burst)
	}
	v, err := reserveScript.Run(ctx, l.rdb, keys, args...).Int64Slice()
	if err != nil {
		return Reservation{}, 0, fmt.Errorf("ratelimit: allow %s: %w", keys[0], err)
	}
	if len(v) != 4+4*len(takes) && (len(v) != 4 || v[0] != 0) {
		return Reservation{}, 0, fmt.Errorf("ratelimit: allow %s: unexpected reply %v", keys[0], v)
	}
	if v[0] == 0 {
		return Reservation{Result: Result{RetryAfter: micros(v[1]), Held: v[2] == 1}}, v[3], nil
	}
	r := Reservation{Result: Result{Allowed: true, Keys: make([]KeyState, len(takes))}, Delay: micros(v[1])}
	release := make([]any, 0, 2*len(takes))
	for i := range takes {
		k := v[4+4*i:]
		r.Keys[i] = KeyState{Remaining: int(k[0]), ResetAfter: micros(k[1])}
		release = append(release, k[2], k[3])
	}
	r.release = func(ctx context.Context) error {
		if err := releaseScript.Run(ctx, l.rdb, keys, release...).Err(); err != nil {
			return fmt.Errorf("ratelimit: release %s: %w", keys[0], err)
		}
		return nil
	}
	return r, v[3], nil
}

// Allow implements Limiter.
func (l *Redis) Allow(ctx context.Context, key string, r Rule) (Result, error) {
	return l.AllowAll(ctx, []Take{{Key: key, Rule: r}})
}

// Wait implements Limiter.
func (l *Redis) Wait(ctx context.Context, key string, r Rule) error {
	_, err := WaitAll(ctx, l, []Take{{Key: key, Rule: r}})
	return err
}

// Hold implements Limiter.
func (l *Redis) Hold(ctx context.Context, key string, d time.Duration) error {
	if d <= 0 {
		return nil
	}
	if err := holdScript.Run(ctx, l.rdb, []string{l.prefix + key}, d.Microseconds()).Err(); err != nil {
		return fmt.Errorf("ratelimit: hold %s for %s: %w", key, d, err)
	}
	return nil
}
