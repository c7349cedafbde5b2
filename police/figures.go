package police

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/anttbot/anttbot/access"
	"github.com/anttbot/anttbot/bot"
	"github.com/anttbot/anttbot/campaign"
	"github.com/anttbot/anttbot/flows"
	"github.com/anttbot/anttbot/store"
)

// Arguments of /solieu that its buttons send.
const (
	figuresCommune = "xa" // /solieu xa <phase> [YYYY-MM]: the commune's figures for a phase or one of its months
	figuresMonths  = "th" // /solieu th <phase>: pick a month of the phase
	figuresCommend = "kt" // /solieu kt [YYYY-MM]: commendations per team for a calendar month
)

// Scopes of the figures tool.
const (
	scopeCommune = "commune"
	scopeTeam    = "team"
)

// Granularity locks: a commune figure entered for a whole phase is not
// offered per month, and one entered per month is not offered for the whole
// phase, so report never adds both.
const (
	lockPhase = "phase"
	lockMonth = "month"
)

// monthLayout is how a month travels in button data and drafts.
const monthLayout = "2006-01"

// maxPhasesListed bounds the phases /solieu offers, latest first.
const maxPhasesListed = 3

// maxMonthsListed bounds the months offered for commendations.
const maxMonthsListed = 6

// cmdFigures is /solieu: what to enter, or one of its buttons.
func (t *Tools) cmdFigures(ctx context.Context, c flows.Call) ([]bot.Message, error) {
	commune, msgs, err := t.policeCommune(ctx, c, access.EnterFigures)
	if msgs != nil || err != nil {
		return msgs, err
	}
	args := commandArgs(c.Args)
	if len(args) == 0 {
		return t.figuresMenu(c), nil
	}
	switch args[0] {
	case figuresCommune:
		if len(args) < 2 {
			break
		}
		month := ""
		if len(args) > 2 {
			month = args[2]
		}
		return t.startCommuneFigures(ctx, c, commune, args[1], month)
	case figuresMonths:
		if len(args) < 2 {
			break
		}
		return t.phaseMonths(c, args[1]), nil
	case figuresCommend:
		if len(args) < 2 {
			return t.commendationMonths(c), nil
		}
		return t.startCommendations(ctx, c, commune, args[1])
	}
	return t.figuresMenu(c), nil
}

// today is the local civil date now.
func (t *Tools) today() campaign.Date { return campaign.DateOf(t.now(), t.opts.Location) }

// startedPhases are the phases that have begun, latest first.
func (t *Tools) startedPhases() []campaign.Phase {
	today := t.today()
	var out []campaign.Phase
	for _, p := range t.camp.Phases {
		if !p.Start.After(today) {
			out = append(out, p)
		}
	}
	slices.Reverse(out)
	return out
}

// figuresMenu offers the periods to enter figures for.
func (t *Tools) figuresMenu(c flows.Call) []bot.Message {
	lang := c.Lang
	m := bot.Message{Text: t.T(lang, "police.figures.menu")}
	phases := t.startedPhases()
	if len(phases) > maxPhasesListed {
		phases = phases[:maxPhasesListed]
	}
	for _, p := range phases {
		name := p.Name.In(lang)
		m.Buttons = append(m.Buttons, []bot.Button{
			btn(t.T(lang, "police.figures.whole_phase", "Phase", name), cmdData(CmdFigures, figuresCommune, p.ID)),
			btn(t.T(lang, "police.figures.by_month", "Phase", name), cmdData(CmdFigures, figuresMonths, p.ID)),
		})
	}
	if len(phases) == 0 {
		m.Text += "\n" + t.T(lang, "police.figures.no_phase")
	}
	if slices.Contains(t.camp.Figures(), campaign.FigureCommendations) {
		m.Buttons = append(m.Buttons, []bot.Button{btn(t.T(lang, "police.figures.commendations"), cmdData(CmdFigures, figuresCommend))})
	}
	return []bot.Message{m}
}

