package loadtest

import (
	"fmt"
	"io"
	"runtime"
	"time"
)

func mb(b int64) float64 { return float64(b) / (1 << 20) }

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond)) }

// Print writes the result for a person to read.
func (r Result) Print(w io.Writer) {
	if b := r.Broadcast; b != nil {
		fmt.Fprintf(w, "broadcast on %s: %d reminders, limit %d/s\n", r.Channel, b.Jobs, b.Limit)
		fmt.Fprintf(w, "  enqueued in        %s\n", b.Enqueue.Round(time.Millisecond))
		fmt.Fprintf(w, "  all delivered in   %s (first to last message: %s)\n", b.Total.Round(time.Millisecond), b.Window.Round(time.Millisecond))
		fmt.Fprintf(w, "  achieved rate      %.2f msg/s = %.1f%% of the limit\n", b.Rate, 100*b.Efficiency)
		fmt.Fprintf(w, "  429s seen          %d\n", b.Limited)
		fmt.Fprintf(w, "  delivered          %d of %d recipients, %d lost, %d duplicates\n", b.Delivered, b.Jobs, b.Lost(), b.Duplicates)
		fmt.Fprintf(w, "  attempt outcomes   %v\n", b.Outcomes)
		fmt.Fprintf(w, "  service errors     %d\n", r.ServiceErrors)
		fmt.Fprintf(w, "  peak RSS           %.1f MB (service + load generator + fake API, one process)\n", mb(r.PeakRSS))
		return
	}
	rows := "OK"
	if !r.RowsOK() {
		rows = "MISMATCH"
	}
	fmt.Fprintf(w, "%s: %d members, think %s, onboarding took %s\n", r.Channel, r.Members, r.Think, r.OnboardTime.Round(time.Millisecond))
	fmt.Fprintf(w, "  flows              %d (%d steps) in %s\n", r.Flows, r.Steps, r.Elapsed.Round(time.Millisecond))
	fmt.Fprintf(w, "  throughput         %.0f steps/s (%.1f flows/s)\n", r.StepsPerSec(), float64(r.Flows)/r.Elapsed.Seconds())
	fmt.Fprintf(w, "  latency            p50 %s  p95 %s  p99 %s  max %s (webhook request → reply at the fake API)\n",
		ms(r.Latency.P50), ms(r.Latency.P95), ms(r.Latency.P99), ms(r.Latency.Max))
	if len(r.PerStep) > 0 {
		fmt.Fprintf(w, "  p95 by step       ")
		for _, l := range r.PerStep {
			fmt.Fprintf(w, " %.0f", float64(l.P95)/float64(time.Millisecond))
		}
		fmt.Fprintf(w, " ms\n")
	}
	fmt.Fprintf(w, "  errors             %d (service logged %d errors)\n", r.Errors, r.ServiceErrors)
	for _, s := range r.ErrorSamples {
		fmt.Fprintf(w, "    %s\n", s)
	}
	fmt.Fprintf(w, "  rows               %d stored, %d expected (+%d uncertain): %s\n", r.RowsStored, r.RowsExpected, r.RowsUncertain, rows)
	fmt.Fprintf(w, "  police notified    %d messages to commune officers for %d stored tips, within 3 s of the end (delivery queue)\n", r.Notified, r.RowsStored)
	if r.Steps > 0 {
		fmt.Fprintf(w, "  per step           %.2f database commits, %.2f Redis commands\n",
			float64(r.DBCommits)/float64(r.Steps), float64(r.RedisCommands)/float64(r.Steps))
	}
	if r.Steps > 0 {
		per := func(d time.Duration) string {
			return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond)/float64(r.Steps))
		}
		all := r.CPUSelf + r.CPUService + r.CPUPostgres + r.CPURedis
		if r.External {
			fmt.Fprintf(w, "  CPU per step       %s service, %s load generator, %s PostgreSQL backends\n", per(r.CPUService), per(r.CPUSelf), per(r.CPUPostgres))
		} else {
			fmt.Fprintf(w, "  CPU per step       %s this process, %s PostgreSQL backends, %s Redis\n", per(r.CPUSelf), per(r.CPUPostgres), per(r.CPURedis))
		}
		fmt.Fprintf(w, "  CPU used           %.0f%% of %d cores over the run\n", 100*float64(all)/float64(r.Elapsed)/float64(runtime.NumCPU()), runtime.NumCPU())
	}
	if r.External {
		fmt.Fprintf(w, "  service RSS        %.1f MB now, %.1f MB peak (0: no --pid)\n", mb(r.RSS), mb(r.PeakRSS))
		return
	}
	fmt.Fprintf(w, "  RSS                %.1f MB now, %.1f MB peak (service + load generator + fake API, one process)\n", mb(r.RSS), mb(r.PeakRSS))
}
