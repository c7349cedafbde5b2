package store

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// The aggregate queries behind the campaign targets (package report). Each
// runs over a set of units, the ids of a subtree as ReportUnits returns them
// (merged-in units included), and returns rows keyed by the raw team,
// commune or person id; the caller rolls merged units up into their
// successors with that unit list, so the tree is walked once per scorecard,
// not once per query. The ids are passed as a list rather than a recursive
// CTE so that PostgreSQL knows how few units a commune has and uses the
// (commune_id, …) and (team_id, …) indexes instead of scanning every report
// of the province. Only verified reports are counted.
//
// Time buckets (calendar months in the configured time zone) are passed in
// as explicit [From, To) spans computed in Go, never derived with database
// date functions: PostgreSQL and SQLite then agree, and the local time zone
// is respected whatever the server's.

// Span is a half-open interval of instants [From, To).
type Span struct {
	From, To time.Time
}

// spanBounds returns the earliest From and latest To of spans (non-empty).
func spanBounds(spans []Span) (from, to time.Time) {
	from, to = spans[0].From, spans[0].To
	for _, sp := range spans[1:] {
		if sp.From.Before(from) {
			from = sp.From
		}
		if sp.To.After(to) {
			to = sp.To
		}
	}
	return from, to
}

// spanCase returns a CASE expression giving the index of the span col falls
// in (NULL in none).
func (q *sqlBuilder) spanCase(col string, spans []Span) string {
	var b strings.Builder
	b.WriteString("CASE")
	for i, sp := range spans {
		b.WriteString(" WHEN " + col + " >= " + q.ts(sp.From) + " AND " + col + " < " + q.ts(sp.To) + " THEN " + strconv.Itoa(i))
	}
	b.WriteString(" END")
	return b.String()
}

// during returns the condition "col in [from, to)".
func (q *sqlBuilder) during(col string, from, to time.Time) string {
	return col + " >= " + q.ts(from) + " AND " + col + " < " + q.ts(to)
}

// sqlBuilder assembles a statement and its arguments in order.
//
// The report queries write unit ids and times into the statement as
// literals rather than parameters. pgx prepares and caches each statement,
// and after five runs PostgreSQL may switch a prepared statement to a
// generic plan made without the parameters' values; without the period it
// guesses a handful of rows and reads every verified report of the
// province through the kind index (200 ms instead of 3 ms for a commune).
// With the values in the text, every plan is made for them. Only integers
// and times are inlined; strings stay parameters.
type sqlBuilder struct {
	b    strings.Builder
	args []any
	pg   bool
}

// builder returns a sqlBuilder for the store's dialect.
func (s *Store) builder() *sqlBuilder { return &sqlBuilder{pg: s.driver == DriverPostgres} }

// add appends sql and its arguments.
func (q *sqlBuilder) add(sql string, args ...any) {
	q.b.WriteString(sql)
	q.args = append(q.args, args...)
}

// String returns the statement.
func (q *sqlBuilder) String() string { return q.b.String() }

// ts returns t as a literal the column compares with: a timestamptz on
// PostgreSQL; on SQLite the text the driver writes times as, in UTC, so
// that text comparison orders it correctly.
func (q *sqlBuilder) ts(t time.Time) string {
	if q.pg {
		return "TIMESTAMPTZ '" + utc(t).Format("2006-01-02 15:04:05.999999Z07:00") + "'"
	}
	return "'" + utc(t).Format("2006-01-02 15:04:05.999999999-07:00") + "'"
}

// intList writes integers as a parenthesised list.
func intList(vs []int64) string {
	var b strings.Builder
	b.WriteByte('(')
	for i, v := range vs {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.FormatInt(v, 10))
	}
	b.WriteByte(')')
	return b.String()
}

// reportVerified is the condition on a report "s" being verified.
const reportVerified = "s.status = '" + StatusVerified + "'"

// bigUnitSet is the size from which a set of unit ids goes to PostgreSQL as
// one array rather than an IN list: planning a query with a province's
// 2,000 ids in a list costs more than running it, and for so many units the
// plan is a scan anyway.
const bigUnitSet = 64

// unitSet renders a set of unit ids into SQL.
type unitSet struct {
	ids   []int64
	array bool // one array parameter in a CTE named "u"
}

func (s *Store) unitSet(ids []int64) unitSet {
	return unitSet{ids: ids, array: s.driver == DriverPostgres && len(ids) > bigUnitSet}
}

