package app

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"

	"github.com/anttbot/anttbot/bot/simulator/simtest"
	"github.com/anttbot/anttbot/store"
)

// TestConsoleEndToEnd is the console's "done when", in headless Chromium on
// the embedded defaults: a member sends a tip through the simulator, the
// demo commune police officer sends /web in the simulator and follows the
// link button, handles the tip on the web, and the member is told in the
// chat; the officer verifies a good deed and downloads the workbook. With
// -update it rewrites the console screenshots in docs/.
func TestConsoleEndToEnd(t *testing.T) {
	a, base := startApp(t, sqliteConfig(t), WithDemo())
	ctx := simtest.Browser(t)
	shots := t.TempDir()
	step := func(what string, err error) {
		t.Helper()
		if err != nil {
			shot := filepath.Join(shots, "failure.png")
			_ = simtest.Screenshot(ctx, shot)
			texts, _ := simtest.BotTexts(ctx)
			body, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body ? document.body.innerText.slice(0, 2000) : ''`))
			t.Fatalf("%s: %v\nbot said: %q\npage: %s\nscreenshot: %s", what, err, texts, body, shot)
		}
	}
	shot := func(name string) {
		t.Helper()
		path := filepath.Join(shots, name)
		step("screenshot "+name, simtest.Screenshot(ctx, path))
		if *update {
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join("../../docs", name), data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	officer, member := a.Demo.People[0], a.Demo.People[3]
	onboard := func(p store.Person) {
		t.Helper()
		step("pick "+p.Name, simtest.PickPerson(ctx, p.Name))
		step("start", simtest.SendText(ctx, "/start"))
		step("asked for phone", simtest.WaitText(ctx, "chia sẻ số điện thoại"))
		step("share contact", simtest.ShareContact(ctx))
		step("greeted", simtest.WaitText(ctx, "Chào "+p.Name))
	}

	step("open simulator", simtest.Open(ctx, base+"/"))
	if href, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('[data-testid=console-link]').getAttribute('href')`)); err != nil || href != "/web/" {
		t.Fatalf("the simulator page does not link to the console: %q %v", href, err)
	}
	onboard(officer)
	onboard(member)

	// The member sends a tip.
	step("report", simtest.SendText(ctx, "/baocao"))
	step("kind menu", simtest.WaitText(ctx, "Bạn muốn báo cáo việc gì"))
	step("choose tip", simtest.TapButton(ctx, "📢 Nguồn tin"))
	step("category", simtest.TapButton(ctx, "Người lạ, đáng ngờ"))
	step("asked what", simtest.WaitText(ctx, "Chuyện gì đã xảy ra?"))
	step("what", simtest.SendText(ctx, "Hai người lạ dò hỏi nhà có người già ở một mình"))
	step("asked where", simtest.WaitText(ctx, "Việc này ở đâu?"))
	step("where", simtest.SendText(ctx, "Đầu ngõ 5 thôn Đông"))
	step("asked date", simtest.WaitText(ctx, "Việc xảy ra hôm nào?"))
	step("today", simtest.TapButton(ctx, "Hôm nay"))
	step("asked urgent", simtest.WaitText(ctx, "cần Công an xử lý ngay"))
	step("not urgent", simtest.TapButton(ctx, "Không"))
	step("asked location", simtest.WaitText(ctx, "Gửi vị trí"))
	step("skip location", simtest.TapButton(ctx, "⏭ Bỏ qua"))
	step("asked photo", simtest.WaitText(ctx, "Gửi ảnh"))
	step("skip photo", simtest.TapButton(ctx, "⏭ Bỏ qua"))
	step("asked source", simtest.WaitText(ctx, "Ai cung cấp tin?"))
	step("source", simtest.SendText(ctx, "Bà Sáu bán nước đầu ngõ"))
	step("summary", simtest.WaitText(ctx, "Xác nhận gửi"))
	step("confirm", simtest.TapButton(ctx, "✅ Xác nhận gửi"))
	step("reference", waitRef(ctx))
	tipID := newestTip(t, a, member)

	// The officer asks for the console in the chat and gets a link button.
	step("pick officer", simtest.PickPerson(ctx, officer.Name))
	step("send /web", simtest.SendText(ctx, "/web"))
	step("link button", pollJS(ctx, `!!document.querySelector('[data-testid=link-button]')`))
	shot("web-signin-chat.png")
	link, err := chromedp.Run(ctx, chromedp.Evaluate[string](`[...document.querySelectorAll('[data-testid=link-button]')].pop().href`))
	step("read link", err)
	if !strings.HasPrefix(link, base+"/web/login/") {
		t.Fatalf("sign-in link %q is not on %s", link, base)
	}

	// Following it lands on the dashboard.
	step("follow link", chromedp.Do(ctx, chromedp.Navigate(link)))
	step("dashboard", pollJS(ctx, `location.pathname === '/web/' && !!document.querySelector('[data-testid=tally]')`))
	step("chart loaded", pollJS(ctx, `(() => { const i = document.querySelector('img.chart'); return i && i.complete && i.naturalWidth > 0; })()`))
	shot("web-dashboard.png")

	// The tip inbox, the tip, and Tiếp nhận.
	step("inbox", chromedp.Do(ctx, chromedp.Navigate(base+"/web/tips")))
	step("tip listed", pollJS(ctx, fmt.Sprintf(`!!document.querySelector('[data-testid=tip-row][data-id="%d"]')`, tipID)))
	shot("web-tips.png")
	step("open tip", chromedp.Do(ctx, chromedp.Navigate(base+"/web/tips/"+strconv.FormatInt(tipID, 10))))
	step("tip text", pollJS(ctx, `document.querySelector('[data-testid=tip-text]').innerText.includes('Bà Sáu bán nước')`))
	shot("web-tip.png")
	step("receive", clickJS(ctx, `[data-testid=act-receive]`))
	step("received", pollJS(ctx, `!!document.querySelector('[data-testid=flash]') && !document.querySelector('[data-testid=act-receive]')`))
	if st := submissionStatus(t, a, tipID); st != store.StatusReceived {
		t.Fatalf("tip status after Tiếp nhận on the web: %s", st)
	}

	// The member is told in the chat.
	step("back to simulator", simtest.Open(ctx, base+"/"))
	step("pick member", simtest.PickPerson(ctx, member.Name))
	step("member told", simtest.WaitText(ctx, fmt.Sprintf("Nguồn tin #%d của bạn đã được Công an xã tiếp nhận", tipID)))
	// A member has no console: the plain words get a clear refusal, no link.
	step("member asks", simtest.SendText(ctx, "đăng nhập"))
	step("member refused", simtest.WaitText(ctx, "dành cho tổ trưởng, tổ phó và Công an"))
	if n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('[data-testid=link-button]').length`)); err != nil || n != 0 {
		t.Fatalf("a member got a sign-in link (%d, %v)", n, err)
	}

	// A good deed waits for verification; the officer verifies it on the web.
	deed := &store.Submission{Kind: "good_deed", Answers: store.JSONMap{"what": "Đưa cụ bà bị lạc về nhà", "helped": "Cụ Tư"},
		OccurredAt: a.Now(), ReporterID: member.ID, TeamID: member.UnitID, IdempotencyKey: "e2e:deed"}
	if _, err := a.Store.CreateSubmission(context.Background(), deed, ""); err != nil {
		t.Fatal(err)
	}
	step("verify page", chromedp.Do(ctx, chromedp.Navigate(base+"/web/verify")))
	step("deed listed", pollJS(ctx, fmt.Sprintf(`!!document.querySelector('input[name=id][value="%d"]')`, deed.ID)))
	step("tick", clickJS(ctx, fmt.Sprintf(`input[name=id][value="%d"]`, deed.ID)))
	shot("web-verify.png")
	step("verify", clickJS(ctx, `[data-testid=verify-selected]`))
	step("verified", pollJS(ctx, `!!document.querySelector('[data-testid=flash]')`))
	if st := submissionStatus(t, a, deed.ID); st != store.StatusVerified {
		t.Fatalf("good deed after bulk verify: %s", st)
	}

	step("members", chromedp.Do(ctx, chromedp.Navigate(base+"/web/members")))
	step("members listed", pollJS(ctx, `document.querySelectorAll('[data-testid=member]').length > 0`))
	shot("web-members.png")

	// Download the workbook.
	dir := t.TempDir()
	_, err = chromedp.CallBrowser(ctx, browser.SetDownloadBehavior,
		browser.SetDownloadBehaviorParams{Behavior: browser.SetDownloadBehaviorBehaviorAllow, DownloadPath: dir})
	step("allow downloads", err)
	step("dashboard again", chromedp.Do(ctx, chromedp.Navigate(base+"/web/")))
	step("export link", pollJS(ctx, `!!document.querySelector('[data-testid=export-xlsx]')`))
	step("download", clickJS(ctx, `[data-testid=export-xlsx]`))
	step("workbook saved", waitFile(dir, ".xlsx"))
}

func newestTip(t *testing.T, a *App, reporter store.Person) int64 {
	t.Helper()
	subs, err := a.Store.SubmissionsByReporter(context.Background(), reporter.ID, 50)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range subs {
		if s.Kind == "tip" && strings.HasPrefix(s.IdempotencyKey, "flows:") {
			return s.ID
		}
	}
	t.Fatal("the tip sent in the simulator is not stored")
	return 0
}

func submissionStatus(t *testing.T, a *App, id int64) string {
	t.Helper()
	sub, err := a.Store.SubmissionByID(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return sub.Status
}

// pollJS waits until expr is true in the page; a navigation while it
// waits (a form posted, a redirect) is waited through.
func pollJS(ctx context.Context, expr string) error {
	deadline := time.Now().Add(simtest.Wait)
	for {
		_, err := chromedp.Run(ctx, chromedp.Poll[chromedp.Void](expr,
			chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(time.Until(deadline))))
		if err == nil || time.Now().After(deadline) || ctx.Err() != nil {
			return err
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// clickJS clicks the element matching a CSS selector (a plain form submit:
// the console has no script). The click runs after the call returns, so
// the navigation it starts does not cut the call short.
func clickJS(ctx context.Context, sel string) error {
	return pollJS(ctx, fmt.Sprintf(`(() => { const e = document.querySelector(%q); if (!e) return false; setTimeout(() => e.click(), 0); return true; })()`, sel))
}

// waitFile waits for a finished download with this extension in dir.
func waitFile(dir, ext string) error {
	deadline := time.Now().Add(simtest.Wait)
	for time.Now().Before(deadline) {
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			if strings.HasSuffix(e.Name(), ext) {
				info, err := e.Info()
				if err == nil && info.Size() > 0 {
					data, _ := os.ReadFile(filepath.Join(dir, e.Name()))
					if len(data) > 2 && string(data[:2]) == "PK" {
						return nil
					}
				}
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("no %s file downloaded into %s", ext, dir)
}
