package orgchange

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/user"
	"path/filepath"
	"strings"
	"time"

	"github.com/anttbot/anttbot/campaign"
	"github.com/anttbot/anttbot/orgimport"
	"github.com/anttbot/anttbot/store"
)

// CLIUsage is the help of `anttbot org`.
const CLIUsage = `usage (UNIT is a unit id, code or name):
  anttbot org rename UNIT NEW_NAME [--at 2025-07-01]
      give a unit a new name (its code stays)
  anttbot org move UNIT NEW_PARENT [--at 2025-07-01]
      put a team under another commune, a commune under another province
  anttbot org merge UNIT... --into UNIT --at 2025-07-01
      merge units into a successor on a date: their teams, people, chats,
      invite codes and police follow; their reports count for the successor
  anttbot org apply FILE [--dry-run]
      a whole restructuring from .xlsx/.csv (columns Đơn vị cũ, Đơn vị mới,
      Ngày hiệu lực; paths like "Tỉnh Hải Dương / Huyện Gia Lộc / Xã Yết Kiêu"),
      all or nothing; --dry-run prints what would change and changes nothing
  anttbot org history UNIT
      the changes of a unit and of the former units merged into it: who, when, what
      --at  the date the change takes effect (default: today)
`

// CLI runs `anttbot org <args>` and returns the exit status: 0 done, 1
// failed, 2 bad usage. Dates are civil dates in loc; camp names the report
// kinds a dry run counts.
func CLI(ctx context.Context, st *store.Store, camp *campaign.Campaign, loc *time.Location, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, CLIUsage)
		return 2
	}
	fail := func(code int, err error) int {
		fmt.Fprintf(stderr, "anttbot org %s: %v\n", args[0], err)
		return code
	}
	fs := flag.NewFlagSet("org "+args[0], flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, CLIUsage) }
	atFlag := fs.String("at", "", "effective date, 2025-07-01")
	into := fs.String("into", "", "successor unit (merge)")
	dryRun := fs.Bool("dry-run", false, "apply: print what would change, change nothing")
	if err := fs.Parse(interleave(args[1:])); err != nil {
		return 2
	}
	rest := fs.Args()
	at := time.Now().In(loc)
	if *atFlag != "" {
		d, err := time.ParseInLocation("2006-01-02", *atFlag, loc)
		if err != nil {
			return fail(2, fmt.Errorf("--at %q is not a date like 2025-07-01", *atFlag))
		}
		at = d
	}
	actor := Actor{Name: "cli"}
	if u, err := user.Current(); err == nil {
		actor.Name = "cli (" + u.Username + ")"
	}
	resolve := func(ref string) (store.Unit, bool) {
		u, err := Resolve(ctx, st, ref)
		if err != nil {
			fail(1, err)
			return u, false
		}
		return u, true
	}
	switch args[0] {
	case "rename":
		if len(rest) != 2 {
			return fail(2, errors.New("give the unit and its new name"))
		}
		u, ok := resolve(rest[0])
		if !ok {
			return 1
		}
		if err := Rename(ctx, st, actor, u.ID, rest[1], at); err != nil {
			return fail(1, err)
		}
		fmt.Fprintf(stdout, "renamed %s (%s) to %s, effective %s\n", u.Name, u.Code, strings.TrimSpace(rest[1]), day(at))
	case "move":
		if len(rest) != 2 {
			return fail(2, errors.New("give the unit and its new parent"))
		}
		u, ok := resolve(rest[0])
		if !ok {
			return 1
		}
		p, ok := resolve(rest[1])
		if !ok {
			return 1
		}
		if err := Move(ctx, st, actor, u.ID, p.ID, at); err != nil {
			return fail(1, err)
		}
		fmt.Fprintf(stdout, "moved %s (%s) under %s (%s), effective %s\n", u.Name, u.Code, p.Name, p.Code, day(at))
	case "merge":
		if len(rest) == 0 || *into == "" || *atFlag == "" {
			return fail(2, errors.New("give the units to merge, --into the successor and --at the effective date"))
		}
		succ, ok := resolve(*into)
		if !ok {
			return 1
		}
		var ids []int64
		var names []string
		for _, r := range rest {
			u, ok := resolve(r)
			if !ok {
				return 1
			}
			ids = append(ids, u.ID)
			names = append(names, u.Name+" ("+u.Code+")")
		}
		if err := Merge(ctx, st, actor, ids, succ.ID, at); err != nil {
			return fail(1, err)
		}
		fmt.Fprintf(stdout, "merged %s into %s (%s), effective %s\n", strings.Join(names, ", "), succ.Name, succ.Code, day(at))
	case "apply":
		if len(rest) != 1 {
			return fail(2, errors.New("give one file (.xlsx or .csv)"))
		}
		f, err := os.Open(rest[0])
		if err != nil {
			return fail(1, err)
		}
		defer f.Close()
		opts := ApplyOptions{DryRun: *dryRun, TipKinds: []string{campaign.KindTip}, Location: loc}
		for _, k := range camp.Kinds {
			if k.ID != campaign.KindTip {
				opts.OtherKinds = append(opts.OtherKinds, k.ID)
			}
		}
		plan, err := Apply(ctx, st, actor, f, filepath.Base(rest[0]), opts)
		var rows *orgimport.RowErrors
		if errors.As(err, &rows) {
			for _, r := range rows.Rows {
				fmt.Fprintln(stderr, r.String())
			}
			return fail(1, fmt.Errorf("%d bad rows: nothing changed", len(rows.Rows)))
		} else if err != nil {
			return fail(1, err)
		}
		printPlan(stdout, plan, *dryRun)
	case "history":
		if len(rest) != 1 {
			return fail(2, errors.New("give one unit"))
		}
		u, err := Resolve(ctx, st, rest[0])
		if err != nil {
			return fail(1, err)
		}
		es, err := History(ctx, st, u.ID)
		if err != nil {
			return fail(1, err)
		}
		fmt.Fprintf(stdout, "%s (%s)\n", u.Name, u.Code)
		former, err := FormerUnits(ctx, st, u.ID)
		if err != nil {
			return fail(1, err)
		}
		for _, f := range former {
			fmt.Fprintf(stdout, "  includes former unit %s (%s), merged %s\n", f.Name, f.Code, day(f.MergedAt.In(loc)))
		}
		if len(es) == 0 {
			fmt.Fprintln(stdout, "  no recorded change")
		}
		for _, e := range es {
			fmt.Fprintf(stdout, "  %s  %-24s %s\n", e.Recorded.In(loc).Format("2006-01-02 15:04"), e.Actor, e.What)
		}
	case "help", "-h", "--help":
		fmt.Fprint(stdout, CLIUsage)
	default:
		fmt.Fprintf(stderr, "anttbot org: unknown command %q\n%s", args[0], CLIUsage)
		return 2
	}
	return 0
}

