package flows

import (
	"strings"
	"testing"

	"github.com/anttbot/anttbot/bot"
	"github.com/anttbot/anttbot/store"
)

// TestNavigation covers back, cancel, skip and stale buttons, through the
// service on both drivers.
func TestNavigation(t *testing.T) {
	eachDriver(t, func(t *testing.T, driver string) {
		h := newHarness(t, driver)
		p := h.person(member)

		t.Run("back to previous question and change the answer", func(t *testing.T) {
			h.t = t
			u := h.linkedChat(member, "nav-back")
			goTo(u, "tip", "what")
			msgs := u.tap("⬅️ Quay lại")
			mustContain(t, msgs, "Tin này về việc gì?")
			u.tap("Ma túy")
			if got := u.session().Draft.Answers["category"].Text; got != "drugs" {
				t.Fatalf("category after back = %q, want drugs", got)
			}
			msgs = u.text("quay lại")
			mustContain(t, msgs, "Tin này về việc gì?")
		})

		t.Run("back from the first question returns to the kinds", func(t *testing.T) {
			h.t = t
			u := h.linkedChat(member, "nav-first")
			msgs := goTo(u, "good_deed", "what")
			if !hasLabel(msgs, "⬅️ Quay lại") || !hasLabel(msgs, "✖️ Hủy") {
				t.Fatalf("first question lacks back/cancel: %q", labels(msgs))
			}
			msgs = u.tap("⬅️ Quay lại")
			mustContain(t, msgs, h.T("flows.report.choose_kind"))
			if hasLabel(msgs, "⬅️ Quay lại") {
				t.Errorf("the kind choice has nothing to go back to, but shows back")
			}
			msgs = u.text("quay lại")
			mustContain(t, msgs, h.T("flows.step.first"))
			// A different kind starts its own questions afresh.
			u.tap("🚶 Tuần tra")
			if d := u.session().Draft; d.Kind != "patrol" || len(d.Answers) != 0 {
				t.Fatalf("draft after changing kind: %+v", d)
			}
		})

		t.Run("cancel by button keeps nothing", func(t *testing.T) {
			h.t = t
			u := h.linkedChat(member, "nav-cancel")
			before := len(h.submissions(p))
			goTo(u, "tip", "urgent")
			msgs := u.tap("✖️ Hủy")
			mustContain(t, msgs, h.T("flows.cancel.done"))
			if !hasLabel(msgs, "📝 Báo cáo") {
				t.Errorf("no main menu after cancel: %q", labels(msgs))
			}
			if d := u.draft(); d != nil {
				t.Fatalf("draft kept after cancel: %+v", d)
			}
			if got := len(h.submissions(p)); got != before {
				t.Fatalf("cancel stored a report")
			}
		})

		for _, word := range []string{"/huy", "hủy", "Huỷ", "huy"} {
			t.Run("cancel typed "+word, func(t *testing.T) {
				h.t = t
				u := h.linkedChat(member, "nav-cancel-"+word)
				goTo(u, "patrol", "hours")
				mustContain(t, u.text(word), h.T("flows.cancel.done"))
				if u.draft() != nil {
					t.Fatal("draft kept")
				}
				mustContain(t, u.text(word), h.T("flows.cancel.nothing"))
			})
		}

		t.Run("skip optional questions", func(t *testing.T) {
			h.t = t
			u := h.linkedChat(member, "nav-skip")
			msgs := goTo(u, "tip", "location")
			if !hasLabel(msgs, "⏭ Bỏ qua") {
				t.Fatalf("optional question has no skip: %q", labels(msgs))
			}
			u.tap("⏭ Bỏ qua")        // location
			u.text("bỏ qua")         // photo, typed
			msgs = u.tap("⏭ Bỏ qua") // source
			mustContain(t, msgs, "(bỏ qua)")
			msgs = u.tap("✅ Xác nhận gửi")
			sub := h.submissions(p)[0]
			for _, q := range []string{"location", "photo", "source"} {
				if _, ok := sub.Answers[q]; ok {
					t.Errorf("skipped %q stored: %v", q, sub.Answers[q])
				}
			}
			if sub.Lat != nil || len(sub.Attachments) != 0 {
				t.Errorf("skipped location/photo stored: %+v", sub)
			}
			if _, err := h.st.TipSourceOf(h.ctx, sub.ID); err == nil {
				t.Errorf("skipped source stored")
			}
			mustContain(t, msgs, "#")
		})

		t.Run("required questions have no skip", func(t *testing.T) {
			h.t = t
			u := h.linkedChat(member, "nav-noskip")
			if msgs := goTo(u, "tip", "what"); hasLabel(msgs, "⏭ Bỏ qua") {
				t.Fatalf("required question offers skip")
			}
		})

		t.Run("stale button does nothing harmful", func(t *testing.T) {
			h.t = t
			u := h.linkedChat(member, "nav-stale")
			goTo(u, "tip", "category")
			old := u.button("Ma túy")
			u.tap("Trộm cắp")
			before := u.session().Draft
			msgs := u.data(old.Data)
			mustContain(t, msgs, h.T("common.stale_button"), "Chuyện gì đã xảy ra?")
			after := u.session().Draft
			if after.Answers["category"].Text != "theft" || after.Step != before.Step {
				t.Fatalf("stale tap changed the draft: %+v", after)
			}
			if msgs[0].AnswerCallbackID == "" || msgs[0].CallbackText != h.T("common.stale_button") {
				t.Errorf("stale tap not acknowledged with a toast: %+v", msgs[0])
			}
			// A button of a cancelled draft.
			cancel := u.button("✖️ Hủy")
			u.tap("✖️ Hủy")
			mustContain(t, u.data(cancel.Data), h.T("common.stale_button"))
			// Data that is not ours at all (a forged or unverifiable tap).
			mustContain(t, u.data(""), h.T("common.stale_button"))
			mustContain(t, u.data("zz.1.ok"), h.T("common.stale_button"))
		})

		t.Run("a photo with an over-long caption is kept", func(t *testing.T) {
			h.t = t
			u := h.linkedChat(member, "nav-caption")
			goTo(u, "good_deed", "photo")
			mustContain(t, u.send(bot.Update{Kind: bot.KindPhoto, Text: strings.Repeat("ả", 1200), Photo: &bot.Media{FileID: "big"}}),
				h.T("flows.report.summary_title", "Kind", "🌟 Việc tốt"))
			a := u.session().Draft.Answers["photo"]
			if a.Photo == nil || a.Photo.FileID != "big" || len([]rune(a.Photo.Caption)) != 1000 {
				t.Fatalf("photo answer %+v", a.Photo)
			}
		})

		t.Run("every button fits the adapters", func(t *testing.T) {
			h.t = t
			u := h.linkedChat(member, "nav-size")
			for _, k := range h.camp.Kinds {
				goTo(u, k.ID, stepIDConfirm)
				u.tap("✖️ Hủy")
			}
			for _, m := range h.sender.to(u.channel, u.id) {
				for _, row := range m.Buttons {
					for _, b := range row {
						if len(b.Data) == 0 || len(b.Data) > 40 || strings.ContainsFunc(b.Data, func(r rune) bool { return r > 0x7e || r < 0x20 }) {
							t.Errorf("button %q data %q is not ≤40 bytes of ASCII", b.Label, b.Data)
						}
					}
				}
			}
		})
	})
}

