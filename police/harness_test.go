package police_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/anttbot/anttbot/access"
	"github.com/anttbot/anttbot/bot"
	"github.com/anttbot/anttbot/campaign"
	"github.com/anttbot/anttbot/delivery"
	"github.com/anttbot/anttbot/flows"
	"github.com/anttbot/anttbot/locales"
	"github.com/anttbot/anttbot/police"
	"github.com/anttbot/anttbot/session"
	"github.com/anttbot/anttbot/store"
	"github.com/anttbot/anttbot/store/storetest"
)

// vn is the campaign's zone.
var vn = func() *time.Location {
	loc, err := time.LoadLocation("Asia/Ho_Chi_Minh")
	if err != nil {
		return time.FixedZone("ICT", 7*3600)
	}
	return loc
}()

// inDot2 is a working morning inside Đợt 2 (04/02/2025–19/08/2025).
var inDot2 = time.Date(2025, 7, 15, 9, 0, 0, 0, vn)

// botName is the Telegram bot name the tools put in deep links.
const botName = "anttbot_test"

// Demo people (store.SeedDemo) used by the tests.
const (
	officer    = "Đại úy Trần Văn Công" // commune police of Xã An Bình
	leader     = "Nguyễn Văn Hùng"      // leader, thôn Đông
	deputy     = "Lê Thị Hoa"           // deputy, thôn Đông
	member     = "Phạm Văn Minh"        // member, thôn Đông
	member2    = "Hoàng Thị Lan"        // member, thôn Đông
	westLeader = "Vũ Văn Hải"           // leader, thôn Tây
	westMember = "Bùi Văn Nam"          // member, thôn Tây
	// A second commune, for out-of-scope attempts.
	otherOfficer = "Thiếu úy Lò Văn Sơn"
	otherMember  = "Cầm Thị Nga"
)

// clock is a settable clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// recorder keeps every message sent to any chat, whether the flows service
// answered directly or the delivery queue sent it later.
type recorder struct {
	mu   sync.Mutex
	msgs []bot.Message
	ids  int
}

func (r *recorder) record(m bot.Message) bot.Sent {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.ids++
	id := fmt.Sprint(r.ids)
	r.msgs = append(r.msgs, m)
	return bot.Sent{MessageID: id}
}

// Send implements flows.Sender.
func (r *recorder) Send(_ context.Context, channel string, m bot.Message) (bot.Sent, error) {
	return r.record(m), nil
}

// to returns the messages sent to a chat, in order.
func (r *recorder) to(chatID string) []bot.Message {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []bot.Message
	for _, m := range r.msgs {
		if m.ChatID == chatID {
			out = append(out, m)
		}
	}
	return out
}

// channel is the Telegram channel the delivery queue sends through.
type channel struct{ r *recorder }

func (channel) Name() string { return bot.ChannelTelegram }
func (c channel) Send(_ context.Context, m bot.Message) (bot.Sent, error) {
	return c.r.record(m), nil
}

// harness is a flows service with the police tools over a real store, real
// access policy and (when asked) a running delivery queue.
type harness struct {
	t     *testing.T
	ctx   context.Context
	st    *store.Store
	svc   *flows.Service
	rec   *recorder
	clock *clock
	cat   *locales.Catalog
	camp  *campaign.Campaign
	org   store.DemoOrg
	other struct {
		commune, team store.Unit
	}
	people map[string]store.Person

	mu      sync.Mutex
	updates int
}

