package report

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/anttbot/anttbot/campaign"
	"github.com/anttbot/anttbot/store"
)

// MaxXLSXRows caps the raw sheet of counted reports; a province's year
// would otherwise make a workbook too big to send. The sheet says when it
// was cut.
const MaxXLSXRows = 100_000

// XLSXOptions tune RenderXLSX.
type XLSXOptions struct {
	// CanSeeTips is set when the reader is in the police chain: only then
	// does the raw sheet show what a tip says, who gave it, and the answers
	// marked police-only. Others see the tip's date, place in the tree and
	// reporter only.
	CanSeeTips bool
	// RowsTotal is how many reports there were when rows was cut at
	// MaxXLSXRows (see Rows); 0 when rows is complete.
	RowsTotal int
}

// RowQuerier is what Rows reads; *store.Store implements it.
type RowQuerier interface {
	ReportRows(ctx context.Context, unitIDs []int64, from, to time.Time, withTipSources bool, limit int) ([]store.ReportRow, error)
}

// Rows loads the reports a scorecard counted, for the raw sheet: at most
// MaxXLSXRows, and total says how many there were when it cut them (0 when
// it did not). Tip sources are read only when canSeeTips.
func Rows(ctx context.Context, q RowQuerier, sc Scorecard, canSeeTips bool) (rows []store.ReportRow, total int, err error) {
	rows, err = q.ReportRows(ctx, sc.Subtree, sc.Period.From, sc.Period.To, canSeeTips, MaxXLSXRows+1)
	if err != nil {
		return nil, 0, fmt.Errorf("report: rows: %w", err)
	}
	if len(rows) > MaxXLSXRows {
		return rows[:MaxXLSXRows], int(sc.Total()), nil
	}
	return rows, 0, nil
}

// RenderXLSX writes the scorecard as a workbook laid out like the report an
// official sends upward: a summary sheet (unit, period, each content, its
// targets, the result and whether it is met), the commune targets per
// commune, the team targets per team, the good deeds per team and month,
// the rankings of teams, communes and members, and the counted reports.
// Headers are frozen, columns sized, dates are real dates.
func RenderXLSX(ctx context.Context, sc Scorecard, ranking Ranking, rows []store.ReportRow, lang string, tr Translator, opts XLSXOptions) ([]byte, error) {
	w, err := newWorkbook(sc, lang, tr)
	if err != nil {
		return nil, err
	}
	defer w.f.Close()
	steps := []func() error{
		w.summary,
		w.communes,
		w.teams,
		w.months,
		func() error { return w.teamRanking(ranking.Teams) },
		func() error { return w.communeRanking(ranking.Communes) },
		func() error { return w.memberRanking(ranking.Members) },
		func() error { return w.rows(ctx, rows, opts) },
	}
	for _, step := range steps {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("report: xlsx: %w", err)
		}
		if err := step(); err != nil {
			return nil, fmt.Errorf("report: xlsx: %w", err)
		}
	}
	w.f.SetActiveSheet(0)
	buf, err := w.f.WriteToBuffer()
	if err != nil {
		return nil, fmt.Errorf("report: xlsx: write: %w", err)
	}
	return buf.Bytes(), nil
}

// workbook is a workbook being written, with its styles.
type workbook struct {
	f     *excelize.File
	sc    Scorecard
	lang  string
	tr    Translator
	first bool // the default sheet is still unused

	title, bold, header, wrap, number, date, dateTime int
	states                                            map[State]int
}

