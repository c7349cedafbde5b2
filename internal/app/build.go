package app

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/anttbot/anttbot/bot"
	"github.com/anttbot/anttbot/bot/simulator"
	"github.com/anttbot/anttbot/bot/telegram"
	"github.com/anttbot/anttbot/bot/zalo"
	"github.com/anttbot/anttbot/flows"
	"github.com/anttbot/anttbot/metrics"
	"github.com/anttbot/anttbot/ratelimit"
	"github.com/anttbot/anttbot/session"
	"github.com/anttbot/anttbot/store"
)

// Components built from the config; nil when not configured.
type components struct {
	Redis      *redis.Client
	Sessions   session.Store
	Dispatcher *bot.Dispatcher
	Flows      *flows.Service
	Simulator  *simulator.Simulator
	Channels   channelSet
	Telegram   *telegram.Adapter
	Zalo       *zalo.Adapter
	Demo       *store.DemoOrg
	Metrics    *metrics.Metrics
	opsComponents

	rateLimiter ratelimit.Limiter
	inboundRule *ratelimit.Rule
	inbound     bot.Submitter // the dispatcher behind the per-user inbound rate limit
}

// channelSet maps channel names to adapters; it is the flows' Sender.
type channelSet map[string]bot.Channel

// Send delivers m through the named channel.
func (cs channelSet) Send(ctx context.Context, channel string, m bot.Message) (bot.Sent, error) {
	ch, ok := cs[channel]
	if !ok {
		return bot.Sent{}, fmt.Errorf("app: no channel %q configured", channel)
	}
	return ch.Send(ctx, m)
}

// replicaName identifies this process in the update journal's claims.
func replicaName() string {
	h, _ := os.Hostname()
	return h + ":" + strconv.Itoa(os.Getpid())
}

// build creates the components the config asks for.
func (a *App) build(ctx context.Context) error {
	cfg := a.Config
	a.Channels = channelSet{}

	if cfg.Redis.URL != "" {
		opt, err := redis.ParseURL(cfg.Redis.URL)
		if err != nil {
			return fmt.Errorf("app: redis.url: %w", err)
		}
		a.Redis = redis.NewClient(opt)
		a.closers = append(a.closers, func(context.Context) error { return a.Redis.Close() })
		pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		if err := a.Redis.Ping(pctx).Err(); err != nil {
			return fmt.Errorf("app: redis at redis.url is unreachable: %w", err)
		}
		a.Sessions = session.NewRedis(a.Redis, cfg.Redis.KeyPrefix)
	} else {
		a.Sessions = session.NewMemory()
	}

	if a.demoMode() {
		demo, err := a.Store.SeedDemo(ctx, a.Now())
		if err != nil {
			return fmt.Errorf("app: seed demo organisation: %w", err)
		}
		a.Demo = &demo
	}

	a.Flows = flows.NewService(flows.Deps{
		Store:    menuStore{Store: a.Store, a: a},
		Sessions: a.Sessions,
		Sender:   a.Channels,
		Text:     a.Catalog,
		Campaign: a.Campaign,
		Log:      a.Log,
		Now:      a.Now,
	}, flows.Options{
		MaxTextLen:       cfg.Session.MaxTextLen,
		SessionTTL:       cfg.Session.TTL,
		IdleReminder:     cfg.Session.IdleReminder,
		MaxReportAgeDays: cfg.Session.MaxReportAgeDays,
		Location:         cfg.Location(),
		DefaultLang:      cfg.App.DefaultLocale,
	})

	journal := newStoreJournal(a.Store, replicaName(), a.Now, a.Log)
	a.Metrics = a.newMetrics()
	dopts := bot.DispatcherOptions{
		OnPanic: a.tellGenericError,
		Observe: a.observeUpdate,
	}
	if a.Redis != nil {
		// Webhook updates Telegram redelivers are claimed in Redis and
		// answered after their step, with no journal write (BENCHMARKS.md).
		dopts.Claims = session.NewClaims(a.Redis, cfg.Redis.KeyPrefix)
	}
	a.Dispatcher = bot.NewDispatcher(a.Flows, journal, a.Log, dopts)
	// The dispatcher drains before the store closes (closers run in reverse).
	a.closers = append(a.closers, a.Dispatcher.Close)
	a.inbound = a.throttled()

	if err := a.buildChannels(); err != nil {
		return err
	}
	if cfg.Simulator.Enabled || a.demoMode() {
		a.Simulator = simulator.New(
			simulator.SubmitFunc(a.inbound.Submit),
			demoPeople{a},
			simulator.WithTranslator(a.Catalog),
			simulator.WithLogger(a.Log),
		)
		a.Channels[bot.ChannelSimulator] = a.Simulator
		a.closers = append(a.closers, func(context.Context) error { a.Simulator.Close(); return nil })
		a.mux.Handle("/", a.Simulator.Handler())
	}
	if len(a.Channels) == 0 {
		return errors.New("app: no channel is enabled: set telegram.enabled or zalo.enabled (with their keys), " +
			"or simulator.enabled to try the bot in a browser")
	}
	a.instrument()
	return a.buildOps(ctx)
}

