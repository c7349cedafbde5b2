package delivery

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/rivertype"

	"github.com/anttbot/anttbot/bot"
	"github.com/anttbot/anttbot/store"
)

// riverDriverT is the River driver type both databases share: each runs on
// the store's database/sql pool and transactions.
type riverDriverT = riverdriver.Driver[*sql.Tx]

// ZaloScheduledFunc sends a Scheduled message to a Zalo user; the lead wires
// it to (*zalo.Adapter).SendScheduled.
type ZaloScheduledFunc func(ctx context.Context, m bot.Message, lastInteraction time.Time, phone string, templateData map[string]string) (bot.Sent, error)

// Options tune a Queue. Zero values take the defaults documented on each field.
type Options struct {
	// Workers is how many messages one Queue sends at once (default 10).
	// Channels wait on their rate limiters inside Send, so a worker waiting
	// for a busy chat holds its slot: keep it above the per-second limit
	// times the typical wait when bursts go to few chats.
	Workers int
	// MaxAttempts bounds the sends of one job that fail with a temporary
	// error (default 10); the job is then recorded as failed. Rate limiting
	// (retry_after) and waiting for an earlier job of the same recipient do
	// not count.
	MaxAttempts int
	// RetryBase is the first back-off after a temporary error (default 5s);
	// it doubles with each attempt, up to RetryMax (default 10m), with ±10% jitter.
	RetryBase time.Duration
	RetryMax  time.Duration
	// SendTimeout bounds one job's work, Send included (default 2m).
	SendTimeout time.Duration
	// Lease is how long a job may stay running before another worker takes
	// it over, assuming its worker died (default 5m; at least SendTimeout).
	Lease time.Duration
	// PollInterval is how often the Queue looks for due jobs (default 500ms).
	// It bounds the delay between a commit and the send.
	PollInterval time.Duration
	// Retention is how long finished jobs are kept, which is also how long a
	// DedupeKey stays taken after its job finished (default 7 days).
	Retention time.Duration
	// Logger is the logger (default slog.Default()).
	Logger *slog.Logger
	// Clock stamps audit records and unreachable marks (default time.Now).
	Clock func() time.Time
	// ChannelOrder breaks ties between identities seen at the same time
	// (default telegram, zalo, simulator).
	ChannelOrder []string
	// ZaloScheduled, when set, sends Scheduled jobs to Zalo identities
	// instead of the channel's Send.
	ZaloScheduled ZaloScheduledFunc
	// OnSent is called in the transaction that marks the job done, after the
	// platform accepted the message: store the message id there (to edit it
	// later) and it is recorded exactly when the job is. An error is logged
	// and the job is still marked done, without OnSent's writes.
	OnSent func(ctx context.Context, tx *store.Store, r Result) error
	// OnUnreachable is called in the transaction that records a job nobody
	// could receive (after the audit entry); an error is handled like OnSent's.
	OnUnreachable func(ctx context.Context, tx *store.Store, r Result) error
	// OnOutcome sees every attempt's outcome, for metrics. Workers call it
	// concurrently; it must not block.
	OnOutcome func(r Result)

	// noLeader keeps this Queue out of River's leader election (so it runs no
	// maintenance: rescue, scheduling, cleanup). Tests use it to kill a
	// Queue without waiting for its leadership to expire.
	noLeader bool
}

func (o Options) withDefaults() Options {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	if o.Workers <= 0 {
		o.Workers = 10
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = 10
	}
	def(&o.RetryBase, 5*time.Second)
	def(&o.RetryMax, 10*time.Minute)
	def(&o.SendTimeout, 2*time.Minute)
	def(&o.Lease, 5*time.Minute)
	def(&o.PollInterval, 500*time.Millisecond)
	def(&o.Retention, 7*24*time.Hour)
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Clock == nil {
		o.Clock = time.Now
	}
	if len(o.ChannelOrder) == 0 {
		o.ChannelOrder = []string{bot.ChannelTelegram, bot.ChannelZalo, bot.ChannelSimulator}
	}
	return o
}

