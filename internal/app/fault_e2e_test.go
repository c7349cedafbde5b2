package app

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/anttbot/anttbot/bot/telegram/telegramtest"
	"github.com/anttbot/anttbot/config"
	"github.com/anttbot/anttbot/internal/faultproxy"
	"github.com/anttbot/anttbot/internal/testenv"
	"github.com/anttbot/anttbot/store"
)

// Fault tests: the service runs in-process against the shared PostgreSQL and
// Redis reached through TCP proxies the test cuts and restores; the servers
// themselves are never touched.

// proxyTo starts a fault proxy in front of the host:port of a URL and returns
// the proxy and the URL rewritten to go through it.
func proxyTo(t *testing.T, raw string) (*faultproxy.Proxy, string) {
	t.Helper()
	u, err := url.Parse(raw)
	testenv.Must(t, "parse "+u.Redacted(), err)
	p, err := faultproxy.New(u.Host)
	testenv.Must(t, "fault proxy", err)
	t.Cleanup(func() { p.Close() })
	u.Host = p.Addr()
	return p, u.String()
}

// skewClock is the wall clock plus an offset the test moves forward, so the
// service sees a retry delay or a staleness age elapse without the test waiting.
type skewClock struct{ d atomic.Int64 }

func (c *skewClock) Now() time.Time       { return time.Now().Add(time.Duration(c.d.Load())) }
func (c *skewClock) Skip(d time.Duration) { c.d.Add(int64(d)) }
func (c *skewClock) Option() Option       { return WithClock(c.Now) }

// telegramWebhookConfig enables Telegram in webhook mode against fake.
func telegramWebhookConfig(cfg *config.Config, fake *telegramtest.Server) {
	cfg.Telegram.Enabled = true
	cfg.Telegram.Token = fake.Token
	cfg.Telegram.APIURL = fake.URL
	cfg.Telegram.Mode = config.ModeWebhook
	cfg.Telegram.WebhookURL = "https://bot.example.org:8443/telegram/webhook"
	cfg.Telegram.WebhookSecret = "test-secret_0123456789"
	// Telegram's 1 message a second per chat would make each step of a
	// walked-through report take a second; these tests are not about pacing
	// (the adapter's tests are).
	cfg.Telegram.RateChatPerSec = 30
}

