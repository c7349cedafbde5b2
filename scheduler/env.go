package scheduler

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/anttbot/anttbot/bot"
	"github.com/anttbot/anttbot/campaign"
	"github.com/anttbot/anttbot/delivery"
	"github.com/anttbot/anttbot/store"
)

// env is what every job shares.
type env struct {
	st       *store.Store
	camp     *campaign.Campaign
	tr       Translator
	sum      Summarizer
	loc      *time.Location
	lang     string // default language
	now      func() time.Time
	staleTip time.Duration
}

// langOf returns the language to write to p in.
func (e *env) langOf(p store.Person) string {
	if p.Locale != "" {
		return p.Locale
	}
	return e.lang
}

// layout formats t in the local zone with the language's layout of kind
// ("date", "month", "time").
func (e *env) layout(lang, kind string, t time.Time) string {
	return t.In(e.loc).Format(e.tr.T(lang, "scheduler.layout."+kind))
}

// dateText formats a local date (dd/mm/yyyy in Vietnamese).
func (e *env) dateText(lang string, t time.Time) string { return e.layout(lang, "date", t) }

// civilText formats a campaign date.
func (e *env) civilText(lang string, d campaign.Date) string {
	return e.layout(lang, "date", d.In(e.loc))
}

// monthText formats the month starting at from (mm/yyyy in Vietnamese).
func (e *env) monthText(lang string, from time.Time) string { return e.layout(lang, "month", from) }

// maxNames bounds the names listed in one line of a message.
const maxNames = 10

// nameList joins names, listing at most maxNames and counting the rest.
func (e *env) nameList(lang string, names []string) string {
	if len(names) <= maxNames {
		return strings.Join(names, ", ")
	}
	return strings.Join(names[:maxNames], ", ") + " " + e.tr.T(lang, "scheduler.common.and_more", "Count", len(names)-maxNames)
}

// phaseLine says how long the phase running at now has left, or that none is.
func (e *env) phaseLine(lang string, now time.Time) string {
	ph, ok := e.camp.PhaseAt(now, e.loc)
	if !ok {
		return e.tr.T(lang, "scheduler.common.no_phase")
	}
	return e.tr.T(lang, "scheduler.common.phase_left", "Phase", ph.Name.In(lang),
		"Days", ph.DaysLeft(now, e.loc), "End", e.civilText(lang, ph.End))
}

// kindLabel returns a report kind's emoji and name.
func (e *env) kindLabel(lang, id string) string {
	k, ok := e.camp.Kind(id)
	if !ok {
		return id
	}
	if k.Emoji != "" {
		return k.Emoji + " " + k.Name.In(lang)
	}
	return k.Name.In(lang)
}

// send builds a scheduled delivery to a person. part tells apart the
// messages one recipient gets from one run ("", "chart", "xlsx").
func (e *env) send(job string, p Period, to store.Person, who string, kind, part string, m bot.Message) Send {
	key := job + ":" + p.Key + ":p" + strconv.FormatInt(to.ID, 10)
	if part != "" {
		key += ":" + part
	}
	return Send{
		Job: delivery.Job{To: delivery.ToPerson(to.ID), Message: m, Kind: kind, DedupeKey: key, Scheduled: true,
			TemplateData: templateData(to, p, m)},
		Who: who,
	}
}

// maxTemplateParam bounds a ZNS template parameter (Zalo caps them; 100
// characters fits the text parameters of the common templates).
const maxTemplateParam = 100

// templateData fills the Zalo ZNS template a scheduled message falls back
// to outside Zalo's 7-day window: the approved template must use the
// parameters name (the recipient), title (the message's first line) and
// period (the period key, e.g. 2025-03).
func templateData(to store.Person, p Period, m bot.Message) map[string]string {
	title := m.Text
	if title == "" && m.Attachment != nil {
		title = m.Attachment.Caption
	}
	title, _, _ = strings.Cut(title, "\n")
	if r := []rune(title); len(r) > maxTemplateParam {
		title = string(r[:maxTemplateParam-1]) + "…"
	}
	return map[string]string{"name": to.Name, "title": title, "period": p.Key}
}

// org is a snapshot of the live organisation, loaded once per run.
type org struct {
	units map[int64]store.Unit // live units, every level
	byLvl map[store.Level][]store.Unit
	// members lists each team's active leader, deputies and members.
	members map[int64][]store.Person
	// police lists the active police attached to each unit.
	police map[int64][]store.Person
}

// loadOrg reads the live units and the people with the given roles.
func (e *env) loadOrg(ctx context.Context, roles ...store.Role) (*org, error) {
	o := &org{units: map[int64]store.Unit{}, byLvl: map[store.Level][]store.Unit{},
		members: map[int64][]store.Person{}, police: map[int64][]store.Person{}}
	for _, l := range []store.Level{store.LevelProvince, store.LevelDistrict, store.LevelCommune, store.LevelTeam} {
		us, err := e.st.LiveUnitsAtLevel(ctx, l)
		if err != nil {
			return nil, err
		}
		o.byLvl[l] = us
		for _, u := range us {
			o.units[u.ID] = u
		}
	}
	people, err := e.st.ActivePeopleByRoles(ctx, roles)
	if err != nil {
		return nil, err
	}
	for _, p := range people {
		if p.Role.IsPolice() {
			o.police[p.UnitID] = append(o.police[p.UnitID], p)
		} else {
			o.members[p.UnitID] = append(o.members[p.UnitID], p)
		}
	}
	return o, nil
}

// communeOf returns the live commune of a team (or the commune itself).
func (o *org) communeOf(unitID int64) (store.Unit, bool) {
	for i := 0; i < 8; i++ {
		u, ok := o.units[unitID]
		if !ok {
			return store.Unit{}, false
		}
		if u.Level == store.LevelCommune {
			return u, true
		}
		if u.ParentID == nil {
			return store.Unit{}, false
		}
		unitID = *u.ParentID
	}
	return store.Unit{}, false
}

// communePolice returns the commune police officers of a commune.
func (o *org) communePolice(communeID int64) []store.Person {
	var out []store.Person
	for _, p := range o.police[communeID] {
		if p.Role == store.RoleCommunePolice {
			out = append(out, p)
		}
	}
	return out
}

// leadersOf returns a team's leaders, or its deputies when it has no leader.
func (o *org) leadersOf(teamID int64) []store.Person {
	var leaders, deputies []store.Person
	for _, p := range o.members[teamID] {
		switch p.Role {
		case store.RoleLeader:
			leaders = append(leaders, p)
		case store.RoleDeputy:
			deputies = append(deputies, p)
		}
	}
	if len(leaders) > 0 {
		return leaders
	}
	return deputies
}

// who describes a recipient for dry runs.
func (o *org) who(p store.Person) string {
	return p.Name + ", " + string(p.Role) + ", " + o.units[p.UnitID].Name
}
