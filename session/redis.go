package session

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// Redis is the production Store, shared by every replica.
//
// Layout under the prefix:
//
//	<prefix>sess:<key>  hash {v: version, d: data, w: wake ms}, expiring with the session's TTL
//	<prefix>sess:wake   sorted set of keys scored by wake time (Unix ms)
//	<prefix>sess:seq    counter the versions are drawn from, so a version is never reused
//
// Every write is one Lua script that checks the version, writes the hash with
// its TTL and updates the wake set, so two replicas updating one chat can
// neither interleave nor lose an update. The scripts touch several keys; on
// Redis Cluster give a prefix with a hash tag (e.g. "{anttbot}:") so that they
// all live in one slot.
type Redis struct {
	c      redis.UniversalClient
	prefix string
}

// NewRedis returns a Store keeping its keys under prefix (e.g. "anttbot:").
func NewRedis(c redis.UniversalClient, prefix string) *Redis {
	return &Redis{c: c, prefix: prefix}
}

func (r *Redis) key(k string) string { return r.prefix + "sess:" + k }
func (r *Redis) wakeKey() string     { return r.prefix + "sess:wake" }
func (r *Redis) seqKey() string      { return r.prefix + "sess:seq" }

// saveScript: KEYS = session, wake set, seq; ARGV = expected version, data,
// ttl ms (0: none), wake ms (0: none), member. Returns the new version, or -1
// when the stored version differs from the expected one.
var saveScript = redis.NewScript(`
local cur = redis.call('HGET', KEYS[1], 'v')
local want = tonumber(ARGV[1])
if cur then
  if tonumber(cur) ~= want then return -1 end
elseif want ~= 0 then
  return -1
end
local nv = redis.call('INCR', KEYS[3])
redis.call('HSET', KEYS[1], 'v', nv, 'd', ARGV[2], 'w', ARGV[4])
local ttl = tonumber(ARGV[3])
if ttl > 0 then
  redis.call('PEXPIRE', KEYS[1], ttl)
else
  redis.call('PERSIST', KEYS[1])
end
local wake = tonumber(ARGV[4])
if wake > 0 then
  redis.call('ZADD', KEYS[2], wake, ARGV[5])
else
  redis.call('ZREM', KEYS[2], ARGV[5])
end
return nv
`)

// deleteScript: KEYS = session, wake set; ARGV = expected version, member.
// Returns 1 deleted, 0 absent, -1 version differs.
var deleteScript = redis.NewScript(`
local cur = redis.call('HGET', KEYS[1], 'v')
if not cur then
  redis.call('ZREM', KEYS[2], ARGV[2])
  return 0
end
if tonumber(cur) ~= tonumber(ARGV[1]) then return -1 end
redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[2])
return 1
`)

// dueScript: KEYS = wake set; ARGV = now ms, limit, session key prefix.
// Returns up to limit due members whose session still exists, and removes the
// members whose session has expired (checked inside the script so that a
// session created meanwhile cannot lose its wake entry).
var dueScript = redis.NewScript(`
local out = {}
local limit = tonumber(ARGV[2])
local offset = 0
for round = 1, 20 do
  local want = limit - #out
  if want <= 0 then break end
  local ms = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', offset, want)
  if #ms == 0 then break end
  for _, m in ipairs(ms) do
    if redis.call('EXISTS', ARGV[3] .. m) == 1 then
      out[#out + 1] = m
      offset = offset + 1
    else
      redis.call('ZREM', KEYS[1], m)
    end
  end
end
return out
`)

// Load implements Store.
func (r *Redis) Load(ctx context.Context, key string) (Record, error) {
	if err := checkKey(key); err != nil {
		return Record{}, err
	}
	var get *redis.SliceCmd
	var ttl *redis.DurationCmd
	_, err := r.c.TxPipelined(ctx, func(p redis.Pipeliner) error {
		get = p.HMGet(ctx, r.key(key), "v", "d", "w")
		ttl = p.PTTL(ctx, r.key(key))
		return nil
	})
	if err != nil {
		return Record{}, wrapErr("load", key, err)
	}
	vals := get.Val()
	if len(vals) != 3 || vals[0] == nil {
		return Record{}, ErrNotFound
	}
	rec := Record{Key: key}
	if rec.Version, err = parseInt(vals[0]); err != nil {
		return Record{}, fmt.Errorf("session: load %s: version: %w", key, err)
	}
	if s, ok := vals[1].(string); ok {
		rec.Data = []byte(s)
	}
	wake, err := parseInt(vals[2])
	if err != nil {
		return Record{}, fmt.Errorf("session: load %s: wake: %w", key, err)
	}
	rec.WakeAt = fromMillis(wake)
	if d := ttl.Val(); d > 0 {
		rec.TTL = d
	}
	return rec, nil
}

// Save implements Store.
func (r *Redis) Save(ctx context.Context, rec *Record) error {
	if err := checkKey(rec.Key); err != nil {
		return err
	}
	ttl := int64(0)
	if rec.TTL > 0 {
		ttl = max(rec.TTL.Milliseconds(), 1)
	}
	keys := []string{r.key(rec.Key), r.wakeKey(), r.seqKey()}
	nv, err := saveScript.Run(ctx, r.c, keys,
		rec.Version, rec.Data, ttl, wakeMillis(rec.WakeAt), rec.Key).Int64()
	if err != nil {
		return wrapErr("save", rec.Key, err)
	}
	if nv < 0 {
		return ErrConflict
	}
	rec.Version = nv
	return nil
}

// Delete implements Store.
func (r *Redis) Delete(ctx context.Context, key string, version int64) error {
	if err := checkKey(key); err != nil {
		return err
	}
	res, err := deleteScript.Run(ctx, r.c, []string{r.key(key), r.wakeKey()}, version, key).Int64()
	if err != nil {
		return wrapErr("delete", key, err)
	}
	if res < 0 {
		return ErrConflict
	}
	return nil
}

// Due implements Store.
func (r *Redis) Due(ctx context.Context, now time.Time, limit int) ([]string, error) {
	if limit <= 0 {
		return nil, nil
	}
	keys, err := dueScript.Run(ctx, r.c, []string{r.wakeKey()},
		now.UnixMilli(), limit, r.prefix+"sess:").StringSlice()
	if err != nil && !errors.Is(err, redis.Nil) {
		return nil, wrapErr("due", "", err)
	}
	return keys, nil
}

func parseInt(v any) (int64, error) {
	switch x := v.(type) {
	case nil:
		return 0, nil
	case string:
		return strconv.ParseInt(x, 10, 64)
	case int64:
		return x, nil
	}
	return 0, fmt.Errorf("unexpected %T", v)
}

// wrapErr marks failures to reach Redis with ErrUnavailable. Replies Redis
// gives on purpose (a script error, a wrong type) are bugs, not outages, and
// stay unmarked, except the ones that say the server cannot serve right now.
func wrapErr(op, key string, err error) error {
	if key != "" {
		op += " " + key
	}
	var rerr redis.Error
	if errors.As(err, &rerr) && !transient(err) {
		return fmt.Errorf("session: %s: %w", op, err)
	}
	return fmt.Errorf("session: %s: %w: %w", op, ErrUnavailable, err)
}

func transient(err error) bool {
	return redis.IsLoadingError(err) || redis.IsReadOnlyError(err) || redis.IsClusterDownError(err) ||
		redis.IsTryAgainError(err) || redis.IsMasterDownError(err) || redis.IsMaxClientsError(err) ||
		redis.IsOOMError(err)
}
