package report_test

import (
	"slices"
	"testing"

	"github.com/anttbot/anttbot/campaign"
	"github.com/anttbot/anttbot/report"
	"github.com/anttbot/anttbot/store"
)

func TestRankTeamsTieBreaks(t *testing.T) {
	met := report.Result{State: report.StateMet}
	card := func(id int64, results []report.Result, months int, patrolled, members int64, counts map[string]int64) report.UnitCard {
		return report.UnitCard{Unit: store.Unit{ID: id, Name: "T"}, Results: results, GoodDeedMonths: months, Months: 7,
			Patrolled: patrolled, Members: members, Counts: counts}
	}
	tests := []struct {
		name  string
		cards []report.UnitCard
		want  []int64
	}{
		{name: "targets met first", cards: []report.UnitCard{
			card(1, nil, 7, 4, 4, nil),
			card(2, []report.Result{met}, 0, 0, 4, nil),
		}, want: []int64{2, 1}},
		{name: "then months with a good deed", cards: []report.UnitCard{
			card(1, nil, 5, 4, 4, nil),
			card(2, nil, 6, 0, 4, nil),
		}, want: []int64{2, 1}},
		{name: "then patrol share, not head count", cards: []report.UnitCard{
			card(1, nil, 5, 3, 6, nil), // 50%
			card(2, nil, 5, 2, 3, nil), // 67%
			card(3, nil, 5, 0, 0, nil), // no members: 0%
		}, want: []int64{2, 1, 3}},
		{name: "then verified reports, then good deeds", cards: []report.UnitCard{
			card(1, nil, 5, 1, 2, map[string]int64{"tip": 3}),
			card(2, nil, 5, 1, 2, map[string]int64{"good_deed": 1, "patrol": 3}),
			card(3, nil, 5, 1, 2, map[string]int64{"good_deed": 2, "patrol": 2}),
		}, want: []int64{3, 2, 1}},
		{name: "then the lowest id", cards: []report.UnitCard{
			card(9, nil, 5, 1, 2, nil),
			card(4, nil, 5, 1, 2, nil),
		}, want: []int64{4, 9}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ranks := report.RankTeams(report.Scorecard{Teams: tt.cards})
			var got []int64
			for i, r := range ranks {
				got = append(got, r.Card.Unit.ID)
				if r.Rank != i+1 {
					t.Errorf("rank %d at position %d", r.Rank, i)
				}
			}
			if !slices.Equal(got, tt.want) {
				t.Fatalf("order = %v, want %v", got, tt.want)
			}
			// The order does not depend on the input order.
			rev := slices.Clone(tt.cards)
			slices.Reverse(rev)
			again := report.RankTeams(report.Scorecard{Teams: rev})
			for i := range again {
				if again[i].Card.Unit.ID != got[i] {
					t.Fatalf("reversed input gives %v", again)
				}
			}
		})
	}
}

func TestRankMembers(t *testing.T) {
	forEachDriver(t, func(t *testing.T, s *store.Store) {
		f := seedScenario(t, s)
		sc, err := report.Compute(f.ctx, s, f.camp, f.xaA, f.dot2, f.nowAfter, ict)
		must(t, "compute", err)
		r, err := report.BuildRanking(f.ctx, s, sc)
		must(t, "rank", err)
		// Verified in Đợt 2: Mai (m3) 9, Mạnh (m1) 6, Diệp (d1) 4, Lâm (l1)
		// 3, Long (l2) 2, Mơ (m2) 0 — only pending or rejected reports.
		wantOrder := []int64{f.m3, f.m1, f.d1, f.l1, f.l2, f.m2}
		var got []int64
		for _, m := range r.Members {
			got = append(got, m.Person.ID)
		}
		if !slices.Equal(got, wantOrder) {
			t.Fatalf("member order = %v, want %v", got, wantOrder)
		}
		top := r.Members[0]
		if top.Total != 9 || top.GoodDeedMonths != 6 || !top.Patrolled || top.Counts[campaign.KindGoodDeed] != 6 ||
			top.TeamName != "Thôn 2" || top.CommuneName != "Xã A" || top.Months != 7 {
			t.Errorf("first member = %+v", top)
		}
		if last := r.Members[5]; last.Total != 0 || last.Patrolled {
			t.Errorf("last member = %+v", last)
		}
		if len(r.Teams) != 3 || len(r.Communes) != 1 || r.Teams[0].CommuneName != "Xã A" {
			t.Errorf("teams %d communes %d", len(r.Teams), len(r.Communes))
		}
	})
}
