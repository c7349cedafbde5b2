package flows

import (
	"strconv"
	"strings"
	"time"

	"github.com/anttbot/anttbot/bot"
	"github.com/anttbot/anttbot/campaign"
)

// Translator looks up a user-facing message; *locales.Catalog implements it.
type Translator interface {
	T(lang, key string, args ...any) string
}

// Engine runs the steps of a flow. It does no I/O: each call takes the
// session, the input, the language and the time, changes the session and
// returns what to say.
type Engine struct {
	camp       *campaign.Campaign
	tr         Translator
	loc        *time.Location
	maxText    int
	maxAgeDays int
	// tools are the flows of other packages (see tool.go).
	tools map[string]Tool
}

// NewEngine returns an engine for the campaign; opts supply the zone and
// the limits (zero values take the Service's defaults).
func NewEngine(c *campaign.Campaign, tr Translator, opts Options) *Engine {
	opts = opts.withDefaults()
	return &Engine{camp: c, tr: tr, loc: opts.Location, maxText: opts.MaxTextLen, maxAgeDays: opts.MaxReportAgeDays}
}

// Outcome is what one engine call produced.
type Outcome struct {
	// Replies go to the chat in order.
	Replies []bot.Message
	// Toast is a short notice for the platform's button-tap acknowledgement.
	Toast string
	// Finished is the draft whose last step (the confirmation) was just
	// answered; the caller stores it and clears Session.Draft.
	Finished *Draft
}

func (o *Outcome) say(text string, buttons ...[]bot.Button) *bot.Message {
	o.Replies = append(o.Replies, bot.Message{Text: text, Buttons: buttons})
	return &o.Replies[len(o.Replies)-1]
}

// turn is one engine call's context.
type turn struct {
	e    *Engine
	lang string
	now  time.Time
}

// T translates key into the turn's language.
func (t *turn) T(key string, args ...any) string { return t.e.tr.T(t.lang, key, args...) }

// num formats a number the way the turn's language writes it.
func (t *turn) num(v float64) string { return formatNumber(v, t.lang) }

func (e *Engine) turn(lang string, now time.Time) *turn { return &turn{e: e, lang: lang, now: now} }

// steps returns the steps of the draft's flow in order, resolved for lang.
func (e *Engine) steps(d *Draft, lang string) ([]Step, bool) {
	t := e.turn(lang, time.Time{})
	switch d.Flow {
	case flowReport:
		out := []Step{e.kindStep(t)}
		if d.Kind == "" {
			return out, true
		}
		k, ok := e.camp.Kind(d.Kind)
		if !ok {
			return nil, false
		}
		for i, q := range k.Questions {
			if _, known := stepTypes[q.Type]; !known {
				return nil, false
			}
			out = append(out, fromQuestion(q, lang, i+1))
		}
		return append(out, Step{ID: stepIDConfirm, Type: stepConfirm}), true
	case flowInvite:
		return []Step{
			{ID: stepIDName, Type: "text", Prompt: t.T("flows.invite.ask_name"), MaxLen: 100, Number: 1},
			{ID: stepIDPhone, Type: stepPhone, Prompt: t.T("flows.invite.ask_phone"), Number: 2},
			{ID: stepIDConfirm, Type: stepConfirm},
		}, true
	}
	if tl, ok := e.tool(d.Flow); ok {
		return tl.Steps(d, lang)
	}
	return nil, false
}

// kindStep is the choice of report kind, generated from the campaign.
func (e *Engine) kindStep(t *turn) Step {
	st := Step{ID: stepIDKind, Type: campaign.QChoice, Prompt: t.T("flows.report.choose_kind")}
	var help []string
	for _, k := range e.camp.Kinds {
		label := kindLabel(k, t.lang)
		st.Options = append(st.Options, Choice{ID: k.ID, Label: label})
		if d := k.Description.In(t.lang); d != "" {
			help = append(help, label+": "+d)
		}
	}
	st.Help = strings.Join(help, "\n")
	return st
}

// kindLabel is a kind's button label: its emoji and name.
func kindLabel(k campaign.ReportKind, lang string) string {
	if k.Emoji == "" {
		return k.Name.In(lang)
	}
	return k.Emoji + " " + k.Name.In(lang)
}

// questionCount is how many numbered questions the flow of d has.
func questionCount(sts []Step) int {
	n := 0
	for _, st := range sts {
		if st.Number > n {
			n = st.Number
		}
	}
	return n
}

func indexOf(sts []Step, id string) int {
	for i, st := range sts {
		if st.ID == id {
			return i
		}
	}
	return -1
}

