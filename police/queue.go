package police

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/anttbot/anttbot/access"
	"github.com/anttbot/anttbot/bot"
	"github.com/anttbot/anttbot/campaign"
	"github.com/anttbot/anttbot/delivery"
	"github.com/anttbot/anttbot/flows"
	"github.com/anttbot/anttbot/store"
)

// Arguments of /duyet that its buttons send.
const (
	queueVerify    = "ok" // /duyet ok <ref>
	queueReject    = "no" // /duyet no <ref>: asks for an optional reason
	queueRecognise = "cn" // /duyet cn <ref>: verify a model and mark it recognised
)

// openStatuses are the statuses of a report still waiting for verification.
var openStatuses = []string{store.StatusPending, store.StatusReceived}

// cmdQueue is /duyet: the queue, or the action of one of its buttons.
func (t *Tools) cmdQueue(ctx context.Context, c flows.Call) ([]bot.Message, error) {
	args := commandArgs(c.Args)
	if len(args) >= 2 {
		id := argID(args, 1)
		switch args[0] {
		case queueVerify:
			return t.verify(ctx, c, id)
		case queueReject:
			return t.startReject(ctx, c, id)
		case queueRecognise:
			return t.recognise(ctx, c, id)
		}
	}
	return t.showQueue(ctx, c)
}

// verifiedKinds are the kinds the person verifies: every kind that is not a
// tip for the commune police (tips have their own buttons, package tips),
// good deeds and patrols for leaders and deputies.
func (t *Tools) verifiedKinds(role store.Role) []string {
	var out []string
	for _, k := range t.camp.Kinds {
		switch {
		case k.Sensitive:
		case role == store.RoleCommunePolice:
			out = append(out, k.ID)
		case k.ID == campaign.KindGoodDeed || k.ID == campaign.KindPatrol:
			out = append(out, k.ID)
		}
	}
	return out
}

// showQueue lists the oldest reports waiting for the person, one message
// each with its buttons.
func (t *Tools) showQueue(ctx context.Context, c flows.Call) ([]bot.Message, error) {
	p, lang := c.Person, c.Lang
	items, total, err := t.Queue(ctx, p, t.opts.QueueSize)
	if _, denied := access.IsDenied(err); denied {
		return t.refusal(lang, err)
	} else if err != nil {
		return nil, err
	}
	if total == 0 {
		return t.say(lang, "police.queue.empty"), nil
	}
	out := []bot.Message{{Text: t.T(lang, "police.queue.title", "Total", total, "Shown", len(items))}}
	for _, it := range items {
		out = append(out, t.queueItem(c, it))
	}
	if int64(len(items)) < total {
		out = append(out, bot.Message{Text: t.T(lang, "police.queue.more", "Left", total-int64(len(items))),
			Buttons: [][]bot.Button{{btn(t.T(lang, "police.queue.next"), cmdData(CmdQueue))}}})
	}
	return out, nil
}

// queueItem is one report of the queue with its buttons.
func (t *Tools) queueItem(c flows.Call, it store.QueueItem) bot.Message {
	lang := c.Lang
	var b strings.Builder
	b.WriteString(t.T(lang, "police.queue.item", "Ref", it.ID, "Kind", t.kindLabel(it.Kind, lang), "Team", it.TeamName,
		"Reporter", it.ReporterName, "Date", t.formatDay(it.OccurredAt), "Status", t.T(lang, "flows.status."+it.Status)))
	for _, line := range t.answerLines(it.Submission, lang) {
		b.WriteString("\n• ")
		b.WriteString(line)
	}
	m := bot.Message{Text: b.String()}
	for _, a := range it.Attachments {
		if a.Type == store.AttachmentPhoto && a.Channel == c.Update.Channel && (a.FileID != "" || a.URL != "") {
			m.Photo = &bot.Media{FileID: a.FileID, URL: a.URL}
			break
		}
	}
	m.Buttons = [][]bot.Button{{
		btn(t.T(lang, "police.queue.verify"), cmdData(CmdQueue, queueVerify, it.ID)),
		btn(t.T(lang, "police.queue.reject"), cmdData(CmdQueue, queueReject, it.ID)),
	}}
	if it.Kind == campaign.KindModel && c.Person.Role == store.RoleCommunePolice {
		m.Buttons = append(m.Buttons, []bot.Button{btn(t.T(lang, "police.queue.recognise"), cmdData(CmdQueue, queueRecognise, it.ID))})
	}
	return m
}

