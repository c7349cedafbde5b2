package police

import (
	"context"
	"slices"
	"strconv"
	"strings"

	"github.com/anttbot/anttbot/access"
	"github.com/anttbot/anttbot/bot"
	"github.com/anttbot/anttbot/campaign"
	"github.com/anttbot/anttbot/flows"
	"github.com/anttbot/anttbot/store"
)

// IncidentForm is an incident as the web console's form gives it: the
// answers /sukien asks one by one.
type IncidentForm struct {
	// Key makes a form posted twice log one incident (the form's nonce).
	Key         string
	Kind        string // store.Incident*
	Serious     bool   // traffic accidents only
	Date        string // YYYY-MM-DD
	Time        string // HH:MM, optional
	Place       string
	Description string
}

// IncidentKinds are the kinds of incident, in the order /sukien offers them.
func IncidentKinds() []string { return slices.Clone(incidentKinds) }

// LogIncident logs an incident for p from the console, through the very
// code that finishes /sukien (access check, the commune's members asked
// whether they were there, in one transaction). It returns what to tell p
// in lang; ok is false when the form was refused (an answer out of bounds,
// a refusal), with the reason in text.
func (t *Tools) LogIncident(ctx context.Context, p store.Person, lang string, f IncidentForm) (text string, ok bool, err error) {
	if err := t.policy.Check(ctx, p, access.LogIncident, access.Subject{UnitID: p.UnitID}); err != nil {
		text, err := t.refusalText(lang, err)
		return text, false, err
	}
	u, err := t.st.UnitByID(ctx, p.UnitID)
	if err != nil {
		return "", false, err
	}
	if u.Level != store.LevelCommune {
		return t.T(lang, "police.error.no_commune"), false, nil
	}
	now := t.now()
	place, desc := strings.TrimSpace(f.Place), strings.TrimSpace(f.Description)
	day, derr := campaign.ParseDate(strings.TrimSpace(f.Date))
	_, _, clockOK := parseClock(strings.TrimSpace(f.Time))
	switch {
	case !slices.Contains(incidentKinds, f.Kind):
		return t.T(lang, "police.console.incident.bad_kind"), false, nil
	case derr != nil || day.After(campaign.DateOf(now, t.opts.Location)):
		return t.T(lang, "police.console.incident.bad_date"), false, nil
	case strings.TrimSpace(f.Time) != "" && !clockOK:
		return t.T(lang, "police.console.incident.bad_time"), false, nil
	case place == "" || len([]rune(place)) > 200:
		return t.T(lang, "police.console.incident.bad_place", "Max", 200), false, nil
	case len([]rune(desc)) > 500:
		return t.T(lang, "police.console.incident.bad_desc", "Max", 500), false, nil
	}
	d := &flows.Draft{ID: "web-" + f.Key, Data: map[string]string{"commune": strconv.FormatInt(u.ID, 10)}, Answers: map[string]flows.Answer{
		"kind":  {Text: f.Kind, At: now},
		"date":  {Text: day.String(), At: now},
		"time":  {Text: strings.TrimSpace(f.Time), Skipped: strings.TrimSpace(f.Time) == "", At: now},
		"place": {Text: place, At: now},
		"desc":  {Text: desc, Skipped: desc == "", At: now},
	}}
	if f.Kind == store.IncidentTraffic {
		serious := f.Serious
		d.Answers["serious"] = flows.Answer{Yes: &serious, At: now}
	}
	c := flows.Call{Person: p, Lang: lang, Update: bot.Update{Channel: "web", ChatID: strconv.FormatInt(p.ID, 10)}}
	msgs, err := incidentTool{t}.Finish(ctx, c, d)
	if err != nil || len(msgs) == 0 {
		return "", false, err
	}
	// Finish keys the incident it logged by the draft, as for a retried chat update.
	_, kerr := t.st.GetKV(ctx, "police:incident:"+c.Update.Channel+":"+c.Update.ChatID+":"+d.ID)
	return msgs[0].Text, kerr == nil, nil
}

