// Package scheduler runs the periodic messages of the campaign: the team
// leaders' monthly reminder and end-of-month nudge, the commune police's
// daily digest and monthly summary, and the phase warnings and summaries
// with their district and provincial rollups.
//
// Each job is one file behind the two-method Job interface. Schedules are
// standard cron expressions (robfig/cron/v3) in the configured time zone.
// Every message goes through the delivery queue. A run ledger (table
// job_runs, unique per job and period) is written in the transaction that
// queues a run's messages, so each job runs once per period whatever the
// number of replicas; a lock (Redis, or the database) keeps the other
// replicas from computing the same run meanwhile. A run missed while the
// service was down is caught up once when it comes back, as long as it is
// still relevant (each job's plan says until when). Nothing scheduled is
// sent in quiet hours: it is queued to leave when they end.
package scheduler

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"runtime/debug"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/anttbot/anttbot/campaign"
	"github.com/anttbot/anttbot/config"
	"github.com/anttbot/anttbot/delivery"
	"github.com/anttbot/anttbot/store"
)

// Translator looks up user-facing text; *locales.Catalog implements it.
type Translator interface {
	T(lang, key string, args ...any) string
}

// BusyChecker says whether a chat is in the middle of a conversation;
// (*flows.Service).Busy implements it.
type BusyChecker interface {
	Busy(ctx context.Context, channel, chatID string) bool
}

// EnqueueFunc queues deliveries in a store transaction; delivery.Enqueue by
// default.
type EnqueueFunc func(ctx context.Context, tx *store.Store, jobs ...delivery.Job) error

// Deps are the scheduler's collaborators.
type Deps struct {
	Store    *store.Store
	Campaign *campaign.Campaign
	Text     Translator
	// Summaries renders the scorecards of the monthly and phase summaries.
	// Nil: NewReportSummarizer on Store.
	Summaries Summarizer
	// Busy, when set, defers a scheduled message to a chat that is in the
	// middle of a report (see Config.BusyDelay).
	Busy BusyChecker
	// Locker keeps one replica running a job; nil: NewMemoryLocker on
	// SQLite (one process owns the file), NewStoreLocker on PostgreSQL.
	// Use NewRedisLocker when Redis is configured.
	Locker Locker
	// Enqueue queues deliveries; nil: delivery.Enqueue.
	Enqueue EnqueueFunc
	// Now is the clock; nil: time.Now.
	Now func() time.Time
	// Log is the logger; nil: slog.Default().
	Log *slog.Logger
	// OnRun, when set, sees every run that was queued and recorded (not dry
	// runs), after its transaction committed: for metrics and tests. It
	// must not block.
	OnRun func(Result)
}

// Config tunes the scheduler. FromConfig builds it from the service config.
type Config struct {
	// Schedule holds the cron specs and quiet hours. An empty spec disables
	// its job.
	Schedule config.Schedule
	// Location is the time zone of the specs and of the campaign dates.
	Location *time.Location
	// DefaultLang is the language of people whose language is unknown.
	DefaultLang string
	// Owner names this replica in the ledger (default host:pid).
	Owner string
	// RunTimeout bounds one run (default 10 minutes).
	RunTimeout time.Duration
	// RetryAfter is how long a failed run waits before it is tried again,
	// while still relevant (default 5 minutes).
	RetryAfter time.Duration
	// BusyDelay is how long a message to a chat in the middle of a report
	// waits (default 20 minutes).
	BusyDelay time.Duration
	// StaleTip is how long a tip may wait untouched before the digest
	// points at it (default 24 hours).
	StaleTip time.Duration
}

// FromConfig returns the scheduler's Config from the service configuration.
func FromConfig(c config.Config) Config {
	return Config{Schedule: c.Schedule, Location: c.Location(), DefaultLang: c.App.DefaultLocale}
}

func (c Config) withDefaults() Config {
	if c.Location == nil {
		c.Location = time.UTC
	}
	if c.DefaultLang == "" {
		c.DefaultLang = "vi"
	}
	if c.Owner == "" {
		h, _ := os.Hostname()
		c.Owner = h + ":" + strconv.Itoa(os.Getpid())
	}
	if c.RunTimeout <= 0 {
		c.RunTimeout = 10 * time.Minute
	}
	if c.RetryAfter <= 0 {
		c.RetryAfter = 5 * time.Minute
	}
	if c.BusyDelay <= 0 {
		c.BusyDelay = 20 * time.Minute
	}
	if c.StaleTip <= 0 {
		c.StaleTip = 24 * time.Hour
	}
	return c
}

