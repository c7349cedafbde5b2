package app

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/anttbot/anttbot/bot/telegram/telegramtest"
	"github.com/anttbot/anttbot/config"
	"github.com/anttbot/anttbot/internal/testenv"
	"github.com/anttbot/anttbot/orgimport"
	"github.com/anttbot/anttbot/store"
)

// orgCSV is the imported organisation the channel tests onboard against.
const orgCSV = "tinh,xa,to,ho_ten,so_dien_thoai,vai_tro\n" +
	"Hải Dương,Xã Thanh Bình,,Trần Văn Công,0912 000 001,cong_an_xa\n" +
	"Hải Dương,Xã Thanh Bình,Tổ ANTT thôn Đông,Nguyễn Văn An,+84912000002,to_vien\n" +
	"Hải Dương,Xã Thanh Bình,Tổ ANTT thôn Đông,Lê Thị Bình,84-912-000-003,to_truong\n"

// productionConfig is PostgreSQL + Redis, as in production, with a fresh
// database and key prefix for the test and the organisation imported.
func productionConfig(t *testing.T) config.Config {
	t.Helper()
	_, prefix := testenv.Redis(t)
	cfg := config.Default()
	cfg.App.DataDir = t.TempDir()
	cfg.Database.Driver = config.DriverPostgres
	cfg.Database.DSN = testenv.Postgres(t)
	cfg.Redis.URL = testenv.RedisURL()
	cfg.Redis.KeyPrefix = prefix

	ctx := context.Background()
	st, err := store.Open(ctx, cfg.Database.Driver, cfg.Database.DSN)
	testenv.Must(t, "open store", err)
	defer st.Close()
	testenv.Must(t, "migrate", st.Migrate(ctx))
	path := filepath.Join(t.TempDir(), "org.csv")
	testenv.Must(t, "write org", os.WriteFile(path, []byte(orgCSV), 0o600))
	_, err = orgimport.ImportFile(ctx, st, path)
	testenv.Must(t, "import org", err)
	return cfg
}

// tgUser is a Telegram user talking to the bot through the fake Bot API.
type tgUser struct {
	t      *testing.T
	fake   *telegramtest.Server
	id     int64
	name   string
	phone  string
	post   func(raw []byte) // delivers an update (polling queue or webhook POST)
	nextID *atomic.Int64
	seen   int // bot messages already read
}

func (u *tgUser) update(body map[string]any) []byte {
	body["update_id"] = u.nextID.Add(1)
	raw, err := json.Marshal(body)
	if err != nil {
		u.t.Fatal(err)
	}
	u.post(raw)
	return raw
}

func (u *tgUser) from() map[string]any {
	return map[string]any{"id": u.id, "is_bot": false, "first_name": u.name, "language_code": "vi"}
}

func (u *tgUser) chat() map[string]any {
	return map[string]any{"id": u.id, "type": "private", "first_name": u.name}
}

func (u *tgUser) message(extra map[string]any) map[string]any {
	m := map[string]any{"message_id": u.nextID.Load(), "from": u.from(), "chat": u.chat(), "date": time.Now().Unix()}
	for k, v := range extra {
		m[k] = v
	}
	return m
}

// say sends text (a command gets its bot_command entity, as Telegram sends it).
func (u *tgUser) say(text string) []byte {
	extra := map[string]any{"text": text}
	if strings.HasPrefix(text, "/") {
		cmd, _, _ := strings.Cut(text, " ")
		extra["entities"] = []map[string]any{{"type": "bot_command", "offset": 0, "length": len(cmd)}}
	}
	return u.update(map[string]any{"message": u.message(extra)})
}

func (u *tgUser) shareContact() []byte {
	return u.update(map[string]any{"message": u.message(map[string]any{
		"contact": map[string]any{"phone_number": u.phone, "first_name": u.name, "user_id": u.id},
	})})
}

// botMessage is one message the bot sent (or edited) in this chat.
type botMessage struct {
	Text    string
	Buttons map[string]string // label → callback_data
	ID      string
}

// messages returns what the bot sent to this user, oldest first.
func (u *tgUser) messages() []botMessage {
	var out []botMessage
	for _, c := range u.fake.Calls("sendMessage", "editMessageText", "sendPhoto") {
		if c.ChatID() != fmt.Sprint(u.id) || !c.OK() {
			continue
		}
		m := botMessage{Text: c.Fields["text"] + c.Fields["caption"], Buttons: map[string]string{}, ID: c.Fields["message_id"]}
		var kb struct {
			Inline [][]struct {
				Text string `json:"text"`
				Data string `json:"callback_data"`
			} `json:"inline_keyboard"`
		}
		if c.Fields["reply_markup"] != "" && json.Unmarshal([]byte(c.Fields["reply_markup"]), &kb) == nil {
			for _, row := range kb.Inline {
				for _, b := range row {
					m.Buttons[b.Text] = b.Data
				}
			}
		}
		out = append(out, m)
	}
	return out
}

