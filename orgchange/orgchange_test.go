package orgchange_test

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/anttbot/anttbot/campaign"
	"github.com/anttbot/anttbot/locales"
	"github.com/anttbot/anttbot/orgchange"
	"github.com/anttbot/anttbot/report"
	"github.com/anttbot/anttbot/store"
	"github.com/anttbot/anttbot/store/storetest"
)

var ict = func() *time.Location {
	loc, err := time.LoadLocation("Asia/Ho_Chi_Minh")
	if err != nil {
		panic(err)
	}
	return loc
}()

func must(t testing.TB, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func forEachDriver(t *testing.T, fn func(t *testing.T, s *store.Store)) {
	for _, d := range storetest.Drivers() {
		t.Run(d, func(t *testing.T) { fn(t, storetest.New(t, d)) })
	}
}

// org is two communes of Hải Dương (A, B) and one of Hải Phòng (C), one team
// each, a member in each team and a commune police officer in each commune.
type org struct {
	s                   *store.Store
	ctx                 context.Context
	xaA, xaB, xaC       store.Unit
	thon1, thon2, thon3 store.Unit
	m1, m2, m3          int64
	pA, pB, pC          int64
	n                   int
}

func newOrg(t *testing.T, s *store.Store) *org {
	ctx := context.Background()
	o := &org{s: s, ctx: ctx}
	path := func(prov, commune, team string) store.Unit {
		u, err := s.EnsureUnitPath(ctx, prov, "", commune, team)
		must(t, "unit "+team, err)
		return u
	}
	o.thon1 = path("Hải Dương", "Xã An Bình", "Thôn 1")
	o.thon2 = path("Hải Dương", "Xã Tân Hòa", "Thôn 2")
	o.thon3 = path("Hải Phòng", "Xã Hợp Tiến", "Thôn 3")
	for _, x := range []struct {
		u  *store.Unit
		id int64
	}{{&o.xaA, *o.thon1.ParentID}, {&o.xaB, *o.thon2.ParentID}, {&o.xaC, *o.thon3.ParentID}} {
		u, err := s.UnitByID(ctx, x.id)
		must(t, "commune", err)
		*x.u = u
	}
	person := func(name string, role store.Role, unit int64) int64 {
		o.n++
		p := store.Person{Name: name, Phone: fmt.Sprintf("+8490000%04d", o.n), Role: role, UnitID: unit, Active: true}
		must(t, "person "+name, s.CreatePerson(ctx, &p))
		return p.ID
	}
	o.m1 = person("Member One", store.RoleMember, o.thon1.ID)
	o.m2 = person("Member Two", store.RoleMember, o.thon2.ID)
	o.m3 = person("Member Three", store.RoleMember, o.thon3.ID)
	o.pA = person("Police A", store.RoleCommunePolice, o.xaA.ID)
	o.pB = person("Police B", store.RoleCommunePolice, o.xaB.ID)
	o.pC = person("Police C", store.RoleCommunePolice, o.xaC.ID)
	return o
}

func (o *org) report(t *testing.T, kind, status string, team store.Unit, reporter int64, when time.Time) int64 {
	t.Helper()
	o.n++
	sub := &store.Submission{Kind: kind, Status: status, TeamID: team.ID, ReporterID: reporter, OccurredAt: when,
		IdempotencyKey: fmt.Sprintf("k%d", o.n)}
	if status == store.StatusVerified {
		v := when.Add(time.Hour)
		sub.VerifiedAt = &v
	}
	_, err := o.s.CreateSubmission(o.ctx, sub, "")
	must(t, "report", err)
	return sub.ID
}

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 10, 0, 0, 0, ict) }

