package delivery

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"

	"github.com/riverqueue/river/rivermigrate"

	"github.com/anttbot/anttbot/store"
)

// migrateLockKey is the PostgreSQL advisory lock that keeps replicas
// starting together from running River's migrations at once.
const migrateLockKey = 0x616e7474_64656c76 // "anttdelv"

// Migrate creates or upgrades River's tables (river_job, ...) in the store's
// database. Run it at start, after Store.Migrate; running it again is a
// no-op. Each River version is applied in a transaction of its own (one
// PostgreSQL transaction cannot add an enum value and use it). Applied
// versions are logged with slog's default logger.
func Migrate(ctx context.Context, st *store.Store) error {
	return migrate(ctx, st, slog.Default())
}

// MigrateLogged is Migrate logging the applied versions to log, so that they
// come out in the service's own log format.
func MigrateLogged(ctx context.Context, st *store.Store, log *slog.Logger) error {
	return migrate(ctx, st, log)
}

func migrate(ctx context.Context, st *store.Store, log *slog.Logger) (err error) {
	db, err := st.SQLDB()
	if err != nil {
		return fmt.Errorf("delivery: migrate: %w", err)
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	m, err := rivermigrate.New(riverDriver(st.Driver(), db), &rivermigrate.Config{Logger: quiet})
	if err != nil {
		return fmt.Errorf("delivery: migrate: %w", err)
	}
	if st.Driver() == store.DriverPostgres {
		// A session lock on a connection of its own; the migrations run on
		// other connections of the pool. SQLite needs none: one process
		// owns the file.
		conn, err := db.Conn(ctx)
		if err != nil {
			return fmt.Errorf("delivery: migrate: lock: %w", err)
		}
		defer conn.Close()
		if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock($1)", int64(migrateLockKey)); err != nil {
			return fmt.Errorf("delivery: migrate: lock: %w", err)
		}
		defer func() {
			if _, uerr := conn.ExecContext(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", int64(migrateLockKey)); uerr != nil {
				err = errors.Join(err, fmt.Errorf("delivery: migrate: unlock: %w", uerr))
			}
		}()
	}
	res, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil)
	if err != nil {
		return fmt.Errorf("delivery: migrate %s: %w", st.Driver(), err)
	}
	for _, v := range res.Versions {
		log.Info("river migration applied", "comp", "delivery", "version", v.Version, "name", v.Name, "duration", v.Duration)
	}
	return nil
}
