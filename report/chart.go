package report

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"math"
	"strings"
	"sync"

	"codeberg.org/go-fonts/liberation/liberationsansbold"
	"codeberg.org/go-fonts/liberation/liberationsansregular"
	"golang.org/x/image/font"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/font/sfnt"
	"golang.org/x/image/math/fixed"
	"golang.org/x/text/unicode/norm"

	"github.com/anttbot/anttbot/campaign"
)

// ChartWidth is the width of a chart in pixels.
const ChartWidth = 1200

// Chart geometry, in pixels; font sizes are in points at chartDPI.
const (
	chartDPI    = 96
	chartTop    = 150 // title, legend and axis
	chartHeader = 84  // title and legend above the plot
	chartPerRow = 46  // one bar per target
	// chartMax is where bars stop: 120% of a target.
	chartMax = 120
	// chartXMax is the end of the x axis, leaving room right of the
	// longest bar for its label.
	chartXMax = chartMax + 30

	chartMargin     = 12   // left of the row labels
	chartRight      = 16   // right of the plot
	chartAxisBottom = 51   // from the x axis to the bottom of the chart
	chartAxisPad    = 9    // between the last row and the x axis
	chartLabelGap   = 10   // between a row label and its bar
	chartValueGap   = 6    // between a bar and its value label
	chartBarShare   = 0.6  // bar thickness, of a row
	chartLabelShare = 0.4  // widest row label, of the chart width
	chartTickLen    = 10   // tick marks under the x axis
	chartTitleLine  = 34   // baseline of the title
	chartLegendLine = 56   // middle of the legend
	chartTickLine   = 23   // baseline of the tick labels, below the axis
	chartAxisLine   = 41   // baseline of the axis caption, below the axis
	chartLegendBox  = 14   // legend colour squares
	chartTitleSize  = 16.0 // bold title
	chartTextSize   = 12.0 // legend, row labels, axis caption
	chartSmallSize  = 11.0 // values, tick labels
)

// ChartHeight is the height in pixels of the chart of a campaign with n
// targets.
func ChartHeight(n int) int { return chartTop + chartPerRow*max(n, 1) }

// The chart's fonts are Liberation Sans regular and bold, which cover
// Vietnamese (precomposed Latin Extended Additional, U+1EA0–U+1EF9, and
// ă â đ ê ô ơ ư); TestChartFontCoversVietnamese checks the glyphs. They
// are parsed on the first chart, not at start-up: most processes never
// draw one, and parsed fonts keep their pages resident.
var chartFonts struct {
	once          sync.Once
	regular, bold *opentype.Font
	err           error
}

// loadChartFonts parses the chart's fonts once and returns them.
func loadChartFonts() (regular, bold *opentype.Font, err error) {
	chartFonts.once.Do(func() {
		r, err := opentype.Parse(liberationsansregular.TTF)
		if err != nil {
			chartFonts.err = fmt.Errorf("report: chart font: %w", err)
			return
		}
		b, err := opentype.Parse(liberationsansbold.TTF)
		if err != nil {
			chartFonts.err = fmt.Errorf("report: chart bold font: %w", err)
			return
		}
		chartFonts.regular, chartFonts.bold = r, b
	})
	return chartFonts.regular, chartFonts.bold, chartFonts.err
}

// stateColors colour the bars by state.
var stateColors = map[State]color.Color{
	StateMet:           color.RGBA{R: 0x2e, G: 0x7d, B: 0x32, A: 0xff},
	StateNotYet:        color.RGBA{R: 0xf9, G: 0xa8, B: 0x25, A: 0xff},
	StateMissed:        color.RGBA{R: 0xc6, G: 0x28, B: 0x28, A: 0xff},
	StateNotMeasurable: color.RGBA{R: 0x9e, G: 0x9e, B: 0x9e, A: 0xff},
}

// Colours of the rest of the chart.
var (
	chartInk    = color.Black
	chartGrid   = color.Gray{Y: 0xd8}
	chartAxis   = color.Gray{Y: 0x70}
	chartTarget = color.Gray{Y: 0x40}
)

