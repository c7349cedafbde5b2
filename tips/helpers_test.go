package tips_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/anttbot/anttbot/access"
	"github.com/anttbot/anttbot/bot"
	"github.com/anttbot/anttbot/campaign"
	"github.com/anttbot/anttbot/delivery"
	"github.com/anttbot/anttbot/locales"
	"github.com/anttbot/anttbot/store"
	"github.com/anttbot/anttbot/store/storetest"
	"github.com/anttbot/anttbot/tips"
)

// t0 is when the tests' tips are reported: a Monday evening in Đợt 2.
var t0 = time.Date(2025, 3, 3, 21, 0, 0, 0, time.FixedZone("ICT", 7*3600))

// clock is a settable clock shared by the store and tips.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

func testLog() *slog.Logger {
	if os.Getenv("TIPS_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// sentMsg is one message the fake channel accepted.
type sentMsg struct {
	bot.Message
	ID string
}

// channel is a recording bot.Channel standing for Telegram.
type channel struct {
	mu   sync.Mutex
	msgs []sentMsg
	next int
}

func (c *channel) Name() string { return bot.ChannelTelegram }

func (c *channel) Send(_ context.Context, m bot.Message) (bot.Sent, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	id := m.EditMessageID
	if id == "" {
		c.next++
		id = strconv.Itoa(c.next)
	}
	c.msgs = append(c.msgs, sentMsg{Message: m, ID: id})
	return bot.Sent{MessageID: id}, nil
}

// to returns what chat received, in order.
func (c *channel) to(chat string) []sentMsg {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []sentMsg
	for _, m := range c.msgs {
		if m.ChatID == chat {
			out = append(out, m)
		}
	}
	return out
}

// env is a store with an organisation, tips, and a delivery queue to start.
type env struct {
	t     *testing.T
	ctx   context.Context
	st    *store.Store
	clock *clock
	cat   *locales.Catalog
	tips  *tips.Tips
	ch    *channel
	q     *delivery.Queue

	province, district, commune, team, commune2, team2 int64
	// People, each linked to the Telegram chat named after them (chatOf).
	officerA, officerB, districtOfficer, provinceOfficer, otherOfficer store.Person
	reporter, leader                                                   store.Person
}

// envOption changes the organisation before people are linked.
type envOption func(*envConfig)

type envConfig struct {
	noCommuneOfficers bool
	noDistrict        bool
}

func withoutCommuneOfficers() envOption { return func(c *envConfig) { c.noCommuneOfficers = true } }
func withoutDistrict() envOption        { return func(c *envConfig) { c.noDistrict = true } }

// forEachDriver runs f as a parallel subtest on every store driver.
func forEachDriver(t *testing.T, f func(t *testing.T, driver string)) {
	for _, d := range storetest.Drivers() {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			f(t, d)
		})
	}
}

