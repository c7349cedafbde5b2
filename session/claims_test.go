package session

import (
	"context"
	"testing"
	"time"

	"github.com/anttbot/anttbot/bot"
	"github.com/anttbot/anttbot/internal/testenv"
)

// TestClaims: an update is claimed once across replicas, busy while its step
// runs, a duplicate once settled, and taken over when its claimer died.
func TestClaims(t *testing.T) {
	c, prefix := testenv.Redis(t)
	ctx := context.Background()
	one, two := NewClaims(c, prefix), NewClaims(c, prefix) // two replicas
	claim := func(cl *Claims, id string, stale time.Duration, want bot.ClaimState) {
		t.Helper()
		got, err := cl.Claim(ctx, bot.ChannelTelegram, id, stale)
		testenv.Must(t, "claim", err)
		if got != want {
			t.Fatalf("claim %s = %d, want %d", id, got, want)
		}
	}
	claim(one, "1", time.Minute, bot.ClaimNew)
	claim(two, "1", time.Minute, bot.ClaimBusy)
	testenv.Must(t, "settle", one.Settle(ctx, bot.ChannelTelegram, "1"))
	claim(two, "1", time.Minute, bot.ClaimDone)
	claim(one, "1", time.Millisecond, bot.ClaimDone) // settled is never stale

	ttl, err := c.PTTL(ctx, prefix+"upd:telegram:1").Result()
	testenv.Must(t, "pttl", err)
	if ttl < ClaimTTL-time.Minute {
		t.Fatalf("settled claim kept for %v, want about %v", ttl, ClaimTTL)
	}

	// The claimer of 2 dies: once the claim is stale another replica takes it.
	claim(one, "2", time.Minute, bot.ClaimNew)
	time.Sleep(5 * time.Millisecond)
	claim(two, "2", time.Millisecond, bot.ClaimNew)
	claim(one, "2", time.Minute, bot.ClaimBusy)
}
