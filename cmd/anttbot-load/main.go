// Command anttbot-load drives the whole anttbot service end to end through a
// platform webhook, with simulated members walking /baocao flows against a
// fake platform API, on a real PostgreSQL and Redis, and prints throughput,
// latency, errors, memory and the stored-rows check. See BENCHMARKS.md.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/anttbot/anttbot/internal/loadtest"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "anttbot-load:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("anttbot-load", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfg loadtest.Config
	var script, logFile string
	var verbose bool
	fs.StringVar(&cfg.Channel, "channel", "telegram", "channel to drive through its webhook: telegram or zalo")
	fs.StringVar(&cfg.PG, "pg", "postgres://postgres@127.0.0.1:5432/test?sslmode=disable", "PostgreSQL server (URL); the tool creates and drops its own database there")
	fs.StringVar(&cfg.Redis, "redis", "redis://127.0.0.1:6379/0", "Redis URL; the tool uses its own key prefix and deletes it")
	fs.IntVar(&cfg.Members, "members", 50, "simulated members walking flows concurrently")
	fs.DurationVar(&cfg.Think, "think", 0, "pause before each step, ±50% (0: as fast as possible)")
	fs.DurationVar(&cfg.Duration, "duration", 30*time.Second, "stop starting flows after this (0: only --flows bounds the run)")
	fs.IntVar(&cfg.Flows, "flows", 0, "stop after this many flows in all (0: only --duration bounds the run)")
	fs.IntVar(&cfg.Broadcast, "broadcast", 0, "queue this many reminders through the delivery queue instead of walking flows")
	fs.IntVar(&cfg.Rate, "rate", 30, "broadcast: the platform's messages/s limit, configured in the service and enforced by the fake API")
	fs.IntVar(&cfg.Workers, "workers", 0, "broadcast: delivery queue workers (0: the config default)")
	fs.DurationVar(&cfg.StepTimeout, "step-timeout", 10*time.Second, "longest wait for one reply before the step counts as an error")
	fs.BoolVar(&cfg.KeepThrottle, "throttle", false, "keep the production per-user limit of 20 updates per 10 s (default: lifted, still checked)")
	fs.StringVar(&cfg.CPUProfile, "cpuprofile", "", "write a CPU profile of the measured phase to this file")
	fs.StringVar(&cfg.External, "external", "", "base URL of a separately started service (anttbot serve) to drive instead of an in-process service (see BENCHMARKS.md)")
	fs.IntVar(&cfg.PID, "pid", 0, "with --external: the service's process id, for its memory and CPU")
	fs.StringVar(&cfg.FakeAddr, "fake-addr", "", "listen address of the fake platform API (default: a free port; with --external the service's api_url)")
	fs.StringVar(&cfg.Secret, "secret", "", "with --external: the service's Telegram webhook secret or Zalo OA secret key")
	fs.StringVar(&script, "script", "", "TOML script replacing the built-in one (see internal/loadtest/script.toml)")
	fs.StringVar(&logFile, "log", "", "write the service's warnings and errors to this file (default: discarded)")
	fs.BoolVar(&verbose, "v", false, "print progress")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if script != "" {
		b, err := os.ReadFile(script)
		if err != nil {
			return err
		}
		cfg.Script = b
	}
	if logFile != "" {
		f, err := os.Create(logFile)
		if err != nil {
			return err
		}
		defer f.Close()
		cfg.Log = f
	}
	// Libraries that log through the default logger (River's migrations) go
	// where the service's log goes.
	logTo := io.Discard
	if cfg.Log != nil {
		logTo = cfg.Log
	}
	slog.SetDefault(slog.New(slog.NewTextHandler(logTo, &slog.HandlerOptions{Level: slog.LevelWarn})))
	if verbose {
		cfg.Progress = stderr
	}
	res, err := loadtest.Run(ctx, cfg)
	res.Print(stdout)
	if err != nil {
		return err
	}
	switch {
	case res.Broadcast != nil && (res.Broadcast.Lost() > 0 || res.Broadcast.Duplicates > 0):
		return errors.New("broadcast lost or duplicated messages")
	case res.Broadcast == nil && (res.Errors > 0 || !res.RowsOK()):
		return errors.New("errors, or stored rows differ from confirmed reports")
	}
	return nil
}