// start begins a statement: "WITH u(id) AS …" when the set is an array.
func (u unitSet) start(q *sqlBuilder) {
	if !u.array {
		return
	}
	list := intList(u.ids)
	// MATERIALIZED: unnested once, then probed as a hashed subplan.
	q.add("WITH u(id) AS MATERIALIZED (SELECT unnest(CAST('{" + list[1:len(list)-1] + "}' AS bigint[]))) ")
}

// in adds the condition "col is one of the units".
func (u unitSet) in(q *sqlBuilder, col string) {
	if u.array {
		q.add(col + " IN (SELECT id FROM u)")
		return
	}
	q.add(col + " IN " + intList(u.ids))
}

// submissionIn adds the condition putting a submission "s" among the units:
// made in one of its teams, or in one of its communes (a commune keeps the
// reports made in it after its teams moved away).
func (u unitSet) submissionIn(q *sqlBuilder) {
	q.add("(")
	u.in(q, "s.team_id")
	q.add(" OR ")
	u.in(q, "s.commune_id")
	q.add(")")
}

// teamRoles are the roles that make a person a member of a team.
var teamRoles = []Role{RoleLeader, RoleDeputy, RoleMember}

// ReportUnits returns unitID and every unit of its subtree, merged-in units
// included (with MergedIntoID set), by id.
func (s *Store) ReportUnits(ctx context.Context, unitID int64) ([]Unit, error) {
	var us []Unit
	err := s.q(ctx).Raw("WITH RECURSIVE "+subtreeCTE+" SELECT units.* FROM units WHERE id IN (SELECT id FROM subtree) ORDER BY id", unitID).Scan(&us).Error
	if err != nil {
		return nil, fmt.Errorf("store: units of the subtree of %d: %w", unitID, err)
	}
	if len(us) == 0 {
		return nil, fmt.Errorf("store: units of the subtree of %d: %w", unitID, ErrNotFound)
	}
	return us, nil
}

// KindCount is a number of verified reports of one kind made in one team
// and commune (raw ids: not rolled up).
type KindCount struct {
	CommuneID int64
	TeamID    int64
	Kind      string
	N         int64
}

// ReportKindCounts counts the verified reports of the given kinds (nil:
// every kind) of the units whose event time is in [from, to), per commune,
// team and kind. Naming the kinds lets PostgreSQL read a province's counts
// from the (kind, status, occurred_at, team_id, commune_id) index alone.
func (s *Store) ReportKindCounts(ctx context.Context, unitIDs []int64, kinds []string, from, to time.Time) ([]KindCount, error) {
	return s.kindCounts(ctx, unitIDs, kinds, reportVerified, from, to)
}

// ReceivedStatuses are the states of a tip the police have received:
// received (Tiếp nhận), verified (Đã xác minh) and rejected (Không xác minh
// được). Target 1a counts where tips come from, not whether they proved
// true, so all three count; a pending tip has not reached the police yet.
var ReceivedStatuses = []string{StatusReceived, StatusVerified, StatusRejected}

// ReportReceivedCounts is ReportKindCounts for the reports the police have
// received (ReceivedStatuses) rather than only the verified ones.
func (s *Store) ReportReceivedCounts(ctx context.Context, unitIDs []int64, kinds []string, from, to time.Time) ([]KindCount, error) {
	return s.kindCounts(ctx, unitIDs, kinds, "s.status IN ('"+strings.Join(ReceivedStatuses, "','")+"')", from, to)
}

func (s *Store) kindCounts(ctx context.Context, unitIDs []int64, kinds []string, status string, from, to time.Time) ([]KindCount, error) {
	if len(unitIDs) == 0 {
		return nil, nil
	}
	us := s.unitSet(unitIDs)
	q := s.builder()
	us.start(q)
	q.add("SELECT s.commune_id, s.team_id, s.kind, COUNT(*) AS n FROM submissions s WHERE ")
	us.submissionIn(q)
	if len(kinds) > 0 {
		q.add(" AND s.kind IN ?", kinds)
	}
	q.add(" AND " + status + " AND " + q.during("s.occurred_at", from, to) + " GROUP BY s.commune_id, s.team_id, s.kind")
	var rows []KindCount
	if err := s.q(ctx).Raw(q.String(), q.args...).Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("store: report counts of %d units: %w", len(unitIDs), err)
	}
	return rows, nil
}

// SpanCount is a number for one team (or commune) and one span.
type SpanCount struct {
	UnitID int64
	Span   int // index into the spans asked for
	N      int64
}