// Attainment returns how far a result is towards its target, in percent of
// the target, 0..120: a share of units meeting it above a commune, a
// value over its threshold for "at least" targets, 100 for a "0" target
// still at 0 and 0 once broken, months met over months for monthly ones.
func Attainment(r Result) float64 {
	t := r.Target
	var v float64
	switch {
	case r.State == StateNotMeasurable && !r.Aggregate:
		v = 0
	case r.Aggregate:
		v = r.Value
	case len(r.Months) > 0:
		if r.Den > 0 {
			v = r.Num / r.Den * 100
		}
	case t.Op == campaign.OpLE || (t.Op == campaign.OpEQ && t.Threshold == 0):
		if t.Met(r.Value) {
			v = 100
		}
	case t.Threshold > 0:
		v = r.Value / t.Threshold * 100
	default:
		v = r.Value
	}
	return math.Max(0, math.Min(chartMax, v))
}

// RenderPNG draws the scorecard as a horizontal bar chart: one bar per
// target, its length the attainment (see Attainment) against a dashed line
// at 100% of the target, coloured by state and labelled with the value and
// the threshold. Every label is Vietnamese (or English) text in an
// embedded font, so diacritics render without system fonts. The fonts are
// parsed on the first call.
func RenderPNG(sc Scorecard, lang string, tr Translator) ([]byte, error) {
	faces, err := newChartFaces()
	if err != nil {
		return nil, err
	}
	n := len(sc.Results)
	w, h := ChartWidth, ChartHeight(n)
	c := newCanvas(w, h)

	title := tr.T(lang, "report.chart.title", "Unit", chartUnitName(sc, lang, tr), "Period", periodLabel(tr, lang, sc.Period))
	c.text(faces.title, fitText(faces.title, title, float64(w-2*chartMargin)), float64(w)/2, chartTitleLine, alignCenter, chartInk)
	drawLegend(c, faces.text, float64(w)/2, chartLegendLine, lang, tr)

	// The row labels take the room they need left of the bars, up to
	// chartLabelShare of the width; longer ones are shortened.
	names := make([]string, n)
	labels := make([]string, n)
	widest := 0.0
	for i, r := range sc.Results {
		names[i] = chartRowName(sc, lang, tr, r)
		widest = max(widest, faces.text.width(names[i]))
		labels[i] = tr.T(lang, "report.chart.value", "Value", chartValue(lang, tr, r), "Target", targetThreshold(tr, lang, r.Target))
		if r.Aggregate {
			labels[i] = tr.T(lang, "report.chart.units_met", "Met", r.UnitsMet, "Units", r.Units, "Level", levelWord(tr, lang, r.UnitLevel))
		}
	}
	widest = min(widest, chartLabelShare*float64(w))

	// The plot: x from x0 (0%) to x1 (chartXMax), one row per target from
	// top down to the axis, the first target on top.
	x0, x1 := math.Round(chartMargin+widest+chartLabelGap), float64(w-chartRight)
	xAt := func(v float64) float64 { return x0 + v*(x1-x0)/chartXMax }
	top, axis := float64(chartHeader), float64(h-chartAxisBottom)
	rowHeight := (axis - chartAxisPad - top) / float64(max(n, 1))
	rowMid := func(i int) float64 { return top + (float64(i)+0.5)*rowHeight }
	ticks := percentTicks()

	// Grid: a light line through every row and at every tick.
	for i := range n {
		y := math.Floor(rowMid(i))
		c.rect(x0, y, x1+1, y+1, chartGrid)
	}
	for _, t := range ticks {
		x := math.Round(xAt(t.value))
		c.rect(x, top, x+1, axis, chartGrid)
	}

	// Bars, then the dashed line at 100% over them.
	half := chartPerRow * chartBarShare / 2
	for i, r := range sc.Results {
		y0 := math.Round(rowMid(i) - half)
		end := max(math.Round(xAt(Attainment(r))), x0+2) // a sliver, so a zero still shows its colour
		c.rect(x0, y0, end, y0+math.Round(2*half), stateColors[r.State])
	}
	target := math.Round(xAt(100))
	for y := top; y < axis; y += 10 {
		c.rect(target-1, y, target+1, min(y+6, axis), chartTarget)
	}

	// Labels: the row names right-aligned left of the bars, the values
	// right of them.
	for i, r := range sc.Results {
		y := rowMid(i)
		c.text(faces.text, fitText(faces.text, names[i], widest), x0-chartLabelGap, y+faces.text.capHeight/2, alignRight, chartInk)
		// A white box behind a value keeps the grid from striking it through.
		x := xAt(Attainment(r)) + chartValueGap
		label := fitText(faces.small, labels[i], float64(w)-4-x)
		baseline := math.Round(y + faces.small.capHeight/2)
		c.rect(x-3, baseline-faces.small.capHeight-1, x+faces.small.width(label)+3, baseline+1, color.White)
		c.text(faces.small, label, x, baseline, alignLeft, chartInk)
	}

	// The x axis: its line, ticks, tick labels and caption.
	c.rect(x0, axis, x1+1, axis+1, chartAxis)
	for _, t := range ticks {
		x := math.Round(xAt(t.value))
		c.rect(x, axis, x+1, axis+1+chartTickLen, chartAxis)
		c.text(faces.small, t.label, x+0.5, axis+chartTickLine, alignCenter, chartInk)
	}
	c.text(faces.text, tr.T(lang, "report.chart.axis"), (x0+x1)/2, axis+chartAxisLine, alignCenter, chartInk)

	var buf bytes.Buffer
	if err := (&png.Encoder{CompressionLevel: png.BestSpeed}).Encode(&buf, c.img); err != nil {
		return nil, fmt.Errorf("report: encode chart: %w", err)
	}
	return buf.Bytes(), nil
}

