package police

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/anttbot/anttbot/access"
	"github.com/anttbot/anttbot/bot"
	"github.com/anttbot/anttbot/campaign"
	"github.com/anttbot/anttbot/delivery"
	"github.com/anttbot/anttbot/flows"
	"github.com/anttbot/anttbot/store"
)

// Arguments of /sukien that its buttons send.
const (
	incidentList    = "ds" // /sukien ds: recent incidents
	incidentRoll    = "dd" // /sukien dd <incident> [page]: the presence list
	incidentToggle  = "t"  // /sukien t <incident> <person> [page]: tick or untick
	incidentConfirm = "xn" // /sukien xn <incident> <person>: confirm what a member said
	incidentDecline = "kx" // /sukien kx <incident> <person>: a member was not there
)

// incidentKinds are the kinds an officer logs, in button order.
var incidentKinds = []string{store.IncidentANTT, store.IncidentFire, store.IncidentRescue, store.IncidentTraffic}

// Quick answers of the arrival question (option IDs of the time step).
const (
	arriveNow  = "now"
	arrive15   = "15"
	arrive30   = "30"
	arriveLate = "late"
)

// cmdIncident is /sukien: log an incident, or one of its buttons.
func (t *Tools) cmdIncident(ctx context.Context, c flows.Call) ([]bot.Message, error) {
	args := commandArgs(c.Args)
	if len(args) == 0 {
		return t.startIncident(ctx, c)
	}
	inc, person, page := argID(args, 1), argID(args, 2), 0
	switch args[0] {
	case incidentList:
		return t.recentIncidents(ctx, c)
	case incidentRoll:
		page = int(argID(args, 2))
		// Paging edits the list in place; opening it sends a new one.
		return t.rollCall(ctx, c, inc, page, len(args) > 2)
	case incidentToggle:
		page = int(argID(args, 3))
		return t.tick(ctx, c, inc, person, page, true)
	case incidentConfirm:
		return t.tick(ctx, c, inc, person, 0, false)
	case incidentDecline:
		return t.decline(ctx, c, inc, person)
	}
	return t.startIncident(ctx, c)
}

// policeCommune returns the commune a commune police officer serves, after
// checking they may log incidents there.
func (t *Tools) policeCommune(ctx context.Context, c flows.Call, a access.Action) (store.Unit, []bot.Message, error) {
	if err := t.policy.Check(ctx, c.Person, a, access.Subject{UnitID: c.Person.UnitID}); err != nil {
		msgs, err := t.refusal(c.Lang, err)
		return store.Unit{}, msgs, err
	}
	u, err := t.st.UnitByID(ctx, c.Person.UnitID)
	if err != nil {
		return store.Unit{}, nil, fmt.Errorf("police: unit of person %d: %w", c.Person.ID, err)
	}
	if u.Level != store.LevelCommune {
		return store.Unit{}, t.say(c.Lang, "police.error.no_commune"), nil
	}
	return u, nil, nil
}

// startIncident starts the incident tool.
func (t *Tools) startIncident(ctx context.Context, c flows.Call) ([]bot.Message, error) {
	commune, msgs, err := t.policeCommune(ctx, c, access.LogIncident)
	if msgs != nil || err != nil {
		return msgs, err
	}
	c.StartTool(toolIncident, map[string]string{"commune": strconv.FormatInt(commune.ID, 10)})
	return nil, nil
}

// incidentTool asks what happened, when and where, then logs the incident
// and asks the commune's members whether they were there.
type incidentTool struct{ t *Tools }

func (it incidentTool) Label(lang string) string { return it.t.T(lang, "police.incident.label") }

