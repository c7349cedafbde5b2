package tips

import (
	"context"
	"strings"

	"github.com/anttbot/anttbot/access"
	"github.com/anttbot/anttbot/store"
)

// What an officer does to a tip. The web console names its forms' actions
// with these; each runs the very code the chat's button of the same meaning
// runs, so first-wins, the audit and the reporter's notice are one path.
const (
	ActReceive = "receive" // Tiếp nhận
	ActVerify  = "verify"  // Đã xác minh
	ActReject  = "reject"  // Không xác minh được, with an optional reason
	ActAsk     = "ask"     // Hỏi thêm: the question goes to the reporter
)

// verbs maps an action onto its chat button's verb.
var verbs = map[string]string{ActReceive: verbReceive, ActVerify: verbVerify, ActReject: verbReject, ActAsk: verbAsk}

// Act does action to tip id for p, as the chat's button of the same meaning
// does, and answers in lang. text is the question (ActAsk, required) or the
// optional reason of a rejection. A refusal, a tip already handled or a
// question too long are answered in the Reply, like in the chat.
func (t *Tips) Act(ctx context.Context, p store.Person, lang string, id int64, action, text string) (Reply, error) {
	verb, ok := verbs[action]
	if !ok {
		return say(t.tr.T(lang, "common.stale_button")), nil
	}
	req := Request{Person: p, Lang: lang, Data: data(verb, id), Text: strings.TrimSpace(text)}
	if action == ActAsk {
		// The question typed into the form is the prompt's answer in the chat.
		req.Data = data(verbAsk, id)
		return t.HandlePrompt(ctx, req)
	}
	r, err := t.HandleCallback(ctx, req)
	if err != nil || action != ActReject || r.Prompt == nil {
		return r, err
	}
	// Rejected just now: the chat asks for the reason next; the form gave it already.
	if req.Text == "" {
		return Reply{Messages: r.Messages[:1], Toast: r.Toast}, nil
	}
	req.Data = r.Prompt.Data
	rr, err := t.HandlePrompt(ctx, req)
	if err != nil {
		return Reply{}, err
	}
	rr.Messages = append(r.Messages[:1:1], rr.Messages...)
	return rr, nil
}

// Page is a tip as the console shows it to an officer of the police chain.
type Page struct {
	Submission store.Submission
	// Text is the tip as pushed to the officer's level in the chat: answers,
	// location, reporter, source, status.
	Text string
	// Actions are the Act* the officer may take now (commune police only).
	Actions []string
	// Questions are the officers' questions to the reporter and the answers.
	Questions []store.TipQuestion
}

// Page reads tip id for p, in lang. The read goes through the access policy,
// which audits it (as every police read of a tip); a refusal is returned as
// the policy's *access.Denied error, with nothing of the tip.
func (t *Tips) Page(ctx context.Context, p store.Person, lang string, id int64) (Page, error) {
	if err := t.policy.Check(ctx, p, access.ReadTipSource, access.Subject{SubmissionID: id}); err != nil {
		return Page{}, err
	}
	sub, err := t.st.SubmissionByID(ctx, id)
	if err != nil {
		return Page{}, fmtErr("tip", id, err)
	}
	if !t.policy.Sensitive(sub.Kind) {
		return Page{}, fmtErr("tip", id, store.ErrNotFound)
	}
	v, err := t.load(ctx, t.st, sub)
	if err != nil {
		return Page{}, err
	}
	level := store.LevelCommune
	if p.Role != store.RoleCommunePolice {
		level = store.LevelDistrict // read-only: no buttons
	}
	text, buttons := t.policeView(v, level, lang, "")
	out := Page{Submission: sub, Text: text}
	for _, row := range buttons {
		for _, b := range row {
			verb, _, _ := parseData(b.Data)
			for a, v := range verbs {
				if v == verb {
					out.Actions = append(out.Actions, a)
				}
			}
		}
	}
	if out.Questions, err = t.st.TipQuestions(ctx, id); err != nil {
		return Page{}, fmtErr("questions of tip", id, err)
	}
	return out, nil
}
