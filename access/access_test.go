package access_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"testing"
	"time"

	"github.com/anttbot/anttbot/access"
	"github.com/anttbot/anttbot/locales"
	"github.com/anttbot/anttbot/store"
	"github.com/anttbot/anttbot/store/storetest"
	"github.com/anttbot/anttbot/web"
)

// allRoles are the roles the matrix walks; a role added to store must be added here.
var allRoles = []store.Role{
	store.RoleMember, store.RoleDeputy, store.RoleLeader,
	store.RoleCommunePolice, store.RoleDistrictPolice, store.RoleProvincePolice,
}

// allowedInScope is the policy as a table: for each action, the roles that
// may do it inside their own scope. Outside their scope nobody may. The
// matrix test fails for an action missing here, so a new action cannot be
// added without deciding who may do it.
var allowedInScope = map[access.Action][]store.Role{
	access.ReadOwnReports:  allRoles,
	access.ReadTeamReports: {store.RoleLeader, store.RoleDeputy, store.RoleCommunePolice, store.RoleDistrictPolice, store.RoleProvincePolice},
	access.ReadTip:         {store.RoleCommunePolice, store.RoleDistrictPolice, store.RoleProvincePolice},
	access.ReadTipSource:   {store.RoleCommunePolice, store.RoleDistrictPolice, store.RoleProvincePolice},
	access.SetTipStatus:    {store.RoleCommunePolice},
	access.AskTipQuestion:  {store.RoleCommunePolice},
	access.VerifyReport:    {store.RoleLeader, store.RoleDeputy, store.RoleCommunePolice},
	access.ViewQueue:       {store.RoleLeader, store.RoleDeputy, store.RoleCommunePolice},
	access.LogIncident:     {store.RoleCommunePolice},
	access.EnterFigures:    {store.RoleCommunePolice},
	access.ReadFigures:     {store.RoleCommunePolice, store.RoleDistrictPolice, store.RoleProvincePolice},
	access.CreateInvite:    {store.RoleLeader, store.RoleCommunePolice},
	access.ViewTeam:        {store.RoleLeader, store.RoleDeputy, store.RoleCommunePolice, store.RoleDistrictPolice, store.RoleProvincePolice},
	access.ViewSummary:     {store.RoleLeader, store.RoleDeputy, store.RoleCommunePolice, store.RoleDistrictPolice, store.RoleProvincePolice},
	access.LoadCampaign:    {store.RoleProvincePolice},
}

// org is the test organisation:
//
//	Tỉnh A ─ Huyện X ─ Xã 1 ─ Thôn 1 (team), Thôn 2 (sibling), Thôn cũ (merged into Thôn 1)
//	       │          └ Xã 2 ─ Thôn 3
//	       └ Huyện Y ─ Xã 3 ─ Thôn 4
//	Tỉnh B ─ Xã 5 ─ Thôn 5 (no district)
type org struct {
	province, district, commune, team, sibling, merged  int64
	commune2, team2, district2, team3, province2, team5 int64

	// actors holds one active person of each role whose scope contains team.
	actors   map[store.Role]store.Person
	reporter store.Person // another member of team
	// outside is, per role, a team just outside that role's scope.
	outside map[store.Role]int64
}

