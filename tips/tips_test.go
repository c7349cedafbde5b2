package tips_test

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/anttbot/anttbot/access"
	"github.com/anttbot/anttbot/store"
	"github.com/anttbot/anttbot/tips"
)

// TestPushSurvivesRestart: a tip committed while no queue runs (the process
// died between commit and send) reaches every commune officer exactly once
// when a fresh queue starts, with everything the police need.
func TestPushSurvivesRestart(t *testing.T) {
	t.Parallel()
	forEachDriver(t, func(t *testing.T, driver string) {
		e := newEnv(t, driver)
		sub := e.confirm("flows:telegram:1:d1", true, "Chị Hoa bán hàng nước đầu chợ, 0912 345 678")
		// The same confirmation again (double tap): no second push.
		dup := e.newTip("flows:telegram:1:d1", true)
		if created, err := e.tips.CreateSubmission(e.ctx, dup, "x"); err != nil || created || dup.ID != sub.ID {
			t.Fatalf("duplicate confirm: created=%v err=%v id=%d", created, err, dup.ID)
		}
		if n := len(e.ch.to(chatOf(e.officerA))); n != 0 {
			t.Fatalf("%d messages sent with no queue running", n)
		}

		e.startQueue()
		e.waitFor("both officers to get the tip and its photo", func() bool {
			return len(e.ch.to(chatOf(e.officerA))) == 2 && len(e.ch.to(chatOf(e.officerB))) == 2
		})
		e.drain()
		for _, o := range []store.Person{e.officerA, e.officerB} {
			msgs := e.ch.to(chatOf(o))
			if len(msgs) != 2 {
				t.Fatalf("%s got %d messages, want the tip and its photo once", o.Name, len(msgs))
			}
			m := msgs[0]
			if !strings.HasPrefix(m.Text, "🔴 KHẨN\n") {
				t.Errorf("urgent tip does not start with KHẨN: %q", m.Text)
			}
			for _, want := range []string{
				fmt.Sprintf("📢 Nguồn tin #%d", sub.ID), "Ma túy", "Tối nào cũng có người lạ tụ tập sau chợ",
				"Bãi đất sau chợ Gia Tân", "03/03/2025", "https://maps.google.com/?q=20.851000,106.212000",
				"Phạm Văn Minh", "Thôn 1", "Xã Gia Tân", "Chị Hoa bán hàng nước đầu chợ", e.T("tips.status_line.pending"),
			} {
				if !strings.Contains(m.Text, want) {
					t.Errorf("push to %s lacks %q:\n%s", o.Name, want, m.Text)
				}
			}
			for _, l := range []string{"📥 Tiếp nhận", "✅ Đã xác minh", "❌ Không xác minh được", "❓ Hỏi thêm"} {
				if !hasLabel(m.Message, l) {
					t.Errorf("push lacks button %q: %q", l, buttonLabels(m.Message))
				}
			}
			if p := msgs[1].Photo; p == nil || p.FileID != "AgAD-photo" {
				t.Errorf("second message is not the photo: %+v", msgs[1])
			}
		}
		for _, p := range []store.Person{e.districtOfficer, e.provinceOfficer, e.otherOfficer, e.leader, e.reporter} {
			if msgs := e.ch.to(chatOf(p)); len(msgs) != 0 {
				t.Errorf("%s got %d messages: %q", p.Name, len(msgs), msgs[0].Text)
			}
		}
		// The pushes are recorded for later edits, and audited as reads of the source.
		ms, err := e.st.TipMessages(e.ctx, sub.ID)
		if err != nil || len(ms) != 2 {
			t.Fatalf("recorded messages %+v, err %v", ms, err)
		}
		es := e.audit(sub.ID)
		if countAudit(es, string(access.ReadTipSource), e.officerA.ID) != 1 || countAudit(es, string(access.ReadTipSource), e.officerB.ID) != 1 {
			t.Errorf("pushes not audited as source reads: %+v", es)
		}
	})
}

