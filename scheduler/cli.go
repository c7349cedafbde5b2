package scheduler

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
)

// CLIUsage is the help of `anttbot schedule`.
const CLIUsage = `usage:
  anttbot schedule list
      every job: its cron spec, when it next acts, its last run and period
  anttbot schedule run <job> [--period P] [--dry-run]
      run a job now for a period, once (a period that already ran is refused)
      --period  leader_reminder, leader_nudge, monthly_summary: a month, 2025-03
                police_digest: a day, 2025-03-25, or a due time, 2025-03-25T17:30
                phase_warning, phase_summary: a phase id from the campaign, dot1
                default: the current period (the month before for monthly_summary,
                the phase that ended last for phase_summary)
      --dry-run print what would be sent to whom; queue and record nothing
`

// CLI runs `anttbot schedule <args>` (the operator commands) and returns
// the process exit code: 0 done, 1 failed, 2 bad usage.
func CLI(ctx context.Context, s *Scheduler, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, CLIUsage)
		return 2
	}
	switch args[0] {
	case "list":
		return s.cliList(ctx, stdout, stderr)
	case "run":
		return s.cliRun(ctx, args[1:], stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, CLIUsage)
		return 0
	default:
		fmt.Fprintf(stderr, "schedule: unknown command %q\n%s", args[0], CLIUsage)
		return 2
	}
}

func (s *Scheduler) cliList(ctx context.Context, stdout, stderr io.Writer) int {
	infos, err := s.List(ctx)
	if err != nil {
		fmt.Fprintf(stderr, "schedule list: %v\n", err)
		return 1
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "JOB\tSPEC\tNEXT\tLAST RUN\tLAST PERIOD")
	for _, i := range infos {
		spec := i.Spec
		if spec == "" {
			spec = "(disabled)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", i.Name, spec, stamp(i.Next), stamp(i.LastRun), dash(i.LastPeriod))
	}
	if err := tw.Flush(); err != nil {
		fmt.Fprintf(stderr, "schedule list: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "times in %s\n", s.cfg.Location)
	return 0
}

func (s *Scheduler) cliRun(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("schedule run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	period := fs.String("period", "", "the period to run for (default: the current one)")
	dry := fs.Bool("dry-run", false, "print what would be sent; queue and record nothing")
	// The job name may come before or after the flags.
	var name string
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		name, args = args[0], args[1:]
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if name == "" && fs.NArg() > 0 {
		name = fs.Arg(0)
	}
	if name == "" || fs.NArg() > 1 || (fs.NArg() == 1 && fs.Arg(0) != name) {
		fmt.Fprint(stderr, CLIUsage)
		return 2
	}
	res, err := s.RunNow(ctx, name, *period, *dry)
	switch {
	case errors.Is(err, ErrUnknownJob), errors.Is(err, ErrBadPeriod):
		fmt.Fprintf(stderr, "schedule run: %v\n", err)
		return 2
	case errors.Is(err, ErrAlreadyRan):
		fmt.Fprintf(stderr, "schedule run: %v (nothing sent again)\n", err)
		return 1
	case err != nil:
		fmt.Fprintf(stderr, "schedule run: %v\n", err)
		return 1
	}
	PrintResult(stdout, res, s.cfg.Location)
	return 0
}

// PrintResult writes a run's messages for an operator: recipient, when it
// leaves, the deduplication key, the text and attachments.
func PrintResult(w io.Writer, res Result, loc *time.Location) {
	verb := "queued"
	if res.DryRun {
		verb = "would send"
	}
	fmt.Fprintf(w, "%s %s: %s %d messages (%s)\n", res.Job, res.Period.Key, verb, len(res.Sends), res.Note)
	for i, sd := range res.Sends {
		fmt.Fprintf(w, "\n--- %d/%d to %s (person %d), not before %s, key %s\n", i+1, len(res.Sends), sd.Who,
			sd.To.PersonID, sd.NotBefore.In(loc).Format("2006-01-02 15:04"), sd.DedupeKey)
		m := sd.Message
		if m.Text != "" {
			fmt.Fprintln(w, m.Text)
		}
		for _, row := range m.Buttons {
			for _, b := range row {
				fmt.Fprintf(w, "[%s → %s] ", b.Label, b.Data)
			}
			fmt.Fprintln(w)
		}
		if a := m.Attachment; a != nil {
			fmt.Fprintf(w, "(attachment %s, %s, %d bytes: %s)\n", a.Name, a.MIME, len(a.Data), a.Caption)
		}
	}
}

func stamp(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.Format("2006-01-02 15:04")
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