// lookback is how far back the scheduler looks for missed runs when it
// starts: longer than the longest relevance window (the phase summary's).
const lookback = 35 * 24 * time.Hour

// maxSleep bounds the wait between two looks at the schedule, so a clock
// step (NTP, a suspended VM) is noticed within a minute.
const maxSleep = time.Minute

// entry is one scheduled job and its state in this replica.
type entry struct {
	job   planned
	spec  string
	sched cron.Schedule
	// checked: firings at or before it are settled (run, recorded by
	// another replica, or no longer relevant).
	checked time.Time
	// retry holds, per period key, when a failed run may be tried again.
	retry map[string]time.Time
}

// Scheduler runs the jobs on their schedules.
type Scheduler struct {
	deps    Deps
	cfg     Config
	env     *env
	log     *slog.Logger
	entries []*entry
	byName  map[string]*entry

	mu      sync.Mutex // guards entries' state and the loop fields
	cancel  context.CancelFunc
	done    chan struct{}
	running bool
}

// JobInfo describes a job for `anttbot schedule list`.
type JobInfo struct {
	Name string
	Spec string
	// Next is when the job next acts (zero: not within a year, or disabled).
	Next time.Time
	// LastRun is when its last recorded run finished (zero: never).
	LastRun time.Time
	// LastPeriod is the key of that run's period.
	LastPeriod string
}

// New returns a scheduler for the jobs of cfg.Schedule. It checks every
// cron spec.
func New(deps Deps, cfg Config) (*Scheduler, error) {
	cfg = cfg.withDefaults()
	if deps.Store == nil || deps.Campaign == nil || deps.Text == nil {
		return nil, errors.New("scheduler: new: store, campaign and text are required")
	}
	if deps.Now == nil {
		deps.Now = time.Now
	}
	if deps.Log == nil {
		deps.Log = slog.Default()
	}
	if deps.Locker == nil {
		deps.Locker = NewStoreLocker(deps.Store)
		if deps.Store.Driver() == store.DriverSQLite {
			deps.Locker = NewMemoryLocker()
		}
	}
	if deps.Enqueue == nil {
		deps.Enqueue = delivery.Enqueue
	}
	if deps.Summaries == nil {
		deps.Summaries = NewReportSummarizer(deps.Store, deps.Campaign, deps.Text, cfg.Location)
	}
	log := deps.Log.With("comp", "scheduler")
	e := &env{st: deps.Store, camp: deps.Campaign, tr: deps.Text, sum: deps.Summaries, loc: cfg.Location,
		lang: cfg.DefaultLang, now: deps.Now, staleTip: cfg.StaleTip}
	s := &Scheduler{deps: deps, cfg: cfg, env: e, log: log, byName: map[string]*entry{}}
	sc := cfg.Schedule
	jobs := []struct {
		spec string
		job  planned
	}{
		{sc.LeaderReminder, &leaderReminder{env: e}},
		{sc.LeaderNudge, &leaderNudge{env: e}},
		{sc.PoliceDigest, &policeDigest{env: e}},
		{sc.MonthlySummary, &monthlySummary{env: e}},
		{sc.PhaseWarning, &phaseWarning{env: e}},
		{sc.PhaseSummary, &phaseSummary{env: e}},
	}
	var errs []error
	for _, j := range jobs {
		en := &entry{job: j.job, spec: j.spec, retry: map[string]time.Time{}}
		if j.spec != "" {
			sch, err := cron.ParseStandard(j.spec)
			if err != nil {
				errs = append(errs, fmt.Errorf("scheduler: schedule.%s %q: %w", j.job.Name(), j.spec, err))
				continue
			}
			en.sched = sch
		}
		if d, ok := j.job.(interface{ setSchedule(cron.Schedule) }); ok && en.sched != nil {
			d.setSchedule(en.sched)
		}
		s.entries = append(s.entries, en)
		s.byName[j.job.Name()] = en
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return s, nil
}

// Start runs the schedule in the background until Stop. It first catches up
// the runs missed while the service was down.
func (s *Scheduler) Start(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.running {
		return errors.New("scheduler: already started")
	}
	ctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	s.cancel, s.done, s.running = cancel, make(chan struct{}), true
	go s.loop(ctx, s.done)
	s.log.Info("scheduler started", "jobs", len(s.entries), "tz", s.cfg.Location.String(), "owner", s.cfg.Owner)
	return nil
}

// Stop stops the loop and waits for the run in progress, at most until ctx
// ends; a run cut short is not recorded and is tried again later.
func (s *Scheduler) Stop(ctx context.Context) error {
	s.mu.Lock()
	if !s.running {
		s.mu.Unlock()
		return nil
	}
	cancel, done := s.cancel, s.done
	s.running = false
	s.mu.Unlock()
	cancel()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("scheduler: stop: %w", ctx.Err())
	}
}