func (it incidentTool) Steps(d *flows.Draft, lang string) ([]flows.Step, bool) {
	t := it.t
	if d.Data["commune"] == "" {
		return nil, false
	}
	kind := flows.Step{ID: "kind", Type: campaign.QChoice, Prompt: t.T(lang, "police.incident.ask_kind"),
		Help: t.T(lang, "police.incident.list_hint")}
	for _, k := range incidentKinds {
		kind.Options = append(kind.Options, flows.Choice{ID: k, Label: t.T(lang, "police.incident.kind."+k)})
	}
	sts := []flows.Step{kind}
	if d.Answers["kind"].Text == store.IncidentTraffic {
		sts = append(sts, flows.Step{ID: "serious", Type: campaign.QYesNo, Prompt: t.T(lang, "police.incident.ask_serious")})
	}
	sts = append(sts,
		flows.Step{ID: "date", Type: campaign.QDate, Prompt: t.T(lang, "police.incident.ask_date")},
		flows.Step{ID: "time", Type: flows.StepTime, Optional: true, Prompt: t.T(lang, "police.incident.ask_time")},
		flows.Step{ID: "place", Type: campaign.QText, MaxLen: 200, Prompt: t.T(lang, "police.incident.ask_place")},
		flows.Step{ID: "desc", Type: campaign.QText, MaxLen: 500, Optional: true, Prompt: t.T(lang, "police.incident.ask_desc")},
	)
	in := t.incidentOf(d)
	summary := t.T(lang, "police.incident.summary", "Incident", t.describe(in, lang)) + "\n\n"
	if future(in, d) {
		summary += t.T(lang, "police.incident.future") + "\n\n"
	}
	sts = append(sts, flows.Step{ID: "confirm", Type: flows.StepConfirm, Prompt: summary + t.T(lang, "police.incident.confirm")})
	return sts, true
}

// incidentOf builds the incident the draft's answers describe.
func (t *Tools) incidentOf(d *flows.Draft) store.Incident {
	commune, _ := strconv.ParseInt(d.Data["commune"], 10, 64)
	in := store.Incident{CommuneID: commune, Kind: d.Answers["kind"].Text}
	if a := d.Answers["serious"]; a.Yes != nil {
		in.Serious = *a.Yes
	}
	if a := d.Answers["place"]; !a.Skipped {
		in.Place = a.Text
	}
	if a := d.Answers["desc"]; !a.Skipped {
		in.Description = a.Text
	}
	loc := t.opts.Location
	date := d.Answers["date"]
	day, err := campaign.ParseDate(date.Text)
	if err != nil {
		in.OccurredAt = date.At
		return in
	}
	if tm := d.Answers["time"]; !tm.Skipped && tm.Text != "" {
		if h, m, ok := parseClock(tm.Text); ok {
			in.OccurredAt = day.In(loc).Add(time.Duration(h)*time.Hour + time.Duration(m)*time.Minute)
			return in
		}
	}
	if campaign.DateOf(date.At, loc) == day {
		// Today without a time: when the officer said so.
		in.OccurredAt = date.At
		return in
	}
	in.OccurredAt = day.In(loc).Add(12 * time.Hour)
	return in
}

// future reports whether the incident's time is later than when the
// officer gave it (a mistyped hour).
func future(in store.Incident, d *flows.Draft) bool {
	return in.OccurredAt.After(d.Answers["time"].At.Add(time.Minute)) && d.Answers["time"].Text != ""
}

// parseClock reads "HH:MM" as the time step writes it.
func parseClock(s string) (h, m int, ok bool) {
	hs, ms, found := strings.Cut(s, ":")
	if !found {
		return 0, 0, false
	}
	h, err1 := strconv.Atoi(hs)
	m, err2 := strconv.Atoi(ms)
	if err1 != nil || err2 != nil || h < 0 || h > 23 || m < 0 || m > 59 {
		return 0, 0, false
	}
	return h, m, true
}

// describe is an incident in one line: kind, serious, time, place.
func (t *Tools) describe(in store.Incident, lang string) string {
	kind := t.T(lang, "police.incident.kind."+in.Kind)
	if in.Serious {
		kind += " " + t.T(lang, "police.incident.serious_mark")
	}
	s := t.T(lang, "police.incident.line", "Kind", kind, "When", t.formatWhen(in.OccurredAt), "Place", in.Place)
	if in.Description != "" {
		s += "\n" + truncate(in.Description, 300)
	}
	return s
}

