// Package web is the console for officials: team leaders, commune police and
// the police above them, in a browser, served by the same binary on the same
// store as the chat.
//
// It holds no rules of its own. Every page asks package access (through the
// same checks the chat's commands make), and every action calls the very
// function the chat's button calls: tips.Act for a tip, police.Verify and
// police.Reject for the verification queue, so first-wins, the audit log and
// the reporter's notice are one code path whichever face was used.
//
// Sign-in has no password: an official sends /web in the chat (or asks on
// the sign-in page, which sends the link to their linked chat through the
// delivery queue) and gets a one-time link valid a few minutes. The session
// it opens lives in the store, ends after an idle time and at a maximum age,
// and ends at once when the person's role or unit changes or they are
// deactivated (checked on every request).
//
// Pages are server-rendered html/template with embedded assets, no script
// at all, a strict content-security policy, and a CSRF token on every form.
// One file per page, like miniflux's internal/ui.
package web

import (
	"context"
	"crypto/subtle"
	"embed"
	"encoding/base64"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/anttbot/anttbot/access"
	"github.com/anttbot/anttbot/campaign"
	"github.com/anttbot/anttbot/police"
	"github.com/anttbot/anttbot/ratelimit"
	"github.com/anttbot/anttbot/report"
	"github.com/anttbot/anttbot/store"
	"github.com/anttbot/anttbot/tips"
)

//go:embed templates/*.html
var templateFiles embed.FS

//go:embed static
var staticFiles embed.FS

// Prefix is where the console is served.
const Prefix = "/web"

// Cookie names.
const (
	sessionCookie = "anttbot_session"
	csrfCookie    = "anttbot_csrf" // double-submit token of the sign-in form, before any session
)

// Translator looks up user-facing text (*locales.Catalog).
type Translator interface {
	T(lang, key string, args ...any) string
}

// Limiter is the rate limiter sign-in requests draw from (package ratelimit).
type Limiter interface {
	Allow(ctx context.Context, key string, r ratelimit.Rule) (ratelimit.Result, error)
}

// Deps are the console's collaborators, the same the chat uses.
type Deps struct {
	Store    *store.Store
	Policy   *access.Policy
	Tips     *tips.Tips
	Police   *police.Tools
	Text     Translator
	Campaign *campaign.Campaign
	Limiter  Limiter
	Log      *slog.Logger
	Now      func() time.Time
}

// Options tune the console (config section [web]).
type Options struct {
	// BaseURL is the service's public root (config.PublicBaseURL), links are built on it.
	BaseURL       string
	Location      *time.Location
	DefaultLang   string
	SessionIdle   time.Duration
	SessionMaxAge time.Duration
	LinkTTL       time.Duration
	SignInPerHour int
}

// Server serves the console. Build it with New.
type Server struct {
	d      Deps
	o      Options
	log    *slog.Logger
	pages  map[string]*template.Template
	secure bool
	mux    *http.ServeMux
}

