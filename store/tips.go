package store

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm/clause"
)

// Reasons a tip was escalated.
const (
	EscalationTimeout   = "timeout"    // nobody acted on it in time
	EscalationNoOfficer = "no_officer" // nobody could be reached at the level below
)

// TipMessage is a tip pushed to one officer's chat, kept so the message can
// be edited when somebody acts on the tip.
type TipMessage struct {
	ID           int64
	SubmissionID int64
	PersonID     int64
	// Level is the police level the officer was reached at.
	Level     Level
	Channel   string
	ChatID    string
	MessageID string
	SentAt    time.Time
}

// TipEscalation records that a tip was pushed up to a level; one per tip and level.
type TipEscalation struct {
	SubmissionID int64 `gorm:"primaryKey;autoIncrement:false"`
	Level        Level `gorm:"primaryKey"`
	Reason       string
	// Officers is how many officers the tip was pushed to at that level.
	Officers int
	At       time.Time
}

// TipQuestion is a follow-up question police asked a tip's reporter, with
// the answer once given. The text is as sensitive as the tip.
type TipQuestion struct {
	ID           int64
	SubmissionID int64
	AskerID      int64
	Question     string
	AskedAt      time.Time
	Answer       string
	AnsweredAt   *time.Time
}

// RecordTipMessage remembers a pushed tip message; recording it again is a no-op.
func (s *Store) RecordTipMessage(ctx context.Context, m TipMessage) error {
	if m.SubmissionID == 0 || m.PersonID == 0 || m.Channel == "" || m.MessageID == "" {
		return fmt.Errorf("store: record tip message: submission, person, channel and message id are required: %w", ErrInvalid)
	}
	if m.SentAt.IsZero() {
		m.SentAt = s.clock()
	}
	m.SentAt = utc(m.SentAt)
	m.ID = 0
	err := s.q(ctx).Clauses(clause.OnConflict{DoNothing: true}).Create(&m).Error
	if err != nil {
		return fmt.Errorf("store: record tip message of %d: %w", m.SubmissionID, err)
	}
	return nil
}

// TipMessages returns the messages a tip was pushed as, in sending order.
func (s *Store) TipMessages(ctx context.Context, submissionID int64) ([]TipMessage, error) {
	var ms []TipMessage
	if err := s.q(ctx).Where("submission_id = ?", submissionID).Order("id").Find(&ms).Error; err != nil {
		return nil, fmt.Errorf("store: tip messages of %d: %w", submissionID, err)
	}
	return ms, nil
}

// AddTipEscalation records an escalation once: it returns false when the
// tip was already escalated to that level (by another replica, say), and
// the caller must then not push it again.
func (s *Store) AddTipEscalation(ctx context.Context, e TipEscalation) (bool, error) {
	if e.SubmissionID == 0 || (e.Level != LevelDistrict && e.Level != LevelProvince) ||
		(e.Reason != EscalationTimeout && e.Reason != EscalationNoOfficer) {
		return false, fmt.Errorf("store: add tip escalation %+v: %w", e, ErrInvalid)
	}
	if e.At.IsZero() {
		e.At = s.clock()
	}
	e.At = utc(e.At)
	res := s.q(ctx).Clauses(clause.OnConflict{DoNothing: true}).Create(&e)
	if res.Error != nil {
		return false, fmt.Errorf("store: add tip escalation of %d to %s: %w", e.SubmissionID, e.Level, res.Error)
	}
	return res.RowsAffected == 1, nil
}

// TipEscalations returns a tip's escalations, oldest first.
func (s *Store) TipEscalations(ctx context.Context, submissionID int64) ([]TipEscalation, error) {
	var es []TipEscalation
	if err := s.q(ctx).Where("submission_id = ?", submissionID).Order("at, level").Find(&es).Error; err != nil {
		return nil, fmt.Errorf("store: tip escalations of %d: %w", submissionID, err)
	}
	return es, nil
}

// PendingTips returns the submissions of the given kinds still pending
// (nobody acted on them) that were created at or before createdBefore and
// have not been escalated to the province yet, oldest first, at most limit.
func (s *Store) PendingTips(ctx context.Context, kinds []string, createdBefore time.Time, limit int) ([]Submission, error) {
	if len(kinds) == 0 {
		return nil, nil
	}
	var subs []Submission
	q := s.q(ctx).Where("kind IN ? AND status = ? AND created_at <= ?", kinds, StatusPending, utc(createdBefore)).
		Where("NOT EXISTS (SELECT 1 FROM tip_escalations e WHERE e.submission_id = submissions.id AND e.level = ?)", LevelProvince).
		Order("created_at, id")
	if limit > 0 {
		q = q.Limit(limit)
	}
	if err := q.Find(&subs).Error; err != nil {
		return nil, fmt.Errorf("store: pending tips: %w", err)
	}
	return subs, nil
}