// TestNoPushWhenCommitFails: a push queued in a transaction that then
// fails is never sent.
func TestNoPushWhenCommitFails(t *testing.T) {
	t.Parallel()
	forEachDriver(t, func(t *testing.T, driver string) {
		e := newEnv(t, driver)
		boom := errors.New("boom after the enqueue")
		sub := e.newTip("flows:telegram:1:fail", false)
		err := e.st.InTx(e.ctx, func(tx *store.Store) error {
			if _, err := tx.CreateSubmission(e.ctx, sub, "nguồn"); err != nil {
				return err
			}
			if err := e.tips.NotifyTx(e.ctx, tx, *sub); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("transaction error = %v", err)
		}
		if _, err := e.st.SubmissionByID(e.ctx, sub.ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("the tip survived the rollback: %v", err)
		}
		q := e.startQueue()
		time.Sleep(300 * time.Millisecond) // a few polls of the queue
		if n := len(e.ch.to(chatOf(e.officerA))) + len(e.ch.to(chatOf(e.officerB))); n != 0 {
			t.Fatalf("%d messages sent for a rolled back tip", n)
		}
		stats, err := q.Stats(e.ctx)
		if err != nil || stats.Depth != 0 {
			t.Fatalf("queue depth %d (err %v), want 0", stats.Depth, err)
		}
	})
}

// TestFirstOfficerWins: two officers act on the same tip; the first wins,
// the second is told who was first, every pushed copy is edited to show
// it, and the reporter is told.
func TestFirstOfficerWins(t *testing.T) {
	t.Parallel()
	forEachDriver(t, func(t *testing.T, driver string) {
		e := newEnv(t, driver)
		e.startQueue()
		sub := e.confirm("flows:telegram:1:win", false, "")
		e.waitFor("pushes", func() bool { return len(e.pushes(e.officerA, sub.ID)) == 1 && len(e.pushes(e.officerB, sub.ID)) == 1 })
		e.waitFor("pushes recorded", func() bool {
			ms, _ := e.st.TipMessages(e.ctx, sub.ID)
			return len(ms) == 2
		})
		idA, idB := e.pushes(e.officerA, sub.ID)[0].ID, e.pushes(e.officerB, sub.ID)[0].ID
		if !strings.Contains(e.pushes(e.officerA, sub.ID)[0].Text, e.T("tips.police.no_source")) {
			t.Errorf("a tip without source does not say so")
		}

		// Both tap "verified" at once: exactly one wins.
		var wg sync.WaitGroup
		replies := make([]tips.Reply, 2)
		for i, o := range []store.Person{e.officerA, e.officerB} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r, err := e.tips.HandleCallback(e.ctx, tips.Request{Person: o, Lang: "vi", Data: fmt.Sprintf("tip:ok:%d", sub.ID)})
				if err != nil {
					t.Errorf("tap: %v", err)
				}
				replies[i] = r
			}()
		}
		wg.Wait()
		got, err := e.st.SubmissionByID(e.ctx, sub.ID)
		if err != nil || got.Status != store.StatusVerified || got.VerifiedByID == nil {
			t.Fatalf("status %q by %v, err %v", got.Status, got.VerifiedByID, err)
		}
		winner, loser, loserReply := e.officerA, e.officerB, replies[1]
		if *got.VerifiedByID == e.officerB.ID {
			winner, loser, loserReply = e.officerB, e.officerA, replies[0]
		}
		if want := "đã được đồng chí " + winner.Name + " xác minh"; !strings.Contains(replyText(loserReply), want) {
			t.Errorf("second officer told %q, want %q", replyText(loserReply), want)
		}
		// Any later tap is told the same.
		if r := e.tap(loser, fmt.Sprintf("tip:rcv:%d", sub.ID)); !strings.Contains(replyText(r), winner.Name) {
			t.Errorf("late receive told %q", replyText(r))
		}

		want := "✅ Đã xác minh: " + winner.Name
		for _, c := range []struct {
			p  store.Person
			id string
		}{{e.officerA, idA}, {e.officerB, idB}} {
			e.waitFor("edit of "+c.p.Name+"'s message", func() bool { return len(e.edits(c.p, c.id)) > 0 })
			ed := e.edits(c.p, c.id)
			last := ed[len(ed)-1]
			if !strings.Contains(last.Text, want) || len(last.Buttons) != 0 {
				t.Errorf("edit of %s's message: %q buttons %q", c.p.Name, last.Text, buttonLabels(last.Message))
			}
		}
		e.waitFor("reporter notice", func() bool { return len(e.ch.to(chatOf(e.reporter))) == 1 })
		if m := e.ch.to(chatOf(e.reporter))[0]; m.Text != e.T("tips.reporter.verified", "Ref", sub.ID) {
			t.Errorf("reporter told %q", m.Text)
		}
		e.drain()
		if n := len(e.ch.to(chatOf(e.reporter))); n != 1 {
			t.Errorf("reporter told %d times", n)
		}
		if n := countAudit(e.audit(sub.ID), "submission.status", 0); n != 1 {
			t.Errorf("%d status changes audited, want 1", n)
		}
	})
}