// printPlan prints what a restructuring did or would do.
func printPlan(w io.Writer, plan Plan, dryRun bool) {
	verb := map[string]string{ActMerge: "merge into", ActMove: "move to", ActNone: "rename to"}
	for _, s := range plan.Steps {
		fmt.Fprintf(w, "line %d: %s → %s %s, effective %s\n", s.Line, s.Old, verb[s.Action], s.New, day(s.Effective))
		fmt.Fprintf(w, "         carries %d people (their chats and invite codes), %d open tips, %d other reports pending verification\n",
			s.People, s.OpenTips, s.Pending)
	}
	if dryRun {
		fmt.Fprintf(w, "dry run: %d changes, nothing changed. Scheduled messages (reminders, summaries) follow the units: they are addressed when sent.\n", len(plan.Steps))
		return
	}
	fmt.Fprintf(w, "%d changes applied.\n", len(plan.Steps))
}

// interleave moves flags after positional arguments in front of them, so
// "merge A B --into C" parses like "merge --into C A B".
func interleave(args []string) []string {
	var flags, pos []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			pos = append(pos, args[i+1:]...)
			break
		}
		if strings.HasPrefix(a, "-") && len(a) > 1 {
			flags = append(flags, a)
			if !strings.Contains(a, "=") && i+1 < len(args) {
				flags = append(flags, args[i+1])
				i++
			}
			continue
		}
		pos = append(pos, a)
	}
	return append(flags, pos...)
}
