package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"github.com/anttbot/anttbot/campaignadmin"
	"github.com/anttbot/anttbot/config"
	"github.com/anttbot/anttbot/delivery"
	"github.com/anttbot/anttbot/internal/app"
	"github.com/anttbot/anttbot/locales"
	"github.com/anttbot/anttbot/orgimport"
	"github.com/anttbot/anttbot/report"
	"github.com/anttbot/anttbot/scheduler"
	"github.com/anttbot/anttbot/store"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = ""

const usage = `anttbot — chatbot for grassroots security teams (lực lượng tham gia bảo vệ ANTT ở cơ sở)

Usage:
  anttbot [serve] [--config FILE] [--print-config]
                                          run the service (--print-config logs the redacted config)
  anttbot migrate [--config FILE]         apply database migrations
  anttbot import [--config FILE] FILE     import the organisation from .xlsx or .csv
  anttbot invite [--config FILE] --unit ID --role ROLE [--valid 72h]
                                          create a single-use invite code
  anttbot report [--config FILE] --unit ID|NAME --period P --format text|png|xlsx [--out FILE]
                                          a unit's scorecard against the campaign's targets
  anttbot schedule [--config FILE] list | run JOB [--period P] [--dry-run]
                                          the scheduled jobs: next and last runs, or run one now
  anttbot org [--config FILE] rename|move|merge|history ...
                                          rename, move and merge units; list a unit's changes
  anttbot campaign [--config FILE] load FILE | list
                                          load a new campaign without a restart; list the loaded versions
  anttbot healthcheck [--config FILE]     exit 0 when the local service answers /healthz
  anttbot version                         print the version

Every config key can also be set as ANTTBOT_<SECTION>_<KEY>; see config.example.toml.
`

// run executes one subcommand and returns the process exit status.
func run(ctx context.Context, args, env []string, stdout, stderr io.Writer) int {
	cmd := "serve"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cmd, args = args[0], args[1:]
	}
	if cmd != "help" && wantsHelp(args) {
		return commandHelp(cmd, stdout, stderr)
	}
	switch cmd {
	case "serve":
		return cmdServe(ctx, args, env, stderr)
	case "migrate":
		return cmdMigrate(ctx, args, env, stdout, stderr)
	case "import":
		return cmdImport(ctx, args, env, stdout, stderr)
	case "invite":
		return cmdInvite(ctx, args, env, stdout, stderr)
	case "report":
		return cmdReport(ctx, args, env, stdout, stderr)
	case "schedule":
		return cmdSchedule(ctx, args, env, stdout, stderr)
	case "org":
		return cmdOrg(ctx, args, env, stdout, stderr)
	case "campaign":
		return cmdCampaign(ctx, args, env, stdout, stderr)
	case "healthcheck":
		return cmdHealthcheck(ctx, args, env, stderr)
	case "version", "--version", "-v":
		fmt.Fprintln(stdout, "anttbot", versionString())
		return 0
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "anttbot: unknown command %q\n\n%s", cmd, usage)
		return 2
	}
}

// wantsHelp tells whether args ask for help (-h, -help, --help) before any
// "--": then the command prints its usage and does nothing else (no config,
// no database, no data directory).
func wantsHelp(args []string) bool {
	for _, a := range args {
		switch a {
		case "--":
			return false
		case "-h", "-help", "--help":
			return true
		}
	}
	return false
}

// subcommandHelp is the detailed help of the commands that have one.
var subcommandHelp = map[string]string{
	"report":   report.CLIUsage,
	"schedule": scheduler.CLIUsage,
	"org":      orgUsage,
	"campaign": campaignadmin.CLIUsage,
}

