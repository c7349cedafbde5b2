package web_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/anttbot/anttbot/access"
	"github.com/anttbot/anttbot/bot"
	"github.com/anttbot/anttbot/campaign"
	"github.com/anttbot/anttbot/flows"
	"github.com/anttbot/anttbot/locales"
	"github.com/anttbot/anttbot/police"
	"github.com/anttbot/anttbot/report"
	"github.com/anttbot/anttbot/session"
	"github.com/anttbot/anttbot/store"
	"github.com/anttbot/anttbot/store/storetest"
	"github.com/anttbot/anttbot/tips"
	"github.com/anttbot/anttbot/web"
)

type noSender struct{}

func (noSender) Send(context.Context, string, bot.Message) (bot.Sent, error) { return bot.Sent{}, nil }

// BenchmarkConsoleProvince measures the console's two busiest pages, the
// commune police officer's Tổng quan and Nguồn tin, served over HTTP (the
// whole handler: session, access check, queries, template) on a
// province-sized PostgreSQL database: 250 communes, 1,500 teams, 5,000
// members and 500,000 reports over the campaign year. It is heavy, so it
// runs only with ANTTBOT_BENCH_PROVINCE=1:
//
//	ANTTBOT_BENCH_PROVINCE=1 CI=true go test -run '^$' -bench . -benchtime 100x ./web/
func BenchmarkConsoleProvince(b *testing.B) {
	if os.Getenv("ANTTBOT_BENCH_PROVINCE") != "1" {
		b.Skip("set ANTTBOT_BENCH_PROVINCE=1 to generate a province and benchmark the console on PostgreSQL")
	}
	ctx := context.Background()
	st := storetest.New(b, store.DriverPostgres)
	camp := campaign.Default()
	loc, _ := time.LoadLocation("Asia/Ho_Chi_Minh")
	whole, err := report.CampaignPeriod(camp, loc)
	if err != nil {
		b.Fatal(err)
	}
	var phases []store.PhaseSpan
	for _, p := range camp.Phases {
		phases = append(phases, store.PhaseSpan{ID: p.ID, Span: report.PhasePeriod(p, loc).Span()})
	}
	g, err := st.GenerateProvince(ctx, store.ProvinceSpec{
		Name: "Tỉnh Đại Thử", Districts: 12, Communes: 250, Teams: 1500, People: 5000, Reports: 500_000,
		From: whole.From, To: whole.To,
		Kinds: []store.KindWeight{
			{Kind: campaign.KindPatrol, Weight: 40}, {Kind: campaign.KindGoodDeed, Weight: 25}, {Kind: campaign.KindTip, Weight: 15},
			{Kind: campaign.KindResidentInfo, Weight: 8}, {Kind: campaign.KindReintegration, Weight: 5}, {Kind: campaign.KindPresence, Weight: 4},
			{Kind: campaign.KindFireRescue, Weight: 2}, {Kind: campaign.KindModel, Weight: 1},
		},
		VerifiedPercent: 80, ModelKind: campaign.KindModel, Phases: phases, IncidentsPerCommune: 3,
	})
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("generated %d communes, %d teams, %d people, %d reports", g.Communes, g.Teams, g.People, g.Reports)

	cat, err := locales.Load()
	if err != nil {
		b.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	// The second phase is running: the dashboard's default period.
	now := func() time.Time { return time.Date(2025, 6, 15, 9, 0, 0, 0, loc) }
	pol := access.New(st, log, access.WithSensitiveKinds(campaign.KindTip))
	svc := flows.NewService(flows.Deps{Store: st, Sessions: session.NewMemory(), Sender: noSender{}, Text: cat, Campaign: camp, Log: log, Now: now},
		flows.Options{Location: loc})
	tp := tips.New(tips.Deps{Store: st, Policy: pol, Text: cat, Campaign: camp, Log: log, Now: now}, tips.Options{Location: loc})
	tools, err := police.Register(svc, police.Deps{Store: st, Policy: pol, Text: cat, Campaign: camp, Log: log, Now: now}, police.Options{Location: loc})
	if err != nil {
		b.Fatal(err)
	}
	srv, err := web.New(web.Deps{Store: st, Policy: pol, Tips: tp, Police: tools, Text: cat, Campaign: camp, Log: log, Now: now},
		web.Options{BaseURL: "http://console.test", Location: loc, SessionIdle: 24 * time.Hour, SessionMaxAge: 48 * time.Hour})
	if err != nil {
		b.Fatal(err)
	}
	officers, err := st.PoliceOf(ctx, g.FirstCommune, store.RoleCommunePolice)
	if err != nil || len(officers) == 0 {
		b.Fatalf("commune police of the first commune: %v %d", err, len(officers))
	}
	link, err := srv.SignInURL(ctx, officers[0])
	if err != nil {
		b.Fatal(err)
	}
	h := srv.Handler()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, strings.TrimPrefix(link, "http://console.test"), nil))
	cookies := rec.Result().Cookies()
	if len(cookies) == 0 {
		b.Fatalf("sign-in: %d %s", rec.Code, rec.Body)
	}

	page := func(b *testing.B, path string) {
		var ds []time.Duration
		for b.Loop() {
			req := httptest.NewRequest(http.MethodGet, path, nil)
			for _, c := range cookies {
				req.AddCookie(c)
			}
			w := httptest.NewRecorder()
			start := time.Now()
			h.ServeHTTP(w, req)
			ds = append(ds, time.Since(start))
			if w.Code != http.StatusOK {
				b.Fatalf("GET %s: %d", path, w.Code)
			}
		}
		slices.Sort(ds)
		b.ReportMetric(float64(ds[len(ds)/2])/float64(time.Millisecond), "p50-ms")
		b.ReportMetric(float64(ds[min(len(ds)-1, len(ds)*99/100)])/float64(time.Millisecond), "p99-ms")
	}
	if os.Getenv("ANTTBOT_BENCH_EXPLAIN") != "" {
		var plan []string
		st.DB().Raw(os.Getenv("ANTTBOT_BENCH_EXPLAIN"), g.FirstCommune).Scan(&plan)
		b.Log(strings.Join(plan, "\n"))
	}
	b.Run("store_inbox", func(b *testing.B) {
		for b.Loop() {
			if _, _, err := st.ReportList(ctx, store.ReportListFilter{UnitID: g.FirstCommune, Kinds: []string{campaign.KindTip}}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("commune_dashboard", func(b *testing.B) { page(b, "/web/") })
	b.Run("commune_tip_inbox", func(b *testing.B) { page(b, "/web/tips") })
	b.Run("commune_tip_inbox_open", func(b *testing.B) { page(b, "/web/tips?state=open&age=30d") })
}
