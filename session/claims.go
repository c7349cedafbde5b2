package session

import (
	"context"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/anttbot/anttbot/bot"
)

// Claims is bot.Claimer in Redis, shared by every replica: one key per update,
// <prefix>upd:<channel>:<id>, holding "p:<ms>" (claimed at, in Redis's clock)
// while the update is handled and "d" once it is, each for ClaimTTL.
type Claims struct {
	c      redis.UniversalClient
	prefix string
}

// ClaimTTL is how long an update id is remembered: Telegram gives up
// redelivering an update within a day.
const ClaimTTL = 48 * time.Hour

// NewClaims returns Claims keeping its keys under prefix (e.g. "anttbot:").
func NewClaims(c redis.UniversalClient, prefix string) *Claims { return &Claims{c: c, prefix: prefix} }

var _ bot.Claimer = (*Claims)(nil)

// claimScript: KEYS = the update's key; ARGV = stale ms, ttl ms. Returns 0
// (new: claimed now), 1 (done), 2 (claimed elsewhere less than stale ago).
var claimScript = redis.NewScript(`
if redis.replicate_commands then redis.replicate_commands() end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local v = redis.call('GET', KEYS[1])
if v == 'd' then return 1 end
if v then
  local at = tonumber(string.sub(v, 3)) or 0
  if now - at < tonumber(ARGV[1]) then return 2 end
end
redis.call('SET', KEYS[1], 'p:' .. now, 'PX', ARGV[2])
return 0
`)

func (c *Claims) key(channel, id string) string { return c.prefix + "upd:" + channel + ":" + id }

// Claim implements bot.Claimer.
func (c *Claims) Claim(ctx context.Context, channel, id string, stale time.Duration) (bot.ClaimState, error) {
	n, err := claimScript.Run(ctx, c.c, []string{c.key(channel, id)}, stale.Milliseconds(), ClaimTTL.Milliseconds()).Int()
	if err != nil {
		return 0, wrapErr("claim update", channel+":"+id, err)
	}
	switch n {
	case 1:
		return bot.ClaimDone, nil
	case 2:
		return bot.ClaimBusy, nil
	}
	return bot.ClaimNew, nil
}

// Settle implements bot.Claimer.
func (c *Claims) Settle(ctx context.Context, channel, id string) error {
	if err := c.c.Set(ctx, c.key(channel, id), "d", ClaimTTL).Err(); err != nil {
		return wrapErr("settle update", channel+":"+id, err)
	}
	return nil
}
