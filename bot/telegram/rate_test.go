package telegram

import (
	"context"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/anttbot/anttbot/bot"
	"github.com/anttbot/anttbot/bot/telegram/telegramtest"
	"github.com/anttbot/anttbot/internal/testenv"
	"github.com/anttbot/anttbot/ratelimit"
)

// arrivalSlack absorbs the jitter between the moment the limiter grants a
// message and the moment the fake server stamps it (form encoding, HTTP, the
// race detector, 100 goroutines on 2 cores). It is about one global interval:
// a real breach, such as two replicas not sharing their budget, shows over
// longer runs of messages, where the shortfall grows far beyond it.
const arrivalSlack = 30 * time.Millisecond

// checkRule fails when the stamped arrivals are denser than rule allows:
// n messages need at least (n - Burst) intervals between the first and the last.
func checkRule(t *testing.T, what string, stamps []time.Time, rule ratelimit.Rule) {
	t.Helper()
	slices.SortFunc(stamps, time.Time.Compare)
	for i := range stamps {
		for j := i + rule.Burst; j < len(stamps); j++ {
			need := time.Duration(j-i+1-rule.Burst) * rule.Interval()
			if got := stamps[j].Sub(stamps[i]); got < need-arrivalSlack {
				t.Errorf("%s: messages %d..%d within %s, %s needs %s", what, i, j, got, rule, need)
				return
			}
		}
	}
}

// maxPerWindow is the largest number of stamps in any window of length w.
func maxPerWindow(stamps []time.Time, w time.Duration) int {
	slices.SortFunc(stamps, time.Time.Compare)
	best := 0
	for i := range stamps {
		j := i
		for j < len(stamps) && stamps[j].Sub(stamps[i]) < w {
			j++
		}
		best = max(best, j-i)
	}
	return best
}

func stampsByChat(calls []telegramtest.Call) (all []time.Time, byChat map[string][]time.Time) {
	byChat = make(map[string][]time.Time)
	for _, c := range calls {
		if c.OK() {
			all = append(all, c.At)
			byChat[c.ChatID()] = append(byChat[c.ChatID()], c.At)
		}
	}
	return all, byChat
}

// TestRateLimitsBroadcast sends one message to each of 100 chats and 10 to one
// chat at once, and checks Telegram's limits on the fake server's clock.
func TestRateLimitsBroadcast(t *testing.T) {
	srv := telegramtest.NewServer(t, "")
	a := newAdapter(t, srv, newRecorder(), nil)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	start := time.Now()
	var wg sync.WaitGroup
	// The one chat starts first: its ten messages need seven seconds whatever
	// happens, and the broadcast fits in that time.
	wg.Go(func() {
		for i := range 10 {
			if _, err := a.Send(ctx, bot.Message{ChatID: chatAn, Text: "Tin " + strconv.Itoa(i+1)}); err != nil {
				t.Errorf("send %d to one chat: %v", i+1, err)
			}
		}
	})
	for i := range 100 {
		wg.Go(func() {
			chat := strconv.Itoa(300000000 + i)
			if _, err := a.Send(ctx, bot.Message{ChatID: chat, Text: "Thông báo họp tổ lúc 19h30"}); err != nil {
				t.Errorf("send to %s: %v", chat, err)
			}
		})
	}
	wg.Wait()
	took := time.Since(start)

	all, byChat := stampsByChat(srv.Calls("sendMessage"))
	if len(all) != 110 {
		t.Fatalf("%d messages delivered, want 110", len(all))
	}
	checkRule(t, "all chats", all, a.global)
	checkRule(t, "one chat", byChat[chatAn], a.chat)
	// Plain reading of the rules: never more than 30 in a second (one more
	// only through arrival jitter), and never more than the burst of 3 in a
	// second to the one chat.
	if n := maxPerWindow(all, time.Second); n > 31 {
		t.Errorf("%d messages within one second, want at most 30", n)
	}
	if n := maxPerWindow(byChat[chatAn], time.Second-arrivalSlack); n > 3 {
		t.Errorf("%d messages to one chat within one second, want at most 3", n)
	}
	t.Logf("110 messages in %s", took)
}

