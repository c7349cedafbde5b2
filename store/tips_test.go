package store_test

import (
	"errors"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/anttbot/anttbot/store"
)

func TestTipMessagesAndEscalations(t *testing.T) {
	forEachDriver(t, func(t *testing.T, s *store.Store) {
		ctx := ctxT(t)
		f := loadOrg(t, s)
		sub := newTip(f, "tips:1")
		_, err := s.CreateSubmission(ctx, sub, "")
		must(t, "create", err)
		officer := f.person(phonePoliceXa).ID

		m := store.TipMessage{SubmissionID: sub.ID, PersonID: officer, Level: store.LevelCommune,
			Channel: store.ChannelTelegram, ChatID: "100", MessageID: "7"}
		must(t, "record", s.RecordTipMessage(ctx, m))
		must(t, "record again", s.RecordTipMessage(ctx, m))
		ms, err := s.TipMessages(ctx, sub.ID)
		must(t, "messages", err)
		if len(ms) != 1 || ms[0].MessageID != "7" || ms[0].Level != store.LevelCommune {
			t.Fatalf("messages = %+v", ms)
		}
		if err := s.RecordTipMessage(ctx, store.TipMessage{SubmissionID: sub.ID}); !errors.Is(err, store.ErrInvalid) {
			t.Fatalf("incomplete message: err = %v", err)
		}

		// Two replicas escalating at once: exactly one records it.
		var wg sync.WaitGroup
		won := make(chan bool, 4)
		for range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ok, err := s.AddTipEscalation(ctx, store.TipEscalation{SubmissionID: sub.ID, Level: store.LevelDistrict,
					Reason: store.EscalationTimeout, Officers: 1})
				if err != nil {
					t.Errorf("escalate: %v", err)
				}
				won <- ok
			}()
		}
		wg.Wait()
		close(won)
		wins := 0
		for ok := range won {
			if ok {
				wins++
			}
		}
		if wins != 1 {
			t.Fatalf("%d escalations recorded, want 1", wins)
		}

		pending, err := s.PendingTips(ctx, []string{"tip"}, time.Now().Add(time.Hour), 0)
		must(t, "pending", err)
		if len(pending) != 1 || pending[0].ID != sub.ID {
			t.Fatalf("pending = %+v", pending)
		}
		pending, err = s.PendingTips(ctx, []string{"tip"}, sub.CreatedAt.Add(-time.Second), 0)
		must(t, "pending before", err)
		if len(pending) != 0 {
			t.Fatalf("tip created later is listed: %+v", pending)
		}
		ok, err := s.AddTipEscalation(ctx, store.TipEscalation{SubmissionID: sub.ID, Level: store.LevelProvince, Reason: store.EscalationNoOfficer})
		must(t, "escalate to province", err)
		if !ok {
			t.Fatal("province escalation not recorded")
		}
		pending, err = s.PendingTips(ctx, []string{"tip"}, time.Now().Add(time.Hour), 0)
		must(t, "pending after top", err)
		if len(pending) != 0 {
			t.Fatalf("tip escalated to the top is still listed: %+v", pending)
		}
		es, err := s.TipEscalations(ctx, sub.ID)
		must(t, "escalations", err)
		if len(es) != 2 {
			t.Fatalf("escalations = %+v", es)
		}
		if _, err := s.AddTipEscalation(ctx, store.TipEscalation{SubmissionID: sub.ID, Level: store.LevelCommune, Reason: store.EscalationTimeout}); !errors.Is(err, store.ErrInvalid) {
			t.Fatalf("escalation to a commune: err = %v", err)
		}
	})
}

