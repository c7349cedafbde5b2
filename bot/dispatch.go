package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"
	"time"
)

// Journal records updates durably before they are handled, so that a
// re-delivered update is recognised (across replicas when the journal is
// shared) and an update accepted from the platform is never lost.
type Journal interface {
	// Append records u; fresh is false when Channel+ID was seen before.
	Append(ctx context.Context, u Update) (fresh bool, err error)
	// Done marks u handled.
	Done(ctx context.Context, u Update) error
}

// Replayer is a Journal that can hand back updates whose handling was never
// finished (the process died), for the dispatcher to run again.
type Replayer interface {
	Stale(ctx context.Context, limit int) ([]Update, error)
}

// ErrClosed is returned by Submit after Close.
var ErrClosed = errors.New("bot: dispatcher closed")

// ErrBusy is returned by Submit when too many updates wait; the platform should retry later.
var ErrBusy = errors.New("bot: dispatcher queue full")

// DispatcherOptions tunes a Dispatcher. Zero values take the defaults.
type DispatcherOptions struct {
	// Workers bounds how many chats are handled at the same time (default 64).
	Workers int
	// MaxQueued bounds the updates waiting in memory (default 10000).
	MaxQueued int
	// HandleTimeout bounds one update's handling (default 60s).
	HandleTimeout time.Duration
	// ReplayEvery is how often a Replayer journal is asked for stale updates (default 30s; <0 disables).
	ReplayEvery time.Duration
	// OnPanic is called after a handler panic was recovered, to tell the user
	// something went wrong. It must not panic itself.
	OnPanic func(ctx context.Context, u Update)
	// Observe, when set, is called after each update with its outcome and duration.
	Observe func(u Update, outcome string, d time.Duration)
	// Claims, when set, lets Submit handle an update received WithRedelivery
	// before it returns, with no journal write (see Claimer).
	Claims Claimer
	// AnswerWithin is how long Submit waits for such an update's step before
	// it journals the update after all and returns (default 3s).
	AnswerWithin time.Duration
	// ClaimStale is how old a claim of a process that never settled it must be
	// before another takes the update over (default 2m, the journal's stale age).
	ClaimStale time.Duration
}

// Dispatcher hands journaled (or claimed) updates to a Handler: per-chat FIFO order,
// different chats in parallel, panics recovered, drained on Close.
type Dispatcher struct {
	h    Handler
	j    Journal
	log  *slog.Logger
	opts DispatcherOptions
	sem  chan struct{}

	mu     sync.Mutex
	chats  map[string][]item // pending updates per chat; a key exists while a worker owns the chat
	queued int
	closed bool
	wg     sync.WaitGroup
	stop   chan struct{}
}

// NewDispatcher returns a Dispatcher; call Run to replay stale updates of a
// Replayer journal, and Close to drain.
func NewDispatcher(h Handler, j Journal, log *slog.Logger, opts DispatcherOptions) *Dispatcher {
	if opts.Workers <= 0 {
		opts.Workers = 64
	}
	if opts.MaxQueued <= 0 {
		opts.MaxQueued = 10000
	}
	if opts.HandleTimeout <= 0 {
		opts.HandleTimeout = 60 * time.Second
	}
	if opts.ReplayEvery == 0 {
		opts.ReplayEvery = 30 * time.Second
	}
	if opts.AnswerWithin <= 0 {
		opts.AnswerWithin = 3 * time.Second
	}
	if opts.ClaimStale <= 0 {
		opts.ClaimStale = 2 * time.Minute
	}
	if j == nil {
		j = NewMemoryJournal()
	}
	if log == nil {
		log = slog.Default()
	}
	return &Dispatcher{
		h: h, j: j, log: log.With("comp", "dispatch"), opts: opts,
		sem:   make(chan struct{}, opts.Workers),
		chats: make(map[string][]item),
		stop:  make(chan struct{}),
	}
}