// StartReport begins a report draft for the session: with kindID it goes
// straight to that kind's first question, else it asks for the kind.
func (e *Engine) StartReport(s *Session, d *Draft, kindID, lang string, now time.Time) Outcome {
	d.Flow, d.Step, d.Started = flowReport, stepIDKind, now
	if _, ok := e.camp.Kind(kindID); ok {
		d.Kind = kindID
		d.Trail = []string{stepIDKind}
		sts, _ := e.steps(d, lang)
		d.Step = sts[1].ID
	}
	d.Seq = 1
	s.Draft = d
	var o Outcome
	e.ask(e.turn(lang, now), &o, d, nil)
	return o
}

// StartInvite begins the invite flow for the code.
func (e *Engine) StartInvite(s *Session, d *Draft, code, lang string, now time.Time) Outcome {
	d.Flow, d.Step, d.Started, d.Seq, d.Invite = flowInvite, stepIDName, now, 1, code
	s.Draft = d
	var o Outcome
	t := e.turn(lang, now)
	o.say(t.T("flows.invite.welcome"))
	e.ask(t, &o, d, nil)
	return o
}

// Ask repeats the draft's current question (after a reminder, a stale tap).
func (e *Engine) Ask(s *Session, lang string, now time.Time) Outcome {
	var o Outcome
	if s.Draft == nil {
		return o
	}
	if !e.valid(s.Draft, lang) {
		return e.interrupted(s, lang, now)
	}
	e.ask(e.turn(lang, now), &o, s.Draft, nil)
	return o
}

// valid reports whether the draft's flow and step still exist in this code
// and campaign.
func (e *Engine) valid(d *Draft, lang string) bool {
	sts, ok := e.steps(d, lang)
	return ok && indexOf(sts, d.Step) >= 0
}

// interrupted drops a draft this code cannot continue (the campaign or the
// flow changed under it) and offers to start again.
func (e *Engine) interrupted(s *Session, lang string, now time.Time) Outcome {
	var o Outcome
	t := e.turn(lang, now)
	kind := ""
	if s.Draft != nil {
		kind = s.Draft.Kind
	}
	s.Draft = nil
	o.say(t.T("flows.session.updated"), e.restartButtons(t, kind)...)
	return o
}

// restartButtons offers to start a report again, of the same kind when it
// still exists.
func (e *Engine) restartButtons(t *turn, kind string) [][]bot.Button {
	if k, ok := e.camp.Kind(kind); ok {
		return [][]bot.Button{{btn(t.T("flows.session.restart_kind", "Kind", kindLabel(k, t.lang)), "/baocao "+k.ID)}, {btn(t.T("flows.menu.menu"), "/menu")}}
	}
	return [][]bot.Button{{btn(t.T("flows.menu.report"), "/baocao")}, {btn(t.T("flows.menu.menu"), "/menu")}}
}

// Handle runs one input against the session's draft.
func (e *Engine) Handle(s *Session, in Input, lang string, now time.Time) Outcome {
	var o Outcome
	d := s.Draft
	if d == nil {
		return o
	}
	t := e.turn(lang, now)
	sts, ok := e.steps(d, lang)
	idx := indexOf(sts, d.Step)
	if !ok || idx < 0 {
		return e.interrupted(s, lang, now)
	}
	st := &sts[idx]

	if tap := in.Tap; tap != nil {
		if tap.Draft != d.ID || tap.Seq != d.Seq {
			e.staleTap(t, &o, s, *tap)
			if len(o.Replies) == 0 {
				o.Toast = t.T("common.stale_button")
				e.ask(t, &o, d, newProblem("common.stale_button"))
			}
			return o
		}
		switch tap.Code {
		case codeBack:
			e.back(t, &o, d, sts)
			return o
		case codeCancel:
			e.cancel(t, &o, s)
			return o
		case codeSkip:
			e.skip(t, &o, d, sts, idx)
			return o
		case codeResume:
			e.ask(t, &o, d, nil)
			return o
		case codeDrop:
			s.Draft = nil
			o.say(t.T("flows.idle.dropped"), e.menu(t)...)
			return o
		}
	}
	if in.Kind == bot.KindText {
		switch fold(in.Text) {
		case "quaylai", "trolai", "back":
			e.back(t, &o, d, sts)
			return o
		case "boqua", "skip":
			// Typed on a required question it is not an answer either.
			e.skip(t, &o, d, sts, idx)
			return o
		}
	}

	a, p := stepTypes[st.Type].accept(t, st, in)
	if p != nil {
		e.ask(t, &o, d, p)
		return o
	}
	_, isTool := e.tool(d.Flow)
	if st.ID == stepIDConfirm || (isTool && st.Type == stepConfirm) {
		o.Finished = d
		return o
	}
	if st.ID == stepIDKind && a.Text != d.Kind {
		// A different kind has different questions: start them afresh.
		d.Kind, d.Answers = a.Text, nil
		sts, _ = e.steps(d, lang)
	}
	if d.Answers == nil {
		d.Answers = map[string]Answer{}
	}
	if st.ID != stepIDKind {
		d.Answers[st.ID] = a
	}
	if st.Type == stepPhone {
		// Take the share-contact keyboard away before the next question.
		m := o.say(t.T("flows.phone.received", "Phone", formatPhone(a.Text)))
		m.RemoveKeyboard = true
	}
	if isTool {
		e.advanceTool(t, &o, d, st.ID)
		return o
	}
	e.next(t, &o, d, sts, idx)
	return o
}