func (s *Scheduler) loop(ctx context.Context, done chan struct{}) {
	defer close(done)
	for {
		s.Tick(ctx)
		wait := maxSleep
		if next := s.nextWake(); !next.IsZero() {
			wait = min(max(next.Sub(s.deps.Now()), 0)+time.Second, maxSleep)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}

// nextWake returns the earliest next firing or retry among the jobs.
func (s *Scheduler) nextWake() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.deps.Now().In(s.cfg.Location)
	var next time.Time
	consider := func(t time.Time) {
		if !t.IsZero() && (next.IsZero() || t.Before(next)) {
			next = t
		}
	}
	for _, e := range s.entries {
		if e.sched != nil {
			consider(e.sched.Next(now))
		}
		for _, t := range e.retry {
			if t.After(now) {
				consider(t)
			}
		}
	}
	return next
}

// Tick runs every job whose schedule fired since the last look (since the
// lookback window on the first), once per period, skipping firings that are
// no longer relevant. The loop calls it; tests call it with a fake clock.
func (s *Scheduler) Tick(ctx context.Context) {
	for _, e := range s.entries {
		if ctx.Err() != nil {
			return
		}
		if e.sched != nil {
			s.catchUp(ctx, e)
		}
	}
}

// catchUp handles the firings of one job in (checked, now].
func (s *Scheduler) catchUp(ctx context.Context, e *entry) {
	s.mu.Lock()
	now := s.deps.Now().In(s.cfg.Location)
	from := e.checked
	if from.IsZero() || from.Before(now.Add(-lookback)) {
		from = now.Add(-lookback)
	}
	s.mu.Unlock()

	var (
		settledUpTo = from
		settled     = true
		seen        = map[string]bool{}
		stale       []string
	)
	for fire := e.sched.Next(from.In(s.cfg.Location)); !fire.After(now); fire = e.sched.Next(fire) {
		p, ok := e.job.plan(fire)
		if ok && !seen[p.Key] {
			seen[p.Key] = true
			switch {
			case !p.Deadline.IsZero() && !s.sendTime(now).Before(p.Deadline):
				stale = append(stale, p.Key)
				s.forgetRetry(e, p.Key)
			case !s.runDue(ctx, e, p, now):
				// run checks the ledger under the lock: a period that ran
				// (here or elsewhere) settles as ErrAlreadyRan.
				settled = false
			}
		}
		if settled {
			settledUpTo = fire
		}
	}
	if settled {
		settledUpTo = now
	}
	s.mu.Lock()
	e.checked = settledUpTo
	s.mu.Unlock()
	if len(stale) > 0 {
		s.logMissed(ctx, e.job.Name(), from, now, stale)
	}
}

// logMissed logs the periods that were due, never ran and are no longer
// relevant (those that ran are often seen again in the lookback window).
func (s *Scheduler) logMissed(ctx context.Context, job string, from, now time.Time, stale []string) {
	ran, err := s.recorded(ctx, job, from.Add(-lookback), now)
	if err != nil {
		s.log.Warn("read run ledger", "job", job, "err", err)
		return
	}
	missed := slices.DeleteFunc(stale, func(k string) bool { return ran[k] })
	if len(missed) > 0 {
		s.log.Info("missed runs no longer relevant, skipped", "job", job, "periods", missed)
	}
}

// recorded returns the periods of the job's runs due in [from, to].
func (s *Scheduler) recorded(ctx context.Context, job string, from, to time.Time) (map[string]bool, error) {
	runs, err := s.deps.Store.JobRuns(ctx, job, from, to.Add(time.Nanosecond))
	if err != nil {
		return nil, err
	}
	out := make(map[string]bool, len(runs))
	for _, r := range runs {
		out[r.Period] = true
	}
	return out, nil
}

// runDue runs one due period unless it waits for a retry after a failure.
// It reports whether the period is settled (ran here or elsewhere).
func (s *Scheduler) runDue(ctx context.Context, e *entry, p Period, now time.Time) bool {
	s.mu.Lock()
	retryAt := e.retry[p.Key]
	s.mu.Unlock()
	if now.Before(retryAt) {
		return false
	}
	_, err := s.run(ctx, e, p, false)
	switch {
	case err == nil, errors.Is(err, ErrAlreadyRan):
		s.forgetRetry(e, p.Key)
		return true
	case errors.Is(err, ErrBusy):
		return false
	case ctx.Err() != nil:
		// Stopping: the run is tried again by whoever runs next.
		return false
	default:
		s.log.Error("scheduled run failed", "job", e.job.Name(), "period", p.Key, "err", err, "retry_in", s.cfg.RetryAfter)
		s.mu.Lock()
		e.retry[p.Key] = now.Add(s.cfg.RetryAfter)
		s.mu.Unlock()
		return false
	}
}

// forgetRetry drops a period's pending retry once it is settled.
func (s *Scheduler) forgetRetry(e *entry, key string) {
	s.mu.Lock()
	delete(e.retry, key)
	s.mu.Unlock()
}

// RunNow runs a job for a period named by an operator ("" for the current
// one, see each job) without regard to its schedule or deadline. A dry run
// returns what would be sent, queues nothing and records nothing; otherwise
// ErrAlreadyRan when the job ran for that period.
func (s *Scheduler) RunNow(ctx context.Context, name, period string, dryRun bool) (Result, error) {
	e, ok := s.byName[name]
	if !ok {
		return Result{}, fmt.Errorf("%w %q (want one of %v)", ErrUnknownJob, name, s.names())
	}
	p, err := e.job.parse(period, s.deps.Now().In(s.cfg.Location))
	if err != nil {
		return Result{}, fmt.Errorf("scheduler: %s: %w", name, err)
	}
	return s.run(ctx, e, p, dryRun)
}

func (s *Scheduler) names() []string {
	out := make([]string, len(s.entries))
	for i, e := range s.entries {
		out[i] = e.job.Name()
	}
	return out
}

// List describes every job: its spec, when it next acts and its last run.
func (s *Scheduler) List(ctx context.Context) ([]JobInfo, error) {
	now := s.deps.Now().In(s.cfg.Location)
	out := make([]JobInfo, 0, len(s.entries))
	for _, e := range s.entries {
		info := JobInfo{Name: e.job.Name(), Spec: e.spec}
		if e.sched != nil {
			// Phase jobs fire daily but act on few days: look for the next
			// firing that has a period.
			for fire, n := e.sched.Next(now), 0; n < 800 && fire.Sub(now) < 400*24*time.Hour; fire, n = e.sched.Next(fire), n+1 {
				if _, ok := e.job.plan(fire); ok {
					info.Next = fire
					break
				}
			}
		}
		last, err := s.deps.Store.LastJobRun(ctx, info.Name, time.Time{})
		switch {
		case err == nil:
			info.LastRun, info.LastPeriod = last.FinishedAt.In(s.cfg.Location), last.Period
		case !errors.Is(err, store.ErrNotFound):
			return nil, fmt.Errorf("scheduler: list: %w", err)
		}
		out = append(out, info)
	}
	return out, nil
}

// run computes a period's messages under the job's lock, with a timeout and
// panic recovery, then queues them and records the run in one transaction.
func (s *Scheduler) run(ctx context.Context, e *entry, p Period, dryRun bool) (res Result, err error) {
	name := e.job.Name()
	log := s.log.With("job", name, "period", p.Key)
	if !dryRun {
		release, ok, err := s.deps.Locker.TryLock(ctx, name, s.cfg.RunTimeout+time.Minute)
		if err != nil {
			return Result{}, err
		}
		if !ok {
			return Result{}, fmt.Errorf("%w: %s", ErrBusy, name)
		}
		defer func() {
			if rerr := release(context.WithoutCancel(ctx)); rerr != nil {
				log.Warn("release lock", "err", rerr)
			}
		}()
		// Checked under the lock: another replica may have finished it
		// since the caller looked.
		if r, err := s.deps.Store.JobRunOf(ctx, name, p.Key); err == nil {
			return Result{Job: name, Period: p}, fmt.Errorf("%w: %s %s at %s", ErrAlreadyRan, name, p.Key, r.FinishedAt.In(s.cfg.Location).Format(time.RFC3339))
		} else if !errors.Is(err, store.ErrNotFound) {
			return Result{}, fmt.Errorf("scheduler: %s %s: %w", name, p.Key, err)
		}
	}

	started := s.deps.Now()
	res, err = s.compute(ctx, e.job, p)
	if err != nil {
		return Result{}, err
	}
	res.Job, res.Period, res.DryRun = name, p, dryRun
	if err := s.prepare(ctx, res.Sends); err != nil {
		return Result{}, err
	}
	if dryRun {
		return res, nil
	}
	jobs := make([]delivery.Job, len(res.Sends))
	for i, sd := range res.Sends {
		jobs[i] = sd.Job
	}
	rec := &store.JobRun{Job: name, Period: p.Key, DueAt: p.Due, PeriodFrom: p.From, PeriodTo: p.To,
		Sent: len(jobs), Note: res.Note, Owner: s.cfg.Owner, StartedAt: started, FinishedAt: s.deps.Now()}
	err = s.deps.Store.InTx(ctx, func(tx *store.Store) error {
		ok, err := tx.RecordJobRun(ctx, rec)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("%w: %s %s", ErrAlreadyRan, name, p.Key)
		}
		return s.deps.Enqueue(ctx, tx, jobs...)
	})
	if err != nil {
		if errors.Is(err, ErrAlreadyRan) {
			return Result{Job: name, Period: p}, err
		}
		return Result{}, fmt.Errorf("scheduler: %s %s: record and queue: %w", name, p.Key, err)
	}
	res.Took = s.deps.Now().Sub(started)
	log.Info("job ran", "sends", len(jobs), "note", res.Note, "due", p.Due, "took", res.Took)
	if s.deps.OnRun != nil {
		s.deps.OnRun(res)
	}
	return res, nil
}

