package report

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/anttbot/anttbot/campaign"
	"github.com/anttbot/anttbot/store"
)

// ErrBadPeriod means a period could not be parsed or is empty; chat
// commands answer it with the "report.error.bad_period" message.
var ErrBadPeriod = errors.New("report: bad period")

// PeriodKind says what a Period is.
type PeriodKind string

// Period kinds.
const (
	// PeriodMonth is one calendar month in local time.
	PeriodMonth PeriodKind = "month"
	// PeriodPhase is one phase (đợt) of the campaign.
	PeriodPhase PeriodKind = "phase"
	// PeriodCampaign is the whole campaign, first day of the first phase to
	// last day of the last.
	PeriodCampaign PeriodKind = "campaign"
	// PeriodRange is any range of whole days.
	PeriodRange PeriodKind = "range"
)

// Period is the time window of a scorecard: whole local days First..Last
// (inclusive), that is the instants [From, To) in the configured zone.
type Period struct {
	Kind PeriodKind
	// Phase is set for PeriodPhase.
	Phase campaign.Phase
	// First and Last are the first and last civil days, both inclusive.
	First, Last campaign.Date
	// From and To are local midnight starting First and local midnight
	// ending Last, so a report at 23:59 on the last day is inside.
	From, To time.Time
}

// DaysPeriod returns the period of the whole days first..last in loc.
func DaysPeriod(kind PeriodKind, first, last campaign.Date, loc *time.Location) Period {
	return Period{Kind: kind, First: first, Last: last, From: first.In(loc), To: last.AddDays(1).In(loc)}
}

// PhasePeriod returns the period of one phase.
func PhasePeriod(p campaign.Phase, loc *time.Location) Period {
	out := DaysPeriod(PeriodPhase, p.Start, p.End, loc)
	out.Phase = p
	return out
}

// MonthPeriod returns the calendar month y-m.
func MonthPeriod(y int, m time.Month, loc *time.Location) Period {
	first := campaign.NewDate(y, m, 1)
	return DaysPeriod(PeriodMonth, first, campaign.NewDate(y, m+1, 1).AddDays(-1), loc)
}

// CampaignPeriod returns the whole campaign.
func CampaignPeriod(camp *campaign.Campaign, loc *time.Location) (Period, error) {
	if len(camp.Phases) == 0 {
		return Period{}, fmt.Errorf("report: campaign %s has no phases: %w", camp.ID, ErrBadPeriod)
	}
	first, last := camp.Phases[0].Start, camp.Phases[0].End
	for _, p := range camp.Phases[1:] {
		if p.Start.Before(first) {
			first = p.Start
		}
		if p.End.After(last) {
			last = p.End
		}
	}
	return DaysPeriod(PeriodCampaign, first, last, loc), nil
}

// CurrentPhase returns the phase to summarise at now: the running one, else
// the latest that ended, else (before the campaign) the first.
func CurrentPhase(camp *campaign.Campaign, now time.Time, loc *time.Location) (campaign.Phase, bool) {
	if p, ok := camp.PhaseAt(now, loc); ok {
		return p, true
	}
	if p, ok := camp.PreviousPhase(now, loc); ok {
		return p, true
	}
	return camp.NextPhase(now, loc)
}

