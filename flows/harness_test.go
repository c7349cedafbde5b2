package flows

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/anttbot/anttbot/bot"
	"github.com/anttbot/anttbot/campaign"
	"github.com/anttbot/anttbot/internal/testenv"
	"github.com/anttbot/anttbot/locales"
	"github.com/anttbot/anttbot/session"
	"github.com/anttbot/anttbot/store"
	"github.com/anttbot/anttbot/store/storetest"
)

// vn is the campaign's zone in tests.
var vn = defaultLocation()

// inDot2 is a working morning inside Đợt 2 (04/02/2025–19/08/2025).
var inDot2 = time.Date(2025, 7, 15, 9, 0, 0, 0, vn)

// fakeClock is a settable clock shared by the service and the session store.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func (c *fakeClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// sent is one message the service sent.
type sent struct {
	Channel string
	Msg     bot.Message
}

// recorder is a Sender that keeps every message.
type recorder struct {
	mu   sync.Mutex
	msgs []sent
	// bad lists messages no adapter could send.
	bad []string
}

func (r *recorder) Send(_ context.Context, channel string, m bot.Message) (bot.Sent, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	// What the adapters refuse (bot/telegram's plan): one message carries one
	// keyboard, and a keyboard needs text.
	switch {
	case m.RequestContact && len(m.Buttons) > 0:
		r.bad = append(r.bad, fmt.Sprintf("share-contact control together with buttons: %q", m.Text))
	case (len(m.Buttons) > 0 || m.RequestContact || m.RemoveKeyboard) && strings.TrimSpace(m.Text) == "":
		r.bad = append(r.bad, fmt.Sprintf("keyboard without text: %+v", m))
	case m.Text == "" && m.AnswerCallbackID == "":
		r.bad = append(r.bad, "empty message")
	case m.ChatID == "":
		r.bad = append(r.bad, fmt.Sprintf("message without chat: %q", m.Text))
	}
	r.msgs = append(r.msgs, sent{Channel: channel, Msg: m})
	return bot.Sent{MessageID: fmt.Sprint(len(r.msgs))}, nil
}

// to returns the messages sent to a chat, in order.
func (r *recorder) to(channel, chatID string) []bot.Message {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []bot.Message
	for _, s := range r.msgs {
		if s.Channel == channel && s.Msg.ChatID == chatID {
			out = append(out, s.Msg)
		}
	}
	return out
}

// harness is a Service over a real store, with a recording sender and a fake clock.
type harness struct {
	t      testing.TB
	ctx    context.Context
	driver string
	st     *store.Store
	// db is what the service uses: st, or a wrapper around it.
	db       Store
	sessions session.Store
	sender   *recorder
	clock    *fakeClock
	cat      *locales.Catalog
	camp     *campaign.Campaign
	opts     Options
	svc      *Service
	org      store.DemoOrg

	mu      sync.Mutex
	updates int
	ids     int
}

// harnessOption changes a harness before its service is built.
type harnessOption func(*harness)

// withRedis keeps sessions in the test Redis instead of memory.
func withRedis() harnessOption {
	return func(h *harness) {
		c, prefix := testenv.Redis(h.t)
		h.sessions = session.NewRedis(c, prefix)
	}
}

// withStore wraps the store the service sees.
func withStore(wrap func(*store.Store) Store) harnessOption {
	return func(h *harness) { h.db = wrap(h.st) }
}

// withCampaign replaces the built-in campaign.
func withCampaign(c *campaign.Campaign) harnessOption {
	return func(h *harness) { h.camp = c }
}

// withOptions sets service options.
func withOptions(o Options) harnessOption {
	return func(h *harness) { h.opts = o }
}

// newHarness builds a service over a fresh, migrated store of driver seeded
// with the demo organisation.
func newHarness(t testing.TB, driver string, opts ...harnessOption) *harness {
	t.Helper()
	ctx := context.Background()
	clock := &fakeClock{t: inDot2}
	h := &harness{
		t: t, ctx: ctx, driver: driver, clock: clock, sender: &recorder{},
		st: storetest.New(t, driver), camp: campaign.Default(),
	}
	h.db = h.st
	h.sessions = session.NewMemory(session.WithClock(clock.Now))
	t.Cleanup(func() {
		for _, b := range h.sender.bad {
			t.Errorf("unsendable message: %s", b)
		}
	})
	cat, err := locales.Load()
	if err != nil {
		t.Fatalf("load locales: %v", err)
	}
	h.cat = cat
	if h.org, err = h.st.SeedDemo(ctx, clock.Now()); err != nil {
		t.Fatalf("seed demo: %v", err)
	}
	for _, o := range opts {
		o(h)
	}
	h.svc = h.newService()
	return h
}