// phaseMonths offers the months of a phase, up to this one, latest first.
func (t *Tools) phaseMonths(c flows.Call, phaseID string) []bot.Message {
	p, ok := t.camp.Phase(phaseID)
	if !ok {
		return t.figuresMenu(c)
	}
	lang := c.Lang
	last := p.End
	if today := t.today(); today.Before(last) {
		last = today
	}
	m := bot.Message{Text: t.T(lang, "police.figures.pick_month", "Phase", p.Name.In(lang))}
	for d := campaign.NewDate(last.Year, last.Month, 1); !d.Before(campaign.NewDate(p.Start.Year, p.Start.Month, 1)); d = campaign.NewDate(d.Year, d.Month-1, 1) {
		m.Buttons = append(m.Buttons, []bot.Button{btn(t.monthLabel(d.Year, d.Month, lang),
			cmdData(CmdFigures, figuresCommune, p.ID, fmt.Sprintf("%04d-%02d", d.Year, int(d.Month))))})
	}
	return []bot.Message{m}
}

// commendationMonths offers the calendar months to enter commendations for:
// the latest months up to today, within the campaign.
func (t *Tools) commendationMonths(c flows.Call) []bot.Message {
	lang := c.Lang
	first, last := t.today(), t.today()
	if len(t.camp.Phases) > 0 {
		first = t.camp.Phases[0].Start
		end := t.camp.Phases[0].End
		for _, p := range t.camp.Phases[1:] {
			if p.Start.Before(first) {
				first = p.Start
			}
			if p.End.After(end) {
				end = p.End
			}
		}
		if end.Before(last) {
			last = end
		}
	}
	m := bot.Message{Text: t.T(lang, "police.figures.pick_commend_month")}
	stop := campaign.NewDate(first.Year, first.Month, 1)
	d := campaign.NewDate(last.Year, last.Month, 1)
	for i := 0; i < maxMonthsListed && !d.Before(stop); i++ {
		m.Buttons = append(m.Buttons, []bot.Button{btn(t.monthLabel(d.Year, d.Month, lang),
			cmdData(CmdFigures, figuresCommend, fmt.Sprintf("%04d-%02d", d.Year, int(d.Month))))})
		d = campaign.NewDate(d.Year, d.Month-1, 1)
	}
	return []bot.Message{m}
}

// monthLabel names a month: "tháng 7/2025".
func (t *Tools) monthLabel(y int, m time.Month, lang string) string {
	return t.T(lang, "police.figures.month", "Month", int(m), "Year", y)
}

// monthSpan is the calendar month y-m in the local zone.
func (t *Tools) monthSpan(y int, m time.Month) store.Span {
	return store.Span{From: campaign.NewDate(y, m, 1).In(t.opts.Location), To: campaign.NewDate(y, m+1, 1).In(t.opts.Location)}
}

// communeFigures are the figures entered per commune: every figure the
// campaign needs but commendations, which are entered per team.
func (t *Tools) communeFigures() []string {
	return slices.DeleteFunc(t.camp.Figures(), func(f string) bool { return f == campaign.FigureCommendations })
}

// startCommuneFigures starts the figures tool for the commune and a phase,
// or a month of it (clipped to the phase).
func (t *Tools) startCommuneFigures(ctx context.Context, c flows.Call, commune store.Unit, phaseID, month string) ([]bot.Message, error) {
	data, problem, err := t.communeFiguresData(ctx, commune, phaseID, month)
	if err != nil {
		return nil, err
	}
	switch problem {
	case "":
	case figuresNoPhase:
		return t.figuresMenu(c), nil
	case figuresBadMonth:
		return t.phaseMonths(c, phaseID), nil
	default:
		return t.say(c.Lang, problem), nil
	}
	c.StartTool(toolFigures, data)
	return nil, nil
}

// What communeFiguresData can find wrong with what was asked.
const (
	figuresNoPhase  = "no_phase"
	figuresBadMonth = "bad_month"
)

