package flows

import (
	"context"
	"fmt"
	"strings"

	"github.com/anttbot/anttbot/bot"
	"github.com/anttbot/anttbot/store"
)

// cmdMine lists the person's latest reports with their status in words.
func (s *Service) cmdMine(ctx context.Context, c *call, sess *Session) {
	subs, err := s.st.SubmissionsByReporter(ctx, c.person.ID, s.opts.MyReports)
	if err != nil {
		s.fail(c, fmt.Errorf("flows: my reports: %w", err))
		return
	}
	if len(subs) == 0 && len(sess.Pending) == 0 {
		c.say(c.T(s, "flows.mine.none"), []bot.Button{btn(c.T(s, "flows.menu.report"), "/baocao")})
		return
	}
	var b strings.Builder
	b.WriteString(c.T(s, "flows.mine.title", "N", len(subs)))
	for _, p := range sess.Pending {
		b.WriteString("\n")
		b.WriteString(c.T(s, "flows.mine.pending_line", "Kind", s.kindName(p.Report.Kind, c.lang),
			"Date", formatTimeDate(p.Report.OccurredAt, s.opts.Location)))
	}
	for _, sub := range subs {
		b.WriteString("\n")
		b.WriteString(c.T(s, "flows.mine.line", "Ref", sub.ID, "Kind", s.kindName(sub.Kind, c.lang),
			"Date", formatTimeDate(sub.OccurredAt, s.opts.Location), "Status", s.statusName(c.lang, sub.Status)))
		if sub.Status == store.StatusRejected && sub.RejectReason != "" {
			b.WriteString(c.T(s, "flows.mine.reason", "Reason", truncate(sub.RejectReason, 120)))
		}
	}
	c.say(b.String(), s.menu(c)...)
}

// kindName is a report kind's emoji and name, or its id when the campaign no
// longer has it.
func (s *Service) kindName(id, lang string) string {
	if k, ok := s.camp.Kind(id); ok {
		return kindLabel(k, lang)
	}
	return id
}

// statusName is a submission status in words.
func (s *Service) statusName(lang, status string) string {
	switch status {
	case store.StatusPending, store.StatusReceived, store.StatusVerified, store.StatusRejected:
		return s.tr.T(lang, "flows.status."+status)
	}
	return status
}
