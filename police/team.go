package police

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/anttbot/anttbot/access"
	"github.com/anttbot/anttbot/bot"
	"github.com/anttbot/anttbot/campaign"
	"github.com/anttbot/anttbot/flows"
	"github.com/anttbot/anttbot/store"
)

// cmdTeam is /to: a leader's or deputy's own team; the commune police pick
// one of their commune's teams (/to <team id>).
func (t *Tools) cmdTeam(ctx context.Context, c flows.Call) ([]bot.Message, error) {
	p := c.Person
	teamID := argID(commandArgs(c.Args), 0)
	if teamID == 0 {
		if p.Role.IsTeamMember() {
			teamID = p.UnitID
		} else {
			return t.pickTeam(ctx, c)
		}
	}
	if err := t.policy.Check(ctx, p, access.ViewTeam, access.Subject{UnitID: teamID}); err != nil {
		return t.refusal(c.Lang, err)
	}
	team, err := t.st.UnitByID(ctx, teamID)
	if errors.Is(err, store.ErrNotFound) || (err == nil && team.Level != store.LevelTeam) {
		return t.say(c.Lang, "police.team.not_team"), nil
	}
	if err != nil {
		return nil, fmt.Errorf("police: team %d: %w", teamID, err)
	}
	return t.teamView(ctx, c, team)
}

// pickTeam lists the teams of the officer's commune.
func (t *Tools) pickTeam(ctx context.Context, c flows.Call) ([]bot.Message, error) {
	if err := t.policy.Check(ctx, c.Person, access.ViewTeam, access.Subject{UnitID: c.Person.UnitID}); err != nil {
		return t.refusal(c.Lang, err)
	}
	teams, err := t.teamsOf(ctx, c.Person.UnitID)
	if err != nil {
		return nil, err
	}
	m := bot.Message{Text: t.T(c.Lang, "police.team.pick")}
	for _, u := range teams {
		if u.Level == store.LevelTeam {
			m.Buttons = append(m.Buttons, []bot.Button{btn(u.Name, cmdData(CmdTeam, u.ID))})
		}
	}
	if len(m.Buttons) == 0 {
		return t.say(c.Lang, "police.figures.no_teams"), nil
	}
	return []bot.Message{m}, nil
}

// counted is one column of the per-member table.
type counted struct {
	kind     string
	statuses []string
}

// teamView shows the team's verified good deeds, patrols and tips sent
// (counts only) this month and this phase, member by member, against the
// monthly good-deed target and the patrol target, and who has not reported
// anything this month.
func (t *Tools) teamView(ctx context.Context, c flows.Call, team store.Unit) ([]bot.Message, error) {
	lang, loc := c.Lang, t.opts.Location
	now := t.now()
	today := campaign.DateOf(now, loc)
	month := t.monthSpan(today.Year, today.Month)
	phase, inPhase := t.camp.PhaseAt(now, loc)
	members, err := t.st.TeamMembers(ctx, team.ID)
	if err != nil {
		return nil, fmt.Errorf("police: team %d: %w", team.ID, err)
	}
	verified := []string{store.StatusVerified}
	var cols []counted
	for _, k := range []counted{{campaign.KindGoodDeed, verified}, {campaign.KindPatrol, verified}, {campaign.KindTip, nil}} {
		if _, ok := t.camp.Kind(k.kind); ok {
			cols = append(cols, k)
		}
	}
	count := func(f store.CountFilter) (map[int64]int64, error) {
		f.UnitID = team.ID
		return t.st.CountByGroup(ctx, f, store.GroupReporter)
	}
	monthly := make([]map[int64]int64, len(cols))
	phased := make([]map[int64]int64, len(cols))
	for i, col := range cols {
		if monthly[i], err = count(store.CountFilter{Kinds: []string{col.kind}, Statuses: col.statuses, From: month.From, To: month.To}); err != nil {
			return nil, fmt.Errorf("police: team %d: %w", team.ID, err)
		}
		if inPhase {
			if phased[i], err = count(store.CountFilter{Kinds: []string{col.kind}, Statuses: col.statuses, PhaseID: phase.ID}); err != nil {
				return nil, fmt.Errorf("police: team %d: %w", team.ID, err)
			}
		}
	}
	// Anything sent this month and not turned down counts as having reported.
	active, err := count(store.CountFilter{Statuses: []string{store.StatusPending, store.StatusReceived, store.StatusVerified}, From: month.From, To: month.To})
	if err != nil {
		return nil, fmt.Errorf("police: team %d: %w", team.ID, err)
	}

	monthName := fmt.Sprintf("%02d/%04d", int(today.Month), today.Year)
	var b strings.Builder
	if inPhase {
		b.WriteString(t.T(lang, "police.team.title", "Team", team.Name, "Month", monthName, "Phase", phase.Name.In(lang), "Members", len(members)))
	} else {
		b.WriteString(t.T(lang, "police.team.title_no_phase", "Team", team.Name, "Month", monthName, "Members", len(members)))
	}
	if line, err := t.goodDeedLine(ctx, team, month, cols, monthly, lang, monthName); err != nil {
		return nil, err
	} else if line != "" {
		b.WriteString("\n")
		b.WriteString(line)
	}
	if inPhase {
		if line := t.patrolLine(members, cols, phased, lang, phase); line != "" {
			b.WriteString("\n")
			b.WriteString(line)
		}
	}

	b.WriteString("\n\n")
	legend := make([]string, len(cols))
	for i, col := range cols {
		legend[i] = t.kindLabel(col.kind, lang)
	}
	key := "police.team.members_month"
	if inPhase {
		key = "police.team.members_month_phase"
	}
	b.WriteString(t.T(lang, key, "Kinds", strings.Join(legend, " · ")))
	var silent []string
	for _, m := range members {
		cells := make([]string, len(cols))
		for i := range cols {
			if inPhase {
				cells[i] = fmt.Sprintf("%d/%d", monthly[i][m.ID], phased[i][m.ID])
			} else {
				cells[i] = fmt.Sprint(monthly[i][m.ID])
			}
		}
		b.WriteString("\n")
		b.WriteString(t.T(lang, "police.team.member", "Name", m.Name, "Role", t.roleLabel(m.Role, lang), "Counts", strings.Join(cells, " · ")))
		if active[m.ID] == 0 {
			silent = append(silent, m.Name)
		}
	}
	b.WriteString("\n\n")
	switch {
	case len(members) == 0:
		b.WriteString(t.T(lang, "police.team.no_members"))
	case len(silent) == 0:
		b.WriteString(t.T(lang, "police.team.all_reported", "Month", monthName))
	default:
		b.WriteString(t.T(lang, "police.team.not_reported", "Month", monthName, "Count", len(silent), "Names", strings.Join(silent, ", ")))
	}
	return []bot.Message{{Text: b.String()}}, nil
}

