package delivery

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/anttbot/anttbot/bot"
	"github.com/anttbot/anttbot/store"
)

// Outcome is what one attempt at a job came to.
type Outcome string

// Outcomes. Sent, Unreachable, Skipped and Failed finish the job; the others
// put it back in the queue.
const (
	// OutcomeSent: the platform accepted the message.
	OutcomeSent Outcome = "sent"
	// OutcomeUnreachable: no identity of the recipient could receive it
	// (blocked, unfollowed, outside the window, none linked). Recorded in the
	// audit log (see Unreachable); not retried.
	OutcomeUnreachable Outcome = "unreachable"
	// OutcomeSkipped: the recipient no longer exists or is inactive. Recorded; not sent.
	OutcomeSkipped Outcome = "skipped"
	// OutcomeFailed: temporary errors until MaxAttempts. Recorded and logged at error level.
	OutcomeFailed Outcome = "failed"
	// OutcomeRateLimited: the platform asked to wait (retry_after); snoozed
	// for that long, not counted as an attempt.
	OutcomeRateLimited Outcome = "rate_limited"
	// OutcomeRetry: a temporary error; retried after a back-off.
	OutcomeRetry Outcome = "retry"
	// OutcomeWaiting: an earlier job of the same recipient is not done yet;
	// snoozed, not counted as an attempt.
	OutcomeWaiting Outcome = "waiting"
)

// Audit actions written by the queue (subject "person" with the person id,
// or "chat" with "channel:chat id" for raw chats).
const (
	AuditUnreachable = "delivery.unreachable"
	AuditSkipped     = "delivery.skipped"
	AuditFailed      = "delivery.failed"
)

// Result describes one attempt at a job.
type Result struct {
	JobID int64
	// Job is the job as enqueued, except that NotBefore holds its due time
	// (NotBefore, or the enqueue time when it had none).
	Job     Job
	Outcome Outcome
	// Attempt counts the attempts at this job, this one included (1 for the first).
	Attempt int
	// Channel and ChatID are where the message went (Sent) or was last tried.
	Channel string
	ChatID  string
	// Identity is the person's identity used; nil for raw chats.
	Identity *store.Identity
	// Sent identifies the delivered message.
	Sent bot.Sent
	// Tried lists identities that refused the message in this attempt, as
	// "channel:reason", and identities skipped as already unreachable.
	Tried []string
	// Wait is how long the job was put back for (snoozes and retries).
	Wait time.Duration
	// Err is the send error for Retry and Failed.
	Err error
}

// orderWait is how long a job is put back for when an earlier job of its
// recipient is due now or being sent by another replica: about one send at
// Telegram's 1/s per chat, so the earlier job is normally done by then.
const orderWait = 500 * time.Millisecond

// worker is River's worker for delivery jobs.
type worker struct {
	river.WorkerDefaults[jobArgs]
	q *Queue
}

// Timeout bounds one job's work.
func (w *worker) Timeout(*river.Job[jobArgs]) time.Duration { return w.q.opts.SendTimeout }

// NextRetry is an exponential back-off with jitter.
func (w *worker) NextRetry(job *river.Job[jobArgs]) time.Time {
	return time.Now().Add(w.q.backoff(job.Attempt))
}

func (q *Queue) backoff(attempt int) time.Duration {
	d := q.opts.RetryBase
	for i := 1; i < attempt && d < q.opts.RetryMax; i++ {
		d *= 2
	}
	d = min(d, q.opts.RetryMax)
	jitter := time.Duration(rand.Int64N(int64(d)/5+1)) - d/10
	return d + jitter
}

