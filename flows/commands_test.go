package flows

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/anttbot/anttbot/bot"
	"github.com/anttbot/anttbot/campaign"
	"github.com/anttbot/anttbot/store"
)

// TestCommandWords checks that commands work typed in every common way.
func TestCommandWords(t *testing.T) {
	specs := BuiltinCommands()
	tests := []struct {
		text, want, args string
	}{
		{"/baocao", CmdReport, ""}, {"baocao", CmdReport, ""}, {"báo cáo", CmdReport, ""}, {"Báo cáo", CmdReport, ""},
		{"bao cao", CmdReport, ""}, {"BÁO CÁO", CmdReport, ""}, {"/baocao@AnttBot", CmdReport, ""}, {"/baocao tip", CmdReport, "tip"},
		{"/start abc_DEF-1", CmdStart, "abc_DEF-1"}, {"/START", CmdStart, ""},
		{"của tôi", CmdMine, ""}, {"cua toi", CmdMine, ""}, {"/cuatoi", CmdMine, ""},
		{"thi đua", CmdStanding, ""}, {"Thi dua", CmdStanding, ""},
		{"hướng dẫn", CmdHelp, ""}, {"huong dan", CmdHelp, ""}, {"help", CmdHelp, ""},
		{"hủy", CmdCancel, ""}, {"huỷ", CmdCancel, ""}, {"huy", CmdCancel, ""}, {"/huy", CmdCancel, ""},
		{"ngôn ngữ", CmdLanguage, ""}, {"/ngonngu en", CmdLanguage, "en"},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			got, ok, _ := parseCommand(specs, tt.text)
			if !ok || got.spec.Name != tt.want || got.args != tt.args {
				t.Fatalf("parseCommand(%q) = %q %q %v, want %q %q", tt.text, got.spec.Name, got.args, ok, tt.want, tt.args)
			}
		})
	}
	for _, s := range []string{"báo cáo trộm cắp ở chợ", "hủy hợp đồng", "", "tôi"} {
		if got, ok, unknown := parseCommand(specs, s); ok || unknown {
			t.Errorf("parseCommand(%q) = %q, want no command", s, got.spec.Name)
		}
	}
	if _, ok, unknown := parseCommand(specs, "/duyet 12"); ok || !unknown {
		t.Errorf("an unregistered /duyet must be an unknown command")
	}
}

// TestHelpPerRole lists exactly the commands each role may use.
func TestHelpPerRole(t *testing.T) {
	h := newHarness(t, store.DriverSQLite)
	names := func(cs []Command) []string {
		var out []string
		for _, c := range cs {
			out = append(out, c.Name)
		}
		return out
	}
	memberCmds := []string{"start", "baocao", "cuatoi", "thidua", "huongdan", "huy", "ngonngu"}
	policeCmds := []string{"start", "thidua", "huongdan", "huy", "ngonngu"}
	tests := []struct {
		role store.Role
		want []string
	}{
		{"", []string{"start", "huongdan", "huy", "ngonngu"}},
		{store.RoleMember, memberCmds},
		{store.RoleDeputy, memberCmds},
		{store.RoleLeader, memberCmds},
		{store.RoleCommunePolice, policeCmds},
		{store.RoleDistrictPolice, policeCmds},
		{store.RoleProvincePolice, policeCmds},
	}
	for _, tt := range tests {
		t.Run(string(tt.role), func(t *testing.T) {
			got := h.svc.CommandsFor(tt.role, "vi")
			if !slices.Equal(names(got), tt.want) {
				t.Fatalf("CommandsFor(%q) = %v, want %v", tt.role, names(got), tt.want)
			}
			for _, c := range got {
				if c.Description == "" || strings.HasPrefix(c.Description, "flows.") {
					t.Errorf("command %s has no description: %q", c.Name, c.Description)
				}
			}
		})
	}

	t.Run("a registered command appears for its roles only", func(t *testing.T) {
		svc := h.newService()
		svc.Register(CommandSpec{Name: "duyet", Roles: []store.Role{store.RoleLeader, store.RoleCommunePolice}, DescKey: "flows.cmd.huongdan"},
			func(_ context.Context, c Call) ([]bot.Message, error) {
				return []bot.Message{{Text: "duyệt " + c.Args + " bởi " + c.Person.Name}}, nil
			})
		if got := names(svc.CommandsFor(store.RoleLeader, "vi")); !slices.Contains(got, "duyet") {
			t.Errorf("leader commands %v lack duyet", got)
		}
		if got := names(svc.CommandsFor(store.RoleMember, "vi")); slices.Contains(got, "duyet") {
			t.Errorf("member commands %v have duyet", got)
		}
		h.svc = svc
		defer func() { h.svc = h.newService() }()
		mustContain(t, h.linked(leader).text("/duyet 12"), "duyệt 12 bởi "+leader)
		mustContain(t, h.linked(member).text("/duyet 12"), h.T("flows.cmd.not_allowed"))
	})

	t.Run("help in the chat", func(t *testing.T) {
		h.t = t
		msgs := h.linked(member).text("/huongdan")
		mustContain(t, msgs, "/baocao — ", "/cuatoi — ", "/thidua — ", "/ngonngu — ", h.T("flows.help.how_to_report"))
		mustNotContain(t, msgs, "/duyet", "/tongket", "/menu")
		msgs = h.linked(police).text("/huongdan")
		mustContain(t, msgs, "/thidua — ")
		mustNotContain(t, msgs, "/baocao", h.T("flows.help.how_to_report"))
		mustContain(t, h.linked(police).text("/baocao"), h.T("flows.cmd.not_allowed"))
	})
}

