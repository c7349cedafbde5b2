package police_test

import (
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/anttbot/anttbot/access"
	"github.com/anttbot/anttbot/store"
)

func TestTeamView(t *testing.T) {
	eachDriver(t, func(t *testing.T, driver string) {
		h := newHarness(t, driver, false)
		july, june := time.Date(2025, 7, 3, 9, 0, 0, 0, vn), time.Date(2025, 6, 20, 9, 0, 0, 0, vn)
		h.report(member, "good_deed", store.StatusVerified, july, nil)
		h.report(member, "patrol", store.StatusVerified, july, nil)
		h.report(member, "good_deed", store.StatusPending, july, nil) // not verified: not counted
		h.report(member2, "tip", store.StatusPending, july, map[string]any{"what": "Bí mật"})
		h.report(deputy, "patrol", store.StatusVerified, june, nil)
		h.report(leader, "good_deed", store.StatusRejected, july, nil) // turned down: not "reported"
		hung, cong, hai := h.linked(leader), h.linked(officer), h.linked(westLeader)

		t.Run("a leader sees the team member by member", func(t *testing.T) {
			msgs := hung.text("/to")
			mustContain(t, msgs,
				"Tổ ANTT thôn Đông · tháng 07/2025 · Đợt 2 · 4 thành viên",
				h.T("police.team.good_deeds", "Month", "07/2025", "Count", 1, "Target", "1", "State", h.T("police.team.met")),
				h.T("police.team.patrols", "Phase", "Đợt 2", "Patrolled", 2, "Members", 4, "Share", "50", "Target", "100", "State", h.T("police.team.not_yet")),
				"• "+member+" (Tổ viên): 1/1 · 1/1 · 0/0",
				"• "+deputy+" (Tổ phó): 0/0 · 0/1 · 0/0",
				"• "+member2+" (Tổ viên): 0/0 · 0/0 · 1/1",
				h.T("police.team.not_reported", "Month", "07/2025", "Count", 2, "Names", leader+", "+deputy),
			)
			mustNotContain(t, msgs, "Bí mật")
		})
		t.Run("the police pick one of their teams", func(t *testing.T) {
			msgs := cong.text("/to")
			if got := labels(msgs); len(got) != 2 || got[0] != "Tổ ANTT thôn Đông" {
				t.Fatalf("teams offered = %v", got)
			}
			mustContain(t, cong.tap("Tổ ANTT thôn Tây"), "Tổ ANTT thôn Tây · tháng 07/2025",
				h.T("police.team.not_reported", "Month", "07/2025", "Count", 4, "Names", "Vũ Văn Hải, Đặng Thị Thu, Bùi Văn Nam, Đỗ Thị Mai"))
		})
		t.Run("another team's leader is refused and audited", func(t *testing.T) {
			dong := h.team(0).ID
			mustContain(t, hai.text(fmt.Sprintf("/to %d", dong)), h.T("access.denied.scope"))
			h.deniedAudited(t, westLeader, "unit", strconv.FormatInt(dong, 10), access.ViewTeam, access.ReasonScope)
			mustContain(t, h.linked(member).text("/to"), h.T("access.denied.role"))
		})
		t.Run("outside a phase only the month counts", func(t *testing.T) {
			h.clock.mu.Lock()
			h.clock.t = time.Date(2025, 9, 10, 9, 0, 0, 0, vn)
			h.clock.mu.Unlock()
			mustContain(t, hung.text("/to"), "(hiện không trong đợt thi đua)", "• "+member+" (Tổ viên): 0 · 0 · 0")
		})
	})
}
