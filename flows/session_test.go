package flows

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/anttbot/anttbot/bot"
	"github.com/anttbot/anttbot/session"
	"github.com/anttbot/anttbot/store"
)

// TestSessionExpiry drops a report left for longer than the session TTL and
// says so the next time the member writes.
func TestSessionExpiry(t *testing.T) {
	eachDriver(t, func(t *testing.T, driver string) {
		h := newHarness(t, driver)
		u := h.linked(member)
		goTo(u, "good_deed", "date")
		if !h.svc.Busy(h.ctx, u.channel, u.id) {
			t.Fatal("not busy mid-report")
		}
		h.clock.Add(71 * time.Hour)
		msgs := u.tap("Hôm qua")
		mustNotContain(t, msgs, "đã bị hủy")
		h.clock.Add(72*time.Hour + time.Minute)
		if h.svc.Busy(h.ctx, u.channel, u.id) {
			t.Fatal("busy after expiry")
		}
		msgs = u.text("Giúp cụ bà")
		mustContain(t, msgs, h.T("flows.session.expired", "Date", formatDate(campaignDate(inDot2)), "Hours", 72))
		if !hasLabel(msgs, "📝 Báo cáo") {
			t.Errorf("no menu after expiry")
		}
		if d := u.draft(); d != nil {
			t.Fatalf("expired draft kept: %+v", d)
		}
		// A command after expiry still runs after the notice.
		goTo(u, "good_deed", "date")
		h.clock.Add(73 * time.Hour)
		msgs = u.text("/baocao")
		mustContain(t, msgs, "đã bị hủy", h.T("flows.report.choose_kind"))
	})
}

// TestSessionVersion: a session written by another version of the code is
// dropped with a message offering to restart the report, never a crash.
func TestSessionVersion(t *testing.T) {
	h := newHarness(t, store.DriverSQLite)
	tests := []struct {
		name, data string
		restart    string
	}{
		{name: "older version", data: `{"v":0,"draft":{"kind":"tip","step":"what","answers":{"what":"x"}}}`, restart: "📝 Làm lại báo cáo 📢 Nguồn tin"},
		{name: "newer version", data: `{"v":7,"draft":{"kind":"good_deed","whatever":[1,2]}}`, restart: "📝 Làm lại báo cáo 🌟 Việc tốt"},
		{name: "unknown kind", data: `{"v":0,"draft":{"kind":"gone"}}`, restart: "📝 Báo cáo"},
		{name: "not json", data: `{{{`, restart: "📝 Báo cáo"},
		{name: "same version, step no longer in the campaign", data: `{"v":1,"ch":"telegram","draft":{"id":"x1","flow":"report","kind":"tip","step":"removed_question","seq":3,"reporter":REPORTER},"seen":"2025-07-15T08:00:00+07:00"}`, restart: "📝 Làm lại báo cáo 📢 Nguồn tin"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h.t = t
			u := h.linkedChat(member, fmt.Sprint("ver", i))
			data := strings.ReplaceAll(tt.data, "REPORTER", fmt.Sprint(h.person(member).ID))
			rec := session.Record{Key: sessionKey(u.channel, u.id), Data: []byte(data), TTL: time.Hour}
			if err := h.sessions.Save(h.ctx, &rec); err != nil {
				t.Fatal(err)
			}
			msgs := u.text("một câu trả lời")
			mustContain(t, msgs, h.T("flows.session.updated"))
			if !hasLabel(msgs, tt.restart) {
				t.Fatalf("no restart button %q: %q", tt.restart, labels(msgs))
			}
			if d := u.draft(); d != nil {
				t.Fatalf("unreadable draft kept: %+v", d)
			}
			msgs = u.tap(tt.restart)
			if tt.restart == "📝 Báo cáo" {
				mustContain(t, msgs, h.T("flows.report.choose_kind"))
			} else {
				mustContain(t, msgs, "câu 1/")
			}
		})
	}
}

