package zalo

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/anttbot/anttbot/bot"
)

// TokenPair is the OA token state shared by every replica. Lease* mark a
// refresh in progress, so that only one replica spends the single-use
// refresh token.
type TokenPair struct {
	AccessToken  string    `json:"access_token,omitempty"`
	RefreshToken string    `json:"refresh_token,omitempty"`
	ExpiresAt    time.Time `json:"expires_at,omitzero"`
	LeaseOwner   string    `json:"lease_owner,omitempty"`
	LeaseUntil   time.Time `json:"lease_until,omitzero"`
}

// IsZero reports whether the pair is empty (nothing stored yet).
func (p TokenPair) IsZero() bool { return p.Equal(TokenPair{}) }

// Equal compares every field; stores use it (or byte-equal JSON, which agrees
// because the manager writes only UTC times truncated to the second).
func (p TokenPair) Equal(q TokenPair) bool {
	return p.AccessToken == q.AccessToken && p.RefreshToken == q.RefreshToken &&
		p.ExpiresAt.Equal(q.ExpiresAt) && p.LeaseOwner == q.LeaseOwner && p.LeaseUntil.Equal(q.LeaseUntil)
}

// String keeps tokens out of logs and error messages.
func (p TokenPair) String() string {
	return fmt.Sprintf("TokenPair{access:%s refresh:%s expires_at:%s lease_owner:%q}",
		redact(p.AccessToken), redact(p.RefreshToken), p.ExpiresAt.Format(time.RFC3339), p.LeaseOwner)
}

// LogValue keeps tokens out of slog output.
func (p TokenPair) LogValue() slog.Value { return slog.StringValue(p.String()) }

func redact(s string) string {
	if s == "" {
		return `""`
	}
	return "***"
}

// TokenStore keeps the token pair durably, shared by every replica (the lead
// backs it with the store's KV compare-and-set).
type TokenStore interface {
	// Load returns the stored pair, or the zero TokenPair and nil when nothing is stored.
	Load(ctx context.Context) (TokenPair, error)
	// CompareAndSwap stores new only if the stored pair still equals old (the
	// zero pair meaning "nothing stored"); swapped is false otherwise.
	CompareAndSwap(ctx context.Context, old, new TokenPair) (swapped bool, err error)
}

// MemoryTokenStore is a TokenStore in process memory, for tests and a single replica.
type MemoryTokenStore struct {
	mu sync.Mutex
	p  TokenPair
}

// NewMemoryTokenStore returns a store holding initial (may be zero).
func NewMemoryTokenStore(initial TokenPair) *MemoryTokenStore { return &MemoryTokenStore{p: initial} }

// Load implements TokenStore.
func (s *MemoryTokenStore) Load(context.Context) (TokenPair, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.p, nil
}

// CompareAndSwap implements TokenStore.
func (s *MemoryTokenStore) CompareAndSwap(_ context.Context, old, new TokenPair) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.p.Equal(old) {
		return false, nil
	}
	s.p = new
	return true, nil
}

// ErrNoRefreshToken means neither the store nor the configuration holds a refresh token.
var ErrNoRefreshToken = errors.New("zalo: no refresh token: set [zalo] refresh_token once (from the OA authorisation)")

type tokenConfig struct {
	appID, appSecret, oauthURL, bootstrap string
}

// TokenManager hands out a valid OA access token: it loads the pair from the
// TokenStore (a restart never loses it), refreshes it ahead of expiry or when
// Zalo rejects it, stores each rotation before using it, and lets only one
// replica at a time spend the refresh token.
type TokenManager struct {
	cfg    tokenConfig
	store  TokenStore
	client *http.Client
	log    *slog.Logger
	now    func() time.Time
	owner  string // identifies this process in a lease

	refreshBefore time.Duration // refresh when less than this is left
	leaseTTL      time.Duration // how long another replica waits for us before taking over
	pollEvery     time.Duration // how often a waiting replica looks at the store

	mu          sync.Mutex // guards cached and failedUntil
	cached      TokenPair
	failedUntil time.Time // after a failed refresh, keep using a still-valid token until then

	refreshMu sync.Mutex // one refresh at a time in this process; guards pending
	pending   *TokenPair // refreshed but not yet stored: the only copy of the new refresh token
}

func newTokenManager(cfg tokenConfig, store TokenStore, client *http.Client, log *slog.Logger, now func() time.Time) *TokenManager {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return &TokenManager{
		cfg: cfg, store: store, client: client, log: log, now: now,
		owner:         hex.EncodeToString(b[:]),
		refreshBefore: time.Hour,
		leaseTTL:      30 * time.Second,
		pollEvery:     50 * time.Millisecond,
	}
}

