package store

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// PoliceFigure is a number only the police know (all tips received, traffic
// accidents, commendations, ...), entered for one unit and period. Figure is
// one of the campaign.Figure* names; store does not check it against the
// campaign, the police tools do.
type PoliceFigure struct {
	ID int64
	// UnitID is the commune, or the team for per-team figures (commendations).
	UnitID int64
	Figure string
	// PeriodStart and PeriodEnd are the local-day bounds [start, end) of the
	// period the figure covers, e.g. a phase or a calendar month.
	PeriodStart time.Time
	PeriodEnd   time.Time
	Value       float64
	EnteredByID *int64
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// SetPoliceFigure enters or corrects the figure for (f.UnitID, f.Figure,
// f.PeriodStart, f.PeriodEnd): the value is replaced, never added to. The
// change is audited with the old and new value in the same transaction.
func (s *Store) SetPoliceFigure(ctx context.Context, f PoliceFigure, actorID int64) error {
	switch {
	case f.UnitID == 0 || strings.TrimSpace(f.Figure) == "":
		return fmt.Errorf("store: set police figure: unit and figure are required: %w", ErrInvalid)
	case !f.PeriodEnd.After(f.PeriodStart):
		return fmt.Errorf("store: set police figure %s of unit %d: period end %s is not after start %s: %w",
			f.Figure, f.UnitID, f.PeriodEnd.Format(time.RFC3339), f.PeriodStart.Format(time.RFC3339), ErrInvalid)
	case f.Value < 0 || math.IsNaN(f.Value) || math.IsInf(f.Value, 0):
		return fmt.Errorf("store: set police figure %s of unit %d: value %v must be a number >= 0: %w", f.Figure, f.UnitID, f.Value, ErrInvalid)
	}
	start, end := utc(f.PeriodStart), utc(f.PeriodEnd)
	subject := fmt.Sprintf("%d/%s/%s/%s", f.UnitID, f.Figure, start.Format(time.RFC3339), end.Format(time.RFC3339))
	return s.tx(ctx, func(tx *Store) error {
		if _, err := tx.UnitByID(ctx, f.UnitID); err != nil {
			return fmt.Errorf("store: set police figure: %w", err)
		}
		now := tx.clock()
		var cur PoliceFigure
		err := first(tx.q(ctx).Where("unit_id = ? AND figure = ? AND period_start = ? AND period_end = ?", f.UnitID, f.Figure, start, end), &cur)
		old := "none"
		switch {
		case errors.Is(err, ErrNotFound):
			row := PoliceFigure{UnitID: f.UnitID, Figure: f.Figure, PeriodStart: start, PeriodEnd: end, Value: f.Value,
				EnteredByID: idPtr(actorID), CreatedAt: now, UpdatedAt: now}
			if err := tx.q(ctx).Create(&row).Error; err != nil {
				return fmt.Errorf("store: set police figure %s: %w", subject, err)
			}
		case err != nil:
			return fmt.Errorf("store: set police figure %s: %w", subject, err)
		default:
			if cur.Value == f.Value {
				return nil
			}
			old = formatFigure(cur.Value)
			if err := tx.q(ctx).Model(&PoliceFigure{}).Where("id = ?", cur.ID).
				Updates(map[string]any{"value": f.Value, "entered_by_id": idPtr(actorID), "updated_at": now}).Error; err != nil {
				return fmt.Errorf("store: set police figure %s: %w", subject, err)
			}
		}
		return tx.Audit(ctx, AuditLog{At: now, ActorID: idPtr(actorID), Action: "figure.set", SubjectType: "police_figure",
			SubjectID: subject, Detail: old + " -> " + formatFigure(f.Value)})
	})
}

func formatFigure(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

// PoliceFigureOf returns the figure entered for exactly that unit and period.
func (s *Store) PoliceFigureOf(ctx context.Context, unitID int64, figure string, start, end time.Time) (PoliceFigure, error) {
	var f PoliceFigure
	err := first(s.q(ctx).Where("unit_id = ? AND figure = ? AND period_start = ? AND period_end = ?", unitID, figure, utc(start), utc(end)), &f)
	if err != nil {
		return PoliceFigure{}, fmt.Errorf("store: police figure %s of unit %d: %w", figure, unitID, err)
	}
	return f, nil
}

// FigureSum aggregates the entries of one police figure.
type FigureSum struct {
	// Sum adds the values of the entries.
	Sum float64
	// Entries is how many entries were found; 0 means the figure was never
	// entered for that period, which is not the same as a value of 0.
	Entries int64
	// Units is how many distinct units have at least one entry.
	Units int64
}

// PoliceFigures adds up a figure over the given units (exactly those, no
// subtree) for the entries whose period lies within [from, to): a phase
// asked for sums the phase's entry or its monthly entries. Enter each figure
// at one granularity (per phase, or per month), not both, or it is counted
// twice.
func (s *Store) PoliceFigures(ctx context.Context, unitIDs []int64, figure string, from, to time.Time) (FigureSum, error) {
	var out FigureSum
	if len(unitIDs) == 0 {
		return out, nil
	}
	var row struct {
		Sum     *float64
		Entries int64
		Units   int64
	}
	err := s.q(ctx).Raw(`SELECT SUM(value) AS sum, COUNT(*) AS entries, COUNT(DISTINCT unit_id) AS units FROM police_figures
		WHERE unit_id IN ? AND figure = ? AND period_start >= ? AND period_end <= ?`, unitIDs, figure, utc(from), utc(to)).Scan(&row).Error
	if err != nil {
		return out, fmt.Errorf("store: police figure %s of %d units: %w", figure, len(unitIDs), err)
	}
	if row.Sum != nil {
		out.Sum = *row.Sum
	}
	out.Entries, out.Units = row.Entries, row.Units
	return out, nil
}

// FigureEntered reports whether the figure was entered for the unit for a
// period within [from, to); reminders use it to ask the police for what is
// missing.
func (s *Store) FigureEntered(ctx context.Context, unitID int64, figure string, from, to time.Time) (bool, error) {
	sum, err := s.PoliceFigures(ctx, []int64{unitID}, figure, from, to)
	if err != nil {
		return false, err
	}
	return sum.Entries > 0, nil
}

// FigureTotal is one unit's entries of one figure within one span, as
// returned by ReportFigures.
type FigureTotal struct {
	UnitID  int64
	Figure  string
	Span    int // index into the spans asked for
	Sum     float64
	Entries int64
}

// ReportFigures returns, for every unit of unitIDs and every span, the
// entries of the given figures whose period lies within the span, added up.
// Units and spans without entries are absent.
func (s *Store) ReportFigures(ctx context.Context, unitIDs []int64, figures []string, spans []Span) ([]FigureTotal, error) {
	if len(figures) == 0 || len(spans) == 0 || len(unitIDs) == 0 {
		return nil, nil
	}
	us := s.unitSet(unitIDs)
	q := s.builder()
	us.start(q)
	q.add("SELECT unit_id, figure, span, SUM(value) AS sum, COUNT(*) AS entries FROM (SELECT f.unit_id, f.figure, f.value, CASE")
	for i, sp := range spans {
		q.add(" WHEN f.period_start >= " + q.ts(sp.From) + " AND f.period_end <= " + q.ts(sp.To) + " THEN " + strconv.Itoa(i))
	}
	q.add(" END AS span FROM police_figures f WHERE ")
	us.in(q, "f.unit_id")
	from, to := spanBounds(spans)
	q.add(" AND f.figure IN ? AND f.period_start >= "+q.ts(from)+" AND f.period_end <= "+q.ts(to), figures)
	q.add(") x WHERE span IS NOT NULL GROUP BY unit_id, figure, span")
	var rows []FigureTotal
	if err := s.q(ctx).Raw(q.String(), q.args...).Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("store: police figures of %d units: %w", len(unitIDs), err)
	}
	return rows, nil
}