// TestMine lists the member's reports with their status in words.
func TestMine(t *testing.T) {
	eachDriver(t, func(t *testing.T, driver string) {
		h := newHarness(t, driver)
		u := h.linked(member)
		mustContain(t, u.text("/cuatoi"), h.T("flows.mine.none"))

		goTo(u, "good_deed", stepIDConfirm)
		u.tap("✅ Xác nhận gửi")
		h.clock.Add(time.Hour)
		goTo(u, "patrol", stepIDConfirm)
		u.tap("✅ Xác nhận gửi")
		subs := h.submissions(h.person(member))
		if len(subs) != 2 {
			t.Fatalf("%d reports", len(subs))
		}
		officer := h.person(police)
		if ok, err := h.st.SetSubmissionStatus(h.ctx, subs[1].ID, []string{store.StatusPending}, store.StatusVerified, officer.ID, ""); !ok || err != nil {
			t.Fatalf("verify: %v %v", ok, err)
		}
		if ok, err := h.st.SetSubmissionStatus(h.ctx, subs[0].ID, []string{store.StatusPending}, store.StatusRejected, officer.ID, "Không đúng địa bàn"); !ok || err != nil {
			t.Fatalf("reject: %v %v", ok, err)
		}
		yesterday := formatDate(campaign.DateOf(h.clock.Now(), vn).AddDays(-1))
		msgs := u.text("của tôi")
		mustContain(t, msgs,
			fmt.Sprintf("#%d · 🌟 Việc tốt · %s · Đã xác minh", subs[1].ID, yesterday),
			fmt.Sprintf("#%d · 🚶 Tuần tra · %s · Không xác minh được (lý do: Không đúng địa bàn)", subs[0].ID, yesterday),
		)
		// Newest first.
		all := texts(msgs)
		if strings.Index(all, fmt.Sprintf("#%d ·", subs[0].ID)) > strings.Index(all, fmt.Sprintf("#%d ·", subs[1].ID)) {
			t.Errorf("not newest first:\n%s", all)
		}
		// Only the last ten.
		for i := 0; i < 10; i++ {
			goTo(u, "good_deed", stepIDConfirm)
			u.tap("✅ Xác nhận gửi")
		}
		if n := strings.Count(texts(u.text("/cuatoi")), "\n#"); n != 10 {
			t.Errorf("listed %d reports, want 10", n)
		}
		// Nobody else's reports.
		mustContain(t, h.linked(member2).text("/cuatoi"), h.T("flows.mine.none"))
	})
}