// TestRestartMidFlow: a new Service over the same session store (a deploy,
// another replica) carries on with the report.
func TestRestartMidFlow(t *testing.T) {
	eachDriver(t, func(t *testing.T, driver string) {
		h := newHarness(t, driver, withRedis())
		u := h.linked(member)
		goTo(u, "patrol", "hours")
		h.svc = h.newService()
		msgs := u.text("2")
		mustContain(t, msgs, "Ở khu vực nào?")
		h.svc = h.newService()
		u.text("Đường liên thôn")
		u.tap("⏭ Bỏ qua")
		h.svc = h.newService()
		msgs = u.tap("✅ Xác nhận gửi")
		subs := h.submissions(h.person(member))
		if len(subs) != 1 || subs[0].Answers["hours"] != 2.0 || subs[0].Answers["area"] != "Đường liên thôn" {
			t.Fatalf("stored %+v", subs)
		}
		mustContain(t, msgs, fmt.Sprintf("#%d", subs[0].ID))
	})
}

// TestConcurrentUpdates sends updates of one chat at the same time, around
// the dispatcher, so only the session's compare-and-set keeps them apart.
func TestConcurrentUpdates(t *testing.T) {
	eachDriver(t, func(t *testing.T, driver string) {
		h := newHarness(t, driver, withRedis())
		u := h.linked(member)

		t.Run("two answers", func(t *testing.T) {
			h.t = t
			goTo(u, "patrol", "area")
			var wg sync.WaitGroup
			errs := make(chan error, 2)
			for _, s := range []string{"Khu chợ", "Ghi chú thêm"} {
				wg.Add(1)
				go func() {
					defer wg.Done()
					errs <- h.svc.HandleUpdate(h.ctx, u.update(text(s)))
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				if err != nil && !errors.Is(err, errBusy) {
					t.Fatal(err)
				}
			}
			d := u.session().Draft
			got := map[string]bool{d.Answers["area"].Text: true, d.Answers["notes"].Text: true}
			// Both applied one after the other, or one of them told to retry: never lost silently, never mixed.
			switch {
			case got["Khu chợ"] && got["Ghi chú thêm"] && d.Step == stepIDConfirm:
			case d.Step == "notes" && (d.Answers["area"].Text == "Khu chợ" || d.Answers["area"].Text == "Ghi chú thêm"):
			default:
				t.Fatalf("draft after concurrent answers: step %q answers %+v", d.Step, d.Answers)
			}
			u.text("/huy")
		})

		t.Run("ten confirm taps", func(t *testing.T) {
			h.t = t
			before := len(h.submissions(h.person(member)))
			goTo(u, "good_deed", stepIDConfirm)
			ok := u.button("✅ Xác nhận gửi").Data
			var wg sync.WaitGroup
			var failed atomic.Int32
			for i := 0; i < 10; i++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					if err := h.svc.HandleUpdate(h.ctx, u.update(bot.Update{Kind: bot.KindCallback, Text: ok, Callback: &bot.Callback{ID: "c", Data: ok}})); err != nil && !errors.Is(err, errBusy) {
						failed.Add(1)
					}
				}()
			}
			wg.Wait()
			if failed.Load() > 0 {
				t.Fatalf("%d taps failed", failed.Load())
			}
			subs := h.submissions(h.person(member))
			if len(subs) != before+1 {
				t.Fatalf("%d reports stored by ten taps, want 1", len(subs)-before)
			}
			s := u.session()
			if r, ok := s.receipt(s.Sent[len(s.Sent)-1].DraftID); !ok || r.Ref != subs[0].ID || s.Draft != nil {
				t.Fatalf("session after taps: %+v", s)
			}
		})
	})
}

// TestDoubleConfirm: a second tap on the confirm button stores nothing more
// and answers with the same reference number.
func TestDoubleConfirm(t *testing.T) {
	eachDriver(t, func(t *testing.T, driver string) {
		h := newHarness(t, driver)
		u := h.linked(member)
		goTo(u, "tip", stepIDConfirm)
		ok := u.button("✅ Xác nhận gửi")
		u.data(ok.Data)
		subs := h.submissions(h.person(member))
		if len(subs) != 1 {
			t.Fatalf("%d reports", len(subs))
		}
		msgs := u.data(ok.Data)
		mustContain(t, msgs, h.T("flows.report.already_sent", "Ref", subs[0].ID))
		if msgs[0].CallbackText == "" {
			t.Errorf("second tap not acknowledged with a toast")
		}
		// Even after another report was started.
		goTo(u, "good_deed", "what")
		mustContain(t, u.data(ok.Data), fmt.Sprintf("#%d", subs[0].ID))
		if got := len(h.submissions(h.person(member))); got != 1 {
			t.Fatalf("%d reports after double confirm", got)
		}
	})
}

