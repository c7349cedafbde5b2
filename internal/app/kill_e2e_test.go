package app

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/anttbot/anttbot/bot/telegram/telegramtest"
	"github.com/anttbot/anttbot/config"
	"github.com/anttbot/anttbot/internal/testenv"
	"github.com/anttbot/anttbot/store"
)

// killHarness runs the real binary as a child process on PostgreSQL, Redis
// and a fake Bot API, so a test can SIGKILL it and start it again.
type killHarness struct {
	t      *testing.T
	bin    string
	env    []string
	addr   string
	secret string
	fake   *telegramtest.Server
	cfg    config.Config
	logs   testenv.Buffer // the process copies its output in while the test reads
	cmd    *exec.Cmd
	ids    atomic.Int64
}

var (
	killBinOnce sync.Once
	killBin     string
	killBinErr  error
)

// TestMain removes the binary the kill tests built.
func TestMain(m *testing.M) {
	code := m.Run()
	if killBin != "" {
		os.RemoveAll(filepath.Dir(killBin))
	}
	os.Exit(code)
}

// buildKillBinary builds cmd/anttbot once for all the kill tests.
func buildKillBinary(t *testing.T) string {
	t.Helper()
	killBinOnce.Do(func() {
		dir, err := os.MkdirTemp("", "anttbot-kill-")
		if err != nil {
			killBinErr = err
			return
		}
		killBin = filepath.Join(dir, "anttbot")
		if out, err := exec.Command("go", "build", "-o", killBin, "../../cmd/anttbot").CombinedOutput(); err != nil {
			killBinErr = fmt.Errorf("build: %v\n%s", err, out)
		}
	})
	if killBinErr != nil {
		t.Fatal(killBinErr)
	}
	return killBin
}

func newKillHarness(t *testing.T) *killHarness {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	h := &killHarness{t: t, bin: buildKillBinary(t), fake: telegramtest.NewServer(t, ""), cfg: productionConfig(t),
		addr: freeLoopback(t), secret: "kill9_secret_0123456789"}
	h.ids.Store(700000)
	h.env = append(os.Environ(),
		"ANTTBOT_APP_HTTP_ADDR="+h.addr,
		"ANTTBOT_APP_DATA_DIR="+t.TempDir(),
		"ANTTBOT_DATABASE_DRIVER=postgres", "ANTTBOT_DATABASE_DSN="+h.cfg.Database.DSN,
		"ANTTBOT_REDIS_URL="+h.cfg.Redis.URL, "ANTTBOT_REDIS_KEY_PREFIX="+h.cfg.Redis.KeyPrefix,
		"ANTTBOT_TELEGRAM_ENABLED=true", "ANTTBOT_TELEGRAM_TOKEN="+h.fake.Token, "ANTTBOT_TELEGRAM_API_URL="+h.fake.URL,
		"ANTTBOT_TELEGRAM_MODE=webhook", "ANTTBOT_TELEGRAM_WEBHOOK_URL=https://bot.example.org:8443/telegram/webhook",
		"ANTTBOT_TELEGRAM_WEBHOOK_SECRET="+h.secret,
	)
	t.Cleanup(func() {
		if h.cmd != nil {
			h.cmd.Process.Kill()
			h.cmd.Wait()
		}
	})
	h.start()
	return h
}

// start runs the binary and waits until it is ready.
func (h *killHarness) start() {
	h.t.Helper()
	cmd := exec.Command(h.bin, "serve")
	cmd.Env = h.env
	cmd.Stdout, cmd.Stderr = &h.logs, &h.logs
	if err := cmd.Start(); err != nil {
		h.t.Fatal(err)
	}
	h.cmd = cmd
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if resp, err := http.Get("http://" + h.addr + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		if time.Now().After(deadline) {
			h.t.Fatalf("service not ready:\n%s", h.logs.String())
		}
	}
}

// kill sends SIGKILL: no drain, no deferred code, exactly like a crash.
func (h *killHarness) kill() {
	h.t.Helper()
	if err := h.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		h.t.Fatal(err)
	}
	h.cmd.Wait()
	h.cmd = nil
}

// post delivers one update to the webhook as Telegram does.
func (h *killHarness) post(raw []byte) {
	req, _ := http.NewRequest(http.MethodPost, "http://"+h.addr+"/telegram/webhook", bytes.NewReader(raw))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Telegram-Bot-Api-Secret-Token", h.secret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatalf("webhook: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		h.t.Fatalf("webhook answered %s", resp.Status)
	}
}

// onboard links the commune's officer and a member, as people do.
func (h *killHarness) onboard() (officer, member *tgUser) {
	officer = &tgUser{t: h.t, fake: h.fake, id: 8001, name: "Công", phone: "+84912000001", post: h.post, nextID: &h.ids}
	member = &tgUser{t: h.t, fake: h.fake, id: 8002, name: "An", phone: "84912000002", post: h.post, nextID: &h.ids}
	for _, u := range []*tgUser{officer, member} {
		u.say("/start")
		u.waitFor("chia sẻ số điện thoại")
		u.shareContact()
	}
	officer.waitFor("Trần Văn Công")
	member.waitFor("Nguyễn Văn An")
	return officer, member
}