// AddTipQuestion stores a question police ask about a tip and sets its ID.
func (s *Store) AddTipQuestion(ctx context.Context, q *TipQuestion) error {
	q.Question = strings.TrimSpace(nfc(q.Question))
	if q.SubmissionID == 0 || q.AskerID == 0 || q.Question == "" {
		return fmt.Errorf("store: add tip question: submission, asker and text are required: %w", ErrInvalid)
	}
	if q.AskedAt.IsZero() {
		q.AskedAt = s.clock()
	}
	q.AskedAt = utc(q.AskedAt)
	q.ID, q.Answer, q.AnsweredAt = 0, "", nil
	if err := s.q(ctx).Create(q).Error; err != nil {
		return fmt.Errorf("store: add tip question to %d: %w", q.SubmissionID, err)
	}
	return nil
}

// TipQuestionByID returns one question.
func (s *Store) TipQuestionByID(ctx context.Context, id int64) (TipQuestion, error) {
	var q TipQuestion
	if err := first(s.q(ctx).Where("id = ?", id), &q); err != nil {
		return TipQuestion{}, fmt.Errorf("store: tip question %d: %w", id, err)
	}
	return q, nil
}

// TipQuestions returns the questions about a tip, oldest first.
func (s *Store) TipQuestions(ctx context.Context, submissionID int64) ([]TipQuestion, error) {
	var qs []TipQuestion
	if err := s.q(ctx).Where("submission_id = ?", submissionID).Order("asked_at, id").Find(&qs).Error; err != nil {
		return nil, fmt.Errorf("store: tip questions of %d: %w", submissionID, err)
	}
	return qs, nil
}

// OpenTipQuestion returns the newest unanswered question asked since since
// about a tip reporterID sent; ErrNotFound when there is none.
func (s *Store) OpenTipQuestion(ctx context.Context, reporterID int64, since time.Time) (TipQuestion, error) {
	var q TipQuestion
	err := first(s.q(ctx).Model(&TipQuestion{}).
		Where("answered_at IS NULL AND asked_at >= ?", utc(since)).
		Where("submission_id IN (SELECT id FROM submissions WHERE reporter_id = ?)", reporterID).
		Order("asked_at DESC, id DESC").Limit(1), &q)
	if err != nil {
		return TipQuestion{}, fmt.Errorf("store: open tip question of person %d: %w", reporterID, err)
	}
	return q, nil
}

// AnswerTipQuestion stores the answer to a question once: false when it was
// already answered (the first answer stays).
func (s *Store) AnswerTipQuestion(ctx context.Context, id int64, answer string, at time.Time) (bool, error) {
	answer = strings.TrimSpace(nfc(answer))
	if answer == "" {
		return false, fmt.Errorf("store: answer tip question %d: empty answer: %w", id, ErrInvalid)
	}
	res := s.q(ctx).Model(&TipQuestion{}).Where("id = ? AND answered_at IS NULL", id).
		Updates(map[string]any{"answer": answer, "answered_at": utc(at)})
	if res.Error != nil {
		return false, fmt.Errorf("store: answer tip question %d: %w", id, res.Error)
	}
	if res.RowsAffected == 0 {
		if _, err := s.TipQuestionByID(ctx, id); err != nil {
			return false, fmt.Errorf("store: answer: %w", err)
		}
		return false, nil
	}
	return true, nil
}

// SetRejectReason adds the reason to a rejection after the fact (the
// officer rejects first, so the first officer wins, and types why next).
// Only the officer who rejected may, and only once; false otherwise. The
// change is audited in the same transaction.
func (s *Store) SetRejectReason(ctx context.Context, submissionID, actorID int64, reason string) (bool, error) {
	reason = strings.TrimSpace(nfc(reason))
	if reason == "" || actorID == 0 {
		return false, fmt.Errorf("store: set reject reason of %d: empty reason or actor: %w", submissionID, ErrInvalid)
	}
	changed := false
	err := s.tx(ctx, func(tx *Store) error {
		changed = false
		now := tx.clock()
		res := tx.q(ctx).Model(&Submission{}).
			Where("id = ? AND status = ? AND verified_by_id = ? AND reject_reason = ''", submissionID, StatusRejected, actorID).
			Updates(map[string]any{"reject_reason": reason, "updated_at": now})
		if res.Error != nil {
			return fmt.Errorf("store: set reject reason of %d: %w", submissionID, res.Error)
		}
		if res.RowsAffected == 0 {
			return nil
		}
		changed = true
		return tx.Audit(ctx, AuditLog{At: now, ActorID: idPtr(actorID), Action: "submission.reject_reason",
			SubjectType: "submission", SubjectID: strconv.FormatInt(submissionID, 10)})
	})
	if err != nil {
		return false, err
	}
	return changed, nil
}
