package police_test

import (
	"regexp"
	"strconv"
	"testing"

	"github.com/anttbot/anttbot/access"
	"github.com/anttbot/anttbot/store"
)

// inviteCode finds the code of an invite reply.
var inviteCode = regexp.MustCompile(`/start ([A-Za-z0-9_-]{16})`)

func TestInvite(t *testing.T) {
	eachDriver(t, func(t *testing.T, driver string) {
		h := newHarness(t, driver, false)
		cong, hung, hoa := h.linked(officer), h.linked(leader), h.linked(deputy)

		t.Run("the police invite a deputy to a team; the code is redeemed once", func(t *testing.T) {
			msgs := cong.text("/moi")
			mustContain(t, msgs, h.T("police.invite.ask_team"))
			if got := labels(msgs); len(got) < 2 || got[0] != "Tổ ANTT thôn Đông" || got[1] != "Tổ ANTT thôn Tây" {
				t.Errorf("team buttons = %v", got)
			}
			mustContain(t, cong.tap("Tổ ANTT thôn Tây"), h.T("police.invite.ask_role"))
			msgs = cong.tap("Tổ phó")
			m := inviteCode.FindStringSubmatch(texts(msgs))
			if m == nil {
				t.Fatalf("no code in %q", texts(msgs))
			}
			code := m[1]
			mustContain(t, msgs, "Tổ ANTT thôn Tây", "Tổ phó", "https://t.me/"+botName+"?start="+code, "22/07/2025")
			inv, err := h.st.InviteByCode(h.ctx, code)
			if err != nil || inv.UnitID != h.team(1).ID || inv.Role != store.RoleDeputy || inv.CreatedByID == nil || *inv.CreatedByID != h.person(officer).ID {
				t.Fatalf("invite = %+v, %v", inv, err)
			}

			newcomer := h.stranger("77001")
			mustContain(t, newcomer.text("/start "+code), h.T("flows.invite.ask_name"))
			newcomer.text("Trịnh Văn Tới")
			newcomer.text("0912 345 678")
			newcomer.tap(h.T("common.confirm"))
			p, err := h.st.PersonByPhone(h.ctx, "+84912345678")
			if err != nil || p.UnitID != h.team(1).ID || p.Role != store.RoleDeputy || !p.Active {
				t.Fatalf("person who redeemed the invite = %+v, %v", p, err)
			}
			mustContain(t, h.stranger("77002").text("/start "+code), h.T("flows.invite.used"))
		})
		t.Run("a leader gets a member's invite to their own team", func(t *testing.T) {
			msgs := hung.text("/moi")
			m := inviteCode.FindStringSubmatch(texts(msgs))
			if m == nil {
				t.Fatalf("no code in %q", texts(msgs))
			}
			inv, err := h.st.InviteByCode(h.ctx, m[1])
			if err != nil || inv.UnitID != h.team(0).ID || inv.Role != store.RoleMember {
				t.Fatalf("leader's invite = %+v, %v", inv, err)
			}
		})
		t.Run("a deputy may not invite", func(t *testing.T) {
			mustContain(t, hoa.text("/moi"), h.T("access.denied.role"))
			h.deniedAudited(t, deputy, "unit", strconv.FormatInt(h.team(0).ID, 10), access.CreateInvite, access.ReasonRole)
		})
		t.Run("police are offered their own commune's teams only", func(t *testing.T) {
			son := h.linked(otherOfficer)
			son.text("/moi")
			// Only the teams of their own commune are offered.
			if got := labels(h.rec.to(son.chat)); !contains(got, "Tổ ANTT bản Mường") || contains(got, "Tổ ANTT thôn Đông") {
				t.Errorf("teams offered to the other commune = %v", got)
			}
			son.text("/huy")
		})
	})
}