// Work sends one job. See the package documentation for the rules.
func (w *worker) Work(ctx context.Context, job *river.Job[jobArgs]) error {
	q := w.q
	a := job.Args
	r := Result{JobID: job.ID, Job: a.job(), Attempt: job.Attempt}

	done := q.running.start(job.ID)
	defer done()
	wait, err := q.awaitEarlier(ctx, job)
	if err != nil {
		if ctx.Err() != nil {
			return err
		}
		return q.retry(ctx, job, r, err)
	}
	if wait > 0 {
		r.Outcome, r.Wait = OutcomeWaiting, wait
		q.record(r)
		return river.JobSnooze(wait)
	}
	if job.Attempt > q.opts.MaxAttempts {
		// Only a job whose worker died mid-send gets here (rescued by River).
		return q.fail(ctx, job, r, errors.New("delivery: attempts exhausted by interrupted sends"))
	}

	targets, tried, skip, err := q.targets(ctx, a.To)
	if err != nil {
		return q.retry(ctx, job, r, err)
	}
	r.Tried = tried
	if skip != "" {
		r.Outcome = OutcomeSkipped
		r.Tried = append(r.Tried, skip)
		return q.finish(ctx, job, r)
	}
	for _, t := range targets {
		r.Channel, r.ChatID, r.Identity = t.channel, t.chatID, t.ident
		m := a.Message
		m.ChatID = t.chatID
		sent, err := q.send(ctx, t, a, m)
		var rl *bot.RateLimitedError
		switch {
		case err == nil:
			r.Outcome, r.Sent = OutcomeSent, sent
			return q.finish(ctx, job, r)
		case ctx.Err() != nil:
			// Stopping (River puts the job back without counting the
			// attempt) or SendTimeout (a retry). The platform may or may not
			// have the message: at least once.
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				return q.retry(ctx, job, r, fmt.Errorf("send via %s timed out: %w", t.channel, err))
			}
			return fmt.Errorf("delivery: job %d: send via %s: %w", job.ID, t.channel, err)
		case errors.As(err, &rl):
			r.Outcome, r.Wait = OutcomeRateLimited, max(rl.RetryAfter, time.Second)
			q.record(r)
			q.log.Info("rate limited, snoozing", "job_id", job.ID, "kind", a.What, "channel", t.channel, "retry_after", r.Wait)
			return river.JobSnooze(r.Wait)
		case errors.Is(err, bot.ErrUnreachable):
			reason := shortReason(err)
			r.Tried = append(r.Tried, t.channel+":"+reason)
			if t.ident != nil {
				if err := q.st.MarkUnreachable(ctx, t.ident.Channel, t.ident.ExternalID, reason, q.opts.Clock()); err != nil && !errors.Is(err, store.ErrNotFound) {
					return q.retry(ctx, job, r, err)
				}
			}
			q.log.Info("identity unreachable, trying the next", "job_id", job.ID, "kind", a.What, "channel", t.channel, "reason", reason)
		default:
			return q.retry(ctx, job, r, err)
		}
	}
	r.Outcome = OutcomeUnreachable
	r.Channel, r.ChatID, r.Identity = "", "", nil
	return q.finish(ctx, job, r)
}

// target is one place a job can be sent.
type target struct {
	channel string
	chatID  string
	ident   *store.Identity // nil for a raw chat
	phone   string
}

// targets resolves a recipient. A person's identities are tried most
// recently seen first (ties broken by Options.ChannelOrder), skipping those
// already marked unreachable and those on channels this Queue lacks. skip
// is set when the person is gone or inactive.
func (q *Queue) targets(ctx context.Context, to Recipient) (ts []target, tried []string, skip string, err error) {
	if to.PersonID == 0 {
		if _, ok := q.channels[to.Channel]; !ok {
			return nil, []string{to.Channel + ":channel not configured"}, "", nil
		}
		return []target{{channel: to.Channel, chatID: to.ChatID}}, nil, "", nil
	}
	p, err := q.st.PersonByID(ctx, to.PersonID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil, "person not found", nil
	}
	if err != nil {
		return nil, nil, "", err
	}
	if !p.Active {
		return nil, nil, "person inactive", nil
	}
	ids, err := q.st.IdentitiesOf(ctx, []int64{p.ID})
	if err != nil {
		return nil, nil, "", err
	}
	slices.SortStableFunc(ids, func(a, b store.Identity) int {
		if c := b.LastSeenAt.Compare(a.LastSeenAt); c != 0 {
			return c
		}
		return cmp.Compare(q.channelRank(a.Channel), q.channelRank(b.Channel))
	})
	for i := range ids {
		id := &ids[i]
		switch {
		case q.channels[id.Channel] == nil:
			tried = append(tried, id.Channel+":channel not configured")
		case id.UnreachableAt != nil:
			tried = append(tried, id.Channel+":marked unreachable")
		default:
			ts = append(ts, target{channel: id.Channel, chatID: cmp.Or(id.ChatID, id.ExternalID), ident: id, phone: p.Phone})
		}
	}
	if len(ids) == 0 {
		tried = append(tried, "no linked chat")
	}
	return ts, tried, "", nil
}

