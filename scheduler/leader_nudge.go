package scheduler

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/anttbot/anttbot/bot"
	"github.com/anttbot/anttbot/delivery"
	"github.com/anttbot/anttbot/store"
)

// leaderNudge reminds, on the month's last day (the spec fires on days
// 28–31; the job acts only on the last), the leaders of the teams still
// below the monthly good-deed target (at zero, with the built-in target of
// one), with the buttons that start /baocao.
//
// Relevance: until the month ends; after that the month is lost anyway.
type leaderNudge struct{ *env }

// Name implements Job.
func (j *leaderNudge) Name() string { return JobLeaderNudge }

func (j *leaderNudge) plan(fire time.Time) (Period, bool) {
	if !isLastDayOfMonth(fire, j.loc) {
		return Period{}, false
	}
	from, to := monthOf(fire, j.loc)
	return Period{Key: monthKey(from), From: from, To: to, Due: fire, Deadline: to, PhaseID: j.phaseID(fire)}, true
}

// parse reads a month ("2025-03"); "" is the current month.
func (j *leaderNudge) parse(s string, now time.Time) (Period, error) {
	return j.parseMonthPeriod(s, now, now)
}

// Run implements Job.
func (j *leaderNudge) Run(ctx context.Context, p Period) (Result, error) {
	if _, ok := goodDeedTarget(j.camp); !ok {
		return Result{Note: "the campaign has no monthly good-deed target"}, nil
	}
	o, err := j.loadOrg(ctx, store.RoleLeader, store.RoleDeputy, store.RoleMember)
	if err != nil {
		return Result{}, err
	}
	tm, err := j.loadTeamMonth(ctx, o, p.From, p.To)
	if err != nil {
		return Result{}, err
	}
	var (
		res     Result
		behind  int
		buttons = reportButtons(j.env)
	)
	for _, team := range o.byLvl[store.LevelTeam] {
		if tm.met(team.ID) {
			continue
		}
		behind++
		for _, l := range o.leadersOf(team.ID) {
			lang := j.langOf(l)
			lines := []string{j.tr.T(lang, "scheduler.nudge.text", "Month", j.monthText(lang, p.From), "Team", team.Name,
				"Count", tm.goodDeeds[team.ID], "Target", tm.threshold())}
			if n := tm.pending[team.ID]; n > 0 {
				lines = append(lines, j.tr.T(lang, "scheduler.nudge.pending", "Count", n))
			}
			lines = append(lines, j.tr.T(lang, "scheduler.nudge.call"))
			m := bot.Message{Text: strings.Join(lines, "\n\n"), Buttons: buttons(lang)}
			res.Sends = append(res.Sends, j.send(JobLeaderNudge, p, l, o.who(l), delivery.KindReminder, "", m))
		}
	}
	res.Note = fmt.Sprintf("%d of %d teams below the good-deed target", behind, len(o.byLvl[store.LevelTeam]))
	return res, nil
}
