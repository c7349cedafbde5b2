// Package simtest drives the simulator page in headless Chromium for
// end-to-end tests: start a browser, pick a demo person, type, tap buttons,
// share the contact, attach a photo or a location, wait for the bot's answer,
// and take a screenshot.
//
// Every helper waits for the page instead of sleeping; each wait gives up
// after Wait and reports what the chat showed at that moment.
package simtest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/anttbot/anttbot/internal/testenv"
)

// Wait bounds each wait for the page.
const Wait = 15 * time.Second

// browserLife bounds a whole test's use of the browser, so that a hung
// browser cannot hold the test binary until go test's own timeout.
const browserLife = 90 * time.Second

// ChromiumPath finds the browser: $ANTTBOT_CHROMIUM, /usr/bin/chromium, or
// chromium, chromium-browser or google-chrome on the PATH.
func ChromiumPath() (string, error) {
	if p := os.Getenv("ANTTBOT_CHROMIUM"); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("ANTTBOT_CHROMIUM: %w", err)
		}
		return p, nil
	}
	if _, err := os.Stat("/usr/bin/chromium"); err == nil {
		return "/usr/bin/chromium", nil
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", errors.New("no Chromium found (install the Debian package chromium or set ANTTBOT_CHROMIUM)")
}

// Browser starts a headless Chromium with a fresh profile and returns the
// context of one tab. The browser stops when the test ends. Without Chromium
// the test is skipped, or fails when CI=true. Uncaught errors in the page fail
// the test; the page's console output is logged.
func Browser(t testing.TB) context.Context {
	t.Helper()
	path, err := ChromiumPath()
	if err != nil {
		testenv.Unavailable(t, "Chromium", err)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("lang", "vi-VN"),
		chromedp.UserDataDir(t.TempDir()),
		// A phone-sized window keeps the screenshots true to how members use it.
		chromedp.WindowSize(420, 860),
	)
	life, stopLife := context.WithTimeout(context.Background(), browserLife)
	alloc, stopAlloc := chromedp.NewExecAllocator(life, opts...)
	ctx, stopTab := chromedp.NewContext(alloc)

	var (
		mu     sync.Mutex
		logs   []string
		thrown []string
	)
	if err := chromedp.Listen(ctx, func(ev any) {
		mu.Lock()
		defer mu.Unlock()
		switch ev := ev.(type) {
		case *runtime.EventConsoleAPICalled:
			var parts []string
			for _, a := range ev.Args {
				parts = append(parts, consoleValue(a))
			}
			logs = append(logs, string(ev.Type)+": "+strings.Join(parts, " "))
		case *runtime.EventExceptionThrown:
			msg := ev.ExceptionDetails.Text
			if ex := ev.ExceptionDetails.Exception; ex != nil && ex.Description != "" {
				msg += " " + ex.Description
			}
			thrown = append(thrown, msg)
		}
	}); err != nil {
		stopTab()
		stopAlloc()
		stopLife()
		t.Fatalf("start Chromium %s: %v", path, err)
	}
	t.Cleanup(func() {
		stopTab()
		stopAlloc()
		stopLife()
		mu.Lock()
		defer mu.Unlock()
		for _, l := range logs {
			t.Logf("page console %s", l)
		}
		for _, e := range thrown {
			t.Errorf("uncaught error in the page: %s", e)
		}
	})
	return ctx
}

func consoleValue(a *runtime.RemoteObject) string {
	if a == nil {
		return ""
	}
	if len(a.Value) > 0 {
		return string(a.Value)
	}
	if a.Description != "" {
		return a.Description
	}
	return string(a.Type)
}

// Open loads the simulator page at url and waits until it is ready.
func Open(ctx context.Context, url string) error {
	if err := chromedp.Do(ctx, chromedp.Navigate(url)); err != nil {
		return fmt.Errorf("simtest: open %s: %w", url, err)
	}
	if err := poll(ctx, `document.body.dataset.ready === 'true'`); err != nil {
		return fmt.Errorf("simtest: page at %s never got ready: %w", url, err)
	}
	return nil
}

// PickPerson opens the chat of the demo person with this name.
func PickPerson(ctx context.Context, name string) error {
	// On a phone-sized window the list hides behind the open chat.
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[chromedp.Void](`(() => {
		if (getComputedStyle(document.getElementById('people-pane')).display === 'none') document.getElementById('back').click();
	})()`)); err != nil {
		return fmt.Errorf("simtest: show people: %w", err)
	}
	if err := clickByText(ctx, `[data-testid=person]`, `[data-testid=person-name]`, name); err != nil {
		return fmt.Errorf("simtest: pick %q: %w (people: %s)", name, err, listText(ctx, `[data-testid=person-name]`))
	}
	err := pollFn(ctx, `(name) => document.getElementById('who-name').textContent === name &&
		!document.getElementById('composer').closest('[hidden]')`, name)
	if err != nil {
		return fmt.Errorf("simtest: chat of %q did not open: %w", name, err)
	}
	return nil
}

