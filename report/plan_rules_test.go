package report_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/anttbot/anttbot/campaign"
	"github.com/anttbot/anttbot/report"
	"github.com/anttbot/anttbot/store"
)

// The cases of issue 13, each in the plan's own terms, built through the
// store on every driver.

// monthFigure enters a commune figure for one calendar month of a phase,
// clipped to the phase as the police tool does.
func (f *fx) monthFigure(unit int64, name string, phase report.Period, y int, m time.Month, v float64) {
	f.t.Helper()
	mp := report.MonthPeriod(y, m, ict)
	from, to := mp.From, mp.To
	if from.Before(phase.From) {
		from = phase.From
	}
	if to.After(phase.To) {
		to = phase.To
	}
	must(f.t, "month figure "+name, f.s.SetPoliceFigure(f.ctx, store.PoliceFigure{UnitID: unit, Figure: name, PeriodStart: from, PeriodEnd: to, Value: v}, f.policeA))
}

func result(t *testing.T, sc report.Scorecard, id string) report.Result {
	t.Helper()
	i := slices.IndexFunc(sc.Results, func(r report.Result) bool { return r.Target.ID == id })
	if i < 0 {
		t.Fatalf("no result for %s", id)
	}
	return sc.Results[i]
}

// renderAll renders the scorecard as text, workbook and chart, so every case
// is also checked to render the same thing everywhere.
func renderAll(t *testing.T, sc report.Scorecard) string {
	t.Helper()
	cat := catalog(t)
	if _, err := report.RenderPNG(sc, "vi", cat); err != nil {
		t.Fatalf("chart: %v", err)
	}
	if _, err := report.RenderXLSX(ctxT(t), sc, report.Ranking{}, nil, "vi", cat, report.XLSXOptions{}); err != nil {
		t.Fatalf("workbook: %v", err)
	}
	return report.RenderText(sc, "vi", cat)
}

// Point 1: a police figure entered for only some months of the phase is not
// a figure for the phase; the scorecard names the months that are missing.
func TestPartialMonthlyFiguresAreNotMeasurable(t *testing.T) {
	forEachDriver(t, func(t *testing.T, s *store.Store) {
		f := loadFixture(t, s)
		// Tips total entered for February (4–28/2) and March only; two tips
		// through the force in those months and one in May.
		f.monthFigure(f.xaA, campaign.FigureTipsReceivedTotal, f.dot2, 2025, time.February, 2)
		f.monthFigure(f.xaA, campaign.FigureTipsReceivedTotal, f.dot2, 2025, time.March, 1)
		f.report("t1", "tip", verified, f.thon1, f.m1, at(2025, 2, 10, 9, 0), nil)
		f.report("t2", "tip", verified, f.thon1, f.m1, at(2025, 3, 10, 9, 0), nil)
		f.report("t3", "tip", verified, f.thon1, f.m1, at(2025, 5, 10, 9, 0), nil)
		// "0 illegal weapons" entered for February alone.
		f.monthFigure(f.xaA, campaign.FigureIllegalWeapons, f.dot2, 2025, time.February, 0)
		sc, err := report.Compute(f.ctx, s, f.camp, f.xaA, f.dot2, f.nowAfter, ict)
		must(t, "compute", err)
		tips := result(t, sc, "c1_tip_share")
		if tips.State != nm || !slices.Equal(tips.Missing, []string{campaign.FigureTipsReceivedTotal}) ||
			monthNames(tips.MissingMonths) != "4/2025 5/2025 6/2025 7/2025 8/2025" {
			t.Errorf("tip share = %s missing %v months %s, want not measurable, April to August missing", tips.State, tips.Missing, monthNames(tips.MissingMonths))
		}
		weapons := result(t, sc, "c4_illegal_weapons")
		if weapons.State != nm || monthNames(weapons.MissingMonths) != "3/2025 4/2025 5/2025 6/2025 7/2025 8/2025" {
			t.Errorf("weapons = %s months %s, want not measurable, March to August missing", weapons.State, monthNames(weapons.MissingMonths))
		}
		text := renderAll(t, sc)
		if !strings.Contains(text, "❔ Nguồn tin qua lực lượng: Công an xã chưa nhập: Tổng số nguồn tin Công an xã tiếp nhận (thiếu tháng 4/2025, 5/2025, 6/2025, 7/2025, 8/2025)") {
			t.Errorf("text does not name the missing months:\n%s", text)
		}

		// The same months entered at once: now a figure for the phase, and
		// numerator and total cover the same days.
		for _, m := range []time.Month{time.April, time.May, time.June, time.July, time.August} {
			f.monthFigure(f.xaA, campaign.FigureTipsReceivedTotal, f.dot2, 2025, m, 0)
		}
		sc, err = report.Compute(f.ctx, s, f.camp, f.xaA, f.dot2, f.nowAfter, ict)
		must(t, "compute", err)
		checkResults(t, sc, []want{{target: "c1_tip_share", state: met, value: 100, num: 3, den: 3}})

		// As of 15 March, the months not begun are not missing yet: February
		// and March cover the phase so far.
		sc, err = report.Compute(f.ctx, s, f.camp, f.xaA, f.dot2, at(2025, 3, 15, 12, 0), ict)
		must(t, "compute 15 March", err)
		checkResults(t, sc, []want{{target: "c1_tip_share", state: yet, value: 66.67, num: 2, den: 3}})
	})
}