// Submit journals u and queues it for its chat. accepted is false for a
// duplicate. An error means u was not recorded and the platform should
// deliver it again. An update received WithRedelivery, when Claims are set,
// is claimed instead and handled before Submit returns (see submitClaimed).
func (d *Dispatcher) Submit(ctx context.Context, u Update) (bool, error) {
	d.mu.Lock()
	closed, full := d.closed, d.queued >= d.opts.MaxQueued
	d.mu.Unlock()
	if closed {
		return false, ErrClosed
	}
	if full {
		return false, ErrBusy
	}
	if u.ID == "" {
		return false, fmt.Errorf("bot: update without id from %s", u.Channel)
	}
	if d.opts.Claims != nil && redelivered(ctx) {
		if accepted, ok, err := d.submitClaimed(ctx, u); ok {
			return accepted, err
		}
	}
	fresh, err := d.j.Append(ctx, u)
	if err != nil {
		return false, fmt.Errorf("bot: journal update %s/%s: %w", u.Channel, u.ID, err)
	}
	if !fresh {
		d.log.Debug("duplicate update dropped", "channel", u.Channel, "update_id", u.ID)
		return false, nil
	}
	// If Close won the race, the journal keeps u for a replay after restart.
	d.enqueue(item{u: u})
	return true, nil
}

// item is one queued update; w is set for an update handled under a claim.
type item struct {
	u Update
	w *waiter
}

// waiter follows a claimed update from Submit to the end of its step.
type waiter struct {
	done chan struct{} // closed when the step is over

	mu        sync.Mutex
	finished  bool // the step is over
	journaled bool // Submit journaled it after all: the journal's Done closes it
}

// submitClaimed handles u under a claim while the platform waits for the
// answer. ok is false when the claim cannot be taken (Redis is down): the
// caller journals u as usual. A step that outlasts AnswerWithin is journaled
// then, so that the answer goes out in time and a crash still loses nothing.
func (d *Dispatcher) submitClaimed(ctx context.Context, u Update) (accepted, ok bool, err error) {
	state, err := d.opts.Claims.Claim(ctx, u.Channel, u.ID, d.opts.ClaimStale)
	if err != nil {
		d.log.Warn("claim update, journaling it instead", "channel", u.Channel, "update_id", u.ID, "err", err)
		return false, false, nil
	}
	switch state {
	case ClaimDone:
		d.log.Debug("duplicate update dropped", "channel", u.Channel, "update_id", u.ID)
		return false, true, nil
	case ClaimBusy:
		return false, true, ErrInFlight
	}
	w := &waiter{done: make(chan struct{})}
	if !d.enqueue(item{u: u, w: w}) {
		return false, true, ErrClosed
	}
	t := time.NewTimer(d.opts.AnswerWithin)
	defer t.Stop()
	select {
	case <-w.done:
		return true, true, nil
	case <-ctx.Done():
		// The platform gave up on this delivery and will make another; the
		// step goes on and settles the claim, so that one is a duplicate.
		return false, true, ctx.Err()
	case <-t.C:
	}
	w.mu.Lock()
	if w.finished {
		w.mu.Unlock()
		return true, true, nil
	}
	w.mu.Unlock()
	_, err = d.j.Append(ctx, u)
	w.mu.Lock()
	w.journaled = err == nil
	finished := w.finished
	w.mu.Unlock()
	if err != nil {
		// Not recorded: the platform delivers u again, and finds it busy
		// until the step settles it.
		return false, true, fmt.Errorf("bot: journal slow update %s/%s: %w", u.Channel, u.ID, err)
	}
	if finished {
		// The step ended while u was being journaled, and settled the claim.
		if err := d.j.Done(ctx, u); err != nil {
			d.log.Warn("journal done", "channel", u.Channel, "update_id", u.ID, "err", err)
		}
	}
	return true, true, nil
}

func chatKey(u Update) string { return u.Channel + "\x00" + u.ChatID }

// enqueue appends it to its chat's queue and starts a worker for the chat if none runs.
func (d *Dispatcher) enqueue(it item) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return false
	}
	k := chatKey(it.u)
	q, running := d.chats[k]
	d.chats[k] = append(q, it)
	d.queued++
	if !running {
		d.wg.Add(1)
		go d.work(k)
	}
	return true
}

// work handles one chat's updates in order until its queue is empty.
func (d *Dispatcher) work(k string) {
	defer d.wg.Done()
	for {
		d.mu.Lock()
		q := d.chats[k]
		if len(q) == 0 {
			delete(d.chats, k)
			d.mu.Unlock()
			return
		}
		it := q[0]
		d.chats[k] = q[1:]
		d.mu.Unlock()

		d.sem <- struct{}{}
		d.handle(it)
		<-d.sem

		d.mu.Lock()
		d.queued--
		d.mu.Unlock()
	}
}

