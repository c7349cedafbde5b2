package bot

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/anttbot/anttbot/ratelimit"
)

// Allower is the part of a rate limiter Throttle uses; ratelimit.Limiter implements it.
type Allower interface {
	Allow(ctx context.Context, key string, r ratelimit.Rule) (ratelimit.Result, error)
}

// Submitter takes an update from an adapter; *Dispatcher implements it.
type Submitter interface {
	Submit(ctx context.Context, u Update) (accepted bool, err error)
}

// Throttle returns a Submitter that passes each user's updates to next while
// the user stays within rule, keyed by channel and user.
//
// It sits in front of the dispatcher, not behind it: a chat's updates are
// handled one at a time and each reply waits for the platform's per-chat send
// limit, so behind the dispatcher a flood would be measured at the pace it is
// answered (never too fast) while piling up in the journal and in the queue
// every chat shares. Here an update beyond the rule is acknowledged to the
// platform (accepted false, no error, so it is not re-delivered) and dropped
// before it is journaled, queued or near the session. The first dropped
// update of a burst calls onLimited, to tell the user once; later ones stay
// silent until the user has kept within the rule for one period.
//
// An update whose budget was taken but which next could not record (the
// journal was down: the platform will deliver it again) is owed: its
// re-delivery passes without drawing again, or a member retried by the
// platform through an outage would be throttled, and the update dropped, for
// the outage's sake. Debts live in this process for ten minutes.
//
// When the limiter fails, updates pass: losing a member's message is worse
// than letting a flood through for the length of an outage.
func Throttle(next Submitter, l Allower, rule ratelimit.Rule, onLimited func(ctx context.Context, u Update), log *slog.Logger) Submitter {
	if log == nil {
		log = slog.Default()
	}
	return &throttle{next: next, l: l, rule: rule, told: ratelimit.Rule{Rate: 1, Per: rule.Per, Burst: 1},
		onLimited: onLimited, log: log.With("comp", "throttle"), owed: make(map[string]time.Time)}
}

// owedFor is how long an unrecorded update keeps its budget; maxOwed bounds the debts kept.
const (
	owedFor = 10 * time.Minute
	maxOwed = 10000
)

type throttle struct {
	next      Submitter
	l         Allower
	rule      ratelimit.Rule
	told      ratelimit.Rule // one notice per period at most
	onLimited func(ctx context.Context, u Update)
	log       *slog.Logger

	mu   sync.Mutex
	owed map[string]time.Time // channel+update id → when its budget was taken
}

func (t *throttle) Submit(ctx context.Context, u Update) (bool, error) {
	id := u.Channel + "\x00" + u.ID
	if t.repay(id) {
		return t.submit(ctx, id, u)
	}
	who := u.UserID
	if who == "" {
		who = u.ChatID
	}
	key := "in:" + u.Channel + ":" + who
	res, err := t.l.Allow(ctx, key, t.rule)
	if err != nil {
		t.log.Warn("inbound rate limit unavailable, letting the update through", "channel", u.Channel, "err", err)
		return t.next.Submit(ctx, u)
	}
	if res.Allowed {
		return t.submit(ctx, id, u)
	}
	t.log.Debug("update dropped: sender over the inbound rate", "channel", u.Channel, "update_id", u.ID)
	if t.onLimited != nil {
		if n, err := t.l.Allow(ctx, key+":told", t.told); err == nil && n.Allowed {
			t.onLimited(ctx, u)
		}
	}
	return false, nil
}

// submit passes u on; when next cannot record it, u's budget stays owed.
func (t *throttle) submit(ctx context.Context, id string, u Update) (bool, error) {
	ok, err := t.next.Submit(ctx, u)
	if err != nil {
		t.mu.Lock()
		if len(t.owed) >= maxOwed {
			for k, at := range t.owed {
				if time.Since(at) > owedFor {
					delete(t.owed, k)
				}
			}
		}
		if len(t.owed) < maxOwed {
			t.owed[id] = time.Now()
		}
		t.mu.Unlock()
	}
	return ok, err
}

// repay reports whether id is owed (and forgets the debt).
func (t *throttle) repay(id string) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	at, ok := t.owed[id]
	if !ok {
		return false
	}
	delete(t.owed, id)
	return time.Since(at) <= owedFor
}