// Point 1: a share is never capped to hide that the numerator exceeds the
// total.
func TestFiguresDisagree(t *testing.T) {
	forEachDriver(t, func(t *testing.T, s *store.Store) {
		f := loadFixture(t, s)
		f.figure(f.xaA, campaign.FigureTipsReceivedTotal, f.dot2, 1, f.policeA)
		f.report("t1", "tip", verified, f.thon1, f.m1, at(2025, 3, 10, 9, 0), nil)
		f.report("t2", "tip", received, f.thon2, f.m3, at(2025, 4, 10, 9, 0), nil)
		f.figure(f.xaA, campaign.FigureReleasedTotal, f.dot2, 1, f.policeA)
		f.figure(f.xaA, campaign.FigureReleasedSupported, f.dot2, 2, f.policeA)
		sc, err := report.Compute(f.ctx, s, f.camp, f.xaA, f.dot2, f.nowAfter, ict)
		must(t, "compute", err)
		checkResults(t, sc, []want{
			{target: "c1_tip_share", state: nm, value: 200, num: 2, den: 1, note: report.NoteFiguresDisagree},
			{target: "c5_released_supported", state: nm, value: 200, num: 2, den: 1, note: report.NoteFiguresDisagree},
		})
		text := renderAll(t, sc)
		if !strings.Contains(text, "❔ Nguồn tin qua lực lượng: 200% (2/1 nguồn tin) · số liệu không khớp") {
			t.Errorf("text does not say the figures disagree:\n%s", text)
		}
		if a := report.Attainment(result(t, sc, "c1_tip_share")); a != 0 {
			t.Errorf("chart attainment of a disagreeing share = %v, want 0 (not measurable)", a)
		}
	})
}

// Point 2: months are calendar months of campaign days; a month a phase
// boundary splits is judged once and shows the same in both phases; reports
// from before the campaign count for nothing, even in a month report.
func TestCalendarMonths(t *testing.T) {
	forEachDriver(t, func(t *testing.T, s *store.Store) {
		f := loadFixture(t, s)
		// Thôn 2's only February deed is on 20/2, in Đợt 2.
		f.report("deed-feb", "good_deed", verified, f.thon2, f.m3, at(2025, 2, 20, 9, 0), nil)
		// A tip and a deed on 10/8/2024, before the campaign began (19/8).
		f.report("tip-before", "tip", verified, f.thon1, f.m1, at(2024, 8, 10, 9, 0), nil)
		f.report("deed-before", "good_deed", verified, f.thon1, f.m1, at(2024, 8, 10, 9, 0), nil)
		feb := func(p report.Period) report.MonthResult {
			sc, err := report.Compute(f.ctx, s, f.camp, f.thon2, p, f.nowAfter, ict)
			must(t, "compute", err)
			r := result(t, sc, "c7_team_monthly_good_deeds")
			i := slices.IndexFunc(r.Months, func(m report.MonthResult) bool { return m.Month.Month == time.February })
			if i < 0 {
				t.Fatalf("no February in %+v", r.Months)
			}
			return r.Months[i]
		}
		m1, m2 := feb(f.dot1), feb(f.dot2)
		if m1.State != met || m2.State != met || m1.Value != 1 || m2.Value != 1 ||
			!m1.Month.Span.From.Equal(at(2025, 2, 1, 0, 0)) || !m1.Month.Span.To.Equal(at(2025, 3, 1, 0, 0)) {
			t.Errorf("February in Đợt 1 = %+v, in Đợt 2 = %+v, want met on 1–28/2 in both", m1, m2)
		}
		aug := report.MonthPeriod(2024, time.August, ict)
		sc, err := report.Compute(f.ctx, s, f.camp, f.thon1, aug, f.nowAfter, ict)
		must(t, "compute August 2024", err)
		r := result(t, sc, "c7_team_monthly_good_deeds")
		if sc.Total() != 0 || len(r.Months) != 1 || r.Months[0].State != mis || !r.Months[0].Month.Span.From.Equal(at(2024, 8, 19, 0, 0)) {
			t.Errorf("August 2024: %d reports, months %+v; want none counted, the month 19–31/8 missed", sc.Total(), r.Months)
		}
	})
}

