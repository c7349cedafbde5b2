package report

import (
	"strings"
	"unicode/utf16"

	"github.com/anttbot/anttbot/campaign"
	"github.com/anttbot/anttbot/store"
)

// MaxTextLen is the longest chat message, in UTF-16 code units as Telegram
// counts them (an emoji counts two).
const MaxTextLen = 4096

// RenderText writes a compact scorecard for a chat: a header, the tally, one
// line per target with ✅ ⏳ ❌ ❔ and the numbers behind it, grouped by
// content, and the top three teams. It stays under MaxTextLen even for a
// province: the line count depends on the campaign's targets, not on the
// number of units, and any overflow is cut at a line with a pointer to the
// spreadsheet.
func RenderText(sc Scorecard, lang string, tr Translator) string {
	var lines []string
	add := func(s string) { lines = append(lines, s) }

	add(tr.T(lang, "report.title"))
	name := sc.Unit.Name
	if sc.Commune != nil {
		name = tr.T(lang, "report.team_in_commune", "Team", sc.Unit.Name, "Commune", sc.Commune.Name)
	}
	add(tr.T(lang, "report.header", "Unit", name, "Period", periodLabel(tr, lang, sc.Period)))
	asOf := tr.T(lang, "report.as_of", "Date", formatDate(tr, lang, campaign.DateOf(sc.Now, sc.Location)))
	if !sc.Period.Over(sc.Now) {
		asOf += " · " + tr.T(lang, "report.running")
	}
	add(asOf)
	switch sc.Unit.Level {
	case store.LevelTeam:
		add(tr.T(lang, "report.size.team", "Members", formatNumber(lang, float64(sc.Members))))
	case store.LevelCommune:
		add(tr.T(lang, "report.size.commune", "Teams", formatNumber(lang, float64(len(sc.Teams))), "Members", formatNumber(lang, float64(sc.Members))))
	default:
		add(tr.T(lang, "report.size.above", "Communes", formatNumber(lang, float64(len(sc.Communes))),
			"Teams", formatNumber(lang, float64(len(sc.Teams))), "Members", formatNumber(lang, float64(sc.Members))))
	}
	if len(sc.Former) > 0 {
		names := make([]string, len(sc.Former))
		for i, u := range sc.Former {
			names[i] = u.Name
		}
		add(tr.T(lang, "report.includes_former", "Units", strings.Join(names, ", ")))
	}
	tally := sc.Tally()
	add(tr.T(lang, "report.tally", "Met", tally[StateMet], "NotYet", tally[StateNotYet], "Missed", tally[StateMissed],
		"NotMeasurable", tally[StateNotMeasurable]))
	kinds := kindCounts(sc, lang)
	if kinds != "" {
		kinds = " · " + kinds
	}
	add(tr.T(lang, "report.reports", "Total", formatNumber(lang, float64(sc.Total())), "Detail", kinds))

	content := ""
	for _, r := range sc.Results {
		if r.Target.Content != content {
			content = r.Target.Content
			add("")
			if c, ok := sc.Campaign.Content(content); ok {
				add(tr.T(lang, "report.content", "Number", c.Number, "Name", c.Name.In(lang)))
			}
		}
		name := metricName(tr, lang, r.Target)
		if sc.Commune != nil && r.Target.Scope != campaign.ScopeTeam {
			name += tr.T(lang, "report.commune_scope")
		}
		add(tr.T(lang, "report.line", "Icon", stateIcon(tr, lang, r.State), "Name", name,
			"Result", resultText(tr, lang, r), "Target", targetLabel(tr, lang, r.Target)))
	}
	if len(sc.Top) > 0 && sc.Unit.Level != store.LevelTeam {
		add("")
		add(tr.T(lang, "report.top.title"))
		for _, t := range sc.Top {
			add(topLine(sc, lang, tr, t))
		}
	}
	return fit(lines, tr.T(lang, "report.truncated"))
}

// topLine writes one leading team and what put it there.
func topLine(sc Scorecard, lang string, tr Translator, t TeamRank) string {
	share := 0.0
	if t.Card.Members > 0 {
		share = float64(t.Card.Patrolled) / float64(t.Card.Members) * 100
	}
	d := tr.T(lang, "report.top.detail", "Months", t.Card.GoodDeedMonths, "Of", t.Card.Months,
		"Patrol", formatNumber(lang, share), "Total", formatNumber(lang, float64(t.Card.Total())))
	if sc.Unit.Level != store.LevelCommune && t.CommuneName != "" {
		return tr.T(lang, "report.top.line_commune", "Rank", t.Rank, "Team", t.Card.Unit.Name, "Commune", t.CommuneName, "Detail", d)
	}
	return tr.T(lang, "report.top.line", "Rank", t.Rank, "Team", t.Card.Unit.Name, "Detail", d)
}

// kindCounts writes the verified reports by kind, e.g. "📢 12 · 🌟 30".
func kindCounts(sc Scorecard, lang string) string {
	var parts []string
	for _, k := range sc.Campaign.Kinds {
		if n := sc.Counts[k.ID]; n > 0 {
			parts = append(parts, k.Emoji+" "+formatNumber(lang, float64(n)))
		}
	}
	return strings.Join(parts, " · ")
}

// textLen is the length Telegram measures.
func textLen(s string) int { return len(utf16.Encode([]rune(s))) }

// fit joins lines, dropping the last ones (and adding more) when the text
// would be longer than MaxTextLen.
func fit(lines []string, more string) string {
	text := strings.Join(lines, "\n")
	if textLen(text) <= MaxTextLen {
		return text
	}
	for n := len(lines) - 1; n > 0; n-- {
		text = strings.Join(lines[:n], "\n") + "\n" + more
		if textLen(text) <= MaxTextLen {
			return text
		}
	}
	r := []rune(text)
	for textLen(string(r)) > MaxTextLen {
		r = r[:len(r)-1]
	}
	return string(r)
}
