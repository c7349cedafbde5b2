package report

import "github.com/anttbot/anttbot/campaign"

// Line is one target of a scorecard written out for a page (the web
// console): the same words as the chat text's line, in separate fields.
type Line struct {
	// Content is "<number>. <name>" of the target's content, set on the
	// first target of each content and "" on the next ones.
	Content string
	State   State
	Icon    string // ✅ ⏳ ❌ ❔
	Name    string
	Result  string // the numbers behind the state
	Target  string // the target as a threshold, e.g. "≥ 80%"
	// Attainment is how far the result is towards the target, 0-100.
	Attainment float64
}

// Lines writes the scorecard's targets in plan order, as RenderText does.
func Lines(sc Scorecard, lang string, tr Translator) []Line {
	out := make([]Line, 0, len(sc.Results))
	content := ""
	for _, r := range sc.Results {
		l := Line{State: r.State, Icon: stateIcon(tr, lang, r.State), Name: metricName(tr, lang, r.Target),
			Result: resultText(tr, lang, r), Target: targetLabel(tr, lang, r.Target), Attainment: Attainment(r)}
		if sc.Commune != nil && r.Target.Scope != campaign.ScopeTeam {
			l.Name += tr.T(lang, "report.commune_scope")
		}
		if r.Target.Content != content {
			content = r.Target.Content
			if c, ok := sc.Campaign.Content(content); ok {
				l.Content = tr.T(lang, "report.content", "Number", c.Number, "Name", c.Name.In(lang))
			}
		}
		out = append(out, l)
	}
	return out
}

// PeriodLabel names a period the way the chat text does ("Đợt 1 (19/08/2024 – 03/02/2025)").
func PeriodLabel(p Period, lang string, tr Translator) string { return periodLabel(tr, lang, p) }

// FormatNumber writes a number the way the chat text does in lang.
func FormatNumber(v float64, lang string) string { return formatNumber(lang, v) }