// commandHelp prints the usage lines of one command.
func commandHelp(cmd string, stdout, stderr io.Writer) int {
	lines := strings.Split(usage, "\n")
	var out []string
	for i, l := range lines {
		if !strings.HasPrefix(l, "  anttbot "+cmd+" ") && !strings.HasPrefix(l, "  anttbot ["+cmd+"] ") {
			continue
		}
		out = append(out, l)
		for j := i + 1; j < len(lines) && strings.HasPrefix(lines[j], "          "); j++ {
			out = append(out, lines[j])
		}
	}
	if len(out) == 0 {
		fmt.Fprintf(stderr, "anttbot: unknown command %q\n\n%s", cmd, usage)
		return 2
	}
	if more := subcommandHelp[cmd]; more != "" {
		out = append(out, "", more)
	}
	fmt.Fprintf(stdout, "Usage:\n%s\n\nEvery config key can also be set as ANTTBOT_<SECTION>_<KEY>; see config.example.toml.\n", strings.Join(out, "\n"))
	return 0
}

func versionString() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		rev, dirty := "", ""
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				if s.Value == "true" {
					dirty = "+dirty"
				}
			}
		}
		if len(rev) > 12 {
			rev = rev[:12]
		}
		if rev != "" {
			return "dev-" + rev + dirty
		}
		if bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			return bi.Main.Version
		}
	}
	return "dev"
}

// loadConfig parses --config and the environment, validates, and reports every problem.
func loadConfig(fs *flag.FlagSet, args, env []string, stderr io.Writer) (config.Config, []string, bool) {
	path := fs.String("config", "", "TOML configuration file")
	fs.SetOutput(stderr)
	if err := fs.Parse(args); err != nil {
		return config.Config{}, nil, false
	}
	cfg, err := config.Load(*path, env)
	if err != nil {
		fmt.Fprintf(stderr, "anttbot: configuration: %v\n", err)
		return config.Config{}, nil, false
	}
	if err := cfg.Validate(); err != nil {
		fmt.Fprintf(stderr, "anttbot: invalid configuration:\n%v\n", err)
		return config.Config{}, nil, false
	}
	return cfg, fs.Args(), true
}

func cmdServe(ctx context.Context, args, env []string, stderr io.Writer) int {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	printConfig := fs.Bool("print-config", false, "log the whole configuration (secrets redacted) at start")
	cfg, _, ok := loadConfig(fs, args, env, stderr)
	if !ok {
		return 2
	}
	log := app.NewLogger(cfg, stderr)
	log.Info("starting anttbot", "version", versionString())
	// The whole configuration, redacted, only when asked: a newcomer's first
	// lines say where to go (app.Run), not sixty keys.
	if *printConfig {
		log.Info("configuration", "config", cfg)
	} else {
		log.Debug("configuration", "config", cfg)
	}
	if cfg.IsEmbeddedDefault() {
		log.Info("no configuration given: running on embedded defaults (SQLite under data_dir, in-process sessions, web simulator, demo organisation)",
			"data_dir", cfg.App.DataDir, "open", cfg.PublicBaseURL()+"/")
	}
	a, err := app.New(ctx, cfg, log)
	if err != nil {
		log.Error("start failed", "err", err)
		return 1
	}
	if err := a.Run(ctx); err != nil {
		log.Error("service failed", "err", err)
		return 1
	}
	return 0
}

func cmdMigrate(ctx context.Context, args, env []string, stdout, stderr io.Writer) int {
	cfg, _, ok := loadConfig(flag.NewFlagSet("migrate", flag.ContinueOnError), args, env, stderr)
	if !ok {
		return 2
	}
	log := app.NewLogger(cfg, stderr)
	st, err := app.OpenStore(ctx, cfg, log)
	if err != nil {
		return exitf(stderr, 1, "anttbot migrate: %v", err)
	}
	defer st.Close()
	if err := st.Migrate(ctx); err != nil {
		return exitf(stderr, 1, "anttbot migrate: %v", err)
	}
	// The delivery queue's tables too, so that a deployment may migrate
	// ahead of starting the service.
	if err := delivery.MigrateLogged(ctx, st, log); err != nil {
		return exitf(stderr, 1, "anttbot migrate: %v", err)
	}
	v, err := st.SchemaVersion(ctx)
	if err != nil {
		return exitf(stderr, 1, "anttbot migrate: %v", err)
	}
	fmt.Fprintf(stdout, "database schema at version %d\n", v)
	return 0
}

