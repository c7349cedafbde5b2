package app

import (
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/anttbot/anttbot/bot/telegram/telegramtest"
	"github.com/anttbot/anttbot/internal/testenv"
)

// TestFaultPlatformErrors makes the Bot API answer 429 and 500 for a while
// to two members talking at once: every reply still arrives, in order, in each chat.
func TestFaultPlatformErrors(t *testing.T) {
	t.Parallel()
	fake := telegramtest.NewServer(t, "")
	cfg := productionConfig(t)
	telegramWebhookConfig(&cfg, fake)
	testenv.Must(t, "config", cfg.Validate())
	_, base := startApp(t, cfg, WithTickEvery(100*time.Millisecond))

	var ids atomic.Int64
	ids.Store(730000)
	post := webhookPoster(t, base, cfg)
	an := &tgUser{t: t, fake: fake, id: 6302, name: "An", phone: "84912000002", post: post, nextID: &ids}
	binh := &tgUser{t: t, fake: fake, id: 6303, name: "Bình", phone: "84912000003", post: post, nextID: &ids}
	onboard(an, "Nguyễn Văn An")
	onboard(binh, "Lê Thị Bình")

	tests := []struct {
		name    string
		failure telegramtest.Failure
		times   int
	}{
		{name: "429 flood control", failure: telegramtest.TooManyRequests(1), times: 3},
		{name: "500 server error", failure: telegramtest.InternalError(), times: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake.Fail("sendMessage", tt.times, tt.failure)
			var wg sync.WaitGroup
			for _, u := range []*tgUser{an, binh} {
				wg.Add(1)
				go func() {
					defer wg.Done()
					u.say("/baocao")
					u.tap(u.waitFor("Bạn muốn báo cáo việc gì"), "Việc tốt")
					u.say("/huy")
				}()
			}
			wg.Wait()
			for _, u := range []*tgUser{an, binh} {
				u.waitFor("Đã hủy")
			}
		})
	}

	// More 429s in a row on one reply than the adapter's own attempts: the
	// reply still arrives (the channel wrapper waits retry_after and sends again).
	fake.Fail("sendMessage", 4, telegramtest.TooManyRequests(1))
	an.say("/baocao")
	an.waitFor("Bạn muốn báo cáo việc gì")
	an.say("/huy")
	an.waitFor("Đã hủy")

	// What happened is visible on /metrics.
	code, body := getStatus(t, base, cfg.Metrics.Path)
	if code != http.StatusOK {
		t.Fatalf("%s answered %d", cfg.Metrics.Path, code)
	}
	for _, want := range []string{
		`anttbot_sends_total{channel="telegram",outcome="temporary"}`, // the 500s, retried
		`anttbot_sends_total{channel="telegram",outcome="ok"}`,
		`anttbot_updates_total{channel="telegram",kind="callback",outcome="ok"}`,
		`anttbot_update_handle_seconds_bucket{channel="telegram",kind="text",le="+Inf"}`,
		`anttbot_dispatcher_pending `,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}
