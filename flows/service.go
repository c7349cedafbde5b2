package flows

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/anttbot/anttbot/bot"
	"github.com/anttbot/anttbot/campaign"
	"github.com/anttbot/anttbot/locales"
	"github.com/anttbot/anttbot/session"
	"github.com/anttbot/anttbot/store"
)

// Store is what the flows read and write in the database; *store.Store
// implements it.
type Store interface {
	PersonByIdentity(ctx context.Context, channel, externalID string) (store.Person, store.Identity, error)
	PersonByPhone(ctx context.Context, phone string) (store.Person, error)
	LinkIdentity(ctx context.Context, personID int64, channel, externalID, chatID, locale string) (store.Identity, error)
	SetIdentityLocale(ctx context.Context, channel, externalID, locale string) error
	TouchIdentity(ctx context.Context, channel, externalID string, at time.Time) error
	UnitByID(ctx context.Context, id int64) (store.Unit, error)
	CommuneOf(ctx context.Context, unitID int64) (store.Unit, error)
	CreateSubmission(ctx context.Context, sub *store.Submission, source string) (created bool, err error)
	SubmissionsByReporter(ctx context.Context, personID int64, limit int) ([]store.Submission, error)
	CountSubmissions(ctx context.Context, f store.CountFilter) (int64, error)
	InviteByCode(ctx context.Context, code string) (store.Invite, error)
	JoinByInvite(ctx context.Context, code string, p store.Person, now time.Time) (store.Person, store.Invite, error)
}

// The real store and the service fit the interfaces they are used through.
var (
	_ Store       = (*store.Store)(nil)
	_ bot.Handler = (*Service)(nil)
)

// Sender delivers a message to a chat on a channel; the lead maps channel
// names to adapters.
type Sender interface {
	Send(ctx context.Context, channel string, m bot.Message) (bot.Sent, error)
}

// Deps are the Service's collaborators.
type Deps struct {
	Store    Store
	Sessions session.Store
	Sender   Sender
	// Text is the message catalogue (*locales.Catalog).
	Text Translator
	// Campaign is the campaign members report for; nil means campaign.Default().
	Campaign *campaign.Campaign
	// Log defaults to slog.Default().
	Log *slog.Logger
	// Now is the clock (default time.Now).
	Now func() time.Time
	// NewID returns a new draft id: at most 16 of [A-Za-z0-9_-] (default: 12 random characters).
	NewID func() string
}

// Options tune the Service. Zero values take the defaults.
type Options struct {
	// MaxTextLen limits a message in characters (default 1000).
	MaxTextLen int
	// SessionTTL is how long an unfinished report is kept after the user's
	// last message (default 72h).
	SessionTTL time.Duration
	// IdleReminder is how long a user may be silent mid-report before the
	// one reminder (default 30m).
	IdleReminder time.Duration
	// MaxReportAgeDays is how many days back a reported day may be (default 31).
	MaxReportAgeDays int
	// Location is the campaign's time zone (default Asia/Ho_Chi_Minh).
	Location *time.Location
	// DefaultLang is the language of a chat with no other hint (default "vi").
	DefaultLang string
	// Langs are the languages offered by /ngonngu (default vi, en).
	Langs []string
	// SaveRetry is the first delay before retrying a report the database did
	// not take; it doubles up to 10 minutes (default 15s).
	SaveRetry time.Duration
	// Grace is how much longer than SessionTTL the session store keeps a
	// session, so an expired report can still be recognised (default 7 days).
	Grace time.Duration
	// MyReports is how many reports /cuatoi lists (default 10).
	MyReports int
}

