package report

import (
	"bytes"
	"fmt"
	"image/color"
	"math"

	stdfont "golang.org/x/image/font"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/anttbot/anttbot/campaign"
)

// ChartWidth is the width of a chart in pixels.
const ChartWidth = 1200

// Chart geometry, in pixels at chartDPI.
const (
	chartDPI    = 96
	chartTop    = 150 // title, legend and axis
	chartHeader = 84  // title and legend above the plot
	chartPerRow = 46  // one bar per target
	// chartMax is where bars stop: 120% of a target.
	chartMax = 120
)

// ChartHeight is the height in pixels of the chart of a campaign with n
// targets.
func ChartHeight(n int) int { return chartTop + chartPerRow*max(n, 1) }

// px converts pixels to plot lengths at chartDPI.
func px(n float64) vg.Length { return vg.Length(n) * vg.Inch / chartDPI }

// The chart's fonts: Liberation Sans, embedded by gonum/plot, which covers
// Vietnamese (precomposed Latin Extended Additional, U+1EA0–U+1EF9, and
// ă â đ ê ô ơ ư); TestChartFontCoversVietnamese checks the glyphs.
var (
	chartFont     = font.Font{Typeface: "Liberation", Variant: "Sans"}
	chartFontBold = font.Font{Typeface: "Liberation", Variant: "Sans", Weight: stdfont.WeightBold}
)

// stateColors colour the bars by state.
var stateColors = map[State]color.Color{
	StateMet:           color.RGBA{R: 0x2e, G: 0x7d, B: 0x32, A: 0xff},
	StateNotYet:        color.RGBA{R: 0xf9, G: 0xa8, B: 0x25, A: 0xff},
	StateMissed:        color.RGBA{R: 0xc6, G: 0x28, B: 0x28, A: 0xff},
	StateNotMeasurable: color.RGBA{R: 0x9e, G: 0x9e, B: 0x9e, A: 0xff},
}

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
// target, its length the attainment (see Attainment) against a line at
// 100% of the target, coloured by state and labelled with the value and
// the threshold. Every label is Vietnamese (or English) text in an
// embedded font, so diacritics render without system fonts.
func RenderPNG(sc Scorecard, lang string, tr Translator) ([]byte, error) {
	n := len(sc.Results)
	p := plot.New()
	p.X.Label.Text = tr.T(lang, "report.chart.axis")
	p.X.Label.TextStyle.Font = font.From(chartFont, 12)
	p.X.Tick.Label.Font = font.From(chartFont, 11)
	p.Y.Tick.Label.Font = font.From(chartFont, 12)
	// Room right of the longest bar for its label.
	p.X.Min, p.X.Max = 0, chartMax+30
	p.X.Tick.Marker = plot.ConstantTicks(percentTicks())

	names := make([]string, n)
	b := bars{width: px(chartPerRow * 0.6)}
	var xys plotter.XYs
	var labels []string
	for i, r := range sc.Results {
		y := float64(n - 1 - i) // first target on top
		names[n-1-i] = chartRowName(sc, lang, tr, r)
		a := Attainment(r)
		b.vals = append(b.vals, bar{y: y, x: a, c: stateColors[r.State]})
		xys = append(xys, plotter.XY{X: a, Y: y})
		label := tr.T(lang, "report.chart.value", "Value", chartValue(lang, tr, r), "Target", targetThreshold(tr, lang, r.Target))
		if r.Aggregate {
			label = tr.T(lang, "report.chart.units_met", "Met", r.UnitsMet, "Units", r.Units, "Level", levelWord(tr, lang, r.UnitLevel))
		}
		labels = append(labels, label)
	}
	p.NominalY(names...)
	p.Add(plotter.NewGrid())
	p.Add(b)
	target := targetLine{x: 100}
	p.Add(target)
	lbl, err := plotter.NewLabels(plotter.XYLabels{XYs: xys, Labels: labels})
	if err != nil {
		return nil, fmt.Errorf("report: chart labels: %w", err)
	}
	for i := range lbl.TextStyle {
		lbl.TextStyle[i].Font = font.From(chartFont, 11)
		lbl.TextStyle[i].YAlign = draw.YCenter
	}
	lbl.Offset = vg.Point{X: px(6)}
	p.Add(lbl)

	c := vgimg.NewWith(vgimg.UseWH(px(ChartWidth), px(float64(ChartHeight(n)))), vgimg.UseDPI(chartDPI))
	dc := draw.New(c)
	drawHeader(dc, tr.T(lang, "report.chart.title", "Unit", chartUnitName(sc, lang, tr), "Period", periodLabel(tr, lang, sc.Period)), lang, tr)
	p.Draw(draw.Crop(dc, px(12), -px(16), px(6), -px(chartHeader)))
	var buf bytes.Buffer
	if _, err := (vgimg.PngCanvas{Canvas: c}).WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("report: encode chart: %w", err)
	}
	return buf.Bytes(), nil
}