// target returns the campaign's first target of a metric.
func (t *Tools) target(metric string) (campaign.Target, bool) {
	for _, tg := range t.camp.Targets() {
		if tg.Metric == metric {
			return tg, true
		}
	}
	return campaign.Target{}, false
}

// goodDeedLine is the team's month against the monthly good-deed target:
// verified good deeds plus the commendations the police entered.
func (t *Tools) goodDeedLine(ctx context.Context, team store.Unit, month store.Span, cols []counted, monthly []map[int64]int64, lang, monthName string) (string, error) {
	tg, ok := t.target(campaign.MetricTeamMonthlyGoodDeeds)
	if !ok {
		return "", nil
	}
	var deeds int64
	for i, col := range cols {
		if col.kind == campaign.KindGoodDeed {
			for _, n := range monthly[i] {
				deeds += n
			}
		}
	}
	sum, err := t.st.PoliceFigures(ctx, []int64{team.ID}, campaign.FigureCommendations, month.From, month.To)
	if err != nil {
		return "", fmt.Errorf("police: commendations of team %d: %w", team.ID, err)
	}
	value := float64(deeds) + sum.Sum
	state := t.T(lang, "police.team.not_yet")
	if tg.Met(value) {
		state = t.T(lang, "police.team.met")
	}
	if sum.Sum > 0 {
		return t.T(lang, "police.team.good_deeds_commended", "Month", monthName, "Count", deeds,
			"Commendations", formatNumber(sum.Sum, lang), "Target", formatNumber(tg.Threshold, lang), "State", state), nil
	}
	return t.T(lang, "police.team.good_deeds", "Month", monthName, "Count", deeds,
		"Target", formatNumber(tg.Threshold, lang), "State", state), nil
}

// patrolLine is the share of members with a verified patrol in the phase
// against the patrol target.
func (t *Tools) patrolLine(members []store.Person, cols []counted, phased []map[int64]int64, lang string, phase campaign.Phase) string {
	tg, ok := t.target(campaign.MetricPatrolParticipation)
	if !ok || len(members) == 0 {
		return ""
	}
	idx := -1
	for i, col := range cols {
		if col.kind == campaign.KindPatrol {
			idx = i
		}
	}
	if idx < 0 {
		return ""
	}
	patrolled := 0
	for _, m := range members {
		if phased[idx][m.ID] > 0 {
			patrolled++
		}
	}
	share := float64(patrolled) / float64(len(members)) * 100
	state := t.T(lang, "police.team.not_yet")
	if tg.Met(share) {
		state = t.T(lang, "police.team.met")
	}
	return t.T(lang, "police.team.patrols", "Phase", phase.Name.In(lang), "Patrolled", patrolled, "Members", len(members),
		"Share", formatNumber(share, lang), "Target", formatNumber(tg.Threshold, lang), "State", state)
}
