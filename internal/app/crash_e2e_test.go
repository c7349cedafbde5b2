package app

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/anttbot/anttbot/bot/telegram/telegramtest"
	"github.com/anttbot/anttbot/config"
	"github.com/anttbot/anttbot/internal/testenv"
)

// A process killed with SIGKILL stops mid-instruction: whatever it was about
// to send never leaves. These tests do the in-process equivalent, which lets
// them place the kill exactly: the replica's calls to the Bot API go through
// a freezer that, once armed, swallows the first call whose body contains a
// marker and every call after it, never answering (the process is "dead" from
// the moment it tries to say that). The replica is then stopped without its
// stuck work finishing, and a new replica is started on the same PostgreSQL
// and Redis with its clock moved past the journal's stale age (2 min), as a
// restart that long after the crash would see it.

// freezer is a Bot API front that can play dead.
type freezer struct {
	srv     *httptest.Server
	mu      sync.Mutex
	marker  []byte
	frozen  bool
	caught  chan struct{}
	release chan struct{}
}

func newFreezer(t *testing.T, target string) *freezer {
	u, err := url.Parse(target)
	testenv.Must(t, "parse fake URL", err)
	f := &freezer{caught: make(chan struct{}), release: make(chan struct{})}
	rp := httputil.NewSingleHostReverseProxy(u)
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		if f.freezes(body) {
			<-f.release
			http.Error(w, "process is gone", http.StatusBadGateway)
			return
		}
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(f.srv.Close)
	return f
}

// armOn makes the first call containing marker, and every later call, hang.
func (f *freezer) armOn(marker string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.marker = []byte(marker)
}

func (f *freezer) freezes(body []byte) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.frozen {
		return true
	}
	if len(f.marker) > 0 && bytes.Contains(body, f.marker) {
		f.frozen = true
		close(f.caught)
		return true
	}
	return false
}

// replica is one in-process run of the service that the test can kill.
type replica struct {
	a      *App
	base   string
	freeze *freezer
	cancel context.CancelFunc
	done   chan error
}

// startReplica runs the service with its Bot API calls going through a freezer.
func startReplica(t *testing.T, cfg config.Config, fake *telegramtest.Server, opts ...Option) *replica {
	t.Helper()
	r := &replica{freeze: newFreezer(t, fake.URL), done: make(chan error, 1)}
	cfg.Telegram.APIURL = r.freeze.srv.URL
	l, err := net.Listen("tcp", "127.0.0.1:0")
	testenv.Must(t, "listen", err)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	ctx, cancel := context.WithCancel(context.Background())
	r.cancel = cancel
	r.a, err = New(ctx, cfg, log, append([]Option{WithListener(l), WithTickEvery(100 * time.Millisecond)}, opts...)...)
	if err != nil {
		cancel()
		t.Fatalf("start replica: %v", err)
	}
	r.base = "http://" + l.Addr().String()
	go func() { r.done <- r.a.Run(ctx) }()
	t.Cleanup(func() {
		r.kill()
		select {
		case <-r.freeze.release:
		default:
			close(r.freeze.release) // the stuck work may end now; the replica is long replaced
		}
		select {
		case <-r.done:
		case <-time.After(40 * time.Second):
			t.Error("replica did not stop within 40s")
		}
	})
	return r
}

// kill stops the replica: no new updates, no ticks, no replays; its stuck
// work stays stuck.
func (r *replica) kill() { r.cancel() }

// waitCaught waits until the freezer swallowed its marked call.
func (r *replica) waitCaught(t *testing.T) {
	t.Helper()
	select {
	case <-r.freeze.caught:
	case <-time.After(15 * time.Second):
		t.Fatal("the replica never tried to send the marked message")
	}
}

// TestFaultKilledMidStepAndAfterCommit kills a replica twice: once after it
// saved a member's answer but before it asked the next question, once after it
// committed a report but before it said the number; a restart replays the
// journaled update each time. The member sees the next question once, the
// answer is not applied twice, the report is stored once and its number is
// given once.
func TestFaultKilledMidStepAndAfterCommit(t *testing.T) {
	t.Parallel()
	fake := telegramtest.NewServer(t, "")
	cfg := productionConfig(t)
	telegramWebhookConfig(&cfg, fake)
	testenv.Must(t, "config", cfg.Validate())

	var ids atomic.Int64
	ids.Store(720000)
	var base atomic.Value // the replica "Telegram" posts to now
	post := func(raw []byte) { webhookPoster(t, base.Load().(string), cfg)(raw) }
	an := &tgUser{t: t, fake: fake, id: 6202, name: "An", phone: "84912000002", post: post, nextID: &ids}

	// Replica 1: the member starts a report; the replica dies right after
	// storing the answer to "what happened", before asking "where".
	r1 := startReplica(t, cfg, fake)
	base.Store(r1.base)
	onboard(an, "Nguyễn Văn An")
	an.say("/baocao")
	an.tap(an.waitFor("Bạn muốn báo cáo việc gì"), "Nguồn tin")
	an.tap(an.waitFor("Tin này về việc gì"), "Người lạ")
	an.waitFor("Chuyện gì đã xảy ra")
	r1.freeze.armOn("Việc này ở đâu")
	an.say("Hai người lạ đo đạc cổng UBND xã lúc 23 giờ")
	r1.waitCaught(t)
	r1.kill()

	// Replica 2, started "three minutes later", replays the unfinished update.
	clock2 := &skewClock{}
	clock2.Skip(3 * time.Minute)
	r2 := startReplica(t, cfg, fake, clock2.Option())
	base.Store(r2.base)
	an.waitFor("Việc này ở đâu")
	time.Sleep(500 * time.Millisecond)
	if n := countWith(an, "hôm nào"); n != 0 {
		t.Fatalf("the replayed answer was applied a second time, to the next question (%d date questions asked)", n)
	}
	an.say("Cổng UBND xã Thanh Bình")
	an.tap(an.waitFor("hôm nào"), "Hôm nay")
	an.tap(an.waitFor("xử lý ngay"), "Không")
	for _, prompt := range []string{"vị trí", "ảnh", "Ai cung cấp"} {
		an.tap(an.waitFor(prompt), "Bỏ qua")
	}
	summary := an.waitFor("Xác nhận gửi")

	// Replica 2 dies after committing the report, before saying its number.
	r2.freeze.armOn("Số hiệu")
	an.tap(summary, "Xác nhận gửi")
	r2.waitCaught(t)
	r2.kill()
	if n := tipCount(t, r2.a); n != 1 {
		t.Fatalf("%d tips stored before the crash, want the committed one", n)
	}

	// Replica 3 replays the confirm: the number is given once, nothing doubles.
	clock3 := &skewClock{}
	clock3.Skip(6 * time.Minute)
	r3 := startReplica(t, cfg, fake, clock3.Option())
	base.Store(r3.base)
	ref := refRE.FindString(an.waitFor("#").Text)
	if ref == "" {
		t.Fatal("the member was not told the report's number after the restart")
	}
	time.Sleep(500 * time.Millisecond)
	if n := tipCount(t, r3.a); n != 1 {
		t.Fatalf("%d tips stored after the restart, want 1", n)
	}
	if n := countWith(an, ref); n != 1 {
		t.Errorf("the member was told %s %d times, want once", ref, n)
	}
	asked := 0
	for _, m := range an.messages() {
		// The summary repeats the question; it is not counted.
		if strings.Contains(m.Text, "Việc này ở đâu") && !strings.Contains(m.Text, "Xác nhận gửi") {
			asked++
		}
	}
	if n := asked; n != 1 {
		t.Errorf("the member was asked where %d times, want once", n)
	}
}
