package report_test

import (
	"bytes"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/image/font/sfnt"

	"github.com/anttbot/anttbot/report"
	"github.com/anttbot/anttbot/store"
	"github.com/anttbot/anttbot/store/storetest"
)

// TestChartFontCoversVietnamese checks that the chart's fonts have a glyph
// for every precomposed Vietnamese letter, and for the symbols of its
// labels, so no label shows a box.
func TestChartFontCoversVietnamese(t *testing.T) {
	letters := []rune("ĂăÂâĐđÊêÔôƠơƯưÀàÁáÃãÈèÉéÌìÍíĨĩÒòÓóÕõÙùÚúŨũÝý")
	for r := rune(0x1EA0); r <= 0x1EF9; r++ { // Latin Extended Additional: ạ ả ấ … ỹ
		letters = append(letters, r)
	}
	letters = append(letters, []rune("≥≤–—…%/")...) // thresholds, titles, shortened labels
	regular, bold, err := report.ChartFonts()
	must(t, "load the chart fonts", err)
	for name, f := range map[string]*sfnt.Font{"Liberation Sans": regular, "Liberation Sans Bold": bold} {
		var buf sfnt.Buffer
		for _, r := range letters {
			i, err := f.GlyphIndex(&buf, r)
			if err != nil || i == 0 {
				t.Errorf("%s has no glyph for %q (U+%04X)", name, r, r)
			}
		}
	}
}

func TestRenderPNG(t *testing.T) {
	s := storetest.New(t, store.DriverSQLite)
	f := seedScenario(t, s)
	cat := catalog(t)
	for _, tt := range []struct {
		name string
		unit int64
		lang string
		file string
	}{
		{name: "commune vi", unit: f.xaA, lang: "vi", file: "chart.png"},
		{name: "province en", unit: f.province, lang: "en"},
		{name: "team vi", unit: f.thon2, lang: "vi"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			sc, err := report.Compute(f.ctx, s, f.camp, tt.unit, f.dot2, f.nowAfter, ict)
			must(t, "compute", err)
			b, err := report.RenderPNG(sc, tt.lang, cat)
			must(t, "render", err)
			img, format, err := image.Decode(bytes.NewReader(b))
			must(t, "decode", err)
			want := image.Rect(0, 0, report.ChartWidth, report.ChartHeight(len(f.camp.Targets())))
			if format != "png" || img.Bounds() != want {
				t.Fatalf("chart is %s %v, want png %v", format, img.Bounds(), want)
			}
			// The bars are coloured: some pixel is the met green and some the missed red.
			colours := map[[3]uint32]bool{}
			bounds := img.Bounds()
			for y := bounds.Min.Y; y < bounds.Max.Y; y += 2 {
				for x := bounds.Min.X; x < bounds.Max.X; x += 2 {
					r, g, b, _ := img.At(x, y).RGBA()
					colours[[3]uint32{r >> 8, g >> 8, b >> 8}] = true
				}
			}
			for name, c := range map[string][3]uint32{"met": {0x2e, 0x7d, 0x32}, "missed": {0xc6, 0x28, 0x28}} {
				if !colours[c] {
					t.Errorf("no %s bar in the chart", name)
				}
			}
			if tt.file != "" {
				path := filepath.Join("testdata", tt.file)
				if *update {
					must(t, "write sample", os.WriteFile(path, b, 0o644))
				}
				if _, err := os.Stat(path); err != nil {
					t.Errorf("sample chart %s missing (run with -update): %v", path, err)
				}
			}
			_ = png.Decode
		})
	}
}

// BenchmarkRenderPNG draws the commune chart of the scenario, 13 targets.
func BenchmarkRenderPNG(b *testing.B) {
	s := storetest.New(b, store.DriverSQLite)
	f := seedScenario(b, s)
	cat := catalog(b)
	sc, err := report.Compute(f.ctx, s, f.camp, f.xaA, f.dot2, f.nowAfter, ict)
	must(b, "compute", err)
	var size int
	for b.Loop() {
		out, err := report.RenderPNG(sc, "vi", cat)
		must(b, "render", err)
		size = len(out)
	}
	b.ReportMetric(float64(size)/1024, "KiB")
}