// drawLegend writes a one-line legend of the state colours centred on
// (mid, y): a square of each colour and the state's name.
func drawLegend(c canvas, f *chartFace, mid, y float64, lang string, tr Translator) {
	const box, gap, space = chartLegendBox, 6, 24
	states := []State{StateMet, StateNotYet, StateMissed, StateNotMeasurable}
	names := make([]string, len(states))
	width := float64(-space)
	for i, s := range states {
		names[i] = tr.T(lang, "report.state."+string(s))
		width += box + gap + f.width(names[i]) + space
	}
	x := mid - width/2
	for i, s := range states {
		c.rect(x, y-box/2, x+box, y+box/2, stateColors[s])
		x += box + gap
		c.text(f, names[i], x, y+f.capHeight/2, alignLeft, chartInk)
		x += f.width(names[i]) + space
	}
}

// chartTick is a labelled value on the x axis.
type chartTick struct {
	value float64
	label string
}

func percentTicks() []chartTick {
	var ticks []chartTick
	for v := 0; v <= chartMax; v += 20 {
		ticks = append(ticks, chartTick{value: float64(v), label: fmt.Sprintf("%d%%", v)})
	}
	return ticks
}

func chartUnitName(sc Scorecard, lang string, tr Translator) string {
	if sc.Commune != nil {
		return tr.T(lang, "report.team_in_commune", "Team", sc.Unit.Name, "Commune", sc.Commune.Name)
	}
	return sc.Unit.Name
}

// chartRowName labels a bar: the content number and the metric's short name.
func chartRowName(sc Scorecard, lang string, tr Translator, r Result) string {
	prefix := ""
	if c, ok := sc.Campaign.Content(r.Target.Content); ok {
		prefix = fmt.Sprintf("%d. ", c.Number)
	}
	return prefix + metricName(tr, lang, r.Target)
}

// chartValue is the short value on a bar: "85%", "2", "12/15 xã", "6/7".
func chartValue(lang string, tr Translator, r Result) string {
	switch {
	case r.State == StateNotMeasurable:
		return tr.T(lang, "report.state.not_measurable")
	case len(r.Months) > 0:
		return formatNumber(lang, r.Num) + "/" + formatNumber(lang, r.Den)
	case r.Target.Unit == campaign.UnitPercent:
		return formatNumber(lang, r.Value) + "%"
	}
	return formatNumber(lang, r.Value)
}

// targetThreshold is the threshold alone, e.g. "≥ 80%".
func targetThreshold(tr Translator, lang string, t campaign.Target) string {
	v := formatNumber(lang, t.Threshold)
	if t.Unit == campaign.UnitPercent {
		v += "%"
	}
	op := map[string]string{campaign.OpGE: "ge", campaign.OpGT: "gt", campaign.OpEQ: "eq", campaign.OpLE: "le"}[t.Op]
	return tr.T(lang, "report.op."+op, "Value", v)
}

