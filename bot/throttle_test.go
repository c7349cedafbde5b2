package bot

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/anttbot/anttbot/ratelimit"
)

// recorder counts what reached the next submitter and the notices.
type recorder struct {
	mu        sync.Mutex
	submitted map[string]int
	told      map[string]int
}

func newRecorder() *recorder {
	return &recorder{submitted: map[string]int{}, told: map[string]int{}}
}

func (r *recorder) Submit(_ context.Context, u Update) (bool, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.submitted[u.UserID]++
	return true, nil
}

func (r *recorder) onLimited(_ context.Context, u Update) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.told[u.UserID]++
}

type failingLimiter struct{}

func (failingLimiter) Allow(context.Context, string, ratelimit.Rule) (ratelimit.Result, error) {
	return ratelimit.Result{}, errors.New("redis: connection refused")
}

// quiet discards the throttle's logs.
var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func memLimiter(now func() time.Time) Allower { return ratelimit.NewMemory(ratelimit.WithNow(now)) }

func TestThrottle(t *testing.T) {
	rule := ratelimit.Rule{Rate: 5, Per: 10 * time.Second, Burst: 3}
	tests := []struct {
		name          string
		limiter       func(now func() time.Time) Allower
		flood         int           // updates from the flooding user at one instant
		later         time.Duration // then the clock moves on by this
		laterSends    int           // and the flooder sends this many more
		wantSubmitted int           // flooder's updates passed on
		wantTold      int           // notices to the flooder
	}{
		{name: "within burst", limiter: memLimiter, flood: 3, wantSubmitted: 3},
		{name: "flood told once", limiter: memLimiter, flood: 50, wantSubmitted: 3, wantTold: 1},
		{name: "flood going on within the period stays silent", limiter: memLimiter, flood: 50, later: 3 * time.Second, laterSends: 20, wantSubmitted: 4, wantTold: 1},
		{name: "after a quiet period the user is served and can be told again", limiter: memLimiter, flood: 50, later: 30 * time.Second, laterSends: 10, wantSubmitted: 6, wantTold: 2},
		{name: "limiter down lets everything through", limiter: func(func() time.Time) Allower { return failingLimiter{} }, flood: 50, wantSubmitted: 50},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			now := time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC)
			clock := func() time.Time { return now }
			rec := newRecorder()
			s := Throttle(rec, tt.limiter(clock), rule, rec.onLimited, quiet)
			ctx := context.Background()
			send := func(user string, n int) {
				for i := 0; i < n; i++ {
					if _, err := s.Submit(ctx, Update{ID: fmt.Sprint(i), Channel: ChannelTelegram, ChatID: user, UserID: user, Kind: KindText}); err != nil {
						t.Fatalf("a throttled update must be acknowledged, not refused: %v", err)
					}
				}
			}
			send("flooder", tt.flood)
			send("bystander", 2) // another user is not affected by the flood
			now = now.Add(tt.later)
			send("flooder", tt.laterSends)
			if got := rec.submitted["flooder"]; got != tt.wantSubmitted {
				t.Errorf("flooder: %d updates passed on, want %d", got, tt.wantSubmitted)
			}
			if got := rec.told["flooder"]; got != tt.wantTold {
				t.Errorf("flooder told %d times, want %d", got, tt.wantTold)
			}
			if rec.submitted["bystander"] != 2 || rec.told["bystander"] != 0 {
				t.Errorf("bystander: passed %d, told %d; want 2 and 0", rec.submitted["bystander"], rec.told["bystander"])
			}
		})
	}
}

func TestThrottleKeysByChannel(t *testing.T) {
	rec := newRecorder()
	s := Throttle(rec, ratelimit.NewMemory(), ratelimit.Rule{Rate: 1, Per: time.Minute, Burst: 1}, rec.onLimited, nil)
	ctx := context.Background()
	// The same id on two platforms is two different people.
	for _, ch := range []string{ChannelTelegram, ChannelZalo} {
		if _, err := s.Submit(ctx, Update{ID: "1", Channel: ch, ChatID: "42", UserID: "42"}); err != nil {
			t.Fatal(err)
		}
	}
	if rec.submitted["42"] != 2 {
		t.Fatalf("%d updates passed on, want one per channel", rec.submitted["42"])
	}
}

func TestThrottledUpdateIsNotAccepted(t *testing.T) {
	rec := newRecorder()
	s := Throttle(rec, ratelimit.NewMemory(), ratelimit.Rule{Rate: 1, Per: time.Minute, Burst: 1}, nil, nil)
	ctx := context.Background()
	u := Update{ID: "1", Channel: ChannelZalo, ChatID: "7", UserID: "7"}
	if ok, err := s.Submit(ctx, u); !ok || err != nil {
		t.Fatalf("first update: accepted %v, err %v", ok, err)
	}
	u.ID = "2"
	if ok, err := s.Submit(ctx, u); ok || err != nil {
		t.Fatalf("throttled update: accepted %v, err %v; want false and no error (acknowledged, dropped)", ok, err)
	}
}

// The dispatcher is what Throttle wraps in the service.
var _ Submitter = (*Dispatcher)(nil)

// failing fails the first n submits of update id, as a journal that is down.
type failing struct {
	recorder
	id    string
	n     int
	tries map[string]int
}

func (f *failing) Submit(ctx context.Context, u Update) (bool, error) {
	f.mu.Lock()
	f.tries[u.ID]++
	try := f.tries[u.ID]
	f.mu.Unlock()
	if u.ID == f.id && try <= f.n {
		return false, errors.New("journal unavailable")
	}
	return f.recorder.Submit(ctx, u)
}

// TestThrottleOwesUnrecordedUpdates: the platform's re-deliveries of an update
// the journal could not take do not use up the sender's budget, so the update
// is finally taken and the sender's next one is not throttled.
func TestThrottleOwesUnrecordedUpdates(t *testing.T) {
	next := &failing{recorder: *newRecorder(), id: "100", n: 5, tries: map[string]int{}}
	now := time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC)
	s := Throttle(next, memLimiter(func() time.Time { return now }), ratelimit.Rule{Rate: 1, Per: time.Minute, Burst: 2}, nil, nil)
	ctx := context.Background()
	confirm := Update{ID: "100", Channel: ChannelTelegram, ChatID: "9", UserID: "9", Kind: KindCallback}
	for i := 0; i < 5; i++ {
		if _, err := s.Submit(ctx, confirm); err == nil {
			t.Fatalf("delivery %d: the journal failure was not passed back", i+1)
		}
	}
	if ok, err := s.Submit(ctx, confirm); !ok || err != nil {
		t.Fatalf("the update was not taken once the journal was back: %v, %v", ok, err)
	}
	if ok, err := s.Submit(ctx, Update{ID: "101", Channel: ChannelTelegram, ChatID: "9", UserID: "9"}); !ok || err != nil {
		t.Fatalf("the sender's next update was throttled by the retries: %v, %v", ok, err)
	}
	if next.submitted["9"] != 2 {
		t.Fatalf("%d updates recorded, want 2", next.submitted["9"])
	}
}
