package bot

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

type recordingHandler struct {
	mu    sync.Mutex
	got   map[string][]string
	delay func(u Update) time.Duration
	panic func(u Update) bool
	inFly atomic.Int32
	peak  atomic.Int32
}

func (h *recordingHandler) HandleUpdate(_ context.Context, u Update) error {
	n := h.inFly.Add(1)
	defer h.inFly.Add(-1)
	for {
		p := h.peak.Load()
		if n <= p || h.peak.CompareAndSwap(p, n) {
			break
		}
	}
	if h.delay != nil {
		time.Sleep(h.delay(u))
	}
	if h.panic != nil && h.panic(u) {
		panic("boom " + u.ID)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.got == nil {
		h.got = map[string][]string{}
	}
	h.got[u.ChatID] = append(h.got[u.ChatID], u.ID)
	return nil
}

func upd(chat string, id int) Update {
	return Update{Channel: ChannelSimulator, ChatID: chat, ID: fmt.Sprintf("%s-%d", chat, id)}
}

func TestDispatcherOrdersPerChatAndRunsChatsInParallel(t *testing.T) {
	h := &recordingHandler{delay: func(u Update) time.Duration {
		// Earlier updates are slower, so a dispatcher without per-chat order would reorder them.
		var n int
		fmt.Sscanf(u.ID[len(u.ChatID)+1:], "%d", &n)
		return time.Duration(10-n) * time.Millisecond
	}}
	d := NewDispatcher(h, nil, nil, DispatcherOptions{Workers: 8})
	ctx := context.Background()
	for i := 0; i < 10; i++ {
		for _, chat := range []string{"a", "b", "c", "d"} {
			if ok, err := d.Submit(ctx, upd(chat, i)); !ok || err != nil {
				t.Fatalf("submit %s %d: ok=%v err=%v", chat, i, ok, err)
			}
		}
	}
	if err := d.Close(ctx); err != nil {
		t.Fatal(err)
	}
	for _, chat := range []string{"a", "b", "c", "d"} {
		got := h.got[chat]
		if len(got) != 10 {
			t.Fatalf("chat %s: handled %d updates, want 10", chat, len(got))
		}
		for i, id := range got {
			if want := fmt.Sprintf("%s-%d", chat, i); id != want {
				t.Fatalf("chat %s: position %d is %s, want %s (order lost)", chat, i, id, want)
			}
		}
	}
	if h.peak.Load() < 2 {
		t.Errorf("peak concurrency %d: different chats were not handled in parallel", h.peak.Load())
	}
}

func TestDispatcherDropsDuplicates(t *testing.T) {
	h := &recordingHandler{}
	d := NewDispatcher(h, NewMemoryJournal(), nil, DispatcherOptions{})
	ctx := context.Background()
	u := upd("a", 1)
	if ok, _ := d.Submit(ctx, u); !ok {
		t.Fatal("first submit not accepted")
	}
	if ok, err := d.Submit(ctx, u); ok || err != nil {
		t.Fatalf("duplicate: ok=%v err=%v, want false, nil", ok, err)
	}
	d.Close(ctx)
	if n := len(h.got["a"]); n != 1 {
		t.Fatalf("handled %d times, want 1", n)
	}
}

func TestDispatcherRecoversPanics(t *testing.T) {
	var told atomic.Int32
	h := &recordingHandler{panic: func(u Update) bool { return u.ID == "a-1" }}
	d := NewDispatcher(h, nil, nil, DispatcherOptions{OnPanic: func(context.Context, Update) { told.Add(1) }})
	ctx := context.Background()
	for i := 0; i < 3; i++ {
		d.Submit(ctx, upd("a", i))
	}
	d.Close(ctx)
	if told.Load() != 1 {
		t.Fatalf("OnPanic called %d times, want 1", told.Load())
	}
	if got := h.got["a"]; len(got) != 2 || got[0] != "a-0" || got[1] != "a-2" {
		t.Fatalf("after a panic the chat's other updates must still run in order, got %v", got)
	}
}

type failingJournal struct{}

func (failingJournal) Append(context.Context, Update) (bool, error) {
	return false, errors.New("db down")
}
func (failingJournal) Done(context.Context, Update) error { return nil }

func TestDispatcherRefusesWhenJournalFailsOrClosed(t *testing.T) {
	h := &recordingHandler{}
	d := NewDispatcher(h, failingJournal{}, nil, DispatcherOptions{})
	if ok, err := d.Submit(context.Background(), upd("a", 1)); ok || err == nil {
		t.Fatalf("journal failure: ok=%v err=%v, want an error so the platform redelivers", ok, err)
	}
	d2 := NewDispatcher(h, nil, nil, DispatcherOptions{})
	d2.Close(context.Background())
	if _, err := d2.Submit(context.Background(), upd("a", 2)); !errors.Is(err, ErrClosed) {
		t.Fatalf("after close: err=%v, want ErrClosed", err)
	}
	if len(h.got) != 0 {
		t.Fatalf("nothing should have been handled, got %v", h.got)
	}
}

func TestDispatcherCloseWaitsForInFlight(t *testing.T) {
	h := &recordingHandler{delay: func(Update) time.Duration { return 50 * time.Millisecond }}
	d := NewDispatcher(h, nil, nil, DispatcherOptions{})
	ctx := context.Background()
	for i := 0; i < 3; i++ {
		d.Submit(ctx, upd("a", i))
	}
	if err := d.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if n := len(h.got["a"]); n != 3 {
		t.Fatalf("Close returned with %d of 3 handled", n)
	}
	if d.Pending() != 0 {
		t.Fatalf("pending %d after close", d.Pending())
	}
}

func TestDispatcherBusyWhenQueueFull(t *testing.T) {
	block := make(chan struct{})
	h := HandlerFunc(func(context.Context, Update) error { <-block; return nil })
	d := NewDispatcher(h, nil, nil, DispatcherOptions{MaxQueued: 2})
	ctx := context.Background()
	d.Submit(ctx, upd("a", 1))
	d.Submit(ctx, upd("a", 2))
	if _, err := d.Submit(ctx, upd("a", 3)); !errors.Is(err, ErrBusy) {
		t.Fatalf("err=%v, want ErrBusy", err)
	}
	close(block)
	d.Close(ctx)
}
