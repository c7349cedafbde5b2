package store_test

import (
	"cmp"
	"errors"
	"maps"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/anttbot/anttbot/store"
)

// reportRow is one submission of a report-query fixture.
type reportRow struct {
	key      string
	kind     string
	status   string
	team     string
	reporter string
	at       time.Time
	answers  store.JSONMap
	source   string
}

func addReports(t *testing.T, s *store.Store, f fixture, rows []reportRow) map[string]int64 {
	t.Helper()
	ctx := ctxT(t)
	ids := map[string]int64{}
	for _, r := range rows {
		sub := &store.Submission{Kind: r.kind, Status: r.status, TeamID: f.unit(r.team), ReporterID: f.person(r.reporter).ID,
			OccurredAt: r.at, IdempotencyKey: r.key, Answers: r.answers}
		_, err := s.CreateSubmission(ctx, sub, r.source)
		must(t, "create "+r.key, err)
		ids[r.key] = sub.ID
	}
	return ids
}

// Months of 2025 in ICT, as the report package computes them.
var (
	feb2025 = store.Span{From: time.Date(2025, 2, 1, 0, 0, 0, 0, ict), To: time.Date(2025, 3, 1, 0, 0, 0, 0, ict)}
	mar2025 = store.Span{From: time.Date(2025, 3, 1, 0, 0, 0, 0, ict), To: time.Date(2025, 4, 1, 0, 0, 0, 0, ict)}
	apr2025 = store.Span{From: time.Date(2025, 4, 1, 0, 0, 0, 0, ict), To: time.Date(2025, 5, 1, 0, 0, 0, 0, ict)}
)

