package bot

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

// memClaims is a Claimer in memory, for the dispatcher's tests.
type memClaims struct {
	mu      sync.Mutex
	state   map[string]ClaimState
	settled int
	fail    bool
}

func (m *memClaims) Claim(_ context.Context, channel, id string, _ time.Duration) (ClaimState, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.fail {
		return 0, errors.New("redis down")
	}
	if m.state == nil {
		m.state = map[string]ClaimState{}
	}
	k := channel + ":" + id
	if s, ok := m.state[k]; ok {
		return s, nil
	}
	m.state[k] = ClaimBusy // what the next delivery sees until Settle
	return ClaimNew, nil
}

func (m *memClaims) Settle(_ context.Context, channel, id string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.state[channel+":"+id] = ClaimDone
	m.settled++
	return nil
}

// countingJournal counts appends and done marks.
type countingJournal struct {
	mu            sync.Mutex
	appends, done int
}

func (j *countingJournal) Append(context.Context, Update) (bool, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.appends++
	return true, nil
}

func (j *countingJournal) Done(context.Context, Update) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.done++
	return nil
}

func (j *countingJournal) counts() (int, int) {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.appends, j.done
}

// A redelivered update is handled before Submit returns, with no journal
// write; its duplicate is dropped, a delivery during its step is refused.
func TestDispatcherClaimedUpdateAnsweredAfterItsStep(t *testing.T) {
	release := make(chan struct{})
	var handled []string
	var mu sync.Mutex
	h := HandlerFunc(func(_ context.Context, u Update) error {
		if u.ID == "a-2" {
			<-release
		}
		mu.Lock()
		handled = append(handled, u.ID)
		mu.Unlock()
		return nil
	})
	j, c := &countingJournal{}, &memClaims{}
	d := NewDispatcher(h, j, nil, DispatcherOptions{Claims: c, AnswerWithin: time.Minute})
	defer d.Close(context.Background())
	ctx := WithRedelivery(context.Background())

	if ok, err := d.Submit(ctx, upd("a", 1)); !ok || err != nil {
		t.Fatalf("first delivery: ok=%v err=%v", ok, err)
	}
	mu.Lock()
	if len(handled) != 1 {
		t.Fatalf("Submit returned before the step: handled %v", handled)
	}
	mu.Unlock()
	if a, dn := j.counts(); a != 0 || dn != 0 {
		t.Fatalf("journal written %d/%d times for a claimed update, want none", a, dn)
	}
	if ok, err := d.Submit(ctx, upd("a", 1)); ok || err != nil {
		t.Fatalf("duplicate: ok=%v err=%v, want dropped", ok, err)
	}

	got := make(chan error, 1)
	go func() { _, err := d.Submit(ctx, upd("a", 2)); got <- err }()
	deadline := time.Now().Add(5 * time.Second)
	for {
		c.mu.Lock()
		s, ok := c.state["simulator:a-2"]
		c.mu.Unlock()
		if ok && s == ClaimBusy {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("a-2 was never claimed")
		}
		time.Sleep(time.Millisecond)
	}
	if _, err := d.Submit(ctx, upd("a", 2)); !errors.Is(err, ErrInFlight) {
		t.Fatalf("delivery during the step: err=%v, want ErrInFlight", err)
	}
	close(release)
	if err := <-got; err != nil {
		t.Fatal(err)
	}
	if c.settled != 2 {
		t.Fatalf("settled %d, want 2", c.settled)
	}
}

// A step that outlasts AnswerWithin is journaled then, and its journal row
// closed when it ends; without claims (Redis down) the journal is used.
func TestDispatcherSlowClaimedStepIsJournaled(t *testing.T) {
	release := make(chan struct{})
	h := HandlerFunc(func(context.Context, Update) error { <-release; return nil })
	j, c := &countingJournal{}, &memClaims{}
	d := NewDispatcher(h, j, nil, DispatcherOptions{Claims: c, AnswerWithin: 20 * time.Millisecond})
	ctx := WithRedelivery(context.Background())
	if ok, err := d.Submit(ctx, upd("a", 1)); !ok || err != nil {
		t.Fatalf("slow step: ok=%v err=%v", ok, err)
	}
	if a, _ := j.counts(); a != 1 {
		t.Fatalf("%d appends for a step still running, want 1", a)
	}
	close(release)
	d.Close(context.Background())
	if _, dn := j.counts(); dn != 1 || c.settled != 0 {
		t.Fatalf("done %d, settled %d; want the journal's row closed once", dn, c.settled)
	}

	j2, c2 := &countingJournal{}, &memClaims{fail: true}
	d2 := NewDispatcher(HandlerFunc(func(context.Context, Update) error { return nil }), j2, nil, DispatcherOptions{Claims: c2})
	if ok, err := d2.Submit(ctx, upd("b", 1)); !ok || err != nil {
		t.Fatalf("claims down: ok=%v err=%v", ok, err)
	}
	d2.Close(context.Background())
	if a, dn := j2.counts(); a != 1 || dn != 1 {
		t.Fatalf("claims down: journal %d/%d, want the usual append and done", a, dn)
	}
	// Without WithRedelivery (long polling, Zalo) the journal is used as before.
	j3 := &countingJournal{}
	d3 := NewDispatcher(HandlerFunc(func(context.Context, Update) error { return nil }), j3, nil, DispatcherOptions{Claims: &memClaims{}})
	d3.Submit(context.Background(), upd("c", 1))
	d3.Close(context.Background())
	if a, dn := j3.counts(); a != 1 || dn != 1 {
		t.Fatalf("not redelivered: journal %d/%d, want 1/1", a, dn)
	}
}