// newService builds another service over the same store, sessions and
// sender, as a restarted process would.
func (h *harness) newService() *Service {
	o := h.opts
	o.Location = vn
	return NewService(Deps{
		Store: h.db, Sessions: h.sessions, Sender: h.sender, Text: h.cat, Campaign: h.camp,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Now: h.clock.Now,
		NewID: func() string {
			h.mu.Lock()
			defer h.mu.Unlock()
			h.ids++
			return fmt.Sprintf("d%d", h.ids)
		},
	}, o)
}

// person returns a demo person by name.
func (h *harness) person(name string) store.Person {
	h.t.Helper()
	for _, p := range h.org.People {
		if p.Name == name {
			return p
		}
	}
	h.t.Fatalf("no demo person %q", name)
	return store.Person{}
}

// Demo people used by the tests.
const (
	police     = "Đại úy Trần Văn Công"
	leader     = "Nguyễn Văn Hùng"
	member     = "Phạm Văn Minh"
	member2    = "Hoàng Thị Lan"
	westMember = "Bùi Văn Nam"
)

// user is one chat with the service.
type user struct {
	h       *harness
	channel string
	id      string
	locale  string
}

// stranger returns a chat that is not linked to anybody.
func (h *harness) stranger(id string) *user {
	return &user{h: h, channel: bot.ChannelTelegram, id: id}
}

// linked returns a chat linked to the named demo person.
func (h *harness) linked(name string) *user {
	h.t.Helper()
	return h.linkedChat(name, fmt.Sprint(1000+h.person(name).ID))
}

// linkedChat links the named demo person to the chat id (unlinking their
// earlier chat on the channel) and returns it.
func (h *harness) linkedChat(name, id string) *user {
	h.t.Helper()
	p := h.person(name)
	u := &user{h: h, channel: bot.ChannelTelegram, id: id}
	if _, err := h.st.LinkIdentity(h.ctx, p.ID, u.channel, u.id, u.id, ""); err != nil {
		h.t.Fatalf("link %s: %v", name, err)
	}
	return u
}

// update fills in the fields every update of this chat has.
func (u *user) update(up bot.Update) bot.Update {
	u.h.mu.Lock()
	u.h.updates++
	n := u.h.updates
	u.h.mu.Unlock()
	if up.ID == "" {
		up.ID = fmt.Sprint(n)
	}
	up.Channel, up.ChatID, up.UserID, up.Private = u.channel, u.id, u.id, true
	up.Time, up.Locale = u.h.clock.Now(), u.locale
	return up
}

// send hands the update to the service and returns the replies it caused.
func (u *user) send(up bot.Update) []bot.Message {
	u.h.t.Helper()
	msgs, err := u.sendErr(up)
	if err != nil {
		u.h.t.Fatalf("handle %s update %q: %v", up.Kind, up.Text, err)
	}
	return msgs
}

// sendErr is send without failing on a handling error.
func (u *user) sendErr(up bot.Update) ([]bot.Message, error) {
	before := len(u.h.sender.to(u.channel, u.id))
	err := u.h.svc.HandleUpdate(u.h.ctx, u.update(up))
	return u.h.sender.to(u.channel, u.id)[before:], err
}

func (u *user) text(s string) []bot.Message {
	u.h.t.Helper()
	return u.send(bot.Update{Kind: bot.KindText, Text: s})
}

// data taps a button by its data.
func (u *user) data(d string) []bot.Message {
	u.h.t.Helper()
	return u.send(bot.Update{Kind: bot.KindCallback, Text: d, Callback: &bot.Callback{ID: "cb" + d, Data: d}})
}

// tap taps the button labelled label in the latest message that has it.
func (u *user) tap(label string) []bot.Message {
	u.h.t.Helper()
	return u.data(u.button(label).Data)
}

