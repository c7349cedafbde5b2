package orgchange

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"golang.org/x/text/unicode/norm"

	"github.com/anttbot/anttbot/orgimport"
	"github.com/anttbot/anttbot/store"
)

// Columns of a restructuring file (the header row may use either language).
const (
	ColOld  = "don_vi_cu"
	ColNew  = "don_vi_moi"
	ColDate = "ngay_hieu_luc"
)

var columnNames = map[string]string{
	"đơn vị cũ": ColOld, "don_vi_cu": ColOld, "old unit": ColOld,
	"đơn vị mới": ColNew, "don_vi_moi": ColNew, "new unit": ColNew,
	"ngày hiệu lực": ColDate, "ngay_hieu_luc": ColDate, "effective date": ColDate,
}

// Restructuring actions.
const (
	ActMerge = "merge"
	ActMove  = "move"   // and maybe rename
	ActNone  = "rename" // rename only
)

// Step is what one row of a restructuring file does (or would do).
type Step struct {
	Line      int
	Old, New  string // the paths as written
	Unit      store.Unit
	Action    string // ActMerge, ActMove or ActNone
	Effective time.Time
	// What the change carries along, counted before it: people in the
	// unit's subtree, open tips, and other reports waiting for verification.
	People, OpenTips, Pending int64
}

// Plan is the outcome of a restructuring file.
type Plan struct {
	Steps []Step
}

// ApplyOptions tune Apply.
type ApplyOptions struct {
	// DryRun computes the plan and changes nothing.
	DryRun bool
	// TipKinds are the report kinds that are tips; the others count as
	// pending verifications.
	TipKinds, OtherKinds []string
	Location             *time.Location
}

// Apply reads a restructuring file (.xlsx or .csv: old unit path, new unit
// path, effective date per row; paths are names joined by "/", province
// first) and performs its rows in order in one transaction: a new path that
// names an existing unit merges the old unit into it, otherwise the old unit
// moves under the new path's parent (created if need be) and takes its last
// name. All or nothing: any bad row changes nothing, and the error, a
// *orgimport.RowErrors, names every bad row found. A *orgimport.FileError
// is returned when the file cannot be read.
func Apply(ctx context.Context, st *store.Store, actor Actor, r io.Reader, filename string, opts ApplyOptions) (Plan, error) {
	if opts.Location == nil {
		opts.Location = time.UTC
	}
	rows, err := orgimport.ReadRows(r, filename)
	if err != nil {
		return Plan{}, err
	}
	idx, headerAt, err := findHeader(rows)
	if err != nil {
		return Plan{}, err
	}
	var plan Plan
	var bad []orgimport.RowError
	errRollback := errors.New("rollback")
	err = st.InTx(ctx, func(tx *store.Store) error {
		for _, row := range rows[headerAt+1:] {
			cell := func(col string) string {
				if i := idx[col]; i < len(row.Cells) {
					return strings.TrimSpace(norm.NFC.String(row.Cells[i]))
				}
				return ""
			}
			step, rowErr := applyRow(ctx, tx, actor, row.Line, cell(ColOld), cell(ColNew), cell(ColDate), opts)
			var b badRow
			if errors.As(rowErr, &b) {
				bad = append(bad, b.RowError)
				continue
			} else if rowErr != nil {
				return rowErr
			}
			plan.Steps = append(plan.Steps, step)
		}
		if len(bad) > 0 || opts.DryRun {
			return errRollback
		}
		return nil
	})
	switch {
	case len(bad) > 0:
		return Plan{}, &orgimport.RowErrors{Rows: bad}
	case errors.Is(err, errRollback):
		return plan, nil
	case err != nil:
		return Plan{}, err
	}
	return plan, nil
}

// findHeader finds the header row among the first rows.
func findHeader(rows []orgimport.Row) (map[string]int, int, error) {
	for n, row := range rows {
		if n >= 10 {
			break
		}
		idx := map[string]int{}
		for i, c := range row.Cells {
			if col, ok := columnNames[strings.ToLower(strings.TrimSpace(norm.NFC.String(c)))]; ok {
				idx[col] = i
			}
		}
		if len(idx) == 3 {
			return idx, n, nil
		}
	}
	return nil, 0, &orgimport.FileError{Code: orgimport.CodeMissingColumns, Line: rows[0].Line,
		Columns: []string{"Đơn vị cũ", "Đơn vị mới", "Ngày hiệu lực"}}
}

// badRow is a bad row of a restructuring file.
type badRow struct{ orgimport.RowError }

func (b badRow) Error() string { return b.String() }

func rowErr(line int, col, format string, args ...any) error {
	return badRow{orgimport.RowError{Line: line, Column: col, Reason: fmt.Sprintf(format, args...)}}
}

