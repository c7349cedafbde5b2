package delivery

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"sync"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivertype"

	"github.com/anttbot/anttbot/bot"
	"github.com/anttbot/anttbot/store"
)

// Notification kinds used by the project's senders. Kind is free text for
// the queue (it only shows up in logs, audit records and metrics), but it
// must match kindPattern.
const (
	KindTipNew    = "tip_new"    // a new tip pushed to commune police
	KindTipStatus = "tip_status" // a status change told to the reporter
	KindReminder  = "reminder"
	KindDigest    = "digest"
	KindSummary   = "summary"
)

// Errors callers test with errors.Is.
var (
	// ErrNotInTx means Enqueue was given a Store that is not inside InTx.
	ErrNotInTx = errors.New("delivery: enqueue needs a store transaction (call it inside Store.InTx)")
	// ErrInvalidJob means a Job was rejected before touching the database.
	ErrInvalidJob = errors.New("delivery: invalid job")
)

// Recipient is who a Job goes to: a person, resolved to one of their chat
// identities when the message is sent (see Queue), or a raw chat (a group,
// or a chat not linked to a person), used as given.
type Recipient struct {
	PersonID int64  `json:"person_id,omitempty"`
	Channel  string `json:"channel,omitempty"`
	ChatID   string `json:"chat_id,omitempty"`
}

// ToPerson addresses a person by id.
func ToPerson(id int64) Recipient { return Recipient{PersonID: id} }

// ToChat addresses a raw chat on one channel.
func ToChat(channel, chatID string) Recipient { return Recipient{Channel: channel, ChatID: chatID} }

// key identifies the recipient for per-recipient ordering.
func (r Recipient) key() string {
	if r.PersonID != 0 {
		return "p:" + strconv.FormatInt(r.PersonID, 10)
	}
	return "c:" + r.Channel + ":" + r.ChatID
}

func (r Recipient) String() string {
	if r.PersonID != 0 {
		return "person " + strconv.FormatInt(r.PersonID, 10)
	}
	return "chat " + r.Channel + ":" + r.ChatID
}

func (r Recipient) validate() error {
	switch {
	case r.PersonID < 0:
		return fmt.Errorf("negative person id %d", r.PersonID)
	case r.PersonID > 0 && (r.Channel != "" || r.ChatID != ""):
		return errors.New("recipient is either a person or a chat, not both")
	case r.PersonID == 0 && (r.Channel == "" || r.ChatID == ""):
		return errors.New("recipient needs a person id, or a channel and a chat id")
	}
	return nil
}

// Job is one message the bot sends on its own initiative.
type Job struct {
	To Recipient
	// Message is sent as given, except ChatID (filled at send time from the
	// recipient) and AnswerCallbackID (dropped: a queued message answers no
	// button tap). Its text is stored in the job table until the job is
	// cleaned up (Options.Retention).
	Message bot.Message
	// Kind says what this is: KindTipNew, KindReminder, ... ([a-z0-9_], at most 40).
	Kind string
	// DedupeKey, when set, makes the job unique: a second job with the same
	// key is dropped while the first is pending, and for Options.Retention
	// after it finished (whatever the outcome). Put the recipient and the
	// period in it, e.g. "reminder:2025-03:team:12:person:5".
	DedupeKey string
	// NotBefore delays the send: the message never leaves before it (it
	// leaves at most a few seconds after). Zero means now.
	NotBefore time.Time
	// Scheduled is true for messages that do not answer something the
	// recipient just did. On Zalo they go through Options.ZaloScheduled, which
	// respects the 7-day interaction window (ZNS template outside it).
	Scheduled bool
	// Urgent jobs are fetched before the others (within one recipient, order
	// still wins: an urgent job waits for the recipient's earlier jobs).
	Urgent bool
	// TemplateData fills the Zalo ZNS template used outside the window.
	TemplateData map[string]string
	// Ref names the change that caused the job ("submission:42"); it is
	// handed back in Result so OnSent can find what to update.
	Ref string
}

