package store

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"gorm.io/gorm/clause"
)

var statuses = []string{StatusPending, StatusReceived, StatusVerified, StatusRejected}

// CreateSubmission stores a confirmed report and, when source is not empty,
// its tip source, in one transaction. It is idempotent on IdempotencyKey:
// when a submission with that key exists, it is loaded into s and created is
// false, so a double tap or a re-delivered update never makes two.
// Status defaults to pending, OccurredAt to now, and CommuneID to the commune
// of TeamID.
func (s *Store) CreateSubmission(ctx context.Context, sub *Submission, source string) (created bool, err error) {
	switch {
	case sub.IdempotencyKey == "":
		return false, fmt.Errorf("store: create submission: empty idempotency key: %w", ErrInvalid)
	case sub.Kind == "" || sub.ReporterID == 0 || sub.TeamID == 0:
		return false, fmt.Errorf("store: create submission %s: kind, reporter and team are required: %w", sub.IdempotencyKey, ErrInvalid)
	case sub.Status != "" && !slices.Contains(statuses, sub.Status):
		return false, fmt.Errorf("store: create submission %s: unknown status %q: %w", sub.IdempotencyKey, sub.Status, ErrInvalid)
	}
	if sub.Status == "" {
		sub.Status = StatusPending
	}
	if sub.OccurredAt.IsZero() {
		sub.OccurredAt = s.clock()
	}
	sub.OccurredAt = utc(sub.OccurredAt)
	sub.VerifiedAt = utcPtr(sub.VerifiedAt)
	sub.ID = 0
	err = s.tx(ctx, func(tx *Store) error {
		created = false
		if sub.CommuneID == 0 {
			c, err := tx.CommuneOf(ctx, sub.TeamID)
			if err != nil {
				return fmt.Errorf("store: create submission %s: commune of team: %w", sub.IdempotencyKey, err)
			}
			sub.CommuneID = c.ID
		}
		// ON CONFLICT DO NOTHING rather than check-then-insert: on
		// PostgreSQL a racing insert waits for the first to commit and then
		// does nothing, so exactly one row exists whoever wins.
		res := tx.q(ctx).Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "idempotency_key"}}, DoNothing: true}).Create(sub)
		if res.Error != nil {
			return fmt.Errorf("store: create submission %s: %w", sub.IdempotencyKey, res.Error)
		}
		if res.RowsAffected == 0 {
			var existing Submission
			if err := first(tx.q(ctx).Where("idempotency_key = ?", sub.IdempotencyKey), &existing); err != nil {
				return fmt.Errorf("store: create submission %s: load existing: %w", sub.IdempotencyKey, err)
			}
			*sub = existing
			return nil
		}
		created = true
		if source == "" {
			return nil
		}
		ts := TipSource{SubmissionID: sub.ID, Source: source, CreatedAt: tx.clock()}
		if err := tx.q(ctx).Create(&ts).Error; err != nil {
			return fmt.Errorf("store: create submission %s: tip source: %w", sub.IdempotencyKey, err)
		}
		return nil
	})
	if err != nil {
		return false, err
	}
	return created, nil
}

// SubmissionByID returns a submission by its reference number.
func (s *Store) SubmissionByID(ctx context.Context, id int64) (Submission, error) {
	var sub Submission
	if err := first(s.q(ctx).Where("id = ?", id), &sub); err != nil {
		return Submission{}, fmt.Errorf("store: submission %d: %w", id, err)
	}
	return sub, nil
}

// SubmissionsByReporter returns a person's submissions, newest first; limit
// <= 0 means all.
func (s *Store) SubmissionsByReporter(ctx context.Context, personID int64, limit int) ([]Submission, error) {
	var subs []Submission
	q := s.q(ctx).Where("reporter_id = ?", personID).Order("created_at DESC, id DESC")
	if limit > 0 {
		q = q.Limit(limit)
	}
	if err := q.Find(&subs).Error; err != nil {
		return nil, fmt.Errorf("store: submissions of person %d: %w", personID, err)
	}
	return subs, nil
}

// TipSourceOf returns a tip's source. Callers must have checked that the
// reader is in the tip's police chain.
func (s *Store) TipSourceOf(ctx context.Context, submissionID int64) (TipSource, error) {
	var ts TipSource
	if err := first(s.q(ctx).Where("submission_id = ?", submissionID), &ts); err != nil {
		return TipSource{}, fmt.Errorf("store: tip source of %d: %w", submissionID, err)
	}
	return ts, nil
}

// SetSubmissionStatus changes a submission's status to `to` only when its
// current status is one of from (compare-and-set), so when two officers act
// at once the first wins and the second gets false. A change to verified or
// rejected records the actor and time; rejected also keeps reason. The change
// is audited in the same transaction. ErrNotFound when id does not exist.
func (s *Store) SetSubmissionStatus(ctx context.Context, id int64, from []string, to string, actorID int64, reason string) (bool, error) {
	if !slices.Contains(statuses, to) || len(from) == 0 {
		return false, fmt.Errorf("store: set status of submission %d to %q from %v: %w", id, to, from, ErrInvalid)
	}
	changed := false
	err := s.tx(ctx, func(tx *Store) error {
		changed = false
		now := tx.clock()
		set := map[string]any{"status": to, "updated_at": now}
		if to == StatusVerified || to == StatusRejected {
			set["verified_by_id"] = idPtr(actorID)
			set["verified_at"] = now
		}
		if to == StatusRejected {
			set["reject_reason"] = reason
		}
		res := tx.q(ctx).Model(&Submission{}).Where("id = ? AND status IN ?", id, from).Updates(set)
		if res.Error != nil {
			return fmt.Errorf("store: set status of submission %d: %w", id, res.Error)
		}
		if res.RowsAffected == 0 {
			if _, err := tx.SubmissionByID(ctx, id); err != nil {
				return fmt.Errorf("store: set status: %w", err)
			}
			return nil
		}
		changed = true
		detail := strings.Join(from, "|") + " -> " + to
		if reason != "" {
			detail += ": " + reason
		}
		return tx.Audit(ctx, AuditLog{At: now, ActorID: idPtr(actorID), Action: "submission.status",
			SubjectType: "submission", SubjectID: strconv.FormatInt(id, 10), Detail: detail})
	})
	if err != nil {
		return false, err
	}
	return changed, nil
}