func (it incidentTool) Finish(ctx context.Context, c flows.Call, d *flows.Draft) ([]bot.Message, error) {
	t := it.t
	in := t.incidentOf(d)
	if err := t.policy.Check(ctx, c.Person, access.LogIncident, access.Subject{UnitID: in.CommuneID}); err != nil {
		return t.refusal(c.Lang, err)
	}
	if future(in, d) {
		return t.say(c.Lang, "police.incident.not_logged_future"), nil
	}
	in.LoggedByID = &c.Person.ID
	members, err := t.communeMembers(ctx, in.CommuneID)
	if err != nil {
		return nil, err
	}
	// The draft's confirmation may be handled twice (a retried update after
	// a session conflict): the draft's key finds the incident it became.
	key := "police:incident:" + c.Update.Channel + ":" + c.Update.ChatID + ":" + d.ID
	err = t.st.InTx(ctx, func(tx *store.Store) error {
		if v, err := tx.GetKV(ctx, key); err == nil {
			id, _ := strconv.ParseInt(v, 10, 64)
			in, err = tx.IncidentByID(ctx, id)
			return err
		} else if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		if err := tx.CreateIncident(ctx, &in); err != nil {
			return err
		}
		jobs := make([]delivery.Job, 0, len(members))
		for _, m := range members {
			jobs = append(jobs, t.askPresenceJob(ctx, tx, in, m))
		}
		if err := t.enqueue(ctx, tx, jobs...); err != nil {
			return err
		}
		return tx.SetKV(ctx, key, strconv.FormatInt(in.ID, 10))
	})
	if err != nil {
		return nil, fmt.Errorf("police: log incident: %w", err)
	}
	t.log.Info("incident logged", "incident_id", in.ID, "commune_id", in.CommuneID, "kind", in.Kind, "asked", len(members))
	out := t.say(c.Lang, "police.incident.logged", "Ref", in.ID, "Asked", len(members))
	roll, err := t.rollCall(ctx, c, in.ID, 0, false)
	if err != nil {
		return nil, err
	}
	return append(out, roll...), nil
}

// member is a team member of a commune with the name of their team.
type member struct {
	store.Person
	Team string
}

// communeMembers lists the active team members of a commune, team by team,
// leaders first.
func (t *Tools) communeMembers(ctx context.Context, communeID int64) ([]member, error) {
	people, err := t.st.PeopleInUnit(ctx, communeID)
	if err != nil {
		return nil, fmt.Errorf("police: members of commune %d: %w", communeID, err)
	}
	units, err := t.st.ReportUnits(ctx, communeID)
	if err != nil {
		return nil, fmt.Errorf("police: teams of commune %d: %w", communeID, err)
	}
	names := map[int64]string{}
	for _, u := range units {
		names[u.ID] = u.Name
	}
	var out []member
	for _, p := range people {
		if p.Role.IsTeamMember() {
			out = append(out, member{Person: p, Team: names[p.UnitID]})
		}
	}
	return out, nil
}

// askPresenceJob is the question "were you at the scene?" to one member.
func (t *Tools) askPresenceJob(ctx context.Context, tx *store.Store, in store.Incident, m member) delivery.Job {
	lang := t.langOf(ctx, tx, m.Person)
	return delivery.Job{
		To:   delivery.ToPerson(m.ID),
		Kind: KindPresenceAsk,
		Message: bot.Message{
			Text: t.T(lang, "police.presence.ask", "Ref", in.ID, "Incident", t.describe(in, lang)),
			Buttons: [][]bot.Button{{
				btn(t.T(lang, "common.yes"), cmdData(CmdPresence, in.ID, "y")),
				btn(t.T(lang, "common.no"), cmdData(CmdPresence, in.ID, "n")),
			}},
		},
		DedupeKey: fmt.Sprintf("police:presence:ask:%d:%d", in.ID, m.ID),
		Scheduled: true,
		Ref:       "incident:" + strconv.FormatInt(in.ID, 10),
	}
}

// recentIncidents lists the commune's latest incidents with a button to
// each one's presence list.
func (t *Tools) recentIncidents(ctx context.Context, c flows.Call) ([]bot.Message, error) {
	commune, msgs, err := t.policeCommune(ctx, c, access.LogIncident)
	if msgs != nil || err != nil {
		return msgs, err
	}
	ins, err := t.st.IncidentsOf(ctx, commune.ID, t.opts.RecentIncidents)
	if err != nil {
		return nil, fmt.Errorf("police: recent incidents: %w", err)
	}
	if len(ins) == 0 {
		return t.say(c.Lang, "police.incident.none"), nil
	}
	m := bot.Message{Text: t.T(c.Lang, "police.incident.recent")}
	for _, in := range ins {
		label := t.T(c.Lang, "police.incident.button", "Ref", in.ID, "Kind", t.T(c.Lang, "police.incident.kind."+in.Kind),
			"Date", in.OccurredAt.In(t.opts.Location).Format("02/01"))
		m.Buttons = append(m.Buttons, []bot.Button{btn(label, cmdData(CmdIncident, incidentRoll, in.ID))})
	}
	return []bot.Message{m}, nil
}

