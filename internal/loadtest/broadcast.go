package loadtest

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/anttbot/anttbot/bot"
	"github.com/anttbot/anttbot/config"
	"github.com/anttbot/anttbot/delivery"
	"github.com/anttbot/anttbot/internal/app"
)

// BroadcastResult is what a broadcast run measured.
type BroadcastResult struct {
	Jobs    int
	Limit   int           // the configured platform limit, messages per second
	Enqueue time.Duration // queuing every job (committed)
	Total   time.Duration // from the first enqueue to the last message at the fake API
	Window  time.Duration // from the first to the last message at the fake API
	Rate    float64       // messages per second over Window
	// Efficiency is Rate against Limit: the ideal spacing (n-1)/limit over Window.
	Efficiency float64
	Delivered  int   // distinct recipients that got their message
	Duplicates int   // messages beyond one per recipient
	Limited    int64 // 429 answers the fake platform gave
	Outcomes   map[delivery.Outcome]int64
}

// Lost is how many recipients got nothing.
func (b BroadcastResult) Lost() int { return b.Jobs - b.Delivered }

// broadcast queues cfg.Broadcast reminders to distinct chats through the
// delivery queue and measures how close their sending comes to the limit.
func (r *run) broadcast(ctx context.Context, a *app.App, svc config.Config) (*BroadcastResult, error) {
	n := r.cfg.Broadcast
	res := &BroadcastResult{Jobs: n, Limit: r.cfg.Rate}
	// The service's own queue when it has one (it is started with the
	// service); otherwise one built here on the same store and channel.
	q := a.Queue
	if q == nil {
		if err := delivery.Migrate(ctx, a.Store); err != nil {
			return res, fmt.Errorf("loadtest: %w", err)
		}
		var ch bot.Channel
		switch r.cfg.Channel {
		case bot.ChannelTelegram:
			ch = a.Telegram
		case bot.ChannelZalo:
			ch = a.Zalo
		}
		quiet := slog.New(countingHandler{slog.NewTextHandler(io.Discard, nil), &r.svcErrors})
		var err error
		q, err = delivery.NewQueue(a.Store, map[string]bot.Channel{r.cfg.Channel: ch}, delivery.Options{
			Workers: svc.Delivery.Workers, MaxAttempts: svc.Delivery.MaxAttempts, Logger: quiet,
		})
		if err != nil {
			return res, fmt.Errorf("loadtest: %w", err)
		}
		if err := q.Start(ctx); err != nil {
			return res, fmt.Errorf("loadtest: %w", err)
		}
		defer func() {
			sctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			_ = q.Stop(sctx)
		}()
	}

	run := randomName("b")
	chat := func(i int) string {
		if r.cfg.Channel == bot.ChannelZalo {
			return fmt.Sprintf("8%011d", i+1)
		}
		return fmt.Sprint(8_000_000_000 + int64(i))
	}
	text := a.Catalog.T("vi", "scheduler.reminder.title", "Month", int(time.Now().Month()), "Team", "Tổ ANTT")
	start := time.Now()
	const batch = 500
	for from := 0; from < n; from += batch {
		jobs := make([]delivery.Job, 0, batch)
		for i := from; i < min(from+batch, n); i++ {
			jobs = append(jobs, delivery.Job{
				To: delivery.ToChat(r.cfg.Channel, chat(i)), Kind: delivery.KindReminder,
				Message:   bot.Message{Text: text},
				DedupeKey: fmt.Sprintf("load:%s:%d", run, i),
			})
		}
		if err := delivery.EnqueueNow(ctx, a.Store, jobs...); err != nil {
			return res, fmt.Errorf("loadtest: enqueue reminders: %w", err)
		}
	}
	res.Enqueue = time.Since(start)

	// Ideal time plus generous slack; a stall shows up as lost messages.
	limit := time.Duration(float64(n)/float64(r.cfg.Rate)*float64(time.Second))*2 + 30*time.Second
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		got, _, _ := r.rt.unowned()
		if len(got) >= n {
			break
		}
		select {
		case <-ctx.Done():
			return res, ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
	time.Sleep(time.Second) // a duplicate would arrive now
	got, first, last := r.rt.unowned()
	total := 0
	for _, c := range got {
		total += c
	}
	res.Delivered, res.Duplicates = len(got), total-len(got)
	res.Limited = r.rt.limited.Load()
	res.Total, res.Window = last.Sub(start), last.Sub(first)
	if res.Window > 0 && n > 1 {
		res.Rate = float64(total-1) / res.Window.Seconds()
		res.Efficiency = res.Rate / float64(r.cfg.Rate)
	}
	res.Outcomes = q.Outcomes()
	return res, nil
}