// communeFiguresData is the figures tool's draft data for the commune and
// a phase or a month of it: the figures, their values so far, and those
// locked because they were entered the other way (per month or per phase).
// problem is figuresNoPhase, figuresBadMonth or a message key when there is
// nothing to ask.
func (t *Tools) communeFiguresData(ctx context.Context, commune store.Unit, phaseID, month string) (data map[string]string, problem string, err error) {
	p, ok := t.camp.Phase(phaseID)
	if !ok {
		return nil, figuresNoPhase, nil
	}
	phaseFrom, phaseTo := p.Bounds(t.opts.Location)
	from, to, period := phaseFrom, phaseTo, "phase:"+p.ID
	if month != "" {
		mt, err := time.Parse(monthLayout, month)
		if err != nil {
			return nil, figuresBadMonth, nil
		}
		sp := t.monthSpan(mt.Year(), mt.Month())
		from, to = later(sp.From, phaseFrom), earlier(sp.To, phaseTo)
		if !to.After(from) {
			return nil, figuresBadMonth, nil
		}
		period = "month:" + month + ":" + p.ID
	}
	figs := t.communeFigures()
	if len(figs) == 0 {
		return nil, "police.figures.none_needed", nil
	}
	entries, err := t.st.PoliceFigureEntries(ctx, []int64{commune.ID}, figs, phaseFrom, phaseTo)
	if err != nil {
		return nil, "", fmt.Errorf("police: figures of commune %d: %w", commune.ID, err)
	}
	data = map[string]string{
		"scope": scopeCommune, "unit": strconv.FormatInt(commune.ID, 10), "unit_name": commune.Name,
		"from": from.UTC().Format(time.RFC3339), "to": to.UTC().Format(time.RFC3339), "period": period,
		"figs": strings.Join(figs, ","),
	}
	sums := map[string]float64{}
	for _, e := range entries {
		exact := e.PeriodStart.Equal(from) && e.PeriodEnd.Equal(to)
		whole := e.PeriodStart.Equal(phaseFrom) && e.PeriodEnd.Equal(phaseTo)
		switch {
		case exact:
			data["cur."+e.Figure] = formatFigure(e.Value)
		case month != "" && whole:
			data["lock."+e.Figure] = lockPhase
			data["sum."+e.Figure] = formatFigure(e.Value)
		case month == "" && !whole:
			data["lock."+e.Figure] = lockMonth
			sums[e.Figure] += e.Value
			data["sum."+e.Figure] = formatFigure(sums[e.Figure])
		}
	}
	return data, "", nil
}