// kindPattern keeps kinds usable as River tags and metric labels.
var kindPattern = regexp.MustCompile(`^[a-z0-9_]{1,40}$`)

// maxDedupeKey bounds DedupeKey: it is hashed by River, but it is also
// written to logs and the audit log.
const maxDedupeKey = 200

func (j Job) validate() error {
	if err := j.To.validate(); err != nil {
		return err
	}
	if !kindPattern.MatchString(j.Kind) {
		return fmt.Errorf("kind %q must be 1-40 characters of a-z, 0-9 and _", j.Kind)
	}
	if len(j.DedupeKey) > maxDedupeKey {
		return fmt.Errorf("dedupe key longer than %d bytes", maxDedupeKey)
	}
	m := j.Message
	if m.Text == "" && m.Photo == nil && m.Attachment == nil {
		return errors.New("message has no text, photo or attachment")
	}
	return nil
}

// River queue and job kind of every delivery.
const (
	queueName = "delivery"
	jobKind   = "anttbot_delivery"
)

// riverMaxAttempts is the max_attempts written on every job row. The worker
// applies Options.MaxAttempts itself (a Queue's setting cannot reach jobs
// inserted by Enqueue); this only keeps River's rescuer from discarding a
// job before the worker had its say.
const riverMaxAttempts = 1000

// jobArgs is the job as stored in River's args column.
type jobArgs struct {
	To           Recipient         `json:"to"`
	Message      bot.Message       `json:"message"`
	What         string            `json:"kind"`
	DedupeKey    string            `json:"dedupe_key,omitempty" river:"unique"`
	Scheduled    bool              `json:"scheduled,omitempty"`
	Urgent       bool              `json:"urgent,omitempty"`
	TemplateData map[string]string `json:"template_data,omitempty"`
	Ref          string            `json:"ref,omitempty"`
	// RK is the recipient key; jobs with the same RK are sent in (Due, id) order.
	RK string `json:"rk"`
	// Due is NotBefore, or the enqueue time, in Unix milliseconds.
	Due int64 `json:"due"`
}

// Kind implements river.JobArgs.
func (jobArgs) Kind() string { return jobKind }

func (a jobArgs) job() Job {
	return Job{To: a.To, Message: a.Message, Kind: a.What, DedupeKey: a.DedupeKey, NotBefore: time.UnixMilli(a.Due),
		Scheduled: a.Scheduled, Urgent: a.Urgent, TemplateData: a.TemplateData, Ref: a.Ref}
}

// priority maps a job onto River's priorities (1 is fetched first).
func priority(j Job) int {
	switch {
	case j.Urgent:
		return 1
	case !j.Scheduled:
		return 2
	default:
		return 3
	}
}

// uniqueStates makes a dedupe key hold while the job is pending and until
// its row is cleaned up whatever the outcome, cancelled (failed) and
// discarded included, so a failed reminder is not sent again by a rerun.
var uniqueStates = []rivertype.JobState{
	rivertype.JobStateAvailable, rivertype.JobStateCancelled, rivertype.JobStateCompleted,
	rivertype.JobStateDiscarded, rivertype.JobStatePending, rivertype.JobStateRetryable,
	rivertype.JobStateRunning, rivertype.JobStateScheduled,
}

func insertParams(j Job, now time.Time) river.InsertManyParams {
	m := j.Message
	m.ChatID = ""
	m.AnswerCallbackID, m.CallbackText = "", ""
	due := now
	if !j.NotBefore.IsZero() {
		due = j.NotBefore
	}
	args := jobArgs{To: j.To, Message: m, What: j.Kind, DedupeKey: j.DedupeKey, Scheduled: j.Scheduled,
		Urgent: j.Urgent, TemplateData: j.TemplateData, Ref: j.Ref, RK: j.To.key(), Due: due.UnixMilli()}
	opts := &river.InsertOpts{
		Queue:       queueName,
		Priority:    priority(j),
		MaxAttempts: riverMaxAttempts,
		ScheduledAt: j.NotBefore,
		// For operators: River's job list filters by tag (a kind, or a
		// recipient without writing their id in the tag).
		Tags: []string{"kind_" + j.Kind, "to_" + shortHash(args.RK)},
	}
	if j.DedupeKey != "" {
		opts.UniqueOpts = river.UniqueOpts{ByArgs: true, ByState: uniqueStates}
	}
	return river.InsertManyParams{Args: args, InsertOpts: opts}
}

