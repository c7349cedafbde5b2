// Package report turns the campaign's targets into numbers for a team, a
// commune, a district or a province over a period (a month, a phase, the
// whole campaign, a date range), ranks teams, communes and members for
// commendation, and renders the result as chat text, a PNG chart and an
// XLSX workbook. It reads only through package store's aggregate queries
// (the Querier interface), which count in the database.
//
// How each number is computed is written beside the Metric* constants of
// package campaign. On top of those, this package decides:
//
//   - Only verified reports count; pending, received and rejected ones never do
//     (tips for target 1a: once the police received them, see store.ReceivedStatuses).
//   - Only the campaign's days count, and at now only what is dated before
//     now: a scorecard as of 15 March is what an official saw that day.
//   - Per-month targets are judged on calendar months (Period.CampaignMonths).
//   - A police figure must cover every month of the period up to now, else
//     the target is NotMeasurable and MissingMonths names the gaps; a share
//     whose numerator exceeds its total is NotMeasurable (NoteFiguresDisagree).
//   - A team without active members is left out of team-scope targets
//     (Result.LeftOut).
//   - State: a target is Met or Missed once its period is over. While it
//     runs, it is NotYet, except where the outcome can no longer change: a
//     count that must reach a threshold (models ≥ 3, a month's good deed) is
//     Met as soon as it does, and a count that must stay at 0 is Missed as
//     soon as it is not. A target whose police figure was never entered for
//     the period is NotMeasurable, naming the missing figures; a figure
//     entered as 0 is a real 0.
//   - Commendations (FigureCommendations) only add to a team's month: when
//     none were entered the month is judged on its good deeds alone.
//   - Aggregation: a commune meets a team-scope target when every one of its
//     teams does. A unit above a commune (district, province) reports, for
//     every commune-scope target, the share of its communes that meet it,
//     and for every team-scope target the share of its teams that do, each
//     with the underlying totals added up (tips through the force over all
//     tips received, members who patrolled over members, ...). Its state is
//     Missed when any commune (team) missed, else NotMeasurable when any
//     lacks a figure, else NotYet when any is still open, else Met.
//   - A team's scorecard shows its team-scope targets and, for the
//     commune-scope ones, its commune's results.
package report

import (
	"time"

	"github.com/anttbot/anttbot/campaign"
	"github.com/anttbot/anttbot/store"
)

// State is how a target stands.
type State string

// States of a target.
const (
	// StateMet: the target is met (for good, see the package doc).
	StateMet State = "met"
	// StateNotYet: the period is still running and the outcome open.
	StateNotYet State = "not_yet"
	// StateMissed: the target was not met and can no longer be.
	StateMissed State = "missed"
	// StateNotMeasurable: a police figure the target needs was never entered.
	StateNotMeasurable State = "not_measurable"
)

// Notes explain a number that would otherwise surprise.
const (
	// NoteNoMembers: the team (or commune) has no active members, so
	// nobody could take part.
	NoteNoMembers = "no_members"
	// NoteNoEvents: no incidents or call-outs were logged, which counts as met.
	NoteNoEvents = "no_events"
	// NoteZeroTotal: the police entered a total of 0, which counts as met.
	NoteZeroTotal = "zero_total"
	// NoteNoUnits: the unit has no communes or teams to evaluate.
	NoteNoUnits = "no_units"
	// NoteFiguresDisagree: the numerator exceeds the total the police
	// entered (more tips through the force than tips received), so the
	// share is not measurable until the figures are corrected.
	NoteFiguresDisagree = "figures_disagree"
	// NoteAccidentsLogged: serious accidents logged with /sukien exceed the
	// figure entered (or it was not entered); the larger is shown.
	NoteAccidentsLogged = "accidents_logged"
	// NoteSinceCampaign: the count runs from the first day of the campaign,
	// not from the start of the period (recognised models).
	NoteSinceCampaign = "since_campaign"
)

