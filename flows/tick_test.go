package flows

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/anttbot/anttbot/store"
)

// errDown stands for a database that does not answer.
var errDown = errors.New("dial tcp 127.0.0.1:5432: connect: connection refused")

// flakyStore is the real store with a database that fails on demand.
type flakyStore struct {
	*store.Store
	// failCreates is how many CreateSubmission calls fail next.
	failCreates atomic.Int32
	// down makes the person lookup fail too, as in a real outage.
	down atomic.Bool
	// creates counts CreateSubmission calls.
	creates atomic.Int32
	// invalid makes CreateSubmission refuse the report as the store does
	// with bad data.
	invalid atomic.Bool
}

func (f *flakyStore) CreateSubmission(ctx context.Context, sub *store.Submission, source string) (bool, error) {
	f.creates.Add(1)
	if f.invalid.Load() {
		return false, fmt.Errorf("store: create submission %s: %w", sub.IdempotencyKey, store.ErrInvalid)
	}
	if f.down.Load() {
		return false, fmt.Errorf("store: create submission %s: %w", sub.IdempotencyKey, errDown)
	}
	if f.failCreates.Load() > 0 {
		f.failCreates.Add(-1)
		return false, fmt.Errorf("store: create submission %s: %w", sub.IdempotencyKey, errDown)
	}
	return f.Store.CreateSubmission(ctx, sub, source)
}

func (f *flakyStore) PersonByIdentity(ctx context.Context, channel, externalID string) (store.Person, store.Identity, error) {
	if f.down.Load() {
		return store.Person{}, store.Identity{}, fmt.Errorf("store: identity: %w", errDown)
	}
	return f.Store.PersonByIdentity(ctx, channel, externalID)
}

func flaky(h *harness) *flakyStore {
	f := &flakyStore{Store: h.st}
	h.db = f
	h.svc = h.newService()
	return f
}

// TestDatabaseOutageAtConfirm: the report is kept, the member told, and it
// is stored exactly once when the database is back.
func TestDatabaseOutageAtConfirm(t *testing.T) {
	eachDriver(t, func(t *testing.T, driver string) {
		var opts []harnessOption
		if driver == store.DriverPostgres {
			opts = append(opts, withRedis())
		}
		h := newHarness(t, driver, opts...)
		f := flaky(h)
		u := h.linked(member)
		p := h.person(member)

		goTo(u, "tip", stepIDConfirm)
		f.failCreates.Store(4)
		ok := u.button("✅ Xác nhận gửi")
		msgs := u.data(ok.Data)
		mustContain(t, msgs, h.T("flows.report.deferred"))
		if n := len(h.submissions(p)); n != 0 {
			t.Fatalf("%d rows during the outage", n)
		}
		s := u.session()
		if s.Draft != nil || len(s.Pending) != 1 || s.Pending[0].Report.Source == "" {
			t.Fatalf("session after failed save: %+v", s)
		}
		if _, inAnswers := s.Pending[0].Report.Answers["source"]; inAnswers {
			t.Fatal("tip source kept among the answers")
		}
		// A second tap while pending stores nothing and says it is on its way.
		mustContain(t, u.data(ok.Data), h.T("flows.report.already_pending"))
		// /cuatoi shows it waiting.
		mustContain(t, u.text("/cuatoi"), "đang chờ lưu")

		tick := func() []string {
			t.Helper()
			before := len(h.sender.to(u.channel, u.id))
			if err := h.svc.Tick(h.ctx); err != nil {
				t.Fatalf("tick: %v", err)
			}
			var out []string
			for _, m := range h.sender.to(u.channel, u.id)[before:] {
				out = append(out, m.Text)
			}
			return out
		}
		creates := f.creates.Load()
		if got := tick(); len(got) != 0 || f.creates.Load() != creates {
			t.Fatalf("retried before the back-off: %q", got)
		}
		h.clock.Add(16 * time.Second) // first retry, fails (2 left)
		tick()
		h.clock.Add(31 * time.Second) // second retry, fails (1 left)
		tick()
		if f.creates.Load() != creates+2 {
			t.Fatalf("%d retries, want 2", f.creates.Load()-creates)
		}
		h.clock.Add(20 * time.Second) // back-off doubled to 60s: not yet
		if got := tick(); len(got) != 0 {
			t.Fatalf("retried too early: %q", got)
		}
		h.clock.Add(41 * time.Second) // third retry fails; the back-off is now 2 minutes
		tick()
		h.clock.Add(2 * time.Minute)
		got := tick()
		subs := h.submissions(p)
		if len(subs) != 1 {
			t.Fatalf("%d rows after the outage, want 1", len(subs))
		}
		want := h.T("flows.report.saved_later", "Kind", "📢 Nguồn tin", "Ref", subs[0].ID)
		if len(got) != 1 || !strings.Contains(got[0], want) || !strings.Contains(got[0], "Đợt 2") {
			t.Fatalf("after save told %q, want %q", got, want)
		}
		if ts, err := h.st.TipSourceOf(h.ctx, subs[0].ID); err != nil || ts.Source == "" {
			t.Fatalf("tip source lost: %+v %v", ts, err)
		}
		if s := u.session(); len(s.Pending) != 0 {
			t.Fatalf("still pending: %+v", s.Pending)
		}
		h.clock.Add(time.Hour)
		if got := tick(); len(got) != 0 {
			t.Fatalf("told again: %q", got)
		}
		// The old confirm button now answers with the number.
		mustContain(t, u.data(ok.Data), fmt.Sprintf("#%d", subs[0].ID))
		if len(h.submissions(p)) != 1 {
			t.Fatal("stored twice")
		}
	})
}

