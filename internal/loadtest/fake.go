package loadtest

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Reply is one message the service sent to a chat, as a fake platform API received it.
type Reply struct {
	// MessageID is the id the fake gave the message (Telegram: to tap its buttons).
	MessageID string
	Text      string
	Buttons   []Button
	// At is when the fake received the call: the end of a step's latency.
	At time.Time
}

// Button is a button of a Reply: its label and what tapping it sends back.
type Button struct {
	Label string
	Data  string
}

// button returns the first button whose label contains label.
func (r Reply) button(label string) (Button, bool) {
	for _, b := range r.Buttons {
		if strings.Contains(b.Label, label) {
			return b, true
		}
	}
	return Button{}, false
}

// inbox collects the replies to one simulated user until a step consumes them.
type inbox struct {
	mu      sync.Mutex
	replies []Reply
	notify  chan struct{} // receives a token when a reply arrives
}

func newInbox() *inbox { return &inbox{notify: make(chan struct{}, 1)} }

func (b *inbox) put(r Reply) {
	b.mu.Lock()
	b.replies = append(b.replies, r)
	b.mu.Unlock()
	select {
	case b.notify <- struct{}{}:
	default:
	}
}

// errNoReply means the expected reply did not arrive in time.
var errNoReply = errors.New("no matching reply in time")

// waitFor returns the first reply containing want, dropping it and every
// reply before it, or errNoReply after timeout.
func (b *inbox) waitFor(ctx context.Context, want string, timeout time.Duration) (Reply, error) {
	t := time.NewTimer(timeout)
	defer t.Stop()
	for {
		b.mu.Lock()
		for i, r := range b.replies {
			if strings.Contains(r.Text, want) {
				b.replies = append(b.replies[:0], b.replies[i+1:]...)
				b.mu.Unlock()
				return r, nil
			}
		}
		b.mu.Unlock()
		select {
		case <-b.notify:
		case <-t.C:
			return Reply{}, errNoReply
		case <-ctx.Done():
			return Reply{}, ctx.Err()
		}
	}
}

// pending returns the texts received but not consumed, for error messages.
func (b *inbox) pending() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := make([]string, 0, len(b.replies))
	for _, r := range b.replies {
		out = append(out, r.Text)
	}
	return out
}

// router hands each reply to the inbox of its chat; replies to chats no
// simulated user owns (officers, broadcast recipients) are counted per chat.
type router struct {
	mu      sync.RWMutex
	inboxes map[string]*inbox

	otherMu sync.Mutex
	other   map[string]int // chat → messages received
	first   time.Time      // first and last message to an unowned chat
	lastAt  time.Time

	sent    atomic.Int64 // every accepted message
	limited atomic.Int64 // 429 answers given
}

func newRouter() *router {
	return &router{inboxes: map[string]*inbox{}, other: map[string]int{}}
}

func (rt *router) add(chatID string) *inbox {
	b := newInbox()
	rt.mu.Lock()
	rt.inboxes[chatID] = b
	rt.mu.Unlock()
	return b
}

// remove stops routing chatID's replies to its inbox: they are counted as unowned.
func (rt *router) remove(chatID string) {
	rt.mu.Lock()
	delete(rt.inboxes, chatID)
	rt.mu.Unlock()
}

func (rt *router) deliver(chatID string, r Reply) {
	rt.sent.Add(1)
	rt.mu.RLock()
	b := rt.inboxes[chatID]
	rt.mu.RUnlock()
	if b != nil {
		b.put(r)
		return
	}
	rt.otherMu.Lock()
	rt.other[chatID]++
	if rt.first.IsZero() {
		rt.first = r.At
	}
	rt.lastAt = r.At
	rt.otherMu.Unlock()
}

// unowned returns a copy of the per-chat counts of unowned chats and the
// first and last arrival among them.
func (rt *router) unowned() (map[string]int, time.Time, time.Time) {
	rt.otherMu.Lock()
	defer rt.otherMu.Unlock()
	out := make(map[string]int, len(rt.other))
	for k, v := range rt.other {
		out[k] = v
	}
	return out, rt.first, rt.lastAt
}

// window enforces "at most limit messages in any one second", as a platform's
// flood control does; a zero limit allows everything.
type window struct {
	mu    sync.Mutex
	limit int
	ring  []time.Time // arrival times of the last limit accepted messages
	next  int
}

func newWindow(limit int) *window {
	if limit <= 0 {
		return &window{}
	}
	return &window{limit: limit, ring: make([]time.Time, limit)}
}

// allow records a message at now and reports whether it fits the limit.
func (w *window) allow(now time.Time) bool {
	if w.limit == 0 {
		return true
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	oldest := w.ring[w.next]
	if !oldest.IsZero() && now.Sub(oldest) < time.Second {
		return false
	}
	w.ring[w.next] = now
	w.next = (w.next + 1) % w.limit
	return true
}

// server is a plain HTTP server on a loopback port (net/http/httptest would
// register its flags in the tool's command line).
type server struct {
	URL string
	srv *http.Server
}

func serve(addr string, h http.Handler) (*server, error) {
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	s := &server{URL: "http://" + l.Addr().String(), srv: &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}}
	go func() { _ = s.srv.Serve(l) }()
	return s, nil
}

func (s *server) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return s.srv.Shutdown(ctx)
}