// TestRedelivery: the platform delivers the same update twice; through the
// dispatcher it is handled once.
func TestRedelivery(t *testing.T) {
	h := newHarness(t, store.DriverSQLite)
	u := h.linked(member)
	goTo(u, "good_deed", "what")
	d := bot.NewDispatcher(h.svc, bot.NewMemoryJournal(), slog.New(slog.NewTextHandler(io.Discard, nil)), bot.DispatcherOptions{})
	before := len(h.sender.to(u.channel, u.id))
	up := u.update(text("Giúp cụ bà qua đường"))
	for i := 0; i < 3; i++ {
		if _, err := d.Submit(h.ctx, up); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(h.ctx, 10*time.Second)
	defer cancel()
	if err := d.Close(ctx); err != nil {
		t.Fatal(err)
	}
	msgs := h.sender.to(u.channel, u.id)[before:]
	if len(msgs) != 1 {
		t.Fatalf("%d replies to one update delivered three times: %s", len(msgs), texts(msgs))
	}
	if s := u.session().Draft; s.Step != "date" || s.Answers["what"].Text != "Giúp cụ bà qua đường" {
		t.Fatalf("draft %+v", s)
	}
}

// TestSessionStoreDown: with the session store unreachable the member is
// told to try again shortly, and nothing crashes.
func TestSessionStoreDown(t *testing.T) {
	h := newHarness(t, store.DriverSQLite)
	h.sessions = downSessions{}
	h.svc = h.newService()
	u := h.linked(member)
	msgs, err := u.sendErr(text("/baocao"))
	if err == nil || !errors.Is(err, session.ErrUnavailable) {
		t.Fatalf("error %v, want it to wrap session.ErrUnavailable", err)
	}
	mustContain(t, msgs, h.T("flows.error.session_unavailable"))
	if !h.svc.Busy(h.ctx, u.channel, u.id) {
		t.Errorf("Busy must be cautious when the session store is down")
	}
	if err := h.svc.Tick(h.ctx); !errors.Is(err, session.ErrUnavailable) {
		t.Errorf("Tick error %v", err)
	}
}

// downSessions is a session store whose server is down.
type downSessions struct{}

func (downSessions) Load(context.Context, string) (session.Record, error) {
	return session.Record{}, fmt.Errorf("dial redis: %w", session.ErrUnavailable)
}
func (downSessions) Save(context.Context, *session.Record) error {
	return fmt.Errorf("dial redis: %w", session.ErrUnavailable)
}
func (downSessions) Delete(context.Context, string, int64) error {
	return fmt.Errorf("dial redis: %w", session.ErrUnavailable)
}
func (downSessions) Due(context.Context, time.Time, int) ([]string, error) {
	return nil, fmt.Errorf("dial redis: %w", session.ErrUnavailable)
}

// conflictSessions loses every compare-and-set, as if another replica
// always wrote first.
type conflictSessions struct{ session.Store }

func (conflictSessions) Save(context.Context, *session.Record) error { return session.ErrConflict }

// TestConflictTwice: when the session changes under the update twice in a
// row the member is asked to send it again.
func TestConflictTwice(t *testing.T) {
	h := newHarness(t, store.DriverSQLite)
	h.sessions = conflictSessions{h.sessions}
	h.svc = h.newService()
	u := h.linked(member)
	msgs, err := u.sendErr(text("/baocao"))
	if !errors.Is(err, errBusy) {
		t.Fatalf("error %v, want errBusy", err)
	}
	if len(msgs) != 1 || msgs[0].Text != h.T("flows.error.busy") {
		t.Fatalf("replies %q, want only the busy message", texts(msgs))
	}
}
