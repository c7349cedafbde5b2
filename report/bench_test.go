package report_test

import (
	"context"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/anttbot/anttbot/campaign"
	"github.com/anttbot/anttbot/report"
	"github.com/anttbot/anttbot/store"
	"github.com/anttbot/anttbot/store/storetest"
)

// BenchmarkProvince measures the scorecards of a province-sized deployment
// on PostgreSQL: 250 communes, 1,500 teams, 5,000 members and 500,000
// reports over the campaign year. It is heavy, so it runs only with
// ANTTBOT_BENCH_PROVINCE=1:
//
//	ANTTBOT_BENCH_PROVINCE=1 CI=true go test -run '^$' -bench . -benchtime 20x -v ./report/
func BenchmarkProvince(b *testing.B) {
	if os.Getenv("ANTTBOT_BENCH_PROVINCE") != "1" {
		b.Skip("set ANTTBOT_BENCH_PROVINCE=1 to generate a province and benchmark it on PostgreSQL")
	}
	ctx := context.Background()
	s := storetest.New(b, store.DriverPostgres)
	start := time.Now()
	g, err := s.GenerateProvince(ctx, provinceSpec(250, 1500, 5000, 500_000))
	must(b, "generate", err)
	b.Logf("generated %d communes, %d teams, %d people, %d reports in %s", g.Communes, g.Teams, g.People, g.Reports, time.Since(start).Round(time.Millisecond))

	camp := campaign.Default()
	p2, _ := camp.Phase("dot2")
	period := report.PhasePeriod(p2, ict)
	now := at(2025, 9, 1, 8, 0)
	cat := catalog(b)
	scorecard := func(b *testing.B, unit int64) report.Scorecard {
		sc, err := report.Compute(ctx, s, camp, unit, period, now, ict)
		must(b, "compute", err)
		return sc
	}
	workbook := func(b *testing.B, unit int64) int {
		sc := scorecard(b, unit)
		ranking, err := report.BuildRanking(ctx, s, sc)
		must(b, "rank", err)
		rows, total, err := report.Rows(ctx, s, sc, true)
		must(b, "rows", err)
		x, err := report.RenderXLSX(ctx, sc, ranking, rows, "vi", cat, report.XLSXOptions{CanSeeTips: true, RowsTotal: total})
		must(b, "xlsx", err)
		return len(x)
	}
	// The median is reported too: this machine is shared, and one stall
	// of another process moves the mean of a few runs.
	timed := func(b *testing.B, unit int64) {
		var ds []time.Duration
		for b.Loop() {
			start := time.Now()
			scorecard(b, unit)
			ds = append(ds, time.Since(start))
		}
		slices.Sort(ds)
		b.ReportMetric(float64(ds[len(ds)/2])/float64(time.Millisecond), "p50-ms")
	}
	b.Run("province_scorecard", func(b *testing.B) { timed(b, g.Province.ID) })
	b.Run("commune_scorecard", func(b *testing.B) { timed(b, g.FirstCommune) })
	b.Run("team_scorecard", func(b *testing.B) { timed(b, g.FirstTeam) })
	b.Run("province_text", func(b *testing.B) {
		sc := scorecard(b, g.Province.ID)
		for b.Loop() {
			report.RenderText(sc, "vi", cat)
		}
	})
	b.Run("commune_png", func(b *testing.B) {
		sc := scorecard(b, g.FirstCommune)
		for b.Loop() {
			_, err := report.RenderPNG(sc, "vi", cat)
			must(b, "png", err)
		}
	})
	b.Run("commune_xlsx", func(b *testing.B) {
		var size int
		for b.Loop() {
			size = workbook(b, g.FirstCommune)
		}
		b.ReportMetric(float64(size)/1024, "KiB")
	})
	b.Run("province_xlsx", func(b *testing.B) {
		var size int
		for b.Loop() {
			size = workbook(b, g.Province.ID)
		}
		b.ReportMetric(float64(size)/1024, "KiB")
	})
}
