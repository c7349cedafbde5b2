package store_test

import (
	"errors"
	"fmt"
	"maps"
	"testing"
	"time"

	"github.com/anttbot/anttbot/store"
)

var ict = time.FixedZone("ICT", 7*3600)

// Phase boundary of the seed plan: Đợt 1 ends 03/02/2025, Đợt 2 starts
// 04/02/2025, local time.
var (
	phase1From = time.Date(2024, 8, 19, 0, 0, 0, 0, ict)
	phase2From = time.Date(2025, 2, 4, 0, 0, 0, 0, ict)
	phase2To   = time.Date(2025, 8, 20, 0, 0, 0, 0, ict)
)

func TestCountSubmissions(t *testing.T) {
	forEachDriver(t, func(t *testing.T, s *store.Store) {
		ctx := ctxT(t)
		f := loadOrg(t, s)
		type row struct {
			name, kind, status, phase string
			team                      string
			reporter                  string
			at                        time.Time
		}
		rows := []row{
			{"A", "tip", store.StatusVerified, "dot-1", codeThon1, phoneMember1, phase2From.Add(-time.Minute)},
			{"B", "tip", store.StatusPending, "dot-2", codeThon1, phoneMember1, phase2From},
			{"C", "good_deed", store.StatusVerified, "dot-2", codeThon2, phoneMember2, time.Date(2025, 3, 1, 9, 0, 0, 0, ict)},
			{"D", "tip", store.StatusVerified, "dot-2", codeKhuDanCu3, phoneMemberKDC, time.Date(2025, 3, 5, 9, 0, 0, 0, ict)},
			{"E", "good_deed", store.StatusVerified, "dot-1", codeKhuDanCu3, phoneLeaderKDC, time.Date(2024, 9, 1, 9, 0, 0, 0, ict)},
		}
		for _, r := range rows {
			sub := &store.Submission{Kind: r.kind, Status: r.status, PhaseID: r.phase, TeamID: f.unit(r.team),
				ReporterID: f.person(r.reporter).ID, OccurredAt: r.at, IdempotencyKey: r.name}
			_, err := s.CreateSubmission(ctx, sub, "")
			must(t, "create "+r.name, err)
		}
		type countCase struct {
			name string
			f    store.CountFilter
			want int64
		}
		check := func(t *testing.T, cases []countCase) {
			t.Helper()
			for _, tt := range cases {
				got, err := s.CountSubmissions(ctx, tt.f)
				must(t, tt.name, err)
				if got != tt.want {
					t.Errorf("%s: count = %d, want %d", tt.name, got, tt.want)
				}
			}
		}
		check(t, []countCase{
			{name: "all", f: store.CountFilter{}, want: 5},
			{name: "Gia Tân", f: store.CountFilter{UnitID: f.unit(codeGiaTan)}, want: 3},
			{name: "Trần Phú, no district", f: store.CountFilter{UnitID: f.unit(codeTranPhu)}, want: 2},
			{name: "Gia Tân phase 1", f: store.CountFilter{UnitID: f.unit(codeGiaTan), From: phase1From, To: phase2From}, want: 1},
			{name: "Gia Tân phase 2", f: store.CountFilter{UnitID: f.unit(codeGiaTan), From: phase2From, To: phase2To}, want: 2},
			{name: "phase 2 by id", f: store.CountFilter{PhaseID: "dot-2"}, want: 3},
			{name: "verified tips in province", f: store.CountFilter{UnitID: f.unit(codeProvince), Kinds: []string{"tip"}, Statuses: []string{store.StatusVerified}}, want: 2},
			{name: "reporter", f: store.CountFilter{ReporterID: f.person(phoneMember1).ID}, want: 2},
			{name: "team", f: store.CountFilter{UnitID: f.unit(codeThon2)}, want: 1},
		})

		at := time.Date(2025, 7, 1, 0, 0, 0, 0, ict)
		must(t, "merge communes", s.MergeUnit(ctx, f.unit(codeTranPhu), f.unit(codeGiaTan), at))
		must(t, "merge teams", s.MergeUnit(ctx, f.unit(codeThon2), f.unit(codeThon1), at))
		check(t, []countCase{
			{name: "Gia Tân after merge", f: store.CountFilter{UnitID: f.unit(codeGiaTan)}, want: 5},
			{name: "Gia Tân phase 1 after merge", f: store.CountFilter{UnitID: f.unit(codeGiaTan), From: phase1From, To: phase2From}, want: 2},
			{name: "Gia Tân phase 2 after merge", f: store.CountFilter{UnitID: f.unit(codeGiaTan), From: phase2From, To: phase2To}, want: 3},
			{name: "merged commune keeps its history", f: store.CountFilter{UnitID: f.unit(codeTranPhu)}, want: 2},
			{name: "Thôn 1 with Thôn 2", f: store.CountFilter{UnitID: f.unit(codeThon1)}, want: 3},
			{name: "merged team alone", f: store.CountFilter{UnitID: f.unit(codeThon2)}, want: 1},
			{name: "verified good deeds", f: store.CountFilter{UnitID: f.unit(codeGiaTan), Kinds: []string{"good_deed"}, Statuses: []string{store.StatusVerified}}, want: 2},
		})

		byGroup := []struct {
			name    string
			groupBy string
			f       store.CountFilter
			want    map[int64]int64
		}{
			{name: "by team rolls merged teams up", groupBy: store.GroupTeam, f: store.CountFilter{},
				want: map[int64]int64{f.unit(codeThon1): 3, f.unit(codeKhuDanCu3): 2}},
			{name: "by commune rolls merged communes up", groupBy: store.GroupCommune, f: store.CountFilter{},
				want: map[int64]int64{f.unit(codeGiaTan): 5}},
			{name: "by reporter in phase 2", groupBy: store.GroupReporter, f: store.CountFilter{From: phase2From, To: phase2To},
				want: map[int64]int64{f.person(phoneMember1).ID: 1, f.person(phoneMember2).ID: 1, f.person(phoneMemberKDC).ID: 1}},
			{name: "by team, tips in a unit", groupBy: store.GroupTeam, f: store.CountFilter{UnitID: f.unit(codeGiaTan), Kinds: []string{"tip"}},
				want: map[int64]int64{f.unit(codeThon1): 2, f.unit(codeKhuDanCu3): 1}},
			{name: "nothing matches", groupBy: store.GroupTeam, f: store.CountFilter{Kinds: []string{"patrol"}}, want: map[int64]int64{}},
		}
		for _, tt := range byGroup {
			t.Run(tt.name, func(t *testing.T) {
				got, err := s.CountByGroup(ctx, tt.f, tt.groupBy)
				must(t, "count by group", err)
				if !maps.Equal(got, tt.want) {
					t.Fatalf("CountByGroup = %v, want %v", got, tt.want)
				}
			})
		}
		if _, err := s.CountByGroup(ctx, store.CountFilter{}, "kind"); !errors.Is(err, store.ErrInvalid) {
			t.Fatalf("bad group: %v", err)
		}
	})
}

