package report

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/anttbot/anttbot/campaign"
	"github.com/anttbot/anttbot/store"
)

// CLIStore is what the report command reads; *store.Store implements it.
type CLIStore interface {
	Querier
	RankQuerier
	RowQuerier
	FindUnits(ctx context.Context, query string) ([]store.Unit, error)
}

// CLIUsage describes the report command for the binary's help.
const CLIUsage = `anttbot report --unit ID|NAME [--period P] [--format text|png|xlsx] [--out FILE] [--lang vi|en] [--tips] [--now T]
    --unit    unit id, code, or name (diacritics and case do not matter)
    --period  dot1, dot2, ... | thang | thang:2025-03 | ca | 2025-01-01..2025-01-31 (default: the current phase)
    --format  text (default), png or xlsx
    --out     file to write; "-" or empty writes to standard output (text only, unless "-")
    --lang    vi (default) or en
    --tips    include tip content and sources in the xlsx (police chain only)
    --now     evaluate as of this time (2025-08-20 or RFC 3339; default: now)
`

// CLI runs "anttbot report" with args (after the command name) and returns
// the exit status: 0 done, 1 failed, 2 bad usage. Times are judged in loc.
func CLI(ctx context.Context, st CLIStore, camp *campaign.Campaign, tr Translator, loc *time.Location, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("report", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, "Usage:\n  "+CLIUsage) }
	unitArg := fs.String("unit", "", "unit id, code or name")
	periodArg := fs.String("period", "", "period")
	format := fs.String("format", "text", "text, png or xlsx")
	out := fs.String("out", "", "output file")
	lang := fs.String("lang", "vi", "vi or en")
	tips := fs.Bool("tips", false, "include tip content and sources (police chain only)")
	nowArg := fs.String("now", "", "evaluate as of this time")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	fail := func(code int, format string, a ...any) int {
		fmt.Fprintf(stderr, "anttbot report: "+format+"\n", a...)
		return code
	}
	if fs.NArg() > 0 {
		return fail(2, "unexpected argument %q", fs.Arg(0))
	}
	if *unitArg == "" {
		return fail(2, "--unit is required\n\nUsage:\n  %s", CLIUsage)
	}
	if *lang != "vi" && *lang != "en" {
		return fail(2, "--lang must be vi or en, not %q", *lang)
	}
	switch *format {
	case "text":
	case "png", "xlsx":
		if *out == "" {
			return fail(2, "--format %s writes a file: give --out FILE (or --out - for standard output)", *format)
		}
	default:
		return fail(2, "--format must be text, png or xlsx, not %q", *format)
	}
	if loc == nil {
		loc = time.UTC
	}
	now := time.Now()
	if *nowArg != "" {
		t, err := parseNow(*nowArg, loc)
		if err != nil {
			return fail(2, "--now: %v", err)
		}
		now = t
	}
	period, err := ParsePeriod(*periodArg, camp, now, loc)
	if err != nil {
		return fail(2, "--period: %v", err)
	}
	unit, err := resolveUnit(ctx, st, *unitArg)
	if err != nil {
		return fail(2, "--unit: %v", err)
	}
	sc, err := Compute(ctx, st, camp, unit.ID, period, now, loc)
	if err != nil {
		return fail(1, "%v", err)
	}
	var data []byte
	switch *format {
	case "text":
		data = []byte(RenderText(sc, *lang, tr) + "\n")
	case "png":
		if data, err = RenderPNG(sc, *lang, tr); err != nil {
			return fail(1, "%v", err)
		}
	case "xlsx":
		ranking, err := BuildRanking(ctx, st, sc)
		if err != nil {
			return fail(1, "%v", err)
		}
		rows, total, err := Rows(ctx, st, sc, *tips)
		if err != nil {
			return fail(1, "%v", err)
		}
		if data, err = RenderXLSX(ctx, sc, ranking, rows, *lang, tr, XLSXOptions{CanSeeTips: *tips, RowsTotal: total}); err != nil {
			return fail(1, "%v", err)
		}
	}
	if *out == "" || *out == "-" {
		if _, err := stdout.Write(data); err != nil {
			return fail(1, "write: %v", err)
		}
		return 0
	}
	if err := os.WriteFile(*out, data, 0o644); err != nil {
		return fail(1, "%v", err)
	}
	fmt.Fprintf(stderr, "anttbot report: wrote %s (%d bytes): %s, %s\n", *out, len(data), sc.Unit.Name, period.First.String()+".."+period.Last.String())
	return 0
}

// parseNow reads a date (the end of that day) or an RFC 3339 time.
func parseNow(s string, loc *time.Location) (time.Time, error) {
	if d, err := campaign.ParseDate(s); err == nil {
		return d.AddDays(1).In(loc).Add(-time.Second), nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is neither YYYY-MM-DD nor RFC 3339", s)
	}
	return t, nil
}

// resolveUnit finds the unit by id, code or name; several units of the same
// name are listed so the caller can pick one by id.
func resolveUnit(ctx context.Context, st CLIStore, arg string) (store.Unit, error) {
	if id, err := strconv.ParseInt(arg, 10, 64); err == nil {
		u, err := st.UnitByID(ctx, id)
		if err != nil {
			return store.Unit{}, err
		}
		return u, nil
	}
	us, err := st.FindUnits(ctx, arg)
	if err != nil {
		return store.Unit{}, err
	}
	switch len(us) {
	case 0:
		return store.Unit{}, fmt.Errorf("no unit named %q: %w", arg, store.ErrNotFound)
	case 1:
		return us[0], nil
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d units are named %q; give the id:", len(us), arg)
	for _, u := range us {
		fmt.Fprintf(&b, "\n  %d\t%s\t%s", u.ID, u.Level, u.Code)
	}
	return store.Unit{}, errors.New(b.String())
}