// TestReporterToldEachChange: received, then not verified with a reason:
// the reporter hears of each, the officers' messages follow.
func TestReporterToldEachChange(t *testing.T) {
	t.Parallel()
	forEachDriver(t, func(t *testing.T, driver string) {
		e := newEnv(t, driver)
		e.startQueue()
		sub := e.confirm("flows:telegram:1:steps", false, "")
		e.waitFor("pushes recorded", func() bool {
			ms, _ := e.st.TipMessages(e.ctx, sub.ID)
			return len(ms) == 2
		})
		idB := e.pushes(e.officerB, sub.ID)[0].ID

		r := e.tap(e.officerA, fmt.Sprintf("tip:rcv:%d", sub.ID))
		if replyText(r) != e.T("tips.done.received", "Ref", sub.ID) || r.Prompt != nil {
			t.Fatalf("receive reply %q prompt %+v", replyText(r), r.Prompt)
		}
		e.waitFor("received edit", func() bool {
			ed := e.edits(e.officerB, idB)
			return len(ed) > 0 && strings.Contains(ed[len(ed)-1].Text, "📥 Đã tiếp nhận: "+e.officerA.Name)
		})
		ed := e.edits(e.officerB, idB)
		if hasLabel(ed[len(ed)-1].Message, "📥 Tiếp nhận") || !hasLabel(ed[len(ed)-1].Message, "✅ Đã xác minh") {
			t.Errorf("buttons after receipt: %q", buttonLabels(ed[len(ed)-1].Message))
		}
		if r := e.tap(e.officerB, fmt.Sprintf("tip:rcv:%d", sub.ID)); !strings.Contains(replyText(r), "đã được đồng chí "+e.officerA.Name+" tiếp nhận") {
			t.Errorf("second receive told %q", replyText(r))
		}

		r = e.tap(e.officerB, fmt.Sprintf("tip:no:%d", sub.ID))
		if r.Prompt == nil || !strings.Contains(replyText(r), e.T("tips.reason.ask", "Ref", sub.ID)) {
			t.Fatalf("reject reply %q prompt %+v", replyText(r), r.Prompt)
		}
		r = e.typeText(e.officerB, r.Prompt, "Đã kiểm tra tại chỗ, không có tụ tập")
		if replyText(r) != e.T("tips.reason.recorded", "Ref", sub.ID) || r.Prompt != nil {
			t.Fatalf("reason reply %q", replyText(r))
		}
		want := []string{
			e.T("tips.reporter.received", "Ref", sub.ID),
			e.T("tips.reporter.rejected", "Ref", sub.ID),
			e.T("tips.reporter.reason", "Ref", sub.ID, "Reason", "Đã kiểm tra tại chỗ, không có tụ tập"),
		}
		e.waitFor("three reporter notices", func() bool { return len(e.ch.to(chatOf(e.reporter))) == 3 })
		for i, m := range e.ch.to(chatOf(e.reporter)) {
			if m.Text != want[i] {
				t.Errorf("reporter notice %d = %q, want %q", i, m.Text, want[i])
			}
		}
		e.waitFor("edit with the reason", func() bool {
			ed := e.edits(e.officerB, idB)
			return len(ed) > 0 && strings.Contains(ed[len(ed)-1].Text, "Lý do: Đã kiểm tra tại chỗ")
		})
		// Only the officer who rejected gives the reason, once.
		if r := e.typeText(e.officerA, &tips.Prompt{Data: fmt.Sprintf("tip:why:%d", sub.ID)}, "khác"); replyText(r) != e.T("tips.reason.not_recorded", "Ref", sub.ID) {
			t.Errorf("second reason: %q", replyText(r))
		}
	})
}

