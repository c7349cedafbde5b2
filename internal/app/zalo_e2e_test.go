package app

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/anttbot/anttbot/bot"
	"github.com/anttbot/anttbot/bot/zalo/zalotest"
	"github.com/anttbot/anttbot/delivery"
	"github.com/anttbot/anttbot/internal/testenv"
	"github.com/anttbot/anttbot/store"
)

const (
	zaloAppID  = "3608465249409039"
	zaloSecret = "app-secret-for-tests"
	zaloOAKey  = "oa-secret-key-for-tests"
	zaloOAID   = "388613280878808645"
)

// zUser is a Zalo user writing to the Official Account through signed webhooks.
type zUser struct {
	t     *testing.T
	fake  *zalotest.Server
	hook  string
	id    string
	name  string
	phone string
	seq   *atomic.Int64
	seen  int
}

// post signs and delivers a webhook body and returns it.
func (u *zUser) post(body []byte) []byte {
	u.t.Helper()
	req, err := zalotest.WebhookRequest(u.hook, body, zaloOAKey)
	testenv.Must(u.t, "webhook request", err)
	resp, err := http.DefaultClient.Do(req)
	testenv.Must(u.t, "webhook", err)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		u.t.Fatalf("webhook answered %s", resp.Status)
	}
	return body
}

func (u *zUser) at() time.Time { return time.UnixMilli(time.Now().UnixMilli() + u.seq.Add(1)) }

func (u *zUser) say(text string) []byte {
	return u.post(zalotest.TextEvent(zaloAppID, zaloOAID, u.id, fmt.Sprintf("msg%06d", u.seq.Add(1)), text, u.at()))
}

func (u *zUser) submitInfo() []byte {
	return u.post(zalotest.SubmitInfoEvent(zaloAppID, zaloOAID, u.id, u.name, u.phone, u.at()))
}

type zMessage struct {
	Text     string
	Buttons  map[string]string
	Template string
}

func (u *zUser) messages() []zMessage {
	var out []zMessage
	for _, r := range u.fake.Requests("/v3.0/oa/message/cs") {
		body := r.JSON()
		rcp, _ := body["recipient"].(map[string]any)
		if rcp["user_id"] != u.id {
			continue
		}
		m := zMessage{Text: r.Text(), Buttons: r.Buttons()}
		if msg, ok := body["message"].(map[string]any); ok {
			if att, ok := msg["attachment"].(map[string]any); ok {
				if p, ok := att["payload"].(map[string]any); ok {
					m.Template, _ = p["template_type"].(string)
					if els, ok := p["elements"].([]any); ok && len(els) > 0 {
						if el, ok := els[0].(map[string]any); ok {
							title, _ := el["title"].(string)
							sub, _ := el["subtitle"].(string)
							m.Text += title + "\n" + sub
						}
					}
				}
			}
		}
		out = append(out, m)
	}
	return out
}

func (u *zUser) waitFor(want string) zMessage {
	u.t.Helper()
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(30 * time.Millisecond) {
		ms := u.messages()
		for i := u.seen; i < len(ms); i++ {
			if strings.Contains(ms[i].Text, want) {
				u.seen = i + 1
				return ms[i]
			}
		}
	}
	var texts []string
	for _, m := range u.messages() {
		texts = append(texts, m.Text)
	}
	u.t.Fatalf("zalo user %s: no message containing %q; OA said:\n%s", u.name, want, strings.Join(texts, "\n---\n"))
	return zMessage{}
}

// tap answers a choice: a template button by posting its payload back (as
// Zalo does), or a numbered-list entry by typing its number.
func (u *zUser) tap(m zMessage, label string) []byte {
	u.t.Helper()
	for title, payload := range m.Buttons {
		if strings.Contains(title, label) {
			return u.say(payload)
		}
	}
	re := regexp.MustCompile(`(?m)^\s*(\d+)[.)] .*` + regexp.QuoteMeta(label))
	if mm := re.FindStringSubmatch(m.Text); mm != nil {
		return u.say(mm[1])
	}
	u.t.Fatalf("no choice %q in %q (buttons %v)", label, m.Text, m.Buttons)
	return nil
}

