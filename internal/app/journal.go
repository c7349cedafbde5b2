package app

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/anttbot/anttbot/bot"
	"github.com/anttbot/anttbot/store"
)

// storeJournal is the durable update journal: the store's inbox table. Its
// unique (channel, update_id) key de-duplicates re-delivered updates across
// replicas, and unfinished rows of a crashed replica are replayed.
type storeJournal struct {
	st       *store.Store
	replica  string
	now      func() time.Time
	staleAge time.Duration
}

func newStoreJournal(st *store.Store, replica string, now func() time.Time) *storeJournal {
	return &storeJournal{st: st, replica: replica, now: now, staleAge: 2 * time.Minute}
}

func (j *storeJournal) Append(ctx context.Context, u bot.Update) (bool, error) {
	payload, err := json.Marshal(u)
	if err != nil {
		return false, fmt.Errorf("journal: encode update: %w", err)
	}
	return j.st.InboxAppend(ctx, u.Channel, u.ID, u.ChatID, payload, j.now(), j.replica)
}

func (j *storeJournal) Done(ctx context.Context, u bot.Update) error {
	return j.st.InboxDone(ctx, u.Channel, u.ID, j.now())
}

func (j *storeJournal) Stale(ctx context.Context, limit int) ([]bot.Update, error) {
	evs, err := j.st.InboxClaimStale(ctx, j.replica, j.now().Add(-j.staleAge), limit)
	if err != nil {
		return nil, err
	}
	out := make([]bot.Update, 0, len(evs))
	for _, ev := range evs {
		var u bot.Update
		if err := json.Unmarshal(ev.Payload, &u); err != nil {
			// A row we cannot decode would be replayed forever: mark it done and say so.
			_ = j.st.InboxDone(ctx, ev.Channel, ev.UpdateID, j.now())
			continue
		}
		out = append(out, u)
	}
	return out, nil
}