// applyRow performs one row inside tx; an orgimport.RowError is a bad row.
func applyRow(ctx context.Context, tx *store.Store, actor Actor, line int, oldPath, newPath, date string, opts ApplyOptions) (Step, error) {
	step := Step{Line: line, Old: oldPath, New: newPath}
	at, ok := parseDate(date, opts.Location)
	if !ok {
		return step, rowErr(line, ColDate, "%q is not a date (2025-07-01 or 01/07/2025)", date)
	}
	step.Effective = at
	oldNames, newNames := splitPath(oldPath), splitPath(newPath)
	switch {
	case len(oldNames) == 0:
		return step, rowErr(line, ColOld, "required")
	case len(newNames) == 0:
		return step, rowErr(line, ColNew, "required")
	}
	u, err := findPath(ctx, tx, oldNames)
	if err != nil {
		return step, rowErr(line, ColOld, "%s", err)
	}
	step.Unit = u
	if err := countAlong(ctx, tx, &step, opts); err != nil {
		return step, err
	}
	if target, err := findPath(ctx, tx, newNames); err == nil {
		if target.ID == u.ID {
			return step, rowErr(line, ColNew, "%q is the same unit: nothing changes", newPath)
		}
		if target.Level != u.Level {
			return step, rowErr(line, ColNew, "%q is a %s and %q a %s: only units of one level merge", newPath, target.Level, oldPath, u.Level)
		}
		step.Action = ActMerge
		if err := Merge(ctx, tx, actor, []int64{u.ID}, target.ID, at); err != nil {
			return step, rowErr(line, ColNew, "%s", err)
		}
		return step, nil
	}
	parentNames, name := newNames[:len(newNames)-1], newNames[len(newNames)-1]
	if len(parentNames) > 0 {
		path, err := levelPath(u.Level, parentNames)
		if err != nil {
			return step, rowErr(line, ColNew, "%s", err)
		}
		parent, err := tx.EnsureUnitPath(ctx, path[0], path[1], path[2], path[3])
		if err != nil {
			return step, rowErr(line, ColNew, "%s", err)
		}
		if u.ParentID == nil || *u.ParentID != parent.ID {
			if err := Move(ctx, tx, actor, u.ID, parent.ID, at); err != nil {
				return step, rowErr(line, ColNew, "%s", err)
			}
			step.Action = ActMove
		}
	} else if u.ParentID != nil {
		return step, rowErr(line, ColNew, "%q names a top-level unit; %q is a %s", newPath, oldPath, u.Level)
	}
	if name != u.Name {
		if err := Rename(ctx, tx, actor, u.ID, name, at); err != nil {
			return step, rowErr(line, ColNew, "%s", err)
		}
		if step.Action == "" {
			step.Action = ActNone
		}
	}
	if step.Action == "" {
		return step, rowErr(line, ColNew, "%q is where %q already is: nothing changes", newPath, oldPath)
	}
	return step, nil
}

// countAlong counts what moves with the step's unit.
func countAlong(ctx context.Context, tx *store.Store, step *Step, opts ApplyOptions) error {
	people, err := tx.PeopleInUnit(ctx, step.Unit.ID)
	if err != nil {
		return err
	}
	step.People = int64(len(people))
	for _, k := range []struct {
		kinds []string
		n     *int64
	}{{opts.TipKinds, &step.OpenTips}, {opts.OtherKinds, &step.Pending}} {
		if len(k.kinds) == 0 {
			continue
		}
		_, total, err := tx.VerificationQueue(ctx, store.QueueFilter{UnitID: step.Unit.ID, Kinds: k.kinds, Limit: 1})
		if err != nil {
			return err
		}
		*k.n = total
	}
	return nil
}

// levelPath places the names above a unit of level l at their levels:
// [province, district, commune, team].
func levelPath(l store.Level, names []string) ([4]string, error) {
	var p [4]string
	n := len(names)
	switch {
	case l == store.LevelDistrict && n == 1, l == store.LevelCommune && n == 1:
		p[0] = names[0]
	case l == store.LevelCommune && n == 2:
		p[0], p[1] = names[0], names[1]
	case l == store.LevelTeam && n == 2:
		p[0], p[2] = names[0], names[1]
	case l == store.LevelTeam && n == 3:
		p[0], p[1], p[2] = names[0], names[1], names[2]
	default:
		return p, fmt.Errorf("a %s cannot sit under %d levels (%s)", l, n, strings.Join(names, " / "))
	}
	return p, nil
}

// findPath resolves names, top first, to a live unit.
func findPath(ctx context.Context, tx *store.Store, names []string) (store.Unit, error) {
	var cur *store.Unit
	for _, name := range names {
		us, err := tx.FindUnits(ctx, name)
		if err != nil {
			return store.Unit{}, err
		}
		var next *store.Unit
		for i, u := range us {
			if (cur == nil && u.ParentID == nil) || (cur != nil && u.ParentID != nil && *u.ParentID == cur.ID) {
				next = &us[i]
				break
			}
		}
		if next == nil {
			return store.Unit{}, fmt.Errorf("no unit %q", strings.Join(names, " / "))
		}
		cur = next
	}
	return *cur, nil
}

// splitPath splits "Tỉnh A / Xã B" into its names; "" gives none.
func splitPath(p string) []string {
	var out []string
	for _, part := range strings.FieldsFunc(p, func(r rune) bool { return r == '/' || r == '>' }) {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}

// parseDate reads 2025-07-01, 01/07/2025 (day first, as in Vietnam) or an
// Excel date serial, as a civil date in loc.
func parseDate(s string, loc *time.Location) (time.Time, bool) {
	for _, layout := range []string{"2006-01-02", "02/01/2006", "2/1/2006"} {
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			return t, true
		}
	}
	if n, err := strconv.ParseFloat(s, 64); err == nil && n > 20000 && n < 80000 {
		d := time.Date(1899, 12, 30, 0, 0, 0, 0, loc).AddDate(0, 0, int(n))
		return d, true
	}
	return time.Time{}, false
}