// answerLines shows a report's answers, in question order, for a verifier.
// Answers only the police may see never reach the answers (flows keeps them
// apart), and the date is in the item's head line.
func (t *Tools) answerLines(sub store.Submission, lang string) []string {
	k, ok := t.camp.Kind(sub.Kind)
	if !ok {
		return nil
	}
	var out []string
	for _, q := range k.Questions {
		v, ok := sub.Answers[q.ID]
		if !ok || q.PoliceOnly || q.Type == campaign.QDate {
			continue
		}
		var text string
		switch q.Type {
		case campaign.QChoice:
			s, _ := v.(string)
			text = s
			if o, ok := q.Option(s); ok {
				text = o.Label.In(lang)
			}
		case campaign.QNumber:
			if n, ok := v.(float64); ok {
				text = formatNumber(n, lang)
			}
		case campaign.QYesNo:
			if y, ok := v.(bool); ok {
				text = t.T(lang, "common.no")
				if y {
					text = t.T(lang, "common.yes")
				}
			}
		case campaign.QPhoto:
			text = t.T(lang, "flows.answer.photo")
		case campaign.QLocation:
			if m, ok := v.(map[string]any); ok {
				lat, _ := m["lat"].(float64)
				lon, _ := m["lon"].(float64)
				text = t.T(lang, "flows.answer.location", "Lat", strconv.FormatFloat(lat, 'f', 5, 64), "Lon", strconv.FormatFloat(lon, 'f', 5, 64))
			}
		default:
			s, _ := v.(string)
			text = truncate(s, 300)
		}
		if text == "" {
			continue
		}
		out = append(out, strings.TrimRight(q.Prompt.In(lang), " ?:")+": "+text)
	}
	return out
}

// verify is the chat's Xác minh button: Verify, the answer replacing the
// queue item where it can.
func (t *Tools) verify(ctx context.Context, c flows.Call, id int64) ([]bot.Message, error) {
	return answer(c)(t.decide(ctx, c.Person, c.Lang, id, store.StatusVerified, ""))
}

// Verify marks report id verified by p, first verifier wins, and queues the
// reporter's notice in the same transaction; it returns what to tell p in
// lang (done, refused, or who was first). The chat's Xác minh button and
// the web console both call it.
func (t *Tools) Verify(ctx context.Context, p store.Person, lang string, id int64) (string, error) {
	text, _, err := t.decide(ctx, p, lang, id, store.StatusVerified, "")
	return text, err
}

// startReject checks the report can still be rejected by this person, then
// asks for an optional reason (the reject tool).
func (t *Tools) startReject(ctx context.Context, c flows.Call, id int64) ([]bot.Message, error) {
	if err := t.policy.Check(ctx, c.Person, access.VerifyReport, access.Subject{SubmissionID: id}); err != nil {
		return t.refusal(c.Lang, err)
	}
	sub, err := t.st.SubmissionByID(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("police: reject: %w", err)
	}
	if !slices.Contains(openStatuses, sub.Status) {
		return t.alreadyDone(ctx, c, id)
	}
	c.StartTool(toolReject, map[string]string{"sub": strconv.FormatInt(id, 10)})
	return nil, nil
}

// rejectTool asks for the reason a report is not verified, then rejects it.
type rejectTool struct{ t *Tools }

func (r rejectTool) Label(lang string) string { return r.t.T(lang, "police.reject.label") }

func (r rejectTool) Steps(d *flows.Draft, lang string) ([]flows.Step, bool) {
	id := d.Data["sub"]
	if id == "" {
		return nil, false
	}
	return []flows.Step{{ID: "reason", Type: campaign.QText, Optional: true, MaxLen: 300,
		Prompt: r.t.T(lang, "police.reject.ask_reason", "Ref", id)}}, true
}

func (r rejectTool) Finish(ctx context.Context, c flows.Call, d *flows.Draft) ([]bot.Message, error) {
	id, _ := strconv.ParseInt(d.Data["sub"], 10, 64)
	reason := d.Answers["reason"].Text
	if d.Answers["reason"].Skipped {
		reason = ""
	}
	return answer(c)(r.t.decide(ctx, c.Person, c.Lang, id, store.StatusRejected, reason))
}