func cmdImport(ctx context.Context, args, env []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("import", flag.ContinueOnError)
	lang := fs.String("lang", "vi", "language of the messages (vi or en)")
	cfg, rest, ok := loadConfig(fs, args, env, stderr)
	if !ok {
		return 2
	}
	if len(rest) != 1 {
		return exitf(stderr, 2, "anttbot import: give exactly one file (.xlsx or .csv)")
	}
	cat, err := locales.Load()
	if err != nil {
		return exitf(stderr, 1, "anttbot import: %v", err)
	}
	st, err := app.OpenStore(ctx, cfg, app.NewLogger(cfg, stderr))
	if err != nil {
		return exitf(stderr, 1, "anttbot import: %v", err)
	}
	defer st.Close()
	if err := st.Migrate(ctx); err != nil {
		return exitf(stderr, 1, "anttbot import: %v", err)
	}
	res, err := orgimport.ImportFile(ctx, st, rest[0])
	if err != nil {
		for _, line := range orgimport.Messages(cat, *lang, err, 0) {
			fmt.Fprintln(stderr, line)
		}
		return 1
	}
	fmt.Fprintln(stdout, orgimport.Summary(cat, *lang, res))
	return 0
}

func cmdInvite(ctx context.Context, args, env []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("invite", flag.ContinueOnError)
	unit := fs.Int64("unit", 0, "unit id (team or commune) the invite attaches to")
	role := fs.String("role", string(store.RoleMember), "role given to whoever redeems it")
	valid := fs.Duration("valid", 72*time.Hour, "how long the code stays valid")
	cfg, _, ok := loadConfig(fs, args, env, stderr)
	if !ok {
		return 2
	}
	r := store.Role(*role)
	if !r.Valid() {
		return exitf(stderr, 2, "anttbot invite: --role %q is not one of to_truong, to_pho, to_vien, cong_an_xa, cong_an_huyen, cong_an_tinh", *role)
	}
	if *unit <= 0 || *valid <= 0 {
		return exitf(stderr, 2, "anttbot invite: --unit and a positive --valid are required")
	}
	st, err := app.OpenStore(ctx, cfg, app.NewLogger(cfg, stderr))
	if err != nil {
		return exitf(stderr, 1, "anttbot invite: %v", err)
	}
	defer st.Close()
	if err := st.Migrate(ctx); err != nil {
		return exitf(stderr, 1, "anttbot invite: %v", err)
	}
	u, err := st.UnitByID(ctx, *unit)
	if errors.Is(err, store.ErrNotFound) {
		return exitf(stderr, 1, "anttbot invite: no unit with id %d", *unit)
	} else if err != nil {
		return exitf(stderr, 1, "anttbot invite: %v", err)
	}
	inv, err := st.CreateInvite(ctx, store.Invite{UnitID: u.ID, Role: r, ExpiresAt: time.Now().Add(*valid)})
	if err != nil {
		return exitf(stderr, 1, "anttbot invite: %v", err)
	}
	fmt.Fprintf(stdout, "invite code: %s\nunit: %s (%s)\nrole: %s\nvalid until: %s\nmembers send: /start %s\n",
		inv.Code, u.Name, u.Level, r, inv.ExpiresAt.In(cfg.Location()).Format("02/01/2006 15:04"), inv.Code)
	return 0
}

func cmdHealthcheck(ctx context.Context, args, env []string, stderr io.Writer) int {
	cfg, _, ok := loadConfig(flag.NewFlagSet("healthcheck", flag.ContinueOnError), args, env, stderr)
	if !ok {
		return 2
	}
	addr := cfg.App.HTTPAddr
	if strings.HasPrefix(addr, "0.0.0.0:") || strings.HasPrefix(addr, ":") {
		addr = "127.0.0.1:" + addr[strings.LastIndex(addr, ":")+1:]
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/healthz", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return exitf(stderr, 1, "unhealthy: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return exitf(stderr, 1, "unhealthy: %s", resp.Status)
	}
	return 0
}