func (o Options) withDefaults() Options {
	if o.MaxTextLen <= 0 {
		o.MaxTextLen = 1000
	}
	if o.SessionTTL <= 0 {
		o.SessionTTL = 72 * time.Hour
	}
	if o.IdleReminder <= 0 {
		o.IdleReminder = 30 * time.Minute
	}
	if o.MaxReportAgeDays <= 0 {
		o.MaxReportAgeDays = 31
	}
	if o.Location == nil {
		o.Location = defaultLocation()
	}
	if o.DefaultLang == "" {
		o.DefaultLang = locales.DefaultLang
	}
	if len(o.Langs) == 0 {
		o.Langs = []string{"vi", "en"}
	}
	if o.SaveRetry <= 0 {
		o.SaveRetry = 15 * time.Second
	}
	if o.Grace <= 0 {
		o.Grace = 7 * 24 * time.Hour
	}
	if o.MyReports <= 0 {
		o.MyReports = 10
	}
	return o
}

// defaultLocation is Vietnam's zone; a fixed UTC+7 when the zone database is
// missing (Vietnam has no daylight saving time, so both agree).
func defaultLocation() *time.Location {
	if loc, err := time.LoadLocation("Asia/Ho_Chi_Minh"); err == nil {
		return loc
	}
	return time.FixedZone("ICT", 7*3600)
}

// maxSaveRetry caps the delay between retries of a pending report.
const maxSaveRetry = 10 * time.Minute

// pendingTTL is how long the session store keeps a session holding a report
// the database has not taken yet: long enough to outlast any outage.
const pendingTTL = 30 * 24 * time.Hour

// Service runs the member flows for every chat: bot.Handler for incoming
// updates, Tick for reminders and retries.
type Service struct {
	st       Store
	sessions session.Store
	sender   Sender
	tr       Translator
	camp     *campaign.Campaign
	eng      *Engine
	log      *slog.Logger
	now      func() time.Time
	newID    func() string
	opts     Options

	commands []CommandSpec
	handlers map[string]CommandHandler
	ext      extensions // see extend.go
	// denied answers refused commands of other packages (see tool.go).
	denied map[string]CommandHandler
}

// NewService returns a Service. Deps.Store, Sessions, Sender and Text are required.
func NewService(deps Deps, opts Options) *Service {
	opts = opts.withDefaults()
	if deps.Campaign == nil {
		deps.Campaign = campaign.Default()
	}
	if deps.Log == nil {
		deps.Log = slog.Default()
	}
	if deps.Now == nil {
		deps.Now = time.Now
	}
	if deps.NewID == nil {
		deps.NewID = randomID
	}
	s := &Service{
		st: deps.Store, sessions: deps.Sessions, sender: deps.Sender, tr: deps.Text, camp: deps.Campaign,
		log: deps.Log.With("comp", "flows"), now: deps.Now, newID: deps.NewID, opts: opts,
		commands: BuiltinCommands(), handlers: map[string]CommandHandler{},
	}
	s.eng = NewEngine(deps.Campaign, deps.Text, opts)
	return s
}

// Register adds a command implemented elsewhere (team leader and police
// tools). It then appears in help and CommandsFor for the roles it allows.
// Register before the service handles updates.
func (s *Service) Register(spec CommandSpec, h CommandHandler) {
	s.commands = slices.DeleteFunc(s.commands, func(c CommandSpec) bool { return c.Name == spec.Name })
	s.commands = append(s.commands, spec)
	s.handlers[spec.Name] = h
}

// CommandsFor lists the commands a person with role may use, described in
// lang, in help order; role "" is a chat not linked yet.
func (s *Service) CommandsFor(role store.Role, lang string) []Command {
	var out []Command
	for _, c := range s.commands {
		if c.Hidden || !c.allows(role) {
			continue
		}
		out = append(out, Command{Name: c.Name, Description: s.tr.T(lang, c.DescKey)})
	}
	return out
}

// Engine returns the service's engine (for tests and tools that render flows).
func (s *Service) Engine() *Engine { return s.eng }

// randomID returns 12 random characters for a draft id.
func randomID() string {
	const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
	var b [12]byte
	_, _ = rand.Read(b[:])
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b[:])
}

// sessionKey names a chat's session.
func sessionKey(channel, chatID string) string { return channel + ":" + chatID }

