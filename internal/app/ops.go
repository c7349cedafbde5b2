package app

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/anttbot/anttbot/access"
	"github.com/anttbot/anttbot/bot"
	"github.com/anttbot/anttbot/delivery"
	"github.com/anttbot/anttbot/police"
	"github.com/anttbot/anttbot/report"
	"github.com/anttbot/anttbot/scheduler"
	"github.com/anttbot/anttbot/summary"
	"github.com/anttbot/anttbot/tips"
	"github.com/anttbot/anttbot/web"
)

// opsComponents are the parts that act on the bot's own initiative: the
// durable delivery queue, the tips pushed to police, the police and leader
// tools, and the scheduler.
type opsComponents struct {
	Policy    *access.Policy
	Queue     *delivery.Queue
	Tips      *tips.Tips
	Police    *police.Tools
	Scheduler *scheduler.Scheduler
	Web       *web.Server
}

// buildOps creates the queue, tips, police tools and scheduler. It runs after
// the channels exist, since the queue sends through them.
func (a *App) buildOps(ctx context.Context) error {
	cfg := a.Config
	if err := delivery.MigrateLogged(ctx, a.Store, a.Log); err != nil {
		return fmt.Errorf("app: delivery queue migrations: %w", err)
	}
	var sensitive []string
	for _, k := range a.Campaign.Kinds {
		if k.Sensitive {
			sensitive = append(sensitive, k.ID)
		}
	}
	a.Policy = access.New(a.Store, a.Log, access.WithSensitiveKinds(sensitive...))
	a.Tips = tips.New(tips.Deps{
		Store: a.Store, Policy: a.Policy, Text: a.Catalog, Campaign: a.Campaign, Log: a.Log, Now: a.Now,
	}, tips.Options{
		Escalation:       cfg.Delivery.TipEscalation,
		EscalationUrgent: cfg.Delivery.TipEscalationUrgent,
		Location:         cfg.Location(),
	})
	a.Tips.Register(a.Flows)
	tools, err := police.Register(a.Flows, police.Deps{
		Store: a.Store, Policy: a.Policy, Text: a.Catalog, Campaign: a.Campaign, Log: a.Log, Now: a.Now,
	}, police.Options{Location: cfg.Location()})
	if err != nil {
		return fmt.Errorf("app: police tools: %w", err)
	}
	a.Police = tools
	a.registerSummaryCommand()
	if err := a.buildWeb(); err != nil {
		return err
	}

	qopts := delivery.Options{
		Workers:     cfg.Delivery.Workers,
		MaxAttempts: cfg.Delivery.MaxAttempts,
		Logger:      a.Log,
		Clock:       a.Now,
		OnSent:      a.Tips.OnSent,
	}
	if a.Zalo != nil {
		qopts.ZaloScheduled = a.Zalo.SendScheduled
	}
	channels := make(map[string]bot.Channel, len(a.Channels))
	for name, ch := range a.Channels {
		channels[name] = ch
	}
	if a.Queue, err = delivery.NewQueue(a.Store, channels, qopts); err != nil {
		return fmt.Errorf("app: delivery queue: %w", err)
	}
	a.watchDelivery(a.Queue)

	deps := scheduler.Deps{Store: a.Store, Campaign: a.Campaign, Text: a.Catalog, Busy: a.Flows, Now: a.Now, Log: a.Log}
	if a.Metrics != nil {
		deps.OnRun = func(r scheduler.Result) { a.Metrics.ObserveJobRun(r.Job, nil, r.Took) }
	}
	if a.Redis != nil {
		deps.Locker = scheduler.NewRedisLocker(a.Redis, cfg.Redis.KeyPrefix)
	}
	if a.Scheduler, err = scheduler.New(deps, scheduler.FromConfig(cfg)); err != nil {
		return fmt.Errorf("app: scheduler: %w", err)
	}

	if a.Demo != nil {
		rng := rand.New(rand.NewPCG(2024, 8))
		if err := report.SeedDemoHistory(ctx, a.Store, a.Campaign, *a.Demo, a.Now(), cfg.Location(), rng); err != nil {
			return fmt.Errorf("app: demo history: %w", err)
		}
	}
	return nil
}

// startOps starts the queue, the scheduler and tip escalation; they stop
// before the store closes.
func (a *App) startOps(ctx context.Context) error {
	if err := a.Queue.Start(ctx); err != nil {
		return fmt.Errorf("app: start delivery queue: %w", err)
	}
	a.closers = append(a.closers, a.Queue.Stop)
	if err := a.Scheduler.Start(ctx); err != nil {
		return fmt.Errorf("app: start scheduler: %w", err)
	}
	a.closers = append(a.closers, a.Scheduler.Stop)
	a.goBG(func() { a.escalateLoop(ctx) })
	return nil
}

// inboxRetention is how long handled updates stay in the journal; it is also
// how long a re-delivered update is still recognised as a duplicate.
const inboxRetention = 7 * 24 * time.Hour

// escalateLoop pushes tips nobody acted on to the next level up, and purges
// the update journal of what was handled long ago.
func (a *App) escalateLoop(ctx context.Context) {
	t := time.NewTicker(time.Minute)
	defer t.Stop()
	lastPurge := time.Time{}
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if n, err := a.Tips.Escalate(ctx, a.Now()); err != nil && ctx.Err() == nil {
				a.Log.Warn("tip escalation", "err", err)
			} else if n > 0 {
				a.Log.Info("tips escalated", "count", n)
			}
			if now := a.Now(); now.Sub(lastPurge) >= time.Hour {
				lastPurge = now
				if n, err := a.Store.InboxPurge(ctx, now.Add(-inboxRetention)); err != nil && ctx.Err() == nil {
					a.Log.Warn("purge update journal", "err", err)
				} else if n > 0 {
					a.Log.Info("update journal purged", "rows", n)
				}
			}
		}
	}
}

// registerSummaryCommand adds /tongket.
func (a *App) registerSummaryCommand() {
	summary.Register(a.Flows, summary.Deps{
		Store: a.Store, Policy: a.Policy, Text: a.Catalog, Campaign: a.Campaign,
		Location: a.Config.Location(), Now: a.Now, Log: a.Log,
	})
}
