package report

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"slices"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/anttbot/anttbot/campaign"
	"github.com/anttbot/anttbot/store"
)

// Querier is what Compute reads; *store.Store implements it. Every method
// aggregates in the database and returns rows keyed by raw unit id.
type Querier interface {
	UnitByID(ctx context.Context, id int64) (store.Unit, error)
	ReportUnits(ctx context.Context, unitID int64) ([]store.Unit, error)
	ReportKindCounts(ctx context.Context, unitIDs []int64, kinds []string, from, to time.Time) ([]store.KindCount, error)
	ReportTeamSpans(ctx context.Context, unitIDs []int64, kind string, spans []store.Span) ([]store.SpanCount, error)
	ReportActiveReporters(ctx context.Context, unitIDs []int64, kind string, spans []store.Span) ([]store.SpanCount, error)
	ReportTeamSizes(ctx context.Context, unitIDs []int64) (map[int64]int64, error)
	ReportModelsRecognised(ctx context.Context, unitIDs []int64, kind string, from, to time.Time) (map[int64]int64, error)
	IncidentsWithPresence(ctx context.Context, unitIDs []int64, kinds []string, from, to time.Time) ([]store.IncidentCount, error)
	IncidentsInTime(ctx context.Context, unitIDs []int64, kinds []string, from, to time.Time, window time.Duration, unknownInTime bool) ([]store.IncidentCount, error)
	ReportFigures(ctx context.Context, unitIDs []int64, figures []string, spans []store.Span) ([]store.FigureTotal, error)
	ReportReceivedCounts(ctx context.Context, unitIDs []int64, kinds []string, from, to time.Time) ([]store.KindCount, error)
	ReportSeriousIncidents(ctx context.Context, unitIDs []int64, kind string, from, to time.Time) (map[int64]int64, error)
	PoliceFigureEntries(ctx context.Context, unitIDs []int64, figures []string, from, to time.Time) ([]store.PoliceFigure, error)
}

// figureOf maps the metrics that are a police figure as entered to it.
var figureOf = map[string]string{
	campaign.MetricViolatingBusinesses: campaign.FigureViolatingBusinesses,
	campaign.MetricResidentInfoShare:   campaign.FigureResidentInfoPercent,
	campaign.MetricIllegalWeapons:      campaign.FigureIllegalWeapons,
	campaign.MetricReoffences:          campaign.FigureReoffences,
	campaign.MetricSeriousAccidents:    campaign.FigureSeriousAccidents,
	campaign.MetricMemberViolations:    campaign.FigureMemberViolations,
}

// eventKinds are the incident kinds each presence metric counts.
var eventKinds = map[string][]string{
	campaign.MetricIncidentPresence:  {store.IncidentANTT},
	campaign.MetricCallOutAttendance: {store.IncidentFire, store.IncidentRescue},
}

// Compute evaluates every target of the campaign for the unit (a team, a
// commune or any unit above) over the period, as it stands at now. Months
// are calendar months in loc.
func Compute(ctx context.Context, q Querier, camp *campaign.Campaign, unitID int64, period Period, now time.Time, loc *time.Location) (Scorecard, error) {
	if loc == nil {
		loc = time.UTC
	}
	unit, err := liveUnit(ctx, q, unitID)
	if err != nil {
		return Scorecard{}, err
	}
	sc := Scorecard{Campaign: camp, Unit: unit, Period: period, Now: now, Location: loc}
	root := unit
	if unit.Level == store.LevelTeam {
		if unit.ParentID == nil {
			return Scorecard{}, fmt.Errorf("report: team %d has no commune: %w", unit.ID, store.ErrInvalid)
		}
		if root, err = q.UnitByID(ctx, *unit.ParentID); err != nil {
			return Scorecard{}, fmt.Errorf("report: commune of team %d: %w", unit.ID, err)
		}
		c := root
		sc.Commune = &c
	}
	in, err := load(ctx, q, camp, root, period, now)
	if err != nil {
		return Scorecard{}, err
	}
	in.build(&sc)
	sc.Months = in.months
	return sc, nil
}