func TestReportQueries(t *testing.T) {
	forEachDriver(t, func(t *testing.T, s *store.Store) {
		ctx := ctxT(t)
		f := loadOrg(t, s)
		thon1, thon2, kdc3 := f.unit(codeThon1), f.unit(codeThon2), f.unit(codeKhuDanCu3)
		giaTan, tranPhu := f.unit(codeGiaTan), f.unit(codeTranPhu)
		m1, l1, d1 := f.person(phoneMember1).ID, f.person(phoneLeader1).ID, f.person(phoneDeputy1).ID
		m2, mk := f.person(phoneMember2).ID, f.person(phoneMemberKDC).ID
		// 23:59 on 31/3 local is 16:59 UTC the same day: March. 00:30 on
		// 1/4 local is 17:30 UTC on 31/3: April, though UTC says March.
		lastMinuteOfMarch := time.Date(2025, 3, 31, 23, 59, 0, 0, ict)
		firstHalfHourOfApril := time.Date(2025, 4, 1, 0, 30, 0, 0, ict)
		subIDs := addReports(t, s, f, []reportRow{
			{key: "g1", kind: "good_deed", status: store.StatusVerified, team: codeThon1, reporter: phoneMember1, at: time.Date(2025, 2, 10, 9, 0, 0, 0, ict)},
			{key: "g2", kind: "good_deed", status: store.StatusVerified, team: codeThon1, reporter: phoneMember1, at: lastMinuteOfMarch},
			{key: "g3", kind: "good_deed", status: store.StatusVerified, team: codeThon1, reporter: phoneLeader1, at: firstHalfHourOfApril},
			{key: "g4", kind: "good_deed", status: store.StatusPending, team: codeThon2, reporter: phoneMember2, at: time.Date(2025, 3, 3, 9, 0, 0, 0, ict)},
			{key: "g5", kind: "good_deed", status: store.StatusRejected, team: codeThon2, reporter: phoneMember2, at: time.Date(2025, 3, 4, 9, 0, 0, 0, ict)},
			{key: "p1", kind: "patrol", status: store.StatusVerified, team: codeThon1, reporter: phoneMember1, at: time.Date(2025, 3, 5, 20, 0, 0, 0, ict)},
			{key: "p2", kind: "patrol", status: store.StatusVerified, team: codeThon1, reporter: phoneMember1, at: time.Date(2025, 3, 6, 20, 0, 0, 0, ict)},
			{key: "p3", kind: "patrol", status: store.StatusVerified, team: codeThon1, reporter: phoneDeputy1, at: time.Date(2025, 4, 6, 20, 0, 0, 0, ict)},
			{key: "p4", kind: "patrol", status: store.StatusReceived, team: codeThon1, reporter: phoneLeader1, at: time.Date(2025, 3, 6, 20, 0, 0, 0, ict)},
			{key: "t1", kind: "tip", status: store.StatusVerified, team: codeKhuDanCu3, reporter: phoneMemberKDC, at: time.Date(2025, 3, 7, 8, 0, 0, 0, ict), source: "bà bán nước"},
			{key: "t2", kind: "tip", status: store.StatusVerified, team: codeThon2, reporter: phoneMember2, at: time.Date(2025, 3, 8, 8, 0, 0, 0, ict)},
			{key: "t3", kind: "tip", status: store.StatusVerified, team: codeThon2, reporter: phoneMember2, at: apr2025.To}, // May: outside
		})

		units, err := s.ReportUnits(ctx, giaTan)
		must(t, "units", err)
		if got := ids(units); !slices.Equal(got, []int64{giaTan, thon1, thon2}) {
			t.Fatalf("ReportUnits(Gia Tân) = %v, want %v", got, []int64{giaTan, thon1, thon2})
		}
		if _, err := s.ReportUnits(ctx, 999999); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("ReportUnits(unknown) err = %v, want ErrNotFound", err)
		}

		t.Run("kind counts", func(t *testing.T) {
			got, err := s.ReportKindCounts(ctx, subtree(t, s, f.unit(codeProvince)), nil, feb2025.From, apr2025.To)
			must(t, "counts", err)
			slices.SortFunc(got, func(a, b store.KindCount) int {
				return strings.Compare(a.Kind+string(rune(a.TeamID)), b.Kind+string(rune(b.TeamID)))
			})
			want := []store.KindCount{
				{CommuneID: giaTan, TeamID: thon1, Kind: "good_deed", N: 3},
				{CommuneID: giaTan, TeamID: thon1, Kind: "patrol", N: 3},
				{CommuneID: giaTan, TeamID: thon2, Kind: "tip", N: 1},
				{CommuneID: tranPhu, TeamID: kdc3, Kind: "tip", N: 1},
			}
			slices.SortFunc(want, func(a, b store.KindCount) int {
				return strings.Compare(a.Kind+string(rune(a.TeamID)), b.Kind+string(rune(b.TeamID)))
			})
			if !slices.Equal(got, want) {
				t.Fatalf("ReportKindCounts = %+v\nwant %+v", got, want)
			}
		})

		t.Run("good deeds per team and local month", func(t *testing.T) {
			got, err := s.ReportTeamSpans(ctx, subtree(t, s, giaTan), "good_deed", []store.Span{feb2025, mar2025, apr2025})
			must(t, "spans", err)
			want := map[[2]int64]int64{{thon1, 0}: 1, {thon1, 1}: 1, {thon1, 2}: 1}
			if m := spanMap(got); !maps.Equal(m, want) {
				t.Fatalf("ReportTeamSpans = %v, want %v (pending and rejected deeds of Thôn 2 do not count)", m, want)
			}
		})

		t.Run("members with a verified patrol", func(t *testing.T) {
			got, err := s.ReportActiveReporters(ctx, subtree(t, s, giaTan), "patrol", []store.Span{mar2025, apr2025})
			must(t, "reporters", err)
			// March: member 1 (twice: counted once); the leader's patrol is
			// only received. April: the deputy.
			want := map[[2]int64]int64{{thon1, 0}: 1, {thon1, 1}: 1}
			if m := spanMap(got); !maps.Equal(m, want) {
				t.Fatalf("ReportActiveReporters = %v, want %v", m, want)
			}
			// One span (March and April together) takes the EXISTS path.
			got, err = s.ReportActiveReporters(ctx, subtree(t, s, giaTan), "patrol", []store.Span{{From: mar2025.From, To: apr2025.To}})
			must(t, "reporters over one span", err)
			if m := spanMap(got); !maps.Equal(m, map[[2]int64]int64{{thon1, 0}: 2}) {
				t.Fatalf("ReportActiveReporters(one span) = %v, want Thôn 1: 2", m)
			}
			sizes, err := s.ReportTeamSizes(ctx, subtree(t, s, f.unit(codeProvince)))
			must(t, "sizes", err)
			if want := map[int64]int64{thon1: 3, thon2: 2, kdc3: 2}; !maps.Equal(sizes, want) {
				t.Fatalf("ReportTeamSizes = %v, want %v (police are not team members)", sizes, want)
			}
		})

		t.Run("member counts", func(t *testing.T) {
			got, err := s.ReportMemberCounts(ctx, subtree(t, s, giaTan), feb2025.From, apr2025.To, []store.Span{feb2025, mar2025, apr2025})
			must(t, "member counts", err)
			type key struct {
				id   int64
				kind string
			}
			m := map[key][2]int64{}
			for _, r := range got {
				m[key{r.PersonID, r.Kind}] = [2]int64{r.N, r.Spans}
			}
			want := map[key][2]int64{
				{m1, "good_deed"}: {2, 2}, {m1, "patrol"}: {2, 1},
				{l1, "good_deed"}: {1, 1},
				{d1, "patrol"}:    {1, 1},
				{m2, "tip"}:       {1, 1},
			}
			if !maps.Equal(m, want) {
				t.Fatalf("ReportMemberCounts = %v, want %v", m, want)
			}
			noSpans, err := s.ReportMemberCounts(ctx, subtree(t, s, tranPhu), feb2025.From, apr2025.To, nil)
			must(t, "member counts without spans", err)
			if len(noSpans) != 1 || noSpans[0].PersonID != mk || noSpans[0].N != 1 || noSpans[0].Spans != 0 {
				t.Fatalf("ReportMemberCounts(Trần Phú) = %+v", noSpans)
			}
		})

		t.Run("rows", func(t *testing.T) {
			rows, err := s.ReportRows(ctx, subtree(t, s, tranPhu), feb2025.From, apr2025.To, false, 0)
			must(t, "rows", err)
			if len(rows) != 1 || rows[0].ID != subIDs["t1"] || rows[0].TipSource != "" || rows[0].ReporterName != "Đinh Văn Khoa" {
				t.Fatalf("rows without sources = %+v", rows)
			}
			rows, err = s.ReportRows(ctx, subtree(t, s, tranPhu), feb2025.From, apr2025.To, true, 0)
			must(t, "rows", err)
			if len(rows) != 1 || rows[0].TipSource != "bà bán nước" || !rows[0].OccurredAt.Equal(time.Date(2025, 3, 7, 8, 0, 0, 0, ict)) {
				t.Fatalf("rows with sources = %+v", rows)
			}
			rows, err = s.ReportRows(ctx, subtree(t, s, giaTan), feb2025.From, apr2025.To, false, 2)
			must(t, "rows", err)
			if len(rows) != 2 || rows[0].ID != subIDs["g1"] || rows[1].ID != subIDs["p1"] {
				t.Fatalf("limited rows = %+v", rows)
			}
		})

		t.Run("merged team rolls into its successor's subtree", func(t *testing.T) {
			must(t, "merge", s.MergeUnit(ctx, thon2, thon1, time.Date(2025, 6, 1, 0, 0, 0, 0, ict)))
			units, err := s.ReportUnits(ctx, thon1)
			must(t, "units", err)
			if got := ids(units); !slices.Equal(got, []int64{thon1, thon2}) || units[1].MergedIntoID == nil {
				t.Fatalf("ReportUnits(Thôn 1 after merge) = %+v", units)
			}
			got, err := s.ReportKindCounts(ctx, subtree(t, s, thon1), []string{"tip", "good_deed"}, feb2025.From, apr2025.To)
			must(t, "counts", err)
			var tips int64
			for _, r := range got {
				if r.Kind == "tip" {
					tips += r.N
					if r.TeamID != thon2 {
						t.Errorf("tip row keyed %d, want the raw team %d", r.TeamID, thon2)
					}
				}
			}
			if tips != 1 {
				t.Fatalf("tips of Thôn 1 with Thôn 2 = %d, want 1", tips)
			}
		})
	})
}