func newWorkbook(sc Scorecard, lang string, tr Translator) (*workbook, error) {
	w := &workbook{f: excelize.NewFile(), sc: sc, lang: lang, tr: tr, first: true, states: map[State]int{}}
	border := []excelize.Border{{Type: "left", Color: "999999", Style: 1}, {Type: "right", Color: "999999", Style: 1},
		{Type: "top", Color: "999999", Style: 1}, {Type: "bottom", Color: "999999", Style: 1}}
	dateFmt := "dd/mm/yyyy"
	if lang == "en" {
		dateFmt = "yyyy-mm-dd"
	}
	numFmt := "#,##0.#"
	styles := []struct {
		dst *int
		s   *excelize.Style
	}{
		{&w.title, &excelize.Style{Font: &excelize.Font{Bold: true, Size: 14}}},
		{&w.bold, &excelize.Style{Font: &excelize.Font{Bold: true}, Alignment: &excelize.Alignment{WrapText: true, Vertical: "top"}}},
		{&w.header, &excelize.Style{Font: &excelize.Font{Bold: true}, Border: border,
			Fill:      excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"D9E1F2"}},
			Alignment: &excelize.Alignment{WrapText: true, Vertical: "center", Horizontal: "center"}}},
		{&w.wrap, &excelize.Style{Alignment: &excelize.Alignment{WrapText: true, Vertical: "top"}}},
		{&w.number, &excelize.Style{CustomNumFmt: &numFmt, Alignment: &excelize.Alignment{Vertical: "top"}}},
		{&w.date, &excelize.Style{CustomNumFmt: &dateFmt, Alignment: &excelize.Alignment{Vertical: "top"}}},
		{&w.dateTime, &excelize.Style{CustomNumFmt: ptr(dateFmt + " hh:mm"), Alignment: &excelize.Alignment{Vertical: "top"}}},
	}
	for _, st := range styles {
		id, err := w.f.NewStyle(st.s)
		if err != nil {
			return nil, fmt.Errorf("report: xlsx style: %w", err)
		}
		*st.dst = id
	}
	for s, c := range map[State]string{StateMet: "C6EFCE", StateNotYet: "FFEB9C", StateMissed: "FFC7CE", StateNotMeasurable: "EDEDED"} {
		id, err := w.f.NewStyle(&excelize.Style{Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{c}},
			Alignment: &excelize.Alignment{Vertical: "top", WrapText: true}})
		if err != nil {
			return nil, fmt.Errorf("report: xlsx style: %w", err)
		}
		w.states[s] = id
	}
	return w, nil
}

func ptr[T any](v T) *T { return &v }

// sheet creates (or, the first time, renames the default) sheet named by
// the locale key.
func (w *workbook) sheet(key string) (string, error) {
	name := w.tr.T(w.lang, key)
	if w.first {
		w.first = false
		if err := w.f.SetSheetName("Sheet1", name); err != nil {
			return "", err
		}
		return name, nil
	}
	if _, err := w.f.NewSheet(name); err != nil {
		return "", err
	}
	return name, nil
}

func (w *workbook) col(key string, args ...any) string {
	return w.tr.T(w.lang, "report.xlsx.col."+key, args...)
}

// table writes a header row at row and freezes the sheet above the data.
func (w *workbook) table(sheet string, row int, headers []string, widths []float64) error {
	cell, _ := excelize.CoordinatesToCellName(1, row)
	if err := w.f.SetSheetRow(sheet, cell, &headers); err != nil {
		return err
	}
	last, _ := excelize.CoordinatesToCellName(len(headers), row)
	if err := w.f.SetCellStyle(sheet, cell, last, w.header); err != nil {
		return err
	}
	for i, wd := range widths {
		c, _ := excelize.ColumnNumberToName(i + 1)
		if err := w.f.SetColWidth(sheet, c, c, wd); err != nil {
			return err
		}
	}
	top, _ := excelize.CoordinatesToCellName(1, row+1)
	return w.f.SetPanes(sheet, &excelize.Panes{Freeze: true, YSplit: row, TopLeftCell: top, ActivePane: "bottomLeft"})
}

// set writes one row of values from column 1 and styles its cells.
func (w *workbook) set(sheet string, row int, values []any, styles []int) error {
	for i, v := range values {
		cell, _ := excelize.CoordinatesToCellName(i+1, row)
		if v != nil {
			if err := w.f.SetCellValue(sheet, cell, v); err != nil {
				return err
			}
		}
		if i < len(styles) && styles[i] != 0 {
			if err := w.f.SetCellStyle(sheet, cell, cell, styles[i]); err != nil {
				return err
			}
		}
	}
	return nil
}

func (w *workbook) stateText(s State) string { return w.tr.T(w.lang, "report.state."+string(s)) }

// numOrNil is a number for a result cell, nil when there is none to show.
func numOrNil(ok bool, v float64) any {
	if !ok {
		return nil
	}
	return v
}

