package store_test

import (
	"errors"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/anttbot/anttbot/store"
)

func TestVerificationQueue(t *testing.T) {
	forEachDriver(t, func(t *testing.T, s *store.Store) {
		ctx := ctxT(t)
		f := loadOrg(t, s)
		at := time.Date(2025, 7, 10, 9, 0, 0, 0, ict)
		ids := addReports(t, s, f, []reportRow{
			{key: "gd-m1", kind: "good_deed", team: codeThon1, reporter: phoneMember1, at: at},
			{key: "pt-m1", kind: "patrol", team: codeThon1, reporter: phoneMember1, at: at, status: store.StatusReceived},
			{key: "gd-l1", kind: "good_deed", team: codeThon1, reporter: phoneLeader1, at: at},
			{key: "tip-m1", kind: "tip", team: codeThon1, reporter: phoneMember1, at: at},
			{key: "gd-done", kind: "good_deed", team: codeThon1, reporter: phoneMember1, at: at, status: store.StatusVerified},
			{key: "md-m2", kind: "model", team: codeThon2, reporter: phoneMember2, at: at},
			{key: "gd-kdc", kind: "good_deed", team: codeKhuDanCu3, reporter: phoneMemberKDC, at: at},
		})
		keys := func(items []store.QueueItem) []int64 {
			var out []int64
			for _, it := range items {
				out = append(out, it.ID)
			}
			return out
		}
		tests := []struct {
			name      string
			filter    store.QueueFilter
			want      []int64
			wantTotal int64
		}{
			{name: "leader sees the team's good deeds and patrols but not their own",
				filter: store.QueueFilter{UnitID: f.unit(codeThon1), Kinds: []string{"good_deed", "patrol"}, ExcludeReporterID: f.person(phoneLeader1).ID},
				want:   []int64{ids["gd-m1"], ids["pt-m1"]}, wantTotal: 2},
			{name: "commune police see every listed kind of the commune, oldest first",
				filter: store.QueueFilter{UnitID: f.unit(codeGiaTan), Kinds: []string{"good_deed", "patrol", "model"}},
				want:   []int64{ids["gd-m1"], ids["pt-m1"], ids["gd-l1"], ids["md-m2"]}, wantTotal: 4},
			{name: "limit keeps the total",
				filter: store.QueueFilter{UnitID: f.unit(codeGiaTan), Kinds: []string{"good_deed", "patrol", "model"}, Limit: 1},
				want:   []int64{ids["gd-m1"]}, wantTotal: 4},
			{name: "another commune sees only its own",
				filter: store.QueueFilter{UnitID: f.unit(codeTranPhu), Kinds: []string{"good_deed"}},
				want:   []int64{ids["gd-kdc"]}, wantTotal: 1},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				items, total, err := s.VerificationQueue(ctx, tc.filter)
				must(t, "queue", err)
				if got := keys(items); !slices.Equal(got, tc.want) || total != tc.wantTotal {
					t.Errorf("queue = %v (total %d), want %v (total %d)", got, total, tc.want, tc.wantTotal)
				}
				for _, it := range items {
					if it.ReporterName == "" || it.TeamName == "" {
						t.Errorf("item %d lacks names: %+v", it.ID, it)
					}
				}
			})
		}
		if _, _, err := s.VerificationQueue(ctx, store.QueueFilter{UnitID: f.unit(codeThon1)}); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("queue without kinds: err = %v, want ErrInvalid", err)
		}
	})
}

