package report_test

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/anttbot/anttbot/campaign"
	"github.com/anttbot/anttbot/report"
	"github.com/anttbot/anttbot/store"
)

// want is the expected outcome of one target; zero fields of the aggregate
// breakdown are not checked unless agg is set.
type want struct {
	target  string
	state   report.State
	value   float64
	num     float64
	den     float64
	missing []string
	note    string
	agg     bool
	units   int
	met     int
}

func checkResults(t *testing.T, sc report.Scorecard, wants []want) {
	t.Helper()
	if len(sc.Results) != len(campaign.Default().Targets()) {
		t.Fatalf("%d results, want one per target (%d)", len(sc.Results), len(campaign.Default().Targets()))
	}
	for _, w := range wants {
		i := slices.IndexFunc(sc.Results, func(r report.Result) bool { return r.Target.ID == w.target })
		if i < 0 {
			t.Errorf("%s: no result", w.target)
			continue
		}
		r := sc.Results[i]
		if r.State != w.state || !near(r.Value, w.value) || !near(r.Num, w.num) || !near(r.Den, w.den) ||
			!slices.Equal(r.Missing, w.missing) || r.Note != w.note {
			t.Errorf("%s: got state %s value %.2f num %.2f den %.2f missing %v note %q\n   want state %s value %.2f num %.2f den %.2f missing %v note %q",
				w.target, r.State, r.Value, r.Num, r.Den, r.Missing, r.Note, w.state, w.value, w.num, w.den, w.missing, w.note)
		}
		if w.agg && (!r.Aggregate || r.Units != w.units || r.UnitsMet != w.met) {
			t.Errorf("%s: aggregate %v units %d met %d, want %d of %d", w.target, r.Aggregate, r.Units, r.UnitsMet, w.met, w.units)
		}
	}
}

func near(a, b float64) bool { return math.Abs(a-b) < 0.05 }

const (
	met = report.StateMet
	yet = report.StateNotYet
	mis = report.StateMissed
	nm  = report.StateNotMeasurable
)