// liveUnit returns the unit, or the live unit it was merged into.
func liveUnit(ctx context.Context, q Querier, id int64) (store.Unit, error) {
	for range 32 {
		u, err := q.UnitByID(ctx, id)
		if err != nil {
			return store.Unit{}, fmt.Errorf("report: %w", err)
		}
		if u.MergedIntoID == nil {
			return u, nil
		}
		id = *u.MergedIntoID
	}
	return store.Unit{}, fmt.Errorf("report: unit %d: merge chain too long: %w", id, store.ErrInvalid)
}

// fig is a police figure's entries added up.
type fig struct {
	sum     float64
	entries int64
	// spans are the periods the entries cover, to find the months of the
	// period that none covers.
	spans []store.Span
}

// gaps returns the months (indexes into months) whose days up to now no
// entry covers: a figure entered for February alone is not a figure for
// the phase.
func (f fig) gaps(months []Month, now time.Time) []int {
	var out []int
	for i, m := range months {
		from, to := m.Span.From, m.Span.To
		if now.Before(to) {
			to = now
		}
		if !from.Before(to) {
			continue // the month has not begun: nothing can be missing yet
		}
		if !covered(f.spans, from, to) {
			out = append(out, i)
		}
	}
	return out
}

// covered reports whether the union of spans covers [from, to).
func covered(spans []store.Span, from, to time.Time) bool {
	sorted := slices.Clone(spans)
	slices.SortFunc(sorted, func(a, b store.Span) int { return a.From.Compare(b.From) })
	at := from
	for _, sp := range sorted {
		if sp.From.After(at) {
			break
		}
		if sp.To.After(at) {
			at = sp.To
		}
		if !at.Before(to) {
			return true
		}
	}
	return !at.Before(to)
}

// inputs is everything the database said about the subtree of root, rolled
// up into live units.
type inputs struct {
	camp   *campaign.Campaign
	root   store.Unit
	period Period
	now    time.Time
	// months are the calendar months month targets are judged on (see
	// Period.CampaignMonths); periodMonths the months clipped to the
	// period, which police figures entered per month must cover.
	months       []Month
	periodMonths []Month
	// asOf is the period cut at now: reports and incidents dated after now
	// are hidden, so a scorecard as of 15 March is what an official saw on
	// 15 March.
	asOf Period

	units    map[int64]store.Unit
	ids      []int64      // every unit of the subtree, merged-in ones included
	communes []store.Unit // live communes, by id
	teams    []store.Unit // live teams, by id
	commune  map[int64]int64

	teamCounts    map[int64]map[string]int64
	communeCounts map[int64]map[string]int64
	counts        map[string]int64
	sizes         map[int64]int64
	// Members who patrolled, per team: over the whole period, and per month.
	patrol      map[int64][]int64
	patrolMonth map[int64][]int64
	// Good deeds and commendations per team and month.
	deeds       map[int64][]int64
	commend     map[int64][]float64
	models      map[int64]int64
	tips        map[int64]int64 // commune → tips the police received
	serious     map[int64]int64 // commune → serious traffic accidents logged
	figures     map[int64]map[string]fig
	events      map[int64]map[string][]int64 // commune → kind → [n, with] over the period
	eventsMonth []map[int64]map[string][]int64
}

// live follows merges within the subtree to the live unit.
func (in *inputs) live(id int64) int64 {
	for range 32 {
		u, ok := in.units[id]
		if !ok || u.MergedIntoID == nil {
			return id
		}
		id = *u.MergedIntoID
	}
	return id
}

// former returns the merged units whose reports count for unit, by id: for
// a team, the teams merged into it; above, every merged unit of the subtree.
func (in *inputs) former(unit store.Unit) []store.Unit {
	var out []store.Unit
	for _, id := range in.ids {
		u, ok := in.units[id]
		if !ok || u.MergedIntoID == nil || (unit.Level == store.LevelTeam && in.live(id) != unit.ID) {
			continue
		}
		out = append(out, u)
	}
	return out
}

