package scheduler

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/anttbot/anttbot/campaign"
	"github.com/anttbot/anttbot/report"
	"github.com/anttbot/anttbot/store"
)

// SummaryKind says which summary is asked for.
type SummaryKind string

// Summary kinds.
const (
	// SummaryMonth is a calendar month's scorecard with its chart.
	SummaryMonth SummaryKind = "month"
	// SummaryPhaseWarning lists what is still missing a week before a phase ends.
	SummaryPhaseWarning SummaryKind = "phase_warning"
	// SummaryPhaseEnd is a phase's scorecard, ranking, chart and workbook.
	SummaryPhaseEnd SummaryKind = "phase_end"
)

// SummaryRequest asks for one unit's summary.
type SummaryRequest struct {
	Kind   SummaryKind
	UnitID int64
	// From and To bound a month; PhaseID names a phase.
	From, To time.Time
	PhaseID  string
	Lang     string
	// Now is the moment the scorecard is computed as of.
	Now time.Time
}

// Summary is a rendered scorecard.
type Summary struct {
	// Text is the scorecard for a chat (with the top teams).
	Text string
	// Missing has one line per target not met yet (phase warnings).
	Missing []string
	// Chart is a PNG (nil: none).
	Chart []byte
	// Workbook is an XLSX (nil: none), for phase ends.
	Workbook []byte
}

// Summarizer computes and renders scorecards; NewReportSummarizer does it
// with package report.
type Summarizer interface {
	Summarize(ctx context.Context, req SummaryRequest) (Summary, error)
}

// reportQuerier is what the report package reads.
type reportQuerier interface {
	report.Querier
	report.RankQuerier
	report.RowQuerier
}

// ReportSummarizer renders summaries with package report.
type ReportSummarizer struct {
	q    reportQuerier
	camp *campaign.Campaign
	tr   Translator
	loc  *time.Location
}

// NewReportSummarizer returns a Summarizer over the store.
func NewReportSummarizer(st *store.Store, camp *campaign.Campaign, tr Translator, loc *time.Location) *ReportSummarizer {
	return &ReportSummarizer{q: st, camp: camp, tr: tr, loc: loc}
}

// Summarize implements Summarizer.
func (r *ReportSummarizer) Summarize(ctx context.Context, req SummaryRequest) (Summary, error) {
	var period report.Period
	switch req.Kind {
	case SummaryMonth:
		from := req.From.In(r.loc)
		period = report.MonthPeriod(from.Year(), from.Month(), r.loc)
	case SummaryPhaseWarning, SummaryPhaseEnd:
		ph, ok := r.camp.Phase(req.PhaseID)
		if !ok {
			return Summary{}, fmt.Errorf("scheduler: summary: no phase %q in campaign %s", req.PhaseID, r.camp.ID)
		}
		period = report.PhasePeriod(ph, r.loc)
	default:
		return Summary{}, fmt.Errorf("scheduler: summary: unknown kind %q", req.Kind)
	}
	sc, err := report.Compute(ctx, r.q, r.camp, req.UnitID, period, req.Now, r.loc)
	if err != nil {
		return Summary{}, fmt.Errorf("scheduler: summary of unit %d: %w", req.UnitID, err)
	}
	var out Summary
	if req.Kind == SummaryPhaseWarning {
		out.Missing = r.missing(sc, req.Lang)
		return out, nil
	}
	out.Text = report.RenderText(sc, req.Lang, r.tr)
	if out.Chart, err = report.RenderPNG(sc, req.Lang, r.tr); err != nil {
		return Summary{}, fmt.Errorf("scheduler: chart of unit %d: %w", req.UnitID, err)
	}
	if req.Kind == SummaryPhaseEnd {
		if out.Workbook, err = r.workbook(ctx, sc, req.Lang); err != nil {
			return Summary{}, err
		}
	}
	return out, nil
}

// missing writes one line per target not met yet, leaving out those whose
// number already meets the target while the phase runs (no incident logged
// yet is 100% present): the warning is about what needs doing.
func (r *ReportSummarizer) missing(sc report.Scorecard, lang string) []string {
	var out []string
	for _, res := range sc.Results {
		var detail string
		switch {
		case res.State == report.StateMet:
			continue
		case len(res.Missing) > 0:
			labels := make([]string, len(res.Missing))
			for i, f := range res.Missing {
				labels[i] = r.tr.T(lang, "campaign.figure."+f+".label")
			}
			detail = r.tr.T(lang, "scheduler.warning.needs_figures", "Figures", strings.Join(labels, "; "))
			if m := report.MissingMonthsText(r.tr, lang, res); m != "" {
				detail += " " + m
			}
		case res.Aggregate:
			if res.Units > 0 && res.UnitsMet == res.Units {
				continue
			}
			level := "report.level.commune"
			if res.UnitLevel == store.LevelTeam {
				level = "report.level.team"
			}
			detail = r.tr.T(lang, "scheduler.warning.units", "Met", res.UnitsMet, "Units", res.Units, "Level", r.tr.T(lang, level))
		default:
			if res.Target.Met(res.Value) {
				continue
			}
			detail = r.tr.T(lang, "scheduler.warning.value", "Value", valueText(res), "Target", thresholdText(res.Target))
		}
		out = append(out, r.tr.T(lang, "scheduler.warning.line", "Icon", r.tr.T(lang, "report.icon."+string(res.State)),
			"Target", r.targetName(lang, res.Target), "Detail", detail))
	}
	return out
}

// targetName is the report's short name of a target's metric, or the
// target's name as written in the plan for a metric it does not name.
func (r *ReportSummarizer) targetName(lang string, t campaign.Target) string {
	key := "report.metric." + t.Metric + ".name"
	if name := r.tr.T(lang, key); name != key {
		return name
	}
	return t.Name.In(lang)
}

// valueText writes a result's value with its unit.
func valueText(r report.Result) string {
	if r.Target.Unit == campaign.UnitPercent {
		return formatNum(r.Value) + "%"
	}
	return formatNum(r.Value)
}

// thresholdText writes a target's comparison, e.g. "≥ 80%".
func thresholdText(t campaign.Target) string {
	op := map[string]string{campaign.OpGE: "≥ ", campaign.OpGT: "> ", campaign.OpEQ: "= ", campaign.OpLE: "≤ "}[t.Op]
	v := formatNum(t.Threshold)
	if t.Unit == campaign.UnitPercent {
		v += "%"
	}
	return op + v
}
