package tips

import (
	"context"
	"strconv"
	"strings"

	"github.com/anttbot/anttbot/delivery"
	"github.com/anttbot/anttbot/store"
)

// OnSent is the delivery queue's Options.OnSent hook (or part of it): for
// a pushed tip it records which message in which chat the officer got, so
// that message can be edited when somebody acts on the tip. It runs in the
// transaction that marks the job done. When the tip changed while the push
// was waiting in the queue, the message just sent is brought up to date at
// once. Other jobs are ignored.
func (t *Tips) OnSent(ctx context.Context, tx *store.Store, r delivery.Result) error {
	subID, lvl, ok := parsePushRef(r.Job.Ref)
	if !ok || r.Job.To.PersonID == 0 || r.Sent.MessageID == "" {
		return nil
	}
	m := store.TipMessage{SubmissionID: subID, PersonID: r.Job.To.PersonID, Level: lvl,
		Channel: r.Channel, ChatID: r.ChatID, MessageID: r.Sent.MessageID, SentAt: t.now()}
	if err := tx.RecordTipMessage(ctx, m); err != nil {
		return err
	}
	sub, err := tx.SubmissionByID(ctx, subID)
	if err != nil {
		return fmtErr("record push of tip", subID, err)
	}
	if sub.Status == store.StatusPending {
		return nil
	}
	msgs, err := tx.TipMessages(ctx, subID)
	if err != nil {
		return err
	}
	var mine []store.TipMessage
	for _, x := range msgs {
		if x.PersonID == m.PersonID && x.Channel == m.Channel && x.ChatID == m.ChatID && x.MessageID == m.MessageID {
			mine = append(mine, x)
		}
	}
	v, err := t.load(ctx, tx, sub)
	if err != nil {
		return err
	}
	what := sub.Status
	if sub.RejectReason != "" {
		what = "reason"
	}
	jobs, err := t.edits(ctx, tx, v, mine, what)
	if err != nil {
		return err
	}
	return delivery.Enqueue(ctx, tx, jobs...)
}

// parsePushRef reads pushRef's "tip:<id>:push:<level>".
func parsePushRef(ref string) (int64, store.Level, bool) {
	parts := strings.Split(ref, ":")
	if len(parts) != 4 || parts[0] != "tip" || parts[2] != "push" {
		return 0, "", false
	}
	id, err := strconv.ParseInt(parts[1], 10, 64)
	if err != nil || id <= 0 {
		return 0, "", false
	}
	switch l := store.Level(parts[3]); l {
	case store.LevelCommune, store.LevelDistrict, store.LevelProvince:
		return id, l, true
	}
	return 0, "", false
}
