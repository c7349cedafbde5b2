package store

import (
	"context"
	"fmt"
)

// Audit records one action. At defaults to now. Detail must not carry tip
// text or tip sources: the audit log is readable by more people than tips.
func (s *Store) Audit(ctx context.Context, e AuditLog) error {
	if e.Action == "" {
		return fmt.Errorf("store: audit: empty action: %w", ErrInvalid)
	}
	if e.At.IsZero() {
		e.At = s.clock()
	}
	e.At = utc(e.At)
	e.ID = 0
	if err := s.q(ctx).Create(&e).Error; err != nil {
		return fmt.Errorf("store: audit %s %s/%s: %w", e.Action, e.SubjectType, e.SubjectID, err)
	}
	return nil
}

// AuditEntries returns what was recorded about one subject, oldest first.
func (s *Store) AuditEntries(ctx context.Context, subjectType, subjectID string) ([]AuditLog, error) {
	var es []AuditLog
	err := s.q(ctx).Where("subject_type = ? AND subject_id = ?", subjectType, subjectID).Order("at, id").Find(&es).Error
	if err != nil {
		return nil, fmt.Errorf("store: audit entries %s/%s: %w", subjectType, subjectID, err)
	}
	return es, nil
}
