package app

import (
	"fmt"

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