// compute calls the job with the run timeout, turning a panic into an error.
func (s *Scheduler) compute(ctx context.Context, j Job, p Period) (res Result, err error) {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.RunTimeout)
	defer cancel()
	defer func() {
		if r := recover(); r != nil {
			s.log.Error("job panicked", "job", j.Name(), "period", p.Key, "panic", r, "stack", string(debug.Stack()))
			err = fmt.Errorf("scheduler: %s %s: panic: %v", j.Name(), p.Key, r)
		}
	}()
	res, err = j.Run(ctx, p)
	if err != nil {
		return Result{}, fmt.Errorf("scheduler: %s %s: %w", j.Name(), p.Key, err)
	}
	return res, nil
}

// prepare sets every send's NotBefore: not before now, later when the chat
// is in the middle of a report, and never inside quiet hours.
func (s *Scheduler) prepare(ctx context.Context, sends []Send) error {
	now := s.deps.Now()
	var busy map[int64]bool
	if s.deps.Busy != nil && len(sends) > 0 {
		var err error
		if busy, err = s.busyPeople(ctx, sends); err != nil {
			return err
		}
	}
	for i := range sends {
		j := &sends[i].Job
		at := now
		if j.NotBefore.After(at) {
			at = j.NotBefore
		}
		if busy[j.To.PersonID] {
			at = at.Add(s.cfg.BusyDelay)
		}
		j.NotBefore = s.sendTime(at)
		j.Scheduled = true
	}
	return nil
}