// SendText types text and sends it, then waits until it shows as sent.
func SendText(ctx context.Context, text string) error {
	before, err := userCount(ctx)
	if err != nil {
		return err
	}
	if err := chromedp.Do(ctx,
		setValue("text", ""),
		chromedp.SendKeys(chromedp.ID("text"), text),
		chromedp.Click(chromedp.ID("send")),
	); err != nil {
		return fmt.Errorf("simtest: send %q: %w", text, err)
	}
	return waitUserMessage(ctx, before, "text "+strconv.Quote(text))
}

// TapButton taps the newest button with this label under a bot message.
func TapButton(ctx context.Context, label string) error {
	if err := clickByText(ctx, `[data-testid=button]`, "", label); err != nil {
		return fmt.Errorf("simtest: tap %q: %w (buttons: %s)", label, err, listText(ctx, `[data-testid=button]`))
	}
	return nil
}

// ShareContact taps the "share phone number" button the bot asked for.
func ShareContact(ctx context.Context) error {
	before, err := userCount(ctx)
	if err != nil {
		return err
	}
	wctx, cancel := context.WithTimeout(ctx, Wait)
	defer cancel()
	if err := chromedp.Do(wctx, chromedp.Click(chromedp.ID("share-contact"))); err != nil {
		return fmt.Errorf("simtest: share contact (did the bot ask for it?): %w", err)
	}
	return waitUserMessage(ctx, before, "contact")
}

// AttachPhoto sends the image file at path, with caption unless empty.
func AttachPhoto(ctx context.Context, path, caption string) error {
	abs, err := filepath.Abs(path)
	if err != nil {
		return fmt.Errorf("simtest: photo path: %w", err)
	}
	if _, err := os.Stat(abs); err != nil {
		return fmt.Errorf("simtest: photo: %w", err)
	}
	before, err := userCount(ctx)
	if err != nil {
		return err
	}
	if err := chromedp.Do(ctx,
		setValue("text", caption),
		chromedp.SetUploadFiles(chromedp.ID("photo-input"), []string{abs}),
	); err != nil {
		return fmt.Errorf("simtest: attach %s: %w", path, err)
	}
	if err := waitUserMessage(ctx, before, "photo"); err != nil {
		return err
	}
	// The upload counts only once the page shows the photo back from the server.
	if err := poll(ctx, `(() => { const i = [...document.querySelectorAll('.msg.user img[data-testid=photo]')].pop();
		return !!i && i.complete && i.naturalWidth > 0; })()`); err != nil {
		return fmt.Errorf("simtest: sent photo not shown: %w", err)
	}
	return nil
}

// SendLocation sends a point on the map.
func SendLocation(ctx context.Context, lat, lon float64) error {
	before, err := userCount(ctx)
	if err != nil {
		return err
	}
	if err := chromedp.Do(ctx,
		chromedp.Click(chromedp.ID("attach-location")),
		setValue("loc-lat", strconv.FormatFloat(lat, 'f', -1, 64)),
		setValue("loc-lon", strconv.FormatFloat(lon, 'f', -1, 64)),
		chromedp.Click(chromedp.ID("loc-send")),
	); err != nil {
		return fmt.Errorf("simtest: send location: %w", err)
	}
	return waitUserMessage(ctx, before, "location")
}

// SetLang switches the page's language ("vi", "en"); what the person sends
// afterwards carries it as the update's locale.
func SetLang(ctx context.Context, lang string) error {
	js, _ := json.Marshal(lang)
	if err := chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`(() => {
		const s = document.getElementById('lang');
		s.value = %s;
		s.dispatchEvent(new Event('change', { bubbles: true }));
	})()`, js))); err != nil {
		return fmt.Errorf("simtest: set language %s: %w", lang, err)
	}
	if err := pollFn(ctx, `(l) => document.documentElement.lang === l`, lang); err != nil {
		return fmt.Errorf("simtest: page did not switch to %s: %w", lang, err)
	}
	return nil
}

// WaitText waits until a bot message contains text.
func WaitText(ctx context.Context, text string) error {
	err := pollFn(ctx, `(s) => [...document.querySelectorAll('.msg.bot')].some((m) => m.textContent.includes(s))`, text)
	if err != nil {
		texts, _ := BotTexts(ctx)
		return fmt.Errorf("simtest: no bot message with %q: %w (bot said: %q)", text, err, texts)
	}
	return nil
}