// TestStanding shows /thidua inside a phase, between phases, before the
// first and after the last.
func TestStanding(t *testing.T) {
	eachDriver(t, func(t *testing.T, driver string) {
		h := newHarness(t, driver)
		me, mate := h.person(member), h.person(member2)
		verified := func(p store.Person, kind string, at time.Time) {
			t.Helper()
			sub := store.Submission{Kind: kind, Status: store.StatusVerified, ReporterID: p.ID, TeamID: p.UnitID, OccurredAt: at,
				IdempotencyKey: fmt.Sprintf("test-%d-%s-%d", p.ID, kind, at.UnixNano())}
			if ph, ok := h.camp.PhaseAt(at, vn); ok {
				sub.PhaseID = ph.ID
			}
			if _, err := h.st.CreateSubmission(h.ctx, &sub, ""); err != nil {
				t.Fatal(err)
			}
		}
		inDot1 := time.Date(2024, 10, 15, 9, 0, 0, 0, vn)
		verified(me, campaign.KindGoodDeed, time.Date(2024, 10, 2, 9, 0, 0, 0, vn))
		verified(mate, campaign.KindGoodDeed, time.Date(2024, 9, 2, 9, 0, 0, 0, vn))
		verified(mate, campaign.KindPatrol, time.Date(2024, 10, 3, 9, 0, 0, 0, vn))

		tests := []struct {
			name   string
			now    time.Time
			camp   *campaign.Campaign
			want   []string
			absent []string
		}{
			{name: "inside dot1", now: inDot1, want: []string{
				"📅 Đợt 1: từ 19/08/2024 đến 03/02/2025, còn 112 ngày.",
				"Hướng tới:",
				"👤 Của bạn (tháng 10/2024):",
				"🌟 Việc tốt đã xác minh: 1 trong tháng, 1 cả đợt",
				"👥 Tổ ANTT thôn Đông (tháng 10/2024):",
				"🌟 Việc tốt đã xác minh: 1 trong tháng, 2 cả đợt",
				"🚶 Tuần tra đã xác minh: 1 trong tháng, 1 cả đợt",
				"Tổ của bạn: 1 — ✅ đã đạt",
			}, absent: []string{"[campaign] file"}},
			{name: "inside dot1 a month without good deeds", now: time.Date(2024, 11, 20, 9, 0, 0, 0, vn), want: []string{
				"🌟 Việc tốt đã xác minh: 0 trong tháng, 2 cả đợt", "⏳ chưa đạt",
			}},
			{name: "before the first phase", now: time.Date(2024, 8, 1, 9, 0, 0, 0, vn), want: []string{
				"Đợt thi đua đầu tiên (Đợt 1) sẽ bắt đầu ngày 19/08/2024.",
			}, absent: []string{"cả đợt", "Chỉ tiêu"}},
			{name: "after the end", now: time.Date(2026, 11, 28, 9, 0, 0, 0, vn), want: []string{
				"Đợt thi đua gần nhất (Đợt 2) đã kết thúc ngày 19/08/2025.",
				"Báo cáo của bạn vẫn được tiếp nhận, xác minh và ghi nhận như thường.",
				"🌟 Việc tốt đã xác minh: 0",
			}, absent: []string{"còn -", "cả đợt", "Chỉ tiêu", "[campaign] file", "người quản trị"}},
			{name: "between phases", now: time.Date(2025, 1, 10, 9, 0, 0, 0, vn), camp: gapCampaign(t), want: []string{
				"Đợt 1 đã kết thúc ngày 31/12/2024. Đợt 2 sẽ bắt đầu ngày 01/02/2025.",
			}, absent: []string{"cả đợt"}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				h.t = t
				h.clock.Set(tt.now)
				defer h.clock.Set(inDot2)
				svc := h.svc
				if tt.camp != nil {
					h.camp, h.svc = tt.camp, nil
					h.svc = h.newService()
					defer func() { h.camp, h.svc = campaign.Default(), svc }()
				}
				msgs := h.linked(member).text("/thidua")
				mustContain(t, msgs, tt.want...)
				mustNotContain(t, msgs, tt.absent...)
			})
		}
		t.Run("after the end officials are told how to load the next campaign", func(t *testing.T) {
			h.t = t
			h.clock.Set(time.Date(2026, 11, 28, 9, 0, 0, 0, vn))
			defer h.clock.Set(inDot2)
			msgs := h.linked(police).text("/thidua")
			mustContain(t, msgs, "Hiện không có đợt thi đua nào đang diễn ra.", "người quản trị hệ thống", "examples/campaign-2026-2027.toml")
			mustNotContain(t, msgs, "[campaign] file")
		})
		t.Run("police see their commune", func(t *testing.T) {
			h.t = t
			h.clock.Set(inDot1)
			defer h.clock.Set(inDot2)
			msgs := h.linked(police).text("thi đua")
			mustContain(t, msgs, "👥 Xã An Bình (tháng 10/2024):", "🌟 Việc tốt đã xác minh: 1 trong tháng, 2 cả đợt")
			mustNotContain(t, msgs, "👤 Của bạn", "📢")
		})
	})
}