// TestDatabaseDownMidReport: with the whole database down, a report in
// progress goes on from the session and is saved once the database is back.
func TestDatabaseDownMidReport(t *testing.T) {
	h := newHarness(t, store.DriverSQLite)
	f := flaky(h)
	u := h.linked(member)
	goTo(u, "good_deed", "date")
	f.down.Store(true)
	u.tap("Hôm nay")
	u.tap("⏭ Bỏ qua")
	u.tap("⏭ Bỏ qua")
	mustContain(t, u.tap("✅ Xác nhận gửi"), h.T("flows.report.deferred"))
	// Commands that need the database say so; nothing crashes.
	mustContain(t, u.text("/cuatoi"), h.T("flows.error.try_again"))
	f.down.Store(false)
	h.clock.Add(time.Minute)
	if err := h.svc.Tick(h.ctx); err != nil {
		t.Fatal(err)
	}
	subs := h.submissions(h.person(member))
	if len(subs) != 1 || subs[0].TeamID != h.person(member).UnitID {
		t.Fatalf("stored %+v", subs)
	}
	if s := u.session(); len(s.Sent) != 1 || s.Sent[0].Ref != subs[0].ID || len(s.Pending) != 0 {
		t.Fatalf("session after the outage: %+v", s)
	}
	mustContain(t, h.sender.to(u.channel, u.id)[len(h.sender.to(u.channel, u.id))-1:], fmt.Sprintf("#%d", subs[0].ID))
}

