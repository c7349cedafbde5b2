package flows

import (
	"context"
	"errors"
	"strings"

	"github.com/anttbot/anttbot/bot"
	"github.com/anttbot/anttbot/store"
)

// route decides what the update means and runs it: a command, the next
// step of the flow in progress, onboarding, or a short helpful answer.
func (s *Service) route(ctx context.Context, c *call, sess *Session) {
	in, p := s.input(c.u)
	if p != nil {
		s.problem(c, sess, p)
		return
	}
	if c.person == nil && c.dbErr != nil && sess.Draft == nil {
		// Nobody to recognise the sender by: do not mistake them for a stranger.
		c.say(c.T(s, "flows.error.try_again"))
		return
	}
	if c.u.Kind == bot.KindFollow {
		cmd, _, _ := parseCommand(s.commands, "/"+CmdStart)
		s.runCommand(ctx, c, sess, cmd)
		return
	}
	if s.routeHooks(ctx, c, sess, in) {
		return
	}
	if in.Tap == nil && (in.Kind == bot.KindText || in.Kind == bot.KindCallback) {
		cmd, ok, unknown := parseCommand(s.commands, in.Text)
		switch {
		case ok:
			s.runCommand(ctx, c, sess, cmd)
			return
		case unknown:
			s.problem(c, sess, newProblem("flows.cmd.unknown"))
			return
		case in.Kind == bot.KindCallback:
			// Data we never sent (or that the adapter could not verify).
			c.out.Toast = c.T(s, "common.stale_button")
			s.problem(c, sess, newProblem("common.stale_button"))
			return
		}
	}
	if c.person == nil {
		s.routeUnlinked(ctx, c, sess, in)
		return
	}
	if !c.person.Active {
		c.say(c.T(s, "flows.onboard.inactive"))
		return
	}
	if d := sess.Draft; d != nil && ((d.Flow != flowReport && !s.isTool(d.Flow)) || d.ReporterID != c.person.ID) {
		// An invite flow of a chat that got linked meanwhile has nothing
		// left to do, and a report begun by the person the chat was linked
		// to before is not this person's to send.
		sess.Draft = nil
	}
	if sess.Draft != nil {
		if in.Kind == bot.KindContact && stepAt(s.eng, sess) != stepPhone {
			c.say(c.T(s, "flows.onboard.already_linked", "Name", c.person.Name))
			c.out.Replies = append(c.out.Replies, s.eng.Ask(sess, c.lang, c.now).Replies...)
			return
		}
		s.engineTurn(ctx, c, sess, s.eng.Handle(sess, in, c.lang, c.now))
		return
	}
	t := s.eng.turn(c.lang, c.now)
	switch {
	case in.Tap != nil:
		s.eng.staleTap(t, &c.out, sess, *in.Tap)
		if len(c.out.Replies) == 0 {
			c.out.Toast = c.T(s, "common.stale_button")
			c.say(c.T(s, "common.stale_button"), s.menu(c)...)
		}
	case in.Kind == bot.KindContact:
		c.say(c.T(s, "flows.onboard.already_linked", "Name", c.person.Name), s.menu(c)...).RemoveKeyboard = true
	case in.Kind == bot.KindPhoto || in.Kind == bot.KindLocation:
		c.say(c.T(s, "flows.idle.media_outside"), s.menu(c)...)
	default:
		if s.idleText(ctx, c, sess, in) {
			return
		}
		c.say(c.T(s, "flows.idle.unknown"), s.menu(c)...)
	}
}

// stepAt returns the type of the session's current step, "" when none.
func stepAt(e *Engine, sess *Session) string {
	if sess.Draft == nil {
		return ""
	}
	sts, ok := e.steps(sess.Draft, "vi")
	if i := indexOf(sts, sess.Draft.Step); ok && i >= 0 {
		return sts[i].Type
	}
	return ""
}

// problem tells the user what was wrong with their input, repeating the
// current question when a flow is in progress.
func (s *Service) problem(c *call, sess *Session, p *problem) {
	if sess.Draft != nil && s.eng.valid(sess.Draft, c.lang) {
		s.eng.ask(s.eng.turn(c.lang, c.now), &c.out, sess.Draft, p)
		return
	}
	var buttons [][]bot.Button
	if c.person != nil {
		buttons = s.menu(c)
	}
	c.say(c.T(s, p.key, p.args...), buttons...)
}

