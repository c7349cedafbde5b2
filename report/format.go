package report

import (
	"math"
	"strconv"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"

	"github.com/anttbot/anttbot/campaign"
	"github.com/anttbot/anttbot/store"
)

// Translator looks up user-facing text; *locales.Catalog implements it.
type Translator interface {
	T(lang, key string, args ...any) string
}

// fold lowers s, drops Vietnamese diacritics and blanks, and maps đ to d,
// so "Đợt 1", "dot 1" and "DOT1" compare equal.
func fold(s string) string {
	var b strings.Builder
	for _, r := range norm.NFD.String(s) {
		switch {
		case unicode.Is(unicode.Mn, r), unicode.IsSpace(r):
			continue
		case r == 'đ' || r == 'Đ':
			r = 'd'
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}

// separators returns the thousands and decimal separators of lang:
// Vietnamese writes 1.234,5, English 1,234.5.
func separators(lang string) (thousands, decimal string) {
	if lang == "en" {
		return ",", "."
	}
	return ".", ","
}

// formatNumber writes v with at most one decimal, grouped by thousands.
func formatNumber(lang string, v float64) string {
	thousands, decimal := separators(lang)
	v = math.Round(v*10) / 10
	neg := v < 0
	v = math.Abs(v)
	whole := math.Floor(v)
	frac := int(math.Round((v - whole) * 10))
	if frac == 10 {
		whole, frac = whole+1, 0
	}
	digits := strconv.FormatFloat(whole, 'f', 0, 64)
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i, d := range digits {
		if i > 0 && (len(digits)-i)%3 == 0 {
			b.WriteString(thousands)
		}
		b.WriteRune(d)
	}
	if frac != 0 {
		b.WriteString(decimal + strconv.Itoa(frac))
	}
	return b.String()
}

// formatDate writes a civil date with the language's layout.
func formatDate(tr Translator, lang string, d campaign.Date) string {
	return d.In(nil).Format(tr.T(lang, "report.date_layout"))
}

// periodLabel names the period, e.g. "Đợt 1 (19/08/2024 – 03/02/2025)".
func periodLabel(tr Translator, lang string, p Period) string {
	first, last := formatDate(tr, lang, p.First), formatDate(tr, lang, p.Last)
	switch p.Kind {
	case PeriodPhase:
		return tr.T(lang, "report.period.phase", "Name", p.Phase.Name.In(lang), "First", first, "Last", last)
	case PeriodMonth:
		return tr.T(lang, "report.period.month", "Month", int(p.First.Month), "Year", p.First.Year)
	case PeriodCampaign:
		return tr.T(lang, "report.period.campaign", "First", first, "Last", last)
	}
	return tr.T(lang, "report.period.range", "First", first, "Last", last)
}

// monthLabel names a month briefly, e.g. "3/2025".
func monthLabel(m Month) string {
	return strconv.Itoa(int(m.Month)) + "/" + strconv.Itoa(m.Year)
}

// stateKey is the locale key suffix of a state.
func stateIcon(tr Translator, lang string, s State) string {
	return tr.T(lang, "report.icon."+string(s))
}

// targetLabel writes the target's threshold, e.g. "chỉ tiêu ≥ 80%".
func targetLabel(tr Translator, lang string, t campaign.Target) string {
	v := formatNumber(lang, t.Threshold)
	if t.Unit == campaign.UnitPercent {
		v += "%"
	}
	op := map[string]string{campaign.OpGE: "ge", campaign.OpGT: "gt", campaign.OpEQ: "eq", campaign.OpLE: "le"}[t.Op]
	th := tr.T(lang, "report.op."+op, "Value", v)
	if t.Period == campaign.PeriodMonth {
		return tr.T(lang, "report.target_monthly", "Target", th)
	}
	return tr.T(lang, "report.target", "Target", th)
}

// metricName is the short name of a target's metric.
func metricName(tr Translator, lang string, t campaign.Target) string {
	return tr.T(lang, "report.metric."+t.Metric+".name")
}

// figureLabels names police figures, comma-separated.
func figureLabels(tr Translator, lang string, figures []string) string {
	names := make([]string, len(figures))
	for i, f := range figures {
		names[i] = tr.T(lang, "campaign.figure."+f+".label")
	}
	return strings.Join(names, ", ")
}

// levelWord is "xã" or "tổ" for the units an aggregate counts.
func levelWord(tr Translator, lang string, l store.Level) string {
	if l == store.LevelTeam {
		return tr.T(lang, "report.level.team")
	}
	return tr.T(lang, "report.level.commune")
}

// detail writes the numbers behind a result, e.g. "9/10 nguồn tin".
func detail(tr Translator, lang string, r Result) string {
	num, den := formatNumber(lang, r.Num), formatNumber(lang, r.Den)
	switch {
	case len(r.Months) > 0 || (r.Aggregate && r.Target.Period == campaign.PeriodMonth):
		key := "report.monthly"
		if r.Aggregate {
			key = "report.monthly_agg"
		}
		if r.Target.Metric == campaign.MetricTeamMonthlyGoodDeeds {
			key = "report.metric.team_monthly_good_deeds.detail"
			if r.Aggregate {
				key += "_agg"
			}
		}
		return tr.T(lang, key, "Num", num, "Den", den)
	}
	return tr.T(lang, "report.metric."+r.Target.Metric+".detail", "Num", num, "Den", den, "Present", formatNumber(lang, r.Present))
}

// resultText writes a result without its icon and name, e.g. "90% (9/10
// nguồn tin)" or "12/15 xã đạt (80%) · 1.234/1.500 nguồn tin".
func resultText(tr Translator, lang string, r Result) string {
	var s string
	switch {
	case r.Aggregate:
		s = tr.T(lang, "report.result.aggregate", "Met", r.UnitsMet, "Units", r.Units, "Level", levelWord(tr, lang, r.UnitLevel),
			"Value", formatNumber(lang, r.Value))
		if r.Units > r.UnitsNotMeasurable {
			s += " · " + detail(tr, lang, r)
		}
		if r.UnitsNotMeasurable > 0 {
			s += tr.T(lang, "report.result.aggregate_missing", "Count", r.UnitsNotMeasurable, "Level", levelWord(tr, lang, r.UnitLevel))
		}
	case r.State == StateNotMeasurable && len(r.Missing) > 0:
		s = missingText(tr, lang, r)
	case len(r.Months) > 0:
		s = detail(tr, lang, r)
	case r.Target.Unit == campaign.UnitPercent && r.HasDen:
		s = tr.T(lang, "report.result.percent", "Value", formatNumber(lang, r.Value), "Detail", detail(tr, lang, r))
	case r.Target.Unit == campaign.UnitPercent:
		s = formatNumber(lang, r.Value) + "%"
	default:
		s = detail(tr, lang, r)
	}
	if r.Note != "" {
		s += " · " + noteText(tr, lang, r)
	}
	if len(r.LeftOut) > 0 {
		s += " · " + leftOutText(tr, lang, r)
	}
	if r.Reported > 0 {
		s += " · " + tr.T(lang, "report.result.reported", "Count", formatNumber(lang, r.Reported))
	}
	return s
}

// leftOutText names the teams a result leaves out for having no member.
func leftOutText(tr Translator, lang string, r Result) string {
	return tr.T(lang, "report.result.left_out", "Teams", strings.Join(r.LeftOut, ", "))
}

// missingText names the police figures a result lacks and, when they were
// entered for part of the period, the months they leave out.
func missingText(tr Translator, lang string, r Result) string {
	s := tr.T(lang, "report.result.missing", "Figures", figureLabels(tr, lang, r.Missing))
	if m := MissingMonthsText(tr, lang, r); m != "" {
		s += " " + m
	}
	return s
}

// MissingMonthsText names the months a partly entered police figure leaves
// out, e.g. "(thiếu tháng 4/2025, 5/2025)", or "" when there are none.
func MissingMonthsText(tr Translator, lang string, r Result) string {
	if len(r.MissingMonths) == 0 {
		return ""
	}
	months := make([]string, len(r.MissingMonths))
	for i, m := range r.MissingMonths {
		months[i] = monthLabel(m)
	}
	return tr.T(lang, "report.result.missing_months", "Months", strings.Join(months, ", "))
}

// noteText explains a result's Note.
func noteText(tr Translator, lang string, r Result) string {
	return tr.T(lang, "report.note."+r.Note, "Entered", formatNumber(lang, r.Entered), "Logged", formatNumber(lang, r.Logged))
}