// newHarness builds the service over a fresh store of driver seeded with
// the demo organisation and a second commune; withQueue starts a delivery
// queue sending into the same recorder.
func newHarness(t *testing.T, driver string, withQueue bool) *harness {
	t.Helper()
	ctx := context.Background()
	h := &harness{t: t, ctx: ctx, st: storetest.New(t, driver), rec: &recorder{}, clock: &clock{t: inDot2},
		camp: campaign.Default(), people: map[string]store.Person{}}
	var err error
	if h.cat, err = locales.Load(); err != nil {
		t.Fatalf("load locales: %v", err)
	}
	if h.org, err = h.st.SeedDemo(ctx, h.clock.Now()); err != nil {
		t.Fatalf("seed demo: %v", err)
	}
	for _, p := range h.org.People {
		h.people[p.Name] = p
	}
	h.other.team, err = h.st.EnsureUnitPath(ctx, h.org.Province.Name, "", "Xã Bình Minh", "Tổ ANTT bản Mường")
	if err != nil {
		t.Fatalf("other commune: %v", err)
	}
	h.other.commune, err = h.st.CommuneOf(ctx, h.other.team.ID)
	if err != nil {
		t.Fatalf("other commune: %v", err)
	}
	for _, p := range []store.Person{
		{Name: otherOfficer, Phone: "+84900000101", Role: store.RoleCommunePolice, UnitID: h.other.commune.ID, Active: true},
		{Name: otherMember, Phone: "+84900000102", Role: store.RoleMember, UnitID: h.other.team.ID, Active: true},
	} {
		if err := h.st.CreatePerson(ctx, &p); err != nil {
			t.Fatalf("create %s: %v", p.Name, err)
		}
		h.people[p.Name] = p
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	h.svc = flows.NewService(flows.Deps{
		Store: h.st, Sessions: session.NewMemory(session.WithClock(h.clock.Now)), Sender: h.rec, Text: h.cat,
		Campaign: h.camp, Log: log, Now: h.clock.Now,
	}, flows.Options{Location: vn})
	policy := access.New(h.st, log)
	if _, err := police.Register(h.svc, police.Deps{Store: h.st, Policy: policy, Text: h.cat, Campaign: h.camp, Log: log, Now: h.clock.Now},
		police.Options{Location: vn, BotName: botName}); err != nil {
		t.Fatalf("register: %v", err)
	}
	if err := delivery.Migrate(ctx, h.st); err != nil {
		t.Fatalf("migrate delivery: %v", err)
	}
	if withQueue {
		q, err := delivery.NewQueue(h.st, map[string]bot.Channel{bot.ChannelTelegram: channel{h.rec}}, delivery.Options{
			Workers: 4, PollInterval: 50 * time.Millisecond, RetryBase: 50 * time.Millisecond, RetryMax: 200 * time.Millisecond,
			SendTimeout: 5 * time.Second, Lease: 5 * time.Second, Logger: log,
		})
		if err != nil {
			t.Fatalf("new queue: %v", err)
		}
		if err := q.Start(ctx); err != nil {
			t.Fatalf("start queue: %v", err)
		}
		t.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if err := q.Stop(ctx); err != nil {
				t.Errorf("stop queue: %v", err)
			}
		})
	}
	return h
}

// TestMain keeps the libraries' default-logger output (River's migrations)
// out of the test log.
func TestMain(m *testing.M) {
	slog.SetDefault(slog.New(slog.NewTextHandler(io.Discard, nil)))
	os.Exit(m.Run())
}

// eachDriver runs f on every store driver, in parallel.
func eachDriver(t *testing.T, f func(t *testing.T, driver string)) {
	for _, d := range storetest.Drivers() {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			f(t, d)
		})
	}
}

// person returns a person of the fixture by name.
func (h *harness) person(name string) store.Person {
	h.t.Helper()
	p, ok := h.people[name]
	if !ok {
		h.t.Fatalf("no person %q", name)
	}
	return p
}

// team returns a demo team by index (0: thôn Đông, 1: thôn Tây).
func (h *harness) team(i int) store.Unit { return h.org.Teams[i] }

// T is the Vietnamese text of key.
func (h *harness) T(key string, args ...any) string { return h.cat.T("vi", key, args...) }

// user is one person's chat with the bot.
type user struct {
	h    *harness
	p    store.Person
	chat string
}

// linked returns the named person's chat, linked to them.
func (h *harness) linked(name string) *user {
	h.t.Helper()
	p := h.person(name)
	u := &user{h: h, p: p, chat: fmt.Sprint(5000 + p.ID)}
	if _, err := h.st.LinkIdentity(h.ctx, p.ID, bot.ChannelTelegram, u.chat, u.chat, ""); err != nil {
		h.t.Fatalf("link %s: %v", name, err)
	}
	return u
}

// stranger returns a chat linked to nobody.
func (h *harness) stranger(chat string) *user { return &user{h: h, chat: chat} }

func (u *user) send(up bot.Update) []bot.Message {
	u.h.t.Helper()
	u.h.mu.Lock()
	u.h.updates++
	up.ID = fmt.Sprint(u.h.updates)
	u.h.mu.Unlock()
	up.Channel, up.ChatID, up.UserID, up.Private, up.Time = bot.ChannelTelegram, u.chat, u.chat, true, u.h.clock.Now()
	before := len(u.h.rec.to(u.chat))
	if err := u.h.svc.HandleUpdate(u.h.ctx, up); err != nil {
		u.h.t.Fatalf("%s: handle %q: %v", u.p.Name, up.Text, err)
	}
	return u.h.rec.to(u.chat)[before:]
}