func TestMergeMidPhaseRollsUpHistoryAndKeepsTipsWithTheSuccessorsPolice(t *testing.T) {
	forEachDriver(t, func(t *testing.T, s *store.Store) {
		o := newOrg(t, s)
		ctx := o.ctx
		camp := campaign.Default()
		phase, ok := camp.Phase("dot2")
		if !ok {
			t.Fatal("no phase dot2")
		}
		period := report.PhasePeriod(phase, ict)
		mergeAt := day(2025, 4, 1)
		// Before the merge: reports in A and B; after: in C.
		for range 3 {
			o.report(t, campaign.KindTip, store.StatusVerified, o.thon1, o.m1, day(2025, 2, 20))
		}
		o.report(t, campaign.KindGoodDeed, store.StatusVerified, o.thon1, o.m1, day(2025, 3, 10))
		for range 2 {
			o.report(t, campaign.KindTip, store.StatusVerified, o.thon2, o.m2, day(2025, 3, 1))
		}
		o.report(t, campaign.KindGoodDeed, store.StatusVerified, o.thon3, o.m3, day(2025, 5, 2))
		o.report(t, campaign.KindTip, store.StatusVerified, o.thon3, o.m3, day(2025, 6, 2))
		openTip := o.report(t, campaign.KindTip, store.StatusPending, o.thon1, o.m1, day(2025, 3, 30))
		inv, err := s.CreateInvite(ctx, store.Invite{UnitID: o.xaB.ID, Role: store.RoleCommunePolice, ExpiresAt: time.Now().Add(time.Hour)})
		must(t, "invite", err)

		now := day(2025, 8, 20)
		var parts []report.Scorecard
		for _, u := range []store.Unit{o.xaA, o.xaB, o.xaC} {
			sc, err := report.Compute(ctx, s, camp, u.ID, period, now, ict)
			must(t, "scorecard of "+u.Name, err)
			parts = append(parts, sc)
		}

		actor := orgchange.Actor{Name: "test official"}
		must(t, "merge", orgchange.Merge(ctx, s, actor, []int64{o.xaA.ID, o.xaB.ID}, o.xaC.ID, mergeAt))

		after, err := report.Compute(ctx, s, camp, o.xaC.ID, period, now, ict)
		must(t, "scorecard after", err)
		want := map[string]int64{}
		for _, p := range parts {
			for k, n := range p.Counts {
				want[k] += n
			}
		}
		if want[campaign.KindTip] != 6 {
			t.Fatalf("the parts count %d verified tips, want 6 (fixture)", want[campaign.KindTip])
		}
		for k, n := range want {
			if after.Counts[k] != n {
				t.Errorf("successor counts %d %s, want the parts' sum %d", after.Counts[k], k, n)
			}
		}
		for i, r := range after.Results {
			var num, den float64
			for _, p := range parts {
				num += p.Results[i].Num
				den += p.Results[i].Den
			}
			if !r.Aggregate && (r.Num != num || r.Den != den) {
				t.Errorf("target %s: successor %v/%v, want the parts' sum %v/%v", r.Target.ID, r.Num, r.Den, num, den)
			}
		}
		// The successor's scorecard says which former units it includes.
		if len(after.Former) != 2 || after.Former[0].ID != o.xaA.ID || after.Former[1].ID != o.xaB.ID {
			t.Errorf("scorecard's former units = %+v, want A and B", after.Former)
		}
		cat, err := locales.Load()
		must(t, "locales", err)
		if text := report.RenderText(after, "vi", cat); !strings.Contains(text, "đơn vị cũ đã sáp nhập: Xã An Bình, Xã Tân Hòa") {
			t.Errorf("the successor's scorecard does not name its former units:\n%s", text)
		}
		if len(parts[2].Former) != 0 {
			t.Errorf("before the merge C has former units %+v", parts[2].Former)
		}
		// A report keeps the unit it was made in.
		sub, err := s.SubmissionByID(ctx, openTip)
		must(t, "tip", err)
		if sub.TeamID != o.thon1.ID || sub.CommuneID != o.xaA.ID {
			t.Errorf("tip now in team %d commune %d, want %d %d", sub.TeamID, sub.CommuneID, o.thon1.ID, o.xaA.ID)
		}
		// The tip opened before the merge is with the successor's police.
		police, err := s.PoliceOf(ctx, sub.TeamID, store.RoleCommunePolice)
		must(t, "police of the tip's team", err)
		ids := func(ps []store.Person) []int64 {
			var out []int64
			for _, p := range ps {
				out = append(out, p.ID)
			}
			slices.Sort(out)
			return out
		}
		if got := ids(police); !slices.Equal(got, []int64{o.pA, o.pB, o.pC}) {
			t.Errorf("police of the tip = %v, want %v (the successor's, former communes' included)", got, []int64{o.pA, o.pB, o.pC})
		}
		if got, err := s.PoliceOf(ctx, sub.CommuneID, store.RoleCommunePolice); err != nil || len(got) != 3 {
			t.Errorf("police of the merged commune = %v, %v; want the successor's three", ids(got), err)
		}
		queue, total, err := s.VerificationQueue(ctx, store.QueueFilter{UnitID: o.xaC.ID, Kinds: []string{campaign.KindTip}, ExcludeReporterID: o.pC})
		must(t, "queue", err)
		if total != 1 || queue[0].ID != openTip {
			t.Errorf("successor's queue = %d items, want the open tip #%d", total, openTip)
		}
		// Invites and people follow.
		got, err := s.InviteByCode(ctx, inv.Code)
		must(t, "invite", err)
		if got.UnitID != o.xaC.ID {
			t.Errorf("unused invite of the merged commune is on unit %d, want %d", got.UnitID, o.xaC.ID)
		}
		people, err := s.PeopleInUnit(ctx, o.xaC.ID)
		must(t, "people", err)
		if len(people) != 6 {
			t.Errorf("successor has %d people, want all 6", len(people))
		}
		// Which former units, and the audit.
		former, err := orgchange.FormerUnits(ctx, s, o.xaC.ID)
		must(t, "former", err)
		if len(former) != 2 {
			t.Errorf("former units = %v, want A and B", former)
		}
		hist, err := orgchange.History(ctx, s, o.xaC.ID)
		must(t, "history", err)
		if len(hist) != 2 || hist[0].Actor != "test official" || !strings.Contains(hist[0].What+hist[1].What, "Xã An Bình") || !strings.Contains(hist[0].What, "2025-04-01") {
			t.Errorf("history = %+v", hist)
		}
	})
}