// Result is one target's outcome for one unit.
type Result struct {
	Target campaign.Target
	State  State
	// Value is what is compared with the threshold: the metric's value for
	// a team or commune; when Aggregate, the share (%) of the communes or
	// teams below that meet the target.
	Value float64
	// Num and Den are the numbers behind Value, added up over the units
	// below when Aggregate: tips through the force and all tips received,
	// incidents with a member present and incidents, members who patrolled
	// and members, months with a good deed and months. HasDen is false for
	// counts, whose number is Num alone.
	Num, Den float64
	HasDen   bool
	// Aggregate is set when Value is a share of units meeting the target.
	Aggregate bool
	// UnitLevel is what Units counts (communes or teams) when Aggregate.
	UnitLevel store.Level
	// Units, and how many of them are in each state, when Aggregate.
	Units, UnitsMet, UnitsNotYet, UnitsMissed, UnitsNotMeasurable int
	// Missing names the police figures never entered (campaign.Figure*),
	// or entered for only part of the period.
	Missing []string
	// MissingMonths are the months of the period that a figure entered in
	// part does not cover: the target is not measurable until they are.
	MissingMonths []Month
	// Reported is, for resident information (4b) and reintegration (5b),
	// the members' verified reports of that work in the period.
	Reported float64
	// Present is, for the presence targets, the incidents with a confirmed
	// member present at all; Num counts those present in time.
	Present float64
	// Entered and Logged are, for serious accidents (NoteAccidentsLogged),
	// the police figure and the serious accidents logged as incidents.
	Entered, Logged float64
	// Note is one of the Note* constants, or "".
	Note string
	// LeftOut names the teams left out of a team-scope target because they
	// have no active member (their own result is NotMeasurable, NoteNoMembers).
	LeftOut []string
	// Months holds the monthly detail of a per-month target for one team
	// or commune, in order.
	Months []MonthResult
}

// MonthResult is one month of a per-month target.
type MonthResult struct {
	Month Month
	State State
	// Value is the month's value (good deeds plus commendations; a share
	// for a percent target).
	Value float64
}

// UnitCard is one commune's or team's results and the achievements behind
// them.
type UnitCard struct {
	Unit store.Unit
	// CommuneID is the commune a team belongs to (0 for a commune).
	CommuneID int64
	// Results has one entry per target evaluated for the unit, in plan
	// order: for a commune every target (team targets over its teams), for
	// a team its team-scope targets.
	Results []Result
	// Counts are verified reports in the period by kind.
	Counts map[string]int64
	// Members are active team members; Patrolled those with a verified
	// patrol in the period.
	Members, Patrolled int64
	// GoodDeedMonths is how many months of the period had a good deed or a
	// commendation, of Months (for a commune: team-months).
	GoodDeedMonths, Months int
	// Commendations entered by the police in the period.
	Commendations float64
}

// Total returns the verified reports of every kind.
func (c UnitCard) Total() int64 {
	var n int64
	for _, v := range c.Counts {
		n += v
	}
	return n
}

// Met returns how many of the card's results are met.
func (c UnitCard) Met() int {
	n := 0
	for _, r := range c.Results {
		if r.State == StateMet {
			n++
		}
	}
	return n
}

// Scorecard is the campaign's targets evaluated for one unit and period.
type Scorecard struct {
	Campaign *campaign.Campaign
	Unit     store.Unit
	// Commune is the team's commune when Unit is a team.
	Commune *store.Unit
	Period  Period
	// Now is when it was computed; the period may still be running.
	Now      time.Time
	Location *time.Location
	// Results has one entry per campaign target, in plan order.
	Results []Result
	// Communes and Teams are the live units below (a team's scorecard has
	// its commune and itself), by id.
	Communes []UnitCard
	Teams    []UnitCard
	// Counts are the unit's verified reports in the period by kind.
	Counts map[string]int64
	// Subtree holds the ids of the unit and every unit below or merged into
	// it: the units its reports were made in.
	Subtree []int64
	// Former are the merged units of the subtree whose reports count for
	// the unit (the communes and teams it was made of), by id.
	Former []store.Unit
	// Members are the unit's active team members.
	Members int64
	// Top are the best teams, at most three (see RankTeams).
	Top []TeamRank
	// Months are the calendar months the per-month targets are judged on:
	// each month's campaign days, whole even where the period cuts it.
	Months []Month
}

// Tally counts the scorecard's results by state.
func (sc Scorecard) Tally() map[State]int {
	out := map[State]int{}
	for _, r := range sc.Results {
		out[r.State]++
	}
	return out
}

// Total returns the verified reports of every kind.
func (sc Scorecard) Total() int64 {
	var n int64
	for _, v := range sc.Counts {
		n += v
	}
	return n
}

// unitName returns the name of a unit of the scorecard by id.
func (sc Scorecard) unitName(id int64) string {
	for _, c := range sc.Communes {
		if c.Unit.ID == id {
			return c.Unit.Name
		}
	}
	for _, t := range sc.Teams {
		if t.Unit.ID == id {
			return t.Unit.Name
		}
	}
	if sc.Unit.ID == id {
		return sc.Unit.Name
	}
	return ""
}
