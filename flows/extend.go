package flows

import (
	"context"
	"strings"
	"time"

	"github.com/anttbot/anttbot/bot"
	"github.com/anttbot/anttbot/store"
)

// Extension points for packages that take part in conversations without a
// flow of their own (tips: buttons on the tips pushed to the police, the
// officer's typed question, the reporter's answer):
//
//   - SetSubmitter: confirmed reports are written through another writer,
//     which can queue their notifications in the same transaction.
//   - RegisterCallback: taps on buttons whose data starts with a prefix go
//     to a handler (buttons on messages the bot pushed, outside any session).
//   - RegisterPrompt: a handler may ask for one typed answer (Reply.Prompt);
//     the chat's next text goes back to the handler registered for the
//     prompt's prefix, before any report in progress. A command, /huy
//     included, ends the prompt; so does its expiry.
//   - RegisterText: free text from a linked person with nothing in progress
//     is offered to these handlers before the "I did not understand" answer.

// Submitter writes a confirmed report. *store.Store implements it; so does
// tips.Tips, which also queues the push to the police in the transaction.
type Submitter interface {
	CreateSubmission(ctx context.Context, sub *store.Submission, source string) (created bool, err error)
}

// Reply is what a callback, prompt or text handler answers.
type Reply struct {
	// Replies go to the chat in order (ChatID is filled in).
	Replies []bot.Message
	// Toast acknowledges a button tap where the platform shows one.
	Toast string
	// Prompt, when set, sends the chat's next typed text to the prompt
	// handler registered for a prefix of Prompt.Data; nil ends any prompt.
	Prompt *Prompt
}

// Prompt is a typed answer a handler waits for. It is kept in the session.
type Prompt struct {
	Data    string    `json:"data"`
	Expires time.Time `json:"expires"`
}

// CallbackHandler handles a tap on a button whose data has its prefix.
type CallbackHandler func(ctx context.Context, c Call, data string) (Reply, error)

// PromptHandler handles the text typed for a prompt whose data has its prefix.
type PromptHandler func(ctx context.Context, c Call, data, text string) (Reply, error)

// TextHandler may take free text; handled false passes it on.
type TextHandler func(ctx context.Context, c Call, text string) (r Reply, handled bool, err error)

// extensions holds what other packages registered.
type extensions struct {
	submitter Submitter
	callbacks []prefixed[CallbackHandler]
	prompts   []prefixed[PromptHandler]
	texts     []TextHandler
}

type prefixed[H any] struct {
	prefix string
	h      H
}

func find[H any](hs []prefixed[H], data string) (H, bool) {
	for _, p := range hs {
		if strings.HasPrefix(data, p.prefix) {
			return p.h, true
		}
	}
	var zero H
	return zero, false
}

// SetSubmitter writes confirmed reports, and their retries, through sub
// instead of Deps.Store. Call it before the service handles updates.
func (s *Service) SetSubmitter(sub Submitter) { s.ext.submitter = sub }

// RegisterCallback sends taps on buttons whose data starts with prefix
// (e.g. "tip:") from linked, active people to h. Button data must not look
// like a command or a step tap ("<draft>.<seq>.<code>"). Register before the
// service handles updates.
func (s *Service) RegisterCallback(prefix string, h CallbackHandler) {
	s.ext.callbacks = append(s.ext.callbacks, prefixed[CallbackHandler]{prefix, h})
}

// RegisterPrompt sends the text typed for a Reply.Prompt whose data starts
// with prefix to h. Register before the service handles updates.
func (s *Service) RegisterPrompt(prefix string, h PromptHandler) {
	s.ext.prompts = append(s.ext.prompts, prefixed[PromptHandler]{prefix, h})
}

// RegisterText offers free text from linked people with nothing in
// progress to h, in registration order. Register before the service handles updates.
func (s *Service) RegisterText(h TextHandler) { s.ext.texts = append(s.ext.texts, h) }

// submitter is where confirmed reports are written.
func (s *Service) submitter() Submitter {
	if s.ext.submitter != nil {
		return s.ext.submitter
	}
	return s.st
}

// routeHooks runs a registered callback or the pending prompt; false when
// the update is not theirs.
func (s *Service) routeHooks(ctx context.Context, c *call, sess *Session, in Input) bool {
	if c.person == nil || !c.person.Active {
		return false
	}
	hc := Call{Update: c.u, Person: *c.person, Lang: c.lang}
	if in.Kind == bot.KindCallback && in.Tap == nil {
		h, ok := find(s.ext.callbacks, in.Text)
		if !ok {
			return false
		}
		r, err := h(ctx, hc, in.Text)
		s.applyReply(c, sess, r, err)
		return true
	}
	p := sess.Prompt
	if p == nil {
		return false
	}
	if !p.Expires.IsZero() && c.now.After(p.Expires) {
		sess.Prompt = nil
		return false
	}
	if in.Kind != bot.KindText {
		return false
	}
	if cmd, ok, unknown := parseCommand(s.commands, in.Text); ok || unknown {
		sess.Prompt = nil
		if ok && cmd.spec.Name == CmdCancel && sess.Draft == nil {
			c.say(c.T(s, "flows.cancel.done"), s.menu(c)...)
			return true
		}
		return false
	}
	h, ok := find(s.ext.prompts, p.Data)
	if !ok {
		sess.Prompt = nil
		return false
	}
	hc.Args = in.Text
	r, err := h(ctx, hc, p.Data, in.Text)
	s.applyReply(c, sess, r, err)
	s.resumeNote(c, sess)
	return true
}

// idleText offers free text to the registered text handlers.
func (s *Service) idleText(ctx context.Context, c *call, sess *Session, in Input) bool {
	if in.Kind != bot.KindText || c.person == nil {
		return false
	}
	hc := Call{Update: c.u, Person: *c.person, Lang: c.lang, Args: in.Text}
	for _, h := range s.ext.texts {
		r, handled, err := h(ctx, hc, in.Text)
		if !handled && err == nil {
			continue
		}
		s.applyReply(c, sess, r, err)
		return true
	}
	return false
}

// applyReply adds a handler's reply to the call; an error is told to the
// user like any other and ends the prompt.
func (s *Service) applyReply(c *call, sess *Session, r Reply, err error) {
	if err != nil {
		sess.Prompt = nil
		s.fail(c, err)
		return
	}
	c.out.Replies = append(c.out.Replies, r.Replies...)
	if r.Toast != "" {
		c.out.Toast = r.Toast
	}
	sess.Prompt = r.Prompt
}