// webhookPoster delivers updates the way Telegram does: one at a time, and a
// refused delivery (non-2xx) is retried until accepted (here: for 40 s).
func webhookPoster(t *testing.T, base string, cfg config.Config) func(raw []byte) {
	return func(raw []byte) {
		deadline := time.Now().Add(40 * time.Second)
		for {
			status, err := postWebhook(base+cfg.Telegram.WebhookPath, raw, "application/json", cfg.Telegram.WebhookSecret)
			if err == nil && status == http.StatusOK {
				return
			}
			if time.Now().After(deadline) {
				t.Errorf("webhook never accepted the update: status %d, %v", status, err)
				return
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
}

func postWebhook(target string, body []byte, contentType, secret string) (int, error) {
	req, err := http.NewRequest(http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", contentType)
	if secret != "" {
		req.Header.Set("X-Telegram-Bot-Api-Secret-Token", secret)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, nil
}

// getStatus returns the status of GET base+path.
func getStatus(t *testing.T, base, path string) (int, string) {
	t.Helper()
	resp, err := http.Get(base + path)
	testenv.Must(t, "GET "+path, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// eventually polls cond every 50 ms for up to d.
func eventually(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(d); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("timed out after %s waiting for %s", d, what)
}

// onboard links the user: /start, share the phone, greeted by name.
func onboard(u *tgUser, fullName string) {
	u.say("/start")
	u.waitFor("chia sẻ số điện thoại")
	u.shareContact()
	u.waitFor(fullName)
}

// tipUntilSummary walks /baocao → Nguồn tin up to the confirmation question.
func tipUntilSummary(u *tgUser, what string) botMessage {
	u.say("/baocao")
	u.tap(u.waitFor("Bạn muốn báo cáo việc gì"), "Nguồn tin")
	u.tap(u.waitFor("Tin này về việc gì"), "Người lạ")
	u.waitFor("Chuyện gì đã xảy ra")
	u.say(what)
	u.waitFor("Việc này ở đâu")
	u.say("Bãi đất trống sau chợ Thanh Bình")
	u.tap(u.waitFor("hôm nào"), "Hôm nay")
	u.tap(u.waitFor("xử lý ngay"), "Không")
	for _, prompt := range []string{"vị trí", "ảnh", "Ai cung cấp"} {
		u.tap(u.waitFor(prompt), "Bỏ qua")
	}
	return u.waitFor("Xác nhận gửi")
}

// countWith counts the bot's messages to u containing s.
func countWith(u *tgUser, s string) int {
	n := 0
	for _, m := range u.messages() {
		if strings.Contains(m.Text, s) {
			n++
		}
	}
	return n
}

// waitNumber waits until the bot gave u a report number, moving the clock a
// minute ahead every half second so that save retries come due.
func waitNumber(t *testing.T, clock *skewClock, u *tgUser) string {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(500 * time.Millisecond) {
		for _, m := range u.messages() {
			if ref := refRE.FindString(m.Text); ref != "" && (strings.Contains(m.Text, "Số hiệu") || strings.Contains(m.Text, "đã được lưu")) {
				return ref
			}
		}
		clock.Skip(time.Minute)
	}
	var texts []string
	for _, m := range u.messages() {
		texts = append(texts, m.Text)
	}
	t.Fatalf("%s was never told a report number; the bot said:\n%s", u.name, strings.Join(texts, "\n---\n"))
	return ""
}

func tipCount(t *testing.T, a *App) int64 {
	t.Helper()
	n, err := a.Store.CountSubmissions(context.Background(), store.CountFilter{Kinds: []string{"tip"}})
	testenv.Must(t, "count tips", err)
	return n
}

// TestFaultPostgresDownDuringConfirms cuts PostgreSQL exactly when the first
// of two members' confirmed tips is being inserted, keeps it down while the
// second member confirms, and checks that after it comes back each tip is
// stored once and each member is told its number once.
func TestFaultPostgresDownDuringConfirms(t *testing.T) {
	t.Parallel()
	fake := telegramtest.NewServer(t, "")
	cfg := productionConfig(t)
	pg, dsn := proxyTo(t, cfg.Database.DSN)
	cfg.Database.DSN = dsn
	telegramWebhookConfig(&cfg, fake)
	testenv.Must(t, "config", cfg.Validate())
	clock := &skewClock{}
	a, base := startApp(t, cfg, WithTickEvery(100*time.Millisecond), clock.Option())

	var ids atomic.Int64
	ids.Store(700000)
	post := webhookPoster(t, base, cfg)
	an := &tgUser{t: t, fake: fake, id: 6002, name: "An", phone: "84912000002", post: post, nextID: &ids}
	binh := &tgUser{t: t, fake: fake, id: 6003, name: "Bình", phone: "84912000003", post: post, nextID: &ids}
	onboard(an, "Nguyễn Văn An")
	onboard(binh, "Lê Thị Bình")
	sumAn := tipUntilSummary(an, "Người lạ hỏi đường vào kho xăng lúc nửa đêm")
	sumBinh := tipUntilSummary(binh, "Xe máy không biển số chạy quanh trường học")

	// The journal has recorded An's confirm; the database goes away just as
	// the report itself is written.
	pg.CutOn(`INSERT INTO "submissions"`)
	an.tap(sumAn, "Xác nhận gửi")
	an.waitFor("chưa lưu ngay được") // told the report is kept and will be saved
	if !pg.IsCut() {
		t.Fatal("the report was written without going through the cut")
	}
	if code, body := getStatus(t, base, "/readyz"); code != http.StatusServiceUnavailable || !strings.Contains(body, "database") {
		t.Errorf("/readyz with the database down: %d %q, want 503 naming the database", code, body)
	}

	// Bình confirms while the database is still down: the webhook refuses
	// the update (it cannot be journaled) and "Telegram" retries it.
	binhDone := make(chan struct{})
	go func() {
		defer close(binhDone)
		binh.tap(sumBinh, "Xác nhận gửi")
	}()
	time.Sleep(3 * time.Second)
	if n := countWith(binh, "Số hiệu"); n != 0 {
		t.Fatalf("Bình was given a number while the database was down (%d messages)", n)
	}
	pg.Restore()
	<-binhDone

	// Each member is given a number: An once the retry of the kept report
	// is due, Bình straight away (or, if the pool's first connection after
	// the outage failed, after a retry too). The clock jumps a minute at a
	// time so that retries come due without the test waiting for them.
	refAn, refBinh := waitNumber(t, clock, an), waitNumber(t, clock, binh)
	if refAn == "" || refBinh == "" || refAn == refBinh {
		t.Fatalf("numbers given: An %q, Bình %q", refAn, refBinh)
	}
	eventually(t, 5*time.Second, "/readyz back to 200", func() bool {
		code, _ := getStatus(t, base, "/readyz")
		return code == http.StatusOK
	})

	// Let every retry and tick that could repeat anything run, then count.
	time.Sleep(time.Second)
	if n := tipCount(t, a); n != 2 {
		t.Fatalf("%d tips stored, want exactly 2", n)
	}
	for _, c := range []struct {
		u   *tgUser
		ref string
	}{{an, refAn}, {binh, refBinh}} {
		if n := countWith(c.u, c.ref); n != 1 {
			t.Errorf("%s was told %s %d times, want once", c.u.name, c.ref, n)
		}
	}
	// Each tip kept its own text: nothing was swapped between the members.
	for _, c := range []struct{ ref, text string }{
		{refAn, "kho xăng"}, {refBinh, "không biển số"},
	} {
		var id int64
		fmt.Sscanf(c.ref, "#%d", &id)
		sub, err := a.Store.SubmissionByID(context.Background(), id)
		testenv.Must(t, "load "+c.ref, err)
		if !strings.Contains(fmt.Sprint(sub.Answers), c.text) {
			t.Errorf("tip %s does not hold %q", c.ref, c.text)
		}
	}
}

// TestFaultRedisDown cuts Redis in the middle of a report: the member is told
// to try again shortly in their language, nothing crashes, and once Redis is
// back the report continues where it was, without a restart.
func TestFaultRedisDown(t *testing.T) {
	t.Parallel()
	fake := telegramtest.NewServer(t, "")
	cfg := productionConfig(t)
	rd, redisURL := proxyTo(t, cfg.Redis.URL)
	cfg.Redis.URL = redisURL
	telegramWebhookConfig(&cfg, fake)
	testenv.Must(t, "config", cfg.Validate())
	_, base := startApp(t, cfg, WithTickEvery(100*time.Millisecond))

	var ids atomic.Int64
	ids.Store(710000)
	an := &tgUser{t: t, fake: fake, id: 6102, name: "An", phone: "84912000002", post: webhookPoster(t, base, cfg), nextID: &ids}
	onboard(an, "Nguyễn Văn An")
	an.say("/baocao")
	an.tap(an.waitFor("Bạn muốn báo cáo việc gì"), "Nguồn tin")
	an.tap(an.waitFor("Tin này về việc gì"), "Người lạ")
	an.waitFor("Chuyện gì đã xảy ra")

	rd.Cut()
	an.say("Có người lạ chụp ảnh trụ sở xã")
	an.waitFor("chưa xử lý được tin nhắn này") // flows.error.session_unavailable
	if code, body := getStatus(t, base, "/readyz"); code != http.StatusServiceUnavailable || !strings.Contains(body, "redis") {
		t.Errorf("/readyz with Redis down: %d %q, want 503 naming redis", code, body)
	}
	if code, _ := getStatus(t, base, "/healthz"); code != http.StatusOK {
		t.Errorf("/healthz with Redis down: %d, want 200 (the process is alive)", code)
	}

	rd.Restore()
	an.say("Có người lạ chụp ảnh trụ sở xã")
	an.waitFor("Việc này ở đâu") // the same report, the next question
	eventually(t, 5*time.Second, "/readyz back to 200", func() bool {
		code, _ := getStatus(t, base, "/readyz")
		return code == http.StatusOK
	})
}