// TestEscalation: a tip nobody acts on goes up after 4 h (30 min when
// urgent), once per level, with a fake clock.
func TestEscalation(t *testing.T) {
	t.Parallel()
	forEachDriver(t, func(t *testing.T, driver string) {
		e := newEnv(t, driver)
		e.startQueue()
		normal := e.confirm("flows:telegram:1:normal", false, "nguồn tin mật")
		urgent := e.confirm("flows:telegram:1:urgent", true, "")
		handled := e.confirm("flows:telegram:1:handled", true, "")
		e.tap(e.officerA, fmt.Sprintf("tip:rcv:%d", handled.ID))

		steps := []struct {
			after         time.Duration
			moved         int
			district, top []int64 // tips each level has received by then
		}{
			{29 * time.Minute, 0, nil, nil},
			{30 * time.Minute, 1, []int64{urgent.ID}, nil},
			{31 * time.Minute, 0, []int64{urgent.ID}, nil},
			{59 * time.Minute, 0, []int64{urgent.ID}, nil},
			{60 * time.Minute, 1, []int64{urgent.ID}, []int64{urgent.ID}},
			{4*time.Hour - time.Second, 0, []int64{urgent.ID}, []int64{urgent.ID}},
			{4 * time.Hour, 1, []int64{urgent.ID, normal.ID}, []int64{urgent.ID}},
			{5 * time.Hour, 0, []int64{urgent.ID, normal.ID}, []int64{urgent.ID}},
			{8 * time.Hour, 1, []int64{urgent.ID, normal.ID}, []int64{urgent.ID, normal.ID}},
			{48 * time.Hour, 0, []int64{urgent.ID, normal.ID}, []int64{urgent.ID, normal.ID}},
		}
		for _, s := range steps {
			now := t0.Add(s.after)
			e.clock.Set(now)
			// Two replicas run the job at the same time.
			var wg sync.WaitGroup
			var mu sync.Mutex
			moved := 0
			for range 2 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					n, err := e.tips.Escalate(e.ctx, now)
					if err != nil {
						t.Errorf("escalate at +%s: %v", s.after, err)
					}
					mu.Lock()
					moved += n
					mu.Unlock()
				}()
			}
			wg.Wait()
			if moved != s.moved {
				t.Fatalf("at +%s: %d tips moved up, want %d", s.after, moved, s.moved)
			}
			e.drain()
			for _, lv := range []struct {
				p    store.Person
				want []int64
			}{{e.districtOfficer, s.district}, {e.provinceOfficer, s.top}} {
				for _, id := range []int64{normal.ID, urgent.ID, handled.ID} {
					n := len(e.readOnlyPushes(lv.p, id))
					want := 0
					for _, w := range lv.want {
						if w == id {
							want = 1
						}
					}
					if n != want {
						t.Fatalf("at +%s: %s got tip #%d %d times, want %d", s.after, lv.p.Name, id, n, want)
					}
				}
			}
		}
		m := e.readOnlyPushes(e.districtOfficer, normal.ID)[0]
		for _, want := range []string{e.T("tips.police.escalated_timeout", "Wait", "4 giờ"), "nguồn tin mật", e.T("tips.police.read_only")} {
			if !strings.Contains(m.Text, want) {
				t.Errorf("escalated tip lacks %q:\n%s", want, m.Text)
			}
		}
		if len(m.Buttons) != 0 {
			t.Errorf("district officer got action buttons: %q", buttonLabels(m.Message))
		}
		if !strings.Contains(e.readOnlyPushes(e.districtOfficer, urgent.ID)[0].Text, e.T("tips.police.escalated_timeout", "Wait", "30 phút")) {
			t.Errorf("urgent escalation does not say 30 min")
		}
		es, err := e.st.TipEscalations(e.ctx, normal.ID)
		if err != nil || len(es) != 2 || es[0].Reason != store.EscalationTimeout {
			t.Fatalf("escalations %+v err %v", es, err)
		}
		// A district officer may read the tip but not act on it.
		r := e.tap(e.districtOfficer, fmt.Sprintf("tip:ok:%d", normal.ID))
		if replyText(r) != e.T("access.denied.read_only") {
			t.Errorf("district officer's tap answered %q", replyText(r))
		}
	})
}

