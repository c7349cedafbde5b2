package tips

import (
	"context"

	"github.com/anttbot/anttbot/flows"
)

// Register plugs tips into the conversation service: confirmed reports are
// written through CreateSubmission (so a tip and its push commit together),
// taps on tips' buttons, the text typed for tips' prompts and free text
// answering a pending question come to tips. Call it before the service
// handles updates.
func (t *Tips) Register(svc *flows.Service) {
	svc.SetSubmitter(t)
	svc.RegisterCallback(dataPrefix, func(ctx context.Context, c flows.Call, d string) (flows.Reply, error) {
		r, err := t.HandleCallback(ctx, request(c, d, ""))
		return toFlows(r), err
	})
	svc.RegisterPrompt(dataPrefix, func(ctx context.Context, c flows.Call, d, text string) (flows.Reply, error) {
		r, err := t.HandlePrompt(ctx, request(c, d, text))
		return toFlows(r), err
	})
	svc.RegisterText(func(ctx context.Context, c flows.Call, text string) (flows.Reply, bool, error) {
		r, ok, err := t.HandleText(ctx, request(c, "", text))
		return toFlows(r), ok, err
	})
}

func request(c flows.Call, data, text string) Request {
	return Request{Person: c.Person, Lang: c.Lang, Data: data, Text: text}
}

func toFlows(r Reply) flows.Reply {
	out := flows.Reply{Replies: r.Messages, Toast: r.Toast}
	if r.Prompt != nil {
		out.Prompt = &flows.Prompt{Data: r.Prompt.Data, Expires: r.Prompt.Expires}
	}
	return out
}
