package flows

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/anttbot/anttbot/campaign"
	"github.com/anttbot/anttbot/store"
)

// finishReport stores a confirmed report once. When the database cannot
// take it now, the report is kept in the session and Tick retries it.
func (s *Service) finishReport(ctx context.Context, c *call, sess *Session, d *Draft) {
	if r, ok := sess.receipt(d.ID); ok {
		// Stored by an earlier run of this same update (a compare-and-set retry).
		sess.Draft = nil
		c.say(s.savedText(c.lang, r.Ref, r.Kind, nil), s.menu(c)...)
		return
	}
	rep, err := s.eng.BuildReport(d, c.u.Channel, c.u.ChatID)
	if err != nil {
		c.errs = append(c.errs, err)
		c.out.Replies = append(c.out.Replies, s.eng.interrupted(sess, c.lang, c.now).Replies...)
		return
	}
	sess.Draft = nil
	ref, err := s.save(ctx, rep)
	switch {
	case err == nil:
		sess.addReceipt(Receipt{DraftID: d.ID, Ref: ref, Kind: rep.Kind})
		c.say(s.savedText(c.lang, ref, rep.Kind, &rep), s.menu(c)...)
	case permanent(err):
		// Retrying cannot help: the report is refused, and the user told.
		c.errs = append(c.errs, err)
		c.say(c.T(s, "flows.report.rejected"), s.menu(c)...)
	default:
		sess.Pending = append(sess.Pending, Pending{
			DraftID: d.ID, Report: rep, Attempts: 1, NextAt: c.now.Add(s.opts.SaveRetry), Since: c.now,
		})
		s.log.Warn("report kept in session for a later save", "channel", c.u.Channel, "draft", d.ID, "err", err)
		c.say(c.T(s, "flows.report.deferred"), s.menu(c)...)
	}
}

// permanent reports whether a failed save would fail again: the store
// refused the report, or the team it was made in is gone.
func permanent(err error) bool {
	return errors.Is(err, store.ErrInvalid) || errors.Is(err, store.ErrNotFound)
}

// save writes the report; the idempotency key makes a repeat harmless.
func (s *Service) save(ctx context.Context, rep Report) (int64, error) {
	sub := rep.Submission()
	if _, err := s.submitter().CreateSubmission(ctx, &sub, rep.Source); err != nil {
		return 0, fmt.Errorf("flows: save report %s: %w", rep.Key, err)
	}
	return sub.ID, nil
}

// savedText confirms a stored report with its reference number and, when
// the report is known, which phase it counts for.
func (s *Service) savedText(lang string, ref int64, kindID string, rep *Report) string {
	kind := kindID
	k, ok := s.camp.Kind(kindID)
	if ok {
		kind = kindLabel(k, lang)
	}
	lines := []string{s.tr.T(lang, "flows.report.saved", "Kind", kind, "Ref", ref)}
	if rep != nil {
		lines = append(lines, s.phaseLine(lang, rep.OccurredAt))
		if ok && k.Sensitive {
			lines = append(lines, s.tr.T(lang, "flows.report.sensitive_note"))
		}
		if rep.Urgent {
			lines = append(lines, s.tr.T(lang, "flows.report.urgent_note"))
		}
	}
	return strings.Join(lines, "\n")
}

// phaseLine says which phase a report dated at counts for, or that it
// counts for none.
func (s *Service) phaseLine(lang string, at time.Time) string {
	if p, ok := s.camp.PhaseAt(at, s.opts.Location); ok {
		return s.tr.T(lang, "flows.report.counts_for", "Phase", p.Name.In(lang))
	}
	return s.tr.T(lang, "flows.report.no_phase", "Date", formatDate(campaign.DateOf(at, s.opts.Location)))
}
