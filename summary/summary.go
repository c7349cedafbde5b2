// Package summary is the /tongket chat command: a unit's scorecard against
// the campaign's targets for a period, as text, a chart and (for the police
// chain) a workbook, computed by package report.
package summary

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/anttbot/anttbot/access"
	"github.com/anttbot/anttbot/bot"
	"github.com/anttbot/anttbot/campaign"
	"github.com/anttbot/anttbot/flows"
	"github.com/anttbot/anttbot/report"
	"github.com/anttbot/anttbot/store"
)

// Command is the command's name.
const Command = "tongket"

// Policy decides who may see which unit's results.
type Policy interface {
	Check(ctx context.Context, actor store.Person, a access.Action, s access.Subject) error
}

// Store is what the command reads: the report package's queries and the organisation.
type Store interface {
	report.CLIStore
	FindUnits(ctx context.Context, query string) ([]store.Unit, error)
	UnitSubtreeIDs(ctx context.Context, unitID int64) ([]int64, error)
}

// Translator looks up user-facing text (*locales.Catalog).
type Translator interface {
	T(lang, key string, args ...any) string
}

// Deps are the command's collaborators.
type Deps struct {
	Store    Store
	Policy   Policy
	Text     Translator
	Campaign *campaign.Campaign
	Location *time.Location
	Now      func() time.Time
	Log      *slog.Logger
}

// Register adds /tongket for team leaders, deputies and the police chain.
func Register(svc *flows.Service, d Deps) {
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Log == nil {
		d.Log = slog.Default()
	}
	svc.Register(flows.CommandSpec{
		Name:    Command,
		Words:   []string{"tổng kết", "tong ket", "summary"},
		Roles:   []store.Role{store.RoleLeader, store.RoleDeputy, store.RoleCommunePolice, store.RoleDistrictPolice, store.RoleProvincePolice},
		DescKey: "summary.cmd",
	}, d.handle)
}

// defaultPeriod is the running phase, else the last one that ended, else this month.
func (d Deps) defaultPeriod(now time.Time) string {
	if p, ok := d.Campaign.PhaseAt(now, d.Location); ok {
		return p.ID
	}
	if p, ok := d.Campaign.PreviousPhase(now, d.Location); ok {
		return p.ID
	}
	return "thang"
}

// handle answers "/tongket [period] [unit name]".
func (d Deps) handle(ctx context.Context, c flows.Call) ([]bot.Message, error) {
	now := d.Now()
	args := strings.Fields(c.Args)
	periodArg := d.defaultPeriod(now)
	if len(args) > 0 {
		periodArg = args[0]
	}
	period, err := report.ParsePeriod(periodArg, d.Campaign, now, d.Location)
	if errors.Is(err, report.ErrBadPeriod) {
		return d.say(c, "summary.bad_period", "Period", periodArg), nil
	} else if err != nil {
		return nil, fmt.Errorf("summary: period %q: %w", periodArg, err)
	}

	// The person's own unit, or a unit below it named after the period.
	unitID := c.Person.UnitID
	if len(args) > 1 {
		name := strings.Join(args[1:], " ")
		u, ok, err := d.findBelow(ctx, c.Person.UnitID, name)
		if err != nil {
			return nil, err
		}
		if !ok {
			return d.say(c, "summary.unit_not_found", "Name", name), nil
		}
		unitID = u.ID
	}
	if err := d.Policy.Check(ctx, c.Person, access.ViewSummary, access.Subject{UnitID: unitID}); err != nil {
		if den, ok := access.IsDenied(err); ok {
			return []bot.Message{{Text: d.Text.T(c.Lang, den.MessageKey)}}, nil
		}
		return nil, err
	}

	sc, err := report.Compute(ctx, d.Store, d.Campaign, unitID, period, now, d.Location)
	if err != nil {
		return nil, fmt.Errorf("summary: compute unit %d: %w", unitID, err)
	}
	out := []bot.Message{{Text: report.RenderText(sc, c.Lang, d.Text)}}
	png, err := report.RenderPNG(sc, c.Lang, d.Text)
	if err != nil {
		d.Log.Warn("summary chart", "unit_id", unitID, "err", err)
	} else {
		out = append(out, bot.Message{Attachment: &bot.Attachment{
			Name: fileName(sc, period, "png"), MIME: "image/png", Data: png, IsImage: true,
			Caption: d.Text.T(c.Lang, "summary.chart_caption", "Unit", sc.Unit.Name),
		}})
	}
	// The workbook lists the counted reports: only for the police chain.
	if c.Person.Role.IsPolice() {
		ranking, err := report.BuildRanking(ctx, d.Store, sc)
		if err != nil {
			return nil, fmt.Errorf("summary: ranking: %w", err)
		}
		rows, total, err := report.Rows(ctx, d.Store, sc, true)
		if err != nil {
			return nil, fmt.Errorf("summary: rows: %w", err)
		}
		xlsx, err := report.RenderXLSX(ctx, sc, ranking, rows, c.Lang, d.Text, report.XLSXOptions{CanSeeTips: true, RowsTotal: total})
		if err != nil {
			d.Log.Warn("summary workbook", "unit_id", unitID, "err", err)
		} else {
			out = append(out, bot.Message{Attachment: &bot.Attachment{
				Name: fileName(sc, period, "xlsx"),
				MIME: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", Data: xlsx,
				Caption: d.Text.T(c.Lang, "summary.workbook_caption"),
			}})
		}
	}
	return out, nil
}

// findBelow finds a unit by name in the subtree of root.
func (d Deps) findBelow(ctx context.Context, root int64, name string) (store.Unit, bool, error) {
	units, err := d.Store.FindUnits(ctx, name)
	if err != nil {
		return store.Unit{}, false, fmt.Errorf("summary: find unit %q: %w", name, err)
	}
	ids, err := d.Store.UnitSubtreeIDs(ctx, root)
	if err != nil {
		return store.Unit{}, false, fmt.Errorf("summary: subtree of %d: %w", root, err)
	}
	in := make(map[int64]bool, len(ids))
	for _, id := range ids {
		in[id] = true
	}
	for _, u := range units {
		if in[u.ID] {
			return u, true, nil
		}
	}
	return store.Unit{}, false, nil
}

func (d Deps) say(c flows.Call, key string, args ...any) []bot.Message {
	return []bot.Message{{Text: d.Text.T(c.Lang, key, args...)}}
}

// fileName is an ASCII file name such as "tong-ket-dot1-42.xlsx".
func fileName(sc report.Scorecard, p report.Period, ext string) string {
	return fmt.Sprintf("tong-ket-%s-%s-%d.%s", p.First.String(), p.Last.String(), sc.Unit.ID, ext)
}
