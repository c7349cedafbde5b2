package scheduler

import (
	"context"
	"fmt"
	"time"

	"github.com/anttbot/anttbot/campaign"
	"github.com/anttbot/anttbot/store"
)

// teamMonth is where every team stands in one calendar month, for the
// leaders' reminder and nudge. Counts follow the report package's rules:
// verified reports whose event date is in the month.
type teamMonth struct {
	// target is the monthly good-deed target; nil when the campaign has none.
	target *campaign.Target
	// goodDeeds, pending and commendations are per live team.
	goodDeeds     map[int64]int64
	pending       map[int64]int64
	commendations map[int64]float64
	hasPatrol     bool
	patrols       map[int64]int64
	// patrollers counts verified patrols per person.
	patrollers map[int64]int64
	// reported counts the reports each person made in the month (any
	// status, by the time they were made) of the kinds a leader may see:
	// a member who only sent tips is listed as silent, so that the list
	// never hints at who gave the police a tip.
	reported map[int64]int64
}

// goodDeedTarget returns the campaign's per-team monthly good-deed target.
func goodDeedTarget(c *campaign.Campaign) (campaign.Target, bool) {
	for _, t := range c.Targets() {
		if t.Metric == campaign.MetricTeamMonthlyGoodDeeds {
			return t, true
		}
	}
	return campaign.Target{}, false
}

// loadTeamMonth counts, for every team, the month [from, to).
func (e *env) loadTeamMonth(ctx context.Context, o *org, from, to time.Time) (*teamMonth, error) {
	tm := &teamMonth{commendations: map[int64]float64{}}
	if t, ok := goodDeedTarget(e.camp); ok {
		tm.target = &t
	}
	count := func(kind string, statuses []string, group string) (map[int64]int64, error) {
		return e.st.CountByGroup(ctx, store.CountFilter{Kinds: []string{kind}, Statuses: statuses, From: from, To: to}, group)
	}
	verified := []string{store.StatusVerified}
	var err error
	if tm.target != nil {
		if tm.goodDeeds, err = count(campaign.KindGoodDeed, verified, store.GroupTeam); err != nil {
			return nil, err
		}
		if tm.pending, err = count(campaign.KindGoodDeed, []string{store.StatusPending, store.StatusReceived}, store.GroupTeam); err != nil {
			return nil, err
		}
		// Commendations are entered per team and month.
		teams := make([]int64, len(o.byLvl[store.LevelTeam]))
		for i, u := range o.byLvl[store.LevelTeam] {
			teams[i] = u.ID
		}
		rows, err := e.st.ReportFigures(ctx, teams, []string{campaign.FigureCommendations}, []store.Span{{From: from, To: to}})
		if err != nil {
			return nil, fmt.Errorf("scheduler: commendations: %w", err)
		}
		for _, r := range rows {
			tm.commendations[r.UnitID] += r.Sum
		}
	}
	if _, ok := e.camp.Kind(campaign.KindPatrol); ok {
		tm.hasPatrol = true
		if tm.patrols, err = count(campaign.KindPatrol, verified, store.GroupTeam); err != nil {
			return nil, err
		}
		if tm.patrollers, err = count(campaign.KindPatrol, verified, store.GroupReporter); err != nil {
			return nil, err
		}
	}
	var visible []string
	for _, k := range e.camp.Kinds {
		if !k.Sensitive {
			visible = append(visible, k.ID)
		}
	}
	if tm.reported, err = e.st.SubmissionsByReporterMade(ctx, from, to, visible); err != nil {
		return nil, err
	}
	return tm, nil
}

// value is the team's number against the monthly good-deed target.
func (tm *teamMonth) value(teamID int64) float64 {
	return float64(tm.goodDeeds[teamID]) + tm.commendations[teamID]
}

// met reports whether the team meets the monthly good-deed target.
func (tm *teamMonth) met(teamID int64) bool {
	return tm.target != nil && tm.target.Met(tm.value(teamID))
}

// silent returns the names of the team's members with no report in the month.
func (tm *teamMonth) silent(members []store.Person) []string {
	var out []string
	for _, p := range members {
		if tm.reported[p.ID] == 0 {
			out = append(out, p.Name)
		}
	}
	return out
}

// patrolled counts the team's members with at least one verified patrol.
func (tm *teamMonth) patrolled(members []store.Person) int {
	n := 0
	for _, p := range members {
		if tm.patrollers[p.ID] > 0 {
			n++
		}
	}
	return n
}

// threshold formats the target's threshold.
func (tm *teamMonth) threshold() string {
	if tm.target == nil {
		return ""
	}
	return formatNum(tm.target.Threshold)
}

// formatNum writes a whole number without decimals, others with one.
func formatNum(v float64) string {
	if v == float64(int64(v)) {
		return fmt.Sprintf("%d", int64(v))
	}
	return fmt.Sprintf("%.1f", v)
}
