package web

import (
	"net/http"
	"slices"
	"time"

	"github.com/anttbot/anttbot/campaign"
	"github.com/anttbot/anttbot/store"
)

// memberRow is one person of a team on Tổ và thành viên.
type memberRow struct {
	Person      store.Person
	Channels    []string // linked chats: telegram, zalo, simulator
	Unreachable bool     // a linked chat said the person blocked the bot
	LastReport  time.Time
	ThisMonth   int64
}

// teamRows is one team and its people.
type teamRows struct {
	Team    store.Unit
	Members []memberRow
}

// invitedRoles are the roles the invite form offers, in order.
var invitedRoles = []store.Role{store.RoleLeader, store.RoleDeputy, store.RoleMember}

// membersPage is Tổ và thành viên: each team of the unit (a team, or the
// teams of a commune) with its people, how far each got in onboarding,
// their last report and reports this month, and who cannot be reached.
// Above a commune it lists the communes to pick from.
func (s *Server) membersPage(w http.ResponseWriter, r *http.Request, v *visitor) {
	ctx := r.Context()
	unitID := unitOf(r, v.Person) // the route checked ViewTeam on it
	unit, err := s.d.Store.UnitByID(ctx, unitID)
	if err != nil {
		s.failErr(w, r, v, err)
		return
	}
	var teams []store.Unit
	var pick []store.Unit
	switch unit.Level {
	case store.LevelTeam:
		teams = []store.Unit{unit}
	case store.LevelCommune:
		if teams, err = s.teamsBelow(r, unit.ID); err != nil {
			s.fail(w, r, v, http.StatusInternalServerError, err)
			return
		}
	default:
		if pick, err = s.d.Store.Children(ctx, unit.ID); err != nil {
			s.fail(w, r, v, http.StatusInternalServerError, err)
			return
		}
	}
	rows, err := s.teamRows(r, unit, teams)
	if err != nil {
		s.fail(w, r, v, http.StatusInternalServerError, err)
		return
	}
	roles := invitedRoles
	if v.Person.Role != store.RoleCommunePolice {
		roles = []store.Role{store.RoleMember}
	}
	canInvite := v.Person.Role == store.RoleCommunePolice || v.Person.Role == store.RoleLeader
	s.render(w, r, v, http.StatusOK, "members", map[string]any{
		"Unit": unit, "Teams": rows, "Pick": pick, "Roles": roles, "CanInvite": canInvite && len(teams) > 0, "TeamList": teams,
	})
}

func (s *Server) teamRows(r *http.Request, unit store.Unit, teams []store.Unit) ([]teamRows, error) {
	ctx := r.Context()
	if len(teams) == 0 {
		return nil, nil
	}
	today := campaign.DateOf(s.d.Now(), s.o.Location)
	from := campaign.Date{Year: today.Year, Month: today.Month, Day: 1}.In(s.o.Location)
	month, err := s.d.Store.CountByGroup(ctx, store.CountFilter{UnitID: unit.ID, From: from, To: from.AddDate(0, 1, 0),
		Statuses: []string{store.StatusPending, store.StatusReceived, store.StatusVerified}}, store.GroupReporter)
	if err != nil {
		return nil, err
	}
	out := make([]teamRows, 0, len(teams))
	var ids []int64
	for _, t := range teams {
		people, err := s.d.Store.TeamMembers(ctx, t.ID)
		if err != nil {
			return nil, err
		}
		tr := teamRows{Team: t}
		for _, p := range people {
			tr.Members = append(tr.Members, memberRow{Person: p, ThisMonth: month[p.ID]})
			ids = append(ids, p.ID)
		}
		out = append(out, tr)
	}
	idents, err := s.d.Store.IdentitiesOf(ctx, ids)
	if err != nil {
		return nil, err
	}
	last, err := s.d.Store.LastReports(ctx, ids)
	if err != nil {
		return nil, err
	}
	for ti := range out {
		for mi := range out[ti].Members {
			m := &out[ti].Members[mi]
			m.LastReport = last[m.Person.ID]
			for _, id := range idents {
				if id.PersonID != m.Person.ID {
					continue
				}
				if !slices.Contains(m.Channels, id.Channel) {
					m.Channels = append(m.Channels, id.Channel)
				}
				if id.UnreachableAt != nil {
					m.Unreachable = true
				}
			}
		}
	}
	return out, nil
}

// invite creates an invite code through police.CreateInvite, the chat's /moi.
func (s *Server) invite(w http.ResponseWriter, r *http.Request, v *visitor) {
	ctx := r.Context()
	teamID := formID(r.PostFormValue("team"))
	role := store.Role(r.PostFormValue("role"))
	if teamID == 0 || !slices.Contains(invitedRoles, role) {
		s.fail(w, r, v, http.StatusNotFound)
		return
	}
	team, err := s.d.Store.UnitByID(ctx, teamID)
	if err != nil {
		s.failErr(w, r, v, err)
		return
	}
	text, err := s.d.Police.CreateInvite(ctx, v.Person, v.Lang, team, role)
	if err != nil {
		s.fail(w, r, v, http.StatusInternalServerError, err)
		return
	}
	s.redirectWith(w, r, Prefix+"/members", text)
}