// incidentFor loads an incident and checks the officer may record presence
// at it.
func (t *Tools) incidentFor(ctx context.Context, c flows.Call, id int64) (store.Incident, []bot.Message, error) {
	in, err := t.st.IncidentByID(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return store.Incident{}, t.say(c.Lang, "police.incident.not_found", "Ref", id), nil
	}
	if err != nil {
		return store.Incident{}, nil, fmt.Errorf("police: %w", err)
	}
	if err := t.policy.Check(ctx, c.Person, access.LogIncident, access.Subject{UnitID: in.CommuneID}); err != nil {
		msgs, err := t.refusal(c.Lang, err)
		return store.Incident{}, msgs, err
	}
	return in, nil, nil
}

// rollCall is the presence list of an incident: every team member of the
// commune as a button that ticks or unticks them. replace edits the message
// whose button was tapped instead of sending a new one.
func (t *Tools) rollCall(ctx context.Context, c flows.Call, id int64, page int, replace bool) ([]bot.Message, error) {
	in, msgs, err := t.incidentFor(ctx, c, id)
	if msgs != nil || err != nil {
		return msgs, err
	}
	members, err := t.communeMembers(ctx, in.CommuneID)
	if err != nil {
		return nil, err
	}
	ps, err := t.st.PresenceAt(ctx, in.ID)
	if err != nil {
		return nil, fmt.Errorf("police: presence at %d: %w", in.ID, err)
	}
	byPerson := map[int64]store.IncidentPresence{}
	confirmed := 0
	for _, p := range ps {
		byPerson[p.PersonID] = p
		if p.ConfirmedByID != nil {
			confirmed++
		}
	}
	lang := c.Lang
	size := t.opts.TickPage
	pages := max(1, (len(members)+size-1)/size)
	page = min(max(page, 0), pages-1)
	m := bot.Message{Text: t.T(lang, "police.roll.title", "Ref", in.ID, "Incident", t.describe(in, lang),
		"Confirmed", confirmed, "Members", len(members), "Page", page+1, "Pages", pages)}
	if len(members) == 0 {
		m.Text += "\n\n" + t.T(lang, "police.roll.no_members")
	}
	for _, mb := range members[min(page*size, len(members)):min((page+1)*size, len(members))] {
		mark, note := "⬜", ""
		if p, ok := byPerson[mb.ID]; ok {
			mark = "🙋"
			if p.ConfirmedByID != nil {
				mark = "✅"
			}
			if p.ArrivedAt != nil {
				note = " " + p.ArrivedAt.In(t.opts.Location).Format("15:04")
			}
		}
		label := mark + " " + mb.Name + " · " + mb.Team + note
		m.Buttons = append(m.Buttons, []bot.Button{btn(label, cmdData(CmdIncident, incidentToggle, in.ID, mb.ID, page))})
	}
	if pages > 1 {
		var nav []bot.Button
		if page > 0 {
			nav = append(nav, btn(t.T(lang, "police.roll.prev"), cmdData(CmdIncident, incidentRoll, in.ID, page-1)))
		}
		if page < pages-1 {
			nav = append(nav, btn(t.T(lang, "police.roll.next"), cmdData(CmdIncident, incidentRoll, in.ID, page+1)))
		}
		m.Buttons = append(m.Buttons, nav)
	}
	if replace {
		m = edit(c, m)
	}
	return []bot.Message{m}, nil
}

