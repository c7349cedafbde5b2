package report_test

import (
	"errors"
	"testing"
	"time"

	"github.com/anttbot/anttbot/campaign"
	"github.com/anttbot/anttbot/report"
)

func TestParsePeriod(t *testing.T) {
	camp := campaign.Default()
	d := campaign.NewDate
	tests := []struct {
		name        string
		in          string
		now         time.Time
		kind        report.PeriodKind
		first, last campaign.Date
		phase       string
	}{
		{name: "phase by id", in: "dot1", now: at(2026, 1, 1, 0, 0), kind: report.PeriodPhase, first: d(2024, 8, 19), last: d(2025, 2, 3), phase: "dot1"},
		{name: "phase by name with diacritics", in: "Đợt 2", now: at(2026, 1, 1, 0, 0), kind: report.PeriodPhase, first: d(2025, 2, 4), last: d(2025, 8, 19), phase: "dot2"},
		{name: "current phase", in: "", now: at(2024, 12, 1, 0, 0), kind: report.PeriodPhase, first: d(2024, 8, 19), last: d(2025, 2, 3), phase: "dot1"},
		// 00:30 on 4/2 local is still 3/2 in UTC: the zone decides.
		{name: "current phase at the boundary", in: "dot", now: at(2025, 2, 4, 0, 30), kind: report.PeriodPhase, first: d(2025, 2, 4), last: d(2025, 8, 19), phase: "dot2"},
		{name: "after the campaign: the last phase", in: "", now: at(2026, 3, 1, 0, 0), kind: report.PeriodPhase, first: d(2025, 2, 4), last: d(2025, 8, 19), phase: "dot2"},
		{name: "before the campaign: the first phase", in: "", now: at(2024, 1, 1, 0, 0), kind: report.PeriodPhase, first: d(2024, 8, 19), last: d(2025, 2, 3), phase: "dot1"},
		{name: "this month", in: "tháng", now: at(2025, 3, 31, 23, 59), kind: report.PeriodMonth, first: d(2025, 3, 1), last: d(2025, 3, 31)},
		{name: "a month", in: "thang:2024-02", now: at(2026, 1, 1, 0, 0), kind: report.PeriodMonth, first: d(2024, 2, 1), last: d(2024, 2, 29)},
		{name: "a bare month", in: "2025-12", now: at(2026, 1, 1, 0, 0), kind: report.PeriodMonth, first: d(2025, 12, 1), last: d(2025, 12, 31)},
		{name: "whole campaign", in: "ca", now: at(2026, 1, 1, 0, 0), kind: report.PeriodCampaign, first: d(2024, 8, 19), last: d(2025, 8, 19)},
		{name: "range", in: "2025-01-01..2025-01-31", now: at(2026, 1, 1, 0, 0), kind: report.PeriodRange, first: d(2025, 1, 1), last: d(2025, 1, 31)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := report.ParsePeriod(tt.in, camp, tt.now, ict)
			must(t, "parse", err)
			if p.Kind != tt.kind || p.First != tt.first || p.Last != tt.last || p.Phase.ID != tt.phase {
				t.Fatalf("ParsePeriod(%q) = %s %s..%s phase %q", tt.in, p.Kind, p.First, p.Last, p.Phase.ID)
			}
			if !p.From.Equal(tt.first.In(ict)) || !p.To.Equal(tt.last.AddDays(1).In(ict)) {
				t.Fatalf("bounds %s..%s", p.From, p.To)
			}
		})
	}
	for _, bad := range []string{"dot9", "thang:2025-13", "2025-02-01..2025-01-01", "2025-01-01..", "hôm qua"} {
		if _, err := report.ParsePeriod(bad, camp, at(2025, 1, 1, 0, 0), ict); !errors.Is(err, report.ErrBadPeriod) {
			t.Errorf("ParsePeriod(%q) err = %v, want ErrBadPeriod", bad, err)
		}
	}
}

func TestPeriodMonths(t *testing.T) {
	p1, _ := campaign.Default().Phase("dot1")
	months := report.PhasePeriod(p1, ict).Months()
	// 19/8/2024 .. 3/2/2025: August (from the 19th) to February (to the 3rd).
	if len(months) != 7 {
		t.Fatalf("%d months, want 7", len(months))
	}
	first, last := months[0], months[6]
	if !first.Span.From.Equal(at(2024, 8, 19, 0, 0)) || !first.Calendar.From.Equal(at(2024, 8, 1, 0, 0)) || !first.Span.To.Equal(at(2024, 9, 1, 0, 0)) {
		t.Errorf("first month %+v", first)
	}
	if last.Month != time.February || !last.Span.To.Equal(at(2025, 2, 4, 0, 0)) || !last.Calendar.To.Equal(at(2025, 3, 1, 0, 0)) {
		t.Errorf("last month %+v", last)
	}
	for i := 1; i < len(months); i++ {
		if !months[i].Span.From.Equal(months[i-1].Span.To) {
			t.Errorf("gap between months %d and %d", i-1, i)
		}
	}
}