// engineTurn adds an engine outcome to the call and stores a finished flow.
func (s *Service) engineTurn(ctx context.Context, c *call, sess *Session, o Outcome) {
	c.out.Replies = append(c.out.Replies, o.Replies...)
	if o.Toast != "" {
		c.out.Toast = o.Toast
	}
	if o.Finished == nil {
		return
	}
	switch o.Finished.Flow {
	case flowReport:
		s.finishReport(ctx, c, sess, o.Finished)
	case flowInvite:
		s.finishInvite(ctx, c, sess, o.Finished)
	default:
		s.finishTool(ctx, c, sess, o.Finished)
	}
}

// routeUnlinked handles a chat not linked to anybody: the invite flow in
// progress, a shared contact, or the onboarding prompt.
func (s *Service) routeUnlinked(ctx context.Context, c *call, sess *Session, in Input) {
	if d := sess.Draft; d != nil {
		if d.Flow == flowInvite {
			s.engineTurn(ctx, c, sess, s.eng.Handle(sess, in, c.lang, c.now))
			return
		}
		if c.dbErr == nil {
			// The chat was unlinked meanwhile: its report cannot be stored.
			sess.Draft = nil
		}
	}
	if c.dbErr != nil {
		c.say(c.T(s, "flows.error.try_again"))
		return
	}
	if in.Kind == bot.KindContact {
		s.onContact(ctx, c, sess, in)
		return
	}
	s.onboardPrompt(c)
}

// runCommand runs a recognised command the person may use.
func (s *Service) runCommand(ctx context.Context, c *call, sess *Session, cmd parsedCommand) {
	if c.person == nil && c.dbErr != nil && !cmd.spec.Public {
		c.say(c.T(s, "flows.error.try_again"))
		return
	}
	if !cmd.spec.allows(c.role()) {
		if c.person == nil {
			s.onboardPrompt(c)
			return
		}
		if h := s.denied[cmd.spec.Name]; h != nil && c.person.Active {
			msgs, err := h(ctx, Call{Update: c.u, Person: *c.person, Lang: c.lang, Args: cmd.args})
			if err != nil {
				s.fail(c, err)
				return
			}
			c.out.Replies = append(c.out.Replies, msgs...)
			return
		}
		c.say(c.T(s, "flows.cmd.not_allowed"), s.menu(c)...)
		return
	}
	if c.person != nil && !c.person.Active && cmd.spec.Name != CmdLanguage && cmd.spec.Name != CmdHelp {
		c.say(c.T(s, "flows.onboard.inactive"))
		return
	}
	aboutDraft := false
	switch cmd.spec.Name {
	case CmdStart:
		s.cmdStart(ctx, c, sess, cmd.args)
		aboutDraft = cmd.args != ""
	case CmdReport:
		s.cmdReport(ctx, c, sess, cmd.args)
		aboutDraft = true
	case CmdCancel:
		s.cmdCancel(c, sess)
		aboutDraft = true
	case CmdMine:
		s.cmdMine(ctx, c, sess)
	case CmdStanding:
		s.cmdStanding(ctx, c)
	case CmdHelp:
		s.cmdHelp(c)
	case CmdLanguage:
		s.cmdLanguage(ctx, c, sess, cmd.args)
	case cmdMenu:
		s.cmdMenu(c)
	default:
		h := s.handlers[cmd.spec.Name]
		if h == nil || c.person == nil {
			s.cmdMenu(c)
			break
		}
		hc := Call{Update: c.u, Person: *c.person, Lang: c.lang, Args: cmd.args, start: &toolStart{}}
		msgs, err := h(ctx, hc)
		if err != nil {
			s.fail(c, err)
			break
		}
		c.out.Replies = append(c.out.Replies, msgs...)
		if hc.start.name != "" {
			s.startTool(ctx, c, sess, *hc.start)
			aboutDraft = true
		}
	}
	if !aboutDraft {
		s.resumeNote(c, sess)
	}
}