// tick records (or with toggle, takes back) an officer's confirmation that
// a member was at the incident, then shows the list again.
func (t *Tools) tick(ctx context.Context, c flows.Call, id, personID int64, page int, toggle bool) ([]bot.Message, error) {
	in, msgs, err := t.incidentFor(ctx, c, id)
	if msgs != nil || err != nil {
		return msgs, err
	}
	who, ok, err := t.memberOf(ctx, in.CommuneID, personID)
	if err != nil {
		return nil, err
	}
	if !ok {
		return t.say(c.Lang, "police.roll.not_member"), nil
	}
	confirmedNow := false
	err = t.st.InTx(ctx, func(tx *store.Store) error {
		ps, err := tx.PresenceAt(ctx, in.ID)
		if err != nil {
			return err
		}
		for _, p := range ps {
			if p.PersonID == personID && p.ConfirmedByID != nil {
				if !toggle {
					return nil
				}
				_, err := tx.UnconfirmPresence(ctx, in.ID, personID, c.Person.ID)
				return err
			}
		}
		if _, err := tx.RecordPresence(ctx, in.ID, personID, nil, store.PresencePolice, &c.Person.ID); err != nil {
			return err
		}
		confirmedNow = true
		return tx.Audit(ctx, store.AuditLog{ActorID: &c.Person.ID, Action: "presence.confirm", SubjectType: "incident",
			SubjectID: strconv.FormatInt(in.ID, 10), Detail: "person " + strconv.FormatInt(personID, 10)})
	})
	if err != nil {
		return nil, fmt.Errorf("police: presence of person %d at incident %d: %w", personID, in.ID, err)
	}
	if toggle {
		return t.rollCall(ctx, c, in.ID, page, true)
	}
	key := "police.presence.confirmed"
	if !confirmedNow {
		key = "police.presence.was_confirmed"
	}
	return []bot.Message{edit(c, bot.Message{Text: t.T(c.Lang, key, "Name", who.Name, "Ref", in.ID),
		Buttons: [][]bot.Button{{btn(t.T(c.Lang, "police.roll.open"), cmdData(CmdIncident, incidentRoll, in.ID))}}})}, nil
}

// decline records that a member who said they were there was not: their
// unconfirmed word is removed.
func (t *Tools) decline(ctx context.Context, c flows.Call, id, personID int64) ([]bot.Message, error) {
	in, msgs, err := t.incidentFor(ctx, c, id)
	if msgs != nil || err != nil {
		return msgs, err
	}
	who, ok, err := t.memberOf(ctx, in.CommuneID, personID)
	if err != nil {
		return nil, err
	}
	if !ok {
		return t.say(c.Lang, "police.roll.not_member"), nil
	}
	removed, err := t.st.WithdrawPresence(ctx, in.ID, personID)
	if err != nil {
		return nil, fmt.Errorf("police: decline presence: %w", err)
	}
	if removed {
		if err := t.st.Audit(ctx, store.AuditLog{ActorID: &c.Person.ID, Action: "presence.decline", SubjectType: "incident",
			SubjectID: strconv.FormatInt(in.ID, 10), Detail: "person " + strconv.FormatInt(personID, 10)}); err != nil {
			return nil, fmt.Errorf("police: decline presence: %w", err)
		}
	}
	key := "police.presence.declined"
	if !removed {
		key = "police.presence.decline_nothing"
	}
	return []bot.Message{edit(c, bot.Message{Text: t.T(c.Lang, key, "Name", who.Name, "Ref", in.ID),
		Buttons: [][]bot.Button{{btn(t.T(c.Lang, "police.roll.open"), cmdData(CmdIncident, incidentRoll, in.ID))}}})}, nil
}

// memberOf returns the person when they are an active team member of the
// commune.
func (t *Tools) memberOf(ctx context.Context, communeID, personID int64) (store.Person, bool, error) {
	p, err := t.st.PersonByID(ctx, personID)
	if errors.Is(err, store.ErrNotFound) {
		return store.Person{}, false, nil
	}
	if err != nil {
		return store.Person{}, false, fmt.Errorf("police: %w", err)
	}
	if !p.Active || !p.Role.IsTeamMember() {
		return p, false, nil
	}
	cu, err := t.st.CommuneOf(ctx, p.UnitID)
	if errors.Is(err, store.ErrNotFound) {
		return p, false, nil
	}
	if err != nil {
		return store.Person{}, false, fmt.Errorf("police: %w", err)
	}
	return p, cu.ID == communeID, nil
}

