// Package storetest gives tests a freshly migrated store on either driver.
package storetest

import (
	"context"
	"database/sql"
	"fmt"
	"hash/fnv"
	"io"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx" for the admin connection

	"github.com/anttbot/anttbot/internal/testenv"
	"github.com/anttbot/anttbot/store"
)

// Drivers returns the drivers every store-backed test should run on.
func Drivers() []string { return []string{store.DriverSQLite, store.DriverPostgres} }

// New returns a migrated, empty store for the test, closed (and its database
// removed) when the test ends. PostgreSQL skips on a laptop without a server
// and fails when CI=true (see internal/testenv). On PostgreSQL the database
// is cloned from a template migrated once per schema, which is faster than
// migrating every test's database.
func New(t testing.TB, driver string, opts ...store.Option) *store.Store {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if driver == store.DriverPostgres {
		if dsn, ok := clonePostgres(t); ok {
			return Open(t, driver, dsn, opts...)
		}
	}
	s := Open(t, driver, DSN(t, driver), opts...)
	if err := s.Migrate(ctx); err != nil {
		t.Fatalf("migrate %s: %v", driver, err)
	}
	return s
}

// DSN returns the address of a fresh, empty (not migrated) database for the
// test, removed when the test ends.
func DSN(t testing.TB, driver string) string {
	t.Helper()
	switch driver {
	case store.DriverPostgres:
		return testenv.Postgres(t)
	case store.DriverSQLite:
		return filepath.Join(t.TempDir(), "anttbot.db")
	default:
		t.Fatalf("storetest: unknown driver %q", driver)
		return ""
	}
}

// Open opens (without migrating) the database at dsn and closes it when the
// test ends. Logs are discarded unless opts set a logger.
func Open(t testing.TB, driver, dsn string, opts ...store.Option) *store.Store {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	all := append([]store.Option{store.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))}, opts...)
	s, err := store.Open(ctx, driver, dsn, all...)
	if err != nil {
		t.Fatalf("open %s store: %v", driver, err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("close %s store: %v", driver, err)
		}
	})
	return s
}

// template is the migrated PostgreSQL template database of this process.
var template struct {
	once  sync.Once
	admin *sql.DB
	name  string
	err   error
}

// clonePostgres creates a test database from the migrated template and
// returns its DSN; ok is false when the template cannot be used (the caller
// then migrates a fresh database, which reports any real problem).
func clonePostgres(t testing.TB) (dsn string, ok bool) {
	t.Helper()
	template.once.Do(func() { template.admin, template.name, template.err = ensureTemplate() })
	if template.err != nil {
		t.Logf("storetest: no template database, migrating instead: %v", template.err)
		return "", false
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	name := testenv.RandomName("anttbot_test_")
	if _, err := template.admin.ExecContext(ctx, "CREATE DATABASE "+name+" TEMPLATE "+template.name); err != nil {
		// Someone is connected to the template (a psql session): fall back.
		t.Logf("storetest: clone template: %v", err)
		return "", false
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := template.admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Logf("drop test database %s: %v", name, err)
		}
	})
	u, err := url.Parse(testenv.PostgresAdmin())
	if err != nil {
		t.Fatalf("parse ANTTBOT_TEST_POSTGRES: %v", err)
	}
	u.Path = "/" + name
	return u.String(), true
}

// ensureTemplate finds or creates the template database for the current
// migrations. It is named after their digest, so it is shared by every test
// process (and run) with the same schema and never stale; an advisory lock
// keeps two processes from building it at once, and IS_TEMPLATE marks it
// complete.
func ensureTemplate() (*sql.DB, string, error) {
	digest, err := store.MigrationsDigest(store.DriverPostgres)
	if err != nil {
		return nil, "", err
	}
	name := "anttbot_tpl_" + digest[:16]
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	admin, err := sql.Open("pgx", testenv.PostgresAdmin())
	if err != nil {
		return nil, "", err
	}
	if err := admin.PingContext(ctx); err != nil {
		admin.Close()
		return nil, "", err
	}
	if err := buildTemplate(ctx, admin, name); err != nil {
		admin.Close()
		return nil, "", err
	}
	return admin, name, nil
}

func buildTemplate(ctx context.Context, admin *sql.DB, name string) error {
	conn, err := admin.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	h := fnv.New64a()
	h.Write([]byte(name))
	key := int64(h.Sum64())
	if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock($1)", key); err != nil {
		return fmt.Errorf("lock template: %w", err)
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", key)

	var ready bool
	err = conn.QueryRowContext(ctx, "SELECT datistemplate FROM pg_database WHERE datname = $1", name).Scan(&ready)
	if err == nil && ready {
		dropStaleTemplates(ctx, conn, name)
		return nil
	}
	if err != nil && err != sql.ErrNoRows {
		return fmt.Errorf("look up template: %w", err)
	}
	// A half-built template from a crashed run: start over.
	if _, err := conn.ExecContext(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
		return fmt.Errorf("drop half-built template: %w", err)
	}
	if _, err := conn.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		return fmt.Errorf("create template: %w", err)
	}
	u, err := url.Parse(testenv.PostgresAdmin())
	if err != nil {
		return err
	}
	u.Path = "/" + name
	s, err := store.Open(ctx, store.DriverPostgres, u.String(), store.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	if err != nil {
		return err
	}
	err = s.Migrate(ctx)
	// Cloning needs the template free of connections.
	if cerr := s.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("migrate template: %w", err)
	}
	if _, err := conn.ExecContext(ctx, "ALTER DATABASE "+name+" IS_TEMPLATE true"); err != nil {
		return fmt.Errorf("mark template: %w", err)
	}
	dropStaleTemplates(ctx, conn, name)
	return nil
}

// dropStaleTemplates removes the templates of earlier schemas so they do not
// pile up on the test server while migrations change. Best effort: a process
// still cloning one falls back to migrating.
//
// ANTTBOT_TEST_KEEP_TEMPLATES=1 keeps them: several checkouts with different
// migrations testing against one server at once would otherwise drop each
// other's template over and over.
func dropStaleTemplates(ctx context.Context, conn *sql.Conn, keep string) {
	if os.Getenv("ANTTBOT_TEST_KEEP_TEMPLATES") != "" {
		return
	}
	rows, err := conn.QueryContext(ctx, "SELECT datname FROM pg_database WHERE datname LIKE 'anttbot\\_tpl\\_%' AND datname <> $1", keep)
	if err != nil {
		return
	}
	var stale []string
	for rows.Next() {
		var n string
		if rows.Scan(&n) == nil {
			stale = append(stale, n)
		}
	}
	rows.Close()
	for _, n := range stale {
		_, _ = conn.ExecContext(ctx, "ALTER DATABASE "+n+" IS_TEMPLATE false")
		_, _ = conn.ExecContext(ctx, "DROP DATABASE IF EXISTS "+n+" WITH (FORCE)")
	}
}