// localTime is t in the configured zone, which Excel then shows as is.
func (w *workbook) localTime(t time.Time) time.Time { return t.In(w.sc.Location) }

func (w *workbook) summary() error {
	sh, err := w.sheet("report.xlsx.sheet.summary")
	if err != nil {
		return err
	}
	sc, tr, lang := w.sc, w.tr, w.lang
	unit := sc.Unit.Name
	if sc.Commune != nil {
		unit = tr.T(lang, "report.team_in_commune", "Team", sc.Unit.Name, "Commune", sc.Commune.Name)
	}
	tally := sc.Tally()
	head := []string{
		tr.T(lang, "report.xlsx.title"),
		tr.T(lang, "report.xlsx.campaign", "Name", sc.Campaign.Name.In(lang)),
		tr.T(lang, "report.xlsx.unit", "Unit", unit),
		tr.T(lang, "report.xlsx.period", "Period", periodLabel(tr, lang, sc.Period)),
		tr.T(lang, "report.xlsx.as_of", "Date", formatDate(tr, lang, campaign.DateOf(sc.Now, sc.Location))),
		tr.T(lang, "report.tally", "Met", tally[StateMet], "NotYet", tally[StateNotYet], "Missed", tally[StateMissed], "NotMeasurable", tally[StateNotMeasurable]),
	}
	for i, h := range head {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := w.f.SetCellValue(sh, cell, h); err != nil {
			return err
		}
	}
	if err := w.f.SetCellStyle(sh, "A1", "A1", w.title); err != nil {
		return err
	}
	const headerRow = 8
	if err := w.table(sh, headerRow, []string{w.col("no"), w.col("target"), w.col("content"), w.col("threshold"), w.col("result"),
		w.col("num"), w.col("den"), w.col("state"), w.col("note")}, []float64{6, 34, 60, 12, 44, 11, 11, 16, 40}); err != nil {
		return err
	}
	row := headerRow + 1
	var (
		content campaign.Content
		n       int
	)
	for _, r := range sc.Results {
		if r.Target.Content != content.ID {
			content, _ = sc.Campaign.Content(r.Target.Content)
			n = 0
			// The content's row: its number, then its name across the table.
			if err := w.set(sh, row, []any{content.Number, content.Name.In(lang)}, []int{w.bold, w.bold}); err != nil {
				return err
			}
			if err := w.f.MergeCell(sh, cellName(2, row), cellName(9, row)); err != nil {
				return err
			}
			row++
		}
		n++
		note := ""
		if len(r.Missing) > 0 {
			note = missingText(tr, lang, r)
		} else if r.Note != "" {
			note = noteText(tr, lang, r)
		}
		if len(r.LeftOut) > 0 {
			note = strings.TrimPrefix(note+" · "+leftOutText(tr, lang, r), " · ")
		}
		measured := r.State != StateNotMeasurable || r.Aggregate
		values := []any{fmt.Sprintf("%d.%d", content.Number, n), metricName(tr, lang, r.Target), r.Target.Name.In(lang), targetThreshold(tr, lang, r.Target),
			resultText(tr, lang, r), numOrNil(measured, r.Num), numOrNil(measured && r.HasDen, r.Den), w.stateText(r.State), note}
		if err := w.set(sh, row, values, []int{w.wrap, w.wrap, w.wrap, w.wrap, w.wrap, w.number, w.number, w.states[r.State], w.wrap}); err != nil {
			return err
		}
		row++
	}
	return nil
}

func cellName(col, row int) string {
	c, _ := excelize.CoordinatesToCellName(col, row)
	return c
}

// communes writes every target for every commune: value and assessment.
func (w *workbook) communes() error {
	if len(w.sc.Communes) == 0 {
		return nil
	}
	sh, err := w.sheet("report.xlsx.sheet.communes")
	if err != nil {
		return err
	}
	headers := []string{w.col("no"), w.col("commune")}
	widths := []float64{6, 28}
	for _, t := range w.sc.Campaign.Targets() {
		name := metricName(w.tr, w.lang, t)
		headers = append(headers, name, name+": "+w.col("state"))
		widths = append(widths, 14, 16)
	}
	if err := w.table(sh, 1, headers, widths); err != nil {
		return err
	}
	for i, c := range w.sc.Communes {
		values := []any{i + 1, c.Unit.Name}
		styles := []int{0, w.wrap}
		for _, r := range c.Results {
			measured := r.State != StateNotMeasurable || r.Aggregate
			values = append(values, numOrNil(measured, r.Value), w.stateText(r.State))
			styles = append(styles, w.number, w.states[r.State])
		}
		if err := w.set(sh, i+2, values, styles); err != nil {
			return err
		}
	}
	return nil
}