func TestComputeCommune(t *testing.T) {
	forEachDriver(t, func(t *testing.T, s *store.Store) {
		f := seedScenario(t, s)
		sc, err := report.Compute(f.ctx, s, f.camp, f.xaA, f.dot2, f.nowAfter, ict)
		must(t, "compute", err)
		checkResults(t, sc, []want{
			// tip-a1, tip-a2 (23:59 on the last day) and tip-a4 (received,
			// not verifiable) of 3 received; the pending, next-day and Đợt 1
			// tips do not count.
			{target: "c1_tip_share", state: met, value: 100, num: 3, den: 3},
			// 3 security incidents in Đợt 2: two with a confirmed member,
			// one with an unconfirmed member only.
			{target: "c1_incident_presence", state: mis, value: 66.67, num: 2, den: 3},
			// Camera an ninh (Đợt 1, and again as "camera an ninh"), Tổ tự
			// quản, Khu dân cư an toàn (received, verified by recognition).
			{target: "c2_models_recognised", state: met, value: 3, num: 3, note: report.NoteSinceCampaign},
			{target: "c3_callout_attendance", state: met, value: 100, num: 1, den: 1},
			{target: "c4_violating_businesses", state: met, value: 0, num: 0},
			{target: "c4_resident_info_share", state: met, value: 95, num: 95},
			{target: "c4_illegal_weapons", state: met},
			{target: "c5_reoffences", state: met},
			{target: "c5_released_supported", state: mis, value: 50, num: 1, den: 2},
			// Thôn 1 3/4 (Mơ's patrol is pending), Thôn 2 2/2; Thôn 3 has
			// nobody and is left out: 1 of 2 teams, 5 of 6 members.
			{target: "c6_patrol_participation", state: mis, value: 50, num: 5, den: 6, agg: true, units: 2, met: 1},
			{target: "c6_serious_accidents", state: met},
			{target: "c7_member_violations", state: nm, missing: []string{campaign.FigureMemberViolations}},
			// Thôn 1 7/7 (June by commendation, August by the deed at 23:59
			// on 19/8), Thôn 2 6/7 (August unverified); Thôn 3 left out.
			{target: "c7_team_monthly_good_deeds", state: mis, value: 50, num: 13, den: 14, agg: true, units: 2, met: 1},
		})
		if tally := sc.Tally(); tally[met] != 8 || tally[mis] != 4 || tally[nm] != 1 {
			t.Errorf("tally = %v, want 8 met, 4 missed, 1 not measurable", tally)
		}
		// Verified in Đợt 2: 2 tips, 4 models, 6 patrols, 12 good deeds.
		wantCounts := map[string]int64{"tip": 2, "model": 4, "patrol": 6, "good_deed": 12}
		for k, n := range wantCounts {
			if sc.Counts[k] != n {
				t.Errorf("count of %s = %d, want %d", k, sc.Counts[k], n)
			}
		}
		if sc.Total() != 24 || sc.Members != 6 || len(sc.Teams) != 3 || len(sc.Communes) != 1 {
			t.Errorf("total %d members %d teams %d communes %d, want 24, 6, 3, 1", sc.Total(), sc.Members, len(sc.Teams), len(sc.Communes))
		}
		team := func(id int64) report.UnitCard {
			for _, c := range sc.Teams {
				if c.Unit.ID == id {
					return c
				}
			}
			t.Fatalf("no card for team %d", id)
			return report.UnitCard{}
		}
		t1, t2, t3 := team(f.thon1), team(f.thon2), team(f.thon3)
		if t1.GoodDeedMonths != 7 || t1.Months != 7 || t1.Commendations != 1 || t1.Members != 4 || t1.Patrolled != 3 {
			t.Errorf("Thôn 1 card = %+v", t1)
		}
		if t2.GoodDeedMonths != 6 || t2.Patrolled != 2 || t3.Members != 0 {
			t.Errorf("Thôn 2 card = %+v, Thôn 3 card = %+v", t2, t3)
		}
		deeds := t2.Results[slices.IndexFunc(t2.Results, func(r report.Result) bool { return r.Target.ID == "c7_team_monthly_good_deeds" })]
		if len(deeds.Months) != 7 || deeds.Months[6].State != mis || deeds.Months[0].Month.Span.From != at(2025, 2, 1, 0, 0) {
			t.Errorf("Thôn 2 months = %+v", deeds.Months)
		}
		patrol3 := t3.Results[slices.IndexFunc(t3.Results, func(r report.Result) bool { return r.Target.ID == "c6_patrol_participation" })]
		if patrol3.State != nm || patrol3.Note != report.NoteNoMembers {
			t.Errorf("Thôn 3 patrol = %+v, want not measurable with no members", patrol3)
		}
		for _, id := range []string{"c6_patrol_participation", "c7_team_monthly_good_deeds"} {
			r := sc.Results[slices.IndexFunc(sc.Results, func(r report.Result) bool { return r.Target.ID == id })]
			if !slices.Equal(r.LeftOut, []string{"Thôn 3"}) {
				t.Errorf("%s left out %v, want Thôn 3", id, r.LeftOut)
			}
		}
		if len(sc.Top) != 3 || sc.Top[0].Card.Unit.ID != f.thon1 || sc.Top[1].Card.Unit.ID != f.thon2 || sc.Top[2].Card.Unit.ID != f.thon3 {
			t.Errorf("top = %+v", sc.Top)
		}
	})
}

