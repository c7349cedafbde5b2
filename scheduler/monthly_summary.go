package scheduler

import (
	"context"
	"fmt"
	"time"

	"github.com/anttbot/anttbot/bot"
	"github.com/anttbot/anttbot/delivery"
	"github.com/anttbot/anttbot/store"
)

// monthlySummary sends each commune's police, on the 1st (default 08:00),
// the scorecard of the month just ended as text with its chart.
//
// Relevance: a week; the summary still informs a few days late, and a month
// later the next one is due.
type monthlySummary struct{ *env }

// Name implements Job.
func (j *monthlySummary) Name() string { return JobMonthlySummary }

// summaryGrace is how long a missed monthly summary is still worth sending.
const summaryGrace = 7 * 24 * time.Hour

func (j *monthlySummary) plan(fire time.Time) (Period, bool) {
	cur, _ := monthOf(fire, j.loc)
	from, to := monthOf(cur.AddDate(0, 0, -1), j.loc)
	return Period{Key: monthKey(from), From: from, To: to, Due: fire,
		Deadline: dayStart(fire, j.loc).Add(summaryGrace), PhaseID: j.phaseID(to.Add(-time.Nanosecond))}, true
}

// parse reads a month ("2025-03"); "" is the month before the current one.
func (j *monthlySummary) parse(s string, now time.Time) (Period, error) {
	cur, _ := monthOf(now, j.loc)
	return j.parseMonthPeriod(s, now, cur.AddDate(0, 0, -1))
}

// Run implements Job.
func (j *monthlySummary) Run(ctx context.Context, p Period) (Result, error) {
	o, err := j.loadOrg(ctx, store.RoleCommunePolice)
	if err != nil {
		return Result{}, err
	}
	var res Result
	cache := summaryCache{}
	units := 0
	for _, commune := range o.byLvl[store.LevelCommune] {
		police := o.communePolice(commune.ID)
		if len(police) > 0 {
			units++
		}
		for _, officer := range police {
			lang := j.langOf(officer)
			sum, err := cache.get(ctx, j.sum, SummaryRequest{Kind: SummaryMonth, UnitID: commune.ID, From: p.From, To: p.To, Lang: lang, Now: j.now()})
			if err != nil {
				return Result{}, err
			}
			month := j.monthText(lang, p.From)
			m := bot.Message{Text: j.tr.T(lang, "scheduler.monthly.title", "Month", month, "Unit", commune.Name) + "\n\n" + sum.Text}
			if sum.Chart != nil {
				m.Attachment = &bot.Attachment{Name: j.tr.T(lang, "scheduler.monthly.file_prefix") + "-" + p.Key + ".png", MIME: "image/png", Data: sum.Chart, IsImage: true,
					Caption: j.tr.T(lang, "scheduler.monthly.chart_caption", "Month", month, "Unit", commune.Name)}
			}
			res.Sends = append(res.Sends, j.send(JobMonthlySummary, p, officer, o.who(officer), delivery.KindSummary, "", m))
		}
	}
	res.Note = fmt.Sprintf("%d communes", units)
	return res, nil
}

// summaryCache computes each unit's summary once per language in a run.
type summaryCache map[string]Summary

func (c summaryCache) get(ctx context.Context, s Summarizer, req SummaryRequest) (Summary, error) {
	key := fmt.Sprintf("%d/%s", req.UnitID, req.Lang)
	if sum, ok := c[key]; ok {
		return sum, nil
	}
	sum, err := s.Summarize(ctx, req)
	if err != nil {
		return Summary{}, err
	}
	c[key] = sum
	return sum, nil
}
