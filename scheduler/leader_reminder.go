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

// leaderReminder tells every team leader, once a month (default the 25th at
// 08:00), how the team stands: verified good deeds against the monthly
// target, patrols, who has reported nothing, how many days are left in the
// month and the phase, with buttons that start /baocao.
//
// Relevance: a missed reminder is caught up until the month's last day
// begins (that day belongs to the nudge); the 25th's reminder is sent on the
// 27th, never in the next month.
type leaderReminder struct{ *env }

// Name implements Job.
func (j *leaderReminder) Name() string { return JobLeaderReminder }

func (j *leaderReminder) plan(fire time.Time) (Period, bool) {
	from, to := monthOf(fire, j.loc)
	deadline := to.AddDate(0, 0, -1)
	if !deadline.After(fire) {
		deadline = to
	}
	return Period{Key: monthKey(from), From: from, To: to, Due: fire, Deadline: deadline, PhaseID: j.phaseID(fire)}, true
}

// parse reads a month ("2025-03"); "" is the current month.
func (j *leaderReminder) parse(s string, now time.Time) (Period, error) {
	return j.parseMonthPeriod(s, now, now)
}

// parseMonthPeriod reads a month ("" = the month of def) as a manual period due at now.
func (e *env) parseMonthPeriod(s string, now, def time.Time) (Period, error) {
	from, to := monthOf(def, e.loc)
	if s != "" {
		var err error
		if from, to, err = parseMonth(s, e.loc); err != nil {
			return Period{}, err
		}
	}
	return Period{Key: monthKey(from), From: from, To: to, Due: now, PhaseID: e.phaseID(from)}, nil
}

// phaseID returns the id of the phase t falls in, "" outside any.
func (e *env) phaseID(t time.Time) string {
	if ph, ok := e.camp.PhaseAt(t, e.loc); ok {
		return ph.ID
	}
	return ""
}

// Run implements Job.
func (j *leaderReminder) Run(ctx context.Context, p Period) (Result, error) {
	o, err := j.loadOrg(ctx, store.RoleLeader, store.RoleDeputy, store.RoleMember)
	if err != nil {
		return Result{}, err
	}
	tm, err := j.loadTeamMonth(ctx, o, p.From, p.To)
	if err != nil {
		return Result{}, err
	}
	now := j.now()
	var (
		res              Result
		behind, noLeader int
		teams            = o.byLvl[store.LevelTeam]
		buttonsFor       = reportButtons(j.env)
		daysLeftInMonth  = daysLeft(now, p.To, j.loc)
		phaseLineForLang = map[string]string{}
	)
	for _, team := range teams {
		leaders := o.leadersOf(team.ID)
		if len(leaders) == 0 {
			noLeader++
			continue
		}
		if tm.target != nil && !tm.met(team.ID) {
			behind++
		}
		members := o.members[team.ID]
		for _, l := range leaders {
			lang := j.langOf(l)
			if _, ok := phaseLineForLang[lang]; !ok {
				phaseLineForLang[lang] = j.phaseLine(lang, now)
			}
			var b strings.Builder
			line := func(s string) {
				if b.Len() > 0 {
					b.WriteString("\n")
				}
				b.WriteString(s)
			}
			line(j.tr.T(lang, "scheduler.reminder.title", "Month", j.monthText(lang, p.From), "Team", team.Name))
			line("")
			if tm.target != nil {
				key := "scheduler.reminder.good_deeds_not_met"
				if tm.met(team.ID) {
					key = "scheduler.reminder.good_deeds_met"
				}
				line(j.tr.T(lang, key, "Count", tm.goodDeeds[team.ID], "Target", tm.threshold()))
				if c := tm.commendations[team.ID]; c > 0 {
					line(j.tr.T(lang, "scheduler.reminder.commendations", "Count", formatNum(c)))
				}
				if n := tm.pending[team.ID]; n > 0 {
					line(j.tr.T(lang, "scheduler.reminder.pending", "Count", n))
				}
			}
			if tm.hasPatrol {
				line(j.tr.T(lang, "scheduler.reminder.patrols", "Count", tm.patrols[team.ID],
					"Done", tm.patrolled(members), "Members", len(members)))
			}
			if silent := tm.silent(members); len(silent) > 0 {
				line(j.tr.T(lang, "scheduler.reminder.silent", "Count", len(silent), "Names", j.nameList(lang, silent)))
			} else {
				line(j.tr.T(lang, "scheduler.reminder.all_reported"))
			}
			line("")
			if daysLeftInMonth > 0 {
				line(j.tr.T(lang, "scheduler.common.month_left", "Days", daysLeftInMonth))
			}
			line(phaseLineForLang[lang])
			line(j.tr.T(lang, "scheduler.reminder.call"))
			m := bot.Message{Text: b.String(), Buttons: buttonsFor(lang)}
			res.Sends = append(res.Sends, j.send(JobLeaderReminder, p, l, o.who(l), delivery.KindReminder, "", m))
		}
	}
	res.Note = fmt.Sprintf("%d teams, %d below the good-deed target, %d without a leader", len(teams), behind, noLeader)
	return res, nil
}

// daysLeft counts the days from now's day to the day before end, both
// included: 7 on the 25th of a 31-day month, 1 on its last day.
func daysLeft(now, end time.Time, loc *time.Location) int {
	start := dayStart(now, loc)
	if !start.Before(end) {
		return 0
	}
	return campaign.DateOf(end, loc).DaysSince(campaign.DateOf(start, loc))
}

// reportButtons returns, per language, the buttons that start /baocao: a
// good deed straight away when the campaign has that kind, and any report.
func reportButtons(e *env) func(lang string) [][]bot.Button {
	_, hasGoodDeed := e.camp.Kind(campaign.KindGoodDeed)
	return func(lang string) [][]bot.Button {
		var rows [][]bot.Button
		if hasGoodDeed {
			rows = append(rows, []bot.Button{{Label: e.tr.T(lang, "scheduler.button.report_good_deed"), Data: "/baocao " + campaign.KindGoodDeed}})
		}
		return append(rows, []bot.Button{{Label: e.tr.T(lang, "scheduler.button.report"), Data: "/baocao"}})
	}
}
