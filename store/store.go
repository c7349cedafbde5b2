// Package store is the project's database layer: GORM models, versioned SQL
// migrations embedded in the binary, and every query, including the aggregate
// queries behind the campaign targets. It is the only package that imports
// GORM. Production runs on PostgreSQL; the embedded default is SQLite (pure
// Go, no cgo). Every method works on both.
//
// Times are written in UTC, truncated to microseconds (PostgreSQL's
// resolution), so values read back compare equal to what was written and
// SQLite's text timestamps sort correctly.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/glebarez/sqlite"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// Drivers.
const (
	DriverPostgres = "postgres"
	DriverSQLite   = "sqlite"
)

// Errors callers test with errors.Is.
var (
	// ErrNotFound means the row asked for does not exist.
	ErrNotFound = errors.New("store: not found")
	// ErrInviteUsed means the invite was already redeemed.
	ErrInviteUsed = errors.New("store: invite already used")
	// ErrInviteExpired means the invite is past its expiry.
	ErrInviteExpired = errors.New("store: invite expired")
	// ErrSchemaTooNew means the database was migrated by a newer binary.
	ErrSchemaTooNew = errors.New("store: database schema is newer than this binary")
	// ErrInvalid means the arguments were rejected before touching the database.
	ErrInvalid = errors.New("store: invalid argument")
	// ErrDuplicate means a unique key is taken (a phone, an invite code).
	ErrDuplicate = errors.New("store: already exists")
)

// Store is the database handle. It is safe for concurrent use. A Store
// obtained inside InTx runs every call in that transaction.
type Store struct {
	db     *gorm.DB
	driver string
	log    *slog.Logger
	now    func() time.Time
	inTx   bool
	people *personCache // shared by the copies a transaction makes
}

type options struct {
	log          *slog.Logger
	now          func() time.Time
	maxOpenConns int
	slowQuery    time.Duration
}

// Option configures Open.
type Option func(*options)

// WithLogger sets the logger (default slog.Default()). SQL errors are not
// logged here: they are returned, and logged once by the caller.
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.log = l } }

// WithClock sets the clock used for timestamps the caller does not pass.
func WithClock(now func() time.Time) Option { return func(o *options) { o.now = now } }

// WithMaxOpenConns overrides the connection pool size.
func WithMaxOpenConns(n int) Option { return func(o *options) { o.maxOpenConns = n } }

// WithSlowQuery logs queries slower than d at warn level (0 disables).
func WithSlowQuery(d time.Duration) Option { return func(o *options) { o.slowQuery = d } }

// Open connects to the database and refuses a schema newer than this binary
// knows (ErrSchemaTooNew). It does not migrate: call Migrate.
//
// driver is "postgres" (dsn: a libpq URL or key=value string) or "sqlite"
// (dsn: a file path or "file:" URI; the parent directory is created and the
// foreign_keys, WAL and busy_timeout pragmas are added when missing).
func Open(ctx context.Context, driver, dsn string, opts ...Option) (*Store, error) {
	o := options{log: slog.Default(), now: time.Now, slowQuery: time.Second}
	for _, opt := range opts {
		opt(&o)
	}
	var dial gorm.Dialector
	switch driver {
	case DriverPostgres:
		dial = postgres.Open(dsn)
		if o.maxOpenConns == 0 {
			o.maxOpenConns = 20
		}
	case DriverSQLite:
		full, err := sqliteDSN(dsn)
		if err != nil {
			return nil, err
		}
		dial = sqlite.Open(full)
		if o.maxOpenConns == 0 {
			// SQLite has one writer; transactions begin IMMEDIATE (see
			// sqliteDSN) and wait on busy_timeout, so a few connections let
			// readers proceed without writers failing with SQLITE_BUSY.
			o.maxOpenConns = 4
		}
	default:
		return nil, fmt.Errorf("store: open: unknown driver %q (want %q or %q): %w", driver, DriverPostgres, DriverSQLite, ErrInvalid)
	}
	log := o.log.With("comp", "store", "driver", driver)
	gl := logger.Discard
	if o.slowQuery > 0 {
		gl = logger.NewSlogLogger(log, logger.Config{
			SlowThreshold:             o.slowQuery,
			LogLevel:                  logger.Warn,
			IgnoreRecordNotFoundError: true,
			// Parameters may hold phone numbers or tip text.
			ParameterizedQueries: true,
		})
	}
	db, err := gorm.Open(dial, &gorm.Config{
		Logger:         gl,
		NowFunc:        func() time.Time { return utc(o.now()) },
		TranslateError: true,
		// Every write that must be atomic with others runs in InTx; wrapping
		// each single statement in its own transaction only cost a round trip
		// per write (~17% of the CPU per flow step under load).
		SkipDefaultTransaction: true,
	})
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", driver, err)
	}
	sqlDB, err := db.DB()
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", driver, err)
	}
	sqlDB.SetMaxOpenConns(o.maxOpenConns)
	sqlDB.SetMaxIdleConns(o.maxOpenConns)
	sqlDB.SetConnMaxIdleTime(5 * time.Minute)
	s := &Store{db: db, driver: driver, log: log, now: o.now, people: newPersonCache(sqlDB)}
	if err := s.Ping(ctx); err != nil {
		sqlDB.Close()
		return nil, err
	}
	if err := s.checkSchema(ctx); err != nil {
		sqlDB.Close()
		return nil, err
	}
	return s, nil
}

