package store

import (
	"context"
	"fmt"
	"time"
)

// Queries behind the scheduled messages (package scheduler): they run over
// the whole organisation at once, grouped in the database, so a monthly
// reminder to 1,500 teams is a handful of queries rather than thousands.

// LiveUnitsAtLevel returns the live (not merged) units at a level, by id.
func (s *Store) LiveUnitsAtLevel(ctx context.Context, level Level) ([]Unit, error) {
	var us []Unit
	if err := s.q(ctx).Where("level = ? AND merged_into_id IS NULL", level).Order("id").Find(&us).Error; err != nil {
		return nil, fmt.Errorf("store: live units at level %s: %w", level, err)
	}
	return us, nil
}

// ActivePeopleByRoles returns the active people holding one of roles, unit
// by unit, leaders first, then by name.
func (s *Store) ActivePeopleByRoles(ctx context.Context, roles []Role) ([]Person, error) {
	if len(roles) == 0 {
		return nil, nil
	}
	var ps []Person
	if err := s.q(ctx).Where("active AND role IN ?", roles).Order("unit_id, " + roleOrder + ", name, id").Find(&ps).Error; err != nil {
		return nil, fmt.Errorf("store: active people with roles %v: %w", roles, err)
	}
	return ps, nil
}

// SubmissionsByReporterMade counts, per reporter, the submissions of kinds
// (all kinds when empty) made (created, whatever their status and event
// date) in [from, to). Reporters without any are absent.
func (s *Store) SubmissionsByReporterMade(ctx context.Context, from, to time.Time, kinds []string) (map[int64]int64, error) {
	var rows []struct {
		ReporterID int64
		N          int64
	}
	q := s.q(ctx).Table("submissions").Select("reporter_id, COUNT(*) AS n").
		Where("created_at >= ? AND created_at < ?", utc(from), utc(to))
	if len(kinds) > 0 {
		q = q.Where("kind IN ?", kinds)
	}
	if err := q.Group("reporter_id").Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("store: submissions made per reporter: %w", err)
	}
	out := make(map[int64]int64, len(rows))
	for _, r := range rows {
		out[r.ReporterID] = r.N
	}
	return out, nil
}

// CommuneKindCount is a number of submissions of one kind in one commune,
// keyed by the live commune the report's commune rolls up into.
type CommuneKindCount struct {
	CommuneID int64
	Kind      string
	N         int64
}

// SubmissionsMadeByCommune counts the submissions made (created) in
// [from, to), per live commune and kind, whatever their status.
func (s *Store) SubmissionsMadeByCommune(ctx context.Context, from, to time.Time) ([]CommuneKindCount, error) {
	var rows []CommuneKindCount
	err := s.q(ctx).Raw("WITH RECURSIVE "+successorCTE+` SELECT g.live_id AS commune_id, s.kind, COUNT(*) AS n
		FROM submissions s JOIN successor g ON g.id = s.commune_id
		WHERE s.created_at >= ? AND s.created_at < ? GROUP BY g.live_id, s.kind ORDER BY 1, 2`, utc(from), utc(to)).Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("store: submissions made per commune: %w", err)
	}
	return rows, nil
}

// OpenSubmissionsByCommune counts the submissions still waiting for a
// verdict (pending or received), per live commune and kind.
func (s *Store) OpenSubmissionsByCommune(ctx context.Context) ([]CommuneKindCount, error) {
	var rows []CommuneKindCount
	err := s.q(ctx).Raw("WITH RECURSIVE "+successorCTE+` SELECT g.live_id AS commune_id, s.kind, COUNT(*) AS n
		FROM submissions s JOIN successor g ON g.id = s.commune_id
		WHERE s.status IN ? GROUP BY g.live_id, s.kind ORDER BY 1, 2`, []string{StatusPending, StatusReceived}).Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("store: open submissions per commune: %w", err)
	}
	return rows, nil
}

// StaleSubmission is a submission that waited too long in one status.
type StaleSubmission struct {
	ID int64
	// CommuneID is the live commune the report's commune rolls up into.
	CommuneID int64
	Kind      string
	Urgent    bool
	CreatedAt time.Time
}

// StaleSubmissions returns the submissions of kinds still in one of
// statuses that were made before createdBefore, oldest first.
func (s *Store) StaleSubmissions(ctx context.Context, kinds, statuses []string, createdBefore time.Time) ([]StaleSubmission, error) {
	if len(kinds) == 0 || len(statuses) == 0 {
		return nil, nil
	}
	var rows []StaleSubmission
	err := s.q(ctx).Raw("WITH RECURSIVE "+successorCTE+` SELECT s.id, g.live_id AS commune_id, s.kind, s.urgent, s.created_at
		FROM submissions s JOIN successor g ON g.id = s.commune_id
		WHERE s.kind IN ? AND s.status IN ? AND s.created_at < ? ORDER BY s.created_at, s.id`,
		kinds, statuses, utc(createdBefore)).Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("store: stale submissions: %w", err)
	}
	return rows, nil
}

// UnreachablePerson is an active person no linked chat can reach.
type UnreachablePerson struct {
	Person
	// Since is when the last of their identities was marked unreachable.
	Since time.Time
}

// UnreachablePeople returns the active people who have at least one linked
// identity and whose every identity is marked unreachable, the last of them
// at or after since, by unit and name. People with no identity at all are
// not listed: they never onboarded, which is not news.
func (s *Store) UnreachablePeople(ctx context.Context, since time.Time) ([]UnreachablePerson, error) {
	var ids []int64
	err := s.q(ctx).Raw(`SELECT i.person_id FROM identities i
		JOIN people p ON p.id = i.person_id AND p.active
		GROUP BY i.person_id HAVING COUNT(*) = COUNT(i.unreachable_at) AND MAX(i.unreachable_at) >= ?`, utc(since)).Scan(&ids).Error
	if err != nil {
		return nil, fmt.Errorf("store: unreachable people: %w", err)
	}
	if len(ids) == 0 {
		return nil, nil
	}
	// The latest mark is taken in Go: SQLite returns an aggregate of a
	// DATETIME column as text, which does not scan into a time.
	idents, err := s.IdentitiesOf(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("store: unreachable people: %w", err)
	}
	when := make(map[int64]time.Time, len(ids))
	for _, i := range idents {
		if i.UnreachableAt != nil && i.UnreachableAt.After(when[i.PersonID]) {
			when[i.PersonID] = *i.UnreachableAt
		}
	}
	var ps []Person
	if err := s.q(ctx).Where("id IN ?", ids).Order("unit_id, " + roleOrder + ", name, id").Find(&ps).Error; err != nil {
		return nil, fmt.Errorf("store: unreachable people: %w", err)
	}
	out := make([]UnreachablePerson, len(ps))
	for i, p := range ps {
		out[i] = UnreachablePerson{Person: p, Since: when[p.ID]}
	}
	return out, nil
}