// Token returns an access token that is valid now, refreshing it first when
// less than an hour is left.
func (m *TokenManager) Token(ctx context.Context) (string, error) {
	m.mu.Lock()
	c, failedUntil := m.cached, m.failedUntil
	m.mu.Unlock()
	if m.usable(c, "") || (m.now().Before(failedUntil) && m.valid(c)) {
		return c.AccessToken, nil
	}
	p, err := m.obtain(ctx, "")
	if err != nil {
		return "", err
	}
	return p.AccessToken, nil
}

// replace returns a token other than bad, which Zalo rejected (-216, -220, -124).
func (m *TokenManager) replace(ctx context.Context, bad string) (string, error) {
	p, err := m.obtain(ctx, bad)
	if err != nil {
		return "", err
	}
	return p.AccessToken, nil
}

// Run keeps the tokens fresh while the bot is idle, so the refresh token
// (3-month life) never dies unused; it returns when ctx ends.
func (m *TokenManager) Run(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if _, err := m.Token(ctx); err != nil && ctx.Err() == nil {
			m.log.Error("zalo token upkeep failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// usable says whether p can be used without refreshing. bad is a token Zalo
// rejected: any other token in the store is newer (another replica refreshed).
func (m *TokenManager) usable(p TokenPair, bad string) bool {
	if p.AccessToken == "" || p.AccessToken == bad {
		return false
	}
	left := p.ExpiresAt.Sub(m.now())
	if bad != "" {
		return left > 0
	}
	return left > m.refreshBefore
}

// valid says whether p's access token has not expired yet (with a minute to spare).
func (m *TokenManager) valid(p TokenPair) bool {
	return p.AccessToken != "" && m.now().Add(time.Minute).Before(p.ExpiresAt)
}

func (m *TokenManager) setCached(p TokenPair) {
	m.mu.Lock()
	m.cached = p
	m.failedUntil = time.Time{}
	m.mu.Unlock()
}

// obtain returns a usable pair, refreshing it if needed.
func (m *TokenManager) obtain(ctx context.Context, bad string) (TokenPair, error) {
	m.refreshMu.Lock()
	defer m.refreshMu.Unlock()

	m.mu.Lock()
	c := m.cached
	m.mu.Unlock()
	if m.usable(c, bad) {
		return c, nil // another goroutine refreshed while we waited
	}
	if m.pending != nil {
		p := *m.pending
		if err := m.persist(ctx, TokenPair{}, p); err != nil {
			return TokenPair{}, fmt.Errorf("zalo: store refreshed token: %w", err)
		}
		m.pending = nil
		m.setCached(p)
		if m.usable(p, bad) {
			return p, nil
		}
	}
	for {
		cur, err := m.store.Load(ctx)
		if err != nil {
			return TokenPair{}, fmt.Errorf("zalo: load token: %w", err)
		}
		if cur.AccessToken == "" && cur.RefreshToken == "" {
			if m.cfg.bootstrap == "" {
				return TokenPair{}, ErrNoRefreshToken
			}
			m.log.Info("seeding the token store from the configured refresh token")
			if _, err := m.store.CompareAndSwap(ctx, cur, TokenPair{RefreshToken: m.cfg.bootstrap}); err != nil {
				return TokenPair{}, fmt.Errorf("zalo: seed token store: %w", err)
			}
			continue
		}
		if m.usable(cur, bad) {
			m.setCached(cur)
			return cur, nil
		}
		now := m.now()
		if cur.LeaseOwner != "" && cur.LeaseOwner != m.owner && now.Before(cur.LeaseUntil) {
			// Another replica is spending the refresh token: wait for its result.
			select {
			case <-ctx.Done():
				return TokenPair{}, fmt.Errorf("zalo: wait for token refresh by another replica: %w", ctx.Err())
			case <-time.After(m.pollEvery):
			}
			continue
		}
		leased := cur
		leased.LeaseOwner = m.owner
		leased.LeaseUntil = now.Add(m.leaseTTL).UTC().Truncate(time.Second)
		ok, err := m.store.CompareAndSwap(ctx, cur, leased)
		if err != nil {
			return TokenPair{}, fmt.Errorf("zalo: take token refresh lease: %w", err)
		}
		if !ok {
			continue // somebody changed it: look again
		}
		fresh, err := m.exchange(ctx, leased.RefreshToken)
		if err != nil {
			released := leased
			released.LeaseOwner, released.LeaseUntil = "", time.Time{}
			if _, rerr := m.store.CompareAndSwap(ctx, leased, released); rerr != nil {
				m.log.Warn("release token refresh lease", "err", rerr)
			}
			m.log.Error("zalo token refresh failed; if this persists an OA admin must authorise the app again", "err", err)
			if bad == "" && m.valid(cur) {
				// The current token still works: use it and try again in a minute.
				m.mu.Lock()
				m.cached, m.failedUntil = released, now.Add(time.Minute)
				m.mu.Unlock()
				return released, nil
			}
			return TokenPair{}, err
		}
		if err := m.persist(ctx, leased, fresh); err != nil {
			// The old refresh token is spent: keep the only copy of the new one
			// and store it before anything else next time.
			m.pending = &fresh
			m.log.Error("zalo: refreshed token could not be stored; it is kept in memory and retried", "err", err)
			return TokenPair{}, fmt.Errorf("zalo: store refreshed token: %w", err)
		}
		m.setCached(fresh)
		m.log.Info("zalo access token refreshed", "expires_at", fresh.ExpiresAt)
		return fresh, nil
	}
}

// persist writes p over old; if the store moved on (our lease ran out), p
// still wins: its refresh token is the only one Zalo will accept now.
func (m *TokenManager) persist(ctx context.Context, old, p TokenPair) error {
	var lastErr error
	for i := 0; i < 5; i++ {
		if i > 0 {
			cur, err := m.store.Load(ctx)
			if err != nil {
				lastErr = err
				if werr := sleepCtx(ctx, time.Duration(i)*100*time.Millisecond); werr != nil {
					return werr
				}
				continue
			}
			if cur.Equal(p) {
				return nil
			}
			old = cur
		}
		ok, err := m.store.CompareAndSwap(ctx, old, p)
		if err == nil && ok {
			return nil
		}
		if err != nil {
			lastErr = err
		} else {
			lastErr = errors.New("store changed during refresh")
		}
	}
	return lastErr
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d):
		return nil
	}
}

// exchange spends refreshToken at the OAuth endpoint for a new pair.
func (m *TokenManager) exchange(ctx context.Context, refreshToken string) (TokenPair, error) {
	form := url.Values{
		"refresh_token": {refreshToken},
		"app_id":        {m.cfg.appID},
		"grant_type":    {"refresh_token"},
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, m.cfg.oauthURL+"/v4/oa/access_token", strings.NewReader(form.Encode()))
	if err != nil {
		return TokenPair{}, fmt.Errorf("zalo: refresh token: build request: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header["secret_key"] = []string{m.cfg.appSecret}
	resp, err := m.client.Do(req)
	if err != nil {
		return TokenPair{}, fmt.Errorf("zalo: refresh token: %w: %w", bot.ErrTemporary, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if err != nil {
		return TokenPair{}, fmt.Errorf("zalo: refresh token: read: %w: %w", bot.ErrTemporary, err)
	}
	if resp.StatusCode >= 500 {
		return TokenPair{}, fmt.Errorf("zalo: refresh token: http %d: %w", resp.StatusCode, bot.ErrTemporary)
	}
	var out struct {
		AccessToken      string     `json:"access_token"`
		RefreshToken     string     `json:"refresh_token"`
		ExpiresIn        flexString `json:"expires_in"`
		Error            int        `json:"error"`
		ErrorName        string     `json:"error_name"`
		ErrorDescription string     `json:"error_description"`
		Message          string     `json:"message"`
	}
	if err := json.Unmarshal(raw, &out); err != nil {
		return TokenPair{}, fmt.Errorf("zalo: refresh token: http %d: decode: %w", resp.StatusCode, err)
	}
	if out.AccessToken == "" || out.RefreshToken == "" {
		msg := strings.TrimSpace(strings.Join([]string{out.ErrorName, out.ErrorDescription, out.Message}, " "))
		return TokenPair{}, fmt.Errorf("zalo: refresh token: %w", &APIError{API: apiOAuth, Code: out.Error, Message: msg})
	}
	secs, err := strconv.ParseInt(string(out.ExpiresIn), 10, 64)
	if err != nil || secs <= 0 {
		secs = int64(time.Hour / time.Second) // unknown: assume short, refreshing early is harmless
	}
	return TokenPair{
		AccessToken:  out.AccessToken,
		RefreshToken: out.RefreshToken,
		ExpiresAt:    m.now().Add(time.Duration(secs) * time.Second).UTC().Truncate(time.Second),
	}, nil
}
