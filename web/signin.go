package web

import (
	"context"
	"errors"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/anttbot/anttbot/bot"
	"github.com/anttbot/anttbot/delivery"
	"github.com/anttbot/anttbot/flows"
	"github.com/anttbot/anttbot/phone"
	"github.com/anttbot/anttbot/ratelimit"
	"github.com/anttbot/anttbot/store"
)

// Command is the chat command that sends a sign-in link.
const Command = "web"

// KindSignIn is the delivery kind of a sign-in link sent from the sign-in page.
const KindSignIn = "web_sign_in"

// Register adds /web (also the words "web", "đăng nhập") to the chat: a
// linked official gets a one-time sign-in link as a link button; anybody
// else a clear refusal.
func (s *Server) Register(svc *flows.Service) {
	svc.Register(flows.CommandSpec{
		Name:    Command,
		Words:   []string{"đăng nhập", "dang nhap", "trang web"},
		Roles:   []store.Role{store.RoleLeader, store.RoleDeputy, store.RoleCommunePolice, store.RoleDistrictPolice, store.RoleProvincePolice},
		DescKey: "web.cmd",
	}, s.cmdWeb)
	svc.OnDenied(Command, func(ctx context.Context, c flows.Call) ([]bot.Message, error) {
		return []bot.Message{{Text: s.d.Text.T(c.Lang, "web.link.members")}}, nil
	})
}

func (s *Server) cmdWeb(ctx context.Context, c flows.Call) ([]bot.Message, error) {
	if !c.Person.Active || !consoleRole(c.Person.Role) {
		return []bot.Message{{Text: s.d.Text.T(c.Lang, "web.link.members")}}, nil
	}
	m, err := s.linkMessage(ctx, c.Person, c.Lang)
	if err != nil {
		return nil, err
	}
	return []bot.Message{m}, nil
}

// linkMessage creates a sign-in link for p and the message carrying it.
func (s *Server) linkMessage(ctx context.Context, p store.Person, lang string) (bot.Message, error) {
	link, err := s.SignInURL(ctx, p)
	if err != nil {
		return bot.Message{}, err
	}
	s.log.InfoContext(ctx, "web sign-in link sent", "person_id", p.ID)
	return bot.Message{
		Text:    s.d.Text.T(lang, "web.link.text", "Minutes", int(s.o.LinkTTL/time.Minute)),
		Buttons: [][]bot.Button{{{Label: s.d.Text.T(lang, "web.link.button"), URL: link}}},
	}, nil
}

// SignInURL creates a one-time sign-in link for p, valid Options.LinkTTL.
func (s *Server) SignInURL(ctx context.Context, p store.Person) (string, error) {
	token, err := s.d.Store.CreateWebLoginToken(ctx, p.ID, s.d.Now().Add(s.o.LinkTTL))
	if err != nil {
		return "", err
	}
	return s.URL(Prefix + "/login/" + token), nil
}

// signInPage is the page a visitor without a session lands on: what to
// send in the chat, and a form to have the link sent there.
func (s *Server) signInPage(w http.ResponseWriter, r *http.Request, v *visitor) {
	if v.Signed {
		http.Redirect(w, r, Prefix+"/", http.StatusSeeOther)
		return
	}
	token := s.csrfCookie(w, r)
	notice := r.URL.Query().Get("n")
	if !slices.Contains(loginNotices, notice) {
		notice = ""
	}
	s.render(w, r, v, http.StatusOK, "login", map[string]any{"CSRF": token, "Notice": notice})
}

// loginNotices are the notices the sign-in page shows (?n=, web.login.notice.*).
var loginNotices = []string{"sent", "bad_phone", "limited", "used", "expired", "unknown", "no_console", "signed_out", "ended"}

// csrfCookie returns the visitor's pre-session CSRF token, setting it when missing.
func (s *Server) csrfCookie(w http.ResponseWriter, r *http.Request) string {
	if c, err := r.Cookie(csrfCookie); err == nil && len(c.Value) >= 32 {
		return c.Value
	}
	token := store.NewSecret()
	http.SetCookie(w, &http.Cookie{Name: csrfCookie, Value: token, Path: Prefix, HttpOnly: true, Secure: s.secure,
		SameSite: http.SameSiteLaxMode, MaxAge: 3600})
	return token
}

