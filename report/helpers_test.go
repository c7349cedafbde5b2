package report_test

import (
	"context"
	"encoding/json"
	"flag"
	"os"
	"testing"
	"time"

	"github.com/anttbot/anttbot/campaign"
	"github.com/anttbot/anttbot/locales"
	"github.com/anttbot/anttbot/report"
	"github.com/anttbot/anttbot/store"
	"github.com/anttbot/anttbot/store/storetest"
)

var update = flag.Bool("update", false, "rewrite testdata/chart.png")

var ict = mustLoc("Asia/Ho_Chi_Minh")

func mustLoc(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

// at is a local time in Asia/Ho_Chi_Minh.
func at(y int, m time.Month, d, hh, mm int) time.Time { return time.Date(y, m, d, hh, mm, 0, 0, ict) }

func ctxT(t testing.TB) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func must(t testing.TB, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func catalog(t testing.TB) *locales.Catalog {
	t.Helper()
	cat, err := locales.Load()
	must(t, "load locales", err)
	return cat
}

// forEachDriver runs fn on a fresh store of every driver.
func forEachDriver(t *testing.T, fn func(t *testing.T, s *store.Store)) {
	t.Helper()
	for _, d := range storetest.Drivers() {
		t.Run(d, func(t *testing.T) { fn(t, storetest.New(t, d)) })
	}
}

// fx is testdata/org.json in a store, with names for its units and people.
type fx struct {
	s                             *store.Store
	province, district            int64
	xaA, xaB, phuongC             int64
	thon1, thon2, thon3, thon4    int64
	khu5                          int64
	l1, d1, m1, m2, l2, m3, l4    int64
	m4, l5                        int64
	policeA, policeB, policeC     int64
	camp                          *campaign.Campaign
	dot1, dot2                    report.Period
	ids                           map[string]int64 // submissions by key
	idem                          int
	t                             testing.TB
	ctx                           context.Context
	nowAfter, nowDuring, nowDot1E time.Time
}

func loadFixture(t testing.TB, s *store.Store) *fx {
	t.Helper()
	ctx := ctxT(t)
	b, err := os.ReadFile("testdata/org.json")
	must(t, "read org", err)
	var rows []store.ImportRow
	must(t, "parse org", json.Unmarshal(b, &rows))
	_, err = s.ApplyImport(ctx, rows)
	must(t, "import org", err)
	f := &fx{s: s, t: t, ctx: ctx, camp: campaign.Default(), ids: map[string]int64{}}
	unit := func(code string) int64 {
		u, err := s.UnitByCode(ctx, code)
		must(t, "unit "+code, err)
		return u.ID
	}
	f.province = unit("tinh-thu-nghiem")
	f.district = unit("tinh-thu-nghiem/huyen-mot")
	f.xaA = unit("tinh-thu-nghiem/huyen-mot/xa-a")
	f.xaB = unit("tinh-thu-nghiem/huyen-mot/xa-b")
	f.phuongC = unit("tinh-thu-nghiem/phuong-c")
	f.thon1 = unit("tinh-thu-nghiem/huyen-mot/xa-a/thon-1")
	f.thon2 = unit("tinh-thu-nghiem/huyen-mot/xa-a/thon-2")
	f.thon4 = unit("tinh-thu-nghiem/huyen-mot/xa-b/thon-4")
	f.khu5 = unit("tinh-thu-nghiem/phuong-c/khu-dan-cu-so-5")
	// Thôn 3 exists but nobody was imported into it.
	t3, err := s.EnsureUnitPath(ctx, "Tỉnh Thử Nghiệm", "Huyện Một", "Xã A", "Thôn 3")
	must(t, "empty team", err)
	f.thon3 = t3.ID
	person := func(phone string) int64 {
		p, err := s.PersonByPhone(ctx, phone)
		must(t, "person", err)
		return p.ID
	}
	f.l1, f.d1, f.m1, f.m2 = person("+84920000001"), person("+84920000002"), person("+84920000003"), person("+84920000004")
	f.l2, f.m3, f.policeA = person("+84920000005"), person("+84920000006"), person("+84920000007")
	f.l4, f.m4, f.policeB = person("+84920000008"), person("+84920000009"), person("+84920000010")
	f.l5, f.policeC = person("+84920000011"), person("+84920000012")
	p1, _ := f.camp.Phase("dot1")
	p2, _ := f.camp.Phase("dot2")
	f.dot1, f.dot2 = report.PhasePeriod(p1, ict), report.PhasePeriod(p2, ict)
	f.nowAfter = at(2025, 9, 1, 8, 0)
	f.nowDuring = at(2025, 5, 15, 8, 0)
	return f
}

// report stores one submission made by a person of a team.
func (f *fx) report(key, kind, status string, team, reporter int64, when time.Time, answers store.JSONMap) int64 {
	f.t.Helper()
	return f.reportWithSource(key, kind, status, team, reporter, when, answers, "")
}

// reportWithSource stores a tip with its source.
func (f *fx) reportWithSource(key, kind, status string, team, reporter int64, when time.Time, answers store.JSONMap, source string) int64 {
	f.t.Helper()
	sub := &store.Submission{Kind: kind, Status: status, TeamID: team, ReporterID: reporter, OccurredAt: when,
		IdempotencyKey: key, Answers: answers}
	if status == store.StatusVerified || status == store.StatusRejected {
		now := when.Add(time.Hour)
		sub.VerifiedAt = &now
	}
	_, err := f.s.CreateSubmission(f.ctx, sub, source)
	must(f.t, "report "+key, err)
	f.ids[key] = sub.ID
	return sub.ID
}

func (f *fx) figure(unit int64, name string, p report.Period, v float64, police int64) {
	f.t.Helper()
	must(f.t, "figure "+name, f.s.SetPoliceFigure(f.ctx, store.PoliceFigure{UnitID: unit, Figure: name, PeriodStart: p.From, PeriodEnd: p.To, Value: v}, police))
}

func (f *fx) incident(commune int64, kind string, when time.Time, present map[int64]bool, police int64) int64 {
	f.t.Helper()
	in := store.Incident{CommuneID: commune, Kind: kind, OccurredAt: when, LoggedByID: &police}
	must(f.t, "incident", f.s.CreateIncident(f.ctx, &in))
	for person, confirmed := range present {
		var by *int64
		if confirmed {
			by = &police
		}
		_, err := f.s.RecordPresence(f.ctx, in.ID, person, nil, store.PresenceMember, by)
		must(f.t, "presence", err)
	}
	return in.ID
}

const (
	verified = store.StatusVerified
	pending  = store.StatusPending
	received = store.StatusReceived
	rejected = store.StatusRejected
)

// seedScenario writes the hand-built history the scorecard tests check. The
// expected numbers are written in the tests beside each target.
func seedScenario(t testing.TB, s *store.Store) *fx {
	t.Helper()
	f := loadFixture(t, s)
	c := f.camp
	_ = c
	// --- Tips (content 1) -----------------------------------------------------------
	f.reportWithSource("tip-a1", "tip", verified, f.thon1, f.m1, at(2025, 3, 10, 9, 0),
		store.JSONMap{"category": "drugs", "what": "Người lạ tụ tập sau chợ", "where": "Bãi đất sau chợ", "urgent": false}, "Bà bán nước đầu ngõ")
	f.report("tip-a2-last-minute", "tip", verified, f.thon2, f.m3, at(2025, 8, 19, 23, 59), nil) // last minute of Đợt 2: inside
	f.report("tip-a3-pending", "tip", pending, f.thon1, f.m2, at(2025, 3, 11, 9, 0), nil)
	f.report("tip-a4-rejected", "tip", rejected, f.thon1, f.m2, at(2025, 3, 12, 9, 0), nil)
	f.report("tip-a5-after", "tip", verified, f.thon1, f.m1, at(2025, 8, 20, 0, 0), nil)     // first minute after Đợt 2
	f.report("tip-a6-dot1-end", "tip", verified, f.thon1, f.m1, at(2025, 2, 3, 23, 59), nil) // last minute of Đợt 1
	f.report("tip-b1", "tip", verified, f.thon4, f.m4, at(2025, 4, 1, 9, 0), nil)
	// Xã A received 3 tips in Đợt 2: tip-a1, tip-a2 and tip-a4, which the
	// police received and could not verify (it still came through the force).
	f.figure(f.xaA, campaign.FigureTipsReceivedTotal, f.dot2, 3, f.policeA)
	f.figure(f.phuongC, campaign.FigureTipsReceivedTotal, f.dot2, 0, f.policeC)
	// Xã B never entered its tips total.

	// --- Incidents and call-outs (contents 1 and 3) ----------------------------------
	f.incident(f.xaA, store.IncidentANTT, at(2025, 3, 1, 21, 0), map[int64]bool{f.m1: true}, f.policeA)
	f.incident(f.xaA, store.IncidentANTT, at(2025, 4, 1, 21, 0), map[int64]bool{f.l2: true, f.m3: false}, f.policeA)
	f.incident(f.xaA, store.IncidentANTT, at(2025, 5, 1, 21, 0), map[int64]bool{f.m2: false}, f.policeA) // unconfirmed only
	f.incident(f.xaA, store.IncidentANTT, at(2024, 12, 1, 21, 0), nil, f.policeA)                        // Đợt 1
	f.incident(f.xaA, store.IncidentFire, at(2025, 6, 1, 3, 0), map[int64]bool{f.l1: true}, f.policeA)
	f.incident(f.phuongC, store.IncidentANTT, at(2025, 6, 2, 21, 0), map[int64]bool{f.l5: true}, f.policeC)

	// --- Models (content 2) -------------------------------------------------------------
	model := func(name string) store.JSONMap { return store.JSONMap{"model_name": name} }
	for _, m := range []struct {
		key, status string
		team, who   int64
		when        time.Time
		name        string
		recognised  bool
	}{
		{"model-a1", verified, f.thon1, f.l1, at(2024, 10, 1, 9, 0), "Camera an ninh", true}, // Đợt 1 counts for Đợt 2 too
		{"model-a2", verified, f.thon2, f.l2, at(2025, 3, 1, 9, 0), "Tổ tự quản", true},
		{"model-a3", received, f.thon1, f.d1, at(2025, 4, 1, 9, 0), "Khu dân cư an toàn", true}, // becomes verified
		{"model-a4", verified, f.thon2, f.m3, at(2025, 4, 2, 9, 0), "camera an ninh", true},     // same model as a1
		{"model-a5", verified, f.thon1, f.m1, at(2025, 5, 2, 9, 0), "Chưa ghi nhận", false},
		{"model-b1", verified, f.thon4, f.l4, at(2025, 3, 1, 9, 0), "Mô hình B", true},
	} {
		id := f.report(m.key, "model", m.status, m.team, m.who, m.when, model(m.name))
		if m.recognised {
			must(t, "recognise", s.MarkRecognised(f.ctx, id, f.policeA, m.when.Add(24*time.Hour)))
		}
	}

	// --- Police figures (contents 4, 5, 6, 7) -------------------------------------------
	for _, fg := range []struct {
		unit   int64
		name   string
		value  float64
		police int64
	}{
		{f.xaA, campaign.FigureViolatingBusinesses, 0, f.policeA},
		{f.xaA, campaign.FigureResidentInfoPercent, 95, f.policeA},
		{f.xaA, campaign.FigureIllegalWeapons, 0, f.policeA},
		{f.xaA, campaign.FigureReoffences, 0, f.policeA},
		{f.xaA, campaign.FigureReleasedTotal, 2, f.policeA},
		{f.xaA, campaign.FigureReleasedSupported, 1, f.policeA},
		{f.xaA, campaign.FigureSeriousAccidents, 0, f.policeA},
		// Xã A never entered member_violations.
		{f.xaB, campaign.FigureViolatingBusinesses, 1, f.policeB},
		{f.xaB, campaign.FigureResidentInfoPercent, 90, f.policeB},
		{f.xaB, campaign.FigureReleasedTotal, 0, f.policeB},
		{f.xaB, campaign.FigureReleasedSupported, 0, f.policeB},
	} {
		f.figure(fg.unit, fg.name, f.dot2, fg.value, fg.police)
	}

	// --- Patrols (content 6) ------------------------------------------------------------
	f.report("patrol-l1", "patrol", verified, f.thon1, f.l1, at(2025, 3, 2, 20, 0),
		store.JSONMap{"activity": "traffic", "hours": 2.5, "area": "Cổng trường"})
	f.report("patrol-d1", "patrol", verified, f.thon1, f.d1, at(2025, 3, 3, 20, 0), nil)
	f.report("patrol-m1", "patrol", verified, f.thon1, f.m1, at(2025, 7, 3, 20, 0), nil)
	f.report("patrol-m1-again", "patrol", verified, f.thon1, f.m1, at(2025, 7, 4, 20, 0), nil)
	f.report("patrol-m2-pending", "patrol", pending, f.thon1, f.m2, at(2025, 7, 5, 20, 0), nil)
	f.report("patrol-m2-dot1", "patrol", verified, f.thon1, f.m2, at(2024, 9, 5, 20, 0), nil) // Đợt 1 only
	f.report("patrol-l2", "patrol", verified, f.thon2, f.l2, at(2025, 3, 2, 20, 0), nil)
	f.report("patrol-m3", "patrol", verified, f.thon2, f.m3, at(2025, 3, 2, 20, 0), nil)
	f.report("patrol-l4", "patrol", verified, f.thon4, f.l4, at(2025, 3, 2, 20, 0), nil)
	f.report("patrol-l5", "patrol", verified, f.khu5, f.l5, at(2025, 3, 2, 20, 0), nil)

	// --- Good deeds (content 7): Đợt 2 has 7 months, 4–28/2 to 1–19/8 -------------------
	// Thôn 1: a verified deed every month but June, which has a commendation.
	for i, when := range []time.Time{at(2025, 2, 4, 0, 0), at(2025, 3, 15, 9, 0), at(2025, 4, 15, 9, 0), at(2025, 5, 15, 9, 0),
		at(2025, 7, 15, 9, 0), at(2025, 8, 19, 23, 59)} {
		f.report("deed-t1-"+string(rune('a'+i)), "good_deed", verified, f.thon1, []int64{f.m1, f.l1, f.d1}[i%3], when, nil)
	}
	f.report("deed-t1-jun-pending", "good_deed", pending, f.thon1, f.m2, at(2025, 6, 10, 9, 0), nil)
	f.figure(f.thon1, campaign.FigureCommendations, report.MonthPeriod(2025, time.June, ict), 1, f.policeA)
	// Thôn 2: February to July; August only a received (unverified) one.
	for i, m := range []time.Month{time.February, time.March, time.April, time.May, time.June, time.July} {
		f.report("deed-t2-"+string(rune('a'+i)), "good_deed", verified, f.thon2, f.m3, at(2025, m, 20, 9, 0), nil)
	}
	f.report("deed-t2-aug-received", "good_deed", received, f.thon2, f.m3, at(2025, 8, 5, 9, 0), nil)
	f.report("deed-t2-aug-rejected", "good_deed", rejected, f.thon2, f.l2, at(2025, 8, 6, 9, 0), nil)
	// Thôn 3 has nobody and no deeds; Thôn 4 one deed in Đợt 1 only.
	f.report("deed-t4-dot1", "good_deed", verified, f.thon4, f.l4, at(2024, 9, 1, 9, 0), nil)
	return f
}

func loadFixtureCampaign() *campaign.Campaign { return campaign.Default() }

// provinceSpec sizes a generated province over the built-in campaign's
// year: report kinds in realistic shares, 80% verified, every figure
// entered for every commune and phase except every 25th commune, three
// incidents per commune.
func provinceSpec(communes, teams, people, reports int) store.ProvinceSpec {
	camp := campaign.Default()
	whole, err := report.CampaignPeriod(camp, ict)
	if err != nil {
		panic(err)
	}
	var phases []store.PhaseSpan
	for _, p := range camp.Phases {
		phases = append(phases, store.PhaseSpan{ID: p.ID, Span: report.PhasePeriod(p, ict).Span()})
	}
	// Verified tips per commune and phase: reports × 15% tips × 80% verified.
	tips := max(1, reports*15/100*80/100/communes/len(phases))
	var figures []store.FigureGen
	for _, f := range camp.Figures() {
		g := store.FigureGen{Figure: f, Base: 0, Spread: 1}
		switch f {
		case campaign.FigureCommendations:
			continue
		case campaign.FigureTipsReceivedTotal:
			g = store.FigureGen{Figure: f, Base: tips * 100 / 95, Spread: tips * 30 / 100}
		case campaign.FigureResidentInfoPercent:
			g = store.FigureGen{Figure: f, Base: 85, Spread: 15}
		case campaign.FigureReleasedTotal:
			g = store.FigureGen{Figure: f, Base: 1, Spread: 3}
		case campaign.FigureReleasedSupported:
			g = store.FigureGen{Figure: f, Base: 1, Spread: 2}
		}
		figures = append(figures, g)
	}
	return store.ProvinceSpec{
		Name: "Tỉnh Đại Thử", Districts: max(1, communes/20), Communes: communes, Teams: teams, People: people, Reports: reports,
		From: whole.From, To: whole.To,
		Kinds: []store.KindWeight{
			{Kind: campaign.KindPatrol, Weight: 40}, {Kind: campaign.KindGoodDeed, Weight: 25}, {Kind: campaign.KindTip, Weight: 15},
			{Kind: campaign.KindResidentInfo, Weight: 8}, {Kind: campaign.KindReintegration, Weight: 5}, {Kind: campaign.KindPresence, Weight: 4},
			{Kind: campaign.KindFireRescue, Weight: 2}, {Kind: campaign.KindModel, Weight: 1},
		},
		VerifiedPercent: 80, ModelKind: campaign.KindModel, Phases: phases,
		Figures: figures, MissingEvery: 25, IncidentsPerCommune: 3,
	}
}

// forDriver returns another fresh store of the same driver.
func forDriver(t *testing.T, driver string) *store.Store { return storetest.New(t, driver) }