// Point 4: a serious traffic accident logged with /sukien counts whatever
// figure was entered; the larger is shown, and why.
func TestSeriousAccidentsLogged(t *testing.T) {
	forEachDriver(t, func(t *testing.T, s *store.Store) {
		f := loadFixture(t, s)
		f.figure(f.xaA, campaign.FigureSeriousAccidents, f.dot2, 0, f.policeA)
		serious := func(commune int64, when time.Time, isSerious bool) {
			in := store.Incident{CommuneID: commune, Kind: store.IncidentTraffic, OccurredAt: when, Serious: isSerious, LoggedByID: &f.policeA}
			must(t, "incident", s.CreateIncident(f.ctx, &in))
		}
		serious(f.xaA, at(2025, 4, 2, 7, 0), true)
		serious(f.xaA, at(2025, 4, 3, 7, 0), false) // not serious
		serious(f.xaB, at(2025, 5, 2, 7, 0), true)  // Xã B entered no figure
		sc, err := report.Compute(f.ctx, s, f.camp, f.xaA, f.dot2, f.nowAfter, ict)
		must(t, "compute", err)
		checkResults(t, sc, []want{{target: "c6_serious_accidents", state: mis, value: 1, num: 1, note: report.NoteAccidentsLogged}})
		if r := result(t, sc, "c6_serious_accidents"); r.Entered != 0 || r.Logged != 1 {
			t.Errorf("entered %v logged %v, want 0 and 1", r.Entered, r.Logged)
		}
		text := renderAll(t, sc)
		if !strings.Contains(text, "đã ghi nhận 1 vụ nghiêm trọng qua /sukien, số liệu nhập 0: lấy số lớn hơn") {
			t.Errorf("text does not say why:\n%s", text)
		}
		b, err := report.Compute(f.ctx, s, f.camp, f.xaB, f.dot2, f.nowAfter, ict)
		must(t, "compute Xã B", err)
		checkResults(t, b, []want{{target: "c6_serious_accidents", state: mis, value: 1, num: 1, note: report.NoteAccidentsLogged}})
		// Before the accident, Xã A's 0 is still a 0 (and the phase runs).
		early, err := report.Compute(f.ctx, s, f.camp, f.xaA, f.dot2, at(2025, 4, 1, 12, 0), ict)
		must(t, "compute 1 April", err)
		checkResults(t, early, []want{{target: "c6_serious_accidents", state: yet}})
	})
}

// Point 7: --now hides reports and figures dated after it.
func TestAsOfHidesLaterFigures(t *testing.T) {
	forEachDriver(t, func(t *testing.T, s *store.Store) {
		f := loadFixture(t, s)
		f.monthFigure(f.xaA, campaign.FigureViolatingBusinesses, f.dot2, 2025, time.February, 0)
		f.monthFigure(f.xaA, campaign.FigureViolatingBusinesses, f.dot2, 2025, time.March, 0)
		f.monthFigure(f.xaA, campaign.FigureViolatingBusinesses, f.dot2, 2025, time.April, 1)
		sc, err := report.Compute(f.ctx, s, f.camp, f.xaA, f.dot2, at(2025, 3, 15, 12, 0), ict)
		must(t, "compute 15 March", err)
		checkResults(t, sc, []want{{target: "c4_violating_businesses", state: yet}})
		sc, err = report.Compute(f.ctx, s, f.camp, f.xaA, f.dot2, at(2025, 4, 15, 12, 0), ict)
		must(t, "compute 15 April", err)
		checkResults(t, sc, []want{{target: "c4_violating_businesses", state: mis, value: 1, num: 1}})
	})
}

