package simulator_test

import (
	"context"
	"flag"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/anttbot/anttbot/bot"
	"github.com/anttbot/anttbot/bot/simulator"
	"github.com/anttbot/anttbot/bot/simulator/simtest"
	"github.com/anttbot/anttbot/locales"
)

var update = flag.Bool("update", false, "rewrite testdata/screenshot.png from the end-to-end test")

// echoBot stands in for the router and flows: it answers each kind of update
// the way the real flows will (a menu with buttons, an edit in place, a
// request for the contact, a photo sent back by its id).
type echoBot struct {
	sim *simulator.Simulator

	mu   sync.Mutex
	seen []bot.Update
}

func (e *echoBot) HandleUpdate(ctx context.Context, u bot.Update) error {
	e.mu.Lock()
	e.seen = append(e.seen, u)
	e.mu.Unlock()
	reply := func(m bot.Message) error {
		m.ChatID = u.ChatID
		_, err := e.sim.Send(ctx, m)
		return err
	}
	switch u.Kind {
	case bot.KindText:
		if u.Text == "/baocao" {
			return reply(bot.Message{Text: "Bạn muốn báo cáo gì?", Buttons: [][]bot.Button{
				{{Label: "🕵️ Nguồn tin", Data: "kind:tip"}, {Label: "🌟 Việc tốt", Data: "kind:deed"}},
			}})
		}
		return reply(bot.Message{Text: "Bạn vừa gửi: " + u.Text})
	case bot.KindCallback:
		if err := reply(bot.Message{EditMessageID: u.Callback.MessageID, Text: "Đã chọn: Việc tốt",
			AnswerCallbackID: u.Callback.ID, CallbackText: "Đã chọn"}); err != nil {
			return err
		}
		return reply(bot.Message{Text: "Vui lòng chia sẻ số điện thoại để xác minh.", RequestContact: true})
	case bot.KindContact:
		return reply(bot.Message{Text: "Cảm ơn! Số điện thoại " + u.Contact.Phone + " đã được xác minh.", RemoveKeyboard: true})
	case bot.KindPhoto:
		return reply(bot.Message{Text: "Đã nhận ảnh: " + u.Text, Photo: &bot.Media{FileID: u.Photo.FileID}})
	case bot.KindLocation:
		return reply(bot.Message{Text: fmt.Sprintf("Đã nhận vị trí %.4f, %.4f", u.Location.Lat, u.Location.Lon)})
	}
	return nil
}

func (e *echoBot) last() bot.Update {
	e.mu.Lock()
	defer e.mu.Unlock()
	if len(e.seen) == 0 {
		return bot.Update{}
	}
	return e.seen[len(e.seen)-1]
}

func (e *echoBot) kinds() []bot.UpdateKind {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []bot.UpdateKind
	for _, u := range e.seen {
		out = append(out, u.Kind)
	}
	return out
}

func TestEndToEndInChromium(t *testing.T) {
	ctx := simtest.Browser(t)

	cat, err := locales.Load()
	if err != nil {
		t.Fatal(err)
	}
	echo := &echoBot{}
	// The real Dispatcher sits between the page and the bot, as in the service.
	d := bot.NewDispatcher(echo, nil, nil, bot.DispatcherOptions{ReplayEvery: -1})
	echo.sim = simulator.New(d, cast, simulator.WithTranslator(cat))
	srv := httptest.NewServer(echo.sim.Handler())
	t.Cleanup(func() {
		echo.sim.Close()
		srv.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = d.Close(ctx)
	})

	must := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	start := time.Now()
	must("open", simtest.Open(ctx, srv.URL+"/"))
	must("pick member", simtest.PickPerson(ctx, "Nguyễn Văn An"))

	must("send text", simtest.SendText(ctx, "Xin chào tổ bảo vệ"))
	must("echo", simtest.WaitText(ctx, "Bạn vừa gửi: Xin chào tổ bảo vệ"))

	must("send /baocao", simtest.SendText(ctx, "/baocao"))
	must("menu", simtest.WaitText(ctx, "Bạn muốn báo cáo gì?"))
	must("tap", simtest.TapButton(ctx, "🌟 Việc tốt"))
	must("edited menu", simtest.WaitText(ctx, "Đã chọn: Việc tốt"))
	must("contact request", simtest.WaitText(ctx, "Vui lòng chia sẻ số điện thoại"))
	texts, err := simtest.BotTexts(ctx)
	must("read chat", err)
	if slices.ContainsFunc(texts, func(s string) bool { return strings.Contains(s, "Bạn muốn báo cáo gì?") }) {
		t.Errorf("edited message not replaced in place: %q", texts)
	}

	must("share contact", simtest.ShareContact(ctx))
	must("contact verified", simtest.WaitText(ctx, "Cảm ơn! Số điện thoại +84901234567 đã được xác minh."))

	must("attach photo", simtest.AttachPhoto(ctx, "testdata/photo.png", "Giúp cụ bà qua đường"))
	must("photo caption", simtest.WaitText(ctx, "Đã nhận ảnh: Giúp cụ bà qua đường"))
	must("photo shown", simtest.WaitPhoto(ctx))

	must("send location", simtest.SendLocation(ctx, 21.0278, 105.8342))
	must("location", simtest.WaitText(ctx, "Đã nhận vị trí 21.0278, 105.8342"))

	shot := filepath.Join(t.TempDir(), "screenshot.png")
	must("screenshot", simtest.Screenshot(ctx, shot))

	// A refused upload shows the localized reason in the page.
	notImage := filepath.Join(t.TempDir(), "ghi-chu.png")
	must("write file", os.WriteFile(notImage, []byte("không phải ảnh"), 0o644))
	err = simtest.AttachPhoto(ctx, notImage, "")
	if want := cat.T("vi", "simulator.error.not_image"); err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("non-image upload: err = %v, want the page to show %q", err, want)
	}

	// Another person's chat is separate.
	must("pick police", simtest.PickPerson(ctx, "Lê Văn Cường"))
	texts, err = simtest.BotTexts(ctx)
	must("read police chat", err)
	if len(texts) != 0 {
		t.Errorf("police chat shows the member's messages: %q", texts)
	}

	// In English the page's own text changes and the bot is told the locale.
	must("switch to English", simtest.SetLang(ctx, "en"))
	placeholder, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById('text').placeholder`))
	must("read placeholder", err)
	if want := cat.T("en", "simulator.input.placeholder"); placeholder != want {
		t.Errorf("placeholder in English = %q, want %q", placeholder, want)
	}
	must("send in English", simtest.SendText(ctx, "hello"))
	must("echo in English", simtest.WaitText(ctx, "Bạn vừa gửi: hello"))
	if u := echo.last(); u.Locale != "en" || u.ChatID != "demo-police" {
		t.Errorf("update after switching language: locale %q, chat %q", u.Locale, u.ChatID)
	}

	want := []bot.UpdateKind{bot.KindText, bot.KindText, bot.KindCallback, bot.KindContact, bot.KindPhoto, bot.KindLocation, bot.KindText}
	if got := echo.kinds(); !slices.Equal(got, want) {
		t.Errorf("bot saw %v, want %v", got, want)
	}
	t.Logf("browser flow took %v; screenshot at %s", time.Since(start).Round(time.Millisecond), shot)

	if *update {
		png, err := os.ReadFile(shot)
		must("read screenshot", err)
		must("update golden screenshot", os.WriteFile("testdata/screenshot.png", png, 0o644))
	}
}