// cmdPresence is a member's answer to "were you at the scene?": /comat
// <incident> y|n; alone it lists the commune's recent incidents.
func (t *Tools) cmdPresence(ctx context.Context, c flows.Call) ([]bot.Message, error) {
	args := commandArgs(c.Args)
	id := argID(args, 0)
	if id == 0 {
		return t.recentForMember(ctx, c)
	}
	in, err := t.st.IncidentByID(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return t.say(c.Lang, "police.incident.not_found", "Ref", id), nil
	}
	if err != nil {
		return nil, fmt.Errorf("police: presence: %w", err)
	}
	if msgs, err := t.checkOwnCommune(ctx, c, in); msgs != nil || err != nil {
		return msgs, err
	}
	if len(args) > 1 && args[1] == "n" {
		removed, err := t.st.WithdrawPresence(ctx, in.ID, c.Person.ID)
		if err != nil {
			return nil, fmt.Errorf("police: presence: %w", err)
		}
		if removed {
			t.log.Info("presence withdrawn by member", "incident_id", in.ID, "person_id", c.Person.ID)
		}
		return []bot.Message{edit(c, bot.Message{Text: t.T(c.Lang, "police.presence.no_thanks", "Ref", in.ID)})}, nil
	}
	if t.now().Sub(in.OccurredAt) > t.opts.PresenceWindow {
		return t.say(c.Lang, "police.presence.too_old", "Ref", in.ID), nil
	}
	c.StartTool(toolArrival, map[string]string{"incident": strconv.FormatInt(in.ID, 10)})
	return nil, nil
}

// checkOwnCommune refuses a member answering about an incident of another
// commune. access has no action for it, so the refusal is audited here, the
// way access records its own.
func (t *Tools) checkOwnCommune(ctx context.Context, c flows.Call, in store.Incident) ([]bot.Message, error) {
	cu, err := t.st.CommuneOf(ctx, c.Person.UnitID)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("police: presence: %w", err)
	}
	if err == nil && cu.ID == in.CommuneID {
		return nil, nil
	}
	if err := t.st.Audit(ctx, store.AuditLog{ActorID: &c.Person.ID, Action: "access.denied", SubjectType: "incident",
		SubjectID: strconv.FormatInt(in.ID, 10), Detail: "action=presence.report reason=" + access.ReasonScope}); err != nil {
		return nil, fmt.Errorf("police: presence: %w", err)
	}
	return t.say(c.Lang, access.MessageKey(access.ReasonScope)), nil
}

// recentForMember lists the incidents of the member's commune they may
// still say they were at.
func (t *Tools) recentForMember(ctx context.Context, c flows.Call) ([]bot.Message, error) {
	cu, err := t.communeOf(ctx, c.Person)
	if err != nil {
		return nil, err
	}
	ins, err := t.st.IncidentsOf(ctx, cu.ID, t.opts.RecentIncidents)
	if err != nil {
		return nil, fmt.Errorf("police: recent incidents: %w", err)
	}
	m := bot.Message{Text: t.T(c.Lang, "police.presence.choose")}
	for _, in := range ins {
		if t.now().Sub(in.OccurredAt) > t.opts.PresenceWindow {
			continue
		}
		label := t.T(c.Lang, "police.incident.button", "Ref", in.ID, "Kind", t.T(c.Lang, "police.incident.kind."+in.Kind),
			"Date", in.OccurredAt.In(t.opts.Location).Format("02/01"))
		m.Buttons = append(m.Buttons, []bot.Button{btn(label, cmdData(CmdPresence, in.ID, "y"))})
	}
	if len(m.Buttons) == 0 {
		return t.say(c.Lang, "police.presence.none_recent"), nil
	}
	return []bot.Message{m}, nil
}

// arrivalTool asks a member who was at an incident when they got there,
// then records it and asks the commune police to confirm.
type arrivalTool struct{ t *Tools }

func (a arrivalTool) Label(lang string) string { return a.t.T(lang, "police.arrival.label") }

func (a arrivalTool) Steps(d *flows.Draft, lang string) ([]flows.Step, bool) {
	t := a.t
	if d.Data["incident"] == "" {
		return nil, false
	}
	st := flows.Step{ID: "arrival", Type: flows.StepTime, Prompt: t.T(lang, "police.arrival.ask", "Ref", d.Data["incident"])}
	for _, o := range []string{arriveNow, arrive15, arrive30, arriveLate} {
		st.Options = append(st.Options, flows.Choice{ID: o, Label: t.T(lang, "police.arrival."+o)})
	}
	return []flows.Step{st}, true
}

