package flows

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/anttbot/anttbot/bot"
	"github.com/anttbot/anttbot/session"
)

// tickBatch bounds how many sessions one Tick looks at.
const tickBatch = 100

// Tick does the work sessions asked to be woken for: it retries reports the
// database could not take (and tells the member their number once stored)
// and sends the one idle reminder of an unfinished report. The lead runs it
// every few seconds; several replicas may run it at once, the session's
// compare-and-set and the report's idempotency key keep that safe.
func (s *Service) Tick(ctx context.Context) error {
	now := s.now()
	keys, err := s.sessions.Due(ctx, now, tickBatch)
	if err != nil {
		return fmt.Errorf("flows: tick: due sessions: %w", err)
	}
	var errs []error
	for _, key := range keys {
		if err := s.wake(ctx, key, now); err != nil && !errors.Is(err, session.ErrConflict) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// wake handles one due session.
func (s *Service) wake(ctx context.Context, key string, now time.Time) error {
	rec, err := s.sessions.Load(ctx, key)
	if errors.Is(err, session.ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("flows: tick: load %s: %w", key, err)
	}
	sess, err := decodeSession(rec.Data)
	if err != nil {
		// Nothing this code can do with it: stop waking for it; the user is
		// told when they next write.
		rec.WakeAt = time.Time{}
		return s.sessions.Save(ctx, &rec)
	}
	if sess.Channel == "" || sess.ChatID == "" {
		sess.Channel, sess.ChatID, _ = strings.Cut(key, ":")
	}
	lang := sess.Lang
	if lang == "" {
		lang = s.opts.DefaultLang
	}
	var out []bot.Message
	var errs []error
	wasReminded := sess.Draft != nil && sess.Draft.Reminded

	kept := sess.Pending[:0]
	for _, p := range sess.Pending {
		if p.NextAt.After(now) {
			kept = append(kept, p)
			continue
		}
		ref, err := s.save(ctx, p.Report)
		switch {
		case err == nil:
			sess.addReceipt(Receipt{DraftID: p.DraftID, Ref: ref, Kind: p.Report.Kind})
			s.log.Info("pending report saved", "channel", sess.Channel, "draft", p.DraftID, "ref", ref, "attempts", p.Attempts+1)
			text := s.tr.T(lang, "flows.report.saved_later", "Kind", s.kindName(p.Report.Kind, lang), "Ref", ref) +
				"\n" + s.phaseLine(lang, p.Report.OccurredAt)
			out = append(out, bot.Message{Text: text})
		case permanent(err):
			errs = append(errs, err)
			out = append(out, bot.Message{Text: s.tr.T(lang, "flows.report.rejected")})
		default:
			p.Attempts++
			p.NextAt = now.Add(s.backoff(p.Attempts))
			kept = append(kept, p)
			s.log.Warn("pending report not saved yet", "channel", sess.Channel, "draft", p.DraftID, "attempts", p.Attempts, "err", err)
		}
	}
	sess.Pending = kept

	if d := sess.Draft; d != nil && d.Flow == flowReport && !d.Reminded && now.Sub(sess.Seen) >= s.opts.IdleReminder {
		// Once per report, even when there is nothing to remind of any more
		// (expired, or no longer in the campaign): the next message tells.
		d.Reminded = true
	}
	if d := sess.Draft; d != nil && d.Reminded && !wasReminded && now.Sub(sess.Seen) <= s.opts.SessionTTL && s.eng.valid(d, lang) {
		out = append(out, bot.Message{
			Text: s.tr.T(lang, "flows.idle.reminder", "Kind", s.draftLabel(d, lang)),
			Buttons: [][]bot.Button{{
				btn(s.tr.T(lang, "flows.idle.resume"), stepData(d, codeResume)),
				btn(s.tr.T(lang, "flows.idle.drop"), stepData(d, codeDrop)),
			}},
		})
	}

	data, err := sess.encode()
	if err != nil {
		return err
	}
	rec.Data, rec.TTL, rec.WakeAt = data, s.ttlOf(sess), s.wakeOf(sess)
	if !rec.WakeAt.After(now) && !rec.WakeAt.IsZero() {
		// Never ask to be woken in the past: that would spin.
		rec.WakeAt = now.Add(s.opts.SaveRetry)
	}
	if err := s.sessions.Save(ctx, &rec); err != nil {
		// Nothing was sent: the next Tick sees the session again (a report
		// saved meanwhile is found by its idempotency key).
		return fmt.Errorf("flows: tick: save %s: %w", key, err)
	}
	for _, m := range out {
		m.ChatID = sess.ChatID
		if _, err := s.sender.Send(ctx, sess.Channel, m); err != nil {
			errs = append(errs, fmt.Errorf("flows: tick: send to %s: %w", key, err))
			break
		}
	}
	return errors.Join(errs...)
}

// backoff is the delay before the next retry of a pending report.
func (s *Service) backoff(attempts int) time.Duration {
	d := s.opts.SaveRetry
	for i := 1; i < attempts && d < maxSaveRetry; i++ {
		d *= 2
	}
	return min(d, maxSaveRetry)
}

// Busy reports whether the chat is in the middle of a flow, so scheduled
// messages can wait rather than interrupt it. When the session store cannot
// say, it answers true: a late message is better than a confusing one.
func (s *Service) Busy(ctx context.Context, channel, chatID string) bool {
	rec, err := s.sessions.Load(ctx, sessionKey(channel, chatID))
	if errors.Is(err, session.ErrNotFound) {
		return false
	}
	if err != nil {
		return true
	}
	sess, err := decodeSession(rec.Data)
	if err != nil {
		return false
	}
	return sess.Draft != nil && s.now().Sub(sess.Seen) <= s.opts.SessionTTL
}
