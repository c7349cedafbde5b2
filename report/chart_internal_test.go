package report

import (
	"bytes"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/image/font"
	"golang.org/x/image/font/opentype"

	"github.com/anttbot/anttbot/campaign"
	"github.com/anttbot/anttbot/locales"
	"github.com/anttbot/anttbot/store"
)

// ChartFonts gives the external tests the fonts the chart draws with.
func ChartFonts() (regular, bold *opentype.Font, err error) { return loadChartFonts() }

// chartFontsParsedAtInit records whether the fonts were parsed while the
// package initialised. This init runs after every package variable and
// after the init functions of the package's own files.
var chartFontsParsedAtInit bool

func init() { chartFontsParsedAtInit = chartFonts.regular != nil || chartFonts.bold != nil }

// sampleScorecard is a scorecard of every default target, built without a
// store: the states cycle and the values climb from 0.
func sampleScorecard(t testing.TB) Scorecard {
	t.Helper()
	camp := campaign.Default()
	p, ok := camp.Phase("dot2")
	if !ok {
		t.Fatal("no phase dot2 in the default campaign")
	}
	states := []State{StateMet, StateNotYet, StateMissed, StateNotMeasurable}
	sc := Scorecard{Campaign: camp, Unit: store.Unit{Level: store.LevelCommune, Name: "Xã Thử Nghiệm"}, Period: PhasePeriod(p, time.UTC)}
	for i, target := range camp.Targets() {
		sc.Results = append(sc.Results, Result{Target: target, State: states[i%len(states)], Value: float64(i * 10)})
	}
	return sc
}

func chartCatalog(t testing.TB) *locales.Catalog {
	t.Helper()
	cat, err := locales.Load()
	if err != nil {
		t.Fatal(err)
	}
	return cat
}

// TestChartFontsParsedLazily checks that the fonts are not parsed at
// start-up, where their pages would stay resident in every process, but on
// the first chart.
func TestChartFontsParsedLazily(t *testing.T) {
	if chartFontsParsedAtInit {
		t.Fatal("the chart fonts were parsed at package init; parse them on the first RenderPNG")
	}
	if _, err := RenderPNG(sampleScorecard(t), "vi", chartCatalog(t)); err != nil {
		t.Fatal(err)
	}
	regular, bold, err := loadChartFonts()
	if err != nil || regular == nil || bold == nil {
		t.Fatalf("after a chart the fonts are %v, %v (%v), want both parsed", regular, bold, err)
	}
}

// TestRenderPNGConcurrent renders the same chart from several goroutines:
// faces are not safe for concurrent use, so each chart must have its own.
func TestRenderPNGConcurrent(t *testing.T) {
	sc, cat := sampleScorecard(t), chartCatalog(t)
	want, err := RenderPNG(sc, "vi", cat)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	got := make([][]byte, 8)
	errs := make([]error, len(got))
	for i := range got {
		wg.Go(func() { got[i], errs[i] = RenderPNG(sc, "vi", cat) })
	}
	wg.Wait()
	for i := range got {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		if !bytes.Equal(got[i], want) {
			t.Errorf("concurrent chart %d differs from the one drawn alone", i)
		}
	}
}

func TestChartFitText(t *testing.T) {
	faces, err := newChartFaces()
	if err != nil {
		t.Fatal(err)
	}
	f := faces.text
	short := "4. Cơ sở kinh doanh vi phạm"
	if got := fitText(f, short, 1000); got != short {
		t.Errorf("fitText(%q, 1000) = %q, want it whole", short, got)
	}
	long := strings.Repeat("Thành viên vi phạm, mắc tệ nạn ", 10)
	got := fitText(f, long, 300)
	if w := f.width(got); w > 300 || w < 250 || !strings.HasSuffix(got, "…") || !strings.HasPrefix(long, strings.TrimSuffix(got, "…")) {
		t.Errorf("fitText(long, 300) = %q (%.1f px), want a prefix with an ellipsis, 250..300 px", got, w)
	}
	// Decomposed input is composed, so the precomposed glyphs are used.
	if got := fitText(f, "Vie\u0302\u0323t", 1000); got != "Việt" {
		t.Errorf("fitText(decomposed) = %q, want %q", got, "Việt")
	}
}

// TestChartKerning checks that kerning scales with the size of the face
// (opentype.Face.Kern does not, see chartFace).
func TestChartKerning(t *testing.T) {
	regular, _, err := loadChartFonts()
	if err != nil {
		t.Fatal(err)
	}
	face := func(size float64) *chartFace {
		f, err := newChartFace(regular, size)
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	small, large := face(12).Kern('A', 'V'), face(24).Kern('A', 'V')
	if small >= 0 || large >= 0 {
		t.Fatalf("kerning of AV at 12 and 24 pt is %v and %v, want negative", small, large)
	}
	if d := large - 2*small; d < -2 || d > 2 {
		t.Errorf("kerning of AV is %v at 12 pt and %v at 24 pt, want twice as much", small, large)
	}
	// Measuring (and drawing) uses it.
	f := face(24)
	if got, want := font.MeasureString(f, "AV"), font.MeasureString(f, "A")+font.MeasureString(f, "V")+large; got != want {
		t.Errorf("width of AV is %v, want %v", got, want)
	}
}