func TestComputeRunningPhase(t *testing.T) {
	forEachDriver(t, func(t *testing.T, s *store.Store) {
		f := seedScenario(t, s)
		sc, err := report.Compute(f.ctx, s, f.camp, f.xaA, f.dot2, f.nowDuring, ict)
		must(t, "compute", err)
		checkResults(t, sc, []want{
			// Shares can still move: open, with the number so far.
			// As of 15 May: tip-a1 and tip-a4 (tip-a2 is dated 19 August).
			{target: "c1_tip_share", state: yet, value: 66.67, num: 2, den: 3},
			{target: "c1_incident_presence", state: yet, value: 66.67, num: 2, den: 3},
			// Three models are three models: met for good.
			{target: "c2_models_recognised", state: met, value: 3, num: 3, note: report.NoteSinceCampaign},
			// A zero that is still zero may yet be broken.
			{target: "c4_violating_businesses", state: yet},
			{target: "c7_member_violations", state: nm, missing: []string{campaign.FigureMemberViolations}},
			// As of 15 May 08:00, reports dated later are not seen: Thôn 1
			// and Thôn 2 have February to April (their May deeds come later
			// that day or month), and June to August are still open.
			// Thôn 3, with nobody, is left out.
			{target: "c7_team_monthly_good_deeds", state: yet, value: 0, num: 6, den: 14, agg: true, units: 2, met: 0},
			// The July patrols of m1 are not seen yet either.
			{target: "c6_patrol_participation", state: yet, value: 0, num: 4, den: 6, agg: true, units: 2, met: 0},
		})
		t2 := sc.Teams[slices.IndexFunc(sc.Teams, func(c report.UnitCard) bool { return c.Unit.ID == f.thon2 })]
		deeds := t2.Results[slices.IndexFunc(t2.Results, func(r report.Result) bool { return r.Target.ID == "c7_team_monthly_good_deeds" })]
		// Thôn 2's August has no verified deed yet but is not over.
		if deeds.State != yet || deeds.Months[6].State != yet || deeds.Months[0].State != met {
			t.Errorf("Thôn 2 good deeds while running = %s %+v", deeds.State, deeds.Months)
		}

		b, err := report.Compute(f.ctx, s, f.camp, f.xaB, f.dot2, f.nowDuring, ict)
		must(t, "compute Xã B", err)
		checkResults(t, b, []want{
			// One violating business already: missed before the end.
			{target: "c4_violating_businesses", state: mis, value: 1, num: 1},
			{target: "c1_tip_share", state: nm, missing: []string{campaign.FigureTipsReceivedTotal}},
		})
	})
}

func TestComputeAboveCommune(t *testing.T) {
	forEachDriver(t, func(t *testing.T, s *store.Store) {
		f := seedScenario(t, s)
		sc, err := report.Compute(f.ctx, s, f.camp, f.province, f.dot2, f.nowAfter, ict)
		must(t, "compute", err)
		checkResults(t, sc, []want{
			// Xã A met, Phường C met (0 tips received counts as met), Xã B
			// never entered the total: 2 of 3, not measurable as a whole.
			{target: "c1_tip_share", state: nm, value: 66.67, num: 3, den: 3, missing: []string{campaign.FigureTipsReceivedTotal}, agg: true, units: 3, met: 2},
			// A 2/3 (missed), B none (met), C 1/1 (met).
			{target: "c1_incident_presence", state: mis, value: 66.67, num: 3, den: 4, agg: true, units: 3, met: 2},
			// A 3 (met), B 1, C 0.
			{target: "c2_models_recognised", state: mis, value: 33.33, num: 4, agg: true, units: 3, met: 1},
			// Teams: Thôn 1 3/4, Thôn 2 2/2, Thôn 3 0/0, Thôn 4 1/2, Khu 5 1/1.
			// Thôn 3 (nobody) is left out of both team targets.
			{target: "c6_patrol_participation", state: mis, value: 50, num: 7, den: 9, agg: true, units: 4, met: 2},
			{target: "c7_team_monthly_good_deeds", state: mis, value: 25, num: 13, den: 28, agg: true, units: 4, met: 1},
			{target: "c7_member_violations", state: nm, value: 0, missing: []string{campaign.FigureMemberViolations}, agg: true, units: 3, met: 0},
			// A 0 (met), B 1 (missed), C not entered.
			{target: "c4_violating_businesses", state: mis, value: 33.33, num: 1, missing: []string{campaign.FigureViolatingBusinesses}, agg: true, units: 3, met: 1},
			// Mean of the communes that entered it: (95 + 90) / 2.
			{target: "c4_resident_info_share", state: mis, value: 33.33, num: 92.5, missing: []string{campaign.FigureResidentInfoPercent}, agg: true, units: 3, met: 1},
		})
		if len(sc.Communes) != 3 || len(sc.Teams) != 5 || sc.Members != 9 {
			t.Errorf("communes %d teams %d members %d, want 3, 5, 9", len(sc.Communes), len(sc.Teams), sc.Members)
		}
		ranks := report.RankCommunes(sc)
		if ranks[0].Card.Unit.ID != f.xaA {
			t.Errorf("first commune = %s, want Xã A", ranks[0].Card.Unit.Name)
		}

		d, err := report.Compute(f.ctx, s, f.camp, f.district, f.dot2, f.nowAfter, ict)
		must(t, "compute district", err)
		checkResults(t, d, []want{
			{target: "c1_tip_share", state: nm, value: 50, num: 3, den: 3, missing: []string{campaign.FigureTipsReceivedTotal}, agg: true, units: 2, met: 1},
			{target: "c6_patrol_participation", state: mis, value: 33.33, num: 6, den: 8, agg: true, units: 3, met: 1},
		})
	})
}