// staleTap answers a tap on a button of another draft when there is
// something specific to say: a second tap on the confirm button of a report
// already stored or waiting to be stored.
func (e *Engine) staleTap(t *turn, o *Outcome, s *Session, tap Tap) {
	if tap.Code != codeConfirm {
		return
	}
	if r, ok := s.receipt(tap.Draft); ok {
		o.Toast = t.T("flows.report.already_sent", "Ref", r.Ref)
		o.say(o.Toast)
		return
	}
	if s.pending(tap.Draft) >= 0 {
		o.say(t.T("flows.report.already_pending"))
	}
}

// next moves to the step after idx and asks it.
func (e *Engine) next(t *turn, o *Outcome, d *Draft, sts []Step, idx int) {
	d.Trail = append(d.Trail, d.Step)
	d.Step = sts[idx+1].ID
	d.Seq++
	e.ask(t, o, d, nil)
}

// skip records an optional step as skipped and moves on.
func (e *Engine) skip(t *turn, o *Outcome, d *Draft, sts []Step, idx int) {
	if !sts[idx].Optional {
		e.ask(t, o, d, newProblem("flows.step.not_optional"))
		return
	}
	if d.Answers == nil {
		d.Answers = map[string]Answer{}
	}
	d.Answers[d.Step] = Answer{Skipped: true, At: t.now}
	if _, isTool := e.tool(d.Flow); isTool {
		e.advanceTool(t, o, d, d.Step)
		return
	}
	e.next(t, o, d, sts, idx)
}

// back returns to the previous step; at the first step it says there is
// nothing before.
func (e *Engine) back(t *turn, o *Outcome, d *Draft, sts []Step) {
	for len(d.Trail) > 0 {
		prev := d.Trail[len(d.Trail)-1]
		d.Trail = d.Trail[:len(d.Trail)-1]
		if indexOf(sts, prev) >= 0 {
			d.Step = prev
			d.Seq++
			e.ask(t, o, d, nil)
			return
		}
	}
	e.ask(t, o, d, newProblem("flows.step.first"))
}

// cancel drops the draft and keeps nothing of it.
func (e *Engine) cancel(t *turn, o *Outcome, s *Session) {
	if s.Draft != nil {
		if _, isTool := e.tool(s.Draft.Flow); isTool {
			// Tools serve officers too, who have no report menu.
			s.Draft = nil
			o.say(t.T("flows.cancel.done"))
			return
		}
	}
	s.Draft = nil
	o.say(t.T("flows.cancel.done"), e.menu(t)...)
}

// ask appends the current question to o, after the problem with the last
// answer when there is one.
func (e *Engine) ask(t *turn, o *Outcome, d *Draft, p *problem) {
	sts, ok := e.steps(d, t.lang)
	idx := indexOf(sts, d.Step)
	if !ok || idx < 0 {
		return
	}
	st := &sts[idx]
	var b strings.Builder
	if p != nil {
		b.WriteString(t.T(p.key, p.args...))
		b.WriteString("\n\n")
	}
	if d.Flow == flowReport && d.Kind != "" && st.Number > 0 {
		k, _ := e.camp.Kind(d.Kind)
		b.WriteString(t.T("flows.step.progress", "Kind", kindLabel(k, t.lang), "N", st.Number, "Total", questionCount(sts)))
		b.WriteString("\n")
	}
	if st.Type == stepConfirm && st.Prompt != "" {
		// A tool's own summary.
		b.WriteString(st.Prompt)
	} else if st.Type == stepConfirm {
		b.WriteString(e.summary(t, d, sts))
	} else {
		b.WriteString(st.Prompt)
		if st.Help != "" {
			b.WriteString("\n")
			b.WriteString(st.Help)
		}
		if hint := e.hint(t, st); hint != "" {
			b.WriteString("\n")
			b.WriteString(hint)
		}
	}
	if st.Type == stepPhone {
		// Telegram shows the share-contact control as a reply keyboard, which
		// cannot go together with inline buttons: this question has none,
		// and its hint says how to stop.
		m := o.say(b.String())
		m.RequestContact = true
		return
	}
	rows := stepTypes[st.Type].buttons(t, st, d)
	if st.Optional {
		rows = append(rows, []bot.Button{btn(t.T("common.skip"), stepData(d, codeSkip))})
	}
	nav := []bot.Button{}
	if len(d.Trail) > 0 {
		nav = append(nav, btn(t.T("common.back"), stepData(d, codeBack)))
	}
	nav = append(nav, btn(t.T("common.cancel"), stepData(d, codeCancel)))
	rows = append(rows, nav)
	o.say(b.String(), rows...)
}