// ReportTeamSpans counts the verified reports of one kind per team (raw id)
// and span, e.g. good deeds per team and calendar month.
func (s *Store) ReportTeamSpans(ctx context.Context, unitIDs []int64, kind string, spans []Span) ([]SpanCount, error) {
	if len(spans) == 0 || len(unitIDs) == 0 {
		return nil, nil
	}
	us := s.unitSet(unitIDs)
	from, to := spanBounds(spans)
	q := s.builder()
	us.start(q)
	q.add("SELECT unit_id, span, COUNT(*) AS n FROM (SELECT s.team_id AS unit_id, " + q.spanCase("s.occurred_at", spans) + " AS span FROM submissions s WHERE ")
	us.submissionIn(q)
	q.add(" AND s.kind = ? AND "+reportVerified+" AND "+q.during("s.occurred_at", from, to), kind)
	q.add(") x WHERE span IS NOT NULL GROUP BY unit_id, span")
	var rows []SpanCount
	if err := s.q(ctx).Raw(q.String(), q.args...).Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("store: %s reports of %d units per span: %w", kind, len(unitIDs), err)
	}
	return rows, nil
}

// ReportActiveReporters counts, per team (the person's current team) and
// span, the active team members of the units with at least one verified
// report of kind in the span, wherever they made it: members who took part
// in a patrol.
func (s *Store) ReportActiveReporters(ctx context.Context, unitIDs []int64, kind string, spans []Span) ([]SpanCount, error) {
	if len(spans) == 0 || len(unitIDs) == 0 {
		return nil, nil
	}
	us := s.unitSet(unitIDs)
	q := s.builder()
	us.start(q)
	if len(spans) == 1 {
		// One span (a phase): probe each member's reports through the
		// (reporter_id, kind, status, occurred_at) index and stop at the
		// first, rather than joining every patrol of the period.
		q.add("SELECT p.unit_id, 0 AS span, COUNT(*) AS n FROM people p WHERE ")
		us.in(q, "p.unit_id")
		q.add(` AND p.active AND p.role IN ? AND EXISTS (SELECT 1 FROM submissions s WHERE s.reporter_id = p.id
			AND s.kind = ? AND `+reportVerified+` AND `+q.during("s.occurred_at", spans[0].From, spans[0].To)+`) GROUP BY p.unit_id`, teamRoles, kind)
	} else {
		from, to := spanBounds(spans)
		q.add("SELECT unit_id, span, COUNT(DISTINCT person_id) AS n FROM (SELECT p.unit_id, p.id AS person_id, " + q.spanCase("s.occurred_at", spans) +
			" AS span FROM people p JOIN submissions s ON s.reporter_id = p.id WHERE ")
		us.in(q, "p.unit_id")
		q.add(" AND p.active AND p.role IN ? AND s.kind = ? AND "+reportVerified+" AND "+q.during("s.occurred_at", from, to), teamRoles, kind)
		q.add(") x WHERE span IS NOT NULL GROUP BY unit_id, span")
	}
	var rows []SpanCount
	if err := s.q(ctx).Raw(q.String(), q.args...).Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("store: members with %s reports in %d units: %w", kind, len(unitIDs), err)
	}
	return rows, nil
}

// ReportTeamSizes counts the active team members (leader, deputies,
// members) per team of the units. Teams without any are absent.
func (s *Store) ReportTeamSizes(ctx context.Context, unitIDs []int64) (map[int64]int64, error) {
	out := map[int64]int64{}
	if len(unitIDs) == 0 {
		return out, nil
	}
	us := s.unitSet(unitIDs)
	q := s.builder()
	us.start(q)
	q.add("SELECT unit_id AS id, COUNT(*) AS n FROM people WHERE ")
	us.in(q, "unit_id")
	q.add(" AND active AND role IN ? GROUP BY unit_id", teamRoles)
	return s.countsByID(ctx, q, fmt.Sprintf("team sizes in %d units", len(unitIDs)))
}

// countsByID runs q, which selects rows (id, n), into a map.
func (s *Store) countsByID(ctx context.Context, q *sqlBuilder, what string) (map[int64]int64, error) {
	var rows []struct {
		ID int64
		N  int64
	}
	if err := s.q(ctx).Raw(q.String(), q.args...).Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("store: %s: %w", what, err)
	}
	out := make(map[int64]int64, len(rows))
	for _, r := range rows {
		out[r.ID] = r.N
	}
	return out, nil
}