// New builds the console and parses its templates.
func New(d Deps, o Options) (*Server, error) {
	switch {
	case d.Store == nil || d.Policy == nil || d.Tips == nil || d.Police == nil || d.Text == nil:
		return nil, errors.New("web: Store, Policy, Tips, Police and Text are required")
	}
	if d.Campaign == nil {
		d.Campaign = campaign.Default()
	}
	if d.Log == nil {
		d.Log = slog.Default()
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Limiter == nil {
		d.Limiter = ratelimit.NewMemory()
	}
	if o.Location == nil {
		o.Location = time.UTC
	}
	if o.DefaultLang == "" {
		o.DefaultLang = "vi"
	}
	if o.SessionIdle <= 0 {
		o.SessionIdle = 2 * time.Hour
	}
	if o.SessionMaxAge < o.SessionIdle {
		o.SessionMaxAge = max(12*time.Hour, o.SessionIdle)
	}
	if o.LinkTTL <= 0 {
		o.LinkTTL = 10 * time.Minute
	}
	if o.SignInPerHour <= 0 {
		o.SignInPerHour = 5
	}
	o.BaseURL = strings.TrimRight(o.BaseURL, "/")
	s := &Server{d: d, o: o, log: d.Log.With("comp", "web"), secure: strings.HasPrefix(o.BaseURL, "https://")}
	if err := s.parse(); err != nil {
		return nil, err
	}
	s.routes()
	return s, nil
}

// Handler serves everything under Prefix.
func (s *Server) Handler() http.Handler { return s.mux }

// URL is the absolute address of a console path ("/web/...").
func (s *Server) URL(path string) string { return s.o.BaseURL + path }

func (s *Server) routes() {
	m := http.NewServeMux()
	static, _ := fs.Sub(staticFiles, "static")
	m.Handle("GET "+Prefix+"/static/", http.StripPrefix(Prefix+"/static/", cacheStatic(http.FileServerFS(static))))
	m.HandleFunc("GET "+Prefix+"/login", s.anon(s.signInPage))
	m.HandleFunc("POST "+Prefix+"/login", s.anon(s.signInRequest))
	m.HandleFunc("GET "+Prefix+"/login/{token}", s.anon(s.signInLink))
	m.HandleFunc("POST "+Prefix+"/logout", s.auth(s.signOut))
	for _, r := range Routes {
		m.HandleFunc(r.Method+" "+r.Path, s.auth(s.guard(r, s.handlerOf(r.Name))))
	}
	m.HandleFunc(Prefix+"/", s.anon(func(w http.ResponseWriter, r *http.Request, _ *visitor) {
		s.fail(w, r, nil, http.StatusNotFound)
	}))
	m.HandleFunc(Prefix, func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, Prefix+"/", http.StatusSeeOther) })
	s.mux = m
}

// Route is one signed-in page or action of the console. Routes lists them
// all; the access matrix test (package access) walks every one.
type Route struct {
	Name, Method, Path string
	// Action is what the policy must allow on the unit the page is about
	// (?unit=, else the person's own) before the handler runs. Handlers
	// that act on one report check that report too (tips.Act, police.Verify).
	Action access.Action
}

// Routes are the signed-in routes.
var Routes = []Route{
	{"dashboard", "GET", Prefix + "/{$}", access.ViewSummary},
	{"chart", "GET", Prefix + "/chart.png", access.ViewSummary},
	{"export", "GET", Prefix + "/export.xlsx", access.ViewSummary},
	{"tips", "GET", Prefix + "/tips", access.ReadTipSource},
	{"tip", "GET", Prefix + "/tips/{id}", access.ReadTipSource},
	{"tip_act", "POST", Prefix + "/tips/{id}", access.SetTipStatus},
	{"verify", "GET", Prefix + "/verify", access.ViewQueue},
	{"verify_act", "POST", Prefix + "/verify", access.ViewQueue},
	{"members", "GET", Prefix + "/members", access.ViewTeam},
	{"invite", "POST", Prefix + "/members/invite", access.ViewTeam},
	{"incidents", "GET", Prefix + "/incidents", access.LogIncident},
	{"incident_log", "POST", Prefix + "/incidents", access.LogIncident},
	{"figures", "GET", Prefix + "/figures", access.EnterFigures},
	{"figures_save", "POST", Prefix + "/figures", access.EnterFigures},
}

func (s *Server) handlerOf(name string) func(http.ResponseWriter, *http.Request, *visitor) {
	switch name {
	case "dashboard":
		return s.dashboard
	case "chart":
		return s.chart
	case "export":
		return s.export
	case "tips":
		return s.tipInbox
	case "tip":
		return s.tipPage
	case "tip_act":
		return s.tipAct
	case "verify":
		return s.verifyPage
	case "verify_act":
		return s.verifyAct
	case "members":
		return s.membersPage
	case "invite":
		return s.invite
	case "incidents":
		return s.incidentsPage
	case "incident_log":
		return s.incidentLog
	case "figures":
		return s.figuresPage
	case "figures_save":
		return s.figuresSave
	}
	panic("web: no handler for route " + name)
}

// guard asks the policy for the route's action on the page's unit; a
// refusal is a 403 page that names nothing of what was asked for.
func (s *Server) guard(rt Route, h func(http.ResponseWriter, *http.Request, *visitor)) func(http.ResponseWriter, *http.Request, *visitor) {
	return func(w http.ResponseWriter, r *http.Request, v *visitor) {
		if err := s.d.Policy.Check(r.Context(), v.Person, rt.Action, access.Subject{UnitID: unitOf(r, v.Person)}); err != nil {
			s.failErr(w, r, v, err)
			return
		}
		h(w, r, v)
	}
}

