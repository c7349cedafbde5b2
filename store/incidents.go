package store

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm/clause"
)

// Incident kinds. Security incidents count for the campaign's incident
// presence target (content 1); fire and rescue call-outs for the call-out
// attendance target (content 3); traffic incidents are logged for the record.
const (
	IncidentANTT    = "antt"
	IncidentFire    = "fire"
	IncidentRescue  = "rescue"
	IncidentTraffic = "traffic"
)

var incidentKinds = []string{IncidentANTT, IncidentFire, IncidentRescue, IncidentTraffic}

// Presence sources: the member reported being there (and the police
// confirmed it), or the police recorded it themselves.
const (
	PresenceMember = "member"
	PresencePolice = "police"
)

// Incident is a security incident (vụ, việc) or a fire or rescue call-out
// the commune police logged; members present at it are IncidentPresence rows.
type Incident struct {
	ID          int64
	CommuneID   int64
	Kind        string // IncidentANTT, IncidentFire, IncidentRescue or IncidentTraffic
	OccurredAt  time.Time
	Place       string
	Description string
	Serious     bool
	LoggedByID  *int64
	CreatedAt   time.Time
}

// IncidentPresence records that a member was at an incident. Only confirmed
// presences (ConfirmedByID set) count for the targets.
type IncidentPresence struct {
	IncidentID int64 `gorm:"primaryKey;autoIncrement:false"`
	PersonID   int64 `gorm:"primaryKey;autoIncrement:false"`
	ArrivedAt  *time.Time
	Source     string // PresenceMember or PresencePolice
	// SubmissionID is the member's report the police linked, if any.
	SubmissionID  *int64
	ConfirmedByID *int64
	CreatedAt     time.Time
}

// TableName keeps the table name singular like the migration.
func (IncidentPresence) TableName() string { return "incident_presence" }

// CreateIncident logs an incident for a commune and sets its ID.
func (s *Store) CreateIncident(ctx context.Context, in *Incident) error {
	switch {
	case in.CommuneID == 0 || in.OccurredAt.IsZero():
		return fmt.Errorf("store: create incident: commune and time are required: %w", ErrInvalid)
	case !slices.Contains(incidentKinds, in.Kind):
		return fmt.Errorf("store: create incident: kind %q (want one of %s): %w", in.Kind, strings.Join(incidentKinds, ", "), ErrInvalid)
	}
	u, err := s.UnitByID(ctx, in.CommuneID)
	if err != nil {
		return fmt.Errorf("store: create incident: %w", err)
	}
	if u.Level != LevelCommune {
		return fmt.Errorf("store: create incident: unit %d is a %s, not a commune: %w", u.ID, u.Level, ErrInvalid)
	}
	in.ID = 0
	in.Place, in.Description = nfc(in.Place), nfc(in.Description)
	in.OccurredAt = utc(in.OccurredAt)
	if in.CreatedAt.IsZero() {
		in.CreatedAt = s.clock()
	}
	in.CreatedAt = utc(in.CreatedAt)
	if err := s.q(ctx).Create(in).Error; err != nil {
		return fmt.Errorf("store: create incident: %w", err)
	}
	return nil
}

// IncidentByID returns an incident.
func (s *Store) IncidentByID(ctx context.Context, id int64) (Incident, error) {
	var in Incident
	if err := first(s.q(ctx).Where("id = ?", id), &in); err != nil {
		return Incident{}, fmt.Errorf("store: incident %d: %w", id, err)
	}
	return in, nil
}

// RecordPresence records that personID was at the incident. Recording the
// same person again updates the arrival time and confirmation when given (a
// member says they were there; the police confirm it later) and never
// clears them. confirmedBy nil leaves the presence unconfirmed.
func (s *Store) RecordPresence(ctx context.Context, incidentID, personID int64, arrivedAt *time.Time, source string, confirmedBy *int64) (IncidentPresence, error) {
	return s.recordPresence(ctx, IncidentPresence{IncidentID: incidentID, PersonID: personID, ArrivedAt: arrivedAt, Source: source, ConfirmedByID: confirmedBy})
}

// LinkPresenceReport records the reporter of a member's report (kind
// "presence" or "fire_rescue") as present at the incident, confirmed by the
// officer who links them.
func (s *Store) LinkPresenceReport(ctx context.Context, incidentID, submissionID, confirmedBy int64) (IncidentPresence, error) {
	sub, err := s.SubmissionByID(ctx, submissionID)
	if err != nil {
		return IncidentPresence{}, fmt.Errorf("store: link presence report: %w", err)
	}
	return s.recordPresence(ctx, IncidentPresence{IncidentID: incidentID, PersonID: sub.ReporterID, Source: PresenceMember,
		SubmissionID: &submissionID, ConfirmedByID: idPtr(confirmedBy)})
}

