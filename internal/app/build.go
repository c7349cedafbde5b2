package app

import (
	"context"
)

// build creates the components the config asks for.
func (a *App) build(ctx context.Context) error {
	return nil
}

// start launches background loops.
func (a *App) start(ctx context.Context) {}

func (a *App) readiness() []readyCheck {
	return []readyCheck{{name: "database", check: a.Store.Ping}}
}