// TestNoCommuneOfficer: with nobody of the commune police linked, the tip
// goes to the district at once, and that is recorded; without a district,
// to the province.
func TestNoCommuneOfficer(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		opts  []envOption
		level store.Level
	}{
		{"to the district", []envOption{withoutCommuneOfficers()}, store.LevelDistrict},
		{"to the province when there is no district", []envOption{withoutCommuneOfficers(), withoutDistrict()}, store.LevelProvince},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			forEachDriver(t, func(t *testing.T, driver string) {
				e := newEnv(t, driver, tc.opts...)
				e.startQueue()
				sub := e.confirm("flows:telegram:1:none", false, "")
				to := e.provinceOfficer
				if tc.level == store.LevelDistrict {
					to = e.districtOfficer
				}
				e.waitFor("escalated push", func() bool { return len(e.readOnlyPushes(to, sub.ID)) == 1 })
				if !strings.Contains(e.readOnlyPushes(to, sub.ID)[0].Text, e.T("tips.police.escalated_no_officer")) {
					t.Errorf("push does not say why: %q", e.readOnlyPushes(to, sub.ID)[0].Text)
				}
				es, err := e.st.TipEscalations(e.ctx, sub.ID)
				if err != nil || len(es) != 1 || es[0].Level != tc.level || es[0].Reason != store.EscalationNoOfficer || es[0].Officers != 1 {
					t.Fatalf("escalations %+v err %v", es, err)
				}
				if n := countAudit(e.audit(sub.ID), tips.AuditEscalated, 0); n != 1 {
					t.Errorf("%d escalations audited", n)
				}
				if tc.level == store.LevelDistrict {
					e.drain()
					if n := len(e.ch.to(chatOf(e.provinceOfficer))); n != 0 {
						t.Errorf("province got %d messages", n)
					}
				}
			})
		})
	}
}

// TestOutOfScope: people outside the tip's police chain are refused, with
// the reason, and the refusal is audited; nothing changes.
func TestOutOfScope(t *testing.T) {
	t.Parallel()
	forEachDriver(t, func(t *testing.T, driver string) {
		e := newEnv(t, driver)
		sub := e.confirm("flows:telegram:1:scope", false, "nguồn")
		tests := []struct {
			name   string
			who    store.Person
			data   string
			reason string
		}{
			{"officer of another commune", e.otherOfficer, fmt.Sprintf("tip:ok:%d", sub.ID), access.ReasonScope},
			{"officer of another commune asks", e.otherOfficer, fmt.Sprintf("tip:ask:%d", sub.ID), access.ReasonScope},
			{"team leader", e.leader, fmt.Sprintf("tip:rcv:%d", sub.ID), access.ReasonRole},
			{"the reporter", e.reporter, fmt.Sprintf("tip:ok:%d", sub.ID), access.ReasonRole},
			{"province officer", e.provinceOfficer, fmt.Sprintf("tip:no:%d", sub.ID), access.ReasonReadOnly},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				before := countAudit(e.audit(sub.ID), "access.denied", tc.who.ID)
				r := e.tap(tc.who, tc.data)
				if replyText(r) != e.T(access.MessageKey(tc.reason)) || r.Prompt != nil {
					t.Fatalf("reply %q prompt %+v, want %q", replyText(r), r.Prompt, e.T(access.MessageKey(tc.reason)))
				}
				if after := countAudit(e.audit(sub.ID), "access.denied", tc.who.ID); after != before+1 {
					t.Fatalf("refusal not audited (%d -> %d)", before, after)
				}
			})
		}
		got, err := e.st.SubmissionByID(e.ctx, sub.ID)
		if err != nil || got.Status != store.StatusPending {
			t.Fatalf("status %q err %v", got.Status, err)
		}
	})
}