// subtree returns the ids of a unit's subtree, as the report package
// passes them to the report queries.
func subtree(t *testing.T, s *store.Store, unitID int64) []int64 {
	t.Helper()
	ids, err := s.UnitSubtreeIDs(ctxT(t), unitID)
	must(t, "subtree", err)
	return ids
}

func spanMap(rows []store.SpanCount) map[[2]int64]int64 {
	m := map[[2]int64]int64{}
	for _, r := range rows {
		m[[2]int64{r.UnitID, int64(r.Span)}] = r.N
	}
	return m
}

func TestPoliceFigures(t *testing.T) {
	forEachDriver(t, func(t *testing.T, s *store.Store) {
		ctx := ctxT(t)
		f := loadOrg(t, s)
		giaTan, tranPhu, thon1 := f.unit(codeGiaTan), f.unit(codeTranPhu), f.unit(codeThon1)
		police := f.person(phonePoliceXa).ID
		set := func(unit int64, fig string, sp store.Span, v float64) {
			t.Helper()
			must(t, "set "+fig, s.SetPoliceFigure(ctx, store.PoliceFigure{UnitID: unit, Figure: fig, PeriodStart: sp.From, PeriodEnd: sp.To, Value: v}, police))
		}
		phase2 := store.Span{From: phase2From, To: phase2To}
		set(giaTan, "tips_received_total", phase2, 10)
		set(giaTan, "tips_received_total", phase2, 12) // a correction replaces
		set(giaTan, "tips_received_total", phase2, 12) // unchanged: no audit entry
		set(tranPhu, "tips_received_total", phase2, 0)
		set(thon1, "commendations", feb2025, 1)
		set(thon1, "commendations", mar2025, 2)

		got, err := s.PoliceFigureOf(ctx, giaTan, "tips_received_total", phase2.From, phase2.To)
		must(t, "figure of", err)
		if got.Value != 12 || got.EnteredByID == nil || *got.EnteredByID != police {
			t.Fatalf("figure = %+v", got)
		}
		subject := strconv.FormatInt(giaTan, 10) + "/tips_received_total/" + phase2.From.UTC().Format(time.RFC3339) + "/" + phase2.To.UTC().Format(time.RFC3339)
		audit, err := s.AuditEntries(ctx, "police_figure", subject)
		must(t, "audit", err)
		if len(audit) != 2 || audit[0].Detail != "none -> 10" || audit[1].Detail != "10 -> 12" {
			t.Fatalf("audit = %+v", audit)
		}

		sum, err := s.PoliceFigures(ctx, []int64{giaTan, tranPhu}, "tips_received_total", phase2.From, phase2.To)
		must(t, "sum", err)
		if sum != (store.FigureSum{Sum: 12, Entries: 2, Units: 2}) {
			t.Fatalf("PoliceFigures = %+v", sum)
		}
		// A month inside the phase holds no entry: the phase figure does not
		// lie within it.
		for _, tt := range []struct {
			name     string
			unit     int64
			figure   string
			from, to time.Time
			want     bool
		}{
			{name: "phase", unit: giaTan, figure: "tips_received_total", from: phase2.From, to: phase2.To, want: true},
			{name: "zero counts as entered", unit: tranPhu, figure: "tips_received_total", from: phase2.From, to: phase2.To, want: true},
			{name: "month inside the phase", unit: giaTan, figure: "tips_received_total", from: mar2025.From, to: mar2025.To, want: false},
			{name: "never entered", unit: giaTan, figure: "serious_accidents", from: phase2.From, to: phase2.To, want: false},
		} {
			got, err := s.FigureEntered(ctx, tt.unit, tt.figure, tt.from, tt.to)
			must(t, tt.name, err)
			if got != tt.want {
				t.Errorf("%s: FigureEntered = %v, want %v", tt.name, got, tt.want)
			}
		}

		totals, err := s.ReportFigures(ctx, subtree(t, s, f.unit(codeProvince)), []string{"tips_received_total", "commendations"}, []store.Span{feb2025, mar2025, phase2})
		must(t, "report figures", err)
		// Spans are tried in order: the monthly commendations fall in
		// February and March; the phase entries only in the phase span.
		type key struct {
			unit   int64
			figure string
			span   int
		}
		m := map[key][2]float64{}
		for _, r := range totals {
			m[key{r.UnitID, r.Figure, r.Span}] = [2]float64{r.Sum, float64(r.Entries)}
		}
		want := map[key][2]float64{
			{thon1, "commendations", 0}:         {1, 1},
			{thon1, "commendations", 1}:         {2, 1},
			{giaTan, "tips_received_total", 2}:  {12, 1},
			{tranPhu, "tips_received_total", 2}: {0, 1},
		}
		if !maps.Equal(m, want) {
			t.Fatalf("ReportFigures = %v, want %v", m, want)
		}

		for _, bad := range []store.PoliceFigure{
			{UnitID: giaTan, Figure: "x", PeriodStart: phase2.To, PeriodEnd: phase2.From},
			{UnitID: giaTan, Figure: "x", PeriodStart: phase2.From, PeriodEnd: phase2.To, Value: -1},
			{UnitID: giaTan, PeriodStart: phase2.From, PeriodEnd: phase2.To},
		} {
			if err := s.SetPoliceFigure(ctx, bad, police); !errors.Is(err, store.ErrInvalid) {
				t.Errorf("SetPoliceFigure(%+v) = %v, want ErrInvalid", bad, err)
			}
		}
		if err := s.SetPoliceFigure(ctx, store.PoliceFigure{UnitID: 999999, Figure: "x", PeriodStart: phase2.From, PeriodEnd: phase2.To}, police); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("SetPoliceFigure(unknown unit) = %v, want ErrNotFound", err)
		}
	})
}

