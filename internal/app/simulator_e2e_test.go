package app

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/anttbot/anttbot/bot/simulator/simtest"
	"github.com/anttbot/anttbot/store"
)

var update = flag.Bool("update", false, "rewrite docs/simulator.png from the end-to-end test")

// TestSimulatorEndToEnd drives the real service through the simulator page in
// headless Chromium: the demo member onboards by sharing their contact, sends
// a good-deed report with a photo, and sees its #number.
func TestSimulatorEndToEnd(t *testing.T) {
	a, base := startApp(t, sqliteConfig(t), WithDemo())
	ctx := simtest.Browser(t)
	step := func(what string, err error) {
		t.Helper()
		if err != nil {
			shot := filepath.Join(t.TempDir(), "failure.png")
			_ = simtest.Screenshot(ctx, shot)
			texts, _ := simtest.BotTexts(ctx)
			t.Fatalf("%s: %v\nbot said: %q\nscreenshot: %s", what, err, texts, shot)
		}
	}
	step("open", simtest.Open(ctx, base+"/"))
	step("pick member", simtest.PickPerson(ctx, "Phạm Văn Minh"))
	step("start", simtest.SendText(ctx, "/start"))
	step("asked for phone", simtest.WaitText(ctx, "chia sẻ số điện thoại"))
	step("share contact", simtest.ShareContact(ctx))
	step("greeted", simtest.WaitText(ctx, "Chào Phạm Văn Minh"))
	step("report", simtest.SendText(ctx, "/baocao"))
	step("kind menu", simtest.WaitText(ctx, "Bạn muốn báo cáo việc gì"))
	step("choose good deed", simtest.TapButton(ctx, "🌟 Việc tốt"))
	step("asked what", simtest.WaitText(ctx, "Bạn đã làm việc tốt gì?"))
	step("answer what", simtest.SendText(ctx, "Giúp cụ bà ở thôn Đông sửa mái nhà bị dột 🏠"))
	step("asked date", simtest.WaitText(ctx, "Việc xảy ra hôm nào?"))
	step("today", simtest.TapButton(ctx, "Hôm nay"))
	step("asked helped", simtest.WaitText(ctx, "Bạn đã giúp ai?"))
	step("answer helped", simtest.SendText(ctx, "Cụ Nguyễn Thị Tư"))
	step("asked photo", simtest.WaitText(ctx, "Gửi ảnh"))
	step("attach photo", simtest.AttachPhoto(ctx, "../../bot/simulator/testdata/photo.png", ""))
	step("summary", simtest.WaitText(ctx, "Xác nhận gửi"))
	step("confirm", simtest.TapButton(ctx, "✅ Xác nhận gửi"))
	step("reference", waitRef(ctx))

	shot := filepath.Join(t.TempDir(), "simulator.png")
	step("screenshot", simtest.Screenshot(ctx, shot))
	t.Logf("screenshot: %s", shot)
	if *update {
		data, err := os.ReadFile(shot)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile("../../docs/simulator.png", data, 0o644); err != nil {
			t.Fatal(err)
		}
	}

	// Stored once, with the photo kept by its file id, in the member's team.
	subs, err := a.Store.SubmissionsByReporter(context.Background(), a.Demo.People[3].ID, 10)
	if err != nil {
		t.Fatal(err)
	}
	// The demo history has older reports of this member; the new one is the
	// only one made through a chat flow.
	var fromChat []store.Submission
	for _, s := range subs {
		if strings.HasPrefix(s.IdempotencyKey, "flows:") {
			fromChat = append(fromChat, s)
		}
	}
	if len(fromChat) != 1 || fromChat[0].Kind != "good_deed" || len(fromChat[0].Attachments) != 1 || fromChat[0].TeamID != a.Demo.Teams[0].ID {
		t.Fatalf("reports stored from the chat = %+v", fromChat)
	}
	if fromChat[0].Status != store.StatusPending {
		t.Errorf("a new report should wait for verification, status %q", fromChat[0].Status)
	}
}

// waitRef waits until the bot's last message carries a #number.
func waitRef(ctx context.Context) error {
	deadline := time.Now().Add(simtest.Wait)
	for {
		last, err := simtest.LastBotText(ctx)
		if err == nil && refRE.MatchString(last) {
			return nil
		}
		if time.Now().After(deadline) {
			if err == nil {
				err = context.DeadlineExceeded
			}
			return err
		}
		time.Sleep(100 * time.Millisecond)
	}
}
