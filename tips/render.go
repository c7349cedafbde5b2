package tips

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/anttbot/anttbot/bot"
	"github.com/anttbot/anttbot/campaign"
	"github.com/anttbot/anttbot/phone"
	"github.com/anttbot/anttbot/store"
)

// view is everything a pushed tip shows, loaded once per change.
type view struct {
	sub      store.Submission
	kind     campaign.ReportKind
	hasKind  bool
	reporter store.Person
	team     store.Unit
	commune  store.Unit
	source   string
	photos   []store.Attachment
	// received and closed say who received and who verified or rejected
	// the tip, and when; nil while it did not happen.
	received *actorAt
	closed   *actorAt
}

type actorAt struct {
	name string
	at   time.Time
}

// load reads what a tip's messages show.
func (t *Tips) load(ctx context.Context, st *store.Store, sub store.Submission) (*view, error) {
	v := &view{sub: sub}
	v.kind, v.hasKind = t.camp.Kind(sub.Kind)
	var err error
	if v.reporter, err = st.PersonByID(ctx, sub.ReporterID); err != nil {
		return nil, fmtErr("load tip", sub.ID, err)
	}
	if v.team, err = st.UnitByID(ctx, sub.TeamID); err != nil {
		return nil, fmtErr("load tip", sub.ID, err)
	}
	if v.commune, err = st.UnitByID(ctx, sub.CommuneID); err != nil {
		return nil, fmtErr("load tip", sub.ID, err)
	}
	src, err := st.TipSourceOf(ctx, sub.ID)
	switch {
	case err == nil:
		v.source = src.Source
	case !errors.Is(err, store.ErrNotFound):
		return nil, fmtErr("load tip", sub.ID, err)
	}
	for _, a := range sub.Attachments {
		if a.Type == store.AttachmentPhoto && (a.FileID != "" || a.URL != "") {
			v.photos = append(v.photos, a)
		}
	}
	if sub.Status != store.StatusPending {
		if v.received, err = t.statusActor(ctx, st, sub.ID, store.StatusReceived); err != nil {
			return nil, err
		}
	}
	if (sub.Status == store.StatusVerified || sub.Status == store.StatusRejected) && sub.VerifiedByID != nil {
		p, err := st.PersonByID(ctx, *sub.VerifiedByID)
		if err != nil {
			return nil, fmtErr("load tip", sub.ID, err)
		}
		at := sub.UpdatedAt
		if sub.VerifiedAt != nil {
			at = *sub.VerifiedAt
		}
		v.closed = &actorAt{name: p.Name, at: at}
	}
	return v, nil
}

// statusActor finds who moved a tip to status, from the audit entry
// store.SetSubmissionStatus wrote; nil when it never happened.
func (t *Tips) statusActor(ctx context.Context, st *store.Store, subID int64, status string) (*actorAt, error) {
	entries, err := st.AuditEntries(ctx, "submission", strconv.FormatInt(subID, 10))
	if err != nil {
		return nil, fmtErr("status history of tip", subID, err)
	}
	for _, e := range slices.Backward(entries) {
		if e.Action != "submission.status" || !strings.HasPrefix(afterArrow(e.Detail), status) || e.ActorID == nil {
			continue
		}
		p, err := st.PersonByID(ctx, *e.ActorID)
		if err != nil {
			return nil, fmtErr("status history of tip", subID, err)
		}
		return &actorAt{name: p.Name, at: e.At}, nil
	}
	return nil, nil
}

// afterArrow returns what follows "-> " in a status audit detail ("pending -> received").
func afterArrow(detail string) string {
	_, to, _ := strings.Cut(detail, "-> ")
	return to
}

func (v *view) kindName(lang string) string {
	if !v.hasKind {
		return v.sub.Kind
	}
	return strings.TrimSpace(v.kind.Emoji + " " + v.kind.Name.In(lang))
}

// policeView is the pushed message for an officer at level l: the tip with
// its source, its status, and for the commune police the action buttons.
func (t *Tips) policeView(v *view, l store.Level, lang, escalated string) (string, [][]bot.Button) {
	T := func(key string, args ...any) string { return t.tr.T(lang, key, args...) }
	var b strings.Builder
	line := func(s string) {
		if b.Len() > 0 {
			b.WriteString("\n")
		}
		b.WriteString(s)
	}
	if v.sub.Urgent {
		line(T("tips.police.urgent"))
	}
	line(T("tips.police.title", "Kind", v.kindName(lang), "Ref", v.sub.ID))
	switch escalated {
	case store.EscalationTimeout:
		wait := t.opts.Escalation
		if v.sub.Urgent {
			wait = t.opts.EscalationUrgent
		}
		line(T("tips.police.escalated_timeout", "Wait", t.duration(lang, wait)))
	case store.EscalationNoOfficer:
		line(T("tips.police.escalated_no_officer"))
	}
	for _, a := range t.answers(v, lang) {
		line("• " + a)
	}
	if v.sub.Lat != nil && v.sub.Lon != nil {
		lat, lon := strconv.FormatFloat(*v.sub.Lat, 'f', 6, 64), strconv.FormatFloat(*v.sub.Lon, 'f', 6, 64)
		line("• " + T("tips.police.location", "URL", "https://maps.google.com/?q="+lat+","+lon))
	}
	if n := len(v.photos); n > 0 {
		line("• " + T("tips.police.photos", "N", n))
	}
	line(T("tips.police.reporter", "Name", v.reporter.Name, "Phone", phone.Display(v.reporter.Phone),
		"Team", v.team.Name, "Commune", v.commune.Name))
	if v.source != "" {
		line(T("tips.police.source", "Source", v.source))
	} else {
		line(T("tips.police.no_source"))
	}
	line(T("tips.police.sent_at", "Time", t.timeText(v.sub.CreatedAt)))
	line(t.statusLine(v, lang))
	if l != store.LevelCommune {
		line(T("tips.police.read_only"))
		return b.String(), nil
	}
	return b.String(), t.policeButtons(v.sub, lang)
}