func TestIncidents(t *testing.T) {
	forEachDriver(t, func(t *testing.T, s *store.Store) {
		ctx := ctxT(t)
		f := loadOrg(t, s)
		giaTan, tranPhu := f.unit(codeGiaTan), f.unit(codeTranPhu)
		police := f.person(phonePoliceXa).ID
		m1, m2 := f.person(phoneMember1).ID, f.person(phoneMember2).ID
		mk := f.person(phoneMemberKDC).ID
		log := func(commune int64, kind string, at time.Time) int64 {
			t.Helper()
			in := store.Incident{CommuneID: commune, Kind: kind, OccurredAt: at, Place: "  chợ Gia Tân ", LoggedByID: &police}
			must(t, "log incident", s.CreateIncident(ctx, &in))
			return in.ID
		}
		a1 := log(giaTan, store.IncidentANTT, time.Date(2025, 3, 1, 21, 0, 0, 0, ict))
		a2 := log(giaTan, store.IncidentANTT, time.Date(2025, 3, 2, 21, 0, 0, 0, ict))
		a3 := log(giaTan, store.IncidentANTT, time.Date(2025, 3, 3, 21, 0, 0, 0, ict))
		fire := log(giaTan, store.IncidentFire, time.Date(2025, 3, 4, 21, 0, 0, 0, ict))
		log(tranPhu, store.IncidentRescue, time.Date(2025, 3, 5, 21, 0, 0, 0, ict))
		log(giaTan, store.IncidentANTT, apr2025.From) // April: outside March

		got, err := s.IncidentByID(ctx, a1)
		must(t, "incident", err)
		if got.Place != "chợ Gia Tân" {
			t.Errorf("place = %q, want trimmed", got.Place)
		}

		arrived := time.Date(2025, 3, 1, 21, 10, 0, 0, ict)
		// a1: a member says they were there, the police confirm later.
		p, err := s.RecordPresence(ctx, a1, m1, &arrived, store.PresenceMember, nil)
		must(t, "presence", err)
		if p.ConfirmedByID != nil {
			t.Fatalf("unconfirmed presence = %+v", p)
		}
		p, err = s.RecordPresence(ctx, a1, m1, nil, store.PresenceMember, &police)
		must(t, "confirm", err)
		if p.ConfirmedByID == nil || *p.ConfirmedByID != police || p.ArrivedAt == nil || !p.ArrivedAt.Equal(arrived) {
			t.Fatalf("confirmed presence = %+v (arrival must be kept)", p)
		}
		// a2: only an unconfirmed presence. a3: none.
		_, err = s.RecordPresence(ctx, a2, m2, nil, store.PresenceMember, nil)
		must(t, "presence a2", err)
		// fire: linked from the member's fire_rescue report.
		sub := &store.Submission{Kind: "fire_rescue", TeamID: f.unit(codeThon2), ReporterID: m2, IdempotencyKey: "fr1", OccurredAt: time.Date(2025, 3, 4, 21, 0, 0, 0, ict)}
		_, err = s.CreateSubmission(ctx, sub, "")
		must(t, "fire report", err)
		p, err = s.LinkPresenceReport(ctx, fire, sub.ID, police)
		must(t, "link", err)
		if p.PersonID != m2 || p.SubmissionID == nil || *p.SubmissionID != sub.ID || p.Source != store.PresenceMember {
			t.Fatalf("linked presence = %+v", p)
		}
		ps, err := s.PresenceAt(ctx, a1)
		must(t, "presence at", err)
		if len(ps) != 1 {
			t.Fatalf("presence at a1 = %+v", ps)
		}
		_ = a3

		counts, err := s.IncidentsWithPresence(ctx, subtree(t, s, f.unit(codeProvince)), []string{store.IncidentANTT, store.IncidentFire, store.IncidentRescue}, mar2025.From, mar2025.To)
		must(t, "count", err)
		slices.SortFunc(counts, func(a, b store.IncidentCount) int { return strings.Compare(a.Kind, b.Kind) })
		want := []store.IncidentCount{
			{CommuneID: giaTan, Kind: store.IncidentANTT, Incidents: 3, WithPresence: 1},
			{CommuneID: giaTan, Kind: store.IncidentFire, Incidents: 1, WithPresence: 1},
			{CommuneID: tranPhu, Kind: store.IncidentRescue, Incidents: 1, WithPresence: 0},
		}
		if !slices.Equal(counts, want) {
			t.Fatalf("IncidentsWithPresence = %+v\nwant %+v", counts, want)
		}

		for _, tt := range []struct {
			name string
			in   store.Incident
			want error
		}{
			{name: "unknown kind", in: store.Incident{CommuneID: giaTan, Kind: "flood", OccurredAt: arrived}, want: store.ErrInvalid},
			{name: "team is not a commune", in: store.Incident{CommuneID: f.unit(codeThon1), Kind: store.IncidentANTT, OccurredAt: arrived}, want: store.ErrInvalid},
			{name: "no time", in: store.Incident{CommuneID: giaTan, Kind: store.IncidentANTT}, want: store.ErrInvalid},
			{name: "unknown commune", in: store.Incident{CommuneID: 999999, Kind: store.IncidentANTT, OccurredAt: arrived}, want: store.ErrNotFound},
		} {
			if err := s.CreateIncident(ctx, &tt.in); !errors.Is(err, tt.want) {
				t.Errorf("%s: CreateIncident = %v, want %v", tt.name, err, tt.want)
			}
		}
		if _, err := s.RecordPresence(ctx, a3, mk, nil, "neighbour", &police); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("RecordPresence(bad source) = %v", err)
		}
		if _, err := s.RecordPresence(ctx, 999999, mk, nil, store.PresencePolice, &police); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("RecordPresence(unknown incident) = %v", err)
		}
	})
}