func load(ctx context.Context, q Querier, camp *campaign.Campaign, root store.Unit, period Period, now time.Time) (*inputs, error) {
	in := &inputs{camp: camp, root: root, period: period, now: now, months: period.CampaignMonths(camp), periodMonths: period.Months(),
		asOf: period, units: map[int64]store.Unit{}, commune: map[int64]int64{}}
	// Only the campaign's days count, even in a month or range report.
	if cp, err := CampaignPeriod(camp, period.From.Location()); err == nil {
		if in.asOf.From.Before(cp.From) {
			in.asOf.From = cp.From
		}
		if in.asOf.To.After(cp.To) {
			in.asOf.To = cp.To
		}
	}
	if now.Before(in.asOf.To) {
		in.asOf.To = now
		if in.asOf.To.Before(in.asOf.From) {
			in.asOf.To = in.asOf.From
		}
	}
	period = in.asOf
	units, err := q.ReportUnits(ctx, root.ID)
	if err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	for _, u := range units {
		in.units[u.ID] = u
		in.ids = append(in.ids, u.ID)
	}
	for _, u := range units {
		if u.MergedIntoID != nil {
			continue
		}
		switch u.Level {
		case store.LevelCommune:
			in.communes = append(in.communes, u)
		case store.LevelTeam:
			in.teams = append(in.teams, u)
			if u.ParentID != nil {
				in.commune[u.ID] = in.live(*u.ParentID)
			}
		}
	}
	var (
		needMonthlyPatrol bool
		needMonthlyEvents bool
		figures           []string
	)
	for _, t := range camp.Targets() {
		if t.Period == campaign.PeriodMonth {
			switch t.Metric {
			case campaign.MetricPatrolParticipation:
				needMonthlyPatrol = true
			case campaign.MetricIncidentPresence, campaign.MetricCallOutAttendance:
				needMonthlyEvents = true
			}
		}
		for _, f := range t.NeedsPoliceFigure {
			if f != campaign.FigureCommendations && !slices.Contains(figures, f) {
				figures = append(figures, f)
			}
		}
	}
	monthSpans := make([]store.Span, len(in.months))
	calSpans := make([]store.Span, len(in.months))
	for i, m := range in.months {
		// Reports after now are hidden; a figure entered for a calendar
		// month counts once the month has begun.
		monthSpans[i], calSpans[i] = clipSpan(m.Span, now), m.Calendar
		if !now.After(m.Calendar.From) {
			calSpans[i].To = calSpans[i].From
		}
	}
	whole := []store.Span{period.Span()}

	// The queries are independent: run a few at once, each filling its
	// own fields, so a province's scans overlap instead of queueing.
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(4)
	if tx, ok := q.(interface{ SQLTx() *sql.Tx }); ok && tx.SQLTx() != nil {
		// One transaction is one connection: its queries cannot overlap.
		g.SetLimit(1)
	}
	g.Go(func() error {
		kc, err := q.ReportKindCounts(gctx, in.ids, kindIDs(camp), period.From, period.To)
		if err != nil {
			return fmt.Errorf("report: %w", err)
		}
		in.teamCounts, in.communeCounts, in.counts = map[int64]map[string]int64{}, map[int64]map[string]int64{}, map[string]int64{}
		for _, r := range kc {
			add(in.teamCounts, in.live(r.TeamID), r.Kind, r.N)
			add(in.communeCounts, in.live(r.CommuneID), r.Kind, r.N)
			in.counts[r.Kind] += r.N
		}
		return nil
	})
	g.Go(func() error {
		var err error
		in.patrol, err = in.spanCounts(gctx, q.ReportActiveReporters, campaign.KindPatrol, whole)
		return err
	})
	g.Go(func() error {
		var err error
		in.deeds, err = in.spanCounts(gctx, q.ReportTeamSpans, campaign.KindGoodDeed, monthSpans)
		return err
	})
	if needMonthlyPatrol {
		g.Go(func() error {
			var err error
			in.patrolMonth, err = in.spanCounts(gctx, q.ReportActiveReporters, campaign.KindPatrol, monthSpans)
			return err
		})
	}
	g.Go(func() error {
		sizes, err := q.ReportTeamSizes(gctx, in.ids)
		if err != nil {
			return fmt.Errorf("report: %w", err)
		}
		in.sizes = map[int64]int64{}
		for id, n := range sizes {
			in.sizes[in.live(id)] += n
		}
		return nil
	})
	g.Go(func() error {
		comm, err := q.ReportFigures(gctx, in.ids, []string{campaign.FigureCommendations}, calSpans)
		if err != nil {
			return fmt.Errorf("report: %w", err)
		}
		in.commend = map[int64][]float64{}
		for _, r := range comm {
			id := in.live(r.UnitID)
			if in.commend[id] == nil {
				in.commend[id] = make([]float64, len(in.months))
			}
			in.commend[id][r.Span] += r.Sum
		}
		return nil
	})
	g.Go(func() error {
		campFrom := period.From
		if cp, err := CampaignPeriod(camp, period.From.Location()); err == nil && cp.From.Before(campFrom) {
			campFrom = cp.From
		}
		models, err := q.ReportModelsRecognised(gctx, in.ids, campaign.KindModel, campFrom, period.To)
		if err != nil {
			return fmt.Errorf("report: %w", err)
		}
		in.models = map[int64]int64{}
		for id, n := range models {
			in.models[in.live(id)] += n
		}
		return nil
	})
	g.Go(func() error {
		in.figures = map[int64]map[string]fig{}
		if len(figures) == 0 {
			return nil
		}
		// Entries lying within the period, as entered: the months they
		// leave uncovered make the figure not one for the period.
		rows, err := q.PoliceFigureEntries(gctx, in.ids, figures, in.period.From, in.period.To)
		if err != nil {
			return fmt.Errorf("report: %w", err)
		}
		for _, r := range rows {
			if !r.PeriodStart.Before(now) {
				continue // dated after now
			}
			id := in.live(r.UnitID)
			if in.figures[id] == nil {
				in.figures[id] = map[string]fig{}
			}
			f := in.figures[id][r.Figure]
			f.sum += r.Value
			f.entries++
			f.spans = append(f.spans, store.Span{From: r.PeriodStart, To: r.PeriodEnd})
			in.figures[id][r.Figure] = f
		}
		return nil
	})
	g.Go(func() error {
		rows, err := q.ReportReceivedCounts(gctx, in.ids, []string{campaign.KindTip}, period.From, period.To)
		if err != nil {
			return fmt.Errorf("report: %w", err)
		}
		in.tips = map[int64]int64{}
		for _, r := range rows {
			in.tips[in.live(r.CommuneID)] += r.N
		}
		return nil
	})
	g.Go(func() error {
		rows, err := q.ReportSeriousIncidents(gctx, in.ids, store.IncidentTraffic, period.From, period.To)
		if err != nil {
			return fmt.Errorf("report: %w", err)
		}
		in.serious = map[int64]int64{}
		for id, n := range rows {
			in.serious[in.live(id)] += n
		}
		return nil
	})
	kinds := []string{store.IncidentANTT, store.IncidentFire, store.IncidentRescue}
	g.Go(func() error {
		var err error
		in.events, err = in.eventCounts(gctx, q, kinds, period.Span())
		return err
	})
	if needMonthlyEvents {
		in.eventsMonth = make([]map[int64]map[string][]int64, len(monthSpans))
		for i, sp := range monthSpans {
			g.Go(func() error {
				var err error
				in.eventsMonth[i], err = in.eventCounts(gctx, q, kinds, sp)
				return err
			})
		}
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return in, nil
}

// clipSpan cuts sp at now (an empty span once now is before it).
func clipSpan(sp store.Span, now time.Time) store.Span {
	if now.Before(sp.To) {
		sp.To = now
	}
	if sp.To.Before(sp.From) {
		sp.To = sp.From
	}
	return sp
}

// kindIDs returns the ids of the campaign's report kinds.
func kindIDs(camp *campaign.Campaign) []string {
	ids := make([]string, len(camp.Kinds))
	for i, k := range camp.Kinds {
		ids[i] = k.ID
	}
	return ids
}

func add(m map[int64]map[string]int64, id int64, kind string, n int64) {
	if m[id] == nil {
		m[id] = map[string]int64{}
	}
	m[id][kind] += n
}

type spanQuery func(ctx context.Context, unitIDs []int64, kind string, spans []store.Span) ([]store.SpanCount, error)

// spanCounts runs a per-span query and rolls it up into live units.
func (in *inputs) spanCounts(ctx context.Context, q spanQuery, kind string, spans []store.Span) (map[int64][]int64, error) {
	rows, err := q(ctx, in.ids, kind, spans)
	if err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	out := map[int64][]int64{}
	for _, r := range rows {
		id := in.live(r.UnitID)
		if out[id] == nil {
			out[id] = make([]int64, len(spans))
		}
		out[id][r.Span] += r.N
	}
	return out, nil
}

func (in *inputs) eventCounts(ctx context.Context, q Querier, kinds []string, sp store.Span) (map[int64]map[string][]int64, error) {
	rows, err := q.IncidentsInTime(ctx, in.ids, kinds, sp.From, sp.To, in.camp.InTime.Window(), in.camp.InTime.UnknownArrivalInTime())
	if err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	out := map[int64]map[string][]int64{}
	for _, r := range rows {
		id := in.live(r.CommuneID)
		if out[id] == nil {
			out[id] = map[string][]int64{}
		}
		v := out[id][r.Kind]
		if v == nil {
			v = make([]int64, 3)
		}
		v[0] += r.Incidents
		v[1] += r.WithPresence
		v[2] += r.InTime
		out[id][r.Kind] = v
	}
	return out, nil
}

// build evaluates every target and fills the scorecard.
func (in *inputs) build(sc *Scorecard) {
	targets := in.camp.Targets()
	teamCards := map[int64]*UnitCard{}
	for _, t := range in.teams {
		card := in.teamCard(t, targets)
		sc.Teams = append(sc.Teams, card)
	}
	for i := range sc.Teams {
		teamCards[sc.Teams[i].Unit.ID] = &sc.Teams[i]
	}
	for _, c := range in.communes {
		var mine []*UnitCard
		for i := range sc.Teams {
			if sc.Teams[i].CommuneID == c.ID {
				mine = append(mine, &sc.Teams[i])
			}
		}
		sc.Communes = append(sc.Communes, in.communeCard(c, targets, mine))
	}
	for _, t := range sc.Teams {
		sc.Members += t.Members
	}
	sc.Counts = in.counts
	sc.Subtree = in.ids
	sc.Former = in.former(sc.Unit)

	switch {
	case sc.Unit.Level == store.LevelTeam:
		team := teamCards[sc.Unit.ID]
		var commune UnitCard
		for _, c := range sc.Communes {
			if c.Unit.ID == in.root.ID {
				commune = c
			}
		}
		for i, t := range targets {
			if t.Scope == campaign.ScopeTeam && team != nil {
				sc.Results = append(sc.Results, team.Results[indexOf(team.Results, t.ID)])
				continue
			}
			if len(commune.Results) > i {
				sc.Results = append(sc.Results, commune.Results[i])
			}
		}
		sc.Counts, sc.Members = map[string]int64{}, 0
		if team != nil {
			sc.Counts, sc.Members = team.Counts, team.Members
			sc.Teams = []UnitCard{*team}
		} else {
			sc.Teams = nil
		}
		sc.Communes = []UnitCard{commune}
		sc.Subtree = nil
		for _, id := range in.ids {
			if in.live(id) == sc.Unit.ID {
				sc.Subtree = append(sc.Subtree, id)
			}
		}
	case sc.Unit.Level == store.LevelCommune && len(sc.Communes) == 1:
		sc.Results = sc.Communes[0].Results
	default:
		for _, t := range targets {
			var rs []Result
			level := store.LevelCommune
			var left []string
			if t.Scope == campaign.ScopeTeam {
				level = store.LevelTeam
				for _, c := range sc.Teams {
					if c.Members == 0 {
						left = append(left, c.Unit.Name)
						continue
					}
					rs = append(rs, c.Results[indexOf(c.Results, t.ID)])
				}
			} else {
				for _, c := range sc.Communes {
					rs = append(rs, c.Results[indexOf(c.Results, t.ID)])
				}
			}
			r := aggregate(t, rs, level)
			r.LeftOut = left
			sc.Results = append(sc.Results, r)
		}
	}
	ranks := RankTeams(*sc)
	sc.Top = ranks[:min(3, len(ranks))]
}

func indexOf(rs []Result, targetID string) int {
	return slices.IndexFunc(rs, func(r Result) bool { return r.Target.ID == targetID })
}

func (in *inputs) teamCard(team store.Unit, targets []campaign.Target) UnitCard {
	card := UnitCard{Unit: team, CommuneID: in.commune[team.ID], Counts: in.teamCounts[team.ID], Members: in.sizes[team.ID], Months: len(in.months)}
	if card.Counts == nil {
		card.Counts = map[string]int64{}
	}
	if p := in.patrol[team.ID]; p != nil {
		card.Patrolled = p[0]
	}
	for i := range in.months {
		if in.monthValue(team.ID, i) >= 1 {
			card.GoodDeedMonths++
		}
		if c := in.commend[team.ID]; c != nil {
			card.Commendations += c[i]
		}
	}
	for _, t := range targets {
		if t.Scope != campaign.ScopeTeam {
			continue
		}
		card.Results = append(card.Results, in.teamResult(t, team.ID))
	}
	return card
}

func (in *inputs) communeCard(c store.Unit, targets []campaign.Target, teams []*UnitCard) UnitCard {
	card := UnitCard{Unit: c, Counts: in.communeCounts[c.ID]}
	if card.Counts == nil {
		card.Counts = map[string]int64{}
	}
	for _, t := range teams {
		card.Members += t.Members
		card.Patrolled += t.Patrolled
		card.GoodDeedMonths += t.GoodDeedMonths
		card.Months += t.Months
		card.Commendations += t.Commendations
	}
	for _, t := range targets {
		if t.Scope == campaign.ScopeTeam {
			// A team with no active member cannot take part: it is left
			// out and named, rather than failing its commune.
			rs := make([]Result, 0, len(teams))
			var left []string
			for _, tc := range teams {
				if tc.Members == 0 {
					left = append(left, tc.Unit.Name)
					continue
				}
				rs = append(rs, tc.Results[indexOf(tc.Results, t.ID)])
			}
			r := aggregate(t, rs, store.LevelTeam)
			r.LeftOut = left
			card.Results = append(card.Results, r)
			continue
		}
		card.Results = append(card.Results, in.communeResult(t, c.ID, teams))
	}
	return card
}

// monthValue is a team's good deeds plus commendations in month i.
func (in *inputs) monthValue(team int64, i int) float64 {
	var v float64
	if d := in.deeds[team]; d != nil {
		v += float64(d[i])
	}
	if c := in.commend[team]; c != nil {
		v += c[i]
	}
	return v
}

func (in *inputs) teamResult(t campaign.Target, team int64) Result {
	if in.sizes[team] == 0 {
		return Result{Target: t, State: StateNotMeasurable, Note: NoteNoMembers}
	}
	switch t.Metric {
	case campaign.MetricPatrolParticipation:
		return in.participation(t, in.sizes[team], func(monthly bool) []int64 {
			if monthly {
				return in.patrolMonth[team]
			}
			return in.patrol[team]
		})
	case campaign.MetricTeamMonthlyGoodDeeds:
		r := Result{Target: t, HasDen: true}
		for i, m := range in.months {
			v := in.monthValue(team, i)
			r.Months = append(r.Months, MonthResult{Month: m, Value: v, State: judge(t, v, !in.now.Before(m.Span.To))})
		}
		finishMonths(&r)
		return r
	}
	return Result{Target: t, State: StateNotMeasurable}
}

// participation is the share of members with a verified patrol, over the
// period or per month.
func (in *inputs) participation(t campaign.Target, members int64, patrolled func(monthly bool) []int64) Result {
	r := Result{Target: t, HasDen: true, Den: float64(members)}
	if members == 0 {
		r.Note = NoteNoMembers
	}
	share := func(n int64) float64 {
		if members == 0 {
			return 0
		}
		return math.Min(100, float64(n)/float64(members)*100)
	}
	if t.Period == campaign.PeriodMonth {
		p := patrolled(true)
		for i, m := range in.months {
			var n int64
			if p != nil {
				n = p[i]
			}
			v := share(n)
			r.Months = append(r.Months, MonthResult{Month: m, Value: v, State: judge(t, v, !in.now.Before(m.Span.To))})
		}
		finishMonths(&r)
		return r
	}
	var n int64
	if p := patrolled(false); p != nil {
		n = p[0]
	}
	r.Num, r.Value = float64(n), share(n)
	r.State = judge(t, r.Value, in.period.Over(in.now))
	return r
}

// finishMonths sets a per-month result's numbers and state from its months:
// Num of Den months met; Missed when a month was missed, Met when all are
// met, else NotYet.
func finishMonths(r *Result) {
	r.HasDen = true
	r.Num, r.Den = 0, float64(len(r.Months))
	missed, open := false, false
	for _, m := range r.Months {
		switch m.State {
		case StateMet:
			r.Num++
		case StateMissed:
			missed = true
		default:
			open = true
		}
	}
	r.Value = r.Num
	switch {
	case missed:
		r.State = StateMissed
	case open || len(r.Months) == 0:
		r.State = StateNotYet
	default:
		r.State = StateMet
	}
}

func (in *inputs) communeResult(t campaign.Target, commune int64, teams []*UnitCard) Result {
	r := Result{Target: t}
	gaps := map[int]bool{}
	for _, f := range t.NeedsPoliceFigure {
		if f == campaign.FigureCommendations {
			continue
		}
		fg := in.figures[commune][f]
		if fg.entries == 0 {
			r.Missing = append(r.Missing, f)
			continue
		}
		if g := fg.gaps(in.periodMonths, in.now); len(g) > 0 {
			r.Missing = append(r.Missing, f)
			for _, i := range g {
				gaps[i] = true
			}
		}
	}
	for i, m := range in.periodMonths {
		if gaps[i] {
			r.MissingMonths = append(r.MissingMonths, m)
		}
	}
	if t.Metric == campaign.MetricSeriousAccidents && in.serious[commune] > 0 {
		// A serious accident logged with /sukien counts whatever figure was
		// entered, or none: the larger of the two is shown, and why.
		logged := float64(in.serious[commune])
		r.Logged, r.Entered = logged, in.figures[commune][campaign.FigureSeriousAccidents].sum
		r.Num, r.Value = max(logged, r.Entered), max(logged, r.Entered)
		if len(r.Missing) > 0 || logged > r.Entered {
			r.Note = NoteAccidentsLogged
		}
		r.Missing, r.MissingMonths = nil, nil
		r.State = judge(t, r.Value, in.period.Over(in.now))
		return r
	}
	if len(r.Missing) > 0 {
		r.State = StateNotMeasurable
		return r
	}
	over := in.period.Over(in.now)
	figure := func(name string) float64 { return in.figures[commune][name].sum }
	switch t.Metric {
	case campaign.MetricTipShare:
		r.HasDen = true
		r.Num, r.Den = float64(in.tips[commune]), figure(campaign.FigureTipsReceivedTotal)
		r.Value = shareOf(r.Num, r.Den, &r.Note, NoteZeroTotal)
		if disagree(&r) {
			return r
		}
	case campaign.MetricIncidentPresence, campaign.MetricCallOutAttendance:
		kinds := eventKinds[t.Metric]
		// Present in time (kịp thời) is what counts; present at all is shown
		// beside it.
		count := func(ev map[int64]map[string][]int64) (n, inTime, present float64) {
			for _, k := range kinds {
				if v := ev[commune][k]; v != nil {
					n += float64(v[0])
					present += float64(v[1])
					inTime += float64(v[2])
				}
			}
			return n, inTime, present
		}
		if t.Period == campaign.PeriodMonth && len(in.eventsMonth) == len(in.months) {
			for i, m := range in.months {
				n, with, _ := count(in.eventsMonth[i])
				var note string
				v := shareOf(with, n, &note, NoteNoEvents)
				r.Months = append(r.Months, MonthResult{Month: m, Value: v, State: judge(t, v, !in.now.Before(m.Span.To))})
			}
			finishMonths(&r)
			return r
		}
		r.HasDen = true
		r.Den, r.Num, r.Present = count(in.events)
		r.Value = shareOf(r.Num, r.Den, &r.Note, NoteNoEvents)
	case campaign.MetricModelsRecognised:
		r.Num = float64(in.models[commune])
		r.Value = r.Num
		r.Note = NoteSinceCampaign
	case campaign.MetricReleasedSupported:
		r.HasDen = true
		r.Num, r.Den = figure(campaign.FigureReleasedSupported), figure(campaign.FigureReleasedTotal)
		r.Value = shareOf(r.Num, r.Den, &r.Note, NoteZeroTotal)
		if disagree(&r) {
			return r
		}
	case campaign.MetricResidentInfoShare:
		f := in.figures[commune][campaign.FigureResidentInfoPercent]
		// Entered per phase it is one value; over several entries (the
		// whole campaign) their mean.
		r.Num = f.sum / float64(f.entries)
		r.Value = r.Num
	case campaign.MetricPatrolParticipation:
		var members int64
		var whole int64
		monthly := make([]int64, len(in.months))
		for _, tc := range teams {
			members += tc.Members
			whole += tc.Patrolled
			for i, n := range in.patrolMonth[tc.Unit.ID] {
				monthly[i] += n
			}
		}
		return in.participation(t, members, func(m bool) []int64 {
			if m {
				return monthly
			}
			return []int64{whole}
		})
	default:
		name, ok := figureOf[t.Metric]
		if !ok {
			r.State = StateNotMeasurable
			return r
		}
		r.Num = figure(name)
		r.Value = r.Num
	}
	r.State = judge(t, r.Value, over)
	if kind, ok := memberKinds[t.Metric]; ok {
		// Members' own reports of the work the target measures, shown
		// beside the police figure (CAMPAIGN.md, content 4 and 5).
		r.Reported = float64(in.communeCounts[commune][kind])
	}
	return r
}

// memberKinds are the report kinds members send about the work a
// police-figure target measures.
var memberKinds = map[string]string{
	campaign.MetricResidentInfoShare: campaign.KindResidentInfo,
	campaign.MetricReleasedSupported: campaign.KindReintegration,
}

// shareOf returns num/den as a percentage, never capped (see disagree); a
// den of 0 counts as 100 and sets note.
func shareOf(num, den float64, note *string, zeroNote string) float64 {
	if den <= 0 {
		if num == 0 {
			*note = zeroNote
		}
		return 100
	}
	return num / den * 100
}

// disagree marks a share whose numerator exceeds its total as not
// measurable: the figures disagree, and capping it at 100% would hide it.
func disagree(r *Result) bool {
	if r.Num <= r.Den+equalEps && !(r.Den <= 0 && r.Num > 0) {
		return false
	}
	r.State, r.Note, r.Value = StateNotMeasurable, NoteFiguresDisagree, 0
	if r.Den > 0 {
		r.Value = r.Num / r.Den * 100
	}
	return true
}

// equalEps absorbs floating-point noise in figures.
const equalEps = 1e-9

// judge decides a target's state from its value and whether its period is
// over (see the package doc).
func judge(t campaign.Target, value float64, over bool) State {
	met := t.Met(value)
	switch {
	case over && met:
		return StateMet
	case over:
		return StateMissed
	case t.Unit != campaign.UnitCount:
		return StateNotYet
	case t.Op == campaign.OpGE || t.Op == campaign.OpGT:
		// Counts only grow: reached is reached.
		if met {
			return StateMet
		}
		return StateNotYet
	case t.Op == campaign.OpLE || (t.Op == campaign.OpEQ && t.Threshold == 0):
		// Counts only grow: exceeded is lost.
		if met {
			return StateNotYet
		}
		return StateMissed
	}
	return StateNotYet
}

// averaged metrics add up as a mean across units rather than a sum.
var averaged = map[string]bool{campaign.MetricResidentInfoShare: true}

// aggregate combines the results of the communes or teams below a unit.
func aggregate(t campaign.Target, rs []Result, level store.Level) Result {
	out := Result{Target: t, Aggregate: true, UnitLevel: level, Units: len(rs)}
	var measured int
	for _, r := range rs {
		switch r.State {
		case StateMet:
			out.UnitsMet++
		case StateNotYet:
			out.UnitsNotYet++
		case StateMissed:
			out.UnitsMissed++
		case StateNotMeasurable:
			out.UnitsNotMeasurable++
			for _, f := range r.Missing {
				if !slices.Contains(out.Missing, f) {
					out.Missing = append(out.Missing, f)
				}
			}
			for _, m := range r.MissingMonths {
				if !slices.ContainsFunc(out.MissingMonths, func(o Month) bool { return o.Year == m.Year && o.Month == m.Month }) {
					out.MissingMonths = append(out.MissingMonths, m)
				}
			}
			continue
		}
		measured++
		out.Num += r.Num
		out.Den += r.Den
		out.Present += r.Present
		out.Reported += r.Reported
		out.HasDen = out.HasDen || r.HasDen
	}
	if averaged[t.Metric] && measured > 0 {
		out.Num /= float64(measured)
	}
	if out.Units > 0 {
		out.Value = float64(out.UnitsMet) / float64(out.Units) * 100
	}
	switch {
	case out.Units == 0:
		out.State, out.Note = StateNotMeasurable, NoteNoUnits
	case out.UnitsMissed > 0:
		out.State = StateMissed
	case out.UnitsNotMeasurable > 0:
		out.State = StateNotMeasurable
	case out.UnitsNotYet > 0:
		out.State = StateNotYet
	default:
		out.State = StateMet
	}
	return out
}