func ctxT(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func must(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func unit(t *testing.T, st *store.Store, path ...string) int64 {
	t.Helper()
	p := append(path, "", "", "", "")[:4]
	u, err := st.EnsureUnitPath(ctxT(t), p[0], p[1], p[2], p[3])
	must(t, fmt.Sprintf("unit %v", path), err)
	return u.ID
}

var phoneSeq int

func person(t *testing.T, st *store.Store, name string, role store.Role, unitID int64) store.Person {
	t.Helper()
	phoneSeq++
	p := store.Person{Name: name, Phone: fmt.Sprintf("+8491%07d", phoneSeq), Role: role, UnitID: unitID, Active: true}
	must(t, "create "+name, st.CreatePerson(ctxT(t), &p))
	return p
}

func newOrg(t *testing.T, st *store.Store) org {
	t.Helper()
	o := org{
		province: unit(t, st, "Tỉnh A"),
		district: unit(t, st, "Tỉnh A", "Huyện X"),
		commune:  unit(t, st, "Tỉnh A", "Huyện X", "Xã 1"),
		team:     unit(t, st, "Tỉnh A", "Huyện X", "Xã 1", "Thôn 1"),
		sibling:  unit(t, st, "Tỉnh A", "Huyện X", "Xã 1", "Thôn 2"),
		merged:   unit(t, st, "Tỉnh A", "Huyện X", "Xã 1", "Thôn cũ"),
		commune2: unit(t, st, "Tỉnh A", "Huyện X", "Xã 2"),
		team2:    unit(t, st, "Tỉnh A", "Huyện X", "Xã 2", "Thôn 3"),
	}
	o.district2 = unit(t, st, "Tỉnh A", "Huyện Y")
	o.team3 = unit(t, st, "Tỉnh A", "Huyện Y", "Xã 3", "Thôn 4")
	o.province2 = unit(t, st, "Tỉnh B")
	o.team5 = unit(t, st, "Tỉnh B", "", "Xã 5", "Thôn 5")
	must(t, "merge", st.MergeUnit(ctxT(t), o.merged, o.team, time.Now()))

	o.actors = map[store.Role]store.Person{
		store.RoleMember:         person(t, st, "Tổ viên", store.RoleMember, o.team),
		store.RoleDeputy:         person(t, st, "Tổ phó", store.RoleDeputy, o.team),
		store.RoleLeader:         person(t, st, "Tổ trưởng", store.RoleLeader, o.team),
		store.RoleCommunePolice:  person(t, st, "Công an xã", store.RoleCommunePolice, o.commune),
		store.RoleDistrictPolice: person(t, st, "Công an huyện", store.RoleDistrictPolice, o.district),
		store.RoleProvincePolice: person(t, st, "Công an tỉnh", store.RoleProvincePolice, o.province),
	}
	o.reporter = person(t, st, "Người báo", store.RoleMember, o.team)
	o.outside = map[store.Role]int64{
		store.RoleMember:         o.sibling,
		store.RoleDeputy:         o.sibling,
		store.RoleLeader:         o.sibling,
		store.RoleCommunePolice:  o.team2,
		store.RoleDistrictPolice: o.team3,
		store.RoleProvincePolice: o.team5,
	}
	return o
}

// kindFor is the report kind the matrix uses for an action.
func kindFor(a access.Action) string {
	switch a {
	case access.ReadTip, access.ReadTipSource, access.SetTipStatus, access.AskTipQuestion:
		return "tip"
	case access.CreateInvite:
		return string(store.RoleMember) // the invited role
	}
	return "good_deed"
}

func newPolicy(st *store.Store) *access.Policy {
	return access.New(st, slog.New(slog.NewTextHandler(io.Discard, nil)))
}

func TestMatrix(t *testing.T) {
	cat, err := locales.Load()
	must(t, "load locales", err)
	for _, a := range access.All {
		if _, ok := allowedInScope[a]; !ok {
			t.Errorf("action %s has no row in allowedInScope: decide who may do it", a)
		}
	}
	for _, r := range allRoles {
		if !r.Valid() {
			t.Fatalf("role %q is not valid", r)
		}
	}
	for _, driver := range storetest.Drivers() {
		t.Run(driver, func(t *testing.T) {
			st := storetest.New(t, driver)
			o := newOrg(t, st)
			pol := newPolicy(st)
			type row struct {
				name  string
				actor store.Person
				a     access.Action
				s     access.Subject
				allow bool
			}
			var rows []row
			for _, a := range access.All {
				for _, role := range allRoles {
					actor := o.actors[role]
					in := access.Subject{UnitID: o.team, Kind: kindFor(a), ReporterID: o.reporter.ID}
					if a == access.ReadOwnReports {
						in = access.Subject{UnitID: actor.UnitID, Kind: "good_deed", ReporterID: actor.ID}
					}
					near, far := in, in
					near.UnitID, far.UnitID = o.outside[role], o.team5
					if a == access.ReadOwnReports {
						near = access.Subject{UnitID: o.team, Kind: "good_deed", ReporterID: o.reporter.ID}
						far = access.Subject{UnitID: o.team5, Kind: "good_deed", ReporterID: o.reporter.ID}
					}
					rows = append(rows,
						row{fmt.Sprintf("%s/%s/in_scope", a, role), actor, a, in, contains(allowedInScope[a], role)},
						row{fmt.Sprintf("%s/%s/next_door", a, role), actor, a, near, false},
						row{fmt.Sprintf("%s/%s/far", a, role), actor, a, far, false},
					)
				}
			}
			for _, tc := range rows {
				t.Run(tc.name, func(t *testing.T) {
					ctx := ctxT(t)
					subjectType, subjectID := "unit", strconv.FormatInt(tc.s.UnitID, 10)
					before, err := st.AuditEntries(ctx, subjectType, subjectID)
					must(t, "audit before", err)
					err = pol.Check(ctx, tc.actor, tc.a, tc.s)
					after, aerr := st.AuditEntries(ctx, subjectType, subjectID)
					must(t, "audit after", aerr)
					added := after[len(before):]
					if tc.allow {
						if err != nil {
							t.Fatalf("want allowed, got %v", err)
						}
						wantAudit := 0
						if (tc.a == access.ReadTip || tc.a == access.ReadTipSource) && tc.actor.Role.IsPolice() {
							wantAudit = 1
						}
						if len(added) != wantAudit {
							t.Fatalf("allowed: %d audit entries, want %d: %+v", len(added), wantAudit, added)
						}
						if wantAudit == 1 && (added[0].Action != string(tc.a) || added[0].ActorID == nil || *added[0].ActorID != tc.actor.ID) {
							t.Fatalf("tip read audit = %+v", added[0])
						}
						return
					}
					d, ok := access.IsDenied(err)
					if !ok {
						t.Fatalf("want *Denied, got %v", err)
					}
					var viaAs *access.Denied
					if !errors.As(err, &viaAs) || d.Action != tc.a || !contains(access.Reasons, d.Reason) || d.MessageKey != access.MessageKey(d.Reason) {
						t.Fatalf("denial = %+v", d)
					}
					for _, lang := range []string{"vi", "en"} {
						if !cat.Has(lang, d.MessageKey) {
							t.Fatalf("message %s missing in %s", d.MessageKey, lang)
						}
					}
					if len(added) != 1 {
						t.Fatalf("denied: %d audit entries, want 1: %+v", len(added), added)
					}
					e := added[0]
					if e.Action != "access.denied" || e.ActorID == nil || *e.ActorID != tc.actor.ID ||
						e.Detail != fmt.Sprintf("action=%s reason=%s", tc.a, d.Reason) {
						t.Fatalf("audit entry = %+v", e)
					}
				})
			}
		})
	}
}

func contains[T comparable](xs []T, x T) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// TestRules covers the rules the matrix does not: own reports, kinds,
// merged units, deactivated people and subjects loaded from a submission.
func TestRules(t *testing.T) {
	for _, driver := range storetest.Drivers() {
		t.Run(driver, func(t *testing.T) {
			st := storetest.New(t, driver)
			o := newOrg(t, st)
			pol := newPolicy(st)
			ctx := ctxT(t)
			leader, member := o.actors[store.RoleLeader], o.actors[store.RoleMember]
			commune, district := o.actors[store.RoleCommunePolice], o.actors[store.RoleDistrictPolice]

			tip := store.Submission{Kind: "tip", ReporterID: o.reporter.ID, TeamID: o.team, IdempotencyKey: "rules:tip"}
			_, err := st.CreateSubmission(ctx, &tip, "nguồn")
			must(t, "tip", err)
			oldTip := store.Submission{Kind: "tip", ReporterID: o.reporter.ID, TeamID: o.merged, IdempotencyKey: "rules:old"}
			_, err = st.CreateSubmission(ctx, &oldTip, "")
			must(t, "tip in merged team", err)
			deed := store.Submission{Kind: "good_deed", ReporterID: o.reporter.ID, TeamID: o.team, IdempotencyKey: "rules:deed"}
			_, err = st.CreateSubmission(ctx, &deed, "")
			must(t, "deed", err)

			inactive := person(t, st, "Đã nghỉ", store.RoleCommunePolice, o.commune)
			inactive.Active = false
			reporter := o.reporter

			tests := []struct {
				name   string
				actor  store.Person
				a      access.Action
				s      access.Subject
				reason string // "" means allowed
			}{
				{"reporter reads own tip", reporter, access.ReadTip, access.Subject{SubmissionID: tip.ID}, ""},
				{"reporter may not read the source", reporter, access.ReadTipSource, access.Subject{SubmissionID: tip.ID}, access.ReasonSensitive},
				{"leader may not read a member's tip", leader, access.ReadTip, access.Subject{SubmissionID: tip.ID}, access.ReasonSensitive},
				{"leader may not list tips as team reports", leader, access.ReadTeamReports, access.Subject{SubmissionID: tip.ID}, access.ReasonSensitive},
				{"caller's wrong unit is ignored for a submission", leader, access.ReadTip, access.Subject{SubmissionID: tip.ID, UnitID: o.team, Kind: "good_deed"}, access.ReasonSensitive},
				{"another member may not read a tip", member, access.ReadTip, access.Subject{SubmissionID: tip.ID}, access.ReasonSensitive},
				{"commune police read a tip of a merged team", commune, access.ReadTip, access.Subject{SubmissionID: oldTip.ID}, ""},
				{"district police list a tip among reports", district, access.ReadTeamReports, access.Subject{SubmissionID: tip.ID}, ""},
				{"leader of the successor sees the merged team", leader, access.ViewTeam, access.Subject{UnitID: o.merged}, ""},
				{"district police may not set a status", district, access.SetTipStatus, access.Subject{SubmissionID: tip.ID}, access.ReasonReadOnly},
				{"tips are not verified as reports", commune, access.VerifyReport, access.Subject{SubmissionID: tip.ID}, access.ReasonKind},
				{"leader verifies a good deed", leader, access.VerifyReport, access.Subject{SubmissionID: deed.ID}, ""},
				{"nobody verifies their own report", reporter, access.VerifyReport, access.Subject{SubmissionID: deed.ID}, access.ReasonOwn},
				{"leader may not verify own report", leader, access.VerifyReport, access.Subject{UnitID: o.team, Kind: "good_deed", ReporterID: leader.ID}, access.ReasonOwn},
				{"leader may not verify presence", leader, access.VerifyReport, access.Subject{UnitID: o.team, Kind: "presence", ReporterID: reporter.ID}, access.ReasonKind},
				{"commune police verify presence", commune, access.VerifyReport, access.Subject{UnitID: o.team, Kind: "presence", ReporterID: reporter.ID}, ""},
				{"deactivated officer", inactive, access.ReadTip, access.Subject{SubmissionID: tip.ID}, access.ReasonInactive},
				{"unknown submission", commune, access.ReadTip, access.Subject{SubmissionID: 987654}, access.ReasonNotFound},
				{"commune police invite a leader", commune, access.CreateInvite, access.Subject{UnitID: o.sibling, Kind: string(store.RoleLeader)}, ""},
				{"commune police may not invite police", commune, access.CreateInvite, access.Subject{UnitID: o.sibling, Kind: string(store.RoleCommunePolice)}, access.ReasonRole},
				{"invites go to teams, not communes", commune, access.CreateInvite, access.Subject{UnitID: o.commune, Kind: string(store.RoleMember)}, access.ReasonScope},
				{"invites never go to a merged team", commune, access.CreateInvite, access.Subject{UnitID: o.merged, Kind: string(store.RoleMember)}, access.ReasonScope},
				{"leader may not invite a deputy", leader, access.CreateInvite, access.Subject{UnitID: o.team, Kind: string(store.RoleDeputy)}, access.ReasonRole},
			}
			for _, tc := range tests {
				t.Run(tc.name, func(t *testing.T) {
					err := pol.Check(ctx, tc.actor, tc.a, tc.s)
					if tc.reason == "" {
						if err != nil {
							t.Fatalf("want allowed, got %v", err)
						}
						return
					}
					d, ok := access.IsDenied(err)
					if !ok || d.Reason != tc.reason {
						t.Fatalf("want denied for %s, got %v", tc.reason, err)
					}
				})
			}

			// Denials about a submission are audited against the submission.
			entries, err := st.AuditEntries(ctx, "submission", strconv.FormatInt(tip.ID, 10))
			must(t, "audit", err)
			var denied, reads int
			for _, e := range entries {
				switch e.Action {
				case "access.denied":
					denied++
				case string(access.ReadTip), string(access.ReadTeamReports):
					reads++
				}
			}
			if denied != 8 || reads != 1 {
				t.Fatalf("tip audit: %d denials (want 8), %d police reads (want 1): %+v", denied, reads, entries)
			}
		})
	}
}

// TestCommuneMerge: after two communes merge, the successor's police see
// tips made in the teams of the commune that was merged.
func TestCommuneMerge(t *testing.T) {
	for _, driver := range storetest.Drivers() {
		t.Run(driver, func(t *testing.T) {
			st := storetest.New(t, driver)
			o := newOrg(t, st)
			pol := newPolicy(st)
			ctx := ctxT(t)
			tip := store.Submission{Kind: "tip", ReporterID: o.reporter.ID, TeamID: o.team2, IdempotencyKey: "merge:tip"}
			_, err := st.CreateSubmission(ctx, &tip, "")
			must(t, "tip", err)
			officer := o.actors[store.RoleCommunePolice]
			if _, ok := access.IsDenied(pol.Check(ctx, officer, access.SetTipStatus, access.Subject{SubmissionID: tip.ID})); !ok {
				t.Fatal("officer of Xã 1 may act on a tip of Xã 2 before the merge")
			}
			must(t, "merge communes", st.MergeUnit(ctx, o.commune2, o.commune, time.Now()))
			if err := pol.Check(ctx, officer, access.SetTipStatus, access.Subject{SubmissionID: tip.ID}); err != nil {
				t.Fatalf("after the merge: %v", err)
			}
		})
	}
}

// consoleAllowed is, for each route of the web console, the roles that may
// open it on a unit of their own scope. Members have no console at all; the
// test fails for a console route missing here.
var consoleAllowed = map[string][]store.Role{
	"dashboard":    {store.RoleLeader, store.RoleDeputy, store.RoleCommunePolice, store.RoleDistrictPolice, store.RoleProvincePolice},
	"chart":        {store.RoleLeader, store.RoleDeputy, store.RoleCommunePolice, store.RoleDistrictPolice, store.RoleProvincePolice},
	"export":       {store.RoleLeader, store.RoleDeputy, store.RoleCommunePolice, store.RoleDistrictPolice, store.RoleProvincePolice},
	"tips":         {store.RoleCommunePolice, store.RoleDistrictPolice, store.RoleProvincePolice},
	"tip":          {store.RoleCommunePolice, store.RoleDistrictPolice, store.RoleProvincePolice},
	"tip_act":      {store.RoleCommunePolice},
	"verify":       {store.RoleLeader, store.RoleDeputy, store.RoleCommunePolice},
	"verify_act":   {store.RoleLeader, store.RoleDeputy, store.RoleCommunePolice},
	"members":      {store.RoleLeader, store.RoleDeputy, store.RoleCommunePolice, store.RoleDistrictPolice, store.RoleProvincePolice},
	"invite":       {store.RoleLeader, store.RoleDeputy, store.RoleCommunePolice, store.RoleDistrictPolice, store.RoleProvincePolice},
	"incidents":    {store.RoleCommunePolice},
	"incident_log": {store.RoleCommunePolice},
	"figures":      {store.RoleCommunePolice},
	"figures_save": {store.RoleCommunePolice},
}

// TestConsoleRoutes walks every web console route × role × scope through the
// check the console makes before each handler (web.Route.Action on the
// page's unit). The handlers' own checks of one report (a tip, a report to
// verify) are the chat's, covered by TestMatrix; internal/app's web tests
// open every route over HTTP.
func TestConsoleRoutes(t *testing.T) {
	for _, r := range web.Routes {
		if _, ok := consoleAllowed[r.Name]; !ok {
			t.Errorf("console route %s (%s %s) has no row in consoleAllowed: decide who may open it", r.Name, r.Method, r.Path)
		}
		if !contains(access.All, r.Action) {
			t.Errorf("console route %s checks unknown action %q", r.Name, r.Action)
		}
	}
	for _, driver := range storetest.Drivers() {
		t.Run(driver, func(t *testing.T) {
			st := storetest.New(t, driver)
			o := newOrg(t, st)
			pol := newPolicy(st)
			for _, r := range web.Routes {
				for _, role := range allRoles {
					actor := o.actors[role]
					for _, sc := range []struct {
						name  string
						unit  int64
						allow bool
					}{
						{"own_unit", actor.UnitID, contains(consoleAllowed[r.Name], role)},
						{"in_scope", o.team, contains(consoleAllowed[r.Name], role)},
						{"next_door", o.outside[role], false},
						{"far", o.team5, false},
					} {
						t.Run(fmt.Sprintf("%s/%s/%s", r.Name, role, sc.name), func(t *testing.T) {
							err := pol.Check(ctxT(t), actor, r.Action, access.Subject{UnitID: sc.unit})
							if sc.allow && err != nil {
								t.Fatalf("want allowed, got %v", err)
							}
							if !sc.allow {
								if _, ok := access.IsDenied(err); !ok {
									t.Fatalf("want denied, got %v", err)
								}
							}
						})
					}
				}
			}
		})
	}
}