// visitor is who makes a request: a signed-in person (Person set) or not.
type visitor struct {
	Person    store.Person
	Signed    bool
	Lang      string
	CSRF      string
	sessionID string
}

// secureHeaders are on every answer: no script runs, nothing is framed,
// links carry no referrer (a sign-in link is in the URL).
func secureHeaders(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "+
		"frame-ancestors 'none'; base-uri 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
}

func cacheStatic(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		secureHeaders(w)
		w.Header().Set("Cache-Control", "public, max-age=3600")
		h.ServeHTTP(w, r)
	})
}

// anon serves a page open to anybody; a signed-in visitor is recognised.
func (s *Server) anon(h func(http.ResponseWriter, *http.Request, *visitor)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		v, ok := s.begin(w, r)
		if !ok {
			return
		}
		if v == nil {
			v = &visitor{Lang: s.o.DefaultLang}
		}
		h(w, r, v)
	}
}

// auth serves a page for signed-in people only, and checks the CSRF token
// of every request that changes something.
func (s *Server) auth(h func(http.ResponseWriter, *http.Request, *visitor)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		v, ok := s.begin(w, r)
		if !ok {
			return
		}
		if v == nil {
			// A cookie that no longer opens a session: it ended (idle, too
			// old, the person's role or unit changed). Say so.
			if c, err := r.Cookie(sessionCookie); err == nil && c.Value != "" {
				http.SetCookie(w, &http.Cookie{Name: sessionCookie, Path: Prefix, HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteLaxMode, MaxAge: -1})
				http.Redirect(w, r, Prefix+"/login?n=ended", http.StatusSeeOther)
				return
			}
			http.Redirect(w, r, Prefix+"/login", http.StatusSeeOther)
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			if !sameToken(r.PostFormValue("csrf"), v.CSRF) {
				s.log.WarnContext(r.Context(), "csrf token refused", "person_id", v.Person.ID, "path", r.URL.Path)
				s.fail(w, r, v, http.StatusForbidden)
				return
			}
		}
		h(w, r, v)
	}
}

// begin sets the headers of every page and finds the visitor's session
// (nil without one); false when it answered already (a database error).
func (s *Server) begin(w http.ResponseWriter, r *http.Request) (*visitor, bool) {
	secureHeaders(w)
	w.Header().Set("Cache-Control", "no-store")
	v, err := s.visitorOf(r)
	if err != nil {
		s.fail(w, r, &visitor{Lang: s.o.DefaultLang}, http.StatusInternalServerError, err)
		return nil, false
	}
	return v, true
}

func sameToken(got, want string) bool {
	return got != "" && want != "" && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

// visitorOf finds the request's session; nil when there is none or it
// ended. A session whose person changed role or unit, or was deactivated,
// ends here, with every other session of that person.
func (s *Server) visitorOf(r *http.Request) (*visitor, error) {
	c, err := r.Cookie(sessionCookie)
	if err != nil || c.Value == "" {
		return nil, nil
	}
	ctx := r.Context()
	sess, err := s.d.Store.WebSessionByID(ctx, c.Value)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	now := s.d.Now()
	if !now.Before(sess.ExpiresAt) || now.Sub(sess.LastSeenAt) >= s.o.SessionIdle {
		return nil, s.d.Store.EndWebSession(ctx, c.Value)
	}
	p, err := s.d.Store.PersonByID(ctx, sess.PersonID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, s.d.Store.EndWebSession(ctx, c.Value)
	}
	if err != nil {
		return nil, err
	}
	if !p.Active || p.Role != sess.Role || p.UnitID != sess.UnitID || !consoleRole(p.Role) {
		n, err := s.d.Store.EndWebSessionsOf(ctx, p.ID)
		s.log.InfoContext(ctx, "web sessions ended: person changed", "person_id", p.ID, "sessions", n)
		return nil, err
	}
	if now.Sub(sess.LastSeenAt) >= time.Minute {
		if err := s.d.Store.TouchWebSession(ctx, c.Value, now); err != nil {
			return nil, err
		}
	}
	return &visitor{Person: p, Signed: true, Lang: s.langOf(p), CSRF: sess.CSRFToken, sessionID: c.Value}, nil
}

// consoleRole reports whether a role has a console: team leaders and above.
func consoleRole(r store.Role) bool {
	return r.IsPolice() || r == store.RoleLeader || r == store.RoleDeputy
}

func (s *Server) langOf(p store.Person) string {
	switch p.Locale {
	case "vi", "en":
		return p.Locale
	}
	return s.o.DefaultLang
}

// fail answers with a status page (403, 404, 500) in the visitor's
// language; err is logged, never shown.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, v *visitor, status int, errs ...error) {
	if v == nil {
		v = &visitor{Lang: s.o.DefaultLang}
	}
	for _, err := range errs {
		if err != nil {
			s.log.ErrorContext(r.Context(), "web request failed", "path", r.URL.Path, "status", status, "err", err)
		}
	}
	s.render(w, r, v, status, "error", map[string]any{"Status": status})
}

