package campaignadmin

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/user"
	"time"

	"github.com/anttbot/anttbot/campaign"
	"github.com/anttbot/anttbot/store"
)

// CLIUsage is the help of `anttbot campaign`.
const CLIUsage = `usage:
  anttbot campaign load FILE
      validate a campaign file (the format of campaign/default.toml) exactly as at
      start-up and store it as the newest version: the one in use from now on
  anttbot campaign list
      the loaded versions, newest first; * marks the one in use
`

// CLI runs `anttbot campaign <args>`: 0 done, 1 failed, 2 bad usage.
// configured is the campaign of the configuration, in use while no version
// was ever loaded.
func CLI(ctx context.Context, st *store.Store, configured *campaign.Campaign, loc *time.Location, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, CLIUsage)
		return 2
	}
	switch args[0] {
	case "load":
		if len(args) != 2 {
			fmt.Fprintf(stderr, "anttbot campaign load: give one campaign file\n%s", CLIUsage)
			return 2
		}
		data, err := os.ReadFile(args[1])
		if err != nil {
			fmt.Fprintf(stderr, "anttbot campaign load: %v\n", err)
			return 1
		}
		actor := Actor{Name: "cli"}
		if u, err := user.Current(); err == nil {
			actor.Name = "cli (" + u.Username + ")"
		}
		v, c, err := Load(ctx, st, nil, actor, data)
		if err != nil {
			fmt.Fprintf(stderr, "anttbot campaign load %s: %v\nnothing was loaded\n", args[1], err)
			return 1
		}
		fmt.Fprintf(stdout, "loaded %s (%s) as version %d, %d phases; every running service takes it into use within a minute\n",
			c.ID, c.Name.In("vi"), v.Version, len(c.Phases))
	case "list":
		vs, err := st.CampaignVersions(ctx)
		if err != nil {
			fmt.Fprintf(stderr, "anttbot campaign list: %v\n", err)
			return 1
		}
		if len(vs) == 0 {
			fmt.Fprintf(stdout, "no campaign loaded: the configured campaign %s is in use\n", configured.ID)
			return 0
		}
		for i, v := range vs {
			fmt.Fprintln(stdout, describe(v, i == 0, loc))
		}
	case "help", "-h", "--help":
		fmt.Fprint(stdout, CLIUsage)
	default:
		fmt.Fprintf(stderr, "anttbot campaign: unknown command %q\n%s", args[0], CLIUsage)
		return 2
	}
	return 0
}
