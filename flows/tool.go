package flows

import (
	"context"
	"errors"
	"fmt"

	"github.com/anttbot/anttbot/bot"
	"github.com/anttbot/anttbot/store"
)

// Tools are multi-step flows of other packages (the police and team-leader
// tools: log an incident, enter figures, give a reason) run by this engine
// with its step types, navigation (back, skip, cancel), stale-button
// detection, idle reminder and session handling:
//
//   - RegisterTool names a Tool. Its Steps are built from the draft alone
//     (Draft.Data set when the tool starts, the answers so far), so they may
//     depend on earlier answers and the engine stays free of I/O.
//   - A command handler starts a tool with Call.StartTool; the first step is
//     asked right after the handler's own replies.
//   - When the last step is answered (a StepConfirm step, or any last step
//     when the tool has no confirmation) the service calls Finish, which
//     does the I/O and returns the replies. An error keeps the draft, so the
//     user can answer the last step again, unless it is store.ErrInvalid or
//     store.ErrNotFound, which retrying cannot mend.
//
// A report or invite in progress is never replaced by a tool: the person is
// asked to finish or cancel it first. A tool in progress is replaced by a
// newly started one.
//
// OnDenied lets the package behind a command answer, and audit, a person
// whose role may not use it, instead of the generic refusal.

// Step types tools use beyond the campaign's question types (campaign.QChoice, ...).
const (
	// StepConfirm shows the step's Prompt (a tool's own summary; the
	// engine's summary when empty) with the confirm button.
	StepConfirm = stepConfirm
	// StepTime takes a time of day: one of the step's Options, or typed
	// ("14:30", "9h15"); the answer's Text is the option ID or "HH:MM".
	StepTime = stepTime
)

// Tool is a multi-step flow registered with Service.RegisterTool.
type Tool interface {
	// Label names what the tool does, for "you are in the middle of …" notes.
	Label(lang string) string
	// Steps returns the tool's steps for the draft, in order, resolved for
	// lang; false when the draft cannot go on (it is then dropped with an
	// apology). It must not do I/O.
	Steps(d *Draft, lang string) ([]Step, bool)
	// Finish runs when the last step is answered.
	Finish(ctx context.Context, c Call, d *Draft) ([]bot.Message, error)
}

// toolStart is a tool a handler asked to start.
type toolStart struct {
	name string
	data map[string]string
}

// StartTool asks the service to start the named tool, with data kept in
// Draft.Data, once the handler returns. It works in command handlers and
// Tool.Finish; elsewhere it does nothing.
func (c Call) StartTool(name string, data map[string]string) {
	if c.start != nil {
		*c.start = toolStart{name: name, data: data}
	}
}

// RegisterTool adds a tool under name, which must not be a flow of this
// package. Register before the service handles updates.
func (s *Service) RegisterTool(name string, t Tool) {
	if name == "" || name == flowReport || name == flowInvite {
		panic(fmt.Sprintf("flows: register tool: reserved name %q", name))
	}
	if s.eng.tools == nil {
		s.eng.tools = map[string]Tool{}
	}
	s.eng.tools[name] = t
}

// OnDenied answers a linked person whose role may not use the command with
// h (which should say why, and record the refusal) instead of the generic
// refusal. Register before the service handles updates.
func (s *Service) OnDenied(command string, h CommandHandler) {
	if s.denied == nil {
		s.denied = map[string]CommandHandler{}
	}
	s.denied[command] = h
}

// tool returns the tool a flow name stands for.
func (e *Engine) tool(flow string) (Tool, bool) {
	t, ok := e.tools[flow]
	return t, ok
}

// advanceTool moves a tool draft on after step id was answered: the steps
// are built again (they may depend on the answer), and the draft finishes
// when id was the last.
func (e *Engine) advanceTool(t *turn, o *Outcome, d *Draft, id string) {
	sts, ok := e.steps(d, t.lang)
	idx := indexOf(sts, id)
	if !ok || idx < 0 {
		return
	}
	if idx == len(sts)-1 {
		o.Finished = d
		return
	}
	e.next(t, o, d, sts, idx)
}

// startTool starts a tool a handler asked for.
func (s *Service) startTool(ctx context.Context, c *call, sess *Session, ts toolStart) {
	tl, ok := s.eng.tool(ts.name)
	if !ok || c.person == nil {
		s.fail(c, fmt.Errorf("flows: start tool %q: not registered", ts.name))
		return
	}
	if d := sess.Draft; d != nil && s.eng.valid(d, c.lang) {
		if _, isTool := s.eng.tool(d.Flow); !isTool {
			s.resumeNote(c, sess)
			return
		}
	}
	d := &Draft{ID: s.draftID(), Flow: ts.name, Data: ts.data, ReporterID: c.person.ID, TeamID: c.person.UnitID, Started: c.now, Seq: 1}
	sts, ok := tl.Steps(d, c.lang)
	if !ok || len(sts) == 0 {
		s.fail(c, fmt.Errorf("flows: start tool %q: no steps", ts.name))
		return
	}
	d.Step = sts[0].ID
	sess.Draft = d
	s.eng.ask(s.eng.turn(c.lang, c.now), &c.out, d, nil)
}

// finishTool runs a tool's Finish once its last step is answered.
func (s *Service) finishTool(ctx context.Context, c *call, sess *Session, d *Draft) {
	tl, ok := s.eng.tool(d.Flow)
	if !ok || c.person == nil {
		sess.Draft = nil
		return
	}
	hc := Call{Update: c.u, Person: *c.person, Lang: c.lang, start: &toolStart{}}
	msgs, err := tl.Finish(ctx, hc, d)
	if err != nil {
		s.fail(c, err)
		if errors.Is(err, store.ErrInvalid) || errors.Is(err, store.ErrNotFound) {
			sess.Draft = nil
			return
		}
		// Keep the draft: answering the last step again retries.
		s.eng.ask(s.eng.turn(c.lang, c.now), &c.out, d, nil)
		return
	}
	if sess.Draft == d {
		sess.Draft = nil
	}
	c.out.Replies = append(c.out.Replies, msgs...)
	if hc.start.name != "" {
		s.startTool(ctx, c, sess, *hc.start)
	}
}

// isTool reports whether a flow name is a registered tool.
func (s *Service) isTool(flow string) bool {
	_, ok := s.eng.tool(flow)
	return ok
}