// sqliteDSN adds the pragmas the store relies on and creates the directory
// of the database file.
func sqliteDSN(dsn string) (string, error) {
	if dsn == "" {
		return "", fmt.Errorf("store: open sqlite: empty dsn: %w", ErrInvalid)
	}
	path, query, _ := strings.Cut(dsn, "?")
	q, err := url.ParseQuery(query)
	if err != nil {
		return "", fmt.Errorf("store: open sqlite: parse dsn query: %w", err)
	}
	pragmas := strings.Join(q["_pragma"], ",")
	for _, p := range []struct{ name, value string }{
		{"foreign_keys", "foreign_keys(1)"},
		{"journal_mode", "journal_mode(WAL)"},
		{"busy_timeout", "busy_timeout(5000)"},
	} {
		if !strings.Contains(pragmas, p.name) {
			q.Add("_pragma", p.value)
		}
	}
	// IMMEDIATE transactions take the write lock at BEGIN, so two writers
	// queue on busy_timeout instead of one failing when it upgrades a read
	// lock (SQLITE_BUSY, which busy_timeout does not retry).
	if q.Get("_txlock") == "" {
		q.Set("_txlock", "immediate")
	}
	file := strings.TrimPrefix(path, "file:")
	if file != "" && file != ":memory:" && q.Get("mode") != "memory" {
		if dir := filepath.Dir(file); dir != "." && dir != "" {
			if err := os.MkdirAll(dir, 0o750); err != nil {
				return "", fmt.Errorf("store: open sqlite: create directory %s: %w", dir, err)
			}
		}
	}
	return path + "?" + q.Encode(), nil
}

// Ping checks the connection.
func (s *Store) Ping(ctx context.Context) error {
	sqlDB, err := s.db.DB()
	if err != nil {
		return fmt.Errorf("store: ping: %w", err)
	}
	if err := sqlDB.PingContext(ctx); err != nil {
		return fmt.Errorf("store: ping %s: %w", s.driver, err)
	}
	return nil
}

// Close closes the connection pool. Calling it on a Store from InTx is a no-op.
func (s *Store) Close() error {
	if s.inTx {
		return nil
	}
	sqlDB, err := s.db.DB()
	if err != nil {
		return fmt.Errorf("store: close: %w", err)
	}
	if err := sqlDB.Close(); err != nil {
		return fmt.Errorf("store: close: %w", err)
	}
	return nil
}

// Driver returns "postgres" or "sqlite".
func (s *Store) Driver() string { return s.driver }

// DB returns the underlying GORM handle. Do not use outside store: it exists
// for the tests of store-adjacent packages only.
func (s *Store) DB() *gorm.DB { return s.db }

// SQLDB returns the database/sql pool, for libraries that need one (a job
// queue). Do not use it for queries of your own.
func (s *Store) SQLDB() (*sql.DB, error) {
	db, err := s.db.DB()
	if err != nil {
		return nil, fmt.Errorf("store: sql db: %w", err)
	}
	return db, nil
}

// SQLTx returns the database/sql transaction of a Store obtained inside
// InTx (nil outside one), so a job queue can insert its jobs in the same
// transaction as the rows that caused them.
func (s *Store) SQLTx() *sql.Tx {
	if !s.inTx {
		return nil
	}
	tx, _ := s.db.Statement.ConnPool.(*sql.Tx)
	return tx
}

// InTx runs fn in one transaction: every call on tx is part of it, and it is
// committed when fn returns nil and rolled back otherwise. Nested calls use
// savepoints. Do not call the outer Store from fn: on SQLite that waits for
// the transaction that is waiting for it.
func (s *Store) InTx(ctx context.Context, fn func(tx *Store) error) error {
	return s.db.WithContext(ctx).Transaction(func(gtx *gorm.DB) error {
		return fn(s.with(gtx))
	})
}

// tx is InTx for the store's own multi-statement methods.
func (s *Store) tx(ctx context.Context, fn func(tx *Store) error) error {
	return s.InTx(ctx, fn)
}

func (s *Store) with(db *gorm.DB) *Store {
	c := *s
	c.db = db
	c.inTx = true
	return &c
}

// q returns a session bound to ctx.
func (s *Store) q(ctx context.Context) *gorm.DB { return s.db.WithContext(ctx) }

// clock returns the current time as stored.
func (s *Store) clock() time.Time { return utc(s.now()) }

// utc normalizes a time for storage: UTC, microsecond resolution.
func utc(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

// utcPtr is utc for optional times.
func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := utc(*t)
	return &u
}

// notFound maps GORM's not-found error onto ErrNotFound.
func notFound(err error) error {
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return ErrNotFound
	}
	return err
}

// first loads one row into dst, translating not-found.
func first(db *gorm.DB, dst any) error {
	return notFound(db.Take(dst).Error)
}

// idPtr returns nil for 0, so optional foreign keys stay NULL.
func idPtr(id int64) *int64 {
	if id == 0 {
		return nil
	}
	return &id
}

func isNotFound(err error) bool { return errors.Is(err, ErrNotFound) }

// duplicate maps GORM's unique-violation error onto ErrDuplicate.
func duplicate(err error) error {
	if errors.Is(err, gorm.ErrDuplicatedKey) {
		return fmt.Errorf("%w (%w)", ErrDuplicate, err)
	}
	return err
}