// resumeNote reminds a person who ran another command mid-report that the
// report is still waiting.
func (s *Service) resumeNote(c *call, sess *Session) {
	d := sess.Draft
	if d == nil || !s.eng.valid(d, c.lang) {
		return
	}
	t := s.eng.turn(c.lang, c.now)
	c.say(c.T(s, "flows.report.in_progress", "Kind", s.draftLabel(d, c.lang)), []bot.Button{
		btn(c.T(s, "flows.idle.resume"), stepData(d, codeResume)),
		btn(t.T("common.cancel"), stepData(d, codeCancel)),
	})
}

// draftLabel names what a draft is about, for messages.
func (s *Service) draftLabel(d *Draft, lang string) string {
	if k, ok := s.camp.Kind(d.Kind); ok {
		return kindLabel(k, lang)
	}
	if d.Flow == flowInvite {
		return s.tr.T(lang, "flows.invite.name")
	}
	if tl, ok := s.eng.tool(d.Flow); ok {
		return tl.Label(lang)
	}
	return s.tr.T(lang, "flows.report.name")
}

// fail tells the user something went wrong and keeps the error for the log.
func (s *Service) fail(c *call, err error) {
	c.errs = append(c.errs, err)
	if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrInvalid) {
		c.say(c.T(s, "common.error.generic"))
		return
	}
	c.say(c.T(s, "flows.error.try_again"))
}

// menu is the main menu for the person: police officers, who do not
// report, get no report buttons.
func (s *Service) menu(c *call) [][]bot.Button {
	t := s.eng.turn(c.lang, c.now)
	if c.person != nil && !c.person.Role.IsTeamMember() {
		return [][]bot.Button{{btn(t.T("flows.menu.standing"), "/thidua"), btn(t.T("flows.menu.help"), "/huongdan")}}
	}
	return s.eng.menu(t)
}

// cmdMenu shows the main menu.
func (s *Service) cmdMenu(c *call) {
	if c.person == nil {
		s.onboardPrompt(c)
		return
	}
	c.say(c.T(s, "flows.menu.intro"), s.menu(c)...)
}

// cmdCancel drops the flow in progress.
func (s *Service) cmdCancel(c *call, sess *Session) {
	if sess.Draft == nil {
		var buttons [][]bot.Button
		if c.person != nil {
			buttons = s.menu(c)
		}
		c.say(c.T(s, "flows.cancel.nothing"), buttons...)
		return
	}
	sess.Draft = nil
	if c.person == nil {
		c.say(c.T(s, "flows.cancel.done_unlinked")).RemoveKeyboard = true
		return
	}
	c.say(c.T(s, "flows.cancel.done"), s.menu(c)...)
}

// cmdReport starts a report, or asks what to do with the one in progress.
func (s *Service) cmdReport(ctx context.Context, c *call, sess *Session, args string) {
	args = strings.TrimSpace(args)
	_, kindGiven := s.camp.Kind(args)
	fresh := kindGiven || fold(args) == "moi" || fold(args) == "new"
	if d := sess.Draft; d != nil && !fresh && s.eng.valid(d, c.lang) {
		t := s.eng.turn(c.lang, c.now)
		c.say(c.T(s, "flows.report.in_progress", "Kind", s.draftLabel(d, c.lang)),
			[]bot.Button{btn(c.T(s, "flows.idle.resume"), stepData(d, codeResume))},
			[]bot.Button{btn(c.T(s, "flows.report.start_new"), "/baocao moi")},
			[]bot.Button{btn(t.T("common.cancel"), stepData(d, codeCancel))},
		)
		return
	}
	if !kindGiven {
		args = ""
	}
	d := &Draft{ID: s.draftID(), ReporterID: c.person.ID, TeamID: c.person.UnitID}
	s.engineTurn(ctx, c, sess, s.eng.StartReport(sess, d, args, c.lang, c.now))
}

// draftID returns a new draft id fit for button data.
func (s *Service) draftID() string {
	id := strings.Map(func(r rune) rune {
		if isIDRune(r) {
			return r
		}
		return -1
	}, s.newID())
	if len(id) > maxDraftID {
		id = id[:maxDraftID]
	}
	if id == "" {
		id = randomID()
	}
	return id
}
