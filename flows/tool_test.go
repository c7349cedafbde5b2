package flows

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/anttbot/anttbot/bot"
	"github.com/anttbot/anttbot/campaign"
	"github.com/anttbot/anttbot/store"
)

// testTool asks a choice, a yes/no only after option "b", a time and a
// confirmation, and records what Finish saw.
type testTool struct {
	finished []map[string]Answer
	data     []map[string]string
	fail     error
}

func (*testTool) Label(string) string { return "thử" }

func (*testTool) Steps(d *Draft, lang string) ([]Step, bool) {
	if d.Data["ok"] != "1" {
		return nil, false
	}
	sts := []Step{{ID: "pick", Type: campaign.QChoice, Prompt: "Chọn?", Options: []Choice{{ID: "a", Label: "A"}, {ID: "b", Label: "B"}}}}
	if d.Answers["pick"].Text == "b" {
		sts = append(sts, Step{ID: "extra", Type: campaign.QYesNo, Prompt: "Thêm?"})
	}
	sts = append(sts,
		Step{ID: "at", Type: StepTime, Prompt: "Mấy giờ?", Optional: true, Options: []Choice{{ID: "now", Label: "Bây giờ"}}},
		Step{ID: "ok", Type: StepConfirm, Prompt: fmt.Sprintf("Tóm tắt: %s %s", d.Answers["pick"].Text, d.Answers["at"].Text)},
	)
	return sts, true
}

func (tt *testTool) Finish(_ context.Context, c Call, d *Draft) ([]bot.Message, error) {
	if tt.fail != nil {
		return nil, tt.fail
	}
	tt.finished = append(tt.finished, d.Answers)
	tt.data = append(tt.data, d.Data)
	return []bot.Message{{Text: "Xong cho " + c.Person.Name}}, nil
}

// shortTool has one question and no confirmation.
type shortTool struct{ got []string }

func (*shortTool) Label(string) string { return "ngắn" }
func (*shortTool) Steps(*Draft, string) ([]Step, bool) {
	return []Step{{ID: "why", Type: campaign.QText, Prompt: "Vì sao?", Optional: true}}, true
}
func (st *shortTool) Finish(_ context.Context, _ Call, d *Draft) ([]bot.Message, error) {
	a := d.Answers["why"]
	st.got = append(st.got, fmt.Sprintf("%s/%v", a.Text, a.Skipped))
	return []bot.Message{{Text: "Đã ghi"}}, nil
}

