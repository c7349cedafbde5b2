// Package loadtest drives the whole service end to end the way the platforms
// do: simulated members post updates to the Telegram or Zalo webhook and a
// fake platform API receives the replies, while the service runs in-process
// on a real PostgreSQL and Redis. It measures flow steps per second, the
// latency from a webhook request to its reply reaching the platform, errors,
// memory and whether every confirmed report was stored exactly once; and the
// delivery queue's broadcast rate against the platform limit.
package loadtest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/anttbot/anttbot/bot"
	"github.com/anttbot/anttbot/config"
	"github.com/anttbot/anttbot/internal/app"
	"github.com/anttbot/anttbot/ratelimit"
	"github.com/anttbot/anttbot/store"
)

// Fixed identities of the fake platforms (nothing real: the APIs are fakes).
const (
	fakeToken    = "123456789:AAH-load_test_token-not_a_real_one0"
	zaloAppID    = "3608465249409039"
	zaloOAID     = "388613280878808645"
	unlimitedSec = 1_000_000 // "no limit" for the platform rate limits in flow runs
)

// Config describes one run.
type Config struct {
	Channel string // bot.ChannelTelegram or bot.ChannelZalo
	// PG is the DSN (postgres:// URL) of a server where the run creates its
	// own database, dropped at the end.
	PG string
	// Redis is the Redis URL; the run uses a key prefix of its own, deleted at the end.
	Redis   string
	Members int
	// Think is the pause before each step (randomised ±50%); 0 sends each
	// step as soon as the reply to the previous one reached the fake API.
	Think time.Duration
	// Duration stops members from starting new flows; Flows bounds the flows
	// started in all. At least one must be set; the run ends at the first.
	Duration time.Duration
	Flows    int
	// Broadcast, when positive, queues that many reminders through the
	// delivery queue instead of walking flows.
	Broadcast int
	// Rate is the platform's global message limit per second for broadcasts:
	// the service is configured with it and the fake platform enforces it
	// (Telegram: 429 with retry_after 1 above it).
	Rate int
	// Workers is the delivery queue's concurrency for broadcasts (0: config default).
	Workers int
	// StepTimeout bounds the wait for one reply (default 10s).
	StepTimeout time.Duration
	// CPUProfile, when set, is where the measured phase's CPU profile is written.
	CPUProfile string
	// KeepThrottle keeps the production per-user inbound limit (20 updates
	// per 10 s); by default it is lifted so that members may step as fast as
	// the service answers (the limit is still checked on every update).
	KeepThrottle bool
	// External, when set, is the base URL of a separately started service
	// ("anttbot serve") to drive instead of one in this process. PG is then
	// that service's own database, used as is: the organisation is imported
	// into it and new submissions counted (nothing is dropped). The service
	// must use FakeAddr as its platform API URL, webhook mode for Telegram,
	// Secret as its webhook secret (Zalo: its OA secret key, app id
	// 3608465249409039), high platform rate limits, and its per-user limit
	// applies (use Think).
	External string
	// PID is the external service's process id, for its memory and CPU.
	PID int
	// FakeAddr is where the fake platform API listens (default: a free port).
	FakeAddr string
	// Secret is the external service's webhook secret (Telegram) or OA secret key (Zalo).
	Secret string
	// Script is a TOML script replacing the embedded one (see script.toml).
	Script []byte
	// Log receives the service's warnings and errors (default: discarded).
	Log io.Writer
	// Progress receives a line per phase (may be nil).
	Progress io.Writer
}

// Latency summarises step latencies.
type Latency struct {
	P50, P95, P99, Max time.Duration
}

// Result is what a run measured.
type Result struct {
	Channel string
	Members int
	Think   time.Duration

	OnboardTime time.Duration
	Elapsed     time.Duration // the measured phase
	Steps       int64         // flow steps completed (one update and its reply each)
	Flows       int64         // flows completed (each stores one report)
	Latency     Latency
	// PerStep is the latency of each step of the flow script, in order.
	PerStep []Latency

	Errors        int64    // steps that failed: webhook refused, reply missing or unusable
	ServiceErrors int64    // error records the service logged
	ErrorSamples  []string // the first few errors

	RowsExpected  int64 // reports confirmed by the service
	RowsUncertain int64 // confirmations sent whose answer never came
	RowsStored    int64 // submissions counted in the database after the run
	Notified      int64 // messages the commune police officers received (tip notifications)

	DBCommits     int64 // transactions committed in the run's database during the measured phase
	RedisCommands int64 // commands the Redis server processed during the measured phase

	// CPU time used during the measured phase by this process (service, load
	// generator and fake API), by an external service (Config.PID), by the
	// database's backends and by Redis (in-process runs only).
	CPUSelf, CPUService, CPUPostgres, CPURedis time.Duration

	// RSS and PeakRSS are of this process (service + load generator + fakes),
	// or of Config.PID when driving an external service; bytes.
	RSS, PeakRSS int64
	External     bool
	RedisKeys    int // keys the run left under its prefix (deleted)

	Broadcast *BroadcastResult
}

