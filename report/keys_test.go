package report_test

import (
	"sync"
	"testing"

	"github.com/anttbot/anttbot/locales"
	"github.com/anttbot/anttbot/report"
	"github.com/anttbot/anttbot/store"
	"github.com/anttbot/anttbot/store/storetest"
)

// strict is the catalogue, failing the test on any key it lacks.
type strict struct {
	cat *locales.Catalog
	t   *testing.T
	mu  sync.Mutex
}

func (s *strict) T(lang, key string, args ...any) string {
	if !s.cat.Has(lang, key) {
		s.mu.Lock()
		s.t.Errorf("missing locale key %q in %s", key, lang)
		s.mu.Unlock()
	}
	return s.cat.T(lang, key, args...)
}

// TestEveryKeyExists renders every output for every kind of unit, in both
// languages, and fails on any key the catalogues do not have.
func TestEveryKeyExists(t *testing.T) {
	s := storetest.New(t, store.DriverSQLite)
	f := seedScenario(t, s)
	tr := &strict{cat: catalog(t), t: t}
	for _, unit := range []int64{f.thon2, f.xaA, f.district, f.province} {
		for _, now := range []bool{false, true} {
			when := f.nowAfter
			if now {
				when = f.nowDuring
			}
			sc, err := report.Compute(f.ctx, s, f.camp, unit, f.dot2, when, ict)
			must(t, "compute", err)
			ranking, err := report.BuildRanking(f.ctx, s, sc)
			must(t, "rank", err)
			rows, _, err := report.Rows(f.ctx, s, sc, true)
			must(t, "rows", err)
			for _, lang := range tr.cat.Langs() {
				report.RenderText(sc, lang, tr)
				_, err := report.RenderPNG(sc, lang, tr)
				must(t, "png", err)
				_, err = report.RenderXLSX(f.ctx, sc, ranking, rows, lang, tr, report.XLSXOptions{CanSeeTips: true, RowsTotal: len(rows) + 1})
				must(t, "xlsx", err)
			}
		}
	}
}