func (q *Queue) channelRank(c string) int {
	if r, ok := q.rank[c]; ok {
		return r
	}
	return len(q.rank) + 1
}

func (q *Queue) send(ctx context.Context, t target, a jobArgs, m bot.Message) (bot.Sent, error) {
	if a.Scheduled && t.channel == bot.ChannelZalo && t.ident != nil && q.opts.ZaloScheduled != nil {
		return q.opts.ZaloScheduled(ctx, m, t.ident.LastSeenAt, t.phone, a.TemplateData)
	}
	return q.channels[t.channel].Send(ctx, m)
}

// awaitEarlier keeps a recipient's messages in order. It returns 0 when no
// earlier job of the recipient is unfinished. When the earlier job is being
// sent by this Queue it waits for it in place: a snoozed job goes to the
// back of the queue (River fetches by scheduled time), which would hold a
// chat's second message behind a whole broadcast. Otherwise it returns how
// long to snooze. At most half the workers wait in place, so one busy chat
// cannot take them all.
func (q *Queue) awaitEarlier(ctx context.Context, job *river.Job[jobArgs]) (time.Duration, error) {
	for {
		e, err := q.earlierPending(ctx, job)
		if err != nil || e == nil {
			return 0, err
		}
		wait := orderWait
		if e.State != rivertype.JobStateRunning {
			wait += max(time.Until(e.ScheduledAt), 0)
		}
		wait = min(wait, time.Minute)
		if e.State != rivertype.JobStateRunning || !q.running.waitFor(ctx, e.ID, q.opts.Workers/2, q.opts.SendTimeout/4) {
			return wait, ctx.Err()
		}
	}
}

// earlierPending returns the first unfinished job of the same recipient
// that comes before job, or nil. Earlier means a smaller (due, id):
// NotBefore (or enqueue time) first, then insertion order, so a reminder
// scheduled for tomorrow does not hold back today's tip.
func (q *Queue) earlierPending(ctx context.Context, job *river.Job[jobArgs]) (*rivertype.JobRow, error) {
	a := job.Args
	params := river.NewJobListParams().Kinds(jobKind).Queues(queueName).
		States(rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateRetryable,
			rivertype.JobStateRunning, rivertype.JobStateScheduled).
		OrderBy(river.JobListOrderByScheduledAt, river.SortOrderAsc).First(1)
	if q.st.Driver() == store.DriverPostgres {
		frag, err := json.Marshal(map[string]string{"rk": a.RK})
		if err != nil {
			return nil, err
		}
		// @> uses the GIN index River keeps on args.
		params = params.Where(`args @> @rk_frag::jsonb AND ((args->>'due')::bigint < @due OR ((args->>'due')::bigint = @due AND id < @id))`,
			river.NamedArgs{"rk_frag": string(frag), "due": a.Due, "id": job.ID})
	} else {
		params = params.Where(`json_extract(args, '$.rk') = @rk AND (json_extract(args, '$.due') < @due OR (json_extract(args, '$.due') = @due AND id < @id))`,
			river.NamedArgs{"rk": a.RK, "due": a.Due, "id": job.ID})
	}
	res, err := q.client.JobList(ctx, params)
	if err != nil {
		return nil, fmt.Errorf("delivery: job %d: look for earlier jobs: %w", job.ID, err)
	}
	if len(res.Jobs) == 0 {
		return nil, nil
	}
	return res.Jobs[0], nil
}

// runningJobs tracks the jobs this Queue is working on, so a job can wait
// for an earlier one of its recipient without leaving its place.
type runningJobs struct {
	mu      sync.Mutex
	done    map[int64]chan struct{}
	waiting int
}