func TestTools(t *testing.T) {
	h := newHarness(t, store.DriverSQLite)
	tool, short := &testTool{}, &shortTool{}
	h.svc.RegisterTool("t.test", tool)
	h.svc.RegisterTool("t.short", short)
	h.svc.Register(CommandSpec{Name: "thu", Roles: []store.Role{store.RoleCommunePolice}, DescKey: "flows.cmd.menu"},
		func(_ context.Context, c Call) ([]bot.Message, error) {
			switch c.Args {
			case "short":
				c.StartTool("t.short", nil)
			case "broken":
				c.StartTool("t.test", map[string]string{"ok": "0"})
			default:
				c.StartTool("t.test", map[string]string{"ok": "1", "x": c.Args})
			}
			return []bot.Message{{Text: "Bắt đầu"}}, nil
		})
	var deniedFor []string
	h.svc.OnDenied("thu", func(_ context.Context, c Call) ([]bot.Message, error) {
		deniedFor = append(deniedFor, c.Person.Name)
		return []bot.Message{{Text: "Không được phép, đã ghi lại"}}, nil
	})
	officer := h.linked(police)

	t.Run("steps follow the answers, back and skip work, confirm finishes", func(t *testing.T) {
		msgs := officer.text("/thu 7")
		mustContain(t, msgs, "Bắt đầu", "Chọn?")
		mustContain(t, officer.tap("B"), "Thêm?")
		mustContain(t, officer.tap(h.T("common.back")), "Chọn?")
		mustContain(t, officer.tap("A"), "Mấy giờ?", h.T("flows.time.hint"))
		mustContain(t, officer.text("25:00"), h.T("flows.time.invalid"))
		mustContain(t, officer.text("9h15"), "Tóm tắt: a 09:15")
		mustContain(t, officer.tap(h.T("common.confirm")), "Xong cho "+police)
		if len(tool.finished) != 1 || tool.finished[0]["pick"].Text != "a" || tool.finished[0]["at"].Text != "09:15" {
			t.Fatalf("Finish saw %+v", tool.finished)
		}
		if _, asked := tool.finished[0]["extra"]; asked {
			t.Errorf("the step of option b was answered: %+v", tool.finished[0])
		}
		if tool.data[0]["x"] != "7" {
			t.Errorf("Finish saw data %v", tool.data[0])
		}
		if s := officer.session(); s.Draft != nil {
			t.Errorf("draft kept after Finish: %+v", s.Draft)
		}
	})

	t.Run("a quick option and a skipped last question", func(t *testing.T) {
		officer.text("/thu")
		officer.tap("B")
		mustContain(t, officer.tap(h.T("common.yes")), "Mấy giờ?")
		mustContain(t, officer.tap("Bây giờ"), "Tóm tắt: b now")
		officer.tap(h.T("common.confirm"))
		mustContain(t, officer.text("/thu short"), "Vì sao?")
		mustContain(t, officer.tap(h.T("common.skip")), "Đã ghi")
		if got := strings.Join(short.got, ","); got != "/true" {
			t.Errorf("short tool got %q", got)
		}
	})

	t.Run("an error keeps the draft, ErrInvalid drops it", func(t *testing.T) {
		tool.fail = errors.New("db down")
		officer.text("/thu")
		officer.tap("A")
		officer.tap(h.T("common.skip"))
		msgs, err := officer.sendErr(bot.Update{Kind: bot.KindCallback, Text: officer.button(h.T("common.confirm")).Data,
			Callback: &bot.Callback{ID: "c1", Data: officer.button(h.T("common.confirm")).Data}})
		if err == nil {
			t.Error("the Finish error was not returned for the log")
		}
		mustContain(t, msgs, h.T("flows.error.try_again"), "Tóm tắt")
		tool.fail = fmt.Errorf("gone: %w", store.ErrInvalid)
		officer.sendErr(bot.Update{Kind: bot.KindCallback, Callback: &bot.Callback{ID: "c2", Data: officer.button(h.T("common.confirm")).Data}})
		if s := officer.session(); s.Draft != nil {
			t.Errorf("draft kept after ErrInvalid: %+v", s.Draft)
		}
		tool.fail = nil
	})

	t.Run("a tool that cannot start says so", func(t *testing.T) {
		msgs, err := officer.sendErr(bot.Update{Kind: bot.KindText, Text: "/thu broken"})
		if err == nil {
			t.Error("no error for a tool without steps")
		}
		mustContain(t, msgs, h.T("flows.error.try_again"))
	})

	t.Run("a report in progress is not replaced by a tool", func(t *testing.T) {
		h.svc.Register(CommandSpec{Name: "thu2", DescKey: "flows.cmd.menu"}, func(_ context.Context, c Call) ([]bot.Message, error) {
			c.StartTool("t.short", nil)
			return nil, nil
		})
		m := h.linked(member)
		m.text("/baocao")
		msgs := m.text("/thu2")
		mustContain(t, msgs, h.T("flows.report.in_progress", "Kind", h.T("flows.report.name")))
		mustNotContain(t, msgs, "Vì sao?")
		if s := m.session(); s.Draft == nil || s.Draft.Flow != flowReport {
			t.Errorf("report draft replaced: %+v", s.Draft)
		}
	})

	t.Run("a refused role goes to OnDenied", func(t *testing.T) {
		m := h.linked(member2)
		mustContain(t, m.text("/thu"), "Không được phép, đã ghi lại")
		if len(deniedFor) != 1 || deniedFor[0] != member2 {
			t.Errorf("OnDenied calls = %v", deniedFor)
		}
	})
}

func TestParseClock(t *testing.T) {
	tests := []struct {
		name   string
		in     string
		hh, mm int
		ok     bool
	}{
		{name: "colon", in: "14:30", hh: 14, mm: 30, ok: true},
		{name: "h", in: "9h15", hh: 9, mm: 15, ok: true},
		{name: "h alone", in: "9h", hh: 9, ok: true},
		{name: "g", in: "21g30", hh: 21, mm: 30, ok: true},
		{name: "words", in: "9 giờ 15", hh: 9, mm: 15, ok: true},
		{name: "words decomposed", in: "7 gio\u031b\u0300 05", hh: 7, mm: 5, ok: true},
		{name: "dot", in: "7.05", hh: 7, mm: 5, ok: true},
		{name: "bare number is an option number", in: "15"},
		{name: "hour out of range", in: "24:00"},
		{name: "minute out of range", in: "10:60"},
		{name: "one minute digit", in: "10:5"},
		{name: "text", in: "sáng nay"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			hh, mm, ok := parseClock(tc.in)
			if ok != tc.ok || (ok && (hh != tc.hh || mm != tc.mm)) {
				t.Errorf("parseClock(%q) = %d, %d, %v; want %d, %d, %v", tc.in, hh, mm, ok, tc.hh, tc.mm, tc.ok)
			}
		})
	}
}