func TestRenameMoveAndCLI(t *testing.T) {
	forEachDriver(t, func(t *testing.T, s *store.Store) {
		o := newOrg(t, s)
		var out, errb bytes.Buffer
		run := func(args ...string) int {
			out.Reset()
			errb.Reset()
			return orgchange.CLI(o.ctx, s, campaign.Default(), ict, args, &out, &errb)
		}
		if code := run("rename", o.thon3.Code, "Thôn Ba", "--at", "2025-07-01"); code != 0 {
			t.Fatalf("rename: %d %s", code, errb.String())
		}
		if code := run("move", o.thon3.Code, o.xaA.Code); code != 0 {
			t.Fatalf("move: %d %s", code, errb.String())
		}
		u, err := s.UnitByID(o.ctx, o.thon3.ID)
		must(t, "unit", err)
		if u.Name != "Thôn Ba" || *u.ParentID != o.xaA.ID {
			t.Errorf("after rename and move: %+v", u)
		}
		if code := run("merge", o.xaB.Code, "--into", o.xaA.Code, "--at", "2025-07-01"); code != 0 {
			t.Fatalf("merge: %d %s", code, errb.String())
		}
		if code := run("history", o.xaA.Code); code != 0 || !strings.Contains(out.String(), "includes former unit Xã Tân Hòa") {
			t.Errorf("history: %d\n%s%s", code, out.String(), errb.String())
		}
		if code := run("history", o.thon3.Code); code != 0 || !strings.Contains(out.String(), `"Thôn 3" → "Thôn Ba", effective 2025-07-01`) || !strings.Contains(out.String(), "→ "+o.xaA.Code) {
			t.Errorf("history of the team: %d\n%s%s", code, out.String(), errb.String())
		}
		// Bad input changes nothing and says why.
		for _, bad := range [][]string{
			{"merge", o.xaC.Code, "--into", o.xaA.Code},                         // no date
			{"merge", o.xaC.Code, "--into", o.thon1.Code, "--at", "2025-07-01"}, // level
			{"move", o.xaC.Code, o.thon1.Code},
			{"rename", "no such unit", "X"},
			{"merge", o.xaC.Code, "--into", o.xaA.Code, "--at", "1/7/2025"},
		} {
			if code := run(bad...); code == 0 || errb.Len() == 0 {
				t.Errorf("%v: exit %d, stderr %q", bad, code, errb.String())
			}
		}
		c, err := s.UnitByID(o.ctx, o.xaC.ID)
		must(t, "unit", err)
		if c.MergedIntoID != nil || c.ParentID == nil || *c.ParentID != *o.xaC.ParentID {
			t.Errorf("a refused change changed %+v", c)
		}
	})
}