// call is one update being handled.
type call struct {
	u   bot.Update
	now time.Time
	// person and ident are set when the chat is linked; dbErr when the
	// database could not say.
	person *store.Person
	ident  *store.Identity
	dbErr  error
	lang   string
	out    Outcome
	// errs are failures the user was told about, returned for the log.
	errs []error
}

func (c *call) T(s *Service, key string, args ...any) string { return s.tr.T(c.lang, key, args...) }

func (c *call) say(text string, buttons ...[]bot.Button) *bot.Message {
	return c.out.say(text, buttons...)
}

// role is the linked person's role, "" when not linked.
func (c *call) role() store.Role {
	if c.person == nil {
		return ""
	}
	return c.person.Role
}

// errBusy is returned when the session kept changing under the update.
var errBusy = errors.New("flows: session changed concurrently twice")

// HandleUpdate implements bot.Handler: one update, one engine turn.
func (s *Service) HandleUpdate(ctx context.Context, u bot.Update) error {
	if u.FromBot || u.Kind == bot.KindUnfollow || (!u.Private && u.ChatID != u.UserID) {
		// Group chats, the bot's own echoes and unfollows get no answer.
		return nil
	}
	for attempt := 0; attempt < 2; attempt++ {
		err := s.handle(ctx, u)
		if !errors.Is(err, session.ErrConflict) {
			return err
		}
	}
	c := &call{u: u, lang: s.opts.DefaultLang}
	if p, ident, err := s.st.PersonByIdentity(ctx, u.Channel, u.UserID); err == nil {
		c.lang = s.langOf(c, &p, &ident, nil)
	}
	c.say(c.T(s, "flows.error.busy"))
	return errors.Join(fmt.Errorf("flows: %s update %s: %w", u.Channel, u.ID, errBusy), s.send(ctx, c))
}

// handle runs the update once; session.ErrConflict means run it again.
func (s *Service) handle(ctx context.Context, u bot.Update) error {
	c := &call{u: u, now: s.now()}
	p, ident, err := s.st.PersonByIdentity(ctx, u.Channel, u.UserID)
	switch {
	case err == nil:
		c.person, c.ident = &p, &ident
	case !errors.Is(err, store.ErrNotFound):
		c.dbErr = err
	}

	key := sessionKey(u.Channel, u.ChatID)
	rec, err := s.sessions.Load(ctx, key)
	if errors.Is(err, session.ErrNotFound) {
		rec, err = session.Record{Key: key}, nil
	}
	if err != nil {
		c.lang = s.langOf(c, c.person, c.ident, nil)
		c.say(c.T(s, "flows.error.session_unavailable"))
		return errors.Join(fmt.Errorf("flows: load session %s: %w", key, err), s.send(ctx, c))
	}
	sess := &Session{Channel: u.Channel, ChatID: u.ChatID}
	var lost *errSessionVersion
	if len(rec.Data) > 0 {
		got, err := decodeSession(rec.Data)
		if errors.As(err, &lost) {
			s.log.Warn("dropping unreadable session", "key", key, "version", lost.got)
		} else {
			sess = got
		}
	}
	c.lang = s.langOf(c, c.person, c.ident, sess)
	if lost != nil {
		c.say(c.T(s, "flows.session.updated"), s.eng.restartButtons(s.eng.turn(c.lang, c.now), lost.kind)...)
	}
	s.refreshWho(c, sess)
	noticed := lost != nil
	if sess.Draft != nil && c.now.Sub(sess.Seen) > s.opts.SessionTTL {
		key := "flows.session.expired"
		if sess.Draft.Flow == flowInvite {
			key = "flows.session.expired_invite"
		}
		var menu [][]bot.Button
		if c.person != nil {
			menu = s.menu(c)
		}
		c.say(c.T(s, key, "Date", formatTimeDate(sess.Draft.Started, s.opts.Location),
			"Hours", int(s.opts.SessionTTL.Hours())), menu...)
		sess.Draft, noticed = nil, true
	}

	// After a notice about the lost report, an answer meant for it has
	// nothing to go to; a command still runs.
	switch {
	case replayed(u, sess):
		// This update's turn was saved, but the process died before its
		// replies left and the journal replays it: ask the current question
		// again rather than apply the answer a second time, to the next one.
		c.out.Replies = append(c.out.Replies, s.eng.Ask(sess, c.lang, c.now).Replies...)
	case !noticed || s.isCommand(u):
		s.route(ctx, c, sess)
	}
	routeErr := errors.Join(c.errs...)

	sess.Seen = c.now
	sess.Last = u.ID
	if rec.Version != 0 || !sess.empty() {
		sess.Lang = c.lang
		data, err := sess.encode()
		if err != nil {
			return err
		}
		rec.Data, rec.TTL, rec.WakeAt = data, s.ttlOf(sess), s.wakeOf(sess)
		if err := s.sessions.Save(ctx, &rec); err != nil {
			if errors.Is(err, session.ErrConflict) {
				return err
			}
			c.out = Outcome{}
			c.say(c.T(s, "flows.error.session_unavailable"))
			return errors.Join(fmt.Errorf("flows: save session %s: %w", key, err), s.send(ctx, c))
		}
	}
	err = errors.Join(routeErr, s.send(ctx, c))
	if c.person != nil && c.dbErr == nil && needsTouch(c.ident, c.now) {
		if terr := s.st.TouchIdentity(ctx, u.Channel, u.UserID, c.now); terr != nil {
			s.log.Debug("touch identity", "channel", u.Channel, "err", terr)
		}
	}
	return err
}

