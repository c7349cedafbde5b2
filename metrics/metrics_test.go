package metrics

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/anttbot/anttbot/bot"
)

func scrape(t *testing.T, m *Metrics) string {
	t.Helper()
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	if rec.Code != 200 {
		t.Fatalf("metrics answered %d", rec.Code)
	}
	b, _ := io.ReadAll(rec.Body)
	return string(b)
}

func TestSendOutcome(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want string
	}{
		{name: "ok", err: nil, want: "ok"},
		{name: "429", err: fmt.Errorf("telegram: send: %w", &bot.RateLimitedError{RetryAfter: time.Second}), want: "rate_limited"},
		{name: "403", err: fmt.Errorf("telegram: send: %w", bot.ErrUnreachable), want: "unreachable"},
		{name: "5xx", err: fmt.Errorf("zalo: %w", bot.ErrTemporary), want: "temporary"},
		{name: "timeout", err: context.DeadlineExceeded, want: "temporary"},
		{name: "other", err: errors.New("bad request"), want: "error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := SendOutcome(tt.err); got != tt.want {
				t.Fatalf("SendOutcome(%v) = %q, want %q", tt.err, got, tt.want)
			}
		})
	}
}

func TestExposition(t *testing.T) {
	m := New(nil)
	m.ObserveUpdate(bot.Update{Channel: bot.ChannelTelegram, Kind: bot.KindText}, "ok", 30*time.Millisecond)
	m.ObserveUpdate(bot.Update{Channel: bot.ChannelZalo}, "panic", time.Second)
	m.ObserveSend(bot.ChannelTelegram, &bot.RateLimitedError{RetryAfter: time.Second})
	m.ObserveSend(bot.ChannelTelegram, nil)
	m.ObserveThrottled(bot.ChannelZalo)
	m.ObserveJobRun("police_digest", errors.New("db down"), time.Second)
	m.GaugeFunc("dispatcher_pending", "Updates waiting.", func() float64 { return 7 })
	m.WatchQueue(func(context.Context) (QueueStats, error) {
		return QueueStats{Depth: 3, Due: 2, OldestDue: 90 * time.Second}, nil
	})
	out := scrape(t, m)
	for _, want := range []string{
		`anttbot_updates_total{channel="telegram",kind="text",outcome="ok"} 1`,
		`anttbot_updates_total{channel="zalo",kind="other",outcome="panic"} 1`,
		`anttbot_update_handle_seconds_bucket{channel="telegram",kind="text",le="0.05"} 1`,
		`anttbot_sends_total{channel="telegram",outcome="rate_limited"} 1`,
		`anttbot_sends_total{channel="telegram",outcome="ok"} 1`,
		`anttbot_updates_throttled_total{channel="zalo"} 1`,
		`anttbot_scheduler_runs_total{job="police_digest",outcome="error"} 1`,
		`anttbot_dispatcher_pending 7`,
		`anttbot_delivery_queue_depth 3`,
		`anttbot_delivery_oldest_due_seconds 90`,
		`go_goroutines`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
}

func TestQueueStatsFailureKeepsOtherMetrics(t *testing.T) {
	m := New(nil)
	m.WatchQueue(func(context.Context) (QueueStats, error) { return QueueStats{}, errors.New("database down") })
	m.ObserveSend(bot.ChannelZalo, nil)
	out := scrape(t, m)
	if strings.Contains(out, "anttbot_delivery_queue_depth ") {
		t.Error("a failed queue read still exported a depth")
	}
	if !strings.Contains(out, `anttbot_sends_total{channel="zalo",outcome="ok"} 1`) {
		t.Error("a failed queue read hid the other metrics")
	}
}

// Two registries side by side: no global state, so tests can start several services.
func TestIndependentRegistries(t *testing.T) {
	a, b := New(nil), New(nil)
	a.ObserveThrottled("telegram")
	if strings.Contains(scrape(t, b), "anttbot_updates_throttled_total{") {
		t.Fatal("metrics leak between registries")
	}
}