// Reject marks report id not verified by p with an optional reason, first
// verifier wins, and queues the reporter's notice in the same transaction;
// it returns what to tell p in lang. The chat's reject tool and the web
// console both call it.
func (t *Tools) Reject(ctx context.Context, p store.Person, lang string, id int64, reason string) (string, error) {
	text, _, err := t.decide(ctx, p, lang, id, store.StatusRejected, reason)
	return text, err
}

// decide moves report id to status to (verified or rejected, with reason),
// first verifier wins, and queues the reporter's notice in the same
// transaction. It returns what to tell p, and whether that may replace the
// tapped message (a verification, or who was first).
func (t *Tools) decide(ctx context.Context, p store.Person, lang string, id int64, to, reason string) (text string, replace bool, err error) {
	if err := t.policy.Check(ctx, p, access.VerifyReport, access.Subject{SubmissionID: id}); err != nil {
		text, err := t.refusalText(lang, err)
		return text, false, err
	}
	var sub store.Submission
	changed := false
	err = t.st.InTx(ctx, func(tx *store.Store) error {
		var err error
		if changed, err = tx.SetSubmissionStatus(ctx, id, openStatuses, to, p.ID, reason); err != nil || !changed {
			return err
		}
		if sub, err = tx.SubmissionByID(ctx, id); err != nil {
			return err
		}
		return t.notifyOutcome(ctx, tx, sub, p, reason)
	})
	if err != nil {
		return "", false, fmt.Errorf("police: set submission %d %s: %w", id, to, err)
	}
	if !changed {
		return t.alreadyDoneText(ctx, lang, id)
	}
	kind := t.kindLabel(sub.Kind, lang)
	switch {
	case to == store.StatusVerified:
		return t.T(lang, "police.verify.done", "Ref", id, "Kind", kind), true, nil
	case reason != "":
		return t.T(lang, "police.reject.done_reason", "Ref", id, "Kind", kind, "Reason", reason), false, nil
	}
	return t.T(lang, "police.reject.done", "Ref", id, "Kind", kind, "Reason", reason), false, nil
}

// answer turns a text and whether it may replace the tapped message into
// the chat's reply.
func answer(c flows.Call) func(text string, replace bool, err error) ([]bot.Message, error) {
	return func(text string, replace bool, err error) ([]bot.Message, error) {
		if err != nil {
			return nil, err
		}
		m := bot.Message{Text: text}
		if replace {
			m = edit(c, m)
		}
		return []bot.Message{m}, nil
	}
}

// recognise verifies a reported model (when still open) and marks it
// recognised by Ban Chỉ đạo 138 or police at district level or above.
func (t *Tools) recognise(ctx context.Context, c flows.Call, id int64) ([]bot.Message, error) {
	if err := t.policy.Check(ctx, c.Person, access.VerifyReport, access.Subject{SubmissionID: id}); err != nil {
		return t.refusal(c.Lang, err)
	}
	var sub store.Submission
	err := t.st.InTx(ctx, func(tx *store.Store) error {
		var err error
		if sub, err = tx.SubmissionByID(ctx, id); err != nil {
			return err
		}
		if sub.Kind != campaign.KindModel || sub.Status == store.StatusRejected {
			return store.ErrInvalid
		}
		if err := tx.MarkRecognised(ctx, id, c.Person.ID, t.now()); err != nil {
			return err
		}
		if sub.Status == store.StatusVerified {
			return nil
		}
		// MarkRecognised verified it just now: tell the reporter.
		if sub, err = tx.SubmissionByID(ctx, id); err != nil {
			return err
		}
		return t.notifyOutcome(ctx, tx, sub, c.Person, "")
	})
	switch {
	case errors.Is(err, store.ErrInvalid):
		return t.alreadyDone(ctx, c, id)
	case err != nil:
		return nil, fmt.Errorf("police: recognise submission %d: %w", id, err)
	}
	return []bot.Message{edit(c, bot.Message{Text: t.T(c.Lang, "police.recognise.done", "Ref", id)})}, nil
}

// alreadyDone tells a verifier who came second what the first one did.
func (t *Tools) alreadyDone(ctx context.Context, c flows.Call, id int64) ([]bot.Message, error) {
	return answer(c)(t.alreadyDoneText(ctx, c.Lang, id))
}

