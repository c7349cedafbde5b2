package flows

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/anttbot/anttbot/bot"
	"github.com/anttbot/anttbot/store"
)

// countingSubmitter writes through the store and counts the writes.
type countingSubmitter struct {
	st *store.Store
	mu sync.Mutex
	n  int
}

func (c *countingSubmitter) CreateSubmission(ctx context.Context, sub *store.Submission, source string) (bool, error) {
	c.mu.Lock()
	c.n++
	c.mu.Unlock()
	return c.st.CreateSubmission(ctx, sub, source)
}

// TestExtensions drives the extension points the way the tips package uses
// them: a button on a pushed message, a prompt for typed text, free text.
func TestExtensions(t *testing.T) {
	h := newHarness(t, store.DriverSQLite)
	var calls []string
	h.svc.RegisterCallback("ext:", func(_ context.Context, c Call, data string) (Reply, error) {
		calls = append(calls, "tap "+c.Person.Name+" "+data)
		switch data {
		case "ext:ask":
			return Reply{Replies: []bot.Message{{Text: "Nhập câu hỏi"}}, Toast: "ok",
				Prompt: &Prompt{Data: "ext:q:1", Expires: h.clock.Now().Add(time.Hour)}}, nil
		case "ext:fail":
			return Reply{}, errors.New("boom")
		}
		return Reply{Replies: []bot.Message{{Text: "Đã nhận " + data}}}, nil
	})
	h.svc.RegisterPrompt("ext:q:", func(_ context.Context, c Call, data, text string) (Reply, error) {
		calls = append(calls, "prompt "+data+" "+text)
		if text == "lại" {
			return Reply{Replies: []bot.Message{{Text: "Nhập lại"}}, Prompt: &Prompt{Data: data}}, nil
		}
		return Reply{Replies: []bot.Message{{Text: "Đã gửi: " + text}}}, nil
	})
	h.svc.RegisterText(func(_ context.Context, c Call, text string) (Reply, bool, error) {
		if !strings.HasPrefix(text, "trả lời") {
			return Reply{}, false, nil
		}
		calls = append(calls, "text "+text)
		return Reply{Replies: []bot.Message{{Text: "Đã nhận câu trả lời"}}}, true, nil
	})
	officer := h.linked(police)
	m := h.linked(member)

	tests := []struct {
		name string
		do   func() []bot.Message
		want string // in the replies
		call string // the handler call it made, "" for none
	}{
		{"tap goes to the callback", func() []bot.Message { return officer.data("ext:rcv:7") }, "Đã nhận ext:rcv:7", "tap " + police + " ext:rcv:7"},
		{"handler error is told and returned for the log", func() []bot.Message {
			msgs, err := officer.sendErr(bot.Update{Kind: bot.KindCallback, Text: "ext:fail", Callback: &bot.Callback{ID: "f", Data: "ext:fail"}})
			if err == nil || !strings.Contains(err.Error(), "boom") {
				t.Errorf("HandleUpdate error = %v, want the handler's", err)
			}
			return msgs
		}, h.T("flows.error.try_again"), "tap " + police + " ext:fail"},
		{"tap arms a prompt", func() []bot.Message { return officer.data("ext:ask") }, "Nhập câu hỏi", "tap " + police + " ext:ask"},
		{"typed text answers it", func() []bot.Message { return officer.text("Mấy giờ?") }, "Đã gửi: Mấy giờ?", "prompt ext:q:1 Mấy giờ?"},
		{"the prompt is over", func() []bot.Message { return officer.text("Mấy giờ?") }, h.T("flows.idle.unknown"), ""},
		{"arm again", func() []bot.Message { return officer.data("ext:ask") }, "Nhập câu hỏi", "tap " + police + " ext:ask"},
		{"a prompt may ask again", func() []bot.Message { return officer.text("lại") }, "Nhập lại", "prompt ext:q:1 lại"},
		{"/huy ends the prompt", func() []bot.Message { return officer.text("/huy") }, h.T("flows.cancel.done"), ""},
		{"text after /huy", func() []bot.Message { return officer.text("Mấy giờ?") }, h.T("flows.idle.unknown"), ""},
		{"free text offered to text handlers", func() []bot.Message { return m.text("trả lời: 22 giờ") }, "Đã nhận câu trả lời", "text trả lời: 22 giờ"},
		{"other free text passes", func() []bot.Message { return m.text("xin chào") }, h.T("flows.idle.unknown"), ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h.t = t
			before := len(calls)
			mustContain(t, tc.do(), tc.want)
			got := strings.Join(calls[before:], "|")
			if got != tc.call {
				t.Fatalf("handler calls %q, want %q", got, tc.call)
			}
		})
	}

	t.Run("prompt comes before a report in progress, which resumes", func(t *testing.T) {
		h.t = t
		lead := h.linked(leader)
		lead.text("/baocao")
		lead.tap(kindLabel(h.camp.Kinds[1], "vi"))
		if lead.draft() == nil {
			t.Fatal("no draft")
		}
		lead.data("ext:ask")
		msgs := lead.text("Có ai ở đó?")
		mustContain(t, msgs, "Đã gửi: Có ai ở đó?")
		if !hasLabel(msgs, h.T("flows.idle.resume")) {
			t.Fatalf("no resume button; buttons %q", labels(msgs))
		}
		if lead.draft() == nil || lead.session().Prompt != nil {
			t.Fatalf("draft %+v prompt %+v", lead.draft(), lead.session().Prompt)
		}
	})

	t.Run("an expired prompt is dropped", func(t *testing.T) {
		h.t = t
		officer.data("ext:ask")
		h.clock.Add(2 * time.Hour)
		before := len(calls)
		mustContain(t, officer.text("muộn"), h.T("flows.idle.unknown"))
		if len(calls) != before {
			t.Fatalf("expired prompt still called: %q", calls[before:])
		}
	})

	t.Run("unlinked chats do not reach callbacks", func(t *testing.T) {
		h.t = t
		before := len(calls)
		h.stranger("999").data("ext:rcv:7")
		if len(calls) != before {
			t.Fatalf("stranger reached the handler: %q", calls[before:])
		}
	})
}

func TestSubmitter(t *testing.T) {
	h := newHarness(t, store.DriverSQLite)
	sub := &countingSubmitter{st: h.st}
	h.svc.SetSubmitter(sub)
	u := h.linked(member)
	k := h.camp.Kinds[1] // good deed
	msgs := u.text("/baocao")
	msgs = u.tap(kindLabel(k, "vi"))
	for _, q := range k.Questions {
		msgs = answer(u, q)
	}
	_ = msgs
	u.tap("✅ Xác nhận gửi")
	if sub.n != 1 || len(h.submissions(h.person(member))) != 1 {
		t.Fatalf("submitter called %d times, %d reports stored", sub.n, len(h.submissions(h.person(member))))
	}
}