// start records job id as running; the returned func marks it done.
func (r *runningJobs) start(id int64) func() {
	ch := make(chan struct{})
	r.mu.Lock()
	if r.done == nil {
		r.done = map[int64]chan struct{}{}
	}
	r.done[id] = ch
	r.mu.Unlock()
	return func() {
		r.mu.Lock()
		delete(r.done, id)
		r.mu.Unlock()
		close(ch)
	}
}

// waitFor waits up to max until job id, running here, is done, if fewer
// than limit workers are waiting already (the wait comes out of the
// waiting job's SendTimeout). It returns false without waiting when id is
// not running here or the limit is reached, and false when the wait ends
// first.
func (r *runningJobs) waitFor(ctx context.Context, id int64, limit int, max time.Duration) bool {
	r.mu.Lock()
	ch, ok := r.done[id]
	if !ok || r.waiting >= limit {
		r.mu.Unlock()
		return false
	}
	r.waiting++
	r.mu.Unlock()
	defer func() {
		r.mu.Lock()
		r.waiting--
		r.mu.Unlock()
	}()
	t := time.NewTimer(max)
	defer t.Stop()
	select {
	case <-ch:
		return true
	case <-ctx.Done():
		return false
	case <-t.C:
		return false
	}
}

// retry handles a temporary failure: back-off, or failed after MaxAttempts.
func (q *Queue) retry(ctx context.Context, job *river.Job[jobArgs], r Result, err error) error {
	if job.Attempt >= q.opts.MaxAttempts {
		return q.fail(ctx, job, r, err)
	}
	r.Outcome, r.Err, r.Wait = OutcomeRetry, err, q.backoff(job.Attempt)
	q.record(r)
	q.log.Warn("send failed, will retry", "job_id", job.ID, "kind", job.Args.What, "channel", r.Channel,
		"attempt", job.Attempt, "err", err)
	return fmt.Errorf("delivery: job %d attempt %d: %w", job.ID, job.Attempt, err)
}

// recordTimeout bounds the writes that record an outcome. They run on a
// context detached from the job's: a send that just succeeded (or a job
// that just failed) is recorded even when the job ran out of time or the
// Queue is stopping.
const recordTimeout = 10 * time.Second

// fail gives up on a job: audit, error log, and River cancels it.
func (q *Queue) fail(ctx context.Context, job *river.Job[jobArgs], r Result, err error) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), recordTimeout)
	defer cancel()
	r.Outcome, r.Err = OutcomeFailed, err
	q.record(r)
	q.log.Error("delivery failed, giving up", "job_id", job.ID, "kind", job.Args.What, "to", job.Args.To.String(),
		"channel", r.Channel, "attempt", job.Attempt, "err", err)
	if aerr := q.st.Audit(ctx, q.auditEntry(AuditFailed, job, r)); aerr != nil {
		q.log.Error("record failed delivery", "job_id", job.ID, "err", aerr)
	}
	return river.JobCancel(fmt.Errorf("delivery: job %d failed after %d attempts: %w", job.ID, job.Attempt, err))
}