// WaitPhoto waits until a bot message shows a photo or an image attachment
// that loaded.
func WaitPhoto(ctx context.Context) error {
	err := poll(ctx, `[...document.querySelectorAll('.msg.bot img')].some((i) => i.complete && i.naturalWidth > 0)`)
	if err != nil {
		return fmt.Errorf("simtest: no photo from the bot: %w", err)
	}
	return nil
}

// WaitError waits until the page shows an error containing text.
func WaitError(ctx context.Context, text string) error {
	err := pollFn(ctx, `(s) => { const e = document.getElementById('error'); return !e.hidden && e.textContent.includes(s); }`, text)
	if err != nil {
		return fmt.Errorf("simtest: no error %q shown: %w", text, err)
	}
	return nil
}

// BotTexts returns the text of every bot message shown, oldest first.
func BotTexts(ctx context.Context) ([]string, error) {
	texts, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](
		`[...document.querySelectorAll('.msg.bot .bubble')].map((b) => b.textContent)`))
	if err != nil {
		return nil, fmt.Errorf("simtest: read bot messages: %w", err)
	}
	return texts, nil
}

// LastBotText returns the text of the newest bot message, "" when none.
func LastBotText(ctx context.Context) (string, error) {
	texts, err := BotTexts(ctx)
	if err != nil || len(texts) == 0 {
		return "", err
	}
	return texts[len(texts)-1], nil
}

// Screenshot saves a PNG of the whole page at path, creating its directory.
func Screenshot(ctx context.Context, path string) error {
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		return fmt.Errorf("simtest: screenshot: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("simtest: screenshot dir: %w", err)
	}
	if err := os.WriteFile(path, png, 0o644); err != nil {
		return fmt.Errorf("simtest: write screenshot: %w", err)
	}
	return nil
}

// clickByText clicks the newest visible element matching sel whose text (or
// the text of its child matching inner) equals text. The click runs in the
// page in the same step as the lookup: the chat re-renders on every update, so
// a node found in one step may be gone in the next.
func clickByText(ctx context.Context, sel, inner, text string) error {
	return pollFn(ctx, `(sel, inner, text) => {
		const hit = [...document.querySelectorAll(sel)].filter((e) => {
			const t = inner ? e.querySelector(inner) : e;
			return t && t.textContent.trim() === text && e.offsetParent !== null && !e.disabled;
		}).pop();
		if (!hit) return false;
		hit.scrollIntoView({ block: 'center' });
		hit.click();
		return true;
	}`, sel, inner, text)
}

func listText(ctx context.Context, sel string) string {
	texts, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](
		fmt.Sprintf(`[...document.querySelectorAll(%q)].map((e) => e.textContent.trim())`, sel)))
	if err != nil {
		return "?"
	}
	return strconv.Quote(strings.Join(texts, " | "))
}

func userCount(ctx context.Context) (int, error) {
	n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('.msg.user').length`))
	if err != nil {
		return 0, fmt.Errorf("simtest: count messages: %w", err)
	}
	return n, nil
}

// waitUserMessage waits for a new message on the person's side, or an error.
func waitUserMessage(ctx context.Context, before int, what string) error {
	err := pollFn(ctx, `(n) => document.querySelectorAll('.msg.user').length > n || !document.getElementById('error').hidden`, before)
	if err != nil {
		return fmt.Errorf("simtest: %s never showed as sent: %w", what, err)
	}
	msg, _ := chromedp.Run(ctx, chromedp.Evaluate[string](
		`(() => { const e = document.getElementById('error'); return e.hidden ? '' : e.textContent; })()`))
	if msg != "" {
		return fmt.Errorf("simtest: %s refused: %s", what, msg)
	}
	return nil
}

// setValue sets an input's value as a paste would. (chromedp.SetValue refuses
// the empty string.)
func setValue(id, value string) chromedp.Action[chromedp.Void] {
	js, _ := json.Marshal(value)
	idJS, _ := json.Marshal(id)
	return chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`(() => {
		const e = document.getElementById(%s);
		e.value = %s;
		e.dispatchEvent(new Event('input', { bubbles: true }));
	})()`, idJS, js))
}

func poll(ctx context.Context, expr string) error {
	_, err := chromedp.Run(ctx, chromedp.Poll[chromedp.Void](expr,
		chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(Wait)))
	return err
}

func pollFn(ctx context.Context, fn string, args ...any) error {
	_, err := chromedp.Run(ctx, chromedp.PollFunction[chromedp.Void](fn,
		chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(Wait),
		chromedp.WithPollingArgs(args...)))
	return err
}