func TestCountByMonth(t *testing.T) {
	forEachDriver(t, func(t *testing.T, s *store.Store) {
		ctx := ctxT(t)
		f := loadOrg(t, s)
		hcm, err := time.LoadLocation("Asia/Ho_Chi_Minh")
		if err != nil {
			hcm = ict // no tzdata on this machine; same offset, no DST
		}
		times := []time.Time{
			time.Date(2025, 2, 28, 23, 0, 0, 0, ict),
			time.Date(2025, 3, 1, 3, 0, 0, 0, ict), // still February in UTC
			time.Date(2025, 3, 31, 23, 59, 59, 0, ict),
			time.Date(2025, 4, 1, 6, 59, 0, 0, ict), // still March in UTC
		}
		for i, at := range times {
			_, err := s.CreateSubmission(ctx, &store.Submission{Kind: "good_deed", TeamID: f.unit(codeThon1),
				ReporterID: f.person(phoneMember1).ID, OccurredAt: at, IdempotencyKey: fmt.Sprint(i)}, "")
			must(t, "create", err)
		}
		_, err = s.CreateSubmission(ctx, &store.Submission{Kind: "good_deed", TeamID: f.unit(codeKhuDanCu3),
			ReporterID: f.person(phoneMemberKDC).ID, OccurredAt: times[0], IdempotencyKey: "other-commune"}, "")
		must(t, "create", err)

		tests := []struct {
			name string
			f    store.CountFilter
			loc  *time.Location
			want map[string]int64
		}{
			{name: "local months", f: store.CountFilter{UnitID: f.unit(codeGiaTan)}, loc: hcm,
				want: map[string]int64{"2025-02": 1, "2025-03": 2, "2025-04": 1}},
			{name: "UTC months", f: store.CountFilter{UnitID: f.unit(codeGiaTan)}, loc: time.UTC,
				want: map[string]int64{"2025-02": 2, "2025-03": 2}},
			{name: "no unit, from March", f: store.CountFilter{From: time.Date(2025, 3, 1, 0, 0, 0, 0, ict)}, loc: hcm,
				want: map[string]int64{"2025-03": 2, "2025-04": 1}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				got, err := s.CountByMonth(ctx, tt.f, tt.loc)
				must(t, "count by month", err)
				if !maps.Equal(got, tt.want) {
					t.Fatalf("CountByMonth = %v, want %v", got, tt.want)
				}
			})
		}
	})
}
