package zalo

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/anttbot/anttbot/bot"
	"github.com/anttbot/anttbot/bot/zalo/zalotest"
	"github.com/anttbot/anttbot/internal/testenv"
)

func withBootstrap(rt string) harnessOpt { return func(c *Config) { c.RefreshToken = rt } }

func sendText(t *testing.T, a *Adapter) error {
	t.Helper()
	_, err := a.Send(context.Background(), bot.Message{ChatID: testUser, Text: "Kiểm tra kết nối ✅"})
	return err
}

func TestRejectedTokenIsRefreshedOnceAndTheMessageGoesOut(t *testing.T) {
	h := newHarness(t)
	old, _ := h.store.Load(context.Background())
	h.srv.RevokeAccessTokens() // the store still believes the token is good for 24 h

	if err := sendText(t, h.a); err != nil {
		t.Fatalf("Send: %v", err)
	}
	refreshes := h.srv.Requests(zalotest.PathToken)
	if len(refreshes) != 1 {
		t.Fatalf("%d refreshes, want exactly 1", len(refreshes))
	}
	r := refreshes[0]
	if r.Form.Get("refresh_token") != old.RefreshToken || r.Form.Get("app_id") != testAppID || r.Form.Get("grant_type") != "refresh_token" {
		t.Errorf("refresh form = %v", r.Form)
	}
	if r.Header.Get("secret_key") != testAppSecret {
		t.Error("refresh without the secret_key header")
	}
	cs := h.srv.Requests(zalotest.PathCS)
	if len(cs) != 2 {
		t.Fatalf("%d CS requests, want the rejected one and one retry", len(cs))
	}
	now, _ := h.store.Load(context.Background())
	if now.RefreshToken == old.RefreshToken || now.AccessToken == old.AccessToken || now.LeaseOwner != "" {
		t.Errorf("store not rotated: %v", now)
	}
	if got := cs[1].Header.Get("access_token"); got != now.AccessToken {
		t.Error("the retry did not use the stored new token")
	}
	if !now.ExpiresAt.Equal(testNow.Add(90000 * time.Second)) {
		t.Errorf("expires at %s, want now + 90000 s", now.ExpiresAt)
	}
}