func (o Options) validate() error {
	var errs []error
	if o.Lease < o.SendTimeout {
		errs = append(errs, fmt.Errorf("lease %s must be at least the send timeout %s", o.Lease, o.SendTimeout))
	}
	if o.RetryMax < o.RetryBase {
		errs = append(errs, fmt.Errorf("retry max %s must be at least retry base %s", o.RetryMax, o.RetryBase))
	}
	if o.MaxAttempts >= riverMaxAttempts {
		errs = append(errs, fmt.Errorf("max attempts %d must be below %d", o.MaxAttempts, riverMaxAttempts))
	}
	return errors.Join(errs...)
}

// Queue sends queued jobs through the channels. Several Queues (replicas)
// may run on one database; each job is taken by one of them at a time.
type Queue struct {
	st       *store.Store
	channels map[string]bot.Channel
	opts     Options
	log      *slog.Logger
	client   *river.Client[*sql.Tx]
	rank     map[string]int // channel → tie-break rank

	ownDB       *sql.DB  // River's own SQLite pool, nil on PostgreSQL
	counts      sync.Map // Outcome → *atomic.Int64
	running     runningJobs
	sqliteWrite sync.Mutex // see lockSQLiteWrite
}

// NewQueue returns a Queue sending through channels (keyed by channel name,
// bot.ChannelTelegram, ...). Run Migrate first. It does nothing until Start.
// On a SQLite file it opens a one-connection pool of its own for River
// (see ownSQLitePool), which Stop closes.
func NewQueue(st *store.Store, channels map[string]bot.Channel, opts Options) (*Queue, error) {
	opts = opts.withDefaults()
	if err := opts.validate(); err != nil {
		return nil, fmt.Errorf("delivery: options: %w", err)
	}
	if len(channels) == 0 {
		return nil, errors.New("delivery: new queue: no channels")
	}
	db, err := st.SQLDB()
	if err != nil {
		return nil, fmt.Errorf("delivery: new queue: %w", err)
	}
	riverDB, err := ownSQLitePool(db, st.Driver())
	if err != nil {
		return nil, fmt.Errorf("delivery: new queue: %w", err)
	}
	if riverDB != nil {
		db = riverDB
	}
	q := &Queue{st: st, channels: channels, opts: opts, log: opts.Logger.With("comp", "delivery"), rank: map[string]int{}, ownDB: riverDB}
	for i, c := range opts.ChannelOrder {
		q.rank[c] = i + 1
	}
	workers := river.NewWorkers()
	if err := river.AddWorkerSafely[jobArgs](workers, &worker{q: q}); err != nil {
		q.closeOwnDB()
		return nil, fmt.Errorf("delivery: new queue: %w", err)
	}
	cooldown := min(100*time.Millisecond, opts.PollInterval)
	client, err := river.NewClient(riverDriver(st.Driver(), db), &river.Config{
		Logger:                      q.log.With("lib", "river"),
		Queues:                      map[string]river.QueueConfig{queueName: {MaxWorkers: opts.Workers}},
		Workers:                     workers,
		FetchPollInterval:           opts.PollInterval,
		FetchCooldown:               cooldown,
		JobTimeout:                  opts.SendTimeout,
		RescueStuckJobsAfter:        opts.Lease,
		CompletedJobRetentionPeriod: opts.Retention,
		CancelledJobRetentionPeriod: opts.Retention,
		DiscardedJobRetentionPeriod: opts.Retention,
		LeaderElectionDisabled:      opts.noLeader,
		// River's SQLite "listener" polls a notification table every 50 ms;
		// fetching every PollInterval is enough and cheaper. The
		// database/sql driver on PostgreSQL has no listener either.
		PollOnly: true,
	})
	if err != nil {
		q.closeOwnDB()
		return nil, fmt.Errorf("delivery: new queue: %w", err)
	}
	q.client = client
	return q, nil
}

// closeOwnDB closes the SQLite pool NewQueue opened for River, if any.
func (q *Queue) closeOwnDB() {
	if q.ownDB == nil {
		return
	}
	if err := q.ownDB.Close(); err != nil {
		q.log.Warn("close river's sqlite pool", "err", err)
	}
	q.ownDB = nil
}

// Start begins fetching and sending in the background. ctx only carries
// values: cancelling it does not stop the Queue (a signal context would cut
// sends in flight); call Stop.
func (q *Queue) Start(ctx context.Context) error {
	if err := q.client.Start(context.WithoutCancel(ctx)); err != nil {
		return fmt.Errorf("delivery: start: %w", err)
	}
	return nil
}

