package tips

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/anttbot/anttbot/store"
)

// Escalate pushes every tip nobody acted on in time one level up: a tip
// still pending Options.Escalation (EscalationUrgent when urgent) after it
// reached its current level goes to the next (district police, or province
// police when there is no district). Each tip reaches each level once, even
// when several replicas run Escalate at the same time. It returns how many
// tips moved up. Run it every few minutes (the scheduler's job).
func (t *Tips) Escalate(ctx context.Context, now time.Time) (int, error) {
	soonest := min(t.opts.Escalation, t.opts.EscalationUrgent)
	subs, err := t.st.PendingTips(ctx, t.kinds(), now.Add(-soonest), t.opts.EscalationBatch)
	if err != nil {
		return 0, fmt.Errorf("tips: escalate: %w", err)
	}
	moved := 0
	var errs []error
	for _, sub := range subs {
		ok, err := t.escalate(ctx, sub, now)
		if err != nil {
			// One broken tip must not hold back the others.
			errs = append(errs, err)
			continue
		}
		if ok {
			moved++
		}
	}
	return moved, errors.Join(errs...)
}

// escalate moves one tip up when it is due.
func (t *Tips) escalate(ctx context.Context, sub store.Submission, now time.Time) (bool, error) {
	wait := t.opts.Escalation
	if sub.Urgent {
		wait = t.opts.EscalationUrgent
	}
	if now.Before(sub.CreatedAt.Add(wait)) {
		return false, nil
	}
	moved := false
	err := t.st.InTx(ctx, func(tx *store.Store) error {
		// Read again in the transaction: an officer may have acted since the list was made.
		cur, err := tx.SubmissionByID(ctx, sub.ID)
		if err != nil || cur.Status != store.StatusPending {
			return err
		}
		levels, err := t.chain(ctx, tx, cur)
		if err != nil {
			return err
		}
		escs, err := tx.TipEscalations(ctx, cur.ID)
		if err != nil {
			return err
		}
		at, reached := cur.CreatedAt, 0
		for _, e := range escs {
			i := slices.IndexFunc(levels, func(l level) bool { return l.level == e.Level })
			if i > reached {
				reached = i
			}
			if e.At.After(at) {
				at = e.At
			}
		}
		if reached >= len(levels)-1 || now.Before(at.Add(wait)) {
			return nil
		}
		if err := t.pushFrom(ctx, tx, cur, levels, reached+1, store.EscalationTimeout, now); err != nil {
			return err
		}
		moved = true
		return nil
	})
	if errors.Is(err, errAlreadyEscalated) {
		return false, nil
	}
	if err != nil {
		return false, fmtErr("escalate tip", sub.ID, err)
	}
	return moved, nil
}