// TestRate429RecoveredInOrder: a 429 with retry_after=1 in the middle of a
// conversation is waited out and retried; nothing is lost or reordered.
func TestRate429RecoveredInOrder(t *testing.T) {
	srv := telegramtest.NewServer(t, "")
	srv.FailWhen(func(c telegramtest.Call) bool {
		return c.Method == "sendMessage" && c.Fields["text"] == "Tin 3"
	}, 1, telegramtest.TooManyRequests(1))
	a := newAdapter(t, srv, newRecorder(), nil)
	ctx := context.Background()
	for i := range 5 {
		if _, err := a.Send(ctx, bot.Message{ChatID: chatAn, Text: "Tin " + strconv.Itoa(i+1)}); err != nil {
			t.Fatalf("send %d: %v", i+1, err)
		}
	}
	calls := srv.Calls("sendMessage")
	var delivered []string
	var refusedAt, retriedAt time.Time
	for _, c := range calls {
		switch {
		case c.Status == 429:
			refusedAt = c.At
		case c.OK():
			delivered = append(delivered, c.Fields["text"])
			if c.Fields["text"] == "Tin 3" {
				retriedAt = c.At
			}
		}
	}
	if want := []string{"Tin 1", "Tin 2", "Tin 3", "Tin 4", "Tin 5"}; !slices.Equal(delivered, want) {
		t.Errorf("delivered %v, want %v", delivered, want)
	}
	if refusedAt.IsZero() || retriedAt.Sub(refusedAt) < time.Second-arrivalSlack {
		t.Errorf("retried %s after the 429, want at least retry_after=1s", retriedAt.Sub(refusedAt))
	}
}

// TestRate429OnIdleChatHoldsEveryChat: a 429 for a chat the bot had not
// written to recently must be the global limit, so other chats wait too.
func TestRate429OnIdleChatHoldsEveryChat(t *testing.T) {
	srv := telegramtest.NewServer(t, "")
	srv.FailWhen(func(c telegramtest.Call) bool { return c.ChatID() == chatAn }, 1, telegramtest.TooManyRequests(1))
	a := newAdapter(t, srv, newRecorder(), nil)
	ctx := context.Background()
	if _, err := a.Send(ctx, bot.Message{ChatID: chatAn, Text: "Tin 1"}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Send(ctx, bot.Message{ChatID: "222222222", Text: "Tin khác"}); err != nil {
		t.Fatal(err)
	}
	calls := srv.Calls("sendMessage")
	if len(calls) != 3 || calls[0].Status != 429 {
		t.Fatalf("calls %+v, want a 429, its retry, then the other chat", calls)
	}
	if gap := calls[2].At.Sub(calls[0].At); gap < time.Second-arrivalSlack {
		t.Errorf("another chat was sent to %s after a global 429, want at least 1s", gap)
	}
}

// TestRedisLimiterSharedByTwoAdapters: two replicas on one Redis keep the
// global rate together.
func TestRedisLimiterSharedByTwoAdapters(t *testing.T) {
	rdb, prefix := testenv.Redis(t)
	srv := telegramtest.NewServer(t, "")
	var replicas []*Adapter
	for range 2 {
		lim := ratelimit.NewFallback(ratelimit.NewRedis(rdb, prefix), ratelimit.NewMemory(), testLogger())
		replicas = append(replicas, newAdapter(t, srv, newRecorder(), nil, WithLimiter(lim)))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	for r, a := range replicas {
		for i := range 30 {
			wg.Go(func() {
				chat := strconv.Itoa(400000000 + r*1000 + i)
				if _, err := a.Send(ctx, bot.Message{ChatID: chat, Text: "Nhắc nhở báo cáo tuần"}); err != nil {
					t.Errorf("replica %d send to %s: %v", r, chat, err)
				}
			})
		}
	}
	wg.Wait()
	all, _ := stampsByChat(srv.Calls("sendMessage"))
	if len(all) != 60 {
		t.Fatalf("%d messages delivered, want 60", len(all))
	}
	checkRule(t, "two replicas", all, replicas[0].global)
	if n := maxPerWindow(all, time.Second); n > 31 {
		t.Errorf("%d messages within one second from two replicas, want at most 30", n)
	}
}

// TestGlobal429StopsSlotsReservedBefore: senders that had already reserved
// their slots when a global 429 came must not send during its hold: each
// would draw another 429 (and Telegram lengthens the wait of a bot that
// insists).
func TestGlobal429StopsSlotsReservedBefore(t *testing.T) {
	srv := telegramtest.NewServer(t, "")
	srv.FailWhen(func(telegramtest.Call) bool { return true }, 1, telegramtest.TooManyRequests(1))
	a := newAdapter(t, srv, newRecorder(), nil)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	for i := range 6 {
		wg.Go(func() {
			if _, err := a.Send(ctx, bot.Message{ChatID: strconv.Itoa(500000000 + i), Text: "Nhắc nhở"}); err != nil {
				t.Errorf("send %d: %v", i, err)
			}
		})
	}
	wg.Wait()
	calls := srv.Calls("sendMessage")
	if len(calls) != 7 || calls[0].Status != 429 {
		t.Fatalf("%d calls, first %d; want one 429 then 6 messages", len(calls), calls[0].Status)
	}
	for _, c := range calls[1:] {
		if c.Status == 429 {
			t.Errorf("a second 429: a reserved slot was spent during the hold")
		}
		if gap := c.At.Sub(calls[0].At); gap < time.Second-arrivalSlack {
			t.Errorf("message to %s sent %s after the global 429, want at least 1s", c.ChatID(), gap)
		}
	}
}
