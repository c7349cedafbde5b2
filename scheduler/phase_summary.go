package scheduler

import (
	"context"
	"fmt"
	"time"

	"github.com/anttbot/anttbot/bot"
	"github.com/anttbot/anttbot/campaign"
	"github.com/anttbot/anttbot/delivery"
	"github.com/anttbot/anttbot/store"
)

// phaseSummary sends, on the day after a phase ends (the spec fires daily;
// the job acts on End+1 in the configured time zone: 04/02/2025 for Đợt 1,
// 20/08/2025 for Đợt 2), each commune's police the phase's full scorecard
// with the top teams, its chart and its workbook (ranking included), and
// each district's and province's police the same for their area.
//
// Relevance: 30 days; the summary is what the commendation proposal is
// built from, so a late one is still wanted.
type phaseSummary struct{ *env }

// Name implements Job.
func (j *phaseSummary) Name() string { return JobPhaseSummary }

// phaseSummaryGrace is how long a missed phase summary is still worth sending.
const phaseSummaryGrace = 30 * 24 * time.Hour

func (j *phaseSummary) plan(fire time.Time) (Period, bool) {
	d := campaign.DateOf(fire, j.loc)
	for _, ph := range j.camp.Phases {
		if ph.End.AddDays(1) == d {
			return j.phasePeriod(ph, fire, dayStart(fire, j.loc).Add(phaseSummaryGrace)), true
		}
	}
	return Period{}, false
}

// parse reads a phase id; "" is the phase that ended last.
func (j *phaseSummary) parse(s string, now time.Time) (Period, error) {
	if s == "" {
		ph, ok := j.camp.PreviousPhase(now, j.loc)
		if !ok {
			return Period{}, fmt.Errorf("%w: no phase has ended yet; name one (%s)", ErrBadPeriod, j.phaseIDs())
		}
		return j.phasePeriod(ph, now, time.Time{}), nil
	}
	ph, ok := j.camp.Phase(s)
	if !ok {
		return Period{}, fmt.Errorf("%w: no phase %q (want one of %s)", ErrBadPeriod, s, j.phaseIDs())
	}
	return j.phasePeriod(ph, now, time.Time{}), nil
}

// Run implements Job.
func (j *phaseSummary) Run(ctx context.Context, p Period) (Result, error) {
	return j.eachPhaseOfficer(ctx, p, SummaryPhaseEnd, func(ph campaign.Phase, ru recipientUnit, officer store.Person, who, lang string, sum Summary, _ time.Time) []Send {
		name := ph.Name.In(lang)
		m := bot.Message{Text: j.tr.T(lang, "scheduler.phase.title", "Phase", name, "Start", j.civilText(lang, ph.Start),
			"End", j.civilText(lang, ph.End), "Unit", ru.unit.Name) + "\n\n" + sum.Text}
		file := j.tr.T(lang, "scheduler.phase.file_prefix") + "-" + ph.ID + "-" + fileSlug(ru.unit)
		if sum.Chart != nil {
			m.Attachment = &bot.Attachment{Name: file + ".png", MIME: "image/png", Data: sum.Chart, IsImage: true,
				Caption: j.tr.T(lang, "scheduler.phase.chart_caption", "Phase", name, "Unit", ru.unit.Name)}
		}
		sends := []Send{j.send(JobPhaseSummary, p, officer, who, delivery.KindSummary, "", m)}
		if sum.Workbook != nil {
			wb := bot.Message{Attachment: &bot.Attachment{Name: file + ".xlsx",
				MIME: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", Data: sum.Workbook,
				Caption: j.tr.T(lang, "scheduler.phase.workbook_caption", "Phase", name, "Unit", ru.unit.Name)}}
			sends = append(sends, j.send(JobPhaseSummary, p, officer, who, delivery.KindSummary, "xlsx", wb))
		}
		return sends
	})
}

// fileSlug names a unit in a file name: the last part of its code, which
// is an ASCII slug of its name.
func fileSlug(u store.Unit) string {
	code := u.Code
	for i := len(code) - 1; i >= 0; i-- {
		if code[i] == '/' {
			return code[i+1:]
		}
	}
	if code == "" {
		return fmt.Sprintf("unit-%d", u.ID)
	}
	return code
}