// StepsPerSec is the throughput of the measured phase.
func (r Result) StepsPerSec() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Steps) / r.Elapsed.Seconds()
}

// RowsOK reports whether every confirmed report was stored exactly once.
func (r Result) RowsOK() bool {
	return r.RowsStored >= r.RowsExpected && r.RowsStored <= r.RowsExpected+r.RowsUncertain
}

// run is the state of one run.
type run struct {
	cfg    Config
	script Script
	rt     *router
	client interface {
		say(ctx context.Context, m *member, text string) error
		tap(ctx context.Context, m *member, on Reply, label string) error
		contact(ctx context.Context, m *member) error
	}
	svcErrors atomic.Int64

	errMu   sync.Mutex
	errs    int64
	samples []string
}

func (r *run) progress(format string, args ...any) {
	if r.cfg.Progress != nil {
		fmt.Fprintf(r.cfg.Progress, format+"\n", args...)
	}
}

func (r *run) fail(m *member, step int, err error) {
	r.errMu.Lock()
	defer r.errMu.Unlock()
	r.errs++
	if len(r.samples) < 5 {
		msg := fmt.Sprintf("member %d step %d: %v", m.index, step+1, err)
		if errors.Is(err, errNoReply) {
			msg += fmt.Sprintf(" (unread replies: %q)", m.inbox.pending())
		}
		r.samples = append(r.samples, msg)
	}
}

