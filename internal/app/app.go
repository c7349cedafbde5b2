// Package app wires the service together: it turns a validated config into
// running components and stops them in order. cmd/anttbot calls it; tests and
// the load tool start the whole service in-process through it.
package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/anttbot/anttbot/campaign"
	"github.com/anttbot/anttbot/campaignadmin"
	"github.com/anttbot/anttbot/config"
	"github.com/anttbot/anttbot/locales"
	"github.com/anttbot/anttbot/store"
)

// App is the running service.
type App struct {
	Config   config.Config
	Log      *slog.Logger
	Store    *store.Store
	Campaign *campaign.Campaign
	Catalog  *locales.Catalog
	components

	// Now is the clock every component uses; tests replace it.
	Now func() time.Time

	mux       *http.ServeMux
	listener  net.Listener
	server    *http.Server
	ready     atomic.Bool
	forceDemo bool
	tickEvery time.Duration
	bg        sync.WaitGroup
	closers   []func(context.Context) error
}

// Option changes how New builds the App (tests use them).
type Option func(*App)

// WithClock replaces the wall clock.
func WithClock(now func() time.Time) Option { return func(a *App) { a.Now = now } }

// WithDemo loads the demo organisation and the simulator even when the
// config is not the embedded default (tests).
func WithDemo() Option { return func(a *App) { a.forceDemo = true } }

// WithTickEvery sets how often reminders and save retries are looked for.
func WithTickEvery(d time.Duration) Option { return func(a *App) { a.tickEvery = d } }

// WithListener serves HTTP on l instead of listening on cfg.App.HTTPAddr.
func WithListener(l net.Listener) Option { return func(a *App) { a.listener = l } }

// New opens the store, applies migrations, loads the campaign and the
// catalogue and builds every configured component. It does not start serving.
func New(ctx context.Context, cfg config.Config, log *slog.Logger, opts ...Option) (*App, error) {
	a := &App{Config: cfg, Log: log, Now: time.Now, mux: http.NewServeMux(), tickEvery: 5 * time.Second}
	for _, o := range opts {
		o(a)
	}
	var err error
	if a.Campaign, err = loadCampaign(cfg); err != nil {
		return nil, err
	}
	if a.Catalog, err = locales.Load(); err != nil {
		return nil, fmt.Errorf("app: load locales: %w", err)
	}
	if a.Store, err = OpenStore(ctx, cfg, log); err != nil {
		return nil, err
	}
	a.closers = append(a.closers, func(context.Context) error { return a.Store.Close() })
	if err := a.Store.Migrate(ctx); err != nil {
		a.closeAll(ctx)
		return nil, fmt.Errorf("app: migrate: %w", err)
	}
	// A campaign loaded with `anttbot campaign load` replaces the configured one.
	campaigns, err := campaignadmin.NewProvider(ctx, a.Store, a.Campaign, log)
	if err != nil {
		a.closeAll(ctx)
		return nil, fmt.Errorf("app: campaign: %w", err)
	}
	a.Campaign = campaigns.Get()
	if err := a.build(ctx); err != nil {
		a.closeAll(ctx)
		return nil, err
	}
	a.routes()
	return a, nil
}

// OpenStore opens the configured database (without migrating it).
func OpenStore(ctx context.Context, cfg config.Config, log *slog.Logger) (*store.Store, error) {
	dsn := cfg.DatabaseDSN()
	st, err := store.Open(ctx, cfg.Database.Driver, dsn,
		store.WithLogger(log), store.WithMaxOpenConns(cfg.Database.MaxOpenConns))
	if err != nil {
		return nil, fmt.Errorf("app: open %s database: %w", cfg.Database.Driver, err)
	}
	return st, nil
}

func loadCampaign(cfg config.Config) (*campaign.Campaign, error) {
	if cfg.Campaign.File == "" {
		return campaign.Default(), nil
	}
	c, err := campaign.Load(cfg.Campaign.File)
	if err != nil {
		return nil, fmt.Errorf("app: campaign.file %s: %w", cfg.Campaign.File, err)
	}
	return c, nil
}