func TestMarkRecognised(t *testing.T) {
	forEachDriver(t, func(t *testing.T, s *store.Store) {
		ctx := ctxT(t)
		f := loadOrg(t, s)
		giaTan := f.unit(codeGiaTan)
		police := f.person(phonePoliceXa).ID
		at := time.Date(2025, 3, 10, 9, 0, 0, 0, ict)
		model := func(name string) store.JSONMap { return store.JSONMap{"model_name": name} }
		ids := addReports(t, s, f, []reportRow{
			{key: "m1", kind: "model", status: store.StatusVerified, team: codeThon1, reporter: phoneMember1, at: at, answers: model("Camera an ninh")},
			// The same model reported by another member, typed differently.
			{key: "m2", kind: "model", status: store.StatusPending, team: codeThon2, reporter: phoneMember2, at: at, answers: model("camera  AN NINH")},
			{key: "m3", kind: "model", status: store.StatusReceived, team: codeThon2, reporter: phoneMember2, at: at, answers: model("Tổ tự quản")},
			{key: "m4", kind: "model", status: store.StatusRejected, team: codeThon2, reporter: phoneMember2, at: at, answers: model("Khác")},
			{key: "m5", kind: "model", status: store.StatusVerified, team: codeThon1, reporter: phoneMember1, at: at, answers: model("Không được ghi nhận")},
		})
		for _, k := range []string{"m1", "m2", "m3"} {
			must(t, "recognise "+k, s.MarkRecognised(ctx, ids[k], police, at))
		}
		must(t, "recognise again", s.MarkRecognised(ctx, ids["m1"], police, at.Add(time.Hour)))
		if err := s.MarkRecognised(ctx, ids["m4"], police, at); !errors.Is(err, store.ErrInvalid) {
			t.Fatalf("recognise rejected = %v, want ErrInvalid", err)
		}
		if err := s.MarkRecognised(ctx, 999999, police, at); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("recognise unknown = %v, want ErrNotFound", err)
		}
		when, err := s.RecognisedAt(ctx, ids["m1"])
		must(t, "recognised at", err)
		if when == nil || !when.Equal(at) {
			t.Fatalf("recognised at = %v, want the first marking %v", when, at)
		}
		if when, err := s.RecognisedAt(ctx, ids["m5"]); err != nil || when != nil {
			t.Fatalf("m5 recognised at = %v, %v; want nil", when, err)
		}
		sub, err := s.SubmissionByID(ctx, ids["m2"])
		must(t, "m2", err)
		if sub.Status != store.StatusVerified || sub.VerifiedByID == nil || *sub.VerifiedByID != police {
			t.Fatalf("recognised pending model = %+v, want verified by the police", sub)
		}
		got, err := s.ReportModelsRecognised(ctx, subtree(t, s, f.unit(codeProvince)), "model", phase2From, phase2To)
		must(t, "models", err)
		// m1 and m2 are one model; m3 another; m5 is not recognised.
		if want := map[int64]int64{giaTan: 2}; !maps.Equal(got, want) {
			t.Fatalf("ReportModelsRecognised = %v, want %v", got, want)
		}
		audit, err := s.AuditEntries(ctx, "submission", strconv.FormatInt(ids["m2"], 10))
		must(t, "audit", err)
		if len(audit) != 2 || audit[0].Action != "submission.status" || audit[1].Action != "submission.recognised" {
			t.Fatalf("audit of m2 = %+v", audit)
		}
	})
}