// finish records a final outcome and marks the job completed in one
// transaction, with OnSent / OnUnreachable.
func (q *Queue) finish(ctx context.Context, job *river.Job[jobArgs], r Result) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), recordTimeout)
	defer cancel()
	q.record(r)
	out := map[string]any{"outcome": r.Outcome}
	if r.Channel != "" {
		out["channel"] = r.Channel
	}
	if r.Sent.MessageID != "" {
		out["message_id"] = r.Sent.MessageID
	}
	if len(r.Tried) > 0 {
		out["tried"] = r.Tried
	}
	if err := river.RecordOutput(ctx, out); err != nil {
		q.log.Warn("record job output", "job_id", job.ID, "err", err)
	}
	var hook func(context.Context, *store.Store, Result) error
	switch r.Outcome {
	case OutcomeSent:
		hook = q.opts.OnSent
	case OutcomeUnreachable:
		hook = q.opts.OnUnreachable
	}
	complete := func(withHook bool) error {
		unlock := q.lockSQLiteWrite()
		defer unlock()
		return q.st.InTx(ctx, func(tx *store.Store) error {
			switch r.Outcome {
			case OutcomeUnreachable:
				if err := tx.Audit(ctx, q.auditEntry(AuditUnreachable, job, r)); err != nil {
					return err
				}
			case OutcomeSkipped:
				if err := tx.Audit(ctx, q.auditEntry(AuditSkipped, job, r)); err != nil {
					return err
				}
			}
			if withHook && hook != nil {
				if err := hook(ctx, tx, r); err != nil {
					return &hookError{err}
				}
			}
			if _, err := river.JobCompleteTx[riverDriverT](ctx, tx.SQLTx(), job); err != nil {
				return fmt.Errorf("complete job: %w", err)
			}
			return nil
		})
	}
	err := complete(true)
	var he *hookError
	if errors.As(err, &he) {
		q.log.Error("delivery hook failed; job completed without it", "job_id", job.ID, "kind", job.Args.What,
			"outcome", r.Outcome, "err", he.err)
		err = complete(false)
	}
	if err == nil {
		q.log.Debug("job finished", "job_id", job.ID, "kind", job.Args.What, "outcome", r.Outcome, "channel", r.Channel)
		return nil
	}
	if r.Outcome == OutcomeSent {
		// The message is out: returning an error would send it again. River
		// marks the job completed on its own when Work returns nil.
		q.log.Error("record sent delivery", "job_id", job.ID, "kind", job.Args.What, "err", err)
		return nil
	}
	// Nothing was sent: run the job again rather than lose the record.
	return fmt.Errorf("delivery: job %d: record %s: %w", job.ID, r.Outcome, err)
}

// lockSQLiteWrite serialises this Queue's write transactions on SQLite.
// SQLite has one writer: workers left to queue on busy_timeout sleep in
// its busy handler's growing steps (up to 100 ms each) and throughput
// collapses under a burst; waiting on a mutex keeps the writer busy.
func (q *Queue) lockSQLiteWrite() (unlock func()) {
	if q.st.Driver() != store.DriverSQLite {
		return func() {}
	}
	q.sqliteWrite.Lock()
	return q.sqliteWrite.Unlock
}

type hookError struct{ err error }

func (e *hookError) Error() string { return "delivery hook: " + e.err.Error() }
func (e *hookError) Unwrap() error { return e.err }

// auditEntry describes a job without its message text: the audit log is
// readable by more people than tips.
func (q *Queue) auditEntry(action string, job *river.Job[jobArgs], r Result) store.AuditLog {
	a := job.Args
	e := store.AuditLog{At: q.opts.Clock(), Action: action}
	if a.To.PersonID != 0 {
		e.SubjectType, e.SubjectID = "person", strconv.FormatInt(a.To.PersonID, 10)
	} else {
		e.SubjectType, e.SubjectID = "chat", a.To.Channel+":"+a.To.ChatID
	}
	d := auditDetail{Kind: a.What, Ref: a.Ref, Job: job.ID, Attempt: job.Attempt, Tried: r.Tried}
	if r.Err != nil {
		d.Error = shortReason(r.Err)
	}
	b, err := json.Marshal(d)
	if err != nil {
		q.log.Warn("encode audit detail", "job_id", job.ID, "err", err)
	}
	e.Detail = string(b)
	return e
}

// auditDetail is the Detail of the queue's audit entries, as JSON.
type auditDetail struct {
	Kind    string   `json:"kind"`
	Ref     string   `json:"ref,omitempty"`
	Job     int64    `json:"job"`
	Attempt int      `json:"attempt,omitempty"`
	Tried   []string `json:"tried,omitempty"`
	Error   string   `json:"error,omitempty"`
}

// shortReason keeps an error short enough for an identity's reason column
// and an audit line.
func shortReason(err error) string {
	s := strings.TrimSpace(err.Error())
	if len(s) > 160 {
		s = s[:160]
		for len(s) > 0 && !utf8.ValidString(s) {
			s = s[:len(s)-1]
		}
	}
	return s
}