// teams writes the team targets and achievements of every team.
func (w *workbook) teams() error {
	if len(w.sc.Teams) == 0 {
		return nil
	}
	sh, err := w.sheet("report.xlsx.sheet.teams")
	if err != nil {
		return err
	}
	headers := []string{w.col("no"), w.col("commune"), w.col("team"), w.col("members"), w.col("patrolled"),
		w.col("deed_months"), w.col("months"), w.col("commendations")}
	widths := []float64{6, 24, 28, 12, 12, 12, 10, 12}
	var teamTargets []campaign.Target
	for _, t := range w.sc.Campaign.Targets() {
		if t.Scope == campaign.ScopeTeam {
			teamTargets = append(teamTargets, t)
			name := metricName(w.tr, w.lang, t)
			headers = append(headers, name, name+": "+w.col("state"))
			widths = append(widths, 14, 16)
		}
	}
	headers = append(headers, w.col("total"))
	widths = append(widths, 12)
	for _, k := range w.sc.Campaign.Kinds {
		headers = append(headers, k.Name.In(w.lang))
		widths = append(widths, 12)
	}
	if err := w.table(sh, 1, headers, widths); err != nil {
		return err
	}
	for i, c := range w.sc.Teams {
		values := []any{i + 1, w.sc.unitName(c.CommuneID), c.Unit.Name, c.Members, c.Patrolled, c.GoodDeedMonths, c.Months, c.Commendations}
		styles := []int{0, w.wrap, w.wrap}
		for len(styles) < len(values) {
			styles = append(styles, w.number)
		}
		for _, t := range teamTargets {
			r := c.Results[indexOf(c.Results, t.ID)]
			values = append(values, r.Value, w.stateText(r.State))
			styles = append(styles, w.number, w.states[r.State])
		}
		values = append(values, c.Total())
		styles = append(styles, w.number)
		for _, k := range w.sc.Campaign.Kinds {
			values = append(values, c.Counts[k.ID])
			styles = append(styles, w.number)
		}
		if err := w.set(sh, i+2, values, styles); err != nil {
			return err
		}
	}
	return nil
}

// months writes good deeds plus commendations per team and month, coloured
// by the month's state.
func (w *workbook) months() error {
	if len(w.sc.Teams) == 0 {
		return nil
	}
	t, ok := findTarget(w.sc.Campaign, campaign.MetricTeamMonthlyGoodDeeds)
	if !ok {
		return nil
	}
	sh, err := w.sheet("report.xlsx.sheet.months")
	if err != nil {
		return err
	}
	months := w.sc.Months
	if months == nil {
		months = w.sc.Period.Months()
	}
	headers := []string{w.col("no"), w.col("commune"), w.col("team")}
	widths := []float64{6, 24, 28}
	for _, m := range months {
		headers = append(headers, w.col("month", "Month", monthLabel(m)))
		widths = append(widths, 11)
	}
	if err := w.table(sh, 1, headers, widths); err != nil {
		return err
	}
	for i, c := range w.sc.Teams {
		r := c.Results[indexOf(c.Results, t.ID)]
		values := []any{i + 1, w.sc.unitName(c.CommuneID), c.Unit.Name}
		styles := []int{0, w.wrap, w.wrap}
		for _, m := range r.Months {
			values = append(values, m.Value)
			styles = append(styles, w.states[m.State])
		}
		if err := w.set(sh, i+2, values, styles); err != nil {
			return err
		}
	}
	return nil
}

func findTarget(c *campaign.Campaign, metric string) (campaign.Target, bool) {
	for _, t := range c.Targets() {
		if t.Metric == metric {
			return t, true
		}
	}
	return campaign.Target{}, false
}