// Run performs one load run and cleans up after itself.
func Run(ctx context.Context, cfg Config) (res Result, err error) {
	if cfg.Members <= 0 {
		return res, errors.New("loadtest: members must be positive")
	}
	if cfg.Broadcast <= 0 && cfg.Duration <= 0 && cfg.Flows <= 0 {
		return res, errors.New("loadtest: set a duration or a number of flows")
	}
	if cfg.StepTimeout <= 0 {
		cfg.StepTimeout = 10 * time.Second
	}
	if cfg.Rate <= 0 {
		cfg.Rate = 30
	}
	if cfg.Log == nil {
		cfg.Log = io.Discard
	}
	doc := cfg.Script
	if doc == nil {
		doc = defaultScript
	}
	r := &run{cfg: cfg, rt: newRouter()}
	if r.script, err = loadScript(doc, cfg.Channel); err != nil {
		return res, err
	}
	res = Result{Channel: cfg.Channel, Members: cfg.Members, Think: cfg.Think, External: cfg.External != ""}

	// The fake platform API.
	var fake http.Handler
	switch cfg.Channel {
	case bot.ChannelTelegram:
		ft := &fakeTelegram{rt: r.rt, flood: newWindow(0)}
		if cfg.Broadcast > 0 {
			ft.flood = newWindow(cfg.Rate)
		}
		fake = ft
	case bot.ChannelZalo:
		fake = &fakeZalo{rt: r.rt}
	default:
		return res, fmt.Errorf("loadtest: unknown channel %q (want telegram or zalo)", cfg.Channel)
	}
	api, err := serve(cfg.FakeAddr, fake)
	if err != nil {
		return res, fmt.Errorf("loadtest: start fake %s API: %w", cfg.Channel, err)
	}
	defer api.Close()

	var (
		a      *app.App
		st     *store.Store
		db     *database
		ks     *keyspace
		base   string
		secret string
		svcCfg = config.Default()
	)
	if cfg.External != "" {
		if cfg.Broadcast > 0 {
			return res, errors.New("loadtest: --broadcast runs the delivery queue in-process; it cannot drive --external")
		}
		base, secret = strings.TrimSuffix(cfg.External, "/"), cfg.Secret
		if db, err = existingDatabase(cfg.PG); err != nil {
			return res, err
		}
		defer db.admin.Close()
		if st, err = store.Open(ctx, store.DriverPostgres, cfg.PG); err != nil {
			return res, fmt.Errorf("loadtest: open the service's database: %w", err)
		}
		defer st.Close()
		r.progress("driving the service at %s; its platform API URL must be %s", base, api.URL)
	} else {
		if db, err = createDatabase(ctx, cfg.PG); err != nil {
			return res, err
		}
		defer func() { err = errors.Join(err, db.drop()) }()
		if ks, err = openKeyspace(ctx, cfg.Redis); err != nil {
			return res, err
		}
		defer func() {
			n, cerr := ks.clean()
			res.RedisKeys = n
			err = errors.Join(err, cerr)
		}()

		// The service, in this process.
		svcCfg, secret = r.serviceConfig(db.DSN, ks.Prefix, api.URL)
		if err := svcCfg.Validate(); err != nil {
			return res, fmt.Errorf("loadtest: service config: %w", err)
		}
		log := slog.New(countingHandler{slog.NewTextHandler(cfg.Log, &slog.HandlerOptions{Level: slog.LevelWarn}), &r.svcErrors})
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return res, fmt.Errorf("loadtest: listen: %w", err)
		}
		svcCtx, stopSvc := context.WithCancel(context.Background())
		opts := []app.Option{app.WithListener(l)}
		if !cfg.KeepThrottle {
			opts = append(opts, app.WithInboundRule(ratelimit.Rule{Rate: unlimitedSec, Per: time.Second, Burst: unlimitedSec}))
		}
		if a, err = app.New(ctx, svcCfg, log, opts...); err != nil {
			stopSvc()
			l.Close()
			return res, fmt.Errorf("loadtest: start service: %w", err)
		}
		st = a.Store
		done := make(chan error, 1)
		go func() { done <- a.Run(svcCtx) }()
		defer func() {
			stopSvc()
			if serr := <-done; serr != nil {
				err = errors.Join(err, fmt.Errorf("loadtest: service stopped with: %w", serr))
			}
		}()
		base = "http://" + l.Addr().String()
	}
	if err := waitReady(ctx, base); err != nil {
		return res, err
	}
	before, err := st.CountSubmissions(ctx, store.CountFilter{})
	if err != nil {
		return res, fmt.Errorf("loadtest: count submissions: %w", err)
	}

	members := newMembers(cfg.Members)
	if _, err := importOrg(ctx, st, members); err != nil {
		return res, err
	}
	hc := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
		MaxIdleConns: 2 * cfg.Members, MaxIdleConnsPerHost: 2 * cfg.Members, IdleConnTimeout: 90 * time.Second,
	}}
	defer hc.CloseIdleConnections()
	officers := newOfficers(communes(len(members)))
	everyone := append(append([]*member{}, officers...), members...)
	switch cfg.Channel {
	case bot.ChannelTelegram:
		r.client = &telegramClient{hc: hc, url: base + svcCfg.Telegram.WebhookPath, secret: secret}
		for _, m := range everyone {
			m.chatID = strconv.FormatInt(m.tgID, 10)
		}
	case bot.ChannelZalo:
		r.client = &zaloClient{hc: hc, url: base + svcCfg.Zalo.WebhookPath, appID: zaloAppID, oaID: zaloOAID, oaKey: secret}
		for _, m := range everyone {
			m.chatID = m.zaloID
		}
	}
	for _, m := range everyone {
		m.inbox = r.rt.add(m.chatID)
	}

	if cfg.Broadcast > 0 {
		r.progress("broadcast: %d reminders at %d/s through the delivery queue", cfg.Broadcast, cfg.Rate)
		b, err := r.broadcast(ctx, a, svcCfg)
		res.Broadcast = b
		res.ServiceErrors = r.svcErrors.Load()
		res.RSS, res.PeakRSS, _ = memory(0)
		return res, err
	}

	r.progress("onboarding %d members and %d commune police officers on %s", cfg.Members, len(officers), cfg.Channel)
	start := time.Now()
	if err := r.onboard(ctx, everyone); err != nil {
		return res, err
	}
	res.OnboardTime = time.Since(start)
	// From now on what officers receive (tip notifications) is only counted.
	for _, o := range officers {
		r.rt.remove(o.chatID)
	}

	if cfg.CPUProfile != "" {
		f, err := os.Create(cfg.CPUProfile)
		if err != nil {
			return res, fmt.Errorf("loadtest: cpu profile: %w", err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			f.Close()
			return res, fmt.Errorf("loadtest: cpu profile: %w", err)
		}
		defer func() { pprof.StopCPUProfile(); f.Close() }()
	}
	r.progress("walking flows: %d members, think %s, duration %s, flows %d", cfg.Members, cfg.Think, cfg.Duration, cfg.Flows)
	c0, _ := db.commits(ctx)
	k0, _ := ks.commands(ctx)
	cpu := startCPU(ctx, db, ks, cfg.PID)
	r.walk(ctx, members, &res)
	res.CPUSelf, res.CPUService, res.CPUPostgres, res.CPURedis = cpu.stop(ctx)
	if cfg.CPUProfile != "" {
		pprof.StopCPUProfile()
	}
	k1, _ := ks.commands(ctx)
	res.RedisCommands = k1 - k0
	time.Sleep(600 * time.Millisecond) // the statistics collector reports every 500 ms
	c1, _ := db.commits(ctx)
	res.DBCommits = c1 - c0

	n, err := st.CountSubmissions(ctx, store.CountFilter{})
	if err != nil {
		return res, fmt.Errorf("loadtest: count submissions: %w", err)
	}
	res.RowsStored = n - before
	// Every stored tip is pushed to its commune's officer through the
	// delivery queue, one at a time per officer: count what arrived within
	// a few seconds (the rest stays queued; it is not the measured path).
	deadline := time.Now().Add(3 * time.Second)
	for {
		got, _, _ := r.rt.unowned()
		res.Notified = 0
		for _, o := range officers {
			res.Notified += int64(got[o.chatID])
		}
		if res.Notified >= res.RowsStored || time.Now().After(deadline) || ctx.Err() != nil {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	res.ServiceErrors = r.svcErrors.Load()
	res.Errors, res.ErrorSamples = r.errs, r.samples
	res.RSS, res.PeakRSS, _ = memory(cfg.PID)
	return res, nil
}

// serviceConfig is production-shaped: PostgreSQL, Redis, the channel under
// test in webhook mode against the fake API. Platform rate limits are lifted
// for flow runs (the service's capacity is measured, not Telegram's quota)
// and set to Rate for broadcasts.
func (r *run) serviceConfig(dsn, prefix, apiURL string) (config.Config, string) {
	cfg := config.Default()
	cfg.App.HTTPAddr = "127.0.0.1:0"
	cfg.App.DataDir = os.TempDir()
	cfg.Log.Level = "warn"
	cfg.Database.Driver = config.DriverPostgres
	cfg.Database.DSN = dsn
	cfg.Redis.URL = r.cfg.Redis
	cfg.Redis.KeyPrefix = prefix
	secret := randomName("s_")
	switch r.cfg.Channel {
	case bot.ChannelTelegram:
		cfg.Telegram.Enabled = true
		cfg.Telegram.Token = fakeToken
		cfg.Telegram.APIURL = apiURL
		cfg.Telegram.Mode = config.ModeWebhook
		cfg.Telegram.WebhookURL = "https://load.example.org/telegram/webhook"
		cfg.Telegram.WebhookSecret = secret
		cfg.Telegram.RateGlobalPerSec, cfg.Telegram.RateChatPerSec = unlimitedSec, unlimitedSec
		if r.cfg.Broadcast > 0 {
			cfg.Telegram.RateGlobalPerSec, cfg.Telegram.RateChatPerSec = r.cfg.Rate, 1
		}
	case bot.ChannelZalo:
		cfg.Zalo.Enabled = true
		cfg.Zalo.AppID = zaloAppID
		cfg.Zalo.AppSecret = randomName("app_")
		cfg.Zalo.OASecretKey = secret
		cfg.Zalo.RefreshToken = "bootstrap-refresh-token"
		cfg.Zalo.APIURL, cfg.Zalo.OAuthURL, cfg.Zalo.ZNS.APIURL = apiURL, apiURL, apiURL
		cfg.Zalo.RatePerMin = 60 * unlimitedSec
		if r.cfg.Broadcast > 0 {
			cfg.Zalo.RatePerMin = 60 * r.cfg.Rate
		}
	}
	if r.cfg.Workers > 0 {
		cfg.Delivery.Workers = r.cfg.Workers
	}
	return cfg, secret
}

// waitReady waits until the service answers /readyz.
func waitReady(ctx context.Context, base string) error {
	deadline := time.Now().Add(30 * time.Second)
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/readyz", nil)
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("loadtest: service not ready after 30s (last: %v)", err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// onboard links every member's chat to the imported person, 64 at a time.
func (r *run) onboard(ctx context.Context, ms []*member) error {
	sem := make(chan struct{}, 64)
	var wg sync.WaitGroup
	var failed atomic.Int64
	for _, m := range ms {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			var prev Reply
			for i, st := range r.script.Onboard {
				var err error
				if prev, err = r.step(ctx, m, st, prev); err != nil {
					r.fail(m, i, fmt.Errorf("onboarding: %w", err))
					failed.Add(1)
					return
				}
			}
		}()
	}
	wg.Wait()
	if n := failed.Load(); n > 0 {
		return fmt.Errorf("loadtest: %d of %d members could not be onboarded; first errors: %q", n, len(ms), r.samples)
	}
	return nil
}

// step sends one update and waits for the reply that ends it.
func (r *run) step(ctx context.Context, m *member, st Step, prev Reply) (Reply, error) {
	var err error
	switch {
	case st.Send != "":
		err = r.client.say(ctx, m, st.Send)
	case st.Tap != "":
		err = r.client.tap(ctx, m, prev, st.Tap)
	case st.Contact:
		err = r.client.contact(ctx, m)
	}
	if err != nil {
		return Reply{}, err
	}
	return m.inbox.waitFor(ctx, expectFor(st.Expect, m), r.cfg.StepTimeout)
}

// walk runs every member's flows until the duration or the flow budget is
// spent, then lets the flows in progress finish.
func (r *run) walk(ctx context.Context, ms []*member, res *Result) {
	var (
		budget   atomic.Int64
		done     atomic.Int64
		flows    atomic.Int64
		expected atomic.Int64
		unsure   atomic.Int64
		mu       sync.Mutex
		all      []time.Duration
		byStep   = make([][]time.Duration, len(r.script.Flow))
		wg       sync.WaitGroup
	)
	budget.Store(int64(r.cfg.Flows))
	start := time.Now()
	var deadline time.Time
	if r.cfg.Duration > 0 {
		deadline = start.Add(r.cfg.Duration)
	}
	claim := func() bool {
		if !deadline.IsZero() && time.Now().After(deadline) {
			return false
		}
		return r.cfg.Flows <= 0 || budget.Add(-1) >= 0
	}
	think := func() {
		if r.cfg.Think > 0 {
			time.Sleep(time.Duration(float64(r.cfg.Think) * (0.5 + rand.Float64())))
		}
	}
	for _, m := range ms {
		wg.Add(1)
		go func() {
			defer wg.Done()
			lat := make([]time.Duration, 0, 1024)
			steps := make([][]time.Duration, len(r.script.Flow))
			defer func() {
				mu.Lock()
				all = append(all, lat...)
				for i := range steps {
					byStep[i] = append(byStep[i], steps[i]...)
				}
				mu.Unlock()
			}()
			for claim() {
				var prev Reply
				for i, st := range r.script.Flow {
					think()
					t0 := time.Now()
					reply, err := r.step(ctx, m, st, prev)
					if err != nil {
						if st.Stores && errors.Is(err, errNoReply) {
							unsure.Add(1) // the report may be stored, its answer lost
						}
						r.fail(m, i, err)
						return // this member's session is in an unknown state
					}
					lat = append(lat, reply.At.Sub(t0))
					steps[i] = append(steps[i], reply.At.Sub(t0))
					done.Add(1)
					if st.Stores {
						expected.Add(1)
					}
					prev = reply
				}
				flows.Add(1)
			}
		}()
	}
	wg.Wait()
	res.Elapsed = time.Since(start)
	res.Steps, res.Flows = done.Load(), flows.Load()
	res.RowsExpected, res.RowsUncertain = expected.Load(), unsure.Load()
	res.Latency = percentiles(all)
	for _, ds := range byStep {
		res.PerStep = append(res.PerStep, percentiles(ds))
	}
}

func percentiles(ds []time.Duration) Latency {
	if len(ds) == 0 {
		return Latency{}
	}
	slices.Sort(ds)
	at := func(p float64) time.Duration {
		i := int(p*float64(len(ds))+0.5) - 1
		return ds[min(max(i, 0), len(ds)-1)]
	}
	return Latency{P50: at(0.50), P95: at(0.95), P99: at(0.99), Max: ds[len(ds)-1]}
}
