package store

import (
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"path"
	"strconv"
	"strings"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

// Migrations are plain SQL files run by goose's Provider, one directory per
// dialect: the schemas differ in types (BIGSERIAL/jsonb/timestamptz against
// INTEGER/TEXT/DATETIME), not in shape.
//
//go:embed migrations/postgres/*.sql migrations/sqlite/*.sql
var migrationFiles embed.FS

// versionTable is goose's bookkeeping table.
const versionTable = "goose_db_version"

func (s *Store) migrationFS() (fs.FS, error) {
	sub, err := fs.Sub(migrationFiles, path.Join("migrations", s.driver))
	if err != nil {
		return nil, fmt.Errorf("store: migrations for %s: %w", s.driver, err)
	}
	return sub, nil
}

// LatestSchemaVersion returns the newest migration version this binary has.
func (s *Store) LatestSchemaVersion() (int64, error) {
	fsys, err := s.migrationFS()
	if err != nil {
		return 0, err
	}
	names, err := fs.Glob(fsys, "*.sql")
	if err != nil {
		return 0, fmt.Errorf("store: list migrations: %w", err)
	}
	var latest int64
	for _, n := range names {
		digits, _, _ := strings.Cut(n, "_")
		v, err := strconv.ParseInt(digits, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("store: migration file %s: no version prefix: %w", n, err)
		}
		latest = max(latest, v)
	}
	return latest, nil
}

// SchemaVersion returns the database's schema version (0 when never migrated).
// It only reads: it neither creates goose's table nor takes the migration lock.
func (s *Store) SchemaVersion(ctx context.Context) (int64, error) {
	db := s.q(ctx)
	if !db.Migrator().HasTable(versionTable) {
		return 0, nil
	}
	var v *int64
	if err := db.Raw("SELECT MAX(version_id) FROM " + versionTable + " WHERE is_applied").Scan(&v).Error; err != nil {
		return 0, fmt.Errorf("store: schema version: %w", err)
	}
	if v == nil {
		return 0, nil
	}
	return *v, nil
}

// checkSchema refuses a database migrated by a newer binary: this one would
// misread tables it does not know, and rolling back the binary must not
// silently run against a schema it was not built for.
func (s *Store) checkSchema(ctx context.Context) error {
	have, err := s.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	know, err := s.LatestSchemaVersion()
	if err != nil {
		return err
	}
	if have > know {
		return fmt.Errorf("store: database schema version %d, this binary knows up to %d; upgrade the binary: %w", have, know, ErrSchemaTooNew)
	}
	return nil
}

// Migrate applies the pending migrations. Running it again is a no-op. On
// PostgreSQL an advisory lock keeps two replicas starting together from
// migrating at once.
func (s *Store) Migrate(ctx context.Context) error {
	if err := s.checkSchema(ctx); err != nil {
		return err
	}
	fsys, err := s.migrationFS()
	if err != nil {
		return err
	}
	sqlDB, err := s.SQLDB()
	if err != nil {
		return err
	}
	opts := []goose.ProviderOption{goose.WithDisableGlobalRegistry(true)}
	dialect := goose.DialectSQLite3
	if s.driver == DriverPostgres {
		dialect = goose.DialectPostgres
		// Retry every second for up to 5 minutes (goose's default polls every
		// 5 s, slowing every replica that starts next to another).
		locker, err := lock.NewPostgresSessionLocker(lock.WithLockTimeout(1, 300))
		if err != nil {
			return fmt.Errorf("store: migrate: lock: %w", err)
		}
		opts = append(opts, goose.WithSessionLocker(locker))
	}
	p, err := goose.NewProvider(dialect, sqlDB, fsys, opts...)
	if err != nil {
		return fmt.Errorf("store: migrate: %w", err)
	}
	results, err := p.Up(ctx)
	if err != nil {
		return fmt.Errorf("store: migrate %s: %w", s.driver, err)
	}
	for _, r := range results {
		s.log.Info("migration applied", "version", r.Source.Version, "file", r.Source.Path, "duration", r.Duration)
	}
	return nil
}

// MigrationsDigest returns a hash of the embedded migrations for a driver,
// so test helpers can cache a migrated database per schema (storetest
// clones a migrated PostgreSQL template named after it).
func MigrationsDigest(driver string) (string, error) {
	fsys, err := fs.Sub(migrationFiles, path.Join("migrations", driver))
	if err != nil {
		return "", fmt.Errorf("store: migrations for %s: %w", driver, err)
	}
	names, err := fs.Glob(fsys, "*.sql")
	if err != nil || len(names) == 0 {
		return "", fmt.Errorf("store: no migrations for driver %q: %w", driver, ErrInvalid)
	}
	h := sha256.New()
	for _, n := range names { // Glob sorts
		b, err := fs.ReadFile(fsys, n)
		if err != nil {
			return "", fmt.Errorf("store: read migration %s: %w", n, err)
		}
		fmt.Fprintf(h, "%s\x00%d\x00", n, len(b))
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