func (w *workbook) teamRanking(ranks []TeamRank) error {
	if len(ranks) == 0 {
		return nil
	}
	sh, err := w.sheet("report.xlsx.sheet.ranking")
	if err != nil {
		return err
	}
	headers := []string{w.col("rank"), w.col("team"), w.col("commune"), w.col("targets_met"), w.col("deed_months"), w.col("months"),
		w.col("members"), w.col("patrolled"), w.col("commendations"), w.col("total")}
	widths := []float64{7, 28, 24, 12, 12, 10, 12, 12, 12, 12}
	for _, k := range w.sc.Campaign.Kinds {
		headers = append(headers, k.Name.In(w.lang))
		widths = append(widths, 12)
	}
	if err := w.table(sh, 1, headers, widths); err != nil {
		return err
	}
	for i, r := range ranks {
		c := r.Card
		values := []any{r.Rank, c.Unit.Name, r.CommuneName, c.Met(), c.GoodDeedMonths, c.Months, c.Members, c.Patrolled, c.Commendations, c.Total()}
		for _, k := range w.sc.Campaign.Kinds {
			values = append(values, c.Counts[k.ID])
		}
		if err := w.set(sh, i+2, values, []int{0, w.wrap, w.wrap}); err != nil {
			return err
		}
	}
	return nil
}

func (w *workbook) communeRanking(ranks []CommuneRank) error {
	if len(ranks) < 2 {
		return nil
	}
	sh, err := w.sheet("report.xlsx.sheet.commune_ranking")
	if err != nil {
		return err
	}
	headers := []string{w.col("rank"), w.col("commune"), w.col("targets_met"), w.col("deed_months"), w.col("months"),
		w.col("members"), w.col("patrolled"), w.col("total")}
	if err := w.table(sh, 1, headers, []float64{7, 28, 12, 14, 12, 12, 12, 12}); err != nil {
		return err
	}
	for i, r := range ranks {
		c := r.Card
		values := []any{r.Rank, c.Unit.Name, c.Met(), c.GoodDeedMonths, c.Months, c.Members, c.Patrolled, c.Total()}
		if err := w.set(sh, i+2, values, []int{0, w.wrap}); err != nil {
			return err
		}
	}
	return nil
}

func (w *workbook) memberRanking(ranks []MemberRank) error {
	if len(ranks) == 0 {
		return nil
	}
	sh, err := w.sheet("report.xlsx.sheet.members")
	if err != nil {
		return err
	}
	headers := []string{w.col("rank"), w.col("name"), w.col("role"), w.col("team"), w.col("commune"), w.col("total"),
		w.col("deed_months"), w.col("months"), w.col("patrolled")}
	widths := []float64{7, 28, 12, 24, 24, 12, 12, 10, 12}
	for _, k := range w.sc.Campaign.Kinds {
		headers = append(headers, k.Name.In(w.lang))
		widths = append(widths, 12)
	}
	if err := w.table(sh, 1, headers, widths); err != nil {
		return err
	}
	yes := w.tr.T(w.lang, "report.xlsx.yes")
	for i, r := range ranks {
		patrolled := ""
		if r.Patrolled {
			patrolled = yes
		}
		values := []any{r.Rank, r.Person.Name, w.tr.T(w.lang, "report.role."+string(r.Person.Role)), r.TeamName, r.CommuneName, r.Total,
			r.GoodDeedMonths, r.Months, patrolled}
		for _, k := range w.sc.Campaign.Kinds {
			values = append(values, r.Counts[k.ID])
		}
		if err := w.set(sh, i+2, values, []int{0, w.wrap}); err != nil {
			return err
		}
	}
	return nil
}