// failErr answers an error from an action or a check: a refusal by the
// access policy is a 403 (404 when the thing does not exist), anything
// else a 500.
func (s *Server) failErr(w http.ResponseWriter, r *http.Request, v *visitor, err error) {
	if d, ok := access.IsDenied(err); ok {
		if d.Reason == access.ReasonNotFound {
			s.fail(w, r, v, http.StatusNotFound)
			return
		}
		s.fail(w, r, v, http.StatusForbidden)
		return
	}
	if errors.Is(err, store.ErrNotFound) {
		s.fail(w, r, v, http.StatusNotFound)
		return
	}
	s.fail(w, r, v, http.StatusInternalServerError, err)
}

// pathID reads the {id} of the path; 0 when it is not a positive number.
func pathID(r *http.Request) int64 {
	n, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || n <= 0 {
		return 0
	}
	return n
}

// formID reads a positive id from a form or query value; 0 otherwise.
func formID(s string) int64 {
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil || n <= 0 {
		return 0
	}
	return n
}

// flashCookie carries the one-line result of an action to the page it
// redirects to (a cookie, not the URL, so nobody can put words there).
const flashCookie = "anttbot_flash"

// redirectWith redirects to path, showing msg there once.
func (s *Server) redirectWith(w http.ResponseWriter, r *http.Request, path, msg string) {
	if msg != "" {
		http.SetCookie(w, &http.Cookie{Name: flashCookie, Value: base64.RawURLEncoding.EncodeToString([]byte(msg)), Path: Prefix,
			HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteLaxMode, MaxAge: 60})
	}
	http.Redirect(w, r, path, http.StatusSeeOther)
}

// flash takes the message redirectWith left, once.
func (s *Server) flash(w http.ResponseWriter, r *http.Request) string {
	c, err := r.Cookie(flashCookie)
	if err != nil {
		return ""
	}
	http.SetCookie(w, &http.Cookie{Name: flashCookie, Path: Prefix, HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteLaxMode, MaxAge: -1})
	b, err := base64.RawURLEncoding.DecodeString(c.Value)
	if err != nil {
		return ""
	}
	return string(b)
}

// period reads ?period= (as /tongket takes it); the default is the
// running phase, else the last one that ended (outside is then true),
// else this month.
func (s *Server) period(r *http.Request) (p report.Period, raw string, outside bool, err error) {
	now := s.d.Now()
	raw = strings.TrimSpace(r.URL.Query().Get("period"))
	if raw == "" {
		if ph, ok := s.d.Campaign.PhaseAt(now, s.o.Location); ok {
			raw = ph.ID
		} else if ph, ok := s.d.Campaign.PreviousPhase(now, s.o.Location); ok {
			raw, outside = ph.ID, true
		} else {
			raw = "thang"
		}
	}
	p, err = report.ParsePeriod(raw, s.d.Campaign, now, s.o.Location)
	return p, raw, outside, err
}

// unitOf reads ?unit= (default: the person's own unit).
func unitOf(r *http.Request, p store.Person) int64 {
	if id := formID(r.URL.Query().Get("unit")); id != 0 {
		return id
	}
	return p.UnitID
}

func (s *Server) errf(format string, args ...any) error { return fmt.Errorf("web: "+format, args...) }