func (a *App) routes() {
	a.mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintln(w, "ok")
	})
	a.mux.HandleFunc("GET /readyz", a.handleReady)
}

// handleReady fails while starting or stopping, and when a backing service is unreachable.
func (a *App) handleReady(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if !a.ready.Load() {
		http.Error(w, "not ready", http.StatusServiceUnavailable)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	for _, c := range a.readiness() {
		if err := c.check(ctx); err != nil {
			a.Log.Warn("readiness check failed", "check", c.name, "err", err)
			http.Error(w, c.name+": unavailable", http.StatusServiceUnavailable)
			return
		}
	}
	fmt.Fprintln(w, "ready")
}

type readyCheck struct {
	name  string
	check func(context.Context) error
}

// Addr returns the address the HTTP server listens on, once Run has started.
func (a *App) Addr() string {
	if a.listener == nil {
		return a.Config.App.HTTPAddr
	}
	return a.listener.Addr().String()
}

// Listen opens the HTTP listener if none was given, so Addr is known before Run.
func (a *App) Listen() error {
	if a.listener != nil {
		return nil
	}
	l, err := net.Listen("tcp", a.Config.App.HTTPAddr)
	if err != nil {
		return fmt.Errorf("app: listen on app.http_addr %s: %w", a.Config.App.HTTPAddr, err)
	}
	a.listener = l
	return nil
}

// Run serves until ctx ends, then stops gracefully: it stops taking new
// updates, lets in-flight work finish, and closes the store last.
func (a *App) Run(ctx context.Context) error {
	if err := a.Listen(); err != nil {
		return err
	}
	// WriteTimeout must outlast the simulator's 25 s long poll.
	a.server = &http.Server{Handler: a.mux, ReadHeaderTimeout: 10 * time.Second, WriteTimeout: 60 * time.Second}
	errc := make(chan error, 1)
	go func() {
		if err := a.server.Serve(a.listener); err != nil && !errors.Is(err, http.ErrServerClosed) {
			errc <- err
		}
	}()
	bgCtx, stopBG := context.WithCancel(context.Background())
	a.start(bgCtx)
	// Migrations and the demo's seeding leave megabytes of garbage behind:
	// collect it and give the pages back now, not at the runtime's pace.
	debug.FreeOSMemory()
	a.ready.Store(true)
	a.Log.Info("anttbot is running", "http", "http://"+a.Addr()+"/", "driver", a.Config.Database.Driver)
	a.logWhereToGo()

	var runErr error
	select {
	case <-ctx.Done():
	case runErr = <-errc:
	}
	a.ready.Store(false)
	a.Log.Info("stopping")
	stopCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if a.Simulator != nil {
		a.Simulator.Close() // lets waiting long polls return before Shutdown waits for them
	}
	// Stop receiving first (HTTP webhooks, pollers), then drain, then close.
	if err := a.server.Shutdown(stopCtx); err != nil {
		a.Log.Warn("http shutdown", "err", err)
	}
	stopBG()
	a.bg.Wait()
	a.closeAll(stopCtx)
	a.Log.Info("stopped")
	return runErr
}

// Close releases what New opened, for callers that never called Run.
func (a *App) Close() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	a.closeAll(ctx)
}

func (a *App) closeAll(ctx context.Context) {
	for i := len(a.closers) - 1; i >= 0; i-- {
		if err := a.closers[i](ctx); err != nil {
			a.Log.Warn("close", "err", err)
		}
	}
	a.closers = nil
}

// goBG runs f in the background until the service stops.
func (a *App) goBG(f func()) {
	a.bg.Add(1)
	go func() { defer a.bg.Done(); f() }()
}

// NewLogger builds the service logger from the [log] section.
func NewLogger(cfg config.Config, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: cfg.Log.SlogLevel()}
	if cfg.Log.Format == config.LogJSON {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