// TestSourcePoliceOnly: the source appears in what the police get and in
// nothing the reporter or anybody else gets, whatever happens to the tip.
func TestSourcePoliceOnly(t *testing.T) {
	t.Parallel()
	forEachDriver(t, func(t *testing.T, driver string) {
		e := newEnv(t, driver)
		e.startQueue()
		const source = "Ông Tư sửa xe, số nhà 12"
		sub := e.confirm("flows:telegram:1:src", false, source)
		e.waitFor("pushes recorded", func() bool {
			ms, _ := e.st.TipMessages(e.ctx, sub.ID)
			return len(ms) == 2
		})
		e.tap(e.officerA, fmt.Sprintf("tip:rcv:%d", sub.ID))
		r := e.tap(e.officerA, fmt.Sprintf("tip:ask:%d", sub.ID))
		e.typeText(e.officerA, r.Prompt, "Ông Tư thấy lúc mấy giờ?")
		e.clock.Set(t0.Add(5 * time.Hour))
		if _, err := e.tips.Escalate(e.ctx, e.clock.Now()); err != nil {
			t.Fatal(err)
		}
		e.tap(e.officerA, fmt.Sprintf("tip:ok:%d", sub.ID))
		e.waitFor("reporter notices", func() bool { return len(e.ch.to(chatOf(e.reporter))) == 3 })
		e.drain()
		for _, p := range []store.Person{e.officerA, e.officerB} {
			if msgs := e.pushes(p, sub.ID); len(msgs) != 1 || !strings.Contains(msgs[0].Text, source) {
				t.Errorf("%s's push lacks the source", p.Name)
			}
		}
		for _, p := range []store.Person{e.reporter, e.leader, e.otherOfficer} {
			for _, m := range e.ch.to(chatOf(p)) {
				if strings.Contains(m.Text, source) {
					t.Errorf("%s was shown the source: %q", p.Name, m.Text)
				}
			}
		}
		for _, x := range e.audit(sub.ID) {
			if strings.Contains(x.Detail, source) || strings.Contains(x.Detail, "lúc mấy giờ") {
				t.Errorf("audit detail carries tip text: %+v", x)
			}
		}
	})
}

// TestReporterRefusedOnOthersQuestion: a question is answered by its tip's
// reporter only.
func TestReporterRefusedOnOthersQuestion(t *testing.T) {
	t.Parallel()
	e := newEnv(t, store.DriverSQLite)
	sub := e.confirm("flows:telegram:1:q", false, "")
	r := e.tap(e.officerA, fmt.Sprintf("tip:ask:%d", sub.ID))
	e.typeText(e.officerA, r.Prompt, "Có mấy người?")
	qs, err := e.st.TipQuestions(e.ctx, sub.ID)
	if err != nil || len(qs) != 1 {
		t.Fatalf("questions %+v err %v", qs, err)
	}
	r = e.tap(e.leader, fmt.Sprintf("tip:ans:%d", qs[0].ID))
	if replyText(r) != e.T(access.MessageKey(access.ReasonScope)) || r.Prompt != nil {
		t.Fatalf("leader answering: %q", replyText(r))
	}
	if _, handled, err := e.tips.HandleText(e.ctx, tips.Request{Person: e.leader, Lang: "vi", Text: "trả lời hộ"}); handled || err != nil {
		t.Fatalf("leader's free text taken as an answer: handled=%v err=%v", handled, err)
	}
	if _, handled, err := e.tips.HandleText(e.ctx, tips.Request{Person: e.reporter, Lang: "vi", Text: "Ba người"}); !handled || err != nil {
		t.Fatalf("reporter's free text not taken: handled=%v err=%v", handled, err)
	}
	if qs, _ := e.st.TipQuestions(e.ctx, sub.ID); qs[0].Answer != "Ba người" {
		t.Fatalf("answer = %q", qs[0].Answer)
	}
}