// TestInputLimits checks the checks made on every message before anything else.
func TestInputLimits(t *testing.T) {
	eachDriver(t, func(t *testing.T, driver string) {
		h := newHarness(t, driver)
		tests := []struct {
			name   string
			inFlow bool
			text   string
			want   string
		}{
			{name: "oversized in a flow", inFlow: true, text: strings.Repeat("a", 1001), want: h.T("flows.input.too_long", "Max", 1000, "Len", 1001)},
			{name: "oversized outside a flow", text: strings.Repeat("ư", 1500), want: h.T("flows.input.too_long", "Max", 1000, "Len", 1500)},
			{name: "invalid utf-8", inFlow: true, text: "ab\xff\xfe", want: h.T("flows.input.invalid_utf8")},
			{name: "control characters", inFlow: true, text: "abc\x07def", want: h.T("flows.input.control_chars")},
			{name: "bidi override", text: "abc\u202edef", want: h.T("flows.input.control_chars")},
		}
		for i, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				h.t = t
				u := h.linkedChat(member, "lim"+string(rune('a'+i)))
				if tt.inFlow {
					goTo(u, "tip", "what")
				}
				msgs := u.text(tt.text)
				mustContain(t, msgs, tt.want)
				if strings.Contains(tt.want, "1000") {
					mustContain(t, msgs, "1000")
				}
				if tt.inFlow {
					if d := u.session().Draft; d == nil || d.Step != "what" || len(d.Answers) != 1 {
						t.Fatalf("bad input changed the draft: %+v", d)
					}
					mustContain(t, msgs, "Chuyện gì đã xảy ra?")
				}
			})
		}
		t.Run("limit from options", func(t *testing.T) {
			h.t = t
			h2 := newHarness(t, store.DriverSQLite, withOptions(Options{MaxTextLen: 20}))
			u := h2.linked(member)
			mustContain(t, u.text(strings.Repeat("x", 21)), h2.T("flows.input.too_long", "Max", 20, "Len", 21))
		})
	})
}

// TestOutsideFlow checks answers to things sent with no flow in progress.
func TestOutsideFlow(t *testing.T) {
	h := newHarness(t, store.DriverSQLite)
	u := h.linked(member)
	tests := []struct {
		name string
		send bot.Update
		want string
	}{
		{name: "free text", send: text("xin chào"), want: h.T("flows.idle.unknown")},
		{name: "sticker", send: bot.Update{Kind: bot.KindSticker}, want: h.T("flows.idle.unknown")},
		{name: "file", send: bot.Update{Kind: bot.KindFile, Photo: &bot.Media{FileID: "f"}}, want: h.T("flows.idle.unknown")},
		{name: "photo", send: photoUpdate("p"), want: h.T("flows.idle.media_outside")},
		{name: "unknown command", send: text("/abc"), want: h.T("flows.cmd.unknown")},
		{name: "menu word", send: text("menu"), want: h.T("flows.menu.intro")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h.t = t
			msgs := u.send(tt.send)
			mustContain(t, msgs, tt.want)
			if !hasLabel(msgs, "📝 Báo cáo") {
				t.Errorf("no main menu: %q", labels(msgs))
			}
		})
	}
	t.Run("group chats and bots are ignored", func(t *testing.T) {
		h.t = t
		for _, up := range []bot.Update{
			{Kind: bot.KindText, Text: "/baocao", FromBot: true},
			{Kind: bot.KindUnfollow},
		} {
			if msgs := u.send(up); len(msgs) != 0 {
				t.Errorf("%+v got replies %q", up, texts(msgs))
			}
		}
		g := u.update(bot.Update{Kind: bot.KindText, Text: "/baocao"})
		g.Private, g.ChatID = false, "-100123"
		if err := h.svc.HandleUpdate(h.ctx, g); err != nil {
			t.Fatal(err)
		}
		if msgs := h.sender.to(u.channel, "-100123"); len(msgs) != 0 {
			t.Errorf("group chat got replies %q", texts(msgs))
		}
	})
}