// TestIdleReminder: a member silent mid-report is reminded once.
func TestIdleReminder(t *testing.T) {
	eachDriver(t, func(t *testing.T, driver string) {
		h := newHarness(t, driver, withRedis())
		u := h.linked(member)
		idle := h.linked(member2)
		goTo(u, "patrol", "hours")
		tick := func() []string {
			t.Helper()
			before := len(h.sender.to(u.channel, u.id))
			if err := h.svc.Tick(h.ctx); err != nil {
				t.Fatalf("tick: %v", err)
			}
			var out []string
			for _, m := range h.sender.to(u.channel, u.id)[before:] {
				out = append(out, m.Text)
			}
			return out
		}
		h.clock.Add(29 * time.Minute)
		if got := tick(); len(got) != 0 {
			t.Fatalf("reminded early: %q", got)
		}
		h.clock.Add(2 * time.Minute)
		got := tick()
		want := h.T("flows.idle.reminder", "Kind", "🚶 Tuần tra")
		if len(got) != 1 || got[0] != want {
			t.Fatalf("reminder = %q, want %q", got, want)
		}
		if !h.svc.Busy(h.ctx, u.channel, u.id) || h.svc.Busy(h.ctx, idle.channel, idle.id) {
			t.Fatal("Busy wrong")
		}
		for i := 0; i < 3; i++ {
			h.clock.Add(time.Hour)
			if got := tick(); len(got) != 0 {
				t.Fatalf("reminded twice: %q", got)
			}
		}
		// Continue re-asks the question.
		msgs := u.tap("Tiếp tục")
		mustContain(t, msgs, "Bạn đã tham gia bao nhiêu giờ?")
		mustContain(t, u.text("2"), "Ở khu vực nào?")
		h.clock.Add(time.Hour)
		if got := tick(); len(got) != 0 {
			t.Fatalf("reminded again for the same report: %q", got)
		}

		// Drop it from the reminder of a new report.
		u.text("/huy")
		goTo(u, "good_deed", "date")
		h.clock.Add(31 * time.Minute)
		if got := tick(); len(got) != 1 {
			t.Fatalf("no reminder for the new report: %q", got)
		}
		mustContain(t, u.tap("Bỏ báo cáo này"), h.T("flows.idle.dropped"))
		if u.draft() != nil || h.svc.Busy(h.ctx, u.channel, u.id) {
			t.Fatal("dropped report kept")
		}
		if n := len(h.submissions(h.person(member))); n != 0 {
			t.Fatalf("%d stored", n)
		}
	})
}

// TestDatabaseDownNoFlow: a linked member writing while the database is down
// is asked to try again, not mistaken for a stranger.
func TestDatabaseDownNoFlow(t *testing.T) {
	h := newHarness(t, store.DriverSQLite)
	f := flaky(h)
	u := h.linked(member)
	f.down.Store(true)
	for _, s := range []string{"/start", "/huongdan", "xin chào", "/baocao"} {
		msgs := u.text(s)
		mustContain(t, msgs, h.T("flows.error.try_again"))
		mustNotContain(t, msgs, h.T("flows.onboard.ask_contact"), h.T("flows.help.unlinked"))
	}
}

// TestRefusedReport: a report the store refuses is not retried forever; the
// member is told to report it another way.
func TestRefusedReport(t *testing.T) {
	h := newHarness(t, store.DriverSQLite)
	f := flaky(h)
	f.invalid.Store(true)
	u := h.linked(member)
	goTo(u, "good_deed", stepIDConfirm)
	msgs, err := u.sendErr(text("gửi"))
	if !errors.Is(err, store.ErrInvalid) {
		t.Fatalf("error %v, want it passed on for the log", err)
	}
	mustContain(t, msgs, h.T("flows.report.rejected"))
	if s := u.session(); s.Draft != nil || len(s.Pending) != 0 {
		t.Fatalf("refused report kept: %+v", s)
	}
}

// TestExpiredDraftDoesNotWake: a report nobody came back to is not a
// reason to wake the session again and again.
func TestExpiredDraftDoesNotWake(t *testing.T) {
	h := newHarness(t, store.DriverSQLite)
	u := h.linked(member)
	goTo(u, "good_deed", "date")
	h.clock.Add(80 * time.Hour)
	before := len(h.sender.to(u.channel, u.id))
	for i := 0; i < 3; i++ {
		if err := h.svc.Tick(h.ctx); err != nil {
			t.Fatal(err)
		}
		h.clock.Add(time.Minute)
	}
	if got := h.sender.to(u.channel, u.id)[before:]; len(got) != 0 {
		t.Fatalf("messages for an expired report: %s", texts(got))
	}
	if keys, err := h.sessions.Due(h.ctx, h.clock.Now().Add(time.Hour), 10); err != nil || len(keys) != 0 {
		t.Fatalf("still due: %v %v", keys, err)
	}
	mustContain(t, u.text("hôm qua"), "đã bị hủy")
}