func TestFindUnits(t *testing.T) {
	forEachDriver(t, func(t *testing.T, s *store.Store) {
		ctx := ctxT(t)
		f := loadOrg(t, s)
		for _, tt := range []struct {
			name, query string
			want        []int64
		}{
			{name: "name without diacritics", query: "xa gia tan", want: []int64{f.unit(codeGiaTan)}},
			{name: "name as written", query: "Phường Trần Phú", want: []int64{f.unit(codeTranPhu)}},
			{name: "code", query: codeThon2, want: []int64{f.unit(codeThon2)}},
			{name: "nothing", query: "Xã Không Có", want: nil},
		} {
			got, err := s.FindUnits(ctx, tt.query)
			must(t, tt.name, err)
			if !slices.Equal(ids(got), tt.want) {
				t.Errorf("%s: FindUnits(%q) = %v, want %v", tt.name, tt.query, ids(got), tt.want)
			}
		}
		if _, err := s.FindUnits(ctx, " - "); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("FindUnits(blank) = %v, want ErrInvalid", err)
		}
	})
}

func TestGenerateProvince(t *testing.T) {
	forEachDriver(t, func(t *testing.T, s *store.Store) {
		ctx := ctxT(t)
		from, to := time.Date(2024, 8, 19, 0, 0, 0, 0, ict), time.Date(2025, 8, 20, 0, 0, 0, 0, ict)
		spec := store.ProvinceSpec{
			Name: "Tỉnh Thử", Districts: 2, Communes: 5, Teams: 15, People: 50, Reports: 2000, From: from, To: to,
			Kinds:           []store.KindWeight{{Kind: "patrol", Weight: 50}, {Kind: "good_deed", Weight: 40}, {Kind: "model", Weight: 10}},
			VerifiedPercent: 80, ModelKind: "model",
			Phases:       []store.PhaseSpan{{ID: "dot1", Span: store.Span{From: from, To: phase2From}}, {ID: "dot2", Span: store.Span{From: phase2From, To: to}}},
			Figures:      []store.FigureGen{{Figure: "tips_received_total", Base: 10, Spread: 5}, {Figure: "serious_accidents", Base: 0, Spread: 1}},
			MissingEvery: 5, IncidentsPerCommune: 3,
		}
		g, err := s.GenerateProvince(ctx, spec)
		must(t, "generate", err)
		if g.Province.Code != "tinh-thu" || g.Teams != 15 || g.Reports != 2000 {
			t.Fatalf("generated %+v", g)
		}
		units, err := s.ReportUnits(ctx, g.Province.ID)
		must(t, "units", err)
		levels := map[store.Level]int{}
		for _, u := range units {
			levels[u.Level]++
		}
		if want := map[store.Level]int{store.LevelProvince: 1, store.LevelDistrict: 2, store.LevelCommune: 5, store.LevelTeam: 15}; !maps.Equal(levels, want) {
			t.Fatalf("levels = %v, want %v", levels, want)
		}
		total, err := s.CountSubmissions(ctx, store.CountFilter{UnitID: g.Province.ID})
		must(t, "count", err)
		verified, err := s.CountSubmissions(ctx, store.CountFilter{UnitID: g.Province.ID, Statuses: []string{store.StatusVerified}})
		must(t, "count verified", err)
		inPhases, err := s.CountSubmissions(ctx, store.CountFilter{PhaseID: "dot1"})
		must(t, "count phase", err)
		inPhase2, err := s.CountSubmissions(ctx, store.CountFilter{PhaseID: "dot2"})
		must(t, "count phase", err)
		if total != 2000 || verified < 1500 || verified > 1700 || inPhases+inPhase2 != 2000 || inPhases < 700 {
			t.Fatalf("total %d, verified %d, dot1 %d, dot2 %d", total, verified, inPhases, inPhase2)
		}
		// Every report's team belongs to its commune, and its reporter to its team.
		var bad int64
		must(t, "consistency", s.DB().Raw(`SELECT COUNT(*) FROM submissions s JOIN units t ON t.id = s.team_id JOIN people p ON p.id = s.reporter_id
			WHERE t.parent_id <> s.commune_id OR p.unit_id <> s.team_id OR s.occurred_at < ? OR s.occurred_at >= ?`, from, to).Scan(&bad).Error)
		if bad != 0 {
			t.Fatalf("%d inconsistent generated reports", bad)
		}
		sizes, err := s.ReportTeamSizes(ctx, subtree(t, s, g.Province.ID))
		must(t, "sizes", err)
		if len(sizes) != 15 {
			t.Fatalf("team sizes = %v", sizes)
		}
		models, err := s.ReportModelsRecognised(ctx, subtree(t, s, g.Province.ID), "model", from, to)
		must(t, "models", err)
		if len(models) != 5 {
			t.Fatalf("recognised models per commune = %v", models)
		}
		sum, err := s.PoliceFigures(ctx, []int64{g.FirstCommune, g.FirstCommune + 1, g.FirstCommune + 2, g.FirstCommune + 3, g.FirstCommune + 4},
			"tips_received_total", from, to)
		must(t, "figures", err)
		if sum.Entries != 8 || sum.Units != 4 {
			t.Fatalf("figures = %+v, want 4 communes × 2 phases (every 5th commune missing)", sum)
		}
		inc, err := s.IncidentsWithPresence(ctx, subtree(t, s, g.Province.ID), []string{store.IncidentANTT, store.IncidentFire}, from, to)
		must(t, "incidents", err)
		var n, with int64
		for _, c := range inc {
			n += c.Incidents
			with += c.WithPresence
		}
		if n != 15 || with != 10 {
			t.Fatalf("incidents %d with presence %d, want 15 and 10", n, with)
		}
		// A big set of units goes to PostgreSQL as one array: padding the
		// province's ids with unknown ones must not change any answer.
		small := subtree(t, s, g.Province.ID)
		big := slices.Clone(small)
		for i := range 100 {
			big = append(big, int64(1_000_000+i))
		}
		spans := []store.Span{{From: from, To: phase2From}, {From: phase2From, To: to}}
		for _, q := range []struct {
			name string
			run  func(ids []int64) (any, error)
		}{
			{"kind counts", func(ids []int64) (any, error) {
				r, err := s.ReportKindCounts(ctx, ids, []string{"patrol", "good_deed", "model"}, from, to)
				slices.SortFunc(r, func(a, b store.KindCount) int {
					return cmp.Or(cmp.Compare(a.TeamID, b.TeamID), strings.Compare(a.Kind, b.Kind))
				})
				return r, err
			}},
			{"team spans", func(ids []int64) (any, error) {
				r, err := s.ReportTeamSpans(ctx, ids, "good_deed", spans)
				return spanMap(r), err
			}},
			{"active reporters", func(ids []int64) (any, error) {
				r, err := s.ReportActiveReporters(ctx, ids, "patrol", spans)
				return spanMap(r), err
			}},
			{"team sizes", func(ids []int64) (any, error) { return s.ReportTeamSizes(ctx, ids) }},
			{"models", func(ids []int64) (any, error) { return s.ReportModelsRecognised(ctx, ids, "model", from, to) }},
			{"member counts", func(ids []int64) (any, error) {
				r, err := s.ReportMemberCounts(ctx, ids, from, to, spans)
				slices.SortFunc(r, func(a, b store.MemberCount) int {
					return cmp.Or(cmp.Compare(a.PersonID, b.PersonID), strings.Compare(a.Kind, b.Kind))
				})
				return r, err
			}},
			{"rows", func(ids []int64) (any, error) {
				r, err := s.ReportRows(ctx, ids, from, to, false, 0)
				return len(r), err
			}},
			{"figures", func(ids []int64) (any, error) {
				r, err := s.ReportFigures(ctx, ids, []string{"tips_received_total"}, spans)
				return len(r), err
			}},
			{"incidents", func(ids []int64) (any, error) {
				r, err := s.IncidentsWithPresence(ctx, ids, []string{store.IncidentANTT, store.IncidentFire}, from, to)
				slices.SortFunc(r, func(a, b store.IncidentCount) int {
					return cmp.Or(cmp.Compare(a.CommuneID, b.CommuneID), strings.Compare(a.Kind, b.Kind))
				})
				return r, err
			}},
		} {
			a, err := q.run(small)
			must(t, q.name, err)
			b, err := q.run(big)
			must(t, q.name+" (big set)", err)
			if !reflect.DeepEqual(a, b) {
				t.Errorf("%s: %d units give %v, padded to %d give %v", q.name, len(small), a, len(big), b)
			}
			if none, err := q.run(nil); err != nil || (!reflect.ValueOf(none).IsZero() && reflect.ValueOf(none).Len() != 0) {
				t.Errorf("%s: no units gives %v, %v", q.name, none, err)
			}
		}

		if _, err := s.GenerateProvince(ctx, spec); !errors.Is(err, store.ErrInvalid) {
			t.Fatalf("second generation with the same name = %v, want ErrInvalid", err)
		}
	})
}