// Horizontal alignments of text: the share of its width left of x.
const (
	alignLeft   = 0
	alignCenter = 0.5
	alignRight  = 1
)

// canvas is the chart's image, white to start with.
type canvas struct{ img *image.RGBA }

func newCanvas(w, h int) canvas {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.Draw(img, img.Bounds(), image.White, image.Point{}, draw.Src)
	return canvas{img: img}
}

// rect fills the rectangle from (x0, y0) to (x1, y1), rounded to whole
// pixels so edges stay sharp.
func (c canvas) rect(x0, y0, x1, y1 float64, col color.Color) {
	r := image.Rect(int(math.Round(x0)), int(math.Round(y0)), int(math.Round(x1)), int(math.Round(y1)))
	draw.Draw(c.img, r, image.NewUniform(col), image.Point{}, draw.Src)
}

// text writes s, anti-aliased, with its baseline at y (rounded to a whole
// pixel) and aligned on x.
func (c canvas) text(f *chartFace, s string, x, y, align float64, col color.Color) {
	s = norm.NFC.String(s)
	x -= align * f.width(s)
	d := font.Drawer{Dst: c.img, Src: image.NewUniform(col), Face: f,
		Dot: fixed.Point26_6{X: fixed.Int26_6(math.Round(x * 64)), Y: fixed.I(int(math.Round(y)))}}
	d.DrawString(s)
}

// fitText returns s, or s shortened with an ellipsis to fit in maxWidth.
func fitText(f *chartFace, s string, maxWidth float64) string {
	s = norm.NFC.String(s)
	if f.width(s) <= maxWidth {
		return s
	}
	rs := []rune(s)
	for len(rs) > 0 {
		rs = rs[:len(rs)-1]
		t := strings.TrimRight(string(rs), " ") + "…"
		if f.width(t) <= maxWidth {
			return t
		}
	}
	return ""
}

// chartFaces are the faces of one chart: a face is not safe for
// concurrent use, so every chart makes its own from the shared fonts.
type chartFaces struct {
	title, text, small *chartFace
}

func newChartFaces() (chartFaces, error) {
	regular, bold, err := loadChartFonts()
	if err != nil {
		return chartFaces{}, err
	}
	var fs chartFaces
	for _, f := range []struct {
		face **chartFace
		font *opentype.Font
		size float64
	}{{&fs.title, bold, chartTitleSize}, {&fs.text, regular, chartTextSize}, {&fs.small, regular, chartSmallSize}} {
		if *f.face, err = newChartFace(f.font, f.size); err != nil {
			return chartFaces{}, err
		}
	}
	return fs, nil
}

// chartFace is a font at one size. It kerns itself: opentype.Face.Kern
// scales kerning for a size of UnitsPerEm/64 pixels per em (32 for
// Liberation Sans) whatever the face's size, twice too much at 16 px.
type chartFace struct {
	font.Face
	font      *opentype.Font
	ppem      fixed.Int26_6
	buf       sfnt.Buffer
	capHeight float64 // in pixels
}

func newChartFace(f *opentype.Font, size float64) (*chartFace, error) {
	face, err := opentype.NewFace(f, &opentype.FaceOptions{Size: size, DPI: chartDPI, Hinting: font.HintingNone})
	if err != nil {
		return nil, fmt.Errorf("report: chart font face: %w", err)
	}
	return &chartFace{
		Face:      face,
		font:      f,
		ppem:      fixed.Int26_6(math.Round(size * chartDPI / 72 * 64)),
		capHeight: float64(face.Metrics().CapHeight) / 64,
	}, nil
}

// Kern implements font.Face.
func (f *chartFace) Kern(r0, r1 rune) fixed.Int26_6 {
	g0, err0 := f.font.GlyphIndex(&f.buf, r0)
	g1, err1 := f.font.GlyphIndex(&f.buf, r1)
	if err0 != nil || err1 != nil {
		return 0
	}
	k, err := f.font.Kern(&f.buf, g0, g1, f.ppem, font.HintingNone)
	if err != nil {
		return 0
	}
	return k
}

// width is the advance of s in pixels.
func (f *chartFace) width(s string) float64 {
	return float64(font.MeasureString(f, norm.NFC.String(s))) / 64
}
