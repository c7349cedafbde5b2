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
// every key of an AllowAll atomically, on Redis's own clock, so the replicas'
// clocks do not matter.
//
// github.com/go-redis/redis_rate was the first choice; it has no atomic
// multi-key take and no hold, and a separate hold key would cost a second
// round trip per key and be racy. The script below is the same GCRA.
//
// With Redis Cluster every key of one AllowAll must hash to one slot: put a
// hash tag in the prefix ("anttbot:{rl}:").
type Redis struct {
	rdb    redis.Scripter
	prefix string
}

// NewRedis returns a Limiter on rdb with every key under prefix (e.g. "anttbot:rl:").
func NewRedis(rdb redis.Scripter, prefix string) *Redis {
	return &Redis{rdb: rdb, prefix: prefix}
}

// allowScript is decide() from gcra.go. KEYS: one hash per key. ARGV: the
// interval (µs) and burst of each key, in order. Reply: {1, 0, 0, remaining1,
// reset1, remaining2, reset2, …} when allowed, {0, wait, held} otherwise.
// Numbers are stored with %.0f: Lua's tostring would round them to 14 digits.
var allowScript = redis.NewScript(`
if redis.replicate_commands then redis.replicate_commands() end
local t = redis.call("TIME")
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local wait, held = 0, 0
local tats = {}
for i = 1, #KEYS do
  local interval, burst = tonumber(ARGV[2*i-1]), tonumber(ARGV[2*i])
  local v = redis.call("HMGET", KEYS[i], "tat", "hold")
  local tat, hold = tonumber(v[1]) or 0, tonumber(v[2]) or 0
  if hold > now then
    if hold - now > wait then wait, held = hold - now, 1 end
  else
    if tat < now then tat = now end
    local allow_at = tat - (burst - 1) * interval
    if allow_at > now and allow_at - now > wait then wait, held = allow_at - now, 0 end
    tats[i] = tat + interval
  end
end
if wait > 0 then return {0, wait, held} end
local out = {1, 0, 0}
for i = 1, #KEYS do
  local interval, burst = tonumber(ARGV[2*i-1]), tonumber(ARGV[2*i])
  local new_tat = tats[i]
  redis.call("HSET", KEYS[i], "tat", string.format("%.0f", new_tat))
  local hold = tonumber(redis.call("HGET", KEYS[i], "hold")) or 0
  redis.call("PEXPIRE", KEYS[i], math.ceil((math.max(new_tat, hold) - now) / 1000) + 1)
  out[#out + 1] = math.floor((now + burst * interval - new_tat) / interval)
  out[#out + 1] = new_tat - now
end
return out
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
	if err := validate(takes); err != nil {
		return Result{}, err
	}
	keys := make([]string, len(takes))
	args := make([]any, 0, 2*len(takes))
	for i, t := range takes {
		keys[i] = l.prefix + t.Key
		args = append(args, intervalMicros(t.Rule), t.Rule.Burst)
	}
	v, err := allowScript.Run(ctx, l.rdb, keys, args...).Int64Slice()
	if err != nil {
		return Result{}, fmt.Errorf("ratelimit: allow %s: %w", keys[0], err)
	}
	if len(v) != 3+2*len(takes) && (len(v) != 3 || v[0] != 0) {
		return Result{}, fmt.Errorf("ratelimit: allow %s: unexpected reply %v", keys[0], v)
	}
	if v[0] == 0 {
		return Result{RetryAfter: micros(v[1]), Held: v[2] == 1}, nil
	}
	res := Result{Allowed: true, Keys: make([]KeyState, len(takes))}
	for i := range takes {
		res.Keys[i] = KeyState{Remaining: int(v[3+2*i]), ResetAfter: micros(v[4+2*i])}
	}
	return res, nil
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