func TestComputeTeam(t *testing.T) {
	forEachDriver(t, func(t *testing.T, s *store.Store) {
		f := seedScenario(t, s)
		sc, err := report.Compute(f.ctx, s, f.camp, f.thon2, f.dot2, f.nowAfter, ict)
		must(t, "compute", err)
		if sc.Commune == nil || sc.Commune.ID != f.xaA || len(sc.Teams) != 1 {
			t.Fatalf("team scorecard commune %+v teams %d", sc.Commune, len(sc.Teams))
		}
		checkResults(t, sc, []want{
			{target: "c6_patrol_participation", state: met, value: 100, num: 2, den: 2},
			{target: "c7_team_monthly_good_deeds", state: mis, value: 6, num: 6, den: 7},
			// Commune targets are the commune's.
			{target: "c1_incident_presence", state: mis, value: 66.67, num: 2, den: 3},
		})
		// Thôn 2 in Đợt 2: tip-a2, models a2 and a4, 2 patrols, 6 deeds.
		if sc.Total() != 11 || sc.Members != 2 {
			t.Errorf("team total %d members %d, want 11 and 2", sc.Total(), sc.Members)
		}
	})
}

func TestComputePeriods(t *testing.T) {
	forEachDriver(t, func(t *testing.T, s *store.Store) {
		f := seedScenario(t, s)
		// Đợt 1 ends 03/02/2025: the tip at 23:59 that day is in it.
		sc, err := report.Compute(f.ctx, s, f.camp, f.xaA, f.dot1, f.nowAfter, ict)
		must(t, "compute Đợt 1", err)
		checkResults(t, sc, []want{
			{target: "c1_tip_share", state: nm, missing: []string{campaign.FigureTipsReceivedTotal}},
			{target: "c1_incident_presence", state: mis, value: 0, num: 0, den: 1},
			{target: "c2_models_recognised", state: mis, value: 1, num: 1, note: report.NoteSinceCampaign},
		})
		if sc.Counts["tip"] != 1 || sc.Counts["patrol"] != 1 {
			t.Errorf("Đợt 1 counts = %v, want 1 tip and 1 patrol", sc.Counts)
		}
		// June 2025 alone: Thôn 1 has only its commendation, Thôn 2 a deed,
		// Thôn 3 nothing (a month with no reports). Phase figures do not lie
		// within a month.
		june := report.MonthPeriod(2025, time.June, ict)
		sc, err = report.Compute(f.ctx, s, f.camp, f.xaA, june, f.nowAfter, ict)
		must(t, "compute June", err)
		checkResults(t, sc, []want{
			{target: "c7_team_monthly_good_deeds", state: met, value: 100, num: 2, den: 2, agg: true, units: 2, met: 2},
			{target: "c6_serious_accidents", state: nm, missing: []string{campaign.FigureSeriousAccidents}},
			{target: "c6_patrol_participation", state: mis, value: 0, num: 0, den: 6, agg: true, units: 2, met: 0},
			{target: "c3_callout_attendance", state: met, value: 100, num: 1, den: 1},
		})
		// The whole campaign: Đợt 2's figure is no figure for Đợt 1's months,
		// so the share is not measurable and names them (8/2024 to 2/2025:
		// February's 1–3 belong to Đợt 1), rather than 3 tips over 2.
		whole, err := report.CampaignPeriod(f.camp, ict)
		must(t, "campaign period", err)
		sc, err = report.Compute(f.ctx, s, f.camp, f.xaA, whole, f.nowAfter, ict)
		must(t, "compute campaign", err)
		checkResults(t, sc, []want{
			{target: "c1_tip_share", state: nm, missing: []string{campaign.FigureTipsReceivedTotal}},
		})
		tips := sc.Results[0]
		if got := monthNames(tips.MissingMonths); got != "8/2024 9/2024 10/2024 11/2024 12/2024 1/2025 2/2025" {
			t.Errorf("campaign tip share missing months = %s", got)
		}
		if got := len(sc.Teams[0].Results[1].Months); got != 13 {
			t.Errorf("campaign months = %d, want 13 (8/2024 to 8/2025)", got)
		}
	})
}