func TestPresenceTakeBack(t *testing.T) {
	forEachDriver(t, func(t *testing.T, s *store.Store) {
		ctx := ctxT(t)
		f := loadOrg(t, s)
		giaTan := f.unit(codeGiaTan)
		police := f.person(phonePoliceXa).ID
		m1, m2, l1 := f.person(phoneMember1).ID, f.person(phoneMember2).ID, f.person(phoneLeader1).ID
		at := time.Date(2025, 7, 10, 9, 0, 0, 0, ict)
		older := &store.Incident{CommuneID: giaTan, Kind: store.IncidentANTT, OccurredAt: at.Add(-48 * time.Hour)}
		in := &store.Incident{CommuneID: giaTan, Kind: store.IncidentFire, OccurredAt: at}
		must(t, "incident", s.CreateIncident(ctx, older))
		must(t, "incident", s.CreateIncident(ctx, in))
		list, err := s.IncidentsOf(ctx, giaTan, 0)
		must(t, "incidents of", err)
		if len(list) != 2 || list[0].ID != in.ID || list[1].ID != older.ID {
			t.Fatalf("IncidentsOf = %+v, want newest first", list)
		}

		// m1 said they were there, the police confirmed; m2 said so and
		// nobody confirmed; the police ticked l1 themselves.
		_, err = s.RecordPresence(ctx, in.ID, m1, &at, store.PresenceMember, nil)
		must(t, "m1", err)
		_, err = s.RecordPresence(ctx, in.ID, m1, nil, store.PresenceMember, &police)
		must(t, "confirm m1", err)
		_, err = s.RecordPresence(ctx, in.ID, m2, nil, store.PresenceMember, nil)
		must(t, "m2", err)
		_, err = s.RecordPresence(ctx, in.ID, l1, nil, store.PresencePolice, &police)
		must(t, "l1", err)

		if ok, err := s.WithdrawPresence(ctx, in.ID, m1); err != nil || ok {
			t.Errorf("withdraw a confirmed presence = %v, %v; want false (it stays)", ok, err)
		}
		if ok, err := s.WithdrawPresence(ctx, in.ID, m2); err != nil || !ok {
			t.Errorf("withdraw an unconfirmed presence = %v, %v; want true", ok, err)
		}
		if ok, err := s.UnconfirmPresence(ctx, in.ID, m1, police); err != nil || !ok {
			t.Errorf("unconfirm m1 = %v, %v; want true", ok, err)
		}
		if ok, err := s.UnconfirmPresence(ctx, in.ID, l1, police); err != nil || !ok {
			t.Errorf("unconfirm l1 = %v, %v; want true", ok, err)
		}
		if ok, err := s.UnconfirmPresence(ctx, in.ID, l1, police); err != nil || ok {
			t.Errorf("unconfirm l1 again = %v, %v; want false", ok, err)
		}
		ps, err := s.PresenceAt(ctx, in.ID)
		must(t, "presence", err)
		// m1's own word stays, unconfirmed; l1 (recorded by the police) is gone.
		if len(ps) != 1 || ps[0].PersonID != m1 || ps[0].ConfirmedByID != nil || ps[0].ArrivedAt == nil {
			t.Errorf("presence after take-backs = %+v, want only m1, unconfirmed, arrival kept", ps)
		}
		audit, err := s.AuditEntries(ctx, "incident", strconv.FormatInt(in.ID, 10))
		must(t, "audit", err)
		if len(audit) != 2 {
			t.Errorf("audit entries = %d, want 2 (one per unconfirm)", len(audit))
		}
	})
}

func TestPoliceFigureEntries(t *testing.T) {
	forEachDriver(t, func(t *testing.T, s *store.Store) {
		ctx := ctxT(t)
		f := loadOrg(t, s)
		giaTan, thon1 := f.unit(codeGiaTan), f.unit(codeThon1)
		police := f.person(phonePoliceXa).ID
		phase := store.Span{From: time.Date(2025, 2, 4, 0, 0, 0, 0, ict), To: time.Date(2025, 8, 20, 0, 0, 0, 0, ict)}
		july := store.Span{From: time.Date(2025, 7, 1, 0, 0, 0, 0, ict), To: time.Date(2025, 8, 1, 0, 0, 0, 0, ict)}
		set := func(unit int64, fig string, sp store.Span, v float64) {
			must(t, "set "+fig, s.SetPoliceFigure(ctx, store.PoliceFigure{UnitID: unit, Figure: fig, PeriodStart: sp.From, PeriodEnd: sp.To, Value: v}, police))
		}
		set(giaTan, "tips_received_total", phase, 10)
		set(giaTan, "reoffences", phase, 0)
		set(thon1, "commendations", july, 2)
		got, err := s.PoliceFigureEntries(ctx, []int64{giaTan}, nil, phase.From, phase.To)
		must(t, "entries", err)
		if len(got) != 2 || got[0].Figure != "reoffences" || got[1].Figure != "tips_received_total" || got[1].Value != 10 {
			t.Errorf("commune entries = %+v", got)
		}
		got, err = s.PoliceFigureEntries(ctx, []int64{giaTan, thon1}, []string{"commendations"}, july.From, july.To)
		must(t, "entries", err)
		if len(got) != 1 || got[0].UnitID != thon1 || got[0].Value != 2 {
			t.Errorf("commendation entries = %+v", got)
		}
		if got, err := s.PoliceFigureEntries(ctx, nil, nil, july.From, july.To); err != nil || got != nil {
			t.Errorf("no units = %v, %v", got, err)
		}
	})
}