// ParsePeriod reads a period as typed after a command or on the command
// line:
//
//	""  or "dot"            the current phase (or the latest that ended)
//	"dot1", "dot2", ...     a phase by its id in the campaign
//	"thang" or "month"      the current calendar month
//	"thang:2025-03", "2025-03"  that calendar month
//	"ca" or "campaign"      the whole campaign
//	"2025-01-01..2025-01-31"    those days, both inclusive
//
// Words are matched without regard to case or Vietnamese diacritics
// ("tháng", "Đợt 1" work too).
func ParsePeriod(s string, camp *campaign.Campaign, now time.Time, loc *time.Location) (Period, error) {
	if loc == nil {
		loc = time.UTC
	}
	raw := strings.TrimSpace(s)
	word := fold(raw)
	switch word {
	case "", "dot", "phase":
		p, ok := CurrentPhase(camp, now, loc)
		if !ok {
			return Period{}, fmt.Errorf("report: campaign %s has no phases: %w", camp.ID, ErrBadPeriod)
		}
		return PhasePeriod(p, loc), nil
	case "thang", "month":
		d := campaign.DateOf(now, loc)
		return MonthPeriod(d.Year, d.Month, loc), nil
	case "ca", "campaign", "all", "ca-phong-trao":
		return CampaignPeriod(camp, loc)
	}
	for _, p := range camp.Phases {
		if word == fold(p.ID) || word == fold(p.Name.In(campaign.LangVI)) || word == fold(p.Name.In("en")) {
			return PhasePeriod(p, loc), nil
		}
	}
	month := strings.TrimPrefix(strings.TrimPrefix(word, "thang:"), "month:")
	if t, err := time.Parse("2006-01", month); err == nil {
		return MonthPeriod(t.Year(), t.Month(), loc), nil
	}
	if a, b, ok := strings.Cut(raw, ".."); ok {
		first, err1 := campaign.ParseDate(strings.TrimSpace(a))
		last, err2 := campaign.ParseDate(strings.TrimSpace(b))
		if err := errors.Join(err1, err2); err != nil {
			return Period{}, fmt.Errorf("report: period %q: %w: %w", raw, ErrBadPeriod, err)
		}
		if last.Before(first) {
			return Period{}, fmt.Errorf("report: period %q ends before it starts: %w", raw, ErrBadPeriod)
		}
		return DaysPeriod(PeriodRange, first, last, loc), nil
	}
	return Period{}, fmt.Errorf("report: period %q: want a phase id, thang, thang:YYYY-MM, ca or YYYY-MM-DD..YYYY-MM-DD: %w", raw, ErrBadPeriod)
}

// Over reports whether the period has ended at now.
func (p Period) Over(now time.Time) bool { return !now.Before(p.To) }

// Span returns the period as a store span.
func (p Period) Span() store.Span { return store.Span{From: p.From, To: p.To} }

// Month is one calendar month of a period, clipped to it.
type Month struct {
	// Year and Month name the calendar month.
	Year  int
	Month time.Month
	// Span is the part of the month inside the period.
	Span store.Span
	// Calendar is the whole calendar month, for figures entered per month
	// (commendations) even when the period clips the month.
	Calendar store.Span
}

// CampaignMonths returns the calendar months the period touches that have
// campaign days, in order, each spanning the campaign's days of the month
// (the whole month but at the campaign's two ends), not clipped to the
// period: a calendar month a phase boundary splits is judged once, on all
// its campaign days, and shows the same result in both phases.
func (p Period) CampaignMonths(camp *campaign.Campaign) []Month {
	cp, err := CampaignPeriod(camp, p.From.Location())
	if err != nil {
		return p.Months()
	}
	var out []Month
	for _, m := range p.Months() {
		sp := m.Calendar
		if sp.From.Before(cp.From) {
			sp.From = cp.From
		}
		if sp.To.After(cp.To) {
			sp.To = cp.To
		}
		if !sp.From.Before(sp.To) {
			continue // no campaign day in the month
		}
		m.Span = sp
		out = append(out, m)
	}
	return out
}

// Months returns the calendar months the period touches, in order, each
// clipped to the period: a phase starting on 19/8 begins with 19–31/8.
func (p Period) Months() []Month {
	loc := p.From.Location()
	var out []Month
	for d := campaign.NewDate(p.First.Year, p.First.Month, 1); !d.After(p.Last); d = campaign.NewDate(d.Year, d.Month+1, 1) {
		cal := store.Span{From: d.In(loc), To: campaign.NewDate(d.Year, d.Month+1, 1).In(loc)}
		sp := cal
		if sp.From.Before(p.From) {
			sp.From = p.From
		}
		if sp.To.After(p.To) {
			sp.To = p.To
		}
		out = append(out, Month{Year: d.Year, Month: d.Month, Span: sp, Calendar: cal})
	}
	return out
}