func TestComputeMergedTeam(t *testing.T) {
	forEachDriver(t, func(t *testing.T, s *store.Store) {
		f := seedScenario(t, s)
		must(t, "merge", s.MergeUnit(f.ctx, f.thon2, f.thon1, at(2025, 9, 1, 0, 0)))
		sc, err := report.Compute(f.ctx, s, f.camp, f.xaA, f.dot2, f.nowAfter, ict)
		must(t, "compute", err)
		if len(sc.Teams) != 2 || sc.Teams[0].Unit.ID != f.thon1 {
			t.Fatalf("teams after merge = %d, first %s", len(sc.Teams), sc.Teams[0].Unit.Name)
		}
		// Thôn 1 now holds both histories and all six people.
		t1 := sc.Teams[0]
		if t1.Members != 6 || t1.Patrolled != 5 || t1.Counts["good_deed"] != 12 {
			t.Errorf("merged Thôn 1 = members %d patrolled %d deeds %d, want 6, 5, 12", t1.Members, t1.Patrolled, t1.Counts["good_deed"])
		}
		// Asking for the merged team gives its successor.
		old, err := report.Compute(f.ctx, s, f.camp, f.thon2, f.dot2, f.nowAfter, ict)
		must(t, "compute merged", err)
		if old.Unit.ID != f.thon1 {
			t.Errorf("scorecard of a merged team is for %d, want its successor %d", old.Unit.ID, f.thon1)
		}
	})
}

// TestComputeInTransaction computes inside a transaction, whose single
// connection cannot run the queries side by side.
func TestComputeInTransaction(t *testing.T) {
	forEachDriver(t, func(t *testing.T, s *store.Store) {
		f := seedScenario(t, s)
		err := s.InTx(f.ctx, func(tx *store.Store) error {
			sc, err := report.Compute(f.ctx, tx, f.camp, f.province, f.dot2, f.nowAfter, ict)
			if err == nil && len(sc.Teams) != 5 {
				t.Errorf("%d teams", len(sc.Teams))
			}
			return err
		})
		must(t, "compute in a transaction", err)
	})
}

// monthNames writes months as "m/yyyy", space-separated.
func monthNames(ms []report.Month) string {
	var out []string
	for _, m := range ms {
		out = append(out, fmt.Sprintf("%d/%d", int(m.Month), m.Year))
	}
	return strings.Join(out, " ")
}