// demoMode reports whether the demo organisation is loaded: only on embedded defaults.
func (a *App) demoMode() bool { return a.Config.IsEmbeddedDefault() || a.forceDemo }

// tellGenericError answers a user whose update crashed its handler.
func (a *App) tellGenericError(ctx context.Context, u bot.Update) {
	lang := u.Locale
	if lang == "" {
		lang = a.Config.App.DefaultLocale
	}
	if _, err := a.Channels.Send(ctx, u.Channel, bot.Message{ChatID: u.ChatID, Text: a.Catalog.T(lang, "common.error.generic")}); err != nil {
		a.Log.Warn("tell user about an error", "channel", u.Channel, "err", err)
	}
}

// start launches background loops.
func (a *App) start(ctx context.Context) {
	a.goBG(func() { a.Dispatcher.Run(ctx) })
	a.goBG(func() { a.tickLoop(ctx) })
	a.startChannels(ctx)
	if err := a.startOps(ctx); err != nil {
		a.Log.Error("start background work", "err", err)
	}
}

// tickLoop lets the flows send idle reminders and retry saves the database refused.
func (a *App) tickLoop(ctx context.Context) {
	t := time.NewTicker(a.tickEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := a.Flows.Tick(ctx); err != nil && ctx.Err() == nil {
				a.Log.Warn("flows tick", "err", err)
			}
		}
	}
}

func (a *App) readiness() []readyCheck {
	checks := []readyCheck{{name: "database", check: a.Store.Ping}}
	if a.Redis != nil {
		checks = append(checks, readyCheck{name: "redis", check: func(ctx context.Context) error { return a.Redis.Ping(ctx).Err() }})
	}
	return checks
}

// demoPeople lists the demo organisation for the simulator's person picker.
type demoPeople struct{ a *App }

func (d demoPeople) DemoPeople(ctx context.Context) ([]simulator.Person, error) {
	if d.a.Demo == nil {
		return nil, nil
	}
	lang := d.a.Config.App.DefaultLocale
	units := map[int64]string{d.a.Demo.Commune.ID: d.a.Demo.Commune.Name}
	for _, t := range d.a.Demo.Teams {
		units[t.ID] = t.Name
	}
	out := make([]simulator.Person, 0, len(d.a.Demo.People))
	for _, p := range d.a.Demo.People {
		out = append(out, simulator.Person{
			ID:        "demo-" + strconv.FormatInt(p.ID, 10),
			Name:      p.Name,
			Phone:     p.Phone,
			RoleLabel: d.a.Catalog.T(lang, "flows.role."+string(p.Role)),
			UnitLabel: units[p.UnitID],
		})
	}
	return out, nil
}