func newEnv(t *testing.T, driver string, opts ...envOption) *env {
	t.Helper()
	var cfg envConfig
	for _, o := range opts {
		o(&cfg)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	clk := &clock{t: t0}
	st := storetest.New(t, driver, store.WithClock(clk.Now))
	if err := delivery.Migrate(ctx, st); err != nil {
		t.Fatalf("migrate delivery: %v", err)
	}
	cat, err := locales.Load()
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, ctx: ctx, st: st, clock: clk, cat: cat, ch: &channel{}}
	district := "Huyện Gia Lộc"
	if cfg.noDistrict {
		district = ""
	}
	unit := func(d, c, team string) int64 {
		u, err := st.EnsureUnitPath(ctx, "Tỉnh Hải Dương", d, c, team)
		if err != nil {
			t.Fatal(err)
		}
		return u.ID
	}
	e.province = unit("", "", "")
	if !cfg.noDistrict {
		e.district = unit(district, "", "")
	}
	e.commune = unit(district, "Xã Gia Tân", "")
	e.team = unit(district, "Xã Gia Tân", "Thôn 1")
	e.commune2 = unit(district, "Xã Gia Hòa", "")
	e.team2 = unit(district, "Xã Gia Hòa", "Thôn 9")

	n := 0
	person := func(name string, role store.Role, unitID int64, link bool) store.Person {
		n++
		p := store.Person{Name: name, Phone: fmt.Sprintf("+8491000%04d", n), Role: role, UnitID: unitID, Active: true}
		if err := st.CreatePerson(ctx, &p); err != nil {
			t.Fatal(err)
		}
		if link {
			if _, err := st.LinkIdentity(ctx, p.ID, bot.ChannelTelegram, chatOf(p), chatOf(p), "vi"); err != nil {
				t.Fatal(err)
			}
		}
		return p
	}
	linkOfficers := !cfg.noCommuneOfficers
	e.officerA = person("Trung úy Nguyễn Văn An", store.RoleCommunePolice, e.commune, linkOfficers)
	e.officerB = person("Thiếu úy Lê Văn Bình", store.RoleCommunePolice, e.commune, linkOfficers)
	if !cfg.noDistrict {
		e.districtOfficer = person("Đại úy Phạm Huyện", store.RoleDistrictPolice, e.district, true)
	}
	e.provinceOfficer = person("Thiếu tá Trần Tỉnh", store.RoleProvincePolice, e.province, true)
	e.otherOfficer = person("Trung úy Xã Bên", store.RoleCommunePolice, e.commune2, true)
	e.reporter = person("Phạm Văn Minh", store.RoleMember, e.team, true)
	e.leader = person("Nguyễn Văn Hùng", store.RoleLeader, e.team, true)

	camp := campaign.Default()
	var sensitive []string
	for _, k := range camp.Kinds {
		if k.Sensitive {
			sensitive = append(sensitive, k.ID)
		}
	}
	pol := access.New(st, testLog(), access.WithSensitiveKinds(sensitive...))
	e.tips = tips.New(tips.Deps{Store: st, Policy: pol, Text: cat, Campaign: camp, Log: testLog(), Now: clk.Now}, tips.Options{})
	return e
}

// chatOf is the Telegram chat of a test person.
func chatOf(p store.Person) string { return "chat-" + strconv.FormatInt(p.ID, 10) }

// startQueue starts a delivery queue (a fresh process) and stops it at the end.
func (e *env) startQueue() *delivery.Queue {
	e.t.Helper()
	q, err := delivery.NewQueue(e.st, map[string]bot.Channel{bot.ChannelTelegram: e.ch}, delivery.Options{
		Workers: 4, PollInterval: 50 * time.Millisecond, RetryBase: 50 * time.Millisecond, RetryMax: 200 * time.Millisecond,
		SendTimeout: 5 * time.Second, Lease: 5 * time.Second, Logger: testLog(), OnSent: e.tips.OnSent,
	})
	if err != nil {
		e.t.Fatalf("new queue: %v", err)
	}
	if err := q.Start(context.Background()); err != nil {
		e.t.Fatalf("start queue: %v", err)
	}
	e.q = q
	e.t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := q.Stop(ctx); err != nil {
			e.t.Errorf("stop queue: %v", err)
		}
	})
	return q
}

// newTip is a confirmed tip as the report flow builds it.
func (e *env) newTip(key string, urgent bool) *store.Submission {
	lat, lon := 20.851, 106.212
	return &store.Submission{
		Kind: "tip",
		Answers: store.JSONMap{"category": "drugs", "what": "Tối nào cũng có người lạ tụ tập sau chợ", "where": "Bãi đất sau chợ Gia Tân",
			"date": "2025-03-03", "urgent": urgent, "location": map[string]any{"lat": lat, "lon": lon}, "photo": map[string]any{"attachment": 0}},
		Attachments:    store.JSONList{{Type: store.AttachmentPhoto, Channel: bot.ChannelTelegram, FileID: "AgAD-photo"}},
		Lat:            &lat,
		Lon:            &lon,
		OccurredAt:     t0,
		ReporterID:     e.reporter.ID,
		TeamID:         e.team,
		Urgent:         urgent,
		IdempotencyKey: key,
	}
}

// confirm stores a tip through tips, as the report flow does.
func (e *env) confirm(key string, urgent bool, source string) store.Submission {
	e.t.Helper()
	sub := e.newTip(key, urgent)
	created, err := e.tips.CreateSubmission(e.ctx, sub, source)
	if err != nil || !created {
		e.t.Fatalf("create tip: created=%v err=%v", created, err)
	}
	return *sub
}

