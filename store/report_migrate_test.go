package store

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/pressly/goose/v3"

	"github.com/anttbot/anttbot/internal/testenv"
)

// TestReportMigrationDown checks that migration 0002 can be rolled back and
// applied again on both drivers, so a bad deploy can be undone.
func TestReportMigrationDown(t *testing.T) {
	for _, driver := range []string{DriverSQLite, DriverPostgres} {
		t.Run(driver, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			dsn := filepath.Join(t.TempDir(), "down.db")
			if driver == DriverPostgres {
				dsn = testenv.Postgres(t)
			}
			s, err := Open(ctx, driver, dsn, WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
			testenv.Must(t, "open", err)
			defer s.Close()
			testenv.Must(t, "migrate", s.Migrate(ctx))
			fsys, err := s.migrationFS()
			testenv.Must(t, "migrations", err)
			db, err := s.SQLDB()
			testenv.Must(t, "sql db", err)
			dialect := goose.DialectSQLite3
			if driver == DriverPostgres {
				dialect = goose.DialectPostgres
			}
			p, err := goose.NewProvider(dialect, db, fsys, goose.WithDisableGlobalRegistry(true))
			testenv.Must(t, "provider", err)
			if _, err := p.DownTo(ctx, 1); err != nil {
				t.Fatalf("down to 1: %v", err)
			}
			for _, table := range []string{"police_figures", "incidents", "incident_presence"} {
				if s.db.Migrator().HasTable(table) {
					t.Errorf("table %s still there after down", table)
				}
			}
			if s.db.Migrator().HasColumn(&Submission{}, "recognised_at") {
				t.Errorf("submissions.recognised_at still there after down")
			}
			testenv.Must(t, "migrate again", s.Migrate(ctx))
			if !s.db.Migrator().HasTable("police_figures") || !s.db.Migrator().HasColumn(&Submission{}, "recognised_key") {
				t.Errorf("0002 not applied again")
			}
		})
	}
}
