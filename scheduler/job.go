package scheduler

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/anttbot/anttbot/delivery"
)

// Job is one periodic task: it works out what to send for a period and
// returns it; the scheduler queues the result, records the run in the
// ledger and never runs the same job for the same period twice.
type Job interface {
	// Name is the job's name in the configuration, the ledger and logs.
	Name() string
	// Run computes the messages of one period. It must not send or queue
	// anything itself: the scheduler does, in the transaction that records
	// the run, or prints them on a dry run.
	Run(ctx context.Context, p Period) (Result, error)
}

// planned is what the scheduler needs of its own jobs beyond Job: how a
// firing of the cron spec maps onto a period, and how an operator names one.
type planned interface {
	Job
	// plan returns the period a firing at fire (local time) acts for, false
	// when that firing has nothing to do (the nudge on the 28th of a 31-day
	// month, the phase jobs on ordinary days).
	plan(fire time.Time) (Period, bool)
	// parse reads a period named by an operator; "" is the current one
	// (documented per job).
	parse(s string, now time.Time) (Period, error)
}

// Period is what one run of a job is for.
type Period struct {
	// Key names the period in the ledger: "2025-03" for monthly jobs,
	// "2025-03-25T17:30" for the digest, the phase id for phase jobs.
	Key string
	// From and To bound the time the run covers, [From, To).
	From, To time.Time
	// Due is when the run was due by the schedule (the time of a manual run).
	Due time.Time
	// Deadline is when a missed run stops being worth sending: a run whose
	// messages would leave at or after it is dropped. Zero for manual runs.
	Deadline time.Time
	// PhaseID is the campaign phase the period belongs to, "" outside any.
	PhaseID string
}

// Result is what a run produced.
type Result struct {
	Job    string
	Period Period
	// Sends are the messages to queue, in order (per recipient the queue
	// keeps that order).
	Sends []Send
	// Note says briefly what the run found, for the log and the ledger; it
	// carries no personal data.
	Note string
	// DryRun is true when nothing was queued or recorded.
	DryRun bool
	// Took is how long the run took, from computing to queueing (not for dry runs).
	Took time.Duration
}

// Send is one queued message with a description of its recipient.
type Send struct {
	delivery.Job
	// Who names the recipient for dry runs ("Nguyễn Văn Tuấn, to_truong,
	// Thôn 1"); it is neither stored nor logged.
	Who string
}

// Errors callers test with errors.Is.
var (
	// ErrUnknownJob means RunNow was given a name no job has.
	ErrUnknownJob = errors.New("scheduler: unknown job")
	// ErrAlreadyRan means the job already ran for that period.
	ErrAlreadyRan = errors.New("scheduler: job already ran for that period")
	// ErrBadPeriod means the period given to RunNow could not be read.
	ErrBadPeriod = errors.New("scheduler: bad period")
	// ErrBusy means another replica holds the job's lock right now.
	ErrBusy = errors.New("scheduler: job is running elsewhere")
)

// Job names, equal to their keys in the [schedule] configuration section.
const (
	JobLeaderReminder = "leader_reminder"
	JobLeaderNudge    = "leader_nudge"
	JobPoliceDigest   = "police_digest"
	JobMonthlySummary = "monthly_summary"
	JobPhaseWarning   = "phase_warning"
	JobPhaseSummary   = "phase_summary"
)

// monthOf returns the calendar month containing t in loc as [from, to).
func monthOf(t time.Time, loc *time.Location) (from, to time.Time) {
	t = t.In(loc)
	from = time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, loc)
	return from, from.AddDate(0, 1, 0)
}

// monthKey is the ledger key of the month starting at from.
func monthKey(from time.Time) string { return from.Format("2006-01") }

// parseMonth reads "2025-03" as a month in loc.
func parseMonth(s string, loc *time.Location) (from, to time.Time, err error) {
	t, err := time.ParseInLocation("2006-01", s, loc)
	if err != nil {
		return time.Time{}, time.Time{}, fmt.Errorf("%w: %q is not a month like 2025-03", ErrBadPeriod, s)
	}
	from, to = monthOf(t, loc)
	return from, to, nil
}

// dayStart returns local midnight starting t's day.
func dayStart(t time.Time, loc *time.Location) time.Time {
	t = t.In(loc)
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, loc)
}

// isLastDayOfMonth reports whether t's local date is its month's last day.
func isLastDayOfMonth(t time.Time, loc *time.Location) bool {
	return dayStart(t, loc).AddDate(0, 0, 1).Day() == 1
}