// rows writes the counted reports with a stream writer (a province has
// many). Tips show their content and source only to the police chain.
func (w *workbook) rows(ctx context.Context, rows []store.ReportRow, opts XLSXOptions) error {
	name, err := w.sheet("report.xlsx.sheet.rows")
	if err != nil {
		return err
	}
	sw, err := w.f.NewStreamWriter(name)
	if err != nil {
		return err
	}
	headers := []string{w.col("id"), w.col("date"), w.col("kind"), w.col("commune"), w.col("team"), w.col("reporter"),
		w.col("verified_at"), w.col("urgent"), w.col("recognised"), w.col("summary")}
	widths := []float64{11, 17, 18, 24, 24, 26, 17, 8, 12, 70}
	if opts.CanSeeTips {
		headers = append(headers, w.col("source"))
		widths = append(widths, 30)
	}
	for i, wd := range widths {
		if err := sw.SetColWidth(i+1, i+1, wd); err != nil {
			return err
		}
	}
	// The header is row 1, or row 2 under a note when rows were cut. The
	// stream writer wants the panes before any row.
	first := 1
	if opts.RowsTotal > 0 {
		first = 2
	}
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: first, TopLeftCell: cellName(1, first+1), ActivePane: "bottomLeft"}); err != nil {
		return err
	}
	if opts.RowsTotal > 0 {
		note := w.tr.T(w.lang, "report.xlsx.rows_truncated", "Shown", formatNumber(w.lang, float64(len(rows))), "Total", formatNumber(w.lang, float64(opts.RowsTotal)))
		if err := sw.SetRow("A1", []any{excelize.Cell{StyleID: w.bold, Value: note}}); err != nil {
			return err
		}
	}
	hdr := make([]any, len(headers))
	for i, h := range headers {
		hdr[i] = excelize.Cell{StyleID: w.header, Value: h}
	}
	if err := sw.SetRow(cellName(1, first), hdr); err != nil {
		return err
	}
	names := map[int64]string{}
	for _, c := range w.sc.Communes {
		names[c.Unit.ID] = c.Unit.Name
	}
	for _, t := range w.sc.Teams {
		names[t.Unit.ID] = t.Unit.Name
	}
	kinds := map[string]campaign.ReportKind{}
	for _, k := range w.sc.Campaign.Kinds {
		kinds[k.ID] = k
	}
	yes, hidden := w.tr.T(w.lang, "report.xlsx.yes"), w.tr.T(w.lang, "report.xlsx.hidden")
	for i, r := range rows {
		if i%5000 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		k, known := kinds[r.Kind]
		kindName := r.Kind
		if known {
			kindName = k.Name.In(w.lang)
		}
		var verified, urgent, recognised any
		if r.VerifiedAt != nil {
			verified = excelize.Cell{StyleID: w.dateTime, Value: w.localTime(*r.VerifiedAt)}
		}
		if r.Urgent {
			urgent = yes
		}
		if r.RecognisedAt != nil {
			recognised = excelize.Cell{StyleID: w.date, Value: w.localTime(*r.RecognisedAt)}
		}
		summary := hidden
		if !known || !k.Sensitive || opts.CanSeeTips {
			summary = answerSummary(k, r.Answers, w.lang, opts.CanSeeTips)
		}
		values := []any{r.ID, excelize.Cell{StyleID: w.dateTime, Value: w.localTime(r.OccurredAt)}, kindName,
			names[r.CommuneID], names[r.TeamID], r.ReporterName, verified, urgent, recognised, summary}
		if opts.CanSeeTips {
			values = append(values, r.TipSource)
		}
		if err := sw.SetRow(cellName(1, first+1+i), values); err != nil {
			return err
		}
	}
	return sw.Flush()
}

// answerSummary writes a report's answers in question order: text as
// written, choices by their label, numbers; dates, photos, places and
// yes/no are in other columns or not needed. Police-only answers are left
// out unless the reader may see them.
func answerSummary(k campaign.ReportKind, answers store.JSONMap, lang string, police bool) string {
	var parts []string
	for _, q := range k.Questions {
		if q.PoliceOnly && !police {
			continue
		}
		v, ok := answers[q.ID]
		if !ok || v == nil {
			continue
		}
		switch q.Type {
		case campaign.QText:
			if s, ok := v.(string); ok && strings.TrimSpace(s) != "" {
				parts = append(parts, s)
			}
		case campaign.QChoice:
			if s, ok := v.(string); ok {
				if o, ok := q.Option(s); ok {
					s = o.Label.In(lang)
				}
				parts = append(parts, s)
			}
		case campaign.QNumber:
			if f, ok := v.(float64); ok {
				parts = append(parts, strconv.FormatFloat(f, 'f', -1, 64))
			}
		}
	}
	return strings.Join(slices.Clip(parts), " · ")
}
