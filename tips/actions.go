package tips

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/anttbot/anttbot/access"
	"github.com/anttbot/anttbot/bot"
	"github.com/anttbot/anttbot/delivery"
	"github.com/anttbot/anttbot/store"
)

// promptTTL is how long tips waits for the text a prompt asked for.
const promptTTL = 30 * time.Minute

// HandleCallback handles a tap on one of the buttons tips puts under its
// messages (IsData(req.Data) is true): the officers' received / verified /
// not verified / ask for more, the reporter's answer, skipping a reason.
func (t *Tips) HandleCallback(ctx context.Context, req Request) (Reply, error) {
	verb, id, ok := parseData(req.Data)
	if !ok {
		return say(t.tr.T(req.Lang, "common.stale_button")), nil
	}
	switch verb {
	case verbReceive:
		return t.setStatus(ctx, req, id, store.StatusReceived)
	case verbVerify:
		return t.setStatus(ctx, req, id, store.StatusVerified)
	case verbReject:
		return t.setStatus(ctx, req, id, store.StatusRejected)
	case verbAsk:
		return t.startQuestion(ctx, req, id)
	case verbAnswer:
		return t.startAnswer(ctx, req, id)
	case verbSkip:
		return say(t.tr.T(req.Lang, "tips.reason.skipped", "Ref", id)), nil
	}
	return say(t.tr.T(req.Lang, "common.stale_button")), nil
}

// HandlePrompt handles the text typed in answer to a Prompt tips asked for
// (req.Data is the prompt's data): a question, a reason, an answer.
func (t *Tips) HandlePrompt(ctx context.Context, req Request) (Reply, error) {
	verb, id, ok := parseData(req.Data)
	if !ok {
		return Reply{}, fmt.Errorf("tips: prompt %q: %w", req.Data, errStale)
	}
	text := strings.TrimSpace(req.Text)
	if text == "" || len([]rune(text)) > t.opts.MaxText {
		r := say(t.tr.T(req.Lang, "tips.prompt.invalid", "Max", t.opts.MaxText))
		r.Prompt = t.prompt(req.Data)
		return r, nil
	}
	switch verb {
	case verbAsk:
		return t.ask(ctx, req, id, text)
	case verbReason:
		return t.reason(ctx, req, id, text)
	case verbAnswer:
		return t.answer(ctx, req, id, text)
	}
	return Reply{}, fmt.Errorf("tips: prompt %q: %w", req.Data, errStale)
}

// HandleText takes free text from a person with nothing else in progress:
// when a question about one of their tips waits for an answer, the text is
// the answer. handled is false when tips has nothing to do with it.
func (t *Tips) HandleText(ctx context.Context, req Request) (r Reply, handled bool, err error) {
	if !req.Person.Role.IsTeamMember() || strings.TrimSpace(req.Text) == "" {
		return Reply{}, false, nil
	}
	q, err := t.st.OpenTipQuestion(ctx, req.Person.ID, t.now().Add(-t.opts.AnswerWindow))
	if errors.Is(err, store.ErrNotFound) {
		return Reply{}, false, nil
	}
	if err != nil {
		return Reply{}, false, err
	}
	req.Data = data(verbAnswer, q.ID)
	r, err = t.HandlePrompt(ctx, req)
	return r, true, err
}

func (t *Tips) prompt(d string) *Prompt {
	return &Prompt{Data: d, Expires: t.now().Add(promptTTL)}
}

// setStatus moves a tip to status to, first officer wins. The winner's
// change edits every pushed copy and tells the reporter, in the transaction
// of the change; a later officer is told who was first.
func (t *Tips) setStatus(ctx context.Context, req Request, subID int64, to string) (Reply, error) {
	if err := t.policy.Check(ctx, req.Person, access.SetTipStatus, access.Subject{SubmissionID: subID}); err != nil {
		return t.refused(req.Lang, err)
	}
	from := []string{store.StatusPending, store.StatusReceived}
	if to == store.StatusReceived {
		from = []string{store.StatusPending}
	}
	var changed bool
	err := t.st.InTx(ctx, func(tx *store.Store) error {
		var err error
		changed, err = tx.SetSubmissionStatus(ctx, subID, from, to, req.Person.ID, "")
		if err != nil || !changed {
			return err
		}
		sub, err := tx.SubmissionByID(ctx, subID)
		if err != nil {
			return err
		}
		return t.changed(ctx, tx, sub, to, true)
	})
	if err != nil {
		return Reply{}, fmtErr("set status of tip", subID, err)
	}
	if !changed {
		return t.alreadyHandled(ctx, req.Lang, subID)
	}
	t.log.InfoContext(ctx, "tip status changed", "submission_id", subID, "status", to, "person_id", req.Person.ID)
	r := say(t.tr.T(req.Lang, "tips.done."+to, "Ref", subID))
	if to == store.StatusRejected {
		r.Messages = []bot.Message{{Text: t.tr.T(req.Lang, "tips.reason.ask", "Ref", subID),
			Buttons: [][]bot.Button{{{Label: t.tr.T(req.Lang, "tips.button.skip_reason"), Data: data(verbSkip, subID)}}}}}
		r.Prompt = t.prompt(data(verbReason, subID))
	}
	return r, nil
}

