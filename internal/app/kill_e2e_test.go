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
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/anttbot/anttbot/bot/telegram/telegramtest"
	"github.com/anttbot/anttbot/internal/testenv"
	"github.com/anttbot/anttbot/store"
)

// TestKill9MidFlow runs the real binary as a child process, kills it with
// SIGKILL in the middle of a member's report, starts it again on the same
// PostgreSQL and Redis, and checks the report resumes where it was and is
// stored, and pushed to the police, exactly once.
func TestKill9MidFlow(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := filepath.Join(t.TempDir(), "anttbot")
	build := exec.Command("go", "build", "-o", bin, "../../cmd/anttbot")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	fake := telegramtest.NewServer(t, "")
	cfg := productionConfig(t)
	addr := freeLoopback(t)
	secret := "kill9_secret_0123456789"
	env := append(os.Environ(),
		"ANTTBOT_APP_HTTP_ADDR="+addr,
		"ANTTBOT_APP_DATA_DIR="+t.TempDir(),
		"ANTTBOT_DATABASE_DRIVER=postgres", "ANTTBOT_DATABASE_DSN="+cfg.Database.DSN,
		"ANTTBOT_REDIS_URL="+cfg.Redis.URL, "ANTTBOT_REDIS_KEY_PREFIX="+cfg.Redis.KeyPrefix,
		"ANTTBOT_TELEGRAM_ENABLED=true", "ANTTBOT_TELEGRAM_TOKEN="+fake.Token, "ANTTBOT_TELEGRAM_API_URL="+fake.URL,
		"ANTTBOT_TELEGRAM_MODE=webhook", "ANTTBOT_TELEGRAM_WEBHOOK_URL=https://bot.example.org:8443/telegram/webhook",
		"ANTTBOT_TELEGRAM_WEBHOOK_SECRET="+secret,
	)
	var logs testenv.Buffer // the process copies its output in while the test reads
	start := func() *exec.Cmd {
		cmd := exec.Command(bin, "serve")
		cmd.Env = env
		cmd.Stdout, cmd.Stderr = &logs, &logs
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
			if resp, err := http.Get("http://" + addr + "/readyz"); err == nil {
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					return cmd
				}
			}
			if time.Now().After(deadline) {
				cmd.Process.Kill()
				t.Fatalf("service not ready:\n%s", logs.String())
			}
		}
	}
	cmd := start()
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })

	var ids atomic.Int64
	ids.Store(700000)
	post := func(raw []byte) {
		req, _ := http.NewRequest(http.MethodPost, "http://"+addr+"/telegram/webhook", bytes.NewReader(raw))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Telegram-Bot-Api-Secret-Token", secret)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("webhook: %v", err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("webhook answered %s", resp.Status)
		}
	}
	officer := &tgUser{t: t, fake: fake, id: 8001, name: "Công", phone: "+84912000001", post: post, nextID: &ids}
	member := &tgUser{t: t, fake: fake, id: 8002, name: "An", phone: "84912000002", post: post, nextID: &ids}
	for _, u := range []*tgUser{officer, member} {
		u.say("/start")
		u.waitFor("chia sẻ số điện thoại")
		u.shareContact()
	}
	officer.waitFor("Trần Văn Công")
	member.waitFor("Nguyễn Văn An")

	member.say("/baocao")
	member.tap(member.waitFor("Bạn muốn báo cáo việc gì"), "Nguồn tin")
	member.tap(member.waitFor("Tin này về việc gì"), "Trộm cắp")
	member.waitFor("Chuyện gì đã xảy ra")
	member.say("Mất trộm xe đạp ở nhà văn hóa thôn")
	member.waitFor("Việc này ở đâu")

	// SIGKILL: no drain, no deferred code, exactly like a crash.
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	cmd = start()

	// The report resumes at the question it was on.
	member.say("Nhà văn hóa thôn Đông")
	member.tap(member.waitFor("hôm nào"), "Hôm nay")
	member.tap(member.waitFor("xử lý ngay"), "Không")
	for _, prompt := range []string{"vị trí", "ảnh", "Ai cung cấp"} {
		member.tap(member.waitFor(prompt), "Bỏ qua")
	}
	member.tap(member.waitFor("Xác nhận gửi"), "Xác nhận gửi")
	ref := refRE.FindString(member.waitFor("#").Text)
	officer.waitFor(ref)

	ctx := context.Background()
	st, err := store.Open(ctx, "postgres", cfg.Database.DSN)
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
	time.Sleep(2 * time.Second)
	pushes := 0
	for _, m := range officer.messages() {
		if strings.Contains(m.Text, ref) && len(m.Buttons) > 0 {
			pushes++
		}
	}
	if pushes != 1 {
		t.Fatalf("the officer got %s %d times, want once", ref, pushes)
	}
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
