package flows

import (
	"context"
	"errors"
	"fmt"

	"github.com/anttbot/anttbot/phone"
	"github.com/anttbot/anttbot/store"
)

// onboardPrompt asks a chat that is not linked to share its phone number.
func (s *Service) onboardPrompt(c *call) {
	c.say(c.T(s, "flows.onboard.ask_contact")).RequestContact = true
}

// cmdStart greets a linked person, starts onboarding for anybody else, and
// takes an invite code as "/start <code>".
func (s *Service) cmdStart(ctx context.Context, c *call, sess *Session, code string) {
	if c.person != nil {
		if code != "" {
			c.say(c.T(s, "flows.invite.already_linked", "Name", c.person.Name))
		}
		s.greet(ctx, c, false)
		return
	}
	if c.dbErr != nil {
		c.say(c.T(s, "flows.error.try_again"))
		return
	}
	if code == "" {
		s.onboardPrompt(c)
		return
	}
	inv, err := s.st.InviteByCode(ctx, code)
	switch {
	case errors.Is(err, store.ErrNotFound):
		c.say(c.T(s, "flows.invite.unknown"))
		return
	case err != nil:
		s.fail(c, fmt.Errorf("flows: invite by code: %w", err))
		return
	case inv.UsedAt != nil:
		c.say(c.T(s, "flows.invite.used"))
		return
	case !inv.ExpiresAt.After(c.now):
		c.say(c.T(s, "flows.invite.expired", "Date", formatTimeDate(inv.ExpiresAt, s.opts.Location)))
		return
	}
	unit, err := s.st.UnitByID(ctx, inv.UnitID)
	if err != nil {
		s.fail(c, fmt.Errorf("flows: unit of invite: %w", err))
		return
	}
	c.say(c.T(s, "flows.invite.valid", "Unit", unit.Name, "Role", s.roleName(c.lang, inv.Role)))
	s.engineTurn(ctx, c, sess, s.eng.StartInvite(sess, &Draft{ID: s.draftID()}, code, c.lang, c.now))
}

// onContact links the chat to the imported person whose phone the user
// shared, if the contact is their own.
func (s *Service) onContact(ctx context.Context, c *call, sess *Session, in Input) {
	if !in.OwnContact {
		c.say(c.T(s, "flows.onboard.not_own")).RequestContact = true
		return
	}
	num, err := phone.Normalize(in.Contact.Phone)
	if err != nil {
		c.say(c.T(s, "flows.onboard.unknown_phone", "Phone", in.Contact.Phone))
		return
	}
	p, err := s.st.PersonByPhone(ctx, num)
	switch {
	case errors.Is(err, store.ErrNotFound):
		c.say(c.T(s, "flows.onboard.unknown_phone", "Phone", formatPhone(num)))
		return
	case err != nil:
		s.fail(c, fmt.Errorf("flows: person by phone: %w", err))
		return
	case !p.Active:
		c.say(c.T(s, "flows.onboard.inactive"))
		return
	}
	ident, err := s.st.LinkIdentity(ctx, p.ID, c.u.Channel, c.u.UserID, c.u.ChatID, c.lang)
	if err != nil {
		s.fail(c, fmt.Errorf("flows: link identity: %w", err))
		return
	}
	s.log.Info("chat linked by phone", "channel", c.u.Channel, "person_id", p.ID)
	c.person, c.ident = &p, &ident
	s.refreshWho(c, sess)
	s.greet(ctx, c, true)
}

// greet welcomes a linked person by name and team and shows the menu.
func (s *Service) greet(ctx context.Context, c *call, first bool) {
	p := c.person
	unit := ""
	if u, err := s.st.UnitByID(ctx, p.UnitID); err == nil {
		unit = u.Name
		if u.Level == store.LevelTeam {
			if cm, err := s.st.CommuneOf(ctx, u.ID); err == nil {
				unit = c.T(s, "flows.onboard.unit_in", "Unit", u.Name, "Commune", cm.Name)
			}
		}
	} else {
		s.log.Warn("unit of person", "person_id", p.ID, "err", err)
	}
	key := "flows.onboard.welcome_back"
	if first {
		key = "flows.onboard.linked"
	}
	c.say(c.T(s, key, "Name", p.Name, "Role", s.roleName(c.lang, p.Role), "Unit", unit)).RemoveKeyboard = first
	c.say(c.T(s, "flows.menu.intro"), s.menu(c)...)
}

// roleName is a role in words.
func (s *Service) roleName(lang string, r store.Role) string {
	if !r.Valid() {
		return string(r)
	}
	return s.tr.T(lang, "flows.role."+string(r))
}

// finishInvite creates the person an invite flow describes, redeems the
// invite and links the chat.
func (s *Service) finishInvite(ctx context.Context, c *call, sess *Session, d *Draft) {
	name, num := d.Answers[stepIDName].Text, d.Answers[stepIDPhone].Text
	// A number already on the list is linked by sharing it, which proves it
	// is the sender's: an invite must not take over somebody else's record.
	_, err := s.st.PersonByPhone(ctx, num)
	switch {
	case err == nil:
		sess.Draft = nil
		c.say(c.T(s, "flows.invite.phone_taken")).RequestContact = true
		return
	case !errors.Is(err, store.ErrNotFound):
		s.fail(c, fmt.Errorf("flows: invite: person by phone: %w", err))
		return
	}
	p, _, err := s.st.JoinByInvite(ctx, d.Invite, store.Person{Name: name, Phone: num, Locale: c.lang}, c.now)
	switch {
	case errors.Is(err, store.ErrInviteUsed):
		sess.Draft = nil
		c.say(c.T(s, "flows.invite.used"))
		return
	case errors.Is(err, store.ErrInviteExpired):
		sess.Draft = nil
		c.say(c.T(s, "flows.invite.expired_now"))
		return
	case errors.Is(err, store.ErrNotFound):
		sess.Draft = nil
		c.say(c.T(s, "flows.invite.unknown"))
		return
	case err != nil:
		// The draft stays at its confirmation: confirming again retries.
		s.fail(c, fmt.Errorf("flows: join by invite: %w", err))
		return
	}
	sess.Draft = nil
	ident, err := s.st.LinkIdentity(ctx, p.ID, c.u.Channel, c.u.UserID, c.u.ChatID, c.lang)
	if err != nil {
		// The person exists now: sharing the phone number links the chat.
		s.fail(c, fmt.Errorf("flows: link identity after invite: %w", err))
		s.onboardPrompt(c)
		return
	}
	s.log.Info("chat linked by invite", "channel", c.u.Channel, "person_id", p.ID)
	c.person, c.ident = &p, &ident
	s.refreshWho(c, sess)
	s.greet(ctx, c, true)
}