// replayed reports whether u is the update whose turn the session saved last,
// with a draft still open. Taps are left out: they carry the draft's step and
// sequence, so a repeated tap is recognised by the engine already.
func replayed(u bot.Update, sess *Session) bool {
	return u.ID != "" && u.ID == sess.Last && sess.Draft != nil && u.Kind != bot.KindCallback
}

// isCommand reports whether the update is a command (typed or a command button).
func (s *Service) isCommand(u bot.Update) bool {
	text := u.Text
	if u.Callback != nil {
		text = u.Callback.Data
	}
	if u.Kind != bot.KindText && u.Kind != bot.KindCallback && u.Kind != bot.KindFollow {
		return false
	}
	_, ok, _ := parseCommand(s.commands, text)
	return ok || u.Kind == bot.KindFollow
}

// empty reports whether the session holds nothing worth storing.
func (s *Session) empty() bool {
	return s.Draft == nil && len(s.Pending) == 0 && len(s.Sent) == 0 && s.Lang == "" && s.Prompt == nil
}

// refreshWho keeps the session's copy of the linked person current, and
// stands in for the person when the database is unreachable mid-report.
func (s *Service) refreshWho(c *call, sess *Session) {
	switch {
	case c.person != nil:
		sess.Who = &Who{PersonID: c.person.ID, Name: c.person.Name, Role: c.person.Role, UnitID: c.person.UnitID}
	case c.dbErr == nil:
		sess.Who = nil
	case sess.Who != nil && sess.Draft != nil:
		// The database is down: a report in progress goes on with the
		// person as last seen; saving it will wait for the database.
		c.person = &store.Person{ID: sess.Who.PersonID, Name: sess.Who.Name, Role: sess.Who.Role, UnitID: sess.Who.UnitID, Active: true}
	}
}

// langOf picks the chat's language: the one chosen in this chat, the
// person's, the session's, the platform's hint, the default.
func (s *Service) langOf(c *call, p *store.Person, ident *store.Identity, sess *Session) string {
	var cands []string
	if ident != nil {
		cands = append(cands, ident.Locale)
	}
	if p != nil {
		cands = append(cands, p.Locale)
	}
	if sess != nil {
		cands = append(cands, sess.Lang)
	}
	cands = append(cands, c.u.Locale)
	for _, l := range cands {
		if l = locales.NormalizeLang(l); l != "" && slices.Contains(s.opts.Langs, l) {
			return l
		}
	}
	return s.opts.DefaultLang
}

