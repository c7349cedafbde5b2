package app

import (
	"fmt"
	"slices"
	"strings"

	"github.com/anttbot/anttbot/config"
	"github.com/anttbot/anttbot/web"
)

// buildWeb creates the console for officials on the same store, policy, tips
// and police tools as the chat, adds /web to the chat and serves /web/.
func (a *App) buildWeb() error {
	cfg := a.Config
	if !cfg.Web.Enabled {
		return nil
	}
	base := cfg.PublicBaseURL()
	if cfg.App.PublicURL == "" && a.listener != nil {
		// Listening on a port picked at start (tests): links must name it.
		base = "http://" + a.listener.Addr().String()
	}
	srv, err := web.New(web.Deps{
		Store: a.Store, Policy: a.Policy, Tips: a.Tips, Police: a.Police, Text: a.Catalog, Campaign: a.Campaign,
		Limiter: a.limiter(), Log: a.Log, Now: a.Now,
	}, web.Options{
		BaseURL: base, Location: cfg.Location(), DefaultLang: cfg.App.DefaultLocale,
		SessionIdle: cfg.Web.SessionIdle, SessionMaxAge: cfg.Web.SessionMaxAge, LinkTTL: cfg.Web.LinkTTL,
		SignInPerHour: cfg.Web.SignInPerHour,
	})
	if err != nil {
		return fmt.Errorf("app: web console: %w", err)
	}
	srv.Register(a.Flows)
	a.Web = srv
	a.mux.Handle(web.Prefix+"/", srv.Handler())
	a.mux.Handle(web.Prefix, srv.Handler())
	return nil
}

// logWhereToGo tells a newcomer, in a few lines, where the simulator and
// the console are, which database and data directory are used, and which
// channels are on.
func (a *App) logWhereToGo() {
	cfg := a.Config
	base := cfg.PublicBaseURL()
	if cfg.App.PublicURL == "" {
		base = "http://" + a.Addr()
	}
	if a.Simulator != nil {
		a.Log.Info("simulator: open it in a browser to chat as any demo person", "url", base+"/")
	}
	if a.Web != nil {
		a.Log.Info("console for officials: sign in with the link /web sends in the chat", "url", base+web.Prefix+"/")
	}
	db := "postgres (database.dsn)"
	if cfg.Database.Driver == "sqlite" {
		db = "sqlite " + cfg.DatabaseDSN()
	}
	a.Log.Info("storage", "database", db, "data_dir", cfg.App.DataDir, "redis", cfg.Redis.URL != "")
	var names []string
	for name := range a.Channels {
		names = append(names, name)
	}
	slices.Sort(names)
	a.Log.Info("channels on: "+strings.Join(names, ", "), "telegram_mode", telegramMode(cfg))
}

func telegramMode(cfg config.Config) string {
	if !cfg.Telegram.Enabled {
		return "off"
	}
	return cfg.Telegram.Mode
}