// alreadyHandled tells an officer who acted on the tip first.
func (t *Tips) alreadyHandled(ctx context.Context, lang string, subID int64) (Reply, error) {
	sub, err := t.st.SubmissionByID(ctx, subID)
	if err != nil {
		return Reply{}, fmtErr("tip", subID, err)
	}
	v, err := t.load(ctx, t.st, sub)
	if err != nil {
		return Reply{}, err
	}
	who := v.closed
	if sub.Status == store.StatusReceived {
		who = v.received
	}
	if who == nil {
		who = &actorAt{at: sub.UpdatedAt}
	}
	return say(t.tr.T(lang, "tips.already."+sub.Status, "Ref", subID, "Name", who.name, "Time", t.timeText(who.at))), nil
}

// changed queues, in tx, what follows a change of a tip: the edit of every
// pushed copy, and (tellReporter) the reporter's notice of the new status.
// what names the change for dedupe keys ("received", "reason").
func (t *Tips) changed(ctx context.Context, tx *store.Store, sub store.Submission, what string, tellReporter bool) error {
	v, err := t.load(ctx, tx, sub)
	if err != nil {
		return err
	}
	msgs, err := tx.TipMessages(ctx, sub.ID)
	if err != nil {
		return err
	}
	jobs, err := t.edits(ctx, tx, v, msgs, what)
	if err != nil {
		return err
	}
	if tellReporter {
		lang, err := t.personLang(ctx, tx, v.reporter)
		if err != nil {
			return err
		}
		var text string
		if what == "reason" {
			text = t.tr.T(lang, "tips.reporter.reason", "Ref", sub.ID, "Reason", sub.RejectReason)
		} else {
			text = t.tr.T(lang, "tips.reporter."+sub.Status, "Ref", sub.ID)
		}
		jobs = append(jobs, delivery.Job{
			To:        delivery.ToPerson(sub.ReporterID),
			Message:   bot.Message{Text: text},
			Kind:      delivery.KindTipStatus,
			DedupeKey: fmt.Sprintf("tip:%d:reporter:%s", sub.ID, what),
			Scheduled: true,
			Ref:       "tip:" + strconv.FormatInt(sub.ID, 10) + ":status",
		})
	}
	if err := delivery.Enqueue(ctx, tx, jobs...); err != nil {
		return fmtErr("queue update of tip", sub.ID, err)
	}
	return nil
}

// edits are the jobs that bring pushed copies of a tip up to date: an edit
// in place where the channel can edit, a short notice elsewhere.
func (t *Tips) edits(ctx context.Context, st *store.Store, v *view, msgs []store.TipMessage, what string) ([]delivery.Job, error) {
	langs := map[int64]string{}
	var jobs []delivery.Job
	for _, m := range msgs {
		lang, ok := langs[m.PersonID]
		if !ok {
			p, err := st.PersonByID(ctx, m.PersonID)
			if err != nil {
				return nil, fmtErr("update tip", v.sub.ID, err)
			}
			if lang, err = t.personLang(ctx, st, p); err != nil {
				return nil, err
			}
			langs[m.PersonID] = lang
		}
		msg := bot.Message{}
		if m.Channel == bot.ChannelZalo {
			// Zalo cannot edit a message: a short notice rather than the whole tip again.
			msg.Text, msg.Buttons = t.updateView(v, m.Level, lang)
		} else {
			msg.Text, msg.Buttons = t.policeView(v, m.Level, lang, "")
			msg.EditMessageID = m.MessageID
		}
		jobs = append(jobs, delivery.Job{
			To:        delivery.ToChat(m.Channel, m.ChatID),
			Message:   msg,
			Kind:      KindTipUpdate,
			DedupeKey: fmt.Sprintf("tip:%d:edit:%d:%s", v.sub.ID, m.ID, what),
			Scheduled: true,
			Ref:       "tip:" + strconv.FormatInt(v.sub.ID, 10) + ":edit",
		})
	}
	return jobs, nil
}

// personLang is the language to write to a person in: theirs, their chat's, the default.
func (t *Tips) personLang(ctx context.Context, st *store.Store, p store.Person) (string, error) {
	if p.Locale != "" {
		return t.lang(p.Locale), nil
	}
	ids, err := st.IdentitiesOf(ctx, []int64{p.ID})
	if err != nil {
		return "", fmt.Errorf("tips: language of person %d: %w", p.ID, err)
	}
	for _, id := range ids {
		if id.Locale != "" {
			return t.lang(id.Locale), nil
		}
	}
	return t.opts.DefaultLang, nil
}

// reason records the reason of a rejection the officer gave after it.
func (t *Tips) reason(ctx context.Context, req Request, subID int64, text string) (Reply, error) {
	var ok bool
	err := t.st.InTx(ctx, func(tx *store.Store) error {
		var err error
		ok, err = tx.SetRejectReason(ctx, subID, req.Person.ID, text)
		if err != nil || !ok {
			return err
		}
		sub, err := tx.SubmissionByID(ctx, subID)
		if err != nil {
			return err
		}
		return t.changed(ctx, tx, sub, "reason", true)
	})
	if err != nil {
		return Reply{}, fmtErr("reason of tip", subID, err)
	}
	if !ok {
		return say(t.tr.T(req.Lang, "tips.reason.not_recorded", "Ref", subID)), nil
	}
	return say(t.tr.T(req.Lang, "tips.reason.recorded", "Ref", subID)), nil
}