// Point 5: a presence counts as in time when the member arrived within the
// campaign's window (30 minutes by default) of the incident's start; one
// confirmed without an arrival time counts as in time unless the campaign
// says "late". The scorecard shows present and present in time.
func TestPresenceInTime(t *testing.T) {
	forEachDriver(t, func(t *testing.T, s *store.Store) {
		f := loadFixture(t, s)
		incident := func(when time.Time, arrived *time.Time) {
			in := store.Incident{CommuneID: f.xaA, Kind: store.IncidentANTT, OccurredAt: when, LoggedByID: &f.policeA}
			must(t, "incident", s.CreateIncident(f.ctx, &in))
			_, err := s.RecordPresence(f.ctx, in.ID, f.m1, arrived, store.PresenceMember, &f.policeA)
			must(t, "presence", err)
		}
		start := at(2025, 3, 1, 21, 0)
		in30, late := start.Add(30*time.Minute), start.Add(24*time.Hour+31*time.Minute)
		incident(start, &in30)                   // exactly 30 minutes: in time
		incident(start.Add(24*time.Hour), &late) // 31 minutes: present, not in time
		late2 := start.Add(48*time.Hour + 31*time.Minute)
		incident(start.Add(48*time.Hour), &late2)
		incident(start.Add(72*time.Hour), nil) // no arrival time given
		sc, err := report.Compute(f.ctx, s, f.camp, f.xaA, f.dot2, f.nowAfter, ict)
		must(t, "compute", err)
		checkResults(t, sc, []want{{target: "c1_incident_presence", state: mis, value: 50, num: 2, den: 4}})
		if r := result(t, sc, "c1_incident_presence"); r.Present != 4 {
			t.Errorf("present = %v, want 4", r.Present)
		}
		if text := renderAll(t, sc); !strings.Contains(text, "50% (2/4 vụ, việc có mặt kịp thời, 4 có mặt)") {
			t.Errorf("text lacks present / in time:\n%s", text)
		}
		// A campaign with a 60-minute window that counts an unknown arrival as late.
		camp := *f.camp
		camp.InTime = campaign.InTime{Minutes: 60, WithoutArrival: campaign.ArrivalLate}
		sc, err = report.Compute(f.ctx, s, &camp, f.xaA, f.dot2, f.nowAfter, ict)
		must(t, "compute 60 minutes", err)
		checkResults(t, sc, []want{{target: "c1_incident_presence", state: mis, value: 75, num: 3, den: 4}})
	})
}

// Point 8 (in part): members' own reports of resident information and
// reintegration support are shown on targets 4b and 5b beside the police
// figures.
func TestMemberReportsBesideFigures(t *testing.T) {
	forEachDriver(t, func(t *testing.T, s *store.Store) {
		f := loadFixture(t, s)
		f.figure(f.xaA, campaign.FigureResidentInfoPercent, f.dot2, 95, f.policeA)
		f.figure(f.xaA, campaign.FigureReleasedTotal, f.dot2, 1, f.policeA)
		f.figure(f.xaA, campaign.FigureReleasedSupported, f.dot2, 1, f.policeA)
		f.report("ri1", campaign.KindResidentInfo, verified, f.thon1, f.m1, at(2025, 3, 1, 9, 0), store.JSONMap{"people": 4.0})
		f.report("ri2", campaign.KindResidentInfo, verified, f.thon2, f.m3, at(2025, 4, 1, 9, 0), store.JSONMap{"people": 2.0})
		f.report("ri3", campaign.KindResidentInfo, pending, f.thon2, f.m3, at(2025, 4, 2, 9, 0), nil)
		f.report("re1", campaign.KindReintegration, verified, f.thon1, f.l1, at(2025, 5, 1, 9, 0), nil)
		sc, err := report.Compute(f.ctx, s, f.camp, f.xaA, f.dot2, f.nowAfter, ict)
		must(t, "compute", err)
		if r := result(t, sc, "c4_resident_info_share"); r.State != met || r.Reported != 2 {
			t.Errorf("4b = %s with %v member reports, want met with 2", r.State, r.Reported)
		}
		if r := result(t, sc, "c5_released_supported"); r.State != met || r.Reported != 1 {
			t.Errorf("5b = %s with %v member reports, want met with 1", r.State, r.Reported)
		}
		if text := renderAll(t, sc); !strings.Contains(text, "95% · thành viên báo cáo 2 lần") {
			t.Errorf("text lacks the member reports:\n%s", text)
		}
	})
}
