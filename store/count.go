package store

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// CountFilter selects submissions for counting. Zero fields do not filter.
type CountFilter struct {
	// UnitID counts the submissions made in that unit's subtree, merged-in
	// units included (see UnitSubtreeIDs), and those made in a commune of
	// that subtree before its teams moved.
	UnitID   int64
	Kinds    []string
	Statuses []string
	// From is inclusive, To exclusive, on OccurredAt.
	From, To   time.Time
	ReporterID int64
	// PhaseID, when set, counts only submissions of that campaign phase.
	PhaseID string
}

// submissionQuery is a reusable piece of SQL over submissions aliased "s",
// for the aggregate queries of this package: With is the CTE list to put
// after "WITH RECURSIVE" (see prefix) and Where the conditions to put after
// "WHERE" (never empty). Arguments are kept per part because they must be
// passed in the order the parts appear in the statement; args does that.
//
//	q := f.query()
//	sql := q.prefix() + "SELECT " + expr + " ... FROM submissions s WHERE " + q.Where
//	s.q(ctx).Raw(sql, q.args(exprArgs...)...)
type submissionQuery struct {
	With      []string
	WithArgs  []any
	Where     string
	WhereArgs []any
}

// prefix returns "WITH RECURSIVE <ctes> " or "".
func (q submissionQuery) prefix() string {
	if len(q.With) == 0 {
		return ""
	}
	return "WITH RECURSIVE " + strings.Join(q.With, ", ") + " "
}

// args returns the statement's arguments: the CTEs', then those of whatever
// sits between the CTEs and WHERE (the SELECT list, joins), then WHERE's.
func (q submissionQuery) args(middle ...any) []any {
	out := make([]any, 0, len(q.WithArgs)+len(middle)+len(q.WhereArgs))
	out = append(out, q.WithArgs...)
	out = append(out, middle...)
	return append(out, q.WhereArgs...)
}

// query turns the filter into SQL conditions on submissions aliased "s".
func (f CountFilter) query() submissionQuery {
	var (
		q     submissionQuery
		conds []string
	)
	if f.UnitID != 0 {
		q.With = append(q.With, subtreeCTE)
		q.WithArgs = append(q.WithArgs, f.UnitID)
		// commune_id too: it was fixed when the report was made, so a
		// commune still counts its old reports after its teams moved away
		// (MergeUnit moves a merged commune's teams to the successor).
		conds = append(conds, "(s.team_id IN (SELECT id FROM subtree) OR s.commune_id IN (SELECT id FROM subtree))")
	}
	add := func(cond string, arg any) {
		conds = append(conds, cond)
		q.WhereArgs = append(q.WhereArgs, arg)
	}
	if len(f.Kinds) > 0 {
		add("s.kind IN ?", f.Kinds)
	}
	if len(f.Statuses) > 0 {
		add("s.status IN ?", f.Statuses)
	}
	if !f.From.IsZero() {
		add("s.occurred_at >= ?", utc(f.From))
	}
	if !f.To.IsZero() {
		add("s.occurred_at < ?", utc(f.To))
	}
	if f.ReporterID != 0 {
		add("s.reporter_id = ?", f.ReporterID)
	}
	if f.PhaseID != "" {
		add("s.phase_id = ?", f.PhaseID)
	}
	if len(conds) == 0 {
		conds = append(conds, "1 = 1")
	}
	q.Where = strings.Join(conds, " AND ")
	return q
}

// CountSubmissions counts the submissions matching f, in the database.
func (s *Store) CountSubmissions(ctx context.Context, f CountFilter) (int64, error) {
	q := f.query()
	var n int64
	if err := s.q(ctx).Raw(q.prefix()+"SELECT COUNT(*) FROM submissions s WHERE "+q.Where, q.args()...).Scan(&n).Error; err != nil {
		return 0, fmt.Errorf("store: count submissions: %w", err)
	}
	return n, nil
}

// Group keys for CountByGroup.
const (
	GroupTeam     = "team"
	GroupReporter = "reporter"
	GroupCommune  = "commune"
)

// CountByGroup counts the submissions matching f per team, reporter or
// commune. Teams and communes are keyed by the live unit their history rolls
// up into, so a merged team's reports count for its successor. Groups with
// no submissions are absent.
func (s *Store) CountByGroup(ctx context.Context, f CountFilter, groupBy string) (map[int64]int64, error) {
	q := f.query()
	var key, join string
	switch groupBy {
	case GroupReporter:
		key = "s.reporter_id"
	case GroupTeam, GroupCommune:
		q.With = append(q.With, successorCTE)
		key = "g.live_id"
		join = " JOIN successor g ON g.id = s." + groupBy + "_id"
	default:
		return nil, fmt.Errorf("store: count by %q: want %q, %q or %q: %w", groupBy, GroupTeam, GroupReporter, GroupCommune, ErrInvalid)
	}
	var rows []struct {
		K int64
		N int64
	}
	sql := q.prefix() + "SELECT " + key + " AS k, COUNT(*) AS n FROM submissions s" + join + " WHERE " + q.Where + " GROUP BY " + key
	if err := s.q(ctx).Raw(sql, q.args()...).Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("store: count submissions by %s: %w", groupBy, err)
	}
	out := make(map[int64]int64, len(rows))
	for _, r := range rows {
		out[r.K] = r.N
	}
	return out, nil
}

// CountByMonth counts the submissions matching f per calendar month of
// OccurredAt in loc, keyed "2006-01". Months without submissions are absent.
func (s *Store) CountByMonth(ctx context.Context, f CountFilter, loc *time.Location) (map[string]int64, error) {
	if loc == nil {
		return nil, fmt.Errorf("store: count by month: nil location: %w", ErrInvalid)
	}
	q := f.query()
	ref := f.From
	if ref.IsZero() {
		ref = s.clock()
	}
	month, margs := s.monthExpr("s.occurred_at", loc, ref)
	// GROUP BY 1 rather than repeating the expression and its arguments.
	sql := q.prefix() + "SELECT " + month + " AS k, COUNT(*) AS n FROM submissions s WHERE " + q.Where + " GROUP BY 1"
	args := q.args(margs...)
	var rows []struct {
		K string
		N int64
	}
	if err := s.q(ctx).Raw(sql, args...).Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("store: count submissions by month: %w", err)
	}
	out := make(map[string]int64, len(rows))
	for _, r := range rows {
		out[r.K] = r.N
	}
	return out, nil
}