func (u *user) text(s string) []bot.Message {
	u.h.t.Helper()
	return u.send(bot.Update{Kind: bot.KindText, Text: s})
}

// data taps a button by its data, on the message with id msgID.
func (u *user) data(d string) []bot.Message {
	u.h.t.Helper()
	return u.send(bot.Update{Kind: bot.KindCallback, Text: d, Callback: &bot.Callback{ID: "cb", Data: d, MessageID: "m1"}})
}

// tap taps the button labelled label in the latest message that has it.
func (u *user) tap(label string) []bot.Message {
	u.h.t.Helper()
	return u.data(u.button(label).Data)
}

// button finds the button labelled label (or starting with it, for labels
// ending in counts) in the latest message that has it.
func (u *user) button(label string) bot.Button {
	u.h.t.Helper()
	msgs := u.h.rec.to(u.chat)
	for i := len(msgs) - 1; i >= 0; i-- {
		for _, row := range msgs[i].Buttons {
			for _, b := range row {
				if b.Label == label || strings.HasPrefix(b.Label, label) {
					return b
				}
			}
		}
	}
	u.h.t.Fatalf("%s: no button %q; last message: %q", u.p.Name, label, u.last().Text)
	return bot.Button{}
}

// last is the latest message of the chat.
func (u *user) last() bot.Message {
	msgs := u.h.rec.to(u.chat)
	if len(msgs) == 0 {
		return bot.Message{}
	}
	return msgs[len(msgs)-1]
}

// waitFor waits until a message containing want arrives in the chat (the
// delivery queue sends in the background) and returns it.
func (u *user) waitFor(want string) bot.Message {
	u.h.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		for _, m := range u.h.rec.to(u.chat) {
			if strings.Contains(m.Text, want) {
				return m
			}
		}
		if time.Now().After(deadline) {
			u.h.t.Fatalf("%s: no message with %q arrived; got %q", u.p.Name, want, texts(u.h.rec.to(u.chat)))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// texts joins the texts of msgs.
func texts(msgs []bot.Message) string {
	out := make([]string, len(msgs))
	for i, m := range msgs {
		out[i] = m.Text
	}
	return strings.Join(out, "\n---\n")
}

// mustContain fails unless every want is in the joined texts of msgs.
func mustContain(t *testing.T, msgs []bot.Message, want ...string) {
	t.Helper()
	all := texts(msgs)
	for _, w := range want {
		if !strings.Contains(all, w) {
			t.Errorf("replies lack %q; got:\n%s", w, all)
		}
	}
}

// mustNotContain fails if any unwanted string is in the joined texts.
func mustNotContain(t *testing.T, msgs []bot.Message, unwanted ...string) {
	t.Helper()
	all := texts(msgs)
	for _, w := range unwanted {
		if strings.Contains(all, w) {
			t.Errorf("replies contain %q; got:\n%s", w, all)
		}
	}
}

// labels lists the button labels of msgs.
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

// report stores a submission made by the named person in their team.
func (h *harness) report(name, kind, status string, at time.Time, answers store.JSONMap) int64 {
	h.t.Helper()
	p := h.person(name)
	h.mu.Lock()
	h.updates++
	key := fmt.Sprintf("test:%d", h.updates)
	h.mu.Unlock()
	sub := &store.Submission{Kind: kind, Status: status, ReporterID: p.ID, TeamID: p.UnitID, OccurredAt: at, IdempotencyKey: key, Answers: answers}
	if p, ok := h.camp.PhaseAt(at, vn); ok {
		sub.PhaseID = p.ID
	}
	if _, err := h.st.CreateSubmission(h.ctx, sub, ""); err != nil {
		h.t.Fatalf("report: %v", err)
	}
	return sub.ID
}

// deniedAudited fails unless the audit log has a refusal of action for
// the person about the subject.
func (h *harness) deniedAudited(t *testing.T, name, subjectType, subjectID string, action access.Action, reason string) {
	t.Helper()
	es, err := h.st.AuditEntries(h.ctx, subjectType, subjectID)
	if err != nil {
		t.Fatalf("audit: %v", err)
	}
	want := fmt.Sprintf("action=%s reason=%s", action, reason)
	p := h.person(name)
	if !slices.ContainsFunc(es, func(e store.AuditLog) bool {
		return e.Action == "access.denied" && e.ActorID != nil && *e.ActorID == p.ID && e.Detail == want
	}) {
		t.Errorf("no audited refusal %q by %s on %s/%s; audit: %+v", want, name, subjectType, subjectID, es)
	}
}