// alreadyDoneText is what alreadyDone says; replace is true when it says
// who verified first (the answer may replace the tapped message).
func (t *Tools) alreadyDoneText(ctx context.Context, lang string, id int64) (string, bool, error) {
	sub, err := t.st.SubmissionByID(ctx, id)
	if err != nil {
		return "", false, fmt.Errorf("police: report %d: %w", id, err)
	}
	who := t.personName(ctx, sub.VerifiedByID)
	if who == "" || sub.VerifiedAt == nil || !(sub.Status == store.StatusVerified || sub.Status == store.StatusRejected) {
		return t.T(lang, "police.verify.not_open", "Ref", id, "Status", t.T(lang, "flows.status."+sub.Status)), false, nil
	}
	return t.T(lang, "police.verify.already", "Ref", id, "Who", who,
		"Status", t.T(lang, "flows.status."+sub.Status), "At", t.formatWhen(*sub.VerifiedAt)), true, nil
}

// notifyOutcome queues the reporter's notice of a verification (reason ""
// and status verified) or a rejection.
func (t *Tools) notifyOutcome(ctx context.Context, tx *store.Store, sub store.Submission, by store.Person, reason string) error {
	reporter, err := tx.PersonByID(ctx, sub.ReporterID)
	if err != nil {
		return err
	}
	lang := t.langOf(ctx, tx, reporter)
	args := []any{"Ref", sub.ID, "Kind", t.kindLabel(sub.Kind, lang), "Date", t.formatDay(sub.OccurredAt),
		"Who", by.Name, "Role", t.roleLabel(by.Role, lang), "Reason", reason}
	job := delivery.Job{To: delivery.ToPerson(reporter.ID), Scheduled: true, DedupeKey: "police:outcome:" + strconv.FormatInt(sub.ID, 10),
		Ref: "submission:" + strconv.FormatInt(sub.ID, 10)}
	switch {
	case sub.Status == store.StatusVerified:
		job.Kind, job.Message = KindVerified, bot.Message{Text: t.T(lang, "police.notify.verified", args...)}
	case reason != "":
		job.Kind, job.Message = KindRejected, bot.Message{Text: t.T(lang, "police.notify.rejected_reason", args...)}
	default:
		job.Kind, job.Message = KindRejected, bot.Message{Text: t.T(lang, "police.notify.rejected", args...)}
	}
	return t.enqueue(ctx, tx, job)
}

// langOf is the language to write to a person in: theirs, else the one
// chosen in one of their chats, else Vietnamese.
func (t *Tools) langOf(ctx context.Context, st *store.Store, p store.Person) string {
	if l := normLang(p.Locale); l != "" {
		return l
	}
	ids, err := st.IdentitiesOf(ctx, []int64{p.ID})
	if err == nil {
		for _, id := range ids {
			if l := normLang(id.Locale); l != "" {
				return l
			}
		}
	}
	return "vi"
}

// normLang keeps the languages the catalogue has.
func normLang(l string) string {
	l = strings.ToLower(strings.TrimSpace(l))
	if i := strings.IndexAny(l, "-_"); i > 0 {
		l = l[:i]
	}
	if l == "vi" || l == "en" {
		return l
	}
	return ""
}

// truncate shortens s to at most n characters, marking the cut.
func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return strings.TrimSpace(string(r[:n-1])) + "…"
}

// Queue is p's verification queue for the web console: the oldest reports
// waiting for p's verification (at most limit) and how many wait in all. A
// refusal is the policy's *access.Denied error.
func (t *Tools) Queue(ctx context.Context, p store.Person, limit int) ([]store.QueueItem, int64, error) {
	if err := t.policy.Check(ctx, p, access.ViewQueue, access.Subject{UnitID: p.UnitID}); err != nil {
		return nil, 0, err
	}
	kinds := t.verifiedKinds(p.Role)
	if len(kinds) == 0 {
		return nil, 0, nil
	}
	items, total, err := t.st.VerificationQueue(ctx, store.QueueFilter{UnitID: p.UnitID, Kinds: kinds, ExcludeReporterID: p.ID, Limit: limit})
	if err != nil {
		return nil, 0, fmt.Errorf("police: queue of person %d: %w", p.ID, err)
	}
	return items, total, nil
}

// Describe is how the queue shows a report in lang: its kind's label and
// its answers, one line each.
func (t *Tools) Describe(sub store.Submission, lang string) (kind string, answers []string) {
	return t.kindLabel(sub.Kind, lang), t.answerLines(sub, lang)
}
