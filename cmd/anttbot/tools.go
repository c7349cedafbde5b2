package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/anttbot/anttbot/campaign"
	"github.com/anttbot/anttbot/campaignadmin"
	"github.com/anttbot/anttbot/config"
	"github.com/anttbot/anttbot/delivery"
	"github.com/anttbot/anttbot/internal/app"
	"github.com/anttbot/anttbot/locales"
	"github.com/anttbot/anttbot/orgchange"
	"github.com/anttbot/anttbot/report"
	"github.com/anttbot/anttbot/scheduler"
	"github.com/anttbot/anttbot/store"
)

// splitConfigFlag takes --config FILE (or --config=FILE) out of args, so the
// rest can go to a subcommand with flags of its own.
func splitConfigFlag(args []string) (configArgs, rest []string) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--config" || a == "-config":
			if i+1 < len(args) {
				configArgs = append(configArgs, a, args[i+1])
				i++
			}
		case strings.HasPrefix(a, "--config=") || strings.HasPrefix(a, "-config="):
			configArgs = append(configArgs, a)
		default:
			rest = append(rest, a)
		}
	}
	return configArgs, rest
}

// openTools loads the config and opens the migrated store, the campaign and the catalogue.
func openTools(ctx context.Context, name string, args, env []string, stderr io.Writer) (config.Config, *store.Store, *campaign.Campaign, *locales.Catalog, []string, int) {
	configArgs, rest := splitConfigFlag(args)
	cfg, _, ok := loadConfig(flag.NewFlagSet(name, flag.ContinueOnError), configArgs, env, stderr)
	if !ok {
		return cfg, nil, nil, nil, nil, 2
	}
	fail := func(err error) (config.Config, *store.Store, *campaign.Campaign, *locales.Catalog, []string, int) {
		fmt.Fprintf(stderr, "anttbot %s: %v\n", name, err)
		return cfg, nil, nil, nil, nil, 1
	}
	cat, err := locales.Load()
	if err != nil {
		return fail(err)
	}
	camp := campaign.Default()
	if cfg.Campaign.File != "" {
		if camp, err = campaign.Load(cfg.Campaign.File); err != nil {
			return fail(err)
		}
	}
	st, err := app.OpenStore(ctx, cfg, app.NewLogger(cfg, stderr))
	if err != nil {
		return fail(err)
	}
	if err := st.Migrate(ctx); err != nil {
		st.Close()
		return fail(err)
	}
	// A campaign loaded with `anttbot campaign load` replaces the configured one.
	p, err := campaignadmin.NewProvider(ctx, st, camp, app.NewLogger(cfg, stderr))
	if err != nil {
		st.Close()
		return fail(err)
	}
	return cfg, st, p.Get(), cat, rest, 0
}

func cmdReport(ctx context.Context, args, env []string, stdout, stderr io.Writer) int {
	cfg, st, camp, cat, rest, code := openTools(ctx, "report", args, env, stderr)
	if code != 0 {
		return code
	}
	defer st.Close()
	return report.CLI(ctx, st, camp, cat, cfg.Location(), rest, stdout, stderr)
}

func cmdSchedule(ctx context.Context, args, env []string, stdout, stderr io.Writer) int {
	cfg, st, camp, cat, rest, code := openTools(ctx, "schedule", args, env, stderr)
	if code != 0 {
		return code
	}
	defer st.Close()
	log := app.NewLogger(cfg, stderr)
	if err := delivery.MigrateLogged(ctx, st, log); err != nil {
		fmt.Fprintf(stderr, "anttbot schedule: %v\n", err)
		return 1
	}
	s, err := scheduler.New(scheduler.Deps{Store: st, Campaign: camp, Text: cat, Log: log}, scheduler.FromConfig(cfg))
	if err != nil {
		fmt.Fprintf(stderr, "anttbot schedule: %v\n", err)
		return 1
	}
	return scheduler.CLI(ctx, s, rest, stdout, stderr)
}

// orgUsage is the help of `anttbot org`.
const orgUsage = orgchange.CLIUsage

func cmdOrg(ctx context.Context, args, env []string, stdout, stderr io.Writer) int {
	cfg, st, camp, _, rest, code := openTools(ctx, "org", args, env, stderr)
	if code != 0 {
		return code
	}
	defer st.Close()
	return orgchange.CLI(ctx, st, camp, cfg.Location(), rest, stdout, stderr)
}

func cmdCampaign(ctx context.Context, args, env []string, stdout, stderr io.Writer) int {
	cfg, st, camp, _, rest, code := openTools(ctx, "campaign", args, env, stderr)
	if code != 0 {
		return code
	}
	defer st.Close()
	return campaignadmin.CLI(ctx, st, camp, cfg.Location(), rest, stdout, stderr)
}
