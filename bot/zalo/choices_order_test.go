package zalo

import (
	"context"
	"testing"
	"time"

	"github.com/anttbot/anttbot/bot"
)

// spyOptions records how many messages the fake had received when choices were remembered.
type spyOptions struct {
	OptionMemory
	sentAt func() int
	seen   []int
}

func (s *spyOptions) Remember(ctx context.Context, userID string, c Choices) error {
	s.seen = append(s.seen, s.sentAt())
	return s.OptionMemory.Remember(ctx, userID, c)
}

func sixChoices(prefix string) [][]bot.Button {
	var rows [][]bot.Button
	for i := 1; i <= 6; i++ {
		rows = append(rows, []bot.Button{{Label: prefix + string(rune('A'+i)), Data: prefix + string(rune('a'+i))}})
	}
	return rows
}

func TestChoicesRememberedBeforeTheMessageLeaves(t *testing.T) {
	h := newHarness(t)
	spy := &spyOptions{OptionMemory: NewMemoryOptions(time.Hour, func() time.Time { return testNow }),
		sentAt: func() int { return len(h.srv.Requests("/v3.0/oa/message/cs")) }}
	h.a.choices = spy
	ctx := context.Background()

	if _, err := h.a.Send(ctx, bot.Message{ChatID: "42", Text: "Chọn một", Buttons: sixChoices("x")}); err != nil {
		t.Fatal(err)
	}
	if len(spy.seen) != 1 || spy.seen[0] != 0 {
		t.Fatalf("choices were remembered after %v messages had left; a user answering at once would find none", spy.seen)
	}

	// A send that fails leaves the choices the user actually saw.
	h.srv.FailNext("/v3.0/oa/message/cs", -201, "message is invalid")
	if _, err := h.a.Send(ctx, bot.Message{ChatID: "42", Text: "Chọn khác", Buttons: sixChoices("y")}); err == nil {
		t.Fatal("expected the failed send to return an error")
	}
	c, ok, err := spy.Recall(ctx, "42")
	if err != nil || !ok || len(c.Options) == 0 || c.Options[0].Data != "xb" {
		t.Fatalf("after a failed send the earlier choices should stand, got %+v ok=%v err=%v", c, ok, err)
	}
}
