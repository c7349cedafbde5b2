package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"time"
)

// WebLoginToken is a one-time sign-in link to the web console, sent to a
// person's chat. Only the hash of the token is stored.
type WebLoginToken struct {
	TokenHash string `gorm:"primaryKey"`
	PersonID  int64
	CreatedAt time.Time
	ExpiresAt time.Time
	UsedAt    *time.Time
}

// WebSession is a signed-in console session. Role and UnitID are the
// person's when it opened: a session whose person has since changed role or
// unit, or was deactivated, is no longer valid.
type WebSession struct {
	IDHash     string `gorm:"column:id_hash;primaryKey"`
	PersonID   int64
	Role       Role
	UnitID     int64
	CSRFToken  string `gorm:"column:csrf_token"`
	CreatedAt  time.Time
	LastSeenAt time.Time
	ExpiresAt  time.Time
}

// NewSecret returns 32 random bytes, URL-safe base64 encoded: a sign-in
// token, a session id, a CSRF token.
func NewSecret() string {
	var b [32]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go ≥ 1.24)
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// hashSecret is what is stored of a secret.
func hashSecret(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

// CreateWebLoginToken stores a sign-in token for personID valid until
// expires and returns the token to put in the link.
func (s *Store) CreateWebLoginToken(ctx context.Context, personID int64, expires time.Time) (string, error) {
	token := NewSecret()
	t := WebLoginToken{TokenHash: hashSecret(token), PersonID: personID, CreatedAt: s.clock(), ExpiresAt: utc(expires)}
	if err := s.q(ctx).Create(&t).Error; err != nil {
		return "", fmt.Errorf("store: create web login token for person %d: %w", personID, err)
	}
	// Old tokens are of no use to anybody: drop those that expired two days
	// before this one will (by the caller's clock, as the expiry).
	if err := s.q(ctx).Where("expires_at < ?", utc(expires).Add(-48*time.Hour)).Delete(&WebLoginToken{}).Error; err != nil {
		return "", fmt.Errorf("store: purge web login tokens: %w", err)
	}
	return token, nil
}

// UseWebLoginToken spends a sign-in token once and returns its person's id.
// A used token gives ErrInviteUsed, an expired one ErrInviteExpired, an
// unknown one ErrNotFound. Two uses at once: one wins.
func (s *Store) UseWebLoginToken(ctx context.Context, token string, now time.Time) (int64, error) {
	now = utc(now)
	h := hashSecret(token)
	res := s.q(ctx).Model(&WebLoginToken{}).Where("token_hash = ? AND used_at IS NULL AND expires_at > ?", h, now).
		Update("used_at", now)
	if res.Error != nil {
		return 0, fmt.Errorf("store: use web login token: %w", res.Error)
	}
	var t WebLoginToken
	if err := first(s.q(ctx).Where("token_hash = ?", h), &t); err != nil {
		return 0, fmt.Errorf("store: web login token: %w", err)
	}
	if res.RowsAffected == 0 {
		if t.UsedAt != nil {
			return 0, fmt.Errorf("store: web login token: %w", ErrInviteUsed)
		}
		return 0, fmt.Errorf("store: web login token: %w", ErrInviteExpired)
	}
	return t.PersonID, nil
}

// CreateWebSession opens a session for p at now lasting at most maxAge
// and returns its id (for the cookie); sess.CSRFToken is the form token.
func (s *Store) CreateWebSession(ctx context.Context, p Person, now time.Time, maxAge time.Duration) (id string, sess WebSession, err error) {
	id = NewSecret()
	now = utc(now)
	sess = WebSession{IDHash: hashSecret(id), PersonID: p.ID, Role: p.Role, UnitID: p.UnitID, CSRFToken: NewSecret(),
		CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(maxAge)}
	if err := s.q(ctx).Create(&sess).Error; err != nil {
		return "", WebSession{}, fmt.Errorf("store: create web session for person %d: %w", p.ID, err)
	}
	return id, sess, nil
}

// WebSessionByID returns the session of a cookie's id; ErrNotFound when it
// does not exist (it may have ended).
func (s *Store) WebSessionByID(ctx context.Context, id string) (WebSession, error) {
	var sess WebSession
	if err := first(s.q(ctx).Where("id_hash = ?", hashSecret(id)), &sess); err != nil {
		return WebSession{}, fmt.Errorf("store: web session: %w", err)
	}
	return sess, nil
}

// TouchWebSession records activity on a session.
func (s *Store) TouchWebSession(ctx context.Context, id string, at time.Time) error {
	if err := s.q(ctx).Model(&WebSession{}).Where("id_hash = ?", hashSecret(id)).Update("last_seen_at", utc(at)).Error; err != nil {
		return fmt.Errorf("store: touch web session: %w", err)
	}
	return nil
}

// EndWebSession deletes one session (sign-out, expiry).
func (s *Store) EndWebSession(ctx context.Context, id string) error {
	if err := s.q(ctx).Where("id_hash = ?", hashSecret(id)).Delete(&WebSession{}).Error; err != nil {
		return fmt.Errorf("store: end web session: %w", err)
	}
	return nil
}

// EndWebSessionsOf deletes every session of a person and returns how many
// there were.
func (s *Store) EndWebSessionsOf(ctx context.Context, personID int64) (int64, error) {
	res := s.q(ctx).Where("person_id = ?", personID).Delete(&WebSession{})
	if res.Error != nil {
		return 0, fmt.Errorf("store: end web sessions of person %d: %w", personID, res.Error)
	}
	return res.RowsAffected, nil
}

// ReportListFilter selects the reports of a console list (the tip inbox): Kinds
// made in UnitID's subtree, optionally only some statuses, one team, and
// those sent since a time.
type ReportListFilter struct {
	UnitID   int64
	Kinds    []string
	Statuses []string // empty: every status
	TeamID   int64    // 0: every team
	Since    time.Time
	Limit    int // default 50
	Offset   int
}

// ReportList returns the reports matching f, urgent first then newest, and how
// many match in all. The items carry no answers: a list shows references,
// kinds, teams and statuses; the text is read on the report's own page.
func (s *Store) ReportList(ctx context.Context, f ReportListFilter) ([]QueueItem, int64, error) {
	if f.UnitID == 0 || len(f.Kinds) == 0 {
		return nil, 0, fmt.Errorf("store: report list: unit and kinds are required: %w", ErrInvalid)
	}
	if f.Limit <= 0 {
		f.Limit = 50
	}
	// Made in one of the unit's teams, or in the commune itself (see
	// VerificationQueue): the UNION of two selections that each read their
	// (unit, kind, ...) index. One OR, or a subquery of the subtree, made
	// the planner filter every report of the kinds (70 ms for a commune of
	// a 500,000-report province instead of a few).
	ids, err := s.UnitSubtreeIDs(ctx, f.UnitID)
	if err != nil {
		return nil, 0, fmt.Errorf("store: report list of unit %d: %w", f.UnitID, err)
	}
	cond, cargs := "s.kind IN ?", []any{f.Kinds}
	if len(f.Statuses) > 0 {
		cond += " AND s.status IN ?"
		cargs = append(cargs, f.Statuses)
	}
	if f.TeamID != 0 {
		cond += " AND s.team_id = ?"
		cargs = append(cargs, f.TeamID)
	}
	if !f.Since.IsZero() {
		cond += " AND s.created_at >= ?"
		cargs = append(cargs, utc(f.Since))
	}
	const cols = "s.id, s.kind, s.status, s.urgent, s.reporter_id, s.team_id, s.commune_id, s.phase_id, s.occurred_at, s.created_at, s.updated_at"
	from := "(SELECT " + cols + " FROM submissions s WHERE s.team_id IN ? AND " + cond +
		" UNION SELECT " + cols + " FROM submissions s WHERE s.commune_id IN ? AND " + cond + ") s"
	args := append(append(append([]any{ids}, cargs...), ids), cargs...)
	var total int64
	if err := s.q(ctx).Raw("SELECT COUNT(*) FROM "+from, args...).Scan(&total).Error; err != nil {
		return nil, 0, fmt.Errorf("store: report list of unit %d: %w", f.UnitID, err)
	}
	if total == 0 {
		return nil, 0, nil
	}
	var subs []Submission
	err = s.q(ctx).Raw("SELECT * FROM "+from+" ORDER BY s.urgent DESC, s.created_at DESC, s.id DESC LIMIT ? OFFSET ?",
		append(args, f.Limit, f.Offset)...).Scan(&subs).Error
	if err != nil {
		return nil, 0, fmt.Errorf("store: report list of unit %d: %w", f.UnitID, err)
	}
	out, err := s.queueItems(ctx, subs)
	if err != nil {
		return nil, 0, fmt.Errorf("store: report list of unit %d: %w", f.UnitID, err)
	}
	return out, total, nil
}

// LastReports returns, per person of ids who ever reported, when their
// latest report was sent.
func (s *Store) LastReports(ctx context.Context, ids []int64) (map[int64]time.Time, error) {
	out := map[int64]time.Time{}
	if len(ids) == 0 {
		return out, nil
	}
	// The newest report has the highest id: no aggregate over times, which
	// SQLite would hand back as text.
	var last []int64
	if err := s.q(ctx).Raw("SELECT MAX(id) FROM submissions WHERE reporter_id IN ? GROUP BY reporter_id", ids).Scan(&last).Error; err != nil {
		return nil, fmt.Errorf("store: last reports: %w", err)
	}
	if len(last) == 0 {
		return out, nil
	}
	var rows []Submission
	if err := s.q(ctx).Select("id", "reporter_id", "created_at").Where("id IN ?", last).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("store: last reports: %w", err)
	}
	for _, r := range rows {
		out[r.ReporterID] = r.CreatedAt
	}
	return out, nil
}
