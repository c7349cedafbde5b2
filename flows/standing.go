package flows

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/anttbot/anttbot/campaign"
	"github.com/anttbot/anttbot/store"
)

// cmdStanding shows where the campaign stands today and the person's and
// their unit's counts this month and this phase.
func (s *Service) cmdStanding(ctx context.Context, c *call) {
	loc, lang := s.opts.Location, c.lang
	var b strings.Builder
	b.WriteString(c.T(s, "flows.standing.title", "Campaign", s.camp.Name.In(lang)))
	b.WriteString("\n")
	phase, inPhase := s.camp.PhaseAt(c.now, loc)
	prev, hasPrev := s.camp.PreviousPhase(c.now, loc)
	next, hasNext := s.camp.NextPhase(c.now, loc)
	switch {
	case inPhase:
		b.WriteString(c.T(s, "flows.standing.phase", "Phase", phase.Name.In(lang), "From", formatDate(phase.Start),
			"To", formatDate(phase.End), "Days", phase.DaysLeft(c.now, loc)))
		if d := phase.Dedication.In(lang); d != "" {
			b.WriteString("\n")
			b.WriteString(c.T(s, "flows.standing.dedication", "Dedication", d))
		}
	case hasPrev && hasNext:
		b.WriteString(c.T(s, "flows.standing.between", "Prev", prev.Name.In(lang), "End", formatDate(prev.End),
			"Next", next.Name.In(lang), "Start", formatDate(next.Start)))
	case hasNext:
		b.WriteString(c.T(s, "flows.standing.before", "Phase", next.Name.In(lang), "Start", formatDate(next.Start)))
	case hasPrev:
		b.WriteString(c.T(s, "flows.standing.after", "Phase", prev.Name.In(lang), "End", formatDate(prev.End)))
		s.noCampaignRunning(c, &b)
	default:
		b.WriteString(c.T(s, "flows.standing.no_phases"))
		s.noCampaignRunning(c, &b)
	}

	today := campaign.DateOf(c.now, loc)
	monthFrom := time.Date(today.Year, today.Month, 1, 0, 0, 0, 0, loc)
	month := fmt.Sprintf("%02d/%04d", int(today.Month), today.Year)
	p := c.person
	phaseID := ""
	if inPhase {
		phaseID = phase.ID
	}
	lines := func(f store.CountFilter, kinds []countedKind) (string, int64, error) {
		var out []string
		var goodDeeds int64
		for _, k := range kinds {
			kf := f
			kf.Kinds, kf.Statuses = []string{k.id}, k.statuses
			kf.From, kf.To = monthFrom, monthFrom.AddDate(0, 1, 0)
			m, err := s.st.CountSubmissions(ctx, kf)
			if err != nil {
				return "", 0, err
			}
			if k.id == campaign.KindGoodDeed {
				goodDeeds = m
			}
			what := c.T(s, k.whatKey)
			if phaseID == "" {
				out = append(out, c.T(s, "flows.standing.count_month", "Kind", k.label, "What", what, "Month", m))
				continue
			}
			kf.From, kf.To, kf.PhaseID = time.Time{}, time.Time{}, phaseID
			n, err := s.st.CountSubmissions(ctx, kf)
			if err != nil {
				return "", 0, err
			}
			out = append(out, c.T(s, "flows.standing.count_month_phase", "Kind", k.label, "What", what, "Month", m, "Phase", n))
		}
		return strings.Join(out, "\n"), goodDeeds, nil
	}

	if p.Role.IsTeamMember() {
		mine, _, err := lines(store.CountFilter{ReporterID: p.ID}, s.countedKinds(lang, true))
		if err != nil {
			s.fail(c, fmt.Errorf("flows: standing: %w", err))
			return
		}
		b.WriteString("\n\n")
		b.WriteString(c.T(s, "flows.standing.you", "Month", month))
		b.WriteString("\n")
		b.WriteString(mine)
	}
	unitName := ""
	if u, err := s.st.UnitByID(ctx, p.UnitID); err == nil {
		unitName = u.Name
	}
	team, goodDeeds, err := lines(store.CountFilter{UnitID: p.UnitID}, s.countedKinds(lang, false))
	if err != nil {
		s.fail(c, fmt.Errorf("flows: standing: %w", err))
		return
	}
	b.WriteString("\n\n")
	b.WriteString(c.T(s, "flows.standing.unit", "Unit", unitName, "Month", month))
	b.WriteString("\n")
	b.WriteString(team)
	if t, ok := s.monthlyGoodDeedTarget(); ok && inPhase && p.Role.IsTeamMember() {
		key := "flows.standing.target_not_yet"
		if t.Met(float64(goodDeeds)) {
			key = "flows.standing.target_met"
		}
		b.WriteString("\n\n")
		b.WriteString(c.T(s, key, "Month", month, "Target", formatNumber(t.Threshold, lang), "Count", goodDeeds))
	}
	c.say(b.String(), s.menu(c)...)
}

// countedKind is one line of the standing.
type countedKind struct {
	id       string
	label    string
	statuses []string
	whatKey  string
}

// countedKinds are the kinds /thidua counts, those the campaign has: verified
// good deeds and patrols, and (for the person alone, tips being sensitive)
// tips sent.
func (s *Service) countedKinds(lang string, withTips bool) []countedKind {
	verified := []string{store.StatusVerified}
	want := []countedKind{
		{id: campaign.KindGoodDeed, statuses: verified, whatKey: "flows.standing.verified"},
		{id: campaign.KindPatrol, statuses: verified, whatKey: "flows.standing.verified"},
	}
	if withTips {
		want = append(want, countedKind{id: campaign.KindTip, whatKey: "flows.standing.sent"})
	}
	var out []countedKind
	for _, k := range want {
		if rk, ok := s.camp.Kind(k.id); ok {
			k.label = kindLabel(rk, lang)
			out = append(out, k)
		}
	}
	return out
}

// monthlyGoodDeedTarget is the campaign's per-team monthly good-deed target.
func (s *Service) monthlyGoodDeedTarget() (campaign.Target, bool) {
	for _, t := range s.camp.Targets() {
		if t.Metric == campaign.MetricTeamMonthlyGoodDeeds {
			return t, true
		}
	}
	return campaign.Target{}, false
}

// noCampaignRunning tells, between campaigns, that reports still count, and
// officials (not members) how the next campaign is loaded.
func (s *Service) noCampaignRunning(c *call, b *strings.Builder) {
	b.WriteString("\n")
	b.WriteString(c.T(s, "flows.standing.still_counted"))
	if c.person.Role.IsPolice() {
		b.WriteString("\n")
		b.WriteString(c.T(s, "flows.standing.load_new"))
	}
}