func TestZaloEndToEnd(t *testing.T) {
	fake := zalotest.NewServer(t, zaloAppID, zaloSecret)
	fake.AddRefreshToken("bootstrap-refresh-token")
	cfg := productionConfig(t)
	cfg.Zalo.Enabled = true
	cfg.Zalo.AppID = zaloAppID
	cfg.Zalo.AppSecret = zaloSecret
	cfg.Zalo.OASecretKey = zaloOAKey
	cfg.Zalo.RefreshToken = "bootstrap-refresh-token"
	cfg.Zalo.APIURL = fake.URL
	cfg.Zalo.OAuthURL = fake.URL
	cfg.Zalo.ZNS.APIURL = fake.URL
	testenv.Must(t, "config", cfg.Validate())
	a, base := startApp(t, cfg, WithTickEvery(100*time.Millisecond))
	hook := base + cfg.Zalo.WebhookPath

	// A forged webhook is refused and changes nothing.
	req, _ := zalotest.WebhookRequest(hook, zalotest.TextEvent(zaloAppID, zaloOAID, "1", "forged1", "baocao", time.Now()), "wrong-key")
	resp, err := http.DefaultClient.Do(req)
	testenv.Must(t, "forged webhook", err)
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("forged webhook answered %s, want 401", resp.Status)
	}

	var seq atomic.Int64
	officer := &zUser{t: t, fake: fake, hook: hook, id: "7001", name: "Trần Văn Công", phone: "84912000001", seq: &seq}
	member := &zUser{t: t, fake: fake, hook: hook, id: "7002", name: "Nguyễn Văn An", phone: "0912000002", seq: &seq}
	for _, u := range []*zUser{officer, member} {
		u.say("xin chào")
		if m := u.waitFor("số điện thoại"); m.Template != "request_user_info" && len(m.Buttons) == 0 {
			t.Logf("onboarding prompt: %+v", m)
		}
		u.submitInfo()
	}
	officer.waitFor("Trần Văn Công")
	member.waitFor("Nguyễn Văn An")
	ctx := context.Background()
	for _, u := range []*zUser{officer, member} {
		if _, _, err := a.Store.PersonByIdentity(ctx, "zalo", u.id); err != nil {
			t.Fatalf("%s not linked: %v", u.name, err)
		}
	}

	// The access token expires mid-conversation: one refresh, nothing lost.
	tokensBefore := len(fake.Requests("/v4/oa/access_token"))
	fake.RevokeAccessTokens()

	member.say("báo cáo")
	member.tap(member.waitFor("Bạn muốn báo cáo việc gì"), "Nguồn tin")
	// The fake records the rejected send too, so wait for the refresh itself.
	refreshes := func() int { return len(fake.Requests("/v4/oa/access_token")) - tokensBefore }
	for deadline := time.Now().Add(10 * time.Second); refreshes() == 0 && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
	}
	member.waitFor("Tin này về việc gì") // the flow went on after the refresh
	if n := refreshes(); n != 1 {
		t.Fatalf("%d token refreshes after the token expired, want exactly 1", n)
	}
	member.seen = 0
	member.tap(member.waitFor("Tin này về việc gì"), "Người lạ")
	member.waitFor("Chuyện gì đã xảy ra")
	member.say("Có 3 người lạ hỏi mua xe máy cũ không giấy tờ 🛵")
	member.waitFor("Việc này ở đâu")
	member.say("Quán nước đầu thôn Đông")
	member.tap(member.waitFor("hôm nào"), "Hôm nay")
	member.tap(member.waitFor("xử lý ngay"), "Không")
	for _, prompt := range []string{"vị trí", "ảnh", "Ai cung cấp"} {
		member.tap(member.waitFor(prompt), "Bỏ qua")
	}
	confirm := member.tap(member.waitFor("Xác nhận gửi"), "Xác nhận gửi")
	done := member.waitFor("#")
	if !refRE.MatchString(done.Text) {
		t.Fatalf("confirmation without #number: %q", done.Text)
	}
	// The commune police officer receives the tip on Zalo.
	officer.waitFor(refRE.FindString(done.Text))
	count := func() int64 {
		n, err := a.Store.CountSubmissions(ctx, store.CountFilter{Kinds: []string{"tip"}})
		testenv.Must(t, "count", err)
		return n
	}
	if n := count(); n != 1 {
		t.Fatalf("%d tips stored, want 1", n)
	}
	// The same webhook delivered twice changes nothing.
	sent := len(fake.Requests("/v3.0/oa/message/cs"))
	member.post(confirm)
	time.Sleep(500 * time.Millisecond)
	if n := count(); n != 1 {
		t.Fatalf("a re-delivered webhook stored %d tips", n)
	}
	if n := len(fake.Requests("/v3.0/oa/message/cs")); n != sent {
		t.Fatalf("a re-delivered webhook made the OA send %d more messages", n-sent)
	}
	member.say("cuatoi")
	member.waitFor("Nguồn tin")

	// A scheduled message to a user silent for more than 7 days is not fired
	// into an error: with no ZNS template it is recorded as unreachable.
	person, ident, err := a.Store.PersonByIdentity(ctx, "zalo", member.id)
	testenv.Must(t, "member", err)
	testenv.Must(t, "age the interaction", a.Store.DB().Model(&store.Identity{}).Where("id = ?", ident.ID).
		Update("last_seen_at", time.Now().Add(-8*24*time.Hour)).Error)
	sentBefore := len(fake.Requests("/v3.0/oa/message/cs"))
	testenv.Must(t, "enqueue", delivery.EnqueueNow(ctx, a.Store, delivery.Job{
		To: delivery.ToPerson(person.ID), Kind: "reminder", Scheduled: true,
		Message: bot.Message{Text: "Nhắc việc tháng"},
	}))
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		entries, err := a.Store.AuditEntries(ctx, "person", fmt.Sprint(person.ID))
		testenv.Must(t, "audit", err)
		found := false
		for _, e := range entries {
			if e.Action == "delivery.unreachable" {
				found = true
			}
		}
		if found {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no delivery.unreachable audit for the silent Zalo user; audit: %+v", entries)
		}
	}
	if n := len(fake.Requests("/v3.0/oa/message/cs")) - sentBefore; n != 0 {
		t.Fatalf("%d consultation messages fired at a user outside the 7-day window", n)
	}
}