// Stop stops fetching and waits for the sends in flight. If ctx ends first,
// the sends still in flight are cancelled, their jobs go back to the queue
// (without counting an attempt) and ctx's error is returned.
func (q *Queue) Stop(ctx context.Context) error {
	err := q.client.Stop(ctx)
	if err == nil {
		q.closeOwnDB()
		return nil
	}
	defer q.closeOwnDB()
	hard, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if herr := q.client.StopAndCancel(hard); herr != nil {
		return fmt.Errorf("delivery: stop: %w", errors.Join(err, herr))
	}
	return fmt.Errorf("delivery: stop: in-flight sends cancelled: %w", err)
}

// Stats is a snapshot of the queue for metrics.
type Stats struct {
	// Depth counts jobs not finished: due, scheduled, retrying or running.
	Depth int
	// Due counts jobs that could be sent now (available or running).
	Due int
	// Running counts jobs being sent.
	Running int
	// OldestDue is how long the oldest job that could be sent now has been
	// waiting (0 when none).
	OldestDue time.Duration
	// Finished counts kept finished jobs by River state (completed, cancelled, discarded).
	Finished map[string]int
	// Outcomes counts attempt outcomes of this Queue since it was created.
	Outcomes map[Outcome]int64
}

// Stats reports queue depth, the age of the oldest due job and outcome counters.
func (q *Queue) Stats(ctx context.Context) (Stats, error) {
	counts, err := q.client.Driver().GetExecutor().JobCountByAllStates(ctx, &riverdriver.JobCountByAllStatesParams{})
	if err != nil {
		return Stats{}, fmt.Errorf("delivery: stats: %w", err)
	}
	s := Stats{Finished: map[string]int{}, Outcomes: q.Outcomes()}
	for state, n := range counts {
		switch state {
		case rivertype.JobStateCompleted, rivertype.JobStateCancelled, rivertype.JobStateDiscarded:
			s.Finished[string(state)] = n
		default:
			s.Depth += n
		}
	}
	s.Running = counts[rivertype.JobStateRunning]
	s.Due = counts[rivertype.JobStateAvailable] + s.Running
	res, err := q.client.JobList(ctx, river.NewJobListParams().Queues(queueName).
		States(rivertype.JobStateAvailable).OrderBy(river.JobListOrderByScheduledAt, river.SortOrderAsc).First(1))
	if err != nil {
		return Stats{}, fmt.Errorf("delivery: stats: oldest job: %w", err)
	}
	if len(res.Jobs) > 0 {
		s.OldestDue = max(time.Since(res.Jobs[0].ScheduledAt), 0)
	}
	return s, nil
}

// Outcomes returns this Queue's attempt outcome counters.
func (q *Queue) Outcomes() map[Outcome]int64 {
	out := map[Outcome]int64{}
	q.counts.Range(func(k, v any) bool {
		out[k.(Outcome)] = v.(*atomic.Int64).Load()
		return true
	})
	return out
}

// record counts an outcome and tells OnOutcome.
func (q *Queue) record(r Result) {
	v, _ := q.counts.LoadOrStore(r.Outcome, new(atomic.Int64))
	v.(*atomic.Int64).Add(1)
	if q.opts.OnOutcome != nil {
		q.opts.OnOutcome(r)
	}
}

// ownSQLitePool opens a one-connection pool on the store's SQLite file for
// River's own work (fetching, completing, maintenance), as River's SQLite
// driver recommends: its statements then queue in Go instead of in
// SQLite's busy handler, whose growing sleeps stall a burst when many
// connections want the one write lock. The pragmas are the store's
// (store.Open adds the same ones). It returns nil for PostgreSQL and
// in-memory databases, which keep the store's pool. Jobs are still
// completed in the store's transactions (see Queue.finish).
func ownSQLitePool(db *sql.DB, driver string) (*sql.DB, error) {
	if driver != store.DriverSQLite {
		return nil, nil
	}
	var seq int
	var name, file string
	if err := db.QueryRow("PRAGMA database_list").Scan(&seq, &name, &file); err != nil {
		return nil, fmt.Errorf("sqlite file: %w", err)
	}
	if file == "" {
		return nil, nil
	}
	own, err := sql.Open(store.DriverSQLite, "file:"+file+"?_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)&_txlock=immediate")
	if err != nil {
		return nil, err
	}
	own.SetMaxOpenConns(1)
	return own, nil
}
