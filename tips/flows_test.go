package tips_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/anttbot/anttbot/bot"
	"github.com/anttbot/anttbot/flows"
	"github.com/anttbot/anttbot/session"
	"github.com/anttbot/anttbot/store"
)

// sender hands the service's direct replies to the same recording channel
// the queue sends through, so a chat reads as the person sees it.
type sender struct{ ch *channel }

func (s sender) Send(ctx context.Context, _ string, m bot.Message) (bot.Sent, error) {
	if m.Text == "" && m.Photo == nil {
		return bot.Sent{}, nil // a bare callback acknowledgement
	}
	return s.ch.Send(ctx, m)
}

// chat is one person's Telegram chat with the conversation service.
type chat struct {
	e   *env
	svc *flows.Service
	p   store.Person
}

var updateSeq struct {
	sync.Mutex
	n int
}

func (c *chat) send(u bot.Update) []sentMsg {
	c.e.t.Helper()
	updateSeq.Lock()
	updateSeq.n++
	u.ID = fmt.Sprint(updateSeq.n)
	updateSeq.Unlock()
	u.Channel, u.ChatID, u.UserID, u.Private = bot.ChannelTelegram, chatOf(c.p), chatOf(c.p), true
	before := len(c.e.ch.to(chatOf(c.p)))
	if err := c.svc.HandleUpdate(c.e.ctx, u); err != nil {
		c.e.t.Fatalf("%s: handle %s %q: %v", c.p.Name, u.Kind, u.Text, err)
	}
	return c.e.ch.to(chatOf(c.p))[before:]
}

func (c *chat) text(s string) []sentMsg { return c.send(bot.Update{Kind: bot.KindText, Text: s}) }

func (c *chat) data(d string) []sentMsg {
	return c.send(bot.Update{Kind: bot.KindCallback, Text: d, Callback: &bot.Callback{ID: "cb", Data: d}})
}

// tap taps the newest button with that label in the chat.
func (c *chat) tap(label string) []sentMsg {
	c.e.t.Helper()
	msgs := c.e.ch.to(chatOf(c.p))
	for i := len(msgs) - 1; i >= 0; i-- {
		for _, row := range msgs[i].Buttons {
			for _, b := range row {
				if b.Label == label {
					return c.data(b.Data)
				}
			}
		}
	}
	c.e.t.Fatalf("%s has no button %q", c.p.Name, label)
	return nil
}

func texts(msgs []sentMsg) string {
	var s []string
	for _, m := range msgs {
		s = append(s, m.Text)
	}
	return strings.Join(s, "\n---\n")
}

