package scheduler

import (
	"context"
	"fmt"

	"github.com/anttbot/anttbot/report"
)

// workbook renders a phase's workbook with the rankings and the counted
// reports. Tips are left without their content and source: the workbook is
// pushed unasked and kept in the delivery queue's table for days, and an
// officer who needs them asks for the full workbook in the chat.
func (r *ReportSummarizer) workbook(ctx context.Context, sc report.Scorecard, lang string) ([]byte, error) {
	ranking, err := report.BuildRanking(ctx, r.q, sc)
	if err != nil {
		return nil, fmt.Errorf("scheduler: ranking of unit %d: %w", sc.Unit.ID, err)
	}
	rows, total, err := report.Rows(ctx, r.q, sc, false)
	if err != nil {
		return nil, fmt.Errorf("scheduler: rows of unit %d: %w", sc.Unit.ID, err)
	}
	b, err := report.RenderXLSX(ctx, sc, ranking, rows, lang, r.tr, report.XLSXOptions{RowsTotal: total})
	if err != nil {
		return nil, fmt.Errorf("scheduler: workbook of unit %d: %w", sc.Unit.ID, err)
	}
	return b, nil
}
