package police_test

import (
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/anttbot/anttbot/access"
	"github.com/anttbot/anttbot/police"
	"github.com/anttbot/anttbot/store"
)

func TestVerificationQueue(t *testing.T) {
	eachDriver(t, func(t *testing.T, driver string) {
		h := newHarness(t, driver, true)
		july10 := time.Date(2025, 7, 10, 8, 0, 0, 0, vn)
		lanDeed := h.report(member2, "good_deed", "", july10, map[string]any{"what": "Trả lại ví cho bà cụ"})
		minhPatrol := h.report(member, "patrol", "", july10, map[string]any{"activity": "security", "hours": 2.0})
		minhTip := h.report(member, "tip", "", july10, map[string]any{"what": "Người lạ tụ tập"})
		hungDeed := h.report(leader, "good_deed", "", july10, map[string]any{"what": "Dọn đường"})
		namDeed := h.report(westMember, "good_deed", "", july10, map[string]any{"what": "Giúp hàng xóm"})
		model := h.report(member, "model", "", july10, map[string]any{"model_name": "Camera an ninh thôn Đông"})
		ref := func(id int64) string { return "#" + strconv.FormatInt(id, 10) }

		hung, hoa, lan, minh := h.linked(leader), h.linked(deputy), h.linked(member2), h.linked(member)
		cong, hai := h.linked(officer), h.linked(westLeader)

		t.Run("a leader sees the team's good deeds and patrols, not tips nor their own", func(t *testing.T) {
			msgs := hung.text("/duyet")
			mustContain(t, msgs, h.T("police.queue.title", "Total", 2, "Shown", 2), ref(lanDeed), "Trả lại ví cho bà cụ", ref(minhPatrol), "Tuần tra ANTT")
			mustNotContain(t, msgs, ref(minhTip), ref(hungDeed), ref(namDeed), "Người lạ")
		})
		t.Run("the commune police see every kind but tips, in the whole commune", func(t *testing.T) {
			msgs := cong.text("/duyet")
			mustContain(t, msgs, h.T("police.queue.title", "Total", 5, "Shown", 5), ref(lanDeed), ref(minhPatrol), ref(hungDeed), ref(namDeed), ref(model))
			mustNotContain(t, msgs, ref(minhTip))
		})
		t.Run("first verifier wins, the second is told who", func(t *testing.T) {
			msgs := hoa.data(fmt.Sprintf("/duyet ok %d", lanDeed))
			mustContain(t, msgs, h.T("police.verify.done", "Ref", lanDeed, "Kind", "🌟 Việc tốt"))
			if msgs[0].EditMessageID != "m1" {
				t.Errorf("the item message was not edited in place: %+v", msgs[0])
			}
			msgs = cong.data(fmt.Sprintf("/duyet ok %d", lanDeed))
			mustContain(t, msgs, "đã được "+deputy+" xử lý", h.T("flows.status.verified"))
			sub, err := h.st.SubmissionByID(h.ctx, lanDeed)
			if err != nil || sub.Status != store.StatusVerified || sub.VerifiedByID == nil || *sub.VerifiedByID != h.person(deputy).ID {
				t.Fatalf("submission after two verifications = %+v, %v", sub, err)
			}
			lan.waitFor(h.T("police.notify.verified", "Ref", lanDeed, "Kind", "🌟 Việc tốt", "Date", "10/07/2025", "Who", deputy, "Role", "Tổ phó"))
		})
		t.Run("not verified, with a reason the reporter is told", func(t *testing.T) {
			mustContain(t, hung.data(fmt.Sprintf("/duyet no %d", minhPatrol)), h.T("police.reject.ask_reason", "Ref", minhPatrol))
			mustContain(t, hung.text("Hôm đó tổ không tuần tra"), "lý do: Hôm đó tổ không tuần tra")
			sub, _ := h.st.SubmissionByID(h.ctx, minhPatrol)
			if sub.Status != store.StatusRejected || sub.RejectReason != "Hôm đó tổ không tuần tra" {
				t.Errorf("rejected submission = %+v", sub)
			}
			minh.waitFor("Lý do: Hôm đó tổ không tuần tra")
			mustContain(t, cong.data(fmt.Sprintf("/duyet no %d", minhPatrol)), "đã được "+leader+" xử lý")
		})
		t.Run("another team's leader is refused and audited", func(t *testing.T) {
			mustContain(t, hai.data(fmt.Sprintf("/duyet ok %d", hungDeed)), h.T("access.denied.scope"))
			h.deniedAudited(t, westLeader, "submission", strconv.FormatInt(hungDeed, 10), access.VerifyReport, access.ReasonScope)
			mustContain(t, hung.data(fmt.Sprintf("/duyet ok %d", hungDeed)), h.T("access.denied.own_report"))
			h.deniedAudited(t, leader, "submission", strconv.FormatInt(hungDeed, 10), access.VerifyReport, access.ReasonOwn)
			mustContain(t, cong.data(fmt.Sprintf("/duyet ok %d", minhTip)), h.T("access.denied.kind"))
			if sub, _ := h.st.SubmissionByID(h.ctx, hungDeed); sub.Status != store.StatusPending {
				t.Errorf("refused verification changed the report: %+v", sub)
			}
		})
		t.Run("a member may not open the queue", func(t *testing.T) {
			mustContain(t, minh.text("/duyet"), h.T("access.denied.role"))
			h.deniedAudited(t, member, "unit", strconv.FormatInt(h.team(0).ID, 10), access.ViewQueue, access.ReasonRole)
		})
		t.Run("the police verify a model and record it as recognised", func(t *testing.T) {
			cong.text("/duyet")
			mustContain(t, cong.tap(h.T("police.queue.recognise")), h.T("police.recognise.done", "Ref", model))
			sub, _ := h.st.SubmissionByID(h.ctx, model)
			at, err := h.st.RecognisedAt(h.ctx, model)
			if sub.Status != store.StatusVerified || err != nil || at == nil {
				t.Errorf("model after recognition: status %s, recognised %v, %v", sub.Status, at, err)
			}
			minh.waitFor(h.T("police.notify.verified", "Ref", model, "Kind", "🏘️ Mô hình", "Date", "10/07/2025", "Who", officer, "Role", "Công an xã"))
		})
		t.Run("the queue shrinks as reports are handled", func(t *testing.T) {
			mustContain(t, hung.text("/duyet"), h.T("police.queue.empty"))
			mustContain(t, cong.text("/duyet"), h.T("police.queue.title", "Total", 2, "Shown", 2))
		})
		t.Run("the police have no presence to report", func(t *testing.T) {
			mustContain(t, cong.text("/comat"), h.T("access.denied.role"))
			h.deniedAudited(t, officer, "unit", strconv.FormatInt(h.org.Commune.ID, 10), "presence.report", access.ReasonRole)
		})
		t.Run("help lists the tools to the roles that use them", func(t *testing.T) {
			for _, tc := range []struct {
				role store.Role
				want []string
				not  []string
			}{
				{store.RoleCommunePolice, []string{police.CmdQueue, police.CmdIncident, police.CmdFigures, police.CmdInvite, police.CmdTeam}, []string{police.CmdPresence}},
				{store.RoleLeader, []string{police.CmdQueue, police.CmdInvite, police.CmdTeam}, []string{police.CmdIncident, police.CmdFigures}},
				{store.RoleDeputy, []string{police.CmdQueue, police.CmdTeam}, []string{police.CmdInvite, police.CmdFigures}},
				{store.RoleMember, nil, []string{police.CmdQueue, police.CmdTeam, police.CmdIncident, police.CmdPresence}},
			} {
				var names []string
				for _, c := range h.svc.CommandsFor(tc.role, "vi") {
					names = append(names, c.Name)
				}
				for _, w := range tc.want {
					if !contains(names, w) {
						t.Errorf("%s: help lacks /%s: %v", tc.role, w, names)
					}
				}
				for _, n := range tc.not {
					if contains(names, n) {
						t.Errorf("%s: help lists /%s: %v", tc.role, n, names)
					}
				}
			}
		})
	})
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
