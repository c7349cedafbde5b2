package app

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/anttbot/anttbot/bot"
	"github.com/anttbot/anttbot/store"
)

// storeJournal is the durable update journal: the store's inbox table. Its
// unique (channel, update_id) key de-duplicates re-delivered updates across
// replicas, and unfinished rows of a crashed replica are replayed.
//
// Appends and done marks are group-committed: the calls that arrive while a
// write is in flight wait for it, then go together in one statement each and
// one commit. Every call still returns only once its own row is committed,
// so a webhook is answered 200 only for an update that is on disk, as
// before; under load the database sees one commit per batch instead of two
// per update. One call alone is written at once, with no added wait.
type storeJournal struct {
	st       *store.Store
	replica  string
	now      func() time.Time
	staleAge time.Duration
	log      *slog.Logger

	mu      sync.Mutex
	pending []*journalOp
	busy    bool // a caller is writing a batch (it is the leader)

	beforeWrite func(batch int) // a test hook, called with the batch's size
}

// journalOp is one Append or Done waiting for its batch.
type journalOp struct {
	ev    store.InboxEvent // an append; zero Channel for a done mark
	key   store.InboxKey   // a done mark
	fresh bool
	err   error
	// wake receives true when the op's batch is written, false when its
	// caller must write the next batch.
	wake chan bool
}

// journalBatchMax bounds one batch; what is over waits for the next.
const journalBatchMax = 500

// journalWriteTimeout bounds one batch's write, whatever the leader's context.
const journalWriteTimeout = 15 * time.Second

func newStoreJournal(st *store.Store, replica string, now func() time.Time, log *slog.Logger) *storeJournal {
	return &storeJournal{st: st, replica: replica, now: now, staleAge: 2 * time.Minute, log: log}
}

func (j *storeJournal) Append(ctx context.Context, u bot.Update) (bool, error) {
	payload, err := json.Marshal(u)
	if err != nil {
		return false, fmt.Errorf("journal: encode update: %w", err)
	}
	if u.Channel == "" || u.ID == "" {
		return false, fmt.Errorf("journal: update without channel or id: %w", store.ErrInvalid)
	}
	op := &journalOp{ev: store.InboxEvent{Channel: u.Channel, UpdateID: u.ID, ChatID: u.ChatID,
		Payload: payload, ReceivedAt: j.now(), ClaimedBy: j.replica}}
	j.do(ctx, op)
	return op.fresh, op.err
}

func (j *storeJournal) Done(ctx context.Context, u bot.Update) error {
	op := &journalOp{key: store.InboxKey{Channel: u.Channel, UpdateID: u.ID}}
	j.do(ctx, op)
	return op.err
}

// do queues op and returns once its batch is written. The first caller to
// find no write in flight leads: it writes what is pending, and once its own
// op is written hands the lead to the oldest op still waiting, so no caller
// writes for others longer than for itself plus one batch, and no goroutine
// outlives the calls. A waiting caller does not give up on its context: the
// lead may be handed to it, and its row may already be on the way.
func (j *storeJournal) do(ctx context.Context, op *journalOp) {
	op.wake = make(chan bool, 1)
	j.mu.Lock()
	j.pending = append(j.pending, op)
	lead := !j.busy
	j.busy = true
	j.mu.Unlock()
	for {
		if !lead {
			if written := <-op.wake; written {
				return
			}
		}
		j.mu.Lock()
		n := min(len(j.pending), journalBatchMax)
		batch := j.pending[:n:n]
		j.pending = j.pending[n:]
		j.mu.Unlock()

		if j.beforeWrite != nil {
			j.beforeWrite(len(batch))
		}
		j.write(ctx, batch)
		mine := false
		for _, b := range batch {
			if b == op {
				mine = true
			} else {
				b.wake <- true
			}
		}
		if !mine {
			lead = true // op is still pending: keep writing
			continue
		}
		j.mu.Lock()
		if len(j.pending) > 0 {
			j.pending[0].wake <- false
		} else {
			j.busy = false
		}
		j.mu.Unlock()
		return
	}
}

// write commits one batch, appends and done marks in one transaction, and
// sets each op's outcome.
func (j *storeJournal) write(ctx context.Context, batch []*journalOp) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), journalWriteTimeout)
	defer cancel()
	var (
		evs              []store.InboxEvent
		keys             []store.InboxKey
		appendOf, doneOf []*journalOp
	)
	for _, op := range batch {
		if op.ev.Channel != "" {
			evs = append(evs, op.ev)
			appendOf = append(appendOf, op)
		} else {
			keys = append(keys, op.key)
			doneOf = append(doneOf, op)
		}
	}
	var fresh, found []bool
	run := func(st *store.Store) (err error) {
		if len(evs) > 0 {
			if fresh, err = st.InboxAppendMany(ctx, evs); err != nil {
				return err
			}
		}
		if len(keys) > 0 {
			found, err = st.InboxDoneMany(ctx, keys, j.now())
		}
		return err
	}
	var err error
	if len(evs) > 0 && len(keys) > 0 {
		err = j.st.InTx(ctx, run)
	} else {
		err = run(j.st)
	}
	for i, op := range appendOf {
		if op.err = err; err == nil {
			op.fresh = fresh[i]
		}
	}
	for i, op := range doneOf {
		switch {
		case err != nil:
			op.err = err
		case !found[i]:
			op.err = fmt.Errorf("store: inbox done %s:%s: %w", op.key.Channel, op.key.UpdateID, store.ErrNotFound)
		}
	}
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
			j.log.Error("journal: unreadable update dropped from replay", "channel", ev.Channel, "update_id", ev.UpdateID, "err", err)
			if derr := j.st.InboxDone(ctx, ev.Channel, ev.UpdateID, j.now()); derr != nil {
				j.log.Warn("journal: mark unreadable update done", "channel", ev.Channel, "update_id", ev.UpdateID, "err", derr)
			}
			continue
		}
		out = append(out, u)
	}
	return out, nil
}