// startCommendations starts the figures tool for the commendations of
// every team of the commune in one calendar month.
func (t *Tools) startCommendations(ctx context.Context, c flows.Call, commune store.Unit, month string) ([]bot.Message, error) {
	mt, err := time.Parse(monthLayout, month)
	if err != nil {
		return t.commendationMonths(c), nil
	}
	teams, err := t.teamsOf(ctx, commune.ID)
	if err != nil {
		return nil, err
	}
	if len(teams) == 0 {
		return t.say(c.Lang, "police.figures.no_teams"), nil
	}
	sp := t.monthSpan(mt.Year(), mt.Month())
	ids := make([]string, len(teams))
	unitIDs := make([]int64, len(teams))
	data := map[string]string{
		"scope": scopeTeam, "unit": strconv.FormatInt(commune.ID, 10), "unit_name": commune.Name,
		"from": sp.From.UTC().Format(time.RFC3339), "to": sp.To.UTC().Format(time.RFC3339), "period": "month:" + month,
	}
	for i, u := range teams {
		ids[i], unitIDs[i] = strconv.FormatInt(u.ID, 10), u.ID
		data["team."+ids[i]] = u.Name
	}
	data["teams"] = strings.Join(ids, ",")
	entries, err := t.st.PoliceFigureEntries(ctx, unitIDs, []string{campaign.FigureCommendations}, sp.From, sp.To)
	if err != nil {
		return nil, fmt.Errorf("police: commendations in commune %d: %w", commune.ID, err)
	}
	for _, e := range entries {
		if e.PeriodStart.Equal(sp.From) && e.PeriodEnd.Equal(sp.To) {
			data["cur."+strconv.FormatInt(e.UnitID, 10)] = formatFigure(e.Value)
		}
	}
	c.StartTool(toolFigures, data)
	return nil, nil
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func earlier(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// formatFigure writes a figure for a draft.
func formatFigure(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

// figuresTool asks each figure of a period in turn, showing the value
// entered so far (skip keeps it), then saves what changed.
type figuresTool struct{ t *Tools }

func (f figuresTool) Label(lang string) string { return f.t.T(lang, "police.figures.label") }

// figureItem is one number the tool asks: a commune figure, or a team's
// commendations.
type figureItem struct {
	step    string // step ID
	unitID  int64
	figure  string
	label   string
	ask     string
	current string // "" when never entered
	lock    string
	sum     string
}

// items lists what the draft asks, in order, resolved for lang.
func (f figuresTool) items(d *flows.Draft, lang string) ([]figureItem, bool) {
	t := f.t
	period := t.periodLabel(d.Data["period"], lang)
	unit, _ := strconv.ParseInt(d.Data["unit"], 10, 64)
	var out []figureItem
	switch d.Data["scope"] {
	case scopeCommune:
		for _, fig := range strings.Split(d.Data["figs"], ",") {
			if fig == "" {
				continue
			}
			out = append(out, figureItem{step: fig, unitID: unit, figure: fig,
				label:   t.T(lang, "campaign.figure."+fig+".label"),
				ask:     t.T(lang, "campaign.figure."+fig+".ask", "Period", period),
				current: d.Data["cur."+fig], lock: d.Data["lock."+fig], sum: d.Data["sum."+fig]})
		}
	case scopeTeam:
		for _, id := range strings.Split(d.Data["teams"], ",") {
			teamID, err := strconv.ParseInt(id, 10, 64)
			if err != nil {
				continue
			}
			name := d.Data["team."+id]
			out = append(out, figureItem{step: "t" + id, unitID: teamID, figure: campaign.FigureCommendations,
				label:   name,
				ask:     t.T(lang, "campaign.figure."+campaign.FigureCommendations+".ask", "Period", period, "Team", name),
				current: d.Data["cur."+id]})
		}
	default:
		return nil, false
	}
	return out, len(out) > 0
}

// periodLabel names a draft's period: "Đợt 2", "tháng 7/2025".
func (t *Tools) periodLabel(period, lang string) string {
	parts := strings.Split(period, ":")
	switch {
	case len(parts) >= 2 && parts[0] == "phase":
		if p, ok := t.camp.Phase(parts[1]); ok {
			return p.Name.In(lang)
		}
	case len(parts) >= 2 && parts[0] == "month":
		if mt, err := time.Parse(monthLayout, parts[1]); err == nil {
			label := t.monthLabel(mt.Year(), mt.Month(), lang)
			if len(parts) >= 3 {
				if p, ok := t.camp.Phase(parts[2]); ok {
					label = t.T(lang, "police.figures.month_in_phase", "Month", label, "Phase", p.Name.In(lang))
				}
			}
			return label
		}
	}
	return period
}

func (f figuresTool) Steps(d *flows.Draft, lang string) ([]flows.Step, bool) {
	t := f.t
	items, ok := f.items(d, lang)
	if !ok {
		return nil, false
	}
	zero := 0.0
	total := 0
	for _, it := range items {
		if it.lock == "" {
			total++
		}
	}
	var sts []flows.Step
	for _, it := range items {
		if it.lock != "" {
			continue
		}
		prompt := t.T(lang, "police.figures.progress", "N", len(sts)+1, "Total", total, "Label", it.label) + "\n" + it.ask
		st := flows.Step{ID: it.step, Type: campaign.QNumber, Optional: true, Min: &zero, Prompt: prompt}
		if it.figure == campaign.FigureResidentInfoPercent {
			hundred := 100.0
			st.Max = &hundred
		}
		if it.current != "" {
			v, _ := strconv.ParseFloat(it.current, 64)
			st.Help = t.T(lang, "police.figures.current", "Value", formatNumber(v, lang))
		} else {
			st.Help = t.T(lang, "police.figures.not_entered")
		}
		sts = append(sts, st)
	}
	confirm := flows.Step{ID: "confirm", Type: flows.StepConfirm, Prompt: f.summary(d, items, lang)}
	return append(sts, confirm), true
}

// newValue is the value a step's answer sets, and whether it sets one.
func newValue(d *flows.Draft, step string) (float64, bool) {
	a, ok := d.Answers[step]
	if !ok || a.Skipped || a.Number == nil {
		return 0, false
	}
	return *a.Number, true
}

// summary lists every figure with its old and new value before saving.
func (f figuresTool) summary(d *flows.Draft, items []figureItem, lang string) string {
	t := f.t
	var b strings.Builder
	key := "police.figures.summary_title"
	if d.Data["scope"] == scopeTeam {
		key = "police.figures.summary_title_teams"
	}
	b.WriteString(t.T(lang, key, "Period", t.periodLabel(d.Data["period"], lang), "Unit", d.Data["unit_name"]))
	show := func(v string) string {
		if v == "" {
			return t.T(lang, "police.figures.blank")
		}
		n, _ := strconv.ParseFloat(v, 64)
		return formatNumber(n, lang)
	}
	for _, it := range items {
		b.WriteString("\n• ")
		var line string
		switch {
		case it.lock == lockPhase:
			line = t.T(lang, "police.figures.locked_phase", "Label", it.label, "Value", show(it.sum))
		case it.lock == lockMonth:
			line = t.T(lang, "police.figures.locked_month", "Label", it.label, "Value", show(it.sum))
		default:
			if v, ok := newValue(d, it.step); ok && formatFigure(v) != it.current {
				line = t.T(lang, "police.figures.change", "Label", it.label, "Old", show(it.current), "New", formatNumber(v, lang))
			} else {
				line = t.T(lang, "police.figures.keep", "Label", it.label, "Value", show(it.current))
			}
		}
		b.WriteString(line)
	}
	b.WriteString("\n\n")
	b.WriteString(t.T(lang, "police.figures.confirm"))
	return b.String()
}

func (f figuresTool) Finish(ctx context.Context, c flows.Call, d *flows.Draft) ([]bot.Message, error) {
	t := f.t
	items, ok := f.items(d, c.Lang)
	if !ok {
		return nil, fmt.Errorf("police: figures: unreadable draft")
	}
	from, err1 := time.Parse(time.RFC3339, d.Data["from"])
	to, err2 := time.Parse(time.RFC3339, d.Data["to"])
	if err1 != nil || err2 != nil {
		return nil, fmt.Errorf("police: figures: bad period in draft: %v %v", err1, err2)
	}
	type change struct {
		it figureItem
		v  float64
	}
	var changes []change
	for _, it := range items {
		if v, ok := newValue(d, it.step); ok && it.lock == "" && formatFigure(v) != it.current {
			changes = append(changes, change{it, v})
		}
	}
	if len(changes) == 0 {
		return t.say(c.Lang, "police.figures.nothing_changed"), nil
	}
	for _, ch := range changes {
		if err := t.policy.Check(ctx, c.Person, access.EnterFigures, access.Subject{UnitID: ch.it.unitID}); err != nil {
			return t.refusal(c.Lang, err)
		}
	}
	err := t.st.InTx(ctx, func(tx *store.Store) error {
		for _, ch := range changes {
			f := store.PoliceFigure{UnitID: ch.it.unitID, Figure: ch.it.figure, PeriodStart: from, PeriodEnd: to, Value: ch.v}
			if err := tx.SetPoliceFigure(ctx, f, c.Person.ID); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("police: save figures: %w", err)
	}
	var b strings.Builder
	b.WriteString(t.T(c.Lang, "police.figures.saved", "Count", len(changes), "Period", t.periodLabel(d.Data["period"], c.Lang)))
	for _, ch := range changes {
		b.WriteString("\n• ")
		b.WriteString(ch.it.label)
		b.WriteString(": ")
		b.WriteString(formatNumber(ch.v, c.Lang))
	}
	return []bot.Message{{Text: b.String()}}, nil
}
