package flows

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/anttbot/anttbot/bot"
	"github.com/anttbot/anttbot/store"
)

var update = flag.Bool("update", false, "rewrite the transcripts in testdata/")

// transcript records a conversation as text, the way a reviewer reads it.
type transcript struct {
	u *user
	b strings.Builder
}

func (tr *transcript) write(in string, msgs []bot.Message) {
	tr.b.WriteString("> " + in + "\n")
	for _, m := range msgs {
		for _, line := range strings.Split(m.Text, "\n") {
			tr.b.WriteString("< " + line + "\n")
		}
		for _, row := range m.Buttons {
			tr.b.WriteString("  ")
			for i, b := range row {
				if i > 0 {
					tr.b.WriteString(" ")
				}
				tr.b.WriteString("[" + b.Label + "]")
			}
			tr.b.WriteString("\n")
		}
		if m.RequestContact {
			tr.b.WriteString("  (share-contact control)\n")
		}
		if m.RemoveKeyboard {
			tr.b.WriteString("  (contact control removed)\n")
		}
	}
	tr.b.WriteString("\n")
}

func (tr *transcript) text(s string)   { tr.write(s, tr.u.text(s)) }
func (tr *transcript) tap(l string)    { tr.write("["+l+"]", tr.u.tap(l)) }
func (tr *transcript) photo(id string) { tr.write("(photo)", tr.u.photo(id)) }
func (tr *transcript) contact(p string) {
	tr.write("(shares own contact "+p+")", tr.u.contact(p, true))
}

// TestTranscripts replays whole conversations and compares them with
// testdata/*.txt; run with -update to rewrite them after a wording change.
func TestTranscripts(t *testing.T) {
	tests := []struct {
		name   string
		now    time.Time
		locale string
		script func(tr *transcript)
	}{
		{name: "onboard_and_good_deed_vi", now: inDot2, script: func(tr *transcript) {
			tr.text("/start")
			tr.contact("0900000004")
			tr.tap("📝 Báo cáo")
			tr.tap("🌟 Việc tốt")
			tr.text("Đưa cụ bà bị lạc về nhà")
			tr.text("32/6")
			tr.text("14/7")
			tr.tap("⏭ Bỏ qua")
			tr.tap("⬅️ Quay lại")
			tr.text("Cụ bà ở thôn Đông")
			tr.photo("AgACAgIAAxkBAAIB")
			tr.tap("✅ Xác nhận gửi")
			tr.tap("✅ Xác nhận gửi")
			tr.text("/cuatoi")
		}},
		{name: "tip_en", now: inDot2, locale: "en", script: func(tr *transcript) {
			tr.text("/start")
			tr.contact("+84 900 000 005")
			tr.text("/baocao")
			tr.tap("📢 Tip")
			tr.tap("Theft")
			tr.text("Two men trying car doors at night")
			tr.text("Behind the market")
			tr.tap("Today")
			tr.tap("Yes")
			tr.tap("⏭ Skip")
			tr.tap("⏭ Skip")
			tr.text("Mrs Lan, the noodle seller")
			tr.tap("✅ Confirm and send")
		}},
		{name: "standing_after_campaign_vi", now: time.Date(2026, 11, 28, 10, 0, 0, 0, vn), script: func(tr *transcript) {
			tr.text("/start")
			tr.contact("0900000002")
			tr.text("thi đua")
			tr.text("/huongdan")
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, store.DriverSQLite)
			h.clock.Set(tt.now)
			u := h.stranger("777")
			u.locale = tt.locale
			tr := &transcript{u: u}
			tt.script(tr)
			path := filepath.Join("testdata", tt.name+".txt")
			if *update {
				if err := os.WriteFile(path, []byte(tr.b.String()), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if got := tr.b.String(); got != string(want) {
				t.Errorf("transcript %s changed; run with -update if intended.\n--- got ---\n%s", path, got)
			}
		})
	}
}
