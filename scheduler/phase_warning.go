package scheduler

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/anttbot/anttbot/bot"
	"github.com/anttbot/anttbot/campaign"
	"github.com/anttbot/anttbot/delivery"
	"github.com/anttbot/anttbot/store"
)

// phaseWarning tells, one week before a phase ends (the spec fires daily;
// the job acts on the phase's last day minus warnLead), each commune's
// police what is still missing, and each district's and province's police
// the same for their whole area. Phases come from the campaign data.
//
// Relevance: until the phase ends.
type phaseWarning struct{ *env }

// Name implements Job.
func (j *phaseWarning) Name() string { return JobPhaseWarning }

// warnLead is how long before a phase's last day the warning goes out:
// Đợt 2 ends on 19/8/2025, so its warning is due on 12/8/2025.
const warnLead = 7

func (j *phaseWarning) plan(fire time.Time) (Period, bool) {
	d := campaign.DateOf(fire, j.loc)
	for _, ph := range j.camp.Phases {
		if day := ph.End.AddDays(-warnLead); day == d && !day.Before(ph.Start) {
			return j.phasePeriod(ph, fire, ph.End.AddDays(1).In(j.loc)), true
		}
	}
	return Period{}, false
}

// phasePeriod is a period over a whole phase.
func (e *env) phasePeriod(ph campaign.Phase, due, deadline time.Time) Period {
	from, to := ph.Bounds(e.loc)
	return Period{Key: ph.ID, From: from, To: to, Due: due, Deadline: deadline, PhaseID: ph.ID}
}

// parse reads a phase id; "" is the phase running now.
func (j *phaseWarning) parse(s string, now time.Time) (Period, error) {
	if s == "" {
		ph, ok := j.camp.PhaseAt(now, j.loc)
		if !ok {
			return Period{}, fmt.Errorf("%w: no phase is running; name one (%s)", ErrBadPeriod, j.phaseIDs())
		}
		return j.phasePeriod(ph, now, time.Time{}), nil
	}
	ph, ok := j.camp.Phase(s)
	if !ok {
		return Period{}, fmt.Errorf("%w: no phase %q (want one of %s)", ErrBadPeriod, s, j.phaseIDs())
	}
	return j.phasePeriod(ph, now, time.Time{}), nil
}

func (e *env) phaseIDs() string {
	ids := make([]string, len(e.camp.Phases))
	for i, p := range e.camp.Phases {
		ids[i] = p.ID
	}
	return strings.Join(ids, ", ")
}

// recipientUnit is a unit and the police who get its summary.
type recipientUnit struct {
	unit   store.Unit
	police []store.Person
}

// phaseRecipients lists every commune with its commune police, then every
// district and province with the police attached to it (the rollups).
func phaseRecipients(o *org) []recipientUnit {
	var out []recipientUnit
	for _, c := range o.byLvl[store.LevelCommune] {
		if ps := o.communePolice(c.ID); len(ps) > 0 {
			out = append(out, recipientUnit{unit: c, police: ps})
		}
	}
	for _, l := range []store.Level{store.LevelDistrict, store.LevelProvince} {
		for _, u := range o.byLvl[l] {
			if ps := o.police[u.ID]; len(ps) > 0 {
				out = append(out, recipientUnit{unit: u, police: ps})
			}
		}
	}
	return out
}

// Run implements Job.
func (j *phaseWarning) Run(ctx context.Context, p Period) (Result, error) {
	return j.eachPhaseOfficer(ctx, p, SummaryPhaseWarning, func(ph campaign.Phase, ru recipientUnit, officer store.Person, who, lang string, sum Summary, now time.Time) []Send {
		lines := []string{j.tr.T(lang, "scheduler.warning.title", "Phase", ph.Name.In(lang), "Days", ph.DaysLeft(now, j.loc),
			"End", j.civilText(lang, ph.End), "Unit", ru.unit.Name)}
		if len(sum.Missing) == 0 {
			lines = append(lines, j.tr.T(lang, "scheduler.warning.all_met"))
		} else {
			lines = append(lines, j.tr.T(lang, "scheduler.warning.missing")+"\n"+strings.Join(sum.Missing, "\n"))
			lines = append(lines, j.tr.T(lang, "scheduler.warning.call"))
		}
		m := bot.Message{Text: strings.Join(lines, "\n\n")}
		return []Send{j.send(JobPhaseWarning, p, officer, who, delivery.KindSummary, "", m)}
	})
}

// eachPhaseOfficer builds a phase job's messages: for every officer of every
// unit that gets them, fn makes the sends from the unit's summary of kind in
// the officer's language (computed once per unit and language).
func (e *env) eachPhaseOfficer(ctx context.Context, p Period, kind SummaryKind,
	fn func(ph campaign.Phase, ru recipientUnit, officer store.Person, who, lang string, sum Summary, now time.Time) []Send) (Result, error) {
	ph, ok := e.camp.Phase(p.PhaseID)
	if !ok {
		return Result{}, fmt.Errorf("no phase %q in campaign %s", p.PhaseID, e.camp.ID)
	}
	o, err := e.loadOrg(ctx, store.RoleCommunePolice, store.RoleDistrictPolice, store.RoleProvincePolice)
	if err != nil {
		return Result{}, err
	}
	now := e.now()
	var res Result
	cache := summaryCache{}
	recips := phaseRecipients(o)
	for _, ru := range recips {
		for _, officer := range ru.police {
			lang := e.langOf(officer)
			sum, err := cache.get(ctx, e.sum, SummaryRequest{Kind: kind, UnitID: ru.unit.ID, PhaseID: ph.ID, Lang: lang, Now: now})
			if err != nil {
				return Result{}, err
			}
			res.Sends = append(res.Sends, fn(ph, ru, officer, o.who(officer), lang, sum, now)...)
		}
	}
	res.Note = fmt.Sprintf("%s: %d units", ph.ID, len(recips))
	return res, nil
}