// startTip begins a tip report and answers up to its place question.
func startTip(member *tgUser) {
	member.say("/baocao")
	member.tap(member.waitFor("Bạn muốn báo cáo việc gì"), "Nguồn tin")
	member.tap(member.waitFor("Tin này về việc gì"), "Trộm cắp")
	member.waitFor("Chuyện gì đã xảy ra")
	member.say("Mất trộm xe đạp ở nhà văn hóa thôn")
	member.waitFor("Việc này ở đâu")
}

// finishTip answers the rest of a tip report from its place question and
// confirms it; it returns the reference the member is given.
func finishTip(member *tgUser) string {
	member.say("Nhà văn hóa thôn Đông")
	member.tap(member.waitFor("hôm nào"), "Hôm nay")
	member.tap(member.waitFor("xử lý ngay"), "Không")
	for _, prompt := range []string{"vị trí", "ảnh", "Ai cung cấp"} {
		member.tap(member.waitFor(prompt), "Bỏ qua")
	}
	member.tap(member.waitFor("Xác nhận gửi"), "Xác nhận gửi")
	return refRE.FindString(member.waitFor("#").Text)
}

// checkOnce checks that one tip is stored with the resumed answers, and that
// the officer got its push and the member its confirmation exactly once.
func (h *killHarness) checkOnce(officer, member *tgUser, ref string) {
	t := h.t
	ctx := context.Background()
	st, err := store.Open(ctx, "postgres", h.cfg.Database.DSN)
	testenv.Must(t, "open store", err)
	defer st.Close()
	n, err := st.CountSubmissions(ctx, store.CountFilter{Kinds: []string{"tip"}})
	testenv.Must(t, "count", err)
	if n != 1 {
		t.Fatalf("%d tips stored after a kill -9 and a restart, want 1", n)
	}
	subs, err := st.SubmissionsByReporter(ctx, mustPersonID(t, st, "telegram", fmt.Sprint(member.id)), 5)
	testenv.Must(t, "reports", err)
	if len(subs) != 1 || subs[0].Answers["where"] != "Nhà văn hóa thôn Đông" || !strings.Contains(fmt.Sprint(subs[0].Answers["what"]), "xe đạp") {
		t.Fatalf("the resumed report lost or mixed answers: %+v", subs)
	}
	time.Sleep(2 * time.Second) // anything sent twice would have arrived by now
	count := func(u *tgUser) int {
		k := 0
		for _, m := range u.messages() {
			if strings.Contains(m.Text, ref) {
				k++
			}
		}
		return k
	}
	if k := count(officer); k != 1 {
		t.Fatalf("the officer got %s %d times, want once", ref, k)
	}
	if k := count(member); k != 1 {
		t.Fatalf("the member was told %s %d times, want once", ref, k)
	}
}

// TestKill9MidFlow kills the service in the middle of a member's report,
// starts it again on the same PostgreSQL and Redis, and checks the report
// resumes where it was and is stored, and pushed to the police, exactly once.
func TestKill9MidFlow(t *testing.T) {
	h := newKillHarness(t)
	officer, member := h.onboard()

	startTip(member)

	h.kill()
	h.start()

	// The report resumes at the question it was on.
	ref := finishTip(member)
	officer.waitFor(ref)
	h.checkOnce(officer, member, ref)
}

// TestKill9BetweenCommitAndNotification kills the service after a tip is
// committed (and its police push queued in the same transaction) but before
// the push has reached the officer: the Bot API fails the officer's chat
// until the kill. After the restart the push goes out exactly once, and the
// member is not told twice.
func TestKill9BetweenCommitAndNotification(t *testing.T) {
	h := newKillHarness(t)
	officer, member := h.onboard()
	var officerDown atomic.Bool
	h.fake.FailWhen(func(c telegramtest.Call) bool {
		return officerDown.Load() && c.ChatID() == fmt.Sprint(officer.id)
	}, 1<<30, telegramtest.InternalError())

	startTip(member)
	officerDown.Store(true)
	ref := finishTip(member)

	// Kill once the push was tried, failed and is waiting for its retry
	// (committed as retryable: a job killed mid-attempt would wait for its
	// lease to expire instead).
	ctx := context.Background()
	st, err := store.Open(ctx, "postgres", h.cfg.Database.DSN)
	testenv.Must(t, "open store", err)
	defer st.Close()
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		var n int64
		testenv.Must(t, "read the queue", st.DB().WithContext(ctx).Raw("SELECT count(*) FROM river_job WHERE state = 'retryable'").Scan(&n).Error)
		if n > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the officer's push never became retryable:\n%s", h.logs.String())
		}
	}
	h.kill()
	officerDown.Store(false)
	h.start()

	officer.waitForWithin(ref, 30*time.Second)
	h.checkOnce(officer, member, ref)
}

func mustPersonID(t *testing.T, st *store.Store, channel, externalID string) int64 {
	t.Helper()
	p, _, err := st.PersonByIdentity(context.Background(), channel, externalID)
	testenv.Must(t, "person", err)
	return p.ID
}

// freeLoopback returns a loopback address nothing listens on now.
func freeLoopback(t *testing.T) string {
	t.Helper()
	l, err := netListen()
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}
