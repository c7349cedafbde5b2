package police_test

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/anttbot/anttbot/access"
	"github.com/anttbot/anttbot/campaign"
	"github.com/anttbot/anttbot/report"
	"github.com/anttbot/anttbot/store"
)

func TestIncidentPresence(t *testing.T) {
	eachDriver(t, func(t *testing.T, driver string) {
		h := newHarness(t, driver, true)
		cong, minh, lan, nam := h.linked(officer), h.linked(member), h.linked(member2), h.linked(westMember)
		hung, nga, son := h.linked(leader), h.linked(otherMember), h.linked(otherOfficer)
		var fire store.Incident

		t.Run("the police log a fire call-out", func(t *testing.T) {
			mustContain(t, cong.text("/sukien"), h.T("police.incident.ask_kind"))
			mustContain(t, cong.tap(h.T("police.incident.kind.fire")), h.T("police.incident.ask_date"))
			mustContain(t, cong.tap(h.T("flows.date.today")), h.T("police.incident.ask_time"))
			mustContain(t, cong.text("8h30"), h.T("police.incident.ask_place"))
			mustContain(t, cong.text("Chợ An Bình"), h.T("police.incident.ask_desc"))
			msgs := cong.tap(h.T("common.skip"))
			mustContain(t, msgs, "🔥 Cháy, nổ (PCCC) · 08:30 15/07/2025 · Chợ An Bình")
			msgs = cong.tap(h.T("common.confirm"))
			ins, err := h.st.IncidentsOf(h.ctx, h.org.Commune.ID, 1)
			if err != nil || len(ins) != 1 {
				t.Fatalf("incidents = %v, %v", ins, err)
			}
			fire = ins[0]
			if fire.Kind != store.IncidentFire || fire.Place != "Chợ An Bình" || !fire.OccurredAt.Equal(time.Date(2025, 7, 15, 8, 30, 0, 0, vn)) ||
				fire.LoggedByID == nil || *fire.LoggedByID != h.person(officer).ID {
				t.Fatalf("logged incident = %+v", fire)
			}
			mustContain(t, msgs, h.T("police.incident.logged", "Ref", fire.ID, "Asked", 8), "📋")
			if got := labels(msgs); !contains(got, "⬜ "+member+" · Tổ ANTT thôn Đông") {
				t.Errorf("presence list buttons = %v", got)
			}
		})
		t.Run("a traffic accident asks whether it is serious", func(t *testing.T) {
			cong.text("/sukien")
			mustContain(t, cong.tap(h.T("police.incident.kind.traffic")), h.T("police.incident.ask_serious"))
			cong.tap(h.T("common.yes"))
			cong.tap(h.T("flows.date.yesterday"))
			cong.tap(h.T("common.skip"))
			cong.text("Quốc lộ 5")
			msgs := cong.text("Va chạm xe máy")
			mustContain(t, msgs, "(nghiêm trọng)", "12:00 14/07/2025", "Va chạm xe máy")
			cong.tap(h.T("common.confirm"))
			in, err := h.st.IncidentByID(h.ctx, fire.ID+1)
			if err != nil || in.Kind != store.IncidentTraffic || !in.Serious || in.Description != "Va chạm xe máy" ||
				!in.OccurredAt.Equal(time.Date(2025, 7, 14, 12, 0, 0, 0, vn)) {
				t.Errorf("traffic incident = %+v, %v", in, err)
			}
		})
		t.Run("every member of the commune is asked; one says yes with an arrival time", func(t *testing.T) {
			ask := h.T("police.presence.ask", "Ref", fire.ID, "Incident", "🔥 Cháy, nổ (PCCC) · 08:30 15/07/2025 · Chợ An Bình")
			minh.waitFor(ask)
			nam.waitFor(ask)
			mustContain(t, minh.data(fmt.Sprintf("/comat %d y", fire.ID)), h.T("police.arrival.ask", "Ref", fire.ID))
			mustContain(t, minh.tap(h.T("police.arrival.15")), h.T("police.arrival.saved", "Ref", fire.ID, "Arrival", "08:45 15/07/2025"))
			claim := cong.waitFor(member + " (Tổ ANTT thôn Đông) báo có mặt tại vụ việc #" + strconv.FormatInt(fire.ID, 10))
			if !strings.Contains(claim.Text, "08:45 15/07/2025") {
				t.Errorf("claim = %q", claim.Text)
			}
			// Not counted until the police confirm it.
			if n := confirmed(t, h, fire.ID); n != 0 {
				t.Errorf("confirmed presences before the police confirmed = %d", n)
			}
			mustContain(t, cong.tap(h.T("police.presence.confirm")), h.T("police.presence.confirmed", "Name", member, "Ref", fire.ID))
			if n := confirmed(t, h, fire.ID); n != 1 {
				t.Errorf("confirmed presences = %d, want 1", n)
			}
		})
		t.Run("another member types an arrival time and is not confirmed yet", func(t *testing.T) {
			nam.data(fmt.Sprintf("/comat %d y", fire.ID))
			mustContain(t, nam.text("08:50"), "08:50 15/07/2025")
		})
		t.Run("the police tick a member who did not answer", func(t *testing.T) {
			msgs := cong.text(fmt.Sprintf("/sukien dd %d", fire.ID))
			mustContain(t, msgs, "Đã xác nhận có mặt: 1/8")
			got := labels(msgs)
			for _, want := range []string{"✅ " + member + " · Tổ ANTT thôn Đông 08:45", "🙋 " + westMember + " · Tổ ANTT thôn Tây 08:50", "⬜ " + member2 + " · Tổ ANTT thôn Đông"} {
				if !contains(got, want) {
					t.Errorf("presence list lacks %q: %v", want, got)
				}
			}
			msgs = cong.tap("⬜ " + member2)
			mustContain(t, msgs, "Đã xác nhận có mặt: 2/8")
			for _, m := range msgs {
				if strings.Contains(m.Text, "Đã xác nhận có mặt") && m.EditMessageID == "" {
					t.Error("the list was not edited in place")
				}
			}
			// Lan's own "no" does not undo the officer's tick.
			mustContain(t, lan.data(fmt.Sprintf("/comat %d n", fire.ID)), h.T("police.presence.no_thanks", "Ref", fire.ID))
			ps, err := h.st.PresenceAt(h.ctx, fire.ID)
			if err != nil {
				t.Fatal(err)
			}
			byName := map[int64]store.IncidentPresence{}
			for _, p := range ps {
				byName[p.PersonID] = p
			}
			m, l, n := byName[h.person(member).ID], byName[h.person(member2).ID], byName[h.person(westMember).ID]
			switch {
			case m.ConfirmedByID == nil || m.Source != store.PresenceMember || m.ArrivedAt == nil || !m.ArrivedAt.Equal(time.Date(2025, 7, 15, 8, 45, 0, 0, vn)):
				t.Errorf("Minh's presence = %+v", m)
			case l.ConfirmedByID == nil || l.Source != store.PresencePolice:
				t.Errorf("Lan's presence = %+v", l)
			case n.ConfirmedByID != nil || n.ArrivedAt == nil || !n.ArrivedAt.Equal(time.Date(2025, 7, 15, 8, 50, 0, 0, vn)):
				t.Errorf("Nam's presence = %+v", n)
			}
			// Untick and tick again.
			mustContain(t, cong.tap("✅ "+member2), "Đã xác nhận có mặt: 1/8")
			mustContain(t, cong.tap("⬜ "+member2), "Đã xác nhận có mặt: 2/8")
		})
		t.Run("the scorecard counts the call-out as attended and the security incident as not", func(t *testing.T) {
			cong.text("/sukien")
			cong.tap(h.T("police.incident.kind.antt"))
			cong.tap(h.T("flows.date.today"))
			cong.text("7:00")
			cong.text("Nhà văn hóa thôn")
			cong.tap(h.T("common.skip"))
			cong.tap(h.T("common.confirm"))
			p, _ := h.camp.Phase("dot2")
			sc, err := report.Compute(h.ctx, h.st, h.camp, h.org.Commune.ID, report.PhasePeriod(p, vn), h.clock.Now(), vn)
			if err != nil {
				t.Fatalf("compute: %v", err)
			}
			for _, r := range sc.Results {
				switch r.Target.Metric {
				case campaign.MetricCallOutAttendance:
					if r.Num != 1 || r.Den != 1 || r.Value != 100 {
						t.Errorf("call-out attendance = %v/%v (%v)", r.Num, r.Den, r.Value)
					}
				case campaign.MetricIncidentPresence:
					if r.Num != 0 || r.Den != 1 {
						t.Errorf("incident presence = %v/%v (%v)", r.Num, r.Den, r.Value)
					}
				}
			}
		})
		t.Run("a time that has not come yet is not logged", func(t *testing.T) {
			cong.text("/sukien")
			cong.tap(h.T("police.incident.kind.rescue"))
			cong.tap(h.T("flows.date.today"))
			cong.text("23:00")
			cong.text("Bờ sông")
			mustContain(t, cong.tap(h.T("common.skip")), h.T("police.incident.future"))
			mustContain(t, cong.tap(h.T("common.confirm")), h.T("police.incident.not_logged_future"))
			if ins, _ := h.st.IncidentsOf(h.ctx, h.org.Commune.ID, 10); len(ins) != 3 {
				t.Errorf("incidents = %d, want 3 (the future one not logged)", len(ins))
			}
		})
		t.Run("out of scope: another commune, a member, a leader", func(t *testing.T) {
			mustContain(t, son.text(fmt.Sprintf("/sukien dd %d", fire.ID)), h.T("access.denied.scope"))
			h.deniedAudited(t, otherOfficer, "unit", strconv.FormatInt(h.org.Commune.ID, 10), access.LogIncident, access.ReasonScope)
			mustContain(t, son.text(fmt.Sprintf("/sukien t %d %d", fire.ID, h.person(member).ID)), h.T("access.denied.scope"))
			mustContain(t, nga.text(fmt.Sprintf("/comat %d y", fire.ID)), h.T("access.denied.scope"))
			es, _ := h.st.AuditEntries(h.ctx, "incident", strconv.FormatInt(fire.ID, 10))
			if !containsAudit(es, "access.denied", h.person(otherMember).ID) {
				t.Errorf("the other commune's member was not audited: %+v", es)
			}
			mustContain(t, hung.text("/sukien"), h.T("access.denied.role"))
			h.deniedAudited(t, leader, "unit", strconv.FormatInt(h.team(0).ID, 10), access.LogIncident, access.ReasonRole)
			// The list of their own commune is theirs: nothing to tick here.
			mustContain(t, son.text(fmt.Sprintf("/sukien t %d %d", fire.ID, h.person(otherMember).ID)), h.T("access.denied.scope"))
		})
	})
}

// confirmed counts the confirmed presences at an incident: what the
// report package's incident targets count.
func confirmed(t *testing.T, h *harness, incidentID int64) int {
	t.Helper()
	ps, err := h.st.PresenceAt(h.ctx, incidentID)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, p := range ps {
		if p.ConfirmedByID != nil {
			n++
		}
	}
	return n
}

func containsAudit(es []store.AuditLog, action string, actor int64) bool {
	for _, e := range es {
		if e.Action == action && e.ActorID != nil && *e.ActorID == actor {
			return true
		}
	}
	return false
}
