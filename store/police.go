package store

import (
	"context"
	"fmt"
	"strconv"
	"time"
)

// Queries and changes behind the police and team-leader chat tools (package
// police): the verification queue, the incidents of a commune, taking back
// a presence, and the figures already entered for a period.

// QueueFilter selects the reports waiting for one verifier: pending or
// received reports of Kinds made in UnitID's subtree (a commune or a team,
// merged-in units included).
type QueueFilter struct {
	UnitID int64
	// Kinds must not be empty: the caller says which kinds it verifies.
	Kinds []string
	// ExcludeReporterID leaves out the verifier's own reports: nobody
	// verifies their own.
	ExcludeReporterID int64
	// Limit bounds the items returned (default 10); Total still counts all.
	Limit int
}

// QueueItem is one report waiting for verification, with the names a
// verifier needs to judge it.
type QueueItem struct {
	Submission
	ReporterName string
	TeamName     string
}

// VerificationQueue returns the oldest reports matching f (by submission
// time, then reference number) and how many match in all.
func (s *Store) VerificationQueue(ctx context.Context, f QueueFilter) ([]QueueItem, int64, error) {
	if f.UnitID == 0 || len(f.Kinds) == 0 {
		return nil, 0, fmt.Errorf("store: verification queue: unit and kinds are required: %w", ErrInvalid)
	}
	if f.Limit <= 0 {
		f.Limit = 10
	}
	// Made in one of the unit's teams, or in the commune itself (a commune
	// keeps the reports made in it after its teams moved away).
	const inUnit = "(s.team_id IN (SELECT id FROM subtree) OR s.commune_id IN (SELECT id FROM subtree))"
	where := inUnit + " AND s.kind IN ? AND s.status IN ? AND s.reporter_id <> ?"
	args := []any{f.UnitID, f.Kinds, []string{StatusPending, StatusReceived}, f.ExcludeReporterID}
	var total int64
	if err := s.q(ctx).Raw("WITH RECURSIVE "+subtreeCTE+" SELECT COUNT(*) FROM submissions s WHERE "+where, args...).
		Scan(&total).Error; err != nil {
		return nil, 0, fmt.Errorf("store: verification queue of unit %d: %w", f.UnitID, err)
	}
	if total == 0 {
		return nil, 0, nil
	}
	var subs []Submission
	err := s.q(ctx).Raw("WITH RECURSIVE "+subtreeCTE+" SELECT s.* FROM submissions s WHERE "+where+
		" ORDER BY s.created_at, s.id LIMIT ?", append(args, f.Limit)...).Scan(&subs).Error
	if err != nil {
		return nil, 0, fmt.Errorf("store: verification queue of unit %d: %w", f.UnitID, err)
	}
	out, err := s.queueItems(ctx, subs)
	if err != nil {
		return nil, 0, fmt.Errorf("store: verification queue of unit %d: %w", f.UnitID, err)
	}
	return out, total, nil
}

// queueItems adds the reporters' and teams' names to subs.
func (s *Store) queueItems(ctx context.Context, subs []Submission) ([]QueueItem, error) {
	people, units := map[int64]bool{}, map[int64]bool{}
	for _, sub := range subs {
		people[sub.ReporterID], units[sub.TeamID] = true, true
	}
	pn, err := s.names(ctx, "people", people)
	if err != nil {
		return nil, err
	}
	un, err := s.names(ctx, "units", units)
	if err != nil {
		return nil, err
	}
	out := make([]QueueItem, len(subs))
	for i, sub := range subs {
		out[i] = QueueItem{Submission: sub, ReporterName: pn[sub.ReporterID], TeamName: un[sub.TeamID]}
	}
	return out, nil
}

// names returns the name column of the rows of table ("people" or "units")
// with the given ids.
func (s *Store) names(ctx context.Context, table string, ids map[int64]bool) (map[int64]string, error) {
	list := make([]int64, 0, len(ids))
	for id := range ids {
		list = append(list, id)
	}
	var rows []struct {
		ID   int64
		Name string
	}
	if err := s.q(ctx).Table(table).Select("id, name").Where("id IN ?", list).Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("names of %d %s: %w", len(list), table, err)
	}
	out := make(map[int64]string, len(rows))
	for _, r := range rows {
		out[r.ID] = r.Name
	}
	return out, nil
}

