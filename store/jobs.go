package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm/clause"
)

// JobRun is one run of a scheduled job for one period, in the run ledger
// (table job_runs). (Job, Period) is unique: the scheduler writes the row in
// the transaction that queues the run's messages, so a period's messages are
// queued once however many replicas try.
type JobRun struct {
	ID int64
	// Job is the scheduler job's name ("leader_reminder", ...).
	Job string
	// Period is the key of the period the run was for ("2025-03", "dot1", ...).
	Period string
	// DueAt is when the run was due by the job's schedule.
	DueAt time.Time
	// PeriodFrom and PeriodTo bound the time the run covered, [from, to).
	PeriodFrom time.Time
	PeriodTo   time.Time
	// Sent is how many messages the run queued.
	Sent int
	// Note says briefly what the run found ("2 teams at zero"); no personal data.
	Note string
	// Owner is the replica that ran it.
	Owner      string
	StartedAt  time.Time
	FinishedAt time.Time
}

// RecordJobRun inserts r into the run ledger and reports whether it did:
// false means a run of r.Job for r.Period is already recorded (by another
// replica, or earlier). Call it inside InTx together with the run's
// deliveries and roll back when it returns false. r.ID is set on insert.
func (s *Store) RecordJobRun(ctx context.Context, r *JobRun) (bool, error) {
	if strings.TrimSpace(r.Job) == "" || strings.TrimSpace(r.Period) == "" {
		return false, fmt.Errorf("store: record job run: job and period are required: %w", ErrInvalid)
	}
	now := s.clock()
	if r.StartedAt.IsZero() {
		r.StartedAt = now
	}
	if r.FinishedAt.IsZero() {
		r.FinishedAt = now
	}
	r.DueAt, r.PeriodFrom, r.PeriodTo = utc(r.DueAt), utc(r.PeriodFrom), utc(r.PeriodTo)
	r.StartedAt, r.FinishedAt = utc(r.StartedAt), utc(r.FinishedAt)
	r.ID = 0
	res := s.q(ctx).Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "job"}, {Name: "period"}}, DoNothing: true}).Create(r)
	if res.Error != nil {
		return false, fmt.Errorf("store: record job run %s/%s: %w", r.Job, r.Period, res.Error)
	}
	return res.RowsAffected == 1, nil
}

// JobRunOf returns the recorded run of job for period, ErrNotFound when
// there is none.
func (s *Store) JobRunOf(ctx context.Context, job, period string) (JobRun, error) {
	var r JobRun
	if err := first(s.q(ctx).Where("job = ? AND period = ?", job, period), &r); err != nil {
		return JobRun{}, fmt.Errorf("store: job run %s/%s: %w", job, period, err)
	}
	return r, nil
}

// LastJobRun returns the job's run that was due last, strictly before
// before (the zero time: the last of all); ErrNotFound when none.
func (s *Store) LastJobRun(ctx context.Context, job string, before time.Time) (JobRun, error) {
	q := s.q(ctx).Where("job = ?", job)
	if !before.IsZero() {
		q = q.Where("due_at < ?", utc(before))
	}
	var r JobRun
	if err := first(q.Order("due_at DESC, id DESC").Limit(1), &r); err != nil {
		return JobRun{}, fmt.Errorf("store: last run of job %s: %w", job, err)
	}
	return r, nil
}

// JobRuns returns the job's runs due in [from, to), oldest first.
func (s *Store) JobRuns(ctx context.Context, job string, from, to time.Time) ([]JobRun, error) {
	var rs []JobRun
	err := s.q(ctx).Where("job = ? AND due_at >= ? AND due_at < ?", job, utc(from), utc(to)).
		Order("due_at, id").Find(&rs).Error
	if err != nil {
		return nil, fmt.Errorf("store: runs of job %s: %w", job, err)
	}
	return rs, nil
}