// waitFor waits until a new bot message contains want and returns it.
func (u *tgUser) waitFor(want string) botMessage {
	u.t.Helper()
	return u.waitForWithin(want, 15*time.Second)
}

// waitForWithin is waitFor with its own deadline.
func (u *tgUser) waitForWithin(want string, d time.Duration) botMessage {
	u.t.Helper()
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		ms := u.messages()
		for i := u.seen; i < len(ms); i++ {
			if strings.Contains(ms[i].Text, want) {
				u.seen = i + 1
				return ms[i]
			}
		}
		time.Sleep(30 * time.Millisecond)
	}
	var texts []string
	for _, m := range u.messages() {
		texts = append(texts, m.Text)
	}
	u.t.Fatalf("user %s: no bot message containing %q; bot said:\n%s", u.name, want, strings.Join(texts, "\n---\n"))
	return botMessage{}
}

// tap presses the button whose label contains label on message m.
func (u *tgUser) tap(m botMessage, label string) []byte {
	u.t.Helper()
	for text, data := range m.Buttons {
		if strings.Contains(text, label) {
			return u.update(map[string]any{"callback_query": map[string]any{
				"id": fmt.Sprint(u.nextID.Load()), "from": u.from(), "chat_instance": "1", "data": data,
				"message": map[string]any{"message_id": 1, "from": map[string]any{"id": 1, "is_bot": true, "first_name": "bot"},
					"chat": u.chat(), "date": time.Now().Unix(), "text": m.Text},
			}})
		}
	}
	u.t.Fatalf("no button %q on message %q (buttons %v)", label, m.Text, m.Buttons)
	return nil
}

// reportTip walks /baocao → Nguồn tin to the confirmation and returns the
// raw confirm update and the confirmation message.
func reportTip(t *testing.T, u *tgUser) ([]byte, botMessage) {
	u.say("/baocao")
	m := u.waitFor("Bạn muốn báo cáo việc gì")
	u.tap(m, "Nguồn tin")
	u.tap(u.waitFor("Tin này về việc gì"), "Người lạ")
	u.waitFor("Chuyện gì đã xảy ra")
	u.say("Tối nào cũng có 3 người lạ tụ tập ở bãi đất sau chợ 👀")
	u.waitFor("Việc này ở đâu")
	u.say("Bãi đất trống sau chợ Thanh Bình")
	u.tap(u.waitFor("hôm nào"), "Hôm nay")
	u.tap(u.waitFor("xử lý ngay"), "Không")
	for _, prompt := range []string{"vị trí", "ảnh", "Ai cung cấp"} {
		u.tap(u.waitFor(prompt), "Bỏ qua")
	}
	summary := u.waitFor("Xác nhận gửi")
	confirm := u.tap(summary, "Xác nhận gửi")
	done := u.waitFor("#")
	return confirm, done
}

func TestTelegramEndToEnd(t *testing.T) {
	for _, mode := range []string{config.ModePolling, config.ModeWebhook} {
		t.Run(mode, func(t *testing.T) { testTelegramMode(t, mode) })
	}
}