// gapCampaign is the built-in campaign with a month between its phases.
func gapCampaign(t *testing.T) *campaign.Campaign {
	t.Helper()
	c := *campaign.Default()
	c.Phases = slices.Clone(c.Phases)
	c.Phases[0].End = campaign.NewDate(2024, 12, 31)
	c.Phases[1].Start = campaign.NewDate(2025, 2, 1)
	return &c
}

// TestLanguage switches the chat's language with /ngonngu.
func TestLanguage(t *testing.T) {
	eachDriver(t, func(t *testing.T, driver string) {
		h := newHarness(t, driver)
		u := h.linked(member)
		msgs := u.text("/ngonngu")
		mustContain(t, msgs, h.T("flows.lang.choose"))
		if got := labels(msgs); !slices.Equal(got, []string{"Tiếng Việt", "English"}) {
			t.Fatalf("language buttons %q", got)
		}
		msgs = u.tap("English")
		mustContain(t, msgs, "Switched to English.")
		if !hasLabel(msgs, "📝 Report") {
			t.Errorf("menu not in English: %q", labels(msgs))
		}
		_, ident, err := h.st.PersonByIdentity(h.ctx, u.channel, u.id)
		if err != nil || ident.Locale != "en" {
			t.Fatalf("identity locale %q, %v", ident.Locale, err)
		}
		mustContain(t, u.text("/baocao"), "What would you like to report?")
		u.text("/huy")
		mustContain(t, u.text("ngôn ngữ"), h.T("flows.lang.choose"))
		mustContain(t, u.tap("Tiếng Việt"), "Đã chuyển sang tiếng Việt.")

		// The platform's hint picks the first language of a new chat.
		s := h.stranger("lang-new")
		s.locale = "en-US"
		mustContain(t, s.text("/start"), "Hello! This is the reporting channel")
		s2 := h.stranger("lang-vi")
		s2.locale = "fr"
		mustContain(t, s2.text("/start"), "Xin chào!")
	})
}

func TestNeedsTouch(t *testing.T) {
	now := time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC)
	gone := now.Add(-time.Hour)
	tests := []struct {
		name  string
		ident *store.Identity
		want  bool
	}{
		{"unknown identity", nil, true},
		{"seen seconds ago", &store.Identity{LastSeenAt: now.Add(-10 * time.Second)}, false},
		{"seen a minute ago", &store.Identity{LastSeenAt: now.Add(-time.Minute)}, true},
		{"seen seconds ago but marked unreachable", &store.Identity{LastSeenAt: now.Add(-time.Second), UnreachableAt: &gone}, true},
		{"clock went back", &store.Identity{LastSeenAt: now.Add(time.Hour)}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := needsTouch(tt.ident, now); got != tt.want {
				t.Fatalf("needsTouch = %v, want %v", got, tt.want)
			}
		})
	}
}
