package report_test

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/anttbot/anttbot/campaign"
	"github.com/anttbot/anttbot/report"
	"github.com/anttbot/anttbot/store"
)

func TestSeedDemoHistory(t *testing.T) {
	forEachDriver(t, func(t *testing.T, s *store.Store) {
		ctx := ctxT(t)
		camp := campaign.Default()
		now := at(2025, 9, 1, 8, 0)
		demo, err := s.SeedDemo(ctx, now)
		must(t, "seed demo", err)
		must(t, "seed history", report.SeedDemoHistory(ctx, s, camp, demo, now, ict, rand.New(rand.NewPCG(1, 2))))
		n1, err := s.CountSubmissions(ctx, store.CountFilter{})
		must(t, "count", err)
		// Again, with another seed: nothing new.
		must(t, "seed history again", report.SeedDemoHistory(ctx, s, camp, demo, now, ict, rand.New(rand.NewPCG(3, 4))))
		n2, err := s.CountSubmissions(ctx, store.CountFilter{})
		must(t, "count", err)
		if n1 < 50 || n1 != n2 {
			t.Fatalf("%d reports after the first seeding, %d after the second", n1, n2)
		}

		p2, _ := camp.Phase("dot2")
		sc, err := report.Compute(ctx, s, camp, demo.Commune.ID, report.PhasePeriod(p2, ict), now, ict)
		must(t, "compute", err)
		states := map[string]report.State{}
		for _, r := range sc.Results {
			states[r.Target.ID] = r.State
		}
		for id, want := range map[string]report.State{
			"c1_tip_share":               report.StateMet,
			"c1_incident_presence":       report.StateMissed,
			"c2_models_recognised":       report.StateMet,
			"c3_callout_attendance":      report.StateMet,
			"c4_violating_businesses":    report.StateMet,
			"c6_patrol_participation":    report.StateMissed,
			"c7_member_violations":       report.StateNotMeasurable,
			"c7_team_monthly_good_deeds": report.StateMissed,
		} {
			if states[id] != want {
				t.Errorf("Đợt 2 %s = %s, want %s", id, states[id], want)
			}
		}
		if len(sc.Top) != 2 || sc.Top[0].Card.Unit.ID != demo.Teams[0].ID || sc.Top[0].Card.GoodDeedMonths != sc.Top[0].Card.Months {
			t.Errorf("top = %+v, want thôn Đông first with a good deed every month", sc.Top)
		}
		txt := report.RenderText(sc, "vi", catalog(t))
		if !strings.Contains(txt, "❔ Thành viên vi phạm, mắc tệ nạn") || !strings.Contains(txt, "Xã An Bình") {
			t.Errorf("demo scorecard:\n%s", txt)
		}

		// Mid-phase, nothing lies in the future and no Đợt 2 figure is in.
		s2 := forDriver(t, s.Driver())
		demo2, err := s2.SeedDemo(ctx, now)
		must(t, "seed demo", err)
		mid := at(2025, 5, 1, 12, 0)
		must(t, "seed history mid-phase", report.SeedDemoHistory(ctx, s2, camp, demo2, mid, ict, rand.New(rand.NewPCG(1, 2))))
		later, err := s2.CountSubmissions(ctx, store.CountFilter{From: mid})
		must(t, "count", err)
		if later != 0 {
			t.Errorf("%d reports after now", later)
		}
		entered, err := s2.FigureEntered(ctx, demo2.Commune.ID, campaign.FigureTipsReceivedTotal, report.PhasePeriod(p2, ict).From, report.PhasePeriod(p2, ict).To)
		must(t, "figure", err)
		if entered {
			t.Errorf("Đợt 2 figures entered before it ended")
		}
	})
}
