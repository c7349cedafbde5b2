package app

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/anttbot/anttbot/bot/telegram/telegramtest"
	"github.com/anttbot/anttbot/bot/zalo/zalotest"
	"github.com/anttbot/anttbot/internal/testenv"
	"github.com/anttbot/anttbot/ratelimit"
)

// TestSecurity attacks the running service through its public webhooks:
// forged and malformed requests are refused and change nothing, a button is
// useless outside its chat or after its step, and one user's flood is
// throttled without slowing anyone else.
func TestSecurity(t *testing.T) {
	t.Parallel()
	tg := telegramtest.NewServer(t, "")
	za := zalotest.NewServer(t, zaloAppID, zaloSecret)
	za.AddRefreshToken("bootstrap-refresh-token")
	cfg := productionConfig(t)
	telegramWebhookConfig(&cfg, tg)
	cfg.Zalo.Enabled = true
	cfg.Zalo.AppID = zaloAppID
	cfg.Zalo.AppSecret = zaloSecret
	cfg.Zalo.OASecretKey = zaloOAKey
	cfg.Zalo.RefreshToken = "bootstrap-refresh-token"
	cfg.Zalo.APIURL = za.URL
	cfg.Zalo.OAuthURL = za.URL
	cfg.Zalo.ZNS.APIURL = za.URL
	testenv.Must(t, "config", cfg.Validate())
	// A tighter inbound rule than production's, so the flood is short.
	a, base := startApp(t, cfg, WithTickEvery(100*time.Millisecond),
		WithInboundRule(ratelimit.Rule{Rate: 20, Per: 10 * time.Second, Burst: 20}))
	tgHook := base + cfg.Telegram.WebhookPath
	zaHook := base + cfg.Zalo.WebhookPath
	ctx := context.Background()
	db, err := sql.Open("pgx", cfg.Database.DSN)
	testenv.Must(t, "open database", err)
	defer db.Close()
	inboxRows := func() int64 {
		// Every accepted update leaves a journal row; a refused one must not.
		var n int64
		testenv.Must(t, "count inbox", db.QueryRowContext(ctx, "SELECT COUNT(*) FROM inbox").Scan(&n))
		return n
	}

	t.Run("telegram forged or malformed webhooks", func(t *testing.T) {
		before := inboxRows()
		update := []byte(`{"update_id":4242,"message":{"message_id":1,"date":1,"chat":{"id":6499,"type":"private"},"from":{"id":6499,"is_bot":false,"first_name":"x"},"text":"/start"}}`)
		huge := append([]byte(`{"update_id":4243,"message":{"message_id":1,"date":1,"chat":{"id":6499,"type":"private"},"from":{"id":6499,"is_bot":false,"first_name":"x"},"text":"`),
			bytes.Repeat([]byte("a"), 3<<20)...)
		huge = append(huge, []byte(`"}}`)...)
		tests := []struct {
			name        string
			method      string
			body        []byte
			contentType string
			secret      string
			want        int
		}{
			{name: "no secret", method: http.MethodPost, body: update, contentType: "application/json", want: http.StatusUnauthorized},
			{name: "wrong secret", method: http.MethodPost, body: update, contentType: "application/json", secret: "test-secret_0123456780", want: http.StatusUnauthorized},
			{name: "wrong content type", method: http.MethodPost, body: update, contentType: "text/plain", secret: cfg.Telegram.WebhookSecret, want: http.StatusUnsupportedMediaType},
			{name: "oversized body", method: http.MethodPost, body: huge, contentType: "application/json", secret: cfg.Telegram.WebhookSecret, want: http.StatusRequestEntityTooLarge},
			{name: "not an update", method: http.MethodPost, body: []byte(`[1,2,3]`), contentType: "application/json", secret: cfg.Telegram.WebhookSecret, want: http.StatusBadRequest},
			{name: "GET", method: http.MethodGet, secret: cfg.Telegram.WebhookSecret, want: http.StatusMethodNotAllowed},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				req, _ := http.NewRequest(tt.method, tgHook, bytes.NewReader(tt.body))
				if tt.contentType != "" {
					req.Header.Set("Content-Type", tt.contentType)
				}
				if tt.secret != "" {
					req.Header.Set("X-Telegram-Bot-Api-Secret-Token", tt.secret)
				}
				resp, err := http.DefaultClient.Do(req)
				testenv.Must(t, "post", err)
				resp.Body.Close()
				// The mux answers 405 itself for a GET on a POST route.
				if resp.StatusCode != tt.want {
					t.Fatalf("answered %s, want %d", resp.Status, tt.want)
				}
			})
		}
		time.Sleep(300 * time.Millisecond)
		if n := inboxRows(); n != before {
			t.Errorf("%d refused updates were journaled", n-before)
		}
		for _, c := range tg.Calls("sendMessage") {
			if c.ChatID() == "6499" {
				t.Fatalf("the bot answered a forged update: %q", c.Fields["text"])
			}
		}
	})

	t.Run("zalo forged, altered, foreign and replayed webhooks", func(t *testing.T) {
		before := inboxRows()
		now := time.Now()
		body := zalotest.TextEvent(zaloAppID, zaloOAID, "7499", "sec-msg-1", "baocao", now)
		goodSig, err := zalotest.SignBody(body, zaloOAKey)
		testenv.Must(t, "sign", err)
		// The same event re-sent later with a fresher timestamp but the old signature.
		altered := bytes.Replace(body, []byte(fmt.Sprint(now.UnixMilli())), []byte(fmt.Sprint(now.Add(time.Hour).UnixMilli())), 1)
		if bytes.Equal(altered, body) {
			t.Fatal("test bug: the timestamp was not changed")
		}
		foreign := zalotest.TextEvent("1111111111111111", zaloOAID, "7499", "sec-msg-2", "baocao", now)
		foreignSig, _ := zalotest.SignBody(foreign, zaloOAKey)
		wrongKeySig, _ := zalotest.SignBody(body, "not-the-oa-key")
		huge := zalotest.TextEvent(zaloAppID, zaloOAID, "7499", "sec-msg-3", strings.Repeat("a", 2<<20), now)
		hugeSig, _ := zalotest.SignBody(huge, zaloOAKey)
		tests := []struct {
			name string
			body []byte
			sig  string
			want int
		}{
			{name: "no signature", body: body, want: http.StatusUnauthorized},
			{name: "wrong key", body: body, sig: wrongKeySig, want: http.StatusUnauthorized},
			{name: "timestamp changed after signing", body: altered, sig: goodSig, want: http.StatusUnauthorized},
			{name: "another app's event", body: foreign, sig: foreignSig, want: http.StatusUnauthorized},
			{name: "oversized body", body: huge, sig: hugeSig, want: http.StatusRequestEntityTooLarge},
			{name: "not JSON", body: []byte("app_id=1&event_name=x"), sig: goodSig, want: http.StatusBadRequest},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				req, _ := http.NewRequest(http.MethodPost, zaHook, bytes.NewReader(tt.body))
				req.Header.Set("Content-Type", "application/json")
				if tt.sig != "" {
					req.Header.Set("X-ZEvent-Signature", tt.sig)
				}
				resp, err := http.DefaultClient.Do(req)
				testenv.Must(t, "post", err)
				resp.Body.Close()
				if resp.StatusCode != tt.want {
					t.Fatalf("answered %s, want %d", resp.Status, tt.want)
				}
			})
		}
		if n := inboxRows(); n != before {
			t.Errorf("%d refused events were journaled", n-before)
		}
		// The genuine event, then the very same bytes again (a captured
		// request replayed): accepted once, answered once.
		postGenuine := func() {
			req, _ := http.NewRequest(http.MethodPost, zaHook, bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("X-ZEvent-Signature", goodSig)
			resp, err := http.DefaultClient.Do(req)
			testenv.Must(t, "post", err)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("genuine event answered %s", resp.Status)
			}
		}
		postGenuine()
		eventually(t, 10*time.Second, "the genuine event answered", func() bool { return len(zaloSentTo(za, "7499")) > 0 })
		time.Sleep(500 * time.Millisecond)
		answered := len(zaloSentTo(za, "7499"))
		postGenuine()
		time.Sleep(500 * time.Millisecond)
		if n := inboxRows(); n != before+1 {
			t.Errorf("%d journal rows for one event sent twice, want 1", n-before)
		}
		if n := len(zaloSentTo(za, "7499")); n != answered {
			t.Errorf("the OA answered a replayed event again (%d more messages)", n-answered)
		}
	})

	var ids atomic.Int64
	ids.Store(740000)
	post := webhookPoster(t, base, cfg)
	an := &tgUser{t: t, fake: tg, id: 6402, name: "An", phone: "84912000002", post: post, nextID: &ids}
	binh := &tgUser{t: t, fake: tg, id: 6403, name: "Bình", phone: "84912000003", post: post, nextID: &ids}
	cong := &tgUser{t: t, fake: tg, id: 6401, name: "Công", phone: "84912000001", post: post, nextID: &ids}
	onboard(an, "Nguyễn Văn An")
	onboard(binh, "Lê Thị Bình")
	onboard(cong, "Trần Văn Công")

	t.Run("another user's or a stale button", func(t *testing.T) {
		an.say("/baocao")
		kinds := an.waitFor("Bạn muốn báo cáo việc gì")
		an.tap(kinds, "Nguồn tin")
		topics := an.waitFor("Tin này về việc gì")
		an.tap(topics, "Người lạ")
		an.waitFor("Chuyện gì đã xảy ra")
		an.say("Người lạ dò hỏi giờ trực của tổ")
		an.waitFor("Việc này ở đâu")
		an.say("Nhà văn hóa thôn Đông")
		an.tap(an.waitFor("hôm nào"), "Hôm nay")
		an.tap(an.waitFor("xử lý ngay"), "Không")
		for _, prompt := range []string{"vị trí", "ảnh", "Ai cung cấp"} {
			an.tap(an.waitFor(prompt), "Bỏ qua")
		}
		summary := an.waitFor("Xác nhận gửi")

		// Bình replays An's confirm button in his own chat (the data came
		// from An's screen): refused as a stale button, nothing stored.
		binh.tap(summary, "Xác nhận gửi")
		binh.waitFor("Nút này đã cũ")
		// An taps a button of an earlier step: no change to the report.
		an.tap(topics, "Người lạ")
		time.Sleep(500 * time.Millisecond)
		if n := tipCount(t, a); n != 0 {
			t.Fatalf("%d tips stored by foreign or stale taps", n)
		}
		an.tap(summary, "Xác nhận gửi")
		ref := refRE.FindString(an.waitFor("Số hiệu").Text)
		an.tap(summary, "Xác nhận gửi") // a second tap on the same confirm
		an.waitFor("đã được gửi rồi")
		if n := tipCount(t, a); n != 1 {
			t.Fatalf("%d tips stored, want 1", n)
		}
		var id int64
		fmt.Sscanf(ref, "#%d", &id)
		sub, err := a.Store.SubmissionByID(ctx, id)
		testenv.Must(t, "load tip", err)
		if !strings.Contains(fmt.Sprint(sub.Answers), "giờ trực") {
			t.Errorf("tip %s lost its text: %v", ref, sub.Answers)
		}
		for _, m := range binh.messages() {
			if strings.Contains(m.Text, "giờ trực") || strings.Contains(m.Text, ref) {
				t.Errorf("Bình was shown An's tip: %q", m.Text)
			}
		}
	})

	t.Run("one user's flood is throttled without affecting others", func(t *testing.T) {
		// Each update that passes gets one answer before its webhook is
		// answered (a webhook update is claimed, not journaled: see
		// bot.Claimer); a dropped one gets none, apart from the one notice.
		answered := func() int64 {
			var n int64
			for _, m := range cong.messages() {
				if !strings.Contains(m.Text, "thao tác hơi nhanh") {
					n++
				}
			}
			return n
		}
		before := answered()
		start := time.Now()
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 80; i++ {
				cong.say(fmt.Sprintf("spam %d", i))
			}
		}()
		// Bình works normally during the flood, and is answered promptly.
		binh.say("/baocao")
		binh.waitFor("Bạn muốn báo cáo việc gì")
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("Bình waited %s during another user's flood", d)
		}
		wg.Wait()
		flood := time.Since(start)
		// 20 at once, then 2 a second while the flood lasts; the rest is
		// dropped before the journal, the queue and the session.
		passed := answered() - before
		if max := 20 + int64(flood.Seconds()*2) + 1; passed > max || passed < 20 {
			t.Errorf("%d of 80 flood messages passed in %s, want 20 to %d", passed, flood, max)
		}
		eventually(t, 20*time.Second, "the flooder told to slow down", func() bool { return countWith(cong, "thao tác hơi nhanh") > 0 })
		time.Sleep(500 * time.Millisecond)
		if n := countWith(cong, "thao tác hơi nhanh"); n != 1 {
			t.Errorf("the flooder was told to slow down %d times, want once", n)
		}
		if countWith(binh, "thao tác hơi nhanh") != 0 {
			t.Error("the bystander was throttled")
		}
		if _, body := getStatus(t, base, cfg.Metrics.Path); !strings.Contains(body, `anttbot_updates_throttled_total{channel="telegram"} 1`) {
			t.Error("the throttled flood is not counted on /metrics")
		}
	})
}

// zaloSentTo returns the texts the OA sent to a user.
func zaloSentTo(za *zalotest.Server, userID string) []string {
	var out []string
	for _, r := range za.Requests("/v3.0/oa/message/cs") {
		var body struct {
			Recipient struct {
				UserID string `json:"user_id"`
			} `json:"recipient"`
		}
		if json.Unmarshal(r.Body, &body) == nil && body.Recipient.UserID == userID {
			out = append(out, r.Text())
		}
	}
	return out
}