func shortHash(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:8])
}

// Enqueue queues jobs in the transaction tx (a Store obtained inside
// Store.InTx), so they are committed or rolled back with the change that
// caused them. A job whose DedupeKey is already taken is skipped silently.
func Enqueue(ctx context.Context, tx *store.Store, jobs ...Job) error {
	_, err := enqueue(ctx, tx, jobs)
	return err
}

// EnqueueNow queues jobs that accompany no other change, in a transaction
// of their own.
func EnqueueNow(ctx context.Context, st *store.Store, jobs ...Job) error {
	return st.InTx(ctx, func(tx *store.Store) error { return Enqueue(ctx, tx, jobs...) })
}

// enqueue returns how many jobs were inserted (not skipped as duplicates).
func enqueue(ctx context.Context, tx *store.Store, jobs []Job) (int, error) {
	if len(jobs) == 0 {
		return 0, nil
	}
	sqlTx := tx.SQLTx()
	if sqlTx == nil {
		return 0, ErrNotInTx
	}
	now := time.Now()
	params := make([]river.InsertManyParams, 0, len(jobs))
	keys := map[string]bool{}
	for i, j := range jobs {
		if err := j.validate(); err != nil {
			return 0, fmt.Errorf("delivery: enqueue %s job %d of %d to %s: %w: %w", j.Kind, i+1, len(jobs), j.To, ErrInvalidJob, err)
		}
		if j.DedupeKey != "" {
			// River refuses a batch holding one unique key twice.
			if keys[j.DedupeKey] {
				continue
			}
			keys[j.DedupeKey] = true
		}
		params = append(params, insertParams(j, now))
	}
	c, err := inserter(tx.Driver())
	if err != nil {
		return 0, err
	}
	res, err := c.InsertManyTx(ctx, sqlTx, params)
	if err != nil {
		return 0, fmt.Errorf("delivery: enqueue %d jobs: %w", len(jobs), err)
	}
	n := 0
	for _, r := range res {
		if !r.UniqueSkippedAsDuplicate {
			n++
		}
	}
	return n, nil
}

// inserters are insert-only River clients, one per database kind. They hold
// no connection (their driver has no pool): every insert goes through the
// caller's transaction.
var inserters struct {
	once    sync.Once
	clients map[string]*river.Client[*sql.Tx]
	err     error
}

func inserter(driver string) (*river.Client[*sql.Tx], error) {
	inserters.once.Do(func() {
		inserters.clients = map[string]*river.Client[*sql.Tx]{}
		for _, d := range []string{store.DriverPostgres, store.DriverSQLite} {
			c, err := river.NewClient(riverDriver(d, nil), &river.Config{})
			if err != nil {
				inserters.err = fmt.Errorf("delivery: create %s inserter: %w", d, err)
				return
			}
			inserters.clients[d] = c
		}
	})
	if inserters.err != nil {
		return nil, inserters.err
	}
	c, ok := inserters.clients[driver]
	if !ok {
		return nil, fmt.Errorf("delivery: unknown store driver %q", driver)
	}
	return c, nil
}

// riverDriver returns River's driver for the store's database: database/sql
// on PostgreSQL (GORM's pool runs pgx's stdlib driver) and SQLite.
func riverDriver(driver string, db *sql.DB) riverDriverT {
	if driver == store.DriverSQLite {
		return riversqlite.New(db)
	}
	return riverdatabasesql.New(db)
}