// button finds the button labelled label in the latest message that has it.
func (u *user) button(label string) bot.Button {
	u.h.t.Helper()
	msgs := u.h.sender.to(u.channel, u.id)
	for i := len(msgs) - 1; i >= 0; i-- {
		for _, row := range msgs[i].Buttons {
			for _, b := range row {
				if b.Label == label {
					return b
				}
			}
		}
	}
	u.h.t.Fatalf("no button %q in the chat; last message: %q", label, u.lastText())
	return bot.Button{}
}

func (u *user) photo(fileID string) []bot.Message {
	u.h.t.Helper()
	return u.send(bot.Update{Kind: bot.KindPhoto, Photo: &bot.Media{FileID: fileID}})
}

func (u *user) location(lat, lon float64) []bot.Message {
	u.h.t.Helper()
	return u.send(bot.Update{Kind: bot.KindLocation, Location: &bot.Location{Lat: lat, Lon: lon}})
}

// contact shares a phone number; own makes it the sender's verified number.
func (u *user) contact(phone string, own bool) []bot.Message {
	u.h.t.Helper()
	c := &bot.Contact{Phone: phone, UserID: u.id, Verified: true}
	if !own {
		c.UserID = "someone-else"
	}
	return u.send(bot.Update{Kind: bot.KindContact, Contact: c})
}

// lastText is the text of the latest message to the chat.
func (u *user) lastText() string {
	msgs := u.h.sender.to(u.channel, u.id)
	if len(msgs) == 0 {
		return ""
	}
	return msgs[len(msgs)-1].Text
}

// session reads the chat's stored session.
func (u *user) session() *Session {
	u.h.t.Helper()
	rec, err := u.h.sessions.Load(u.h.ctx, sessionKey(u.channel, u.id))
	if err != nil {
		u.h.t.Fatalf("load session: %v", err)
	}
	s, err := decodeSession(rec.Data)
	if err != nil {
		u.h.t.Fatalf("decode session: %v", err)
	}
	return s
}

// draft is the chat's draft, nil when there is none or no session at all.
func (u *user) draft() *Draft {
	u.h.t.Helper()
	_, err := u.h.sessions.Load(u.h.ctx, sessionKey(u.channel, u.id))
	if errors.Is(err, session.ErrNotFound) {
		return nil
	}
	return u.session().Draft
}

// T is the Vietnamese catalogue text of key.
func (h *harness) T(key string, args ...any) string { return h.cat.T("vi", key, args...) }

// texts joins the texts of msgs.
func texts(msgs []bot.Message) string {
	var out []string
	for _, m := range msgs {
		out = append(out, m.Text)
	}
	return strings.Join(out, "\n---\n")
}

// mustContain fails unless every want is in the joined texts of msgs.
func mustContain(t testing.TB, msgs []bot.Message, want ...string) {
	t.Helper()
	all := texts(msgs)
	for _, w := range want {
		if !strings.Contains(all, w) {
			t.Errorf("replies lack %q; got:\n%s", w, all)
		}
	}
}

// mustNotContain fails if any unwanted string is in the joined texts of msgs.
func mustNotContain(t testing.TB, msgs []bot.Message, unwanted ...string) {
	t.Helper()
	all := texts(msgs)
	for _, w := range unwanted {
		if strings.Contains(all, w) {
			t.Errorf("replies contain %q; got:\n%s", w, all)
		}
	}
}

// labels lists every button label of msgs.
func labels(msgs []bot.Message) []string {
	var out []string
	for _, m := range msgs {
		for _, row := range m.Buttons {
			for _, b := range row {
				out = append(out, b.Label)
			}
		}
	}
	return out
}

// submissions returns every stored submission of a reporter.
func (h *harness) submissions(p store.Person) []store.Submission {
	h.t.Helper()
	subs, err := h.st.SubmissionsByReporter(h.ctx, p.ID, 0)
	if err != nil {
		h.t.Fatalf("submissions: %v", err)
	}
	return subs
}

// eachDriver runs f against a harness on every store driver.
func eachDriver(t *testing.T, f func(t *testing.T, driver string)) {
	for _, d := range storetest.Drivers() {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			f(t, d)
		})
	}
}

// hasLabel reports whether a label is among the buttons of msgs.
func hasLabel(msgs []bot.Message, label string) bool { return slices.Contains(labels(msgs), label) }

// campaignDate is the civil date of t in Vietnam.
func campaignDate(t time.Time) campaign.Date { return campaign.DateOf(t, vn) }