func percentTicks() []plot.Tick {
	var ticks []plot.Tick
	for v := 0; v <= chartMax; v += 20 {
		ticks = append(ticks, plot.Tick{Value: float64(v), Label: fmt.Sprintf("%d%%", v)})
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

type bar struct {
	x, y float64
	c    color.Color
}

// bars draws one horizontal bar per target from 0 to its attainment.
type bars struct {
	vals  []bar
	width vg.Length
}

// Plot implements plot.Plotter.
func (b bars) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	for _, v := range b.vals {
		y := trY(v.y)
		x0, x1 := trX(0), trX(v.x)
		if x1-x0 < px(2) {
			x1 = x0 + px(2) // a sliver, so a zero still shows its colour
		}
		pts := []vg.Point{{X: x0, Y: y - b.width/2}, {X: x1, Y: y - b.width/2}, {X: x1, Y: y + b.width/2}, {X: x0, Y: y + b.width/2}}
		c.FillPolygon(v.c, c.ClipPolygonXY(pts))
	}
}

// DataRange implements plot.DataRanger: the bars span 0..chartMax.
func (b bars) DataRange() (xmin, xmax, ymin, ymax float64) {
	return 0, chartMax, -0.5, float64(len(b.vals)) - 0.5
}

// targetLine is the dashed line at 100% of every target.
type targetLine struct{ x float64 }

// Plot implements plot.Plotter.
func (l targetLine) Plot(c draw.Canvas, p *plot.Plot) {
	trX, _ := p.Transforms(&c)
	x := trX(l.x)
	sty := draw.LineStyle{Color: color.Gray{Y: 0x40}, Width: px(2), Dashes: []vg.Length{px(6), px(4)}}
	c.StrokeLine2(sty, x, c.Min.Y, x, c.Max.Y)
}

// drawHeader writes the title and, under it, a one-line legend of the
// state colours, centred above the plot.
func drawHeader(c draw.Canvas, title, lang string, tr Translator) {
	mid := (c.Min.X + c.Max.X) / 2
	titleStyle := text.Style{Color: color.Black, Font: font.From(chartFontBold, 16), Handler: plot.DefaultTextHandler,
		XAlign: draw.XCenter, YAlign: draw.YTop}
	c.FillText(titleStyle, vg.Point{X: mid, Y: c.Max.Y - px(12)}, title)

	legend := text.Style{Color: color.Black, Font: font.From(chartFont, 12), Handler: plot.DefaultTextHandler, YAlign: draw.YCenter}
	box, gap := px(14), px(6)
	states := []State{StateMet, StateNotYet, StateMissed, StateNotMeasurable}
	names := make([]string, len(states))
	var width vg.Length
	for i, s := range states {
		names[i] = tr.T(lang, "report.state."+string(s))
		width += box + gap + legend.Width(names[i]) + px(24)
	}
	x, y := mid-width/2, c.Max.Y-px(56)
	for i, s := range states {
		c.FillPolygon(stateColors[s], []vg.Point{{X: x, Y: y - box/2}, {X: x + box, Y: y - box/2}, {X: x + box, Y: y + box/2}, {X: x, Y: y + box/2}})
		x += box + gap
		c.FillText(legend, vg.Point{X: x, Y: y}, names[i])
		x += legend.Width(names[i]) + px(24)
	}
}
