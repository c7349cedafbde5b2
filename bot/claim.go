package bot

import (
	"context"
	"errors"
	"time"
)

// Claimer de-duplicates, across replicas, the updates whose platform delivers
// them again until it gets a 2xx answer (Telegram's webhook). For those the
// dispatcher need not journal in the database before it answers: it claims
// the update, handles it while the platform waits, and answers once the step
// is done, so the platform's own redelivery is the journal. *session.Claims
// implements it in Redis.
type Claimer interface {
	// Claim takes channel+id for this process. It reports ClaimNew when the
	// update is this process's to handle (never seen, or claimed longer ago
	// than stale by a process that never finished it), ClaimDone when it was
	// handled, ClaimBusy when another claim is younger than stale.
	Claim(ctx context.Context, channel, id string, stale time.Duration) (ClaimState, error)
	// Settle marks channel+id handled, for as long as duplicates may come.
	Settle(ctx context.Context, channel, id string) error
}

// ClaimState is the outcome of Claimer.Claim.
type ClaimState int

// Claim outcomes.
const (
	ClaimNew ClaimState = iota
	ClaimDone
	ClaimBusy
)

// ErrInFlight is returned by Submit for an update another replica (or an
// earlier delivery) is handling right now: the platform should deliver it
// again later, by when it is either done or its claim has gone stale.
var ErrInFlight = errors.New("bot: update being handled elsewhere")

type redeliveryKey struct{}

// WithRedelivery marks ctx as the receipt of an update that the platform
// delivers again until it is answered 2xx (a Telegram webhook request):
// Submit may then handle it before returning instead of journaling it first.
func WithRedelivery(ctx context.Context) context.Context {
	return context.WithValue(ctx, redeliveryKey{}, true)
}

func redelivered(ctx context.Context) bool {
	v, _ := ctx.Value(redeliveryKey{}).(bool)
	return v
}