// hint is the short how-to for step types people may not know how to answer.
func (e *Engine) hint(t *turn, st *Step) string {
	switch st.Type {
	case campaign.QDate:
		return t.T("flows.date.hint", "Days", e.maxAgeDays)
	case campaign.QPhoto:
		return t.T("flows.photo.hint")
	case campaign.QLocation:
		return t.T("flows.location.hint")
	case campaign.QText:
		if st.MaxLen > 0 && st.MaxLen < e.maxText {
			return t.T("flows.text.hint_max", "Max", st.MaxLen)
		}
	case stepPhone:
		return t.T("flows.phone.hint")
	case stepTime:
		return t.T("flows.time.hint")
	}
	return ""
}

// menu is the main menu shown after a flow ends and for anything unexpected.
func (e *Engine) menu(t *turn) [][]bot.Button {
	return [][]bot.Button{
		{btn(t.T("flows.menu.report"), "/baocao"), btn(t.T("flows.menu.mine"), "/cuatoi")},
		{btn(t.T("flows.menu.standing"), "/thidua"), btn(t.T("flows.menu.help"), "/huongdan")},
	}
}

// summary is the confirmation text: every answer, in question order.
func (e *Engine) summary(t *turn, d *Draft, sts []Step) string {
	var b strings.Builder
	switch d.Flow {
	case flowReport:
		k, _ := e.camp.Kind(d.Kind)
		b.WriteString(t.T("flows.report.summary_title", "Kind", kindLabel(k, t.lang)))
	case flowInvite:
		b.WriteString(t.T("flows.invite.summary_title"))
	}
	for _, st := range sts {
		if st.Number == 0 {
			continue
		}
		a, ok := d.Answers[st.ID]
		if !ok {
			continue
		}
		b.WriteString("\n• ")
		b.WriteString(summaryLabel(st.Prompt))
		b.WriteString(": ")
		b.WriteString(e.display(t, &st, a))
		if st.PoliceOnly && !a.Skipped {
			b.WriteString(" ")
			b.WriteString(t.T("flows.report.police_only_mark"))
		}
	}
	b.WriteString("\n\n")
	b.WriteString(t.T("flows.confirm.ask"))
	return b.String()
}

// summaryLabel shortens a question to a label for the summary: its first
// sentence, without a parenthesised remark or the question mark.
// "Bạn đã giúp ai? (có thể bỏ qua)" reads "Bạn đã giúp ai".
func summaryLabel(prompt string) string {
	if i := strings.Index(prompt, "("); i > 0 {
		prompt = prompt[:i]
	}
	if i := strings.IndexAny(prompt, "?"); i > 0 {
		prompt = prompt[:i]
	}
	if i := strings.Index(prompt, ". "); i > 0 {
		prompt = prompt[:i]
	}
	return strings.TrimRight(strings.TrimSpace(prompt), " ?:.")
}

// display shows an answer in the summary.
func (e *Engine) display(t *turn, st *Step, a Answer) string {
	if a.Skipped {
		return t.T("flows.answer.skipped")
	}
	switch st.Type {
	case campaign.QChoice:
		for _, o := range st.Options {
			if o.ID == a.Text {
				return o.Label
			}
		}
		return a.Text
	case campaign.QNumber:
		if a.Number != nil {
			return t.num(*a.Number)
		}
	case campaign.QDate:
		if d, err := campaign.ParseDate(a.Text); err == nil {
			return formatDate(d)
		}
	case campaign.QPhoto:
		return t.T("flows.answer.photo")
	case campaign.QLocation:
		if a.Lat != nil && a.Lon != nil {
			return t.T("flows.answer.location", "Lat", strconv.FormatFloat(*a.Lat, 'f', 5, 64), "Lon", strconv.FormatFloat(*a.Lon, 'f', 5, 64))
		}
	case campaign.QYesNo:
		if a.Yes != nil && *a.Yes {
			return t.T("common.yes")
		}
		return t.T("common.no")
	case stepPhone:
		return formatPhone(a.Text)
	}
	return truncate(a.Text, 300)
}