// ttlOf is how long the session store keeps the session.
func (s *Service) ttlOf(sess *Session) time.Duration {
	if len(sess.Pending) > 0 {
		return pendingTTL
	}
	return s.opts.SessionTTL + s.opts.Grace
}

// wakeOf is when Tick should look at the session again: the next retry of a
// pending report, or the idle reminder of an unfinished one.
func (s *Service) wakeOf(sess *Session) time.Time {
	var at time.Time
	for _, p := range sess.Pending {
		if at.IsZero() || p.NextAt.Before(at) {
			at = p.NextAt
		}
	}
	if sess.Draft != nil && sess.Draft.Flow == flowReport && !sess.Draft.Reminded {
		if r := sess.Seen.Add(s.opts.IdleReminder); at.IsZero() || r.Before(at) {
			at = r
		}
	}
	return at
}

// send delivers the call's replies; the first acknowledges a button tap.
func (s *Service) send(ctx context.Context, c *call) error {
	msgs := c.out.Replies
	if len(msgs) == 0 && c.u.Callback != nil && c.u.Callback.ID != "" {
		msgs = []bot.Message{{}}
	}
	var errs []error
	for i, m := range msgs {
		m.ChatID = c.u.ChatID
		if i == 0 && c.u.Callback != nil {
			m.AnswerCallbackID, m.CallbackText = c.u.Callback.ID, c.out.Toast
		}
		if _, err := s.sender.Send(ctx, c.u.Channel, m); err != nil {
			errs = append(errs, fmt.Errorf("flows: send to %s:%s: %w", c.u.Channel, c.u.ChatID, err))
			if errors.Is(err, bot.ErrUnreachable) {
				break
			}
		}
	}
	return errors.Join(errs...)
}

// input turns the update into an engine input, or says what is wrong with it.
func (s *Service) input(u bot.Update) (Input, *problem) {
	in := Input{Kind: u.Kind, Channel: u.Channel, Photo: u.Photo, Location: u.Location, Contact: u.Contact}
	switch u.Kind {
	case bot.KindCallback:
		data := u.Text
		if u.Callback != nil {
			data = u.Callback.Data
		}
		if tap, ok := parseTap(data); ok {
			in.Tap = &tap
		} else {
			// Command buttons ("/baocao") read like typed commands.
			in.Text = strings.TrimSpace(data)
		}
		return in, nil
	case bot.KindContact:
		in.OwnContact = u.Contact != nil && u.Contact.Verified && (u.Contact.UserID == "" || u.Contact.UserID == u.UserID)
		return in, nil
	}
	text := u.Text
	if u.Kind == bot.KindPhoto && u.Photo != nil && text == "" {
		text = u.Photo.Caption
	}
	t, p := cleanText(text, s.opts.MaxTextLen)
	if p != nil && u.Kind == bot.KindPhoto {
		// The photo is what matters: a caption that cannot be kept as it is
		// is shortened or left out, not a reason to refuse the photo.
		t, p = "", nil
		if c, q := cleanText(text, 0); q == nil {
			t = truncate(c, s.opts.MaxTextLen)
		}
	}
	in.Text = t
	return in, p
}

// touchEvery is how stale an identity's last-seen time may get before an
// update refreshes it: a write per message cost a fifth of the CPU of a flow
// step, and nothing needs it to the second (the Zalo window counts in days).
const touchEvery = time.Minute

// needsTouch reports whether the identity's last-seen time should be written:
// it is older than touchEvery, or the identity is marked unreachable (a
// message from the user proves it reachable again).
func needsTouch(ident *store.Identity, now time.Time) bool {
	if ident == nil {
		return true
	}
	return ident.UnreachableAt != nil || now.Sub(ident.LastSeenAt) >= touchEvery || now.Before(ident.LastSeenAt)
}