// TestThroughFlows: a member reports a tip with /baocao; the officers get
// it; one asks for more in the chat, the member answers with the button,
// then the member answers a second question by just typing; the officer
// gets both answers.
func TestThroughFlows(t *testing.T) {
	t.Parallel()
	forEachDriver(t, func(t *testing.T, driver string) {
		e := newEnv(t, driver)
		svc := flows.NewService(flows.Deps{
			Store: e.st, Sessions: session.NewMemory(session.WithClock(e.clock.Now)), Sender: sender{e.ch},
			Text: e.cat, Log: testLog(), Now: e.clock.Now,
		}, flows.Options{})
		e.tips.Register(svc)
		e.startQueue()
		member := &chat{e: e, svc: svc, p: e.reporter}
		officer := &chat{e: e, svc: svc, p: e.officerA}

		member.text("/baocao")
		member.tap("📢 Nguồn tin")
		member.tap("Ma túy")
		member.text("Có người lạ bán hàng cấm ở bãi sông")
		member.text("Bãi sông thôn 1")
		member.tap("Hôm nay")
		member.tap("Có")
		member.tap("⏭ Bỏ qua")
		member.tap("⏭ Bỏ qua")
		member.text("Bác Sáu bán nước")
		msgs := member.tap("✅ Xác nhận gửi")
		subs, err := e.st.SubmissionsByReporter(e.ctx, e.reporter.ID, 0)
		if err != nil || len(subs) != 1 {
			t.Fatalf("stored %d reports (err %v); replies:\n%s", len(subs), err, texts(msgs))
		}
		sub := subs[0]
		if !sub.Urgent || !strings.Contains(texts(msgs), fmt.Sprintf("#%d", sub.ID)) {
			t.Fatalf("urgent=%v, confirmation:\n%s", sub.Urgent, texts(msgs))
		}

		e.waitFor("the push to both officers", func() bool {
			return len(e.pushes(e.officerA, sub.ID)) == 1 && len(e.pushes(e.officerB, sub.ID)) == 1
		})
		push := e.pushes(e.officerA, sub.ID)[0]
		for _, want := range []string{"🔴 KHẨN", "Có người lạ bán hàng cấm ở bãi sông", "Bãi sông thôn 1", "Bác Sáu bán nước"} {
			if !strings.Contains(push.Text, want) {
				t.Errorf("push lacks %q:\n%s", want, push.Text)
			}
		}

		msgs = officer.tap("❓ Hỏi thêm")
		if !strings.Contains(texts(msgs), e.T("tips.ask.prompt", "Ref", sub.ID)) {
			t.Fatalf("ask for more answered:\n%s", texts(msgs))
		}
		msgs = officer.text("Họ thường đến lúc mấy giờ?")
		if !strings.Contains(texts(msgs), e.T("tips.ask.sent", "Ref", sub.ID)) {
			t.Fatalf("question answered:\n%s", texts(msgs))
		}
		e.waitFor("the question to the member", func() bool {
			return strings.Contains(texts(e.ch.to(chatOf(e.reporter))), "Họ thường đến lúc mấy giờ?")
		})
		msgs = member.tap("✍️ Trả lời")
		if !strings.Contains(texts(msgs), e.T("tips.answer.prompt", "Ref", sub.ID, "Question", "Họ thường đến lúc mấy giờ?")) {
			t.Fatalf("answer button answered:\n%s", texts(msgs))
		}
		msgs = member.text("Khoảng 22 giờ")
		if !strings.Contains(texts(msgs), e.T("tips.answer.sent", "Ref", sub.ID)) {
			t.Fatalf("answer answered:\n%s", texts(msgs))
		}
		want := e.T("tips.answer.to_officer", "Ref", sub.ID, "Name", e.reporter.Name, "Question", "Họ thường đến lúc mấy giờ?", "Answer", "Khoảng 22 giờ")
		e.waitFor("the answer to the officer", func() bool { return strings.Contains(texts(e.ch.to(chatOf(e.officerA))), want) })

		// A second question, answered by just typing.
		officer.tap("❓ Hỏi thêm")
		officer.text("Có bao nhiêu người?")
		e.waitFor("the second question", func() bool {
			return strings.Contains(texts(e.ch.to(chatOf(e.reporter))), "Có bao nhiêu người?")
		})
		msgs = member.text("Ba người")
		if !strings.Contains(texts(msgs), e.T("tips.answer.sent", "Ref", sub.ID)) {
			t.Fatalf("typed answer answered:\n%s", texts(msgs))
		}
		e.waitFor("the second answer to the officer", func() bool {
			return strings.Contains(texts(e.ch.to(chatOf(e.officerA))), "Đáp: Ba người")
		})
		qs, err := e.st.TipQuestions(e.ctx, sub.ID)
		if err != nil || len(qs) != 2 || qs[0].Answer != "Khoảng 22 giờ" || qs[1].Answer != "Ba người" {
			t.Fatalf("stored questions %+v err %v", qs, err)
		}
		// With no question open, free text gets the usual answer.
		if msgs := member.text("Cảm ơn"); !strings.Contains(texts(msgs), e.T("flows.idle.unknown")) {
			t.Errorf("free text without a question:\n%s", texts(msgs))
		}
		// The officer verifies from the chat; the member hears of it.
		officer.tap("✅ Đã xác minh")
		e.waitFor("the member told", func() bool {
			return strings.Contains(texts(e.ch.to(chatOf(e.reporter))), e.T("tips.reporter.verified", "Ref", sub.ID))
		})
		for _, m := range e.ch.to(chatOf(e.reporter)) {
			if strings.Contains(m.Text, "Bác Sáu bán nước") && !strings.Contains(m.Text, e.T("flows.report.police_only_mark")) {
				t.Errorf("the member was shown the source outside their own summary: %q", m.Text)
			}
		}
	})
}
