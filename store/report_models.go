package store

import (
	"context"
	"fmt"
	"strconv"
	"time"
)

// MarkRecognised records that the police recognised a reported model (kind
// "model") as recognised by Ban Chỉ đạo 138 or police at district level or
// above. A report still pending or received becomes verified, since the
// police have now looked at it; a rejected one cannot be recognised
// (ErrInvalid). Marking it again changes nothing. Both changes are audited.
func (s *Store) MarkRecognised(ctx context.Context, submissionID, actorID int64, at time.Time) error {
	return s.tx(ctx, func(tx *Store) error {
		sub, err := tx.SubmissionByID(ctx, submissionID)
		if err != nil {
			return fmt.Errorf("store: mark recognised: %w", err)
		}
		if sub.Status == StatusRejected {
			return fmt.Errorf("store: mark submission %d recognised: it was rejected: %w", submissionID, ErrInvalid)
		}
		var done struct{ N int64 }
		if err := tx.q(ctx).Raw("SELECT COUNT(*) AS n FROM submissions WHERE id = ? AND recognised_at IS NOT NULL", submissionID).Scan(&done).Error; err != nil {
			return fmt.Errorf("store: mark submission %d recognised: %w", submissionID, err)
		}
		if done.N > 0 {
			return nil
		}
		if sub.Status != StatusVerified {
			if _, err := tx.SetSubmissionStatus(ctx, submissionID, []string{StatusPending, StatusReceived}, StatusVerified, actorID, ""); err != nil {
				return err
			}
		}
		key := ""
		if name, ok := sub.Answers["model_name"].(string); ok {
			key = slug(name)
		}
		if key == "" {
			// Nothing to tell two reports of the same model apart by: count
			// this one on its own.
			key = "submission-" + strconv.FormatInt(submissionID, 10)
		}
		res := tx.q(ctx).Exec("UPDATE submissions SET recognised_at = ?, recognised_by_id = ?, recognised_key = ?, updated_at = ? WHERE id = ?",
			utc(at), idPtr(actorID), key, tx.clock(), submissionID)
		if res.Error != nil {
			return fmt.Errorf("store: mark submission %d recognised: %w", submissionID, res.Error)
		}
		return tx.Audit(ctx, AuditLog{ActorID: idPtr(actorID), Action: "submission.recognised", SubjectType: "submission",
			SubjectID: strconv.FormatInt(submissionID, 10), Detail: "model " + key})
	})
}

// RecognisedAt returns when a submission was marked recognised, nil when it
// was not.
func (s *Store) RecognisedAt(ctx context.Context, submissionID int64) (*time.Time, error) {
	var row struct{ RecognisedAt *time.Time }
	res := s.q(ctx).Raw("SELECT recognised_at FROM submissions WHERE id = ?", submissionID).Scan(&row)
	if res.Error != nil {
		return nil, fmt.Errorf("store: recognition of submission %d: %w", submissionID, res.Error)
	}
	if res.RowsAffected == 0 {
		return nil, fmt.Errorf("store: recognition of submission %d: %w", submissionID, ErrNotFound)
	}
	return row.RecognisedAt, nil
}