// policeButtons are the actions left on a tip for the commune police.
func (t *Tips) policeButtons(sub store.Submission, lang string) [][]bot.Button {
	btn := func(key, verb string) bot.Button {
		return bot.Button{Label: t.tr.T(lang, key), Data: data(verb, sub.ID)}
	}
	switch sub.Status {
	case store.StatusPending:
		return [][]bot.Button{
			{btn("tips.button.receive", verbReceive), btn("tips.button.verify", verbVerify)},
			{btn("tips.button.reject", verbReject), btn("tips.button.ask", verbAsk)},
		}
	case store.StatusReceived:
		return [][]bot.Button{
			{btn("tips.button.verify", verbVerify), btn("tips.button.reject", verbReject)},
			{btn("tips.button.ask", verbAsk)},
		}
	}
	return nil
}

// statusLine says where the tip stands and who moved it there.
func (t *Tips) statusLine(v *view, lang string) string {
	T := func(key string, args ...any) string { return t.tr.T(lang, key, args...) }
	var lines []string
	if v.received != nil {
		lines = append(lines, T("tips.status_line.received", "Name", v.received.name, "Time", t.timeText(v.received.at)))
	}
	switch v.sub.Status {
	case store.StatusPending:
		lines = append(lines, T("tips.status_line.pending"))
	case store.StatusVerified, store.StatusRejected:
		name, at := "", v.sub.UpdatedAt
		if v.closed != nil {
			name, at = v.closed.name, v.closed.at
		}
		lines = append(lines, T("tips.status_line."+v.sub.Status, "Name", name, "Time", t.timeText(at)))
		if v.sub.Status == store.StatusRejected && v.sub.RejectReason != "" {
			lines = append(lines, T("tips.status_line.reason", "Reason", v.sub.RejectReason))
		}
	}
	return strings.Join(lines, "\n")
}

// updateView is the short notice sent instead of an edit on channels that
// cannot edit a message (Zalo): the reference and the new status only.
func (t *Tips) updateView(v *view, l store.Level, lang string) (string, [][]bot.Button) {
	text := t.tr.T(lang, "tips.police.update", "Kind", v.kindName(lang), "Ref", v.sub.ID) + "\n" + t.statusLine(v, lang)
	if l != store.LevelCommune {
		return text, nil
	}
	return text, t.policeButtons(v.sub, lang)
}

// answers shows the tip's answers in question order, each "label: value".
// The police-only answer is not among them (it is the source), nor the
// photo, the location and the urgency, which have lines of their own.
func (t *Tips) answers(v *view, lang string) []string {
	if !v.hasKind {
		keys := make([]string, 0, len(v.sub.Answers))
		for k := range v.sub.Answers {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		out := make([]string, 0, len(keys))
		for _, k := range keys {
			out = append(out, k+": "+fmt.Sprint(v.sub.Answers[k]))
		}
		return out
	}
	var out []string
	for _, q := range v.kind.Questions {
		if q.PoliceOnly || q.Urgent || q.Type == campaign.QPhoto || q.Type == campaign.QLocation {
			continue
		}
		raw, ok := v.sub.Answers[q.ID]
		if !ok {
			continue
		}
		out = append(out, label(q.Prompt.In(lang))+": "+t.display(q, raw, lang))
	}
	return out
}

// display shows one stored answer.
func (t *Tips) display(q campaign.Question, raw any, lang string) string {
	switch x := raw.(type) {
	case string:
		switch q.Type {
		case campaign.QChoice:
			if o, ok := q.Option(x); ok {
				return o.Label.In(lang)
			}
		case campaign.QDate:
			if d, err := campaign.ParseDate(x); err == nil {
				return fmt.Sprintf("%02d/%02d/%04d", d.Day, int(d.Month), d.Year)
			}
		}
		return x
	case bool:
		if x {
			return t.tr.T(lang, "tips.answer.yes")
		}
		return t.tr.T(lang, "tips.answer.no")
	case float64:
		s := strconv.FormatFloat(x, 'f', -1, 64)
		if lang != "en" {
			s = strings.Replace(s, ".", ",", 1)
		}
		return s
	}
	return fmt.Sprint(raw)
}

// label shortens a question to a label: its first sentence, without a
// parenthesised remark or the question mark ("Việc này ở đâu?" reads
// "Việc này ở đâu").
func label(prompt string) string {
	if i := strings.Index(prompt, "("); i > 0 {
		prompt = prompt[:i]
	}
	if i := strings.Index(prompt, "?"); i > 0 {
		prompt = prompt[:i]
	}
	if i := strings.Index(prompt, ". "); i > 0 {
		prompt = prompt[:i]
	}
	return strings.TrimRight(strings.TrimSpace(prompt), " ?:.")
}

// duration writes an escalation delay in hours or minutes.
func (t *Tips) duration(lang string, d time.Duration) string {
	if d >= time.Hour && d%time.Hour == 0 {
		return t.tr.T(lang, "tips.duration.hours", "N", int(d/time.Hour))
	}
	return t.tr.T(lang, "tips.duration.minutes", "N", int(d.Round(time.Minute)/time.Minute))
}