// ReportModelsRecognised counts, per commune (raw id) of the units, the
// distinct models (verified reports of kind, marked recognised) whose event
// time is in [from, to). Two reports of the same model (same recognised
// key) count once.
func (s *Store) ReportModelsRecognised(ctx context.Context, unitIDs []int64, kind string, from, to time.Time) (map[int64]int64, error) {
	out := map[int64]int64{}
	if len(unitIDs) == 0 {
		return out, nil
	}
	us := s.unitSet(unitIDs)
	q := s.builder()
	us.start(q)
	q.add("SELECT s.commune_id AS id, COUNT(DISTINCT s.recognised_key) AS n FROM submissions s WHERE ")
	us.submissionIn(q)
	q.add(" AND s.kind = ? AND "+reportVerified+" AND s.recognised_at IS NOT NULL AND "+q.during("s.occurred_at", from, to)+" GROUP BY s.commune_id", kind)
	return s.countsByID(ctx, q, fmt.Sprintf("recognised models in %d units", len(unitIDs)))
}

// MemberCount is one person's verified reports of one kind in a period, and
// in how many of the spans asked for they made at least one.
type MemberCount struct {
	PersonID int64
	Kind     string
	N        int64
	Spans    int64
}

// ReportMemberCounts counts the verified reports of the units per reporter
// and kind for the events in [from, to), with the number of spans (months)
// in which each made at least one: the inputs of the ranking of individual
// members.
func (s *Store) ReportMemberCounts(ctx context.Context, unitIDs []int64, from, to time.Time, spans []Span) ([]MemberCount, error) {
	if len(unitIDs) == 0 {
		return nil, nil
	}
	us := s.unitSet(unitIDs)
	q := s.builder()
	us.start(q)
	q.add("SELECT s.reporter_id AS person_id, s.kind, COUNT(*) AS n, ")
	if len(spans) > 0 {
		q.add("COUNT(DISTINCT " + q.spanCase("s.occurred_at", spans) + ") AS spans")
	} else {
		q.add("0 AS spans")
	}
	q.add(" FROM submissions s WHERE ")
	us.submissionIn(q)
	q.add(" AND " + reportVerified + " AND " + q.during("s.occurred_at", from, to) + " GROUP BY s.reporter_id, s.kind")
	var rows []MemberCount
	if err := s.q(ctx).Raw(q.String(), q.args...).Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("store: member counts in %d units: %w", len(unitIDs), err)
	}
	return rows, nil
}

// ReportRow is one counted (verified) report as listed in a spreadsheet.
type ReportRow struct {
	ID           int64
	Kind         string
	OccurredAt   time.Time
	VerifiedAt   *time.Time
	TeamID       int64
	CommuneID    int64
	ReporterID   int64
	ReporterName string
	Urgent       bool
	RecognisedAt *time.Time
	Answers      JSONMap
	// TipSource is filled only when asked for (the police chain's export).
	TipSource string
}

// ReportRows returns the verified reports of the units whose event time is
// in [from, to), oldest first, at most limit (0: no limit). Tip sources are
// read only when withTipSources is set: callers set it only for readers in
// the police chain.
func (s *Store) ReportRows(ctx context.Context, unitIDs []int64, from, to time.Time, withTipSources bool, limit int) ([]ReportRow, error) {
	if len(unitIDs) == 0 {
		return nil, nil
	}
	src, join := "'' AS tip_source", ""
	if withTipSources {
		src, join = "COALESCE(ts.source, '') AS tip_source", " LEFT JOIN tip_sources ts ON ts.submission_id = s.id"
	}
	us := s.unitSet(unitIDs)
	q := s.builder()
	us.start(q)
	q.add(`SELECT s.id, s.kind, s.occurred_at, s.verified_at, s.team_id, s.commune_id, s.reporter_id,
		p.name AS reporter_name, s.urgent, s.recognised_at, s.answers, ` + src + `
		FROM submissions s JOIN people p ON p.id = s.reporter_id` + join + ` WHERE `)
	us.submissionIn(q)
	q.add(" AND " + reportVerified + " AND " + q.during("s.occurred_at", from, to) + " ORDER BY s.occurred_at, s.id")
	if limit > 0 {
		q.add(" LIMIT ?", limit)
	}
	var rows []ReportRow
	if err := s.q(ctx).Raw(q.String(), q.args...).Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("store: report rows of %d units: %w", len(unitIDs), err)
	}
	return rows, nil
}