// IncidentsOf returns the incidents logged for a commune, most recent
// (by when they occurred) first, at most limit (<= 0: 10).
func (s *Store) IncidentsOf(ctx context.Context, communeID int64, limit int) ([]Incident, error) {
	if limit <= 0 {
		limit = 10
	}
	var ins []Incident
	err := s.q(ctx).Where("commune_id = ?", communeID).Order("occurred_at DESC, id DESC").Limit(limit).Find(&ins).Error
	if err != nil {
		return nil, fmt.Errorf("store: incidents of commune %d: %w", communeID, err)
	}
	return ins, nil
}

// UnconfirmPresence takes back a confirmation of personID's presence at
// the incident (an officer untick): a presence the police recorded
// themselves is removed, one the member reported goes back to unconfirmed.
// It reports whether anything changed; the change is audited.
func (s *Store) UnconfirmPresence(ctx context.Context, incidentID, personID, actorID int64) (bool, error) {
	changed := false
	err := s.tx(ctx, func(tx *Store) error {
		changed = false
		var p IncidentPresence
		err := first(tx.q(ctx).Where("incident_id = ? AND person_id = ?", incidentID, personID), &p)
		if isNotFound(err) || (err == nil && p.ConfirmedByID == nil) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("store: unconfirm presence of person %d at incident %d: %w", personID, incidentID, err)
		}
		q := tx.q(ctx).Where("incident_id = ? AND person_id = ?", incidentID, personID)
		if p.Source == PresencePolice {
			err = q.Delete(&IncidentPresence{}).Error
		} else {
			err = q.Model(&IncidentPresence{}).Update("confirmed_by_id", nil).Error
		}
		if err != nil {
			return fmt.Errorf("store: unconfirm presence of person %d at incident %d: %w", personID, incidentID, err)
		}
		changed = true
		return tx.Audit(ctx, AuditLog{ActorID: idPtr(actorID), Action: "presence.unconfirm", SubjectType: "incident",
			SubjectID: strconv.FormatInt(incidentID, 10), Detail: "person " + strconv.FormatInt(personID, 10) + " (" + p.Source + ")"})
	})
	return changed, err
}

// WithdrawPresence removes a presence the member reported and nobody has
// confirmed yet (the member said "yes" and then "no"). A confirmed
// presence stays: the officer's word is what counts. It reports whether a
// row was removed.
func (s *Store) WithdrawPresence(ctx context.Context, incidentID, personID int64) (bool, error) {
	res := s.q(ctx).Where("incident_id = ? AND person_id = ? AND source = ? AND confirmed_by_id IS NULL",
		incidentID, personID, PresenceMember).Delete(&IncidentPresence{})
	if res.Error != nil {
		return false, fmt.Errorf("store: withdraw presence of person %d at incident %d: %w", personID, incidentID, res.Error)
	}
	return res.RowsAffected > 0, nil
}

// PoliceFigureEntries returns the entries of the given units (exactly
// those) whose period lies within [from, to), all figures when figures is
// empty, ordered by unit, figure and period.
func (s *Store) PoliceFigureEntries(ctx context.Context, unitIDs []int64, figures []string, from, to time.Time) ([]PoliceFigure, error) {
	if len(unitIDs) == 0 {
		return nil, nil
	}
	q := s.q(ctx).Where("unit_id IN ? AND period_start >= ? AND period_end <= ?", unitIDs, utc(from), utc(to))
	if len(figures) > 0 {
		q = q.Where("figure IN ?", figures)
	}
	var out []PoliceFigure
	if err := q.Order("unit_id, figure, period_start, period_end").Find(&out).Error; err != nil {
		return nil, fmt.Errorf("store: figure entries of %d units: %w", len(unitIDs), err)
	}
	return out, nil
}