// waitFor polls until cond holds or fails after 15 s.
func (e *env) waitFor(what string, cond func() bool) {
	e.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			e.t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// drain waits until the running queue has nothing left to send, so a test
// can assert that nothing more arrives.
func (e *env) drain() {
	e.t.Helper()
	e.waitFor("the queue to drain", func() bool {
		s, err := e.q.Stats(e.ctx)
		if err != nil {
			e.t.Fatalf("queue stats: %v", err)
		}
		return s.Depth == 0
	})
}

// pushes returns the tip messages (not photos, not edits) a person got about sub.
func (e *env) pushes(p store.Person, subID int64) []sentMsg {
	var out []sentMsg
	for _, m := range e.ch.to(chatOf(p)) {
		if m.EditMessageID == "" && m.Photo == nil && strings.Contains(m.Text, fmt.Sprintf("#%d", subID)) && len(m.Buttons) > 0 {
			out = append(out, m)
		}
	}
	return out
}

// readOnlyPushes returns the tip messages without buttons (higher levels) about sub.
func (e *env) readOnlyPushes(p store.Person, subID int64) []sentMsg {
	var out []sentMsg
	for _, m := range e.ch.to(chatOf(p)) {
		if m.EditMessageID == "" && m.Photo == nil && strings.Contains(m.Text, e.T("tips.police.title", "Kind", "📢 Nguồn tin", "Ref", subID)) {
			out = append(out, m)
		}
	}
	return out
}

// edits returns the edits of message id in p's chat.
func (e *env) edits(p store.Person, id string) []sentMsg {
	var out []sentMsg
	for _, m := range e.ch.to(chatOf(p)) {
		if m.EditMessageID == id {
			out = append(out, m)
		}
	}
	return out
}

// T is the Vietnamese text of key.
func (e *env) T(key string, args ...any) string { return e.cat.T("vi", key, args...) }

// tap is an officer's or reporter's button tap.
func (e *env) tap(p store.Person, data string) tips.Reply {
	e.t.Helper()
	r, err := e.tips.HandleCallback(e.ctx, tips.Request{Person: p, Lang: "vi", Data: data})
	if err != nil {
		e.t.Fatalf("tap %s by %s: %v", data, p.Name, err)
	}
	return r
}

// typeText answers a prompt.
func (e *env) typeText(p store.Person, prompt *tips.Prompt, text string) tips.Reply {
	e.t.Helper()
	if prompt == nil {
		e.t.Fatal("no prompt to answer")
	}
	r, err := e.tips.HandlePrompt(e.ctx, tips.Request{Person: p, Lang: "vi", Data: prompt.Data, Text: text})
	if err != nil {
		e.t.Fatalf("prompt %s by %s: %v", prompt.Data, p.Name, err)
	}
	return r
}

func replyText(r tips.Reply) string {
	var s []string
	for _, m := range r.Messages {
		s = append(s, m.Text)
	}
	return strings.Join(s, "\n")
}

func buttonData(m bot.Message) []string {
	var out []string
	for _, row := range m.Buttons {
		for _, b := range row {
			out = append(out, b.Data)
		}
	}
	return out
}

func buttonLabels(m bot.Message) []string {
	var out []string
	for _, row := range m.Buttons {
		for _, b := range row {
			out = append(out, b.Label)
		}
	}
	return out
}

func hasLabel(m bot.Message, label string) bool { return slices.Contains(buttonLabels(m), label) }

// audit returns the audit actions recorded about a submission.
func (e *env) audit(subID int64) []store.AuditLog {
	e.t.Helper()
	es, err := e.st.AuditEntries(e.ctx, "submission", strconv.FormatInt(subID, 10))
	if err != nil {
		e.t.Fatal(err)
	}
	return es
}

func countAudit(es []store.AuditLog, action string, actor int64) int {
	n := 0
	for _, x := range es {
		if x.Action == action && (actor == 0 || (x.ActorID != nil && *x.ActorID == actor)) {
			n++
		}
	}
	return n
}