func (s *Store) recordPresence(ctx context.Context, p IncidentPresence) (IncidentPresence, error) {
	if p.Source != PresenceMember && p.Source != PresencePolice {
		return IncidentPresence{}, fmt.Errorf("store: record presence: source %q (want %q or %q): %w", p.Source, PresenceMember, PresencePolice, ErrInvalid)
	}
	p.ArrivedAt = utcPtr(p.ArrivedAt)
	p.CreatedAt = s.clock()
	var out IncidentPresence
	err := s.tx(ctx, func(tx *Store) error {
		if _, err := tx.IncidentByID(ctx, p.IncidentID); err != nil {
			return fmt.Errorf("store: record presence: %w", err)
		}
		if _, err := tx.PersonByID(ctx, p.PersonID); err != nil {
			return fmt.Errorf("store: record presence: %w", err)
		}
		// Insert or fill in; COALESCE keeps what an earlier call recorded
		// when this one leaves it out.
		set := clause.Set{
			{Column: clause.Column{Name: "arrived_at"}, Value: clause.Expr{SQL: "COALESCE(excluded.arrived_at, incident_presence.arrived_at)"}},
			{Column: clause.Column{Name: "confirmed_by_id"}, Value: clause.Expr{SQL: "COALESCE(excluded.confirmed_by_id, incident_presence.confirmed_by_id)"}},
			{Column: clause.Column{Name: "submission_id"}, Value: clause.Expr{SQL: "COALESCE(excluded.submission_id, incident_presence.submission_id)"}},
		}
		err := tx.q(ctx).Clauses(clause.OnConflict{
			Columns:   []clause.Column{{Name: "incident_id"}, {Name: "person_id"}},
			DoUpdates: set,
		}).Create(&p).Error
		if err != nil {
			return fmt.Errorf("store: record presence of person %d at incident %d: %w", p.PersonID, p.IncidentID, err)
		}
		return first(tx.q(ctx).Where("incident_id = ? AND person_id = ?", p.IncidentID, p.PersonID), &out)
	})
	if err != nil {
		return IncidentPresence{}, err
	}
	return out, nil
}

// PresenceAt returns the presences recorded for an incident, by person.
func (s *Store) PresenceAt(ctx context.Context, incidentID int64) ([]IncidentPresence, error) {
	var ps []IncidentPresence
	if err := s.q(ctx).Where("incident_id = ?", incidentID).Order("person_id").Find(&ps).Error; err != nil {
		return nil, fmt.Errorf("store: presence at incident %d: %w", incidentID, err)
	}
	return ps, nil
}

// IncidentCount is how many incidents of one kind a commune logged in a
// period, and how many of them have at least one confirmed presence.
type IncidentCount struct {
	CommuneID    int64
	Kind         string
	Incidents    int64
	WithPresence int64
	// InTime is how many have a confirmed presence in time (meaningful from
	// IncidentsInTime).
	InTime int64
}

// IncidentsInTime is IncidentsWithPresence that also counts the incidents
// with a confirmed presence in time: the member arrived no later than
// window after the incident's start; a confirmed presence without an
// arrival time counts as in time when unknownInTime is set.
func (s *Store) IncidentsInTime(ctx context.Context, unitIDs []int64, kinds []string, from, to time.Time, window time.Duration, unknownInTime bool) ([]IncidentCount, error) {
	if len(kinds) == 0 || len(unitIDs) == 0 {
		return nil, nil
	}
	secs := strconv.FormatInt(int64(window/time.Second), 10)
	arrived := "p.arrived_at <= i.occurred_at + CAST('" + secs + " seconds' AS interval)"
	if s.driver != DriverPostgres {
		arrived = "julianday(p.arrived_at) <= julianday(i.occurred_at) + " + secs + ".0 / 86400.0"
	}
	unknown := "FALSE"
	if unknownInTime {
		unknown = "p.arrived_at IS NULL"
	}
	us := s.unitSet(unitIDs)
	q := s.builder()
	us.start(q)
	q.add(`SELECT i.commune_id, i.kind, COUNT(*) AS incidents,
		SUM(CASE WHEN EXISTS (SELECT 1 FROM incident_presence p WHERE p.incident_id = i.id AND p.confirmed_by_id IS NOT NULL) THEN 1 ELSE 0 END) AS with_presence,
		SUM(CASE WHEN EXISTS (SELECT 1 FROM incident_presence p WHERE p.incident_id = i.id AND p.confirmed_by_id IS NOT NULL
			AND (` + unknown + ` OR ` + arrived + `)) THEN 1 ELSE 0 END) AS in_time
		FROM incidents i WHERE `)
	us.in(q, "i.commune_id")
	q.add(" AND i.kind IN ? AND "+q.during("i.occurred_at", from, to)+" GROUP BY i.commune_id, i.kind", kinds)
	var rows []IncidentCount
	if err := s.q(ctx).Raw(q.String(), q.args...).Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("store: incidents in time of %d units: %w", len(unitIDs), err)
	}
	return rows, nil
}

// IncidentsWithPresence counts, per commune of unitIDs (merged-in
// communes under their own id) and kind, the incidents that occurred in
// [from, to) and those with at least one confirmed presence.
func (s *Store) IncidentsWithPresence(ctx context.Context, unitIDs []int64, kinds []string, from, to time.Time) ([]IncidentCount, error) {
	return s.IncidentsInTime(ctx, unitIDs, kinds, from, to, 0, false)
}

// ReportSeriousIncidents counts, per commune of unitIDs (raw ids), the
// incidents of kind logged as serious that occurred in [from, to): serious
// traffic accidents logged with /sukien count for target 6b whatever figure
// the police entered.
func (s *Store) ReportSeriousIncidents(ctx context.Context, unitIDs []int64, kind string, from, to time.Time) (map[int64]int64, error) {
	out := map[int64]int64{}
	if len(unitIDs) == 0 {
		return out, nil
	}
	us := s.unitSet(unitIDs)
	q := s.builder()
	us.start(q)
	q.add("SELECT i.commune_id AS id, COUNT(*) AS n FROM incidents i WHERE ")
	us.in(q, "i.commune_id")
	q.add(" AND i.kind = ? AND i.serious AND "+q.during("i.occurred_at", from, to)+" GROUP BY i.commune_id", kind)
	return s.countsByID(ctx, q, fmt.Sprintf("serious %s incidents of %d units", kind, len(unitIDs)))
}