// arrivedAt turns the answer into an arrival time; nil for "later" (the
// member did not come in time and did not say when).
func (t *Tools) arrivedAt(ans flows.Answer, occurred time.Time) *time.Time {
	var at time.Time
	switch ans.Text {
	case arriveNow:
		at = ans.At
	case arrive15:
		at = occurred.Add(15 * time.Minute)
	case arrive30:
		at = occurred.Add(30 * time.Minute)
	case arriveLate:
		return nil
	default:
		h, m, ok := parseClock(ans.Text)
		if !ok {
			return nil
		}
		local := occurred.In(t.opts.Location)
		at = time.Date(local.Year(), local.Month(), local.Day(), h, m, 0, 0, t.opts.Location)
		if at.Before(occurred.Add(-time.Hour)) {
			// Typed 00:20 for an incident at 23:50: the next day.
			at = at.AddDate(0, 0, 1)
		}
	}
	return &at
}

func (a arrivalTool) Finish(ctx context.Context, c flows.Call, d *flows.Draft) ([]bot.Message, error) {
	t := a.t
	id, _ := strconv.ParseInt(d.Data["incident"], 10, 64)
	in, err := t.st.IncidentByID(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return t.say(c.Lang, "police.incident.not_found", "Ref", id), nil
	}
	if err != nil {
		return nil, fmt.Errorf("police: arrival: %w", err)
	}
	if msgs, err := t.checkOwnCommune(ctx, c, in); msgs != nil || err != nil {
		return msgs, err
	}
	arrived := t.arrivedAt(d.Answers["arrival"], in.OccurredAt)
	officers, err := t.st.PoliceOf(ctx, in.CommuneID, store.RoleCommunePolice)
	if err != nil {
		return nil, fmt.Errorf("police: arrival: %w", err)
	}
	team := ""
	if u, err := t.st.UnitByID(ctx, c.Person.UnitID); err == nil {
		team = u.Name
	}
	var rec store.IncidentPresence
	err = t.st.InTx(ctx, func(tx *store.Store) error {
		var err error
		if rec, err = tx.RecordPresence(ctx, in.ID, c.Person.ID, arrived, store.PresenceMember, nil); err != nil {
			return err
		}
		if rec.ConfirmedByID != nil {
			return nil
		}
		jobs := make([]delivery.Job, 0, len(officers))
		for _, o := range officers {
			lang := t.langOf(ctx, tx, o)
			jobs = append(jobs, delivery.Job{
				To:   delivery.ToPerson(o.ID),
				Kind: KindPresenceSaid,
				Message: bot.Message{
					Text: t.T(lang, "police.presence.claim", "Name", c.Person.Name, "Team", team, "Ref", in.ID,
						"Incident", t.describe(in, lang), "Arrival", t.arrivalText(arrived, lang)),
					Buttons: [][]bot.Button{
						{btn(t.T(lang, "police.presence.confirm"), cmdData(CmdIncident, incidentConfirm, in.ID, c.Person.ID)),
							btn(t.T(lang, "police.presence.decline"), cmdData(CmdIncident, incidentDecline, in.ID, c.Person.ID))},
						{btn(t.T(lang, "police.roll.open"), cmdData(CmdIncident, incidentRoll, in.ID))},
					},
				},
				DedupeKey: fmt.Sprintf("police:presence:said:%d:%d:%d", in.ID, c.Person.ID, o.ID),
				Scheduled: true,
				Ref:       "incident:" + strconv.FormatInt(in.ID, 10),
			})
		}
		return t.enqueue(ctx, tx, jobs...)
	})
	if err != nil {
		return nil, fmt.Errorf("police: record presence of person %d at incident %d: %w", c.Person.ID, in.ID, err)
	}
	key := "police.arrival.saved"
	if rec.ConfirmedByID != nil {
		key = "police.arrival.saved_confirmed"
	}
	return t.say(c.Lang, key, "Ref", in.ID, "Arrival", t.arrivalText(rec.ArrivedAt, c.Lang)), nil
}

// arrivalText shows an arrival time, or that it was later than half an hour.
func (t *Tools) arrivalText(at *time.Time, lang string) string {
	if at == nil {
		return t.T(lang, "police.arrival.late_text")
	}
	return t.formatWhen(*at)
}
