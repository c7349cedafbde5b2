package app

import (
	"context"
	"errors"
	"time"

	"github.com/anttbot/anttbot/bot"
	"github.com/anttbot/anttbot/delivery"
	"github.com/anttbot/anttbot/metrics"
	"github.com/anttbot/anttbot/ratelimit"
)

// WithInboundRule replaces the per-user inbound rate (tests flood with a small one).
func WithInboundRule(r ratelimit.Rule) Option { return func(a *App) { a.inboundRule = &r } }

// newMetrics creates the registry; metrics are always counted and served
// only when [metrics] enabled.
func (a *App) newMetrics() *metrics.Metrics {
	m := metrics.New(a.Log)
	if a.Config.Metrics.Enabled {
		a.mux.Handle("GET "+a.Config.Metrics.Path, m.Handler())
	}
	return m
}

// throttled is what the adapters submit updates to: the dispatcher behind
// the per-user inbound rate limit ([throttle]: by default 20 updates per 10 s,
// 20 of them back to back — a fast typist, a report walked through quickly, a
// double tap), shared by every replica through Redis when configured.
func (a *App) throttled() bot.Submitter {
	t := a.Config.Throttle
	rule := ratelimit.Rule{Rate: t.Updates, Per: t.Per, Burst: t.Updates}
	if a.inboundRule != nil {
		rule = *a.inboundRule
	}
	return bot.Throttle(a.Dispatcher, a.limiter(), rule, a.tellRateLimited, a.Log)
}

// tellRateLimited tells a flooding user, once per burst, to slow down. It
// runs on the adapter's receiving path (a webhook request with Zalo's 2 s
// budget), so the notice is sent in the background, on its own deadline.
func (a *App) tellRateLimited(ctx context.Context, u bot.Update) {
	if a.Metrics != nil {
		a.Metrics.ObserveThrottled(u.Channel)
	}
	lang := u.Locale
	if lang == "" {
		lang = a.Config.App.DefaultLocale
	}
	m := bot.Message{ChatID: u.ChatID, Text: a.Catalog.T(lang, "common.error.rate_limited")}
	if u.Callback != nil {
		m.AnswerCallbackID = u.Callback.ID // stops the tapped button spinning
	}
	go func() {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		if _, err := a.Channels.Send(ctx, u.Channel, m); err != nil {
			a.Log.Warn("tell user to slow down", "channel", u.Channel, "err", err)
		}
	}()
}

// observeUpdate feeds the dispatcher's outcomes to the metrics.
func (a *App) observeUpdate(u bot.Update, outcome string, d time.Duration) {
	if a.Metrics != nil {
		a.Metrics.ObserveUpdate(u, outcome, d)
	}
}

// instrument wraps every channel in a send counter and a short retry of
// temporary failures, and registers the
// dispatcher gauge; call it once the channels are built and before anything
// copies the channel map.
func (a *App) instrument() {
	if a.Metrics == nil {
		return
	}
	for name, ch := range a.Channels {
		a.Channels[name] = retryingChannel{Channel: countingChannel{Channel: ch, m: a.Metrics}, attempts: 4, first: 500 * time.Millisecond}
	}
	a.Metrics.GaugeFunc("dispatcher_pending", "Updates waiting for or in handling.", func() float64 {
		return float64(a.Dispatcher.Pending())
	})
}

// watchDelivery exports the delivery queue's depth and oldest age at scrape time.
func (a *App) watchDelivery(q *delivery.Queue) {
	if a.Metrics == nil || q == nil {
		return
	}
	a.Metrics.WatchQueue(func(ctx context.Context) (metrics.QueueStats, error) {
		s, err := q.Stats(ctx)
		if err != nil {
			return metrics.QueueStats{}, err
		}
		return metrics.QueueStats{Depth: s.Depth, Due: s.Due, OldestDue: s.OldestDue}, nil
	})
}

// countingChannel counts every send by outcome.
type countingChannel struct {
	bot.Channel
	m *metrics.Metrics
}

func (c countingChannel) Send(ctx context.Context, msg bot.Message) (bot.Sent, error) {
	s, err := c.Channel.Send(ctx, msg)
	c.m.ObserveSend(c.Channel.Name(), err)
	return s, err
}

// retryingChannel retries a send that failed with bot.ErrTemporary (the
// platform answered 5xx, or the network failed) a few times with a doubling
// pause, within the caller's deadline. A direct reply has no durable queue
// behind it: without this, a question the flow asked would simply never
// arrive. A retry after a timeout may repeat a message the platform did take;
// a question asked twice is better than one never asked. Rate limits are not
// retried here: the adapters already wait those out.
type retryingChannel struct {
	bot.Channel
	attempts int
	first    time.Duration
}

func (c retryingChannel) Send(ctx context.Context, m bot.Message) (bot.Sent, error) {
	pause := c.first
	for attempt := 1; ; attempt++ {
		s, err := c.Channel.Send(ctx, m)
		// Flood control (429) is retried too, after the time the platform asked
		// for: a direct reply has no queue behind it, so giving up would lose it.
		var rl *bot.RateLimitedError
		limited := errors.As(err, &rl)
		if err == nil || !(errors.Is(err, bot.ErrTemporary) || limited) || attempt >= c.attempts || ctx.Err() != nil {
			return s, err
		}
		// The tap was acknowledged by the first attempt; a second answer would fail.
		m.AnswerCallbackID, m.CallbackText = "", ""
		wait := pause
		if limited && rl.RetryAfter > wait {
			wait = rl.RetryAfter
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return s, err
		case <-t.C:
		}
		pause *= 2
	}
}