func TestTokenRefreshedAheadOfExpiry(t *testing.T) {
	srv := zalotest.NewServer(t, testAppID, testAppSecret)
	at, rt := srv.IssueTokens()
	store := NewMemoryTokenStore(TokenPair{AccessToken: at, RefreshToken: rt, ExpiresAt: testNow.Add(30 * time.Minute)})
	h := newHarnessWith(t, srv, store)
	for i := 0; i < 3; i++ {
		if err := sendText(t, h.a); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(srv.Requests(zalotest.PathToken)); n != 1 {
		t.Errorf("%d refreshes, want 1 (less than an hour left at the first send only)", n)
	}
	for _, r := range srv.Requests(zalotest.PathCS) {
		if r.Header.Get("access_token") == at {
			t.Error("a message used the old token after the refresh")
		}
	}
}

func TestBootstrapAndRestart(t *testing.T) {
	srv := zalotest.NewServer(t, testAppID, testAppSecret)
	srv.AddRefreshToken("rt-from-config")
	store := NewMemoryTokenStore(TokenPair{})

	first := newHarnessWith(t, srv, store, withBootstrap("rt-from-config"))
	if err := sendText(t, first.a); err != nil {
		t.Fatalf("first start: %v", err)
	}
	if n := len(srv.Requests(zalotest.PathToken)); n != 1 {
		t.Fatalf("%d refreshes at bootstrap, want 1", n)
	}
	// A restart with the same (now spent) configured token must use the store.
	second := newHarnessWith(t, srv, store, withBootstrap("rt-from-config"))
	if err := sendText(t, second.a); err != nil {
		t.Fatalf("after restart: %v", err)
	}
	if n := len(srv.Requests(zalotest.PathToken)); n != 1 {
		t.Errorf("%d refreshes after a restart, want none", n-1)
	}
}

func TestNoRefreshTokenAnywhere(t *testing.T) {
	srv := zalotest.NewServer(t, testAppID, testAppSecret)
	h := newHarnessWith(t, srv, NewMemoryTokenStore(TokenPair{}))
	if err := sendText(t, h.a); !errors.Is(err, ErrNoRefreshToken) {
		t.Errorf("err = %v, want ErrNoRefreshToken", err)
	}
}

func TestReplicasSharingAStoreSpendTheRefreshTokenOnce(t *testing.T) {
	tests := []struct {
		name  string
		setup func(srv *zalotest.Server) TokenPair
	}{
		{name: "stored token expired", setup: func(srv *zalotest.Server) TokenPair {
			at, rt := srv.IssueTokens()
			return TokenPair{AccessToken: at, RefreshToken: rt, ExpiresAt: testNow.Add(-time.Minute)}
		}},
		{name: "stored token rejected by Zalo", setup: func(srv *zalotest.Server) TokenPair {
			at, rt := srv.IssueTokens()
			srv.RevokeAccessTokens()
			return TokenPair{AccessToken: at, RefreshToken: rt, ExpiresAt: testNow.Add(20 * time.Hour)}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := zalotest.NewServer(t, testAppID, testAppSecret)
			store := NewMemoryTokenStore(tt.setup(srv))
			srv.SlowTokenEndpoint(100 * time.Millisecond) // everybody arrives while the refresh runs
			replicas := []*harness{newHarnessWith(t, srv, store), newHarnessWith(t, srv, store)}

			var wg sync.WaitGroup
			errs := make(chan error, 20)
			for i := 0; i < 20; i++ {
				wg.Add(1)
				go func(a *Adapter) {
					defer wg.Done()
					_, err := a.Send(context.Background(), bot.Message{ChatID: testUser, Text: "Nhắc báo cáo"})
					errs <- err
				}(replicas[i%2].a)
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				if err != nil {
					t.Errorf("Send: %v", err)
				}
			}
			if n := len(srv.Requests(zalotest.PathToken)); n != 1 {
				t.Errorf("%d refreshes, want exactly 1 across both replicas", n)
			}
			if p, _ := store.Load(context.Background()); p.LeaseOwner != "" {
				t.Errorf("lease left behind: %v", p)
			}
		})
	}
}

func TestFailedRefreshIsLoggedWithoutTheToken(t *testing.T) {
	srv := zalotest.NewServer(t, testAppID, testAppSecret)
	store := NewMemoryTokenStore(TokenPair{AccessToken: "at-secret-old", RefreshToken: "rt-secret-spent", ExpiresAt: testNow.Add(-time.Hour)})
	h := newHarnessWith(t, srv, store)

	err := sendText(t, h.a)
	var ae *APIError
	if !errors.As(err, &ae) || ae.API != apiOAuth || ae.Code != zalotest.CodeInvalidRefreshToken {
		t.Fatalf("err = %v, want the OAuth error", err)
	}
	logs := h.logs.String()
	for _, secret := range []string{"at-secret-old", "rt-secret-spent", testAppSecret} {
		if strings.Contains(err.Error(), secret) || strings.Contains(logs, secret) {
			t.Errorf("%q leaked into the error or the log", secret)
		}
	}
	if !strings.Contains(logs, "level=ERROR") || !strings.Contains(logs, "token refresh failed") {
		t.Errorf("no error-level log of the failed refresh:\n%s", logs)
	}
	if n := len(srv.Requests(zalotest.PathCS)); n != 0 {
		t.Errorf("%d messages sent with an expired token", n)
	}
	if p, _ := store.Load(context.Background()); p.LeaseOwner != "" || p.RefreshToken != "rt-secret-spent" {
		t.Errorf("store after a failed refresh: %v", p)
	}
}

func TestFailedEarlyRefreshKeepsTheValidToken(t *testing.T) {
	srv := zalotest.NewServer(t, testAppID, testAppSecret)
	at, rt := srv.IssueTokens()
	store := NewMemoryTokenStore(TokenPair{AccessToken: at, RefreshToken: rt, ExpiresAt: testNow.Add(30 * time.Minute)})
	h := newHarnessWith(t, srv, store)
	srv.FailNextHTTP(zalotest.PathToken, http.StatusBadGateway)

	if err := sendText(t, h.a); err != nil {
		t.Fatalf("Send: %v (the current token still had 30 minutes)", err)
	}
	if err := sendText(t, h.a); err != nil {
		t.Fatal(err)
	}
	if n := len(srv.Requests(zalotest.PathToken)); n != 1 {
		t.Errorf("%d refresh attempts, want 1 (no retry within a minute)", n)
	}
	if !strings.Contains(h.logs.String(), "level=ERROR") {
		t.Error("the failed refresh was not logged at error level")
	}
}

func TestTokenRejectedTwiceIsNotALoop(t *testing.T) {
	h := newHarness(t)
	h.srv.FailNext(zalotest.PathCS, -216, "Access token is invalid")
	h.srv.FailNext(zalotest.PathCS, -220, "access_token is expired or removed")
	err := sendText(t, h.a)
	var ae *APIError
	if !errors.As(err, &ae) || ae.Code != -220 {
		t.Fatalf("err = %v, want the second token error", err)
	}
	if n := len(h.srv.Requests(zalotest.PathToken)); n != 1 {
		t.Errorf("%d refreshes, want 1", n)
	}
	if n := len(h.srv.Requests(zalotest.PathCS)); n != 2 {
		t.Errorf("%d CS requests, want 2", n)
	}
}

// hookStore wraps a MemoryTokenStore to inject events before CompareAndSwap.
type hookStore struct {
	*MemoryTokenStore
	mu   sync.Mutex
	n    int
	hook func(n int, old, new TokenPair) error
}

func (s *hookStore) CompareAndSwap(ctx context.Context, old, new TokenPair) (bool, error) {
	s.mu.Lock()
	s.n++
	n, hook := s.n, s.hook
	s.mu.Unlock()
	if hook != nil {
		if err := hook(n, old, new); err != nil {
			return false, err
		}
	}
	return s.MemoryTokenStore.CompareAndSwap(ctx, old, new)
}

// newHookHarness is a harness whose adapter uses store (the MemoryTokenStore inside it for inspection).
func newHookHarness(t *testing.T, srv *zalotest.Server, store *hookStore) *harness {
	t.Helper()
	h := newHarnessWith(t, srv, store.MemoryTokenStore)
	a, err := New(h.a.cfg, h.sub, store, WithTranslator(h.a.tr), WithClock(h.a.now),
		WithLogger(slog.New(slog.NewTextHandler(h.logs, nil))))
	if err != nil {
		t.Fatal(err)
	}
	h.a = a
	return h
}

func TestNewTokenIsStoredBeforeItIsUsed(t *testing.T) {
	srv := zalotest.NewServer(t, testAppID, testAppSecret)
	at, rt := srv.IssueTokens()
	store := &hookStore{MemoryTokenStore: NewMemoryTokenStore(TokenPair{AccessToken: at, RefreshToken: rt, ExpiresAt: testNow.Add(-time.Minute)})}
	var down bool
	store.hook = func(n int, old, new TokenPair) error {
		if down && new.AccessToken != at && new.AccessToken != "" {
			return errors.New("database unavailable")
		}
		return nil
	}
	h := newHookHarness(t, srv, store)

	down = true
	if err := sendText(t, h.a); err == nil {
		t.Fatal("Send succeeded although the new token could not be stored")
	}
	if n := len(srv.Requests(zalotest.PathCS)); n != 0 {
		t.Fatalf("%d messages sent with a token that is not stored", n)
	}
	down = false
	if err := sendText(t, h.a); err != nil {
		t.Fatalf("Send after the store came back: %v", err)
	}
	if n := len(srv.Requests(zalotest.PathToken)); n != 1 {
		t.Errorf("%d refreshes, want 1: the kept token must be stored, not a new one fetched", n)
	}
	p, _ := store.Load(context.Background())
	if got := srv.Requests(zalotest.PathCS)[0].Header.Get("access_token"); got != p.AccessToken || p.AccessToken == at {
		t.Errorf("sent with %q, store holds %v", got, p)
	}
}

func TestAnotherReplicaWinsTheRace(t *testing.T) {
	srv := zalotest.NewServer(t, testAppID, testAppSecret)
	at, rt := srv.IssueTokens()
	theirsAT, theirsRT := srv.IssueTokens()
	theirs := TokenPair{AccessToken: theirsAT, RefreshToken: theirsRT, ExpiresAt: testNow.Add(25 * time.Hour)}
	store := &hookStore{MemoryTokenStore: NewMemoryTokenStore(TokenPair{AccessToken: at, RefreshToken: rt, ExpiresAt: testNow.Add(-time.Minute)})}
	store.hook = func(n int, old, new TokenPair) error {
		if n == 1 { // just before we take the lease, the other replica stores its refresh
			store.MemoryTokenStore.p = theirs
		}
		return nil
	}
	h := newHookHarness(t, srv, store)
	if err := sendText(t, h.a); err != nil {
		t.Fatal(err)
	}
	if n := len(srv.Requests(zalotest.PathToken)); n != 0 {
		t.Errorf("%d refreshes, want none: the other replica's token is fresh", n)
	}
	if got := srv.Requests(zalotest.PathCS)[0].Header.Get("access_token"); got != theirsAT {
		t.Errorf("sent with %q, want the other replica's token", got)
	}
}

func TestWaitsForAnotherReplicasLease(t *testing.T) {
	srv := zalotest.NewServer(t, testAppID, testAppSecret)
	at, rt := srv.IssueTokens()
	newAT, newRT := srv.IssueTokens()
	leased := TokenPair{AccessToken: at, RefreshToken: rt, ExpiresAt: testNow.Add(-time.Minute),
		LeaseOwner: "other-replica", LeaseUntil: testNow.Add(30 * time.Second)}
	store := NewMemoryTokenStore(leased)
	h := newHarnessWith(t, srv, store)
	go func() {
		time.Sleep(150 * time.Millisecond)
		if ok, _ := store.CompareAndSwap(context.Background(), leased, TokenPair{AccessToken: newAT, RefreshToken: newRT, ExpiresAt: testNow.Add(25 * time.Hour)}); !ok {
			t.Error("the other replica could not store its refresh")
		}
	}()
	if err := sendText(t, h.a); err != nil {
		t.Fatal(err)
	}
	if n := len(srv.Requests(zalotest.PathToken)); n != 0 {
		t.Errorf("%d refreshes while another replica held the lease", n)
	}
	if got := srv.Requests(zalotest.PathCS)[0].Header.Get("access_token"); got != newAT {
		t.Errorf("sent with %q, want the other replica's new token", got)
	}
}

func TestRunKeepsTokensFresh(t *testing.T) {
	srv := zalotest.NewServer(t, testAppID, testAppSecret)
	at, rt := srv.IssueTokens()
	store := NewMemoryTokenStore(TokenPair{AccessToken: at, RefreshToken: rt, ExpiresAt: testNow.Add(10 * time.Minute)})
	h := newHarnessWith(t, srv, store)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { h.a.Tokens().Run(ctx, 10*time.Millisecond); close(done) }()
	deadline := time.Now().Add(5 * time.Second)
	for len(srv.Requests(zalotest.PathToken)) == 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	<-done
	if n := len(srv.Requests(zalotest.PathToken)); n != 1 {
		t.Errorf("%d refreshes by the upkeep loop, want 1", n)
	}
}

func TestTokenPairNeverPrintsTokens(t *testing.T) {
	p := TokenPair{AccessToken: "at-very-secret", RefreshToken: "rt-very-secret", ExpiresAt: testNow}
	var logs testenv.Buffer
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("x", "pair", p)
	for _, out := range []string{fmt.Sprint(p), fmt.Sprintf("%v %+v %s", p, p, p), logs.String()} {
		if strings.Contains(out, "very-secret") {
			t.Errorf("token printed: %s", out)
		}
	}
}