func testTelegramMode(t *testing.T, mode string) {
	fake := telegramtest.NewServer(t, "")
	cfg := productionConfig(t)
	cfg.Telegram.Enabled = true
	cfg.Telegram.Token = fake.Token
	cfg.Telegram.APIURL = fake.URL
	cfg.Telegram.Mode = mode
	cfg.Telegram.WebhookURL = "https://bot.example.org:8443/telegram/webhook"
	cfg.Telegram.WebhookSecret = "test-secret_0123456789"
	testenv.Must(t, "config", cfg.Validate())
	a, base := startApp(t, cfg, WithTickEvery(100*time.Millisecond))

	var ids atomic.Int64
	ids.Store(900000)
	post := fake.AddUpdate
	if mode == config.ModeWebhook {
		post = func(raw []byte) {
			req, _ := http.NewRequest(http.MethodPost, base+cfg.Telegram.WebhookPath, bytes.NewReader(raw))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("X-Telegram-Bot-Api-Secret-Token", cfg.Telegram.WebhookSecret)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatalf("webhook: %v", err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("webhook answered %s", resp.Status)
			}
		}
		// A request without the right secret is refused and changes nothing.
		for _, secret := range []string{"", "wrong-secret"} {
			req, _ := http.NewRequest(http.MethodPost, base+cfg.Telegram.WebhookPath, strings.NewReader(`{"update_id":1,"message":{"message_id":1,"date":1,"chat":{"id":5,"type":"private"},"from":{"id":5,"is_bot":false,"first_name":"x"},"text":"/start"}}`))
			req.Header.Set("Content-Type", "application/json")
			if secret != "" {
				req.Header.Set("X-Telegram-Bot-Api-Secret-Token", secret)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusUnauthorized {
				t.Fatalf("secret %q: webhook answered %s, want 401", secret, resp.Status)
			}
		}
		for deadline := time.Now().Add(10 * time.Second); fake.Webhook() == nil && time.Now().Before(deadline); {
			time.Sleep(20 * time.Millisecond)
		}
		if w := fake.Webhook(); w == nil || w.URL != cfg.Telegram.WebhookURL {
			t.Fatalf("setWebhook not called with the configured URL: %+v", w)
		}
	}

	officer := &tgUser{t: t, fake: fake, id: 5001, name: "Công", phone: "+84912000001", post: post, nextID: &ids}
	member := &tgUser{t: t, fake: fake, id: 5002, name: "An", phone: "84912000002", post: post, nextID: &ids}
	for _, u := range []*tgUser{officer, member} {
		u.say("/start")
		u.waitFor("chia sẻ số điện thoại")
		u.shareContact()
	}
	officer.waitFor("Trần Văn Công")
	member.waitFor("Nguyễn Văn An")

	// Menus: members' commands for every private chat in each language, and
	// the officer's chat gets the police commands once linked.
	menu := func(scope, lang string) string {
		var last string
		for _, c := range fake.Calls("setMyCommands") {
			if c.OK() && strings.Contains(c.Fields["scope"], scope) && c.Fields["language_code"] == lang {
				last = c.Fields["commands"]
			}
		}
		return last
	}
	for deadline := time.Now().Add(10 * time.Second); (menu(`5001`, "") == "" || menu(`5002`, "") == "") && time.Now().Before(deadline); {
		time.Sleep(50 * time.Millisecond)
	}
	if m := menu("all_private_chats", "vi"); !strings.Contains(m, `"baocao"`) {
		t.Errorf("default Vietnamese menu = %s, want the member commands", m)
	}
	if m := menu("all_private_chats", "en"); !strings.Contains(m, `"baocao"`) {
		t.Errorf("default English menu = %s", m)
	}
	if m := menu(`5001`, ""); !strings.Contains(m, `"solieu"`) || strings.Contains(m, `"baocao"`) {
		t.Errorf("the officer's menu = %s, want police commands and no /baocao", m)
	}
	if m := menu(`5002`, ""); !strings.Contains(m, `"baocao"`) || strings.Contains(m, `"solieu"`) {
		t.Errorf("the member's menu = %s, want member commands only", m)
	}

	confirm, done := reportTip(t, member)
	ref := refRE.FindString(done.Text)
	if ref == "" {
		t.Fatalf("confirmation without #number: %q", done.Text)
	}
	// The commune police officer gets the tip at once, with its reference and action buttons.
	push := officer.waitFor(ref)
	if _, ok := push.Buttons["Tiếp nhận"]; !ok && len(push.Buttons) == 0 {
		t.Fatalf("the officer's copy of %s has no action buttons: %+v", ref, push)
	}
	ctx := context.Background()
	count := func() int64 {
		n, err := a.Store.CountSubmissions(ctx, store.CountFilter{Kinds: []string{"tip"}})
		testenv.Must(t, "count", err)
		return n
	}
	if n := count(); n != 1 {
		t.Fatalf("%d tips stored, want 1", n)
	}

	// The same update delivered again (a webhook retry; for polling, Telegram
	// would never return a confirmed update, and the fake server does the same).
	before := len(fake.Calls("sendMessage", "editMessageText"))
	post(confirm)
	time.Sleep(500 * time.Millisecond)
	if n := count(); n != 1 {
		t.Fatalf("a re-delivered confirm stored %d tips", n)
	}
	if after := len(fake.Calls("sendMessage", "editMessageText")); after != before {
		t.Fatalf("a re-delivered update made the bot send %d more messages", after-before)
	}
	// A webhook update is answered after its step, claimed in Redis: Telegram's
	// redelivery is its journal, so no journal row is written for it; a polled
	// update is journaled in the database before it is handled.
	var journaled int64
	testenv.Must(t, "count journal rows", a.Store.DB().WithContext(ctx).
		Raw("SELECT count(*) FROM inbox WHERE channel = 'telegram'").Scan(&journaled).Error)
	if mode == config.ModeWebhook && journaled != 0 {
		t.Errorf("%d webhook updates journaled in the database, want none (claimed in Redis)", journaled)
	}
	if mode == config.ModePolling && journaled == 0 {
		t.Error("no polled update journaled in the database")
	}

	member.say("/cuatoi")
	if m := member.waitFor(ref); !strings.Contains(m.Text, "Nguồn tin") {
		t.Fatalf("/cuatoi should list %s as a tip: %q", ref, m.Text)
	}
	// Every tap was answered, so no button keeps spinning (7 taps in reportTip).
	if n := len(fake.Calls("answerCallbackQuery")); n < 7 {
		t.Fatalf("%d callback queries answered, want every tap answered", n)
	}
}