func (d *Dispatcher) handle(it item) {
	u := it.u
	start := time.Now()
	// Handling runs on its own context: a stop must let in-flight work finish.
	ctx, cancel := context.WithTimeout(context.Background(), d.opts.HandleTimeout)
	defer cancel()
	outcome := "ok"
	func() {
		defer func() {
			if r := recover(); r != nil {
				outcome = "panic"
				d.log.Error("panic while handling update", "channel", u.Channel, "update_id", u.ID,
					"kind", u.Kind, "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
				if d.opts.OnPanic != nil {
					d.opts.OnPanic(ctx, u)
				}
			}
		}()
		if err := d.h.HandleUpdate(ctx, u); err != nil {
			outcome = "error"
			d.log.Error("handle update", "channel", u.Channel, "update_id", u.ID, "kind", u.Kind, "err", err)
		}
	}()
	d.finish(ctx, it)
	if d.opts.Observe != nil {
		d.opts.Observe(u, outcome, time.Since(start))
	}
}

// finish closes an update's record: the journal's row, or the claim of an
// update handled while the platform waited (unless Submit journaled it
// meanwhile, then the row).
func (d *Dispatcher) finish(ctx context.Context, it item) {
	u := it.u
	journaled := true
	if w := it.w; w != nil {
		w.mu.Lock()
		w.finished = true
		journaled = w.journaled
		w.mu.Unlock()
	}
	if journaled {
		if err := d.j.Done(ctx, u); err != nil {
			d.log.Warn("journal done", "channel", u.Channel, "update_id", u.ID, "err", err)
		}
	} else if err := d.opts.Claims.Settle(ctx, u.Channel, u.ID); err != nil {
		// The platform has its answer and will not deliver u again; only a
		// duplicate delivery, after the claim goes stale, would run it twice.
		d.log.Warn("settle claimed update", "channel", u.Channel, "update_id", u.ID, "err", err)
	}
	if it.w != nil {
		close(it.w.done)
	}
}

// Run replays stale updates of a Replayer journal until ctx ends.
func (d *Dispatcher) Run(ctx context.Context) {
	r, ok := d.j.(Replayer)
	if !ok || d.opts.ReplayEvery < 0 {
		return
	}
	t := time.NewTicker(d.opts.ReplayEvery)
	defer t.Stop()
	for {
		d.replay(ctx, r)
		select {
		case <-ctx.Done():
			return
		case <-d.stop:
			return
		case <-t.C:
		}
	}
}

func (d *Dispatcher) replay(ctx context.Context, r Replayer) {
	us, err := r.Stale(ctx, 500)
	if err != nil {
		if ctx.Err() == nil {
			d.log.Warn("replay stale updates", "err", err)
		}
		return
	}
	for _, u := range us {
		d.log.Info("replaying unfinished update", "channel", u.Channel, "update_id", u.ID)
		d.enqueue(item{u: u})
	}
}

// Close stops accepting updates and waits until the queued ones are handled or ctx ends.
func (d *Dispatcher) Close(ctx context.Context) error {
	d.mu.Lock()
	if !d.closed {
		d.closed = true
		close(d.stop)
	}
	d.mu.Unlock()
	done := make(chan struct{})
	go func() { d.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("bot: dispatcher drain: %w", ctx.Err())
	}
}

// Pending returns how many updates wait or are being handled (for metrics).
func (d *Dispatcher) Pending() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.queued
}

// memoryJournal is an in-process Journal for tests and the single-replica embedded default.
type memoryJournal struct {
	mu   sync.Mutex
	seen map[string]time.Time
	ttl  time.Duration
	last time.Time
}

// NewMemoryJournal returns a Journal that remembers update ids for 48 hours in memory.
func NewMemoryJournal() Journal {
	return &memoryJournal{seen: make(map[string]time.Time), ttl: 48 * time.Hour}
}

func (m *memoryJournal) Append(_ context.Context, u Update) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := time.Now()
	if now.Sub(m.last) > time.Hour {
		for k, t := range m.seen {
			if now.Sub(t) > m.ttl {
				delete(m.seen, k)
			}
		}
		m.last = now
	}
	k := u.Channel + "\x00" + u.ID
	if _, ok := m.seen[k]; ok {
		return false, nil
	}
	m.seen[k] = now
	return true, nil
}

func (m *memoryJournal) Done(context.Context, Update) error { return nil }