// signInRequest sends a sign-in link to the linked chat of the official
// whose phone number was typed. The answer is the same whether or not the
// number belongs to anybody, so the form tells nobody who is registered.
func (s *Server) signInRequest(w http.ResponseWriter, r *http.Request, v *visitor) {
	ctx := r.Context()
	c, err := r.Cookie(csrfCookie)
	if err != nil || !sameToken(r.PostFormValue("csrf"), c.Value) {
		s.fail(w, r, v, http.StatusForbidden)
		return
	}
	num, err := phone.Normalize(r.PostFormValue("phone"))
	if err != nil {
		s.redirectWith(w, r, Prefix+"/login?n=bad_phone", "")
		return
	}
	rule := ratelimit.Rule{Rate: s.o.SignInPerHour, Per: time.Hour, Burst: s.o.SignInPerHour}
	for _, key := range []string{"web:signin:phone:" + num, "web:signin:addr:" + clientAddr(r)} {
		res, err := s.d.Limiter.Allow(ctx, key, rule)
		if err != nil {
			s.fail(w, r, v, http.StatusInternalServerError, err)
			return
		}
		if !res.Allowed {
			s.log.WarnContext(ctx, "web sign-in rate limited", "key", strings.SplitN(key, ":", 4)[2])
			w.Header().Set("Retry-After", strconv.Itoa(int(res.RetryAfter/time.Second)+1))
			s.render(w, r, v, http.StatusTooManyRequests, "login", map[string]any{"CSRF": c.Value, "Notice": "limited"})
			return
		}
	}
	if err := s.sendLink(ctx, num); err != nil {
		s.fail(w, r, v, http.StatusInternalServerError, err)
		return
	}
	s.redirectWith(w, r, Prefix+"/login?n=sent", "")
}

// sendLink queues a sign-in link to the chat of the official with phone
// number num, when there is one; nothing happens otherwise.
func (s *Server) sendLink(ctx context.Context, num string) error {
	p, err := s.d.Store.PersonByPhone(ctx, num)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if !p.Active || !consoleRole(p.Role) {
		s.log.InfoContext(ctx, "web sign-in link not sent: no console for this person", "person_id", p.ID)
		return nil
	}
	ids, err := s.d.Store.IdentitiesOf(ctx, []int64{p.ID})
	if err != nil {
		return err
	}
	if len(ids) == 0 {
		s.log.InfoContext(ctx, "web sign-in link not sent: no linked chat", "person_id", p.ID)
		return nil
	}
	m, err := s.linkMessage(ctx, p, s.langOf(p))
	if err != nil {
		return err
	}
	return delivery.EnqueueNow(ctx, s.d.Store, delivery.Job{To: delivery.ToPerson(p.ID), Message: m, Kind: KindSignIn})
}

// clientAddr is the address a request came from (without port).
func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// signInLink spends a one-time link and opens a session.
func (s *Server) signInLink(w http.ResponseWriter, r *http.Request, v *visitor) {
	ctx := r.Context()
	personID, err := s.d.Store.UseWebLoginToken(ctx, r.PathValue("token"), s.d.Now())
	switch {
	case errors.Is(err, store.ErrInviteUsed):
		s.log.WarnContext(ctx, "web sign-in link used twice")
		s.redirectWith(w, r, Prefix+"/login?n=used", "")
		return
	case errors.Is(err, store.ErrInviteExpired):
		s.redirectWith(w, r, Prefix+"/login?n=expired", "")
		return
	case errors.Is(err, store.ErrNotFound):
		s.redirectWith(w, r, Prefix+"/login?n=unknown", "")
		return
	case err != nil:
		s.fail(w, r, v, http.StatusInternalServerError, err)
		return
	}
	p, err := s.d.Store.PersonByID(ctx, personID)
	if err != nil {
		s.failErr(w, r, v, err)
		return
	}
	if !p.Active || !consoleRole(p.Role) {
		s.redirectWith(w, r, Prefix+"/login?n=no_console", "")
		return
	}
	if v.Signed && v.sessionID != "" {
		_ = s.d.Store.EndWebSession(ctx, v.sessionID)
	}
	id, _, err := s.d.Store.CreateWebSession(ctx, p, s.d.Now(), s.o.SessionMaxAge)
	if err != nil {
		s.fail(w, r, v, http.StatusInternalServerError, err)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: id, Path: Prefix, HttpOnly: true, Secure: s.secure,
		SameSite: http.SameSiteLaxMode, MaxAge: int(s.o.SessionMaxAge / time.Second)})
	s.log.InfoContext(ctx, "web signed in", "person_id", p.ID, "role", string(p.Role))
	http.Redirect(w, r, Prefix+"/", http.StatusSeeOther)
}

// signOut ends the session.
func (s *Server) signOut(w http.ResponseWriter, r *http.Request, v *visitor) {
	if err := s.d.Store.EndWebSession(r.Context(), v.sessionID); err != nil {
		s.fail(w, r, v, http.StatusInternalServerError, err)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: Prefix, HttpOnly: true, Secure: s.secure,
		SameSite: http.SameSiteLaxMode, MaxAge: -1})
	s.redirectWith(w, r, Prefix+"/login?n=signed_out", "")
}
