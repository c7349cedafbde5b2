package tips

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/anttbot/anttbot/access"
	"github.com/anttbot/anttbot/bot"
	"github.com/anttbot/anttbot/delivery"
	"github.com/anttbot/anttbot/store"
)

// startQuestion answers the officer's tap on "ask for more": type the question.
func (t *Tips) startQuestion(ctx context.Context, req Request, subID int64) (Reply, error) {
	if err := t.policy.Check(ctx, req.Person, access.AskTipQuestion, access.Subject{SubmissionID: subID}); err != nil {
		return t.refused(req.Lang, err)
	}
	r := say(t.tr.T(req.Lang, "tips.ask.prompt", "Ref", subID))
	r.Prompt = t.prompt(data(verbAsk, subID))
	return r, nil
}

// ask stores the officer's question and queues it to the reporter with an
// answer button, in one transaction.
func (t *Tips) ask(ctx context.Context, req Request, subID int64, text string) (Reply, error) {
	if err := t.policy.Check(ctx, req.Person, access.AskTipQuestion, access.Subject{SubmissionID: subID}); err != nil {
		return t.refused(req.Lang, err)
	}
	err := t.st.InTx(ctx, func(tx *store.Store) error {
		sub, err := tx.SubmissionByID(ctx, subID)
		if err != nil {
			return err
		}
		q := store.TipQuestion{SubmissionID: subID, AskerID: req.Person.ID, Question: text, AskedAt: t.now()}
		if err := tx.AddTipQuestion(ctx, &q); err != nil {
			return err
		}
		if err := audit(ctx, tx, req.Person.ID, AuditAsked, subID, "question="+strconv.FormatInt(q.ID, 10)); err != nil {
			return err
		}
		reporter, err := tx.PersonByID(ctx, sub.ReporterID)
		if err != nil {
			return err
		}
		lang, err := t.personLang(ctx, tx, reporter)
		if err != nil {
			return err
		}
		return delivery.Enqueue(ctx, tx, delivery.Job{
			To: delivery.ToPerson(sub.ReporterID),
			Message: bot.Message{
				Text:    t.tr.T(lang, "tips.question.to_reporter", "Ref", subID, "Question", q.Question),
				Buttons: [][]bot.Button{{{Label: t.tr.T(lang, "tips.button.answer"), Data: data(verbAnswer, q.ID)}}},
			},
			Kind:      KindTipQuestion,
			DedupeKey: fmt.Sprintf("tip:%d:question:%d", subID, q.ID),
			Scheduled: true,
			Ref:       "tip:" + strconv.FormatInt(subID, 10) + ":question",
		})
	})
	if err != nil {
		return Reply{}, fmtErr("ask about tip", subID, err)
	}
	t.log.InfoContext(ctx, "tip question asked", "submission_id", subID, "person_id", req.Person.ID)
	return say(t.tr.T(req.Lang, "tips.ask.sent", "Ref", subID)), nil
}

// startAnswer answers the reporter's tap on "answer": type the answer.
func (t *Tips) startAnswer(ctx context.Context, req Request, questionID int64) (Reply, error) {
	q, err := t.question(ctx, req, questionID)
	if err != nil || q == nil {
		return t.refused(req.Lang, err)
	}
	if q.AnsweredAt != nil {
		return say(t.tr.T(req.Lang, "tips.answer.already", "Ref", q.SubmissionID)), nil
	}
	r := say(t.tr.T(req.Lang, "tips.answer.prompt", "Ref", q.SubmissionID, "Question", q.Question))
	r.Prompt = t.prompt(data(verbAnswer, questionID))
	return r, nil
}

// question loads a question for its tip's reporter; a *access.Denied error
// for anybody else.
func (t *Tips) question(ctx context.Context, req Request, id int64) (*store.TipQuestion, error) {
	q, err := t.st.TipQuestionByID(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, &access.Denied{Action: access.ReadOwnReports, Reason: access.ReasonNotFound, MessageKey: access.MessageKey(access.ReasonNotFound)}
	}
	if err != nil {
		return nil, fmtErr("question", id, err)
	}
	// Only the reporter answers: the question is about their own tip.
	if err := t.policy.Check(ctx, req.Person, access.ReadOwnReports, access.Subject{SubmissionID: q.SubmissionID}); err != nil {
		return nil, err
	}
	return &q, nil
}

// answer stores the reporter's answer with the tip and queues it to the
// officer who asked, in one transaction; the first answer stays.
func (t *Tips) answer(ctx context.Context, req Request, questionID int64, text string) (Reply, error) {
	q, err := t.question(ctx, req, questionID)
	if err != nil || q == nil {
		return t.refused(req.Lang, err)
	}
	var ok bool
	err = t.st.InTx(ctx, func(tx *store.Store) error {
		var err error
		ok, err = tx.AnswerTipQuestion(ctx, questionID, text, t.now())
		if err != nil || !ok {
			return err
		}
		if err := audit(ctx, tx, req.Person.ID, AuditAnswered, q.SubmissionID, "question="+strconv.FormatInt(questionID, 10)); err != nil {
			return err
		}
		asker, err := tx.PersonByID(ctx, q.AskerID)
		if err != nil {
			return err
		}
		lang, err := t.personLang(ctx, tx, asker)
		if err != nil {
			return err
		}
		msg := bot.Message{Text: t.tr.T(lang, "tips.answer.to_officer", "Ref", q.SubmissionID, "Name", req.Person.Name,
			"Question", q.Question, "Answer", text)}
		if asker.Role == store.RoleCommunePolice {
			msg.Buttons = [][]bot.Button{{{Label: t.tr.T(lang, "tips.button.ask"), Data: data(verbAsk, q.SubmissionID)}}}
		}
		return delivery.Enqueue(ctx, tx, delivery.Job{
			To:        delivery.ToPerson(q.AskerID),
			Message:   msg,
			Kind:      KindTipAnswer,
			DedupeKey: fmt.Sprintf("tip:%d:answer:%d", q.SubmissionID, questionID),
			Urgent:    true,
			Scheduled: true,
			Ref:       "tip:" + strconv.FormatInt(q.SubmissionID, 10) + ":answer",
		})
	})
	if err != nil {
		return Reply{}, fmtErr("answer question", questionID, err)
	}
	if !ok {
		return say(t.tr.T(req.Lang, "tips.answer.already", "Ref", q.SubmissionID)), nil
	}
	t.log.InfoContext(ctx, "tip question answered", "submission_id", q.SubmissionID, "question_id", questionID)
	return say(t.tr.T(req.Lang, "tips.answer.sent", "Ref", q.SubmissionID)), nil
}