func TestTipQuestions(t *testing.T) {
	forEachDriver(t, func(t *testing.T, s *store.Store) {
		ctx := ctxT(t)
		f := loadOrg(t, s)
		sub := newTip(f, "tips:q")
		_, err := s.CreateSubmission(ctx, sub, "")
		must(t, "create", err)
		reporter, officer := f.person(phoneMember1).ID, f.person(phonePoliceXa).ID
		asked := time.Date(2025, 3, 3, 8, 0, 0, 0, time.UTC)

		if _, err := s.OpenTipQuestion(ctx, reporter, asked.Add(-time.Hour)); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("no question yet: err = %v", err)
		}
		q := store.TipQuestion{SubmissionID: sub.ID, AskerID: officer, Question: "  Mấy giờ thì họ đến?  ", AskedAt: asked}
		must(t, "ask", s.AddTipQuestion(ctx, &q))
		if q.ID == 0 || q.Question != "Mấy giờ thì họ đến?" {
			t.Fatalf("question = %+v", q)
		}
		open, err := s.OpenTipQuestion(ctx, reporter, asked.Add(-time.Hour))
		must(t, "open", err)
		if open.ID != q.ID {
			t.Fatalf("open = %+v", open)
		}
		if _, err := s.OpenTipQuestion(ctx, reporter, asked.Add(time.Hour)); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("question older than since: err = %v", err)
		}
		if _, err := s.OpenTipQuestion(ctx, officer, asked.Add(-time.Hour)); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("somebody else's question: err = %v", err)
		}

		ok, err := s.AnswerTipQuestion(ctx, q.ID, "Khoảng 22 giờ", asked.Add(time.Minute))
		must(t, "answer", err)
		ok2, err := s.AnswerTipQuestion(ctx, q.ID, "Sửa lại", asked.Add(2*time.Minute))
		must(t, "answer again", err)
		if !ok || ok2 {
			t.Fatalf("answer ok=%v, second ok=%v", ok, ok2)
		}
		qs, err := s.TipQuestions(ctx, sub.ID)
		must(t, "questions", err)
		if len(qs) != 1 || qs[0].Answer != "Khoảng 22 giờ" || qs[0].AnsweredAt == nil {
			t.Fatalf("questions = %+v", qs)
		}
		if _, err := s.OpenTipQuestion(ctx, reporter, asked.Add(-time.Hour)); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("answered question still open: err = %v", err)
		}
		if _, err := s.AnswerTipQuestion(ctx, 999999, "x", asked); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("unknown question: err = %v", err)
		}
	})
}

func TestSetRejectReason(t *testing.T) {
	forEachDriver(t, func(t *testing.T, s *store.Store) {
		ctx := ctxT(t)
		f := loadOrg(t, s)
		sub := newTip(f, "tips:reject")
		_, err := s.CreateSubmission(ctx, sub, "")
		must(t, "create", err)
		officer, other := f.person(phonePoliceXa).ID, f.person(phonePoliceH).ID

		ok, err := s.SetRejectReason(ctx, sub.ID, officer, "không đúng")
		must(t, "reason while pending", err)
		if ok {
			t.Fatal("reason set on a pending tip")
		}
		_, err = s.SetSubmissionStatus(ctx, sub.ID, []string{store.StatusPending}, store.StatusRejected, officer, "")
		must(t, "reject", err)
		ok, err = s.SetRejectReason(ctx, sub.ID, other, "của người khác")
		must(t, "reason by another", err)
		if ok {
			t.Fatal("another officer set the reason")
		}
		ok, err = s.SetRejectReason(ctx, sub.ID, officer, "Đã kiểm tra, không có việc này")
		must(t, "reason", err)
		again, err := s.SetRejectReason(ctx, sub.ID, officer, "lần hai")
		must(t, "reason again", err)
		if !ok || again {
			t.Fatalf("ok=%v again=%v", ok, again)
		}
		got, err := s.SubmissionByID(ctx, sub.ID)
		must(t, "load", err)
		if got.RejectReason != "Đã kiểm tra, không có việc này" {
			t.Fatalf("reason = %q", got.RejectReason)
		}
		entries, err := s.AuditEntries(ctx, "submission", strconv.FormatInt(sub.ID, 10))
		must(t, "audit", err)
		if len(entries) != 2 || entries[1].Action != "submission.reject_reason" || entries[1].Detail != "" {
			t.Fatalf("audit = %+v", entries)
		}
	})
}