// RecentIncidents lists the latest incidents of p's commune, each in one
// line as /sukien ds shows them.
func (t *Tools) RecentIncidents(ctx context.Context, p store.Person, lang string, n int) ([]string, error) {
	if err := t.policy.Check(ctx, p, access.LogIncident, access.Subject{UnitID: p.UnitID}); err != nil {
		return nil, err
	}
	ins, err := t.st.IncidentsOf(ctx, p.UnitID, n)
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(ins))
	for _, in := range ins {
		out = append(out, "#"+strconv.FormatInt(in.ID, 10)+" · "+t.describe(in, lang))
	}
	return out, nil
}

// Today is today's date in the campaign's time zone (YYYY-MM-DD), the date
// an incident form starts with.
func (t *Tools) Today() string { return campaign.DateOf(t.now(), t.opts.Location).String() }

// FigureField is one police figure of the console's form for a phase.
type FigureField struct {
	Figure  string
	Label   string
	Ask     string
	Current string // the value entered so far, "" when never
	// Locked, when set, says the figure was entered per month and is
	// corrected there (in the chat); the form does not offer it.
	Locked string
	// Max is "100" for a percentage, "" when unbounded.
	Max string
}

// FiguresForm lists the commune figures of phase phaseID for p's commune,
// as /solieu asks them for a whole phase.
func (t *Tools) FiguresForm(ctx context.Context, p store.Person, lang, phaseID string) ([]FigureField, error) {
	d, problem, err := t.figuresDraft(ctx, p, phaseID)
	if err != nil || problem != "" {
		return nil, err
	}
	items, _ := figuresTool{t}.items(d, lang)
	out := make([]FigureField, 0, len(items))
	for _, it := range items {
		f := FigureField{Figure: it.figure, Label: it.label, Ask: it.ask, Current: it.current}
		if it.lock != "" {
			f.Locked = t.T(lang, "police.figures.locked_"+it.lock, "Label", it.label, "Value", it.sum)
		}
		if it.figure == campaign.FigureResidentInfoPercent {
			f.Max = "100"
		}
		out = append(out, f)
	}
	return out, nil
}

// SaveFigures saves the figures of phase phaseID typed into the console's
// form (figure → number; empty keeps the value) through the code that
// finishes /solieu (access check per figure, one transaction, every change
// audited by the store). ok is false when a value was refused, with why in text.
func (t *Tools) SaveFigures(ctx context.Context, p store.Person, lang, phaseID string, values map[string]string) (text string, ok bool, err error) {
	d, problem, err := t.figuresDraft(ctx, p, phaseID)
	if err != nil {
		return "", false, err
	}
	if problem != "" {
		return t.T(lang, problem), false, nil
	}
	items, _ := figuresTool{t}.items(d, lang)
	d.Answers = map[string]flows.Answer{}
	for _, it := range items {
		raw := strings.TrimSpace(values[it.figure])
		if raw == "" || it.lock != "" {
			continue
		}
		v, err := strconv.ParseFloat(strings.ReplaceAll(raw, ",", "."), 64)
		if err != nil || v < 0 || (it.figure == campaign.FigureResidentInfoPercent && v > 100) {
			return t.T(lang, "police.console.figures.bad_value", "Label", it.label, "Value", raw), false, nil
		}
		d.Answers[it.step] = flows.Answer{Number: &v, At: t.now()}
	}
	msgs, err := figuresTool{t}.Finish(ctx, flows.Call{Person: p, Lang: lang}, d)
	if err != nil || len(msgs) == 0 {
		return "", false, err
	}
	return msgs[0].Text, true, nil
}

// figuresDraft is the figures tool's draft of p's commune for a phase,
// after the access check; problem is a message key when there is none.
func (t *Tools) figuresDraft(ctx context.Context, p store.Person, phaseID string) (*flows.Draft, string, error) {
	if err := t.policy.Check(ctx, p, access.EnterFigures, access.Subject{UnitID: p.UnitID}); err != nil {
		return nil, "", err
	}
	u, err := t.st.UnitByID(ctx, p.UnitID)
	if err != nil {
		return nil, "", err
	}
	if u.Level != store.LevelCommune {
		return nil, "police.error.no_commune", nil
	}
	data, problem, err := t.communeFiguresData(ctx, u, phaseID, "")
	switch {
	case err != nil:
		return nil, "", err
	case problem == figuresNoPhase || problem == figuresBadMonth:
		return nil, "police.console.figures.no_phase", nil
	case problem != "":
		return nil, problem, nil
	}
	return &flows.Draft{ID: "web", Data: data}, "", nil
}