// busyPeople returns the recipients with a chat in the middle of a report.
func (s *Scheduler) busyPeople(ctx context.Context, sends []Send) (map[int64]bool, error) {
	var ids []int64
	for _, sd := range sends {
		if id := sd.To.PersonID; id != 0 && !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	idents, err := s.deps.Store.IdentitiesOf(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("scheduler: busy chats: %w", err)
	}
	out := map[int64]bool{}
	for _, id := range idents {
		if id.UnreachableAt == nil && id.ChatID != "" && s.deps.Busy.Busy(ctx, id.Channel, id.ChatID) {
			out[id.PersonID] = true
		}
	}
	return out, nil
}

// sendTime returns t, or the end of the quiet hours t falls in.
func (s *Scheduler) sendTime(t time.Time) time.Time {
	sc := s.cfg.Schedule
	lt := t.In(s.cfg.Location)
	if !sc.InQuietHours(lt) {
		return t
	}
	h, m, ok := clock(sc.QuietEnd)
	if !ok {
		return t
	}
	end := time.Date(lt.Year(), lt.Month(), lt.Day(), h, m, 0, 0, s.cfg.Location)
	if !end.After(lt) {
		end = time.Date(lt.Year(), lt.Month(), lt.Day()+1, h, m, 0, 0, s.cfg.Location)
	}
	return end
}

// clock parses "HH:MM"; config.Validate has checked it.
func clock(s string) (h, m int, ok bool) {
	t, err := time.Parse("15:04", s)
	if err != nil {
		return 0, 0, false
	}
	return t.Hour(), t.Minute(), true
}
