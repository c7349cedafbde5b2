package store_test

import (
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/anttbot/anttbot/store"
	"github.com/anttbot/anttbot/store/storetest"
)

func TestMigrate(t *testing.T) {
	for _, d := range storetest.Drivers() {
		t.Run(d, func(t *testing.T) {
			ctx := ctxT(t)
			dsn := storetest.DSN(t, d)
			s := storetest.Open(t, d, dsn)
			v, err := s.SchemaVersion(ctx)
			must(t, "version before migrate", err)
			if v != 0 {
				t.Fatalf("fresh database: version %d, want 0", v)
			}
			latest, err := s.LatestSchemaVersion()
			must(t, "latest version", err)
			if latest < 1 {
				t.Fatalf("latest version %d, want >= 1", latest)
			}
			must(t, "first migrate", s.Migrate(ctx))
			must(t, "second migrate", s.Migrate(ctx))
			v, err = s.SchemaVersion(ctx)
			must(t, "version after migrate", err)
			if v != latest {
				t.Fatalf("version %d after migrate, want %d", v, latest)
			}
			// A second process opening a migrated database migrates nothing.
			s2 := storetest.Open(t, d, dsn)
			must(t, "migrate from another handle", s2.Migrate(ctx))
			must(t, "write after migrate", s2.SetKV(ctx, "k", "v"))
		})
	}
}

func TestMigrateConcurrently(t *testing.T) {
	// Two replicas starting at once against PostgreSQL: the advisory lock
	// lets one migrate and the other find nothing to do. (SQLite is embedded:
	// one process.)
	ctx := ctxT(t)
	dsn := storetest.DSN(t, store.DriverPostgres)
	errs := make([]error, 3)
	var wg sync.WaitGroup
	for i := range errs {
		s := storetest.Open(t, store.DriverPostgres, dsn)
		wg.Go(func() { errs[i] = s.Migrate(ctx) })
	}
	wg.Wait()
	for _, err := range errs {
		must(t, "concurrent migrate", err)
	}
}

func TestNewerSchemaRefused(t *testing.T) {
	for _, d := range storetest.Drivers() {
		t.Run(d, func(t *testing.T) {
			ctx := ctxT(t)
			dsn := storetest.DSN(t, d)
			s := storetest.Open(t, d, dsn)
			must(t, "migrate", s.Migrate(ctx))
			latest, err := s.LatestSchemaVersion()
			must(t, "latest", err)
			// What a newer binary would have left behind.
			must(t, "fake newer version", s.DB().Exec(
				"INSERT INTO goose_db_version (version_id, is_applied) VALUES (?, ?)", latest+1, true).Error)

			if err := s.Migrate(ctx); !errors.Is(err, store.ErrSchemaTooNew) {
				t.Fatalf("Migrate on newer schema: %v, want ErrSchemaTooNew", err)
			}
			_, err = store.Open(ctx, d, dsn)
			if !errors.Is(err, store.ErrSchemaTooNew) {
				t.Fatalf("Open on newer schema: %v, want ErrSchemaTooNew", err)
			}
		})
	}
}

func TestOpen(t *testing.T) {
	ctx := ctxT(t)
	tests := []struct {
		name    string
		driver  string
		dsn     string
		wantErr error
	}{
		{name: "unknown driver", driver: "mysql", dsn: "x", wantErr: store.ErrInvalid},
		{name: "empty sqlite dsn", driver: "sqlite", dsn: "", wantErr: store.ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := store.Open(ctx, tt.driver, tt.dsn)
			if !errors.Is(err, tt.wantErr) {
				if s != nil {
					s.Close()
				}
				t.Fatalf("Open(%q, %q) = %v, want %v", tt.driver, tt.dsn, err, tt.wantErr)
			}
		})
	}

	t.Run("sqlite creates the directory and enforces foreign keys", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "a", "b")
		s := storetest.Open(t, "sqlite", "file:"+filepath.Join(dir, "bot.db"))
		if _, err := os.Stat(dir); err != nil {
			t.Fatalf("directory not created: %v", err)
		}
		must(t, "migrate", s.Migrate(ctx))
		if s.Driver() != store.DriverSQLite {
			t.Fatalf("Driver() = %q", s.Driver())
		}
		must(t, "ping", s.Ping(ctx))
		// A person in a unit that does not exist violates a foreign key.
		err := s.CreatePerson(ctx, &store.Person{Name: "X", Role: store.RoleMember, UnitID: 999, Active: true})
		if err == nil {
			t.Fatal("foreign keys are not enforced")
		}
		var mode string
		must(t, "journal mode", s.DB().Raw("PRAGMA journal_mode").Scan(&mode).Error)
		if mode != "wal" {
			t.Fatalf("journal_mode = %q, want wal", mode)
		}
	})
}

func TestInTx(t *testing.T) {
	forEachDriver(t, func(t *testing.T, s *store.Store) {
		ctx := ctxT(t)
		boom := errors.New("boom")
		err := s.InTx(ctx, func(tx *store.Store) error {
			must(t, "set in tx", tx.SetKV(ctx, "a", "1"))
			if tx.SQLTx() == nil {
				t.Error("SQLTx() is nil inside InTx")
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("InTx = %v, want boom", err)
		}
		if _, err := s.GetKV(ctx, "a"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("rolled back write visible: %v", err)
		}
		must(t, "commit", s.InTx(ctx, func(tx *store.Store) error { return tx.SetKV(ctx, "a", "2") }))
		if v, err := s.GetKV(ctx, "a"); err != nil || v != "2" {
			t.Fatalf("committed write: %q, %v", v, err)
		}
		if s.SQLTx() != nil {
			t.Error("SQLTx() outside a transaction is not nil")
		}

		// Store methods that run their own transaction nest inside InTx (as
		// savepoints) and roll back with it.
		f := loadOrg(t, s)
		err = s.InTx(ctx, func(tx *store.Store) error {
			sub := &store.Submission{Kind: "tip", TeamID: f.unit(codeThon1), ReporterID: f.person(phoneMember1).ID, IdempotencyKey: "in-tx"}
			if _, err := tx.CreateSubmission(ctx, sub, "nguồn"); err != nil {
				return err
			}
			// A failing nested call does not poison the outer transaction.
			if _, err := tx.LinkIdentity(ctx, 99999, store.ChannelTelegram, "1", "1", ""); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("nested failure: %v", err)
			}
			if _, err := tx.SubmissionByID(ctx, sub.ID); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("InTx = %v, want boom", err)
		}
		if n, err := s.CountSubmissions(ctx, store.CountFilter{}); err != nil || n != 0 {
			t.Fatalf("rolled back submission counted: %d, %v", n, err)
		}
		err = s.CreatePerson(ctx, &store.Person{Name: "Trùng", Phone: phoneLeader1, Role: store.RoleMember, UnitID: f.unit(codeThon1), Active: true})
		if !errors.Is(err, store.ErrDuplicate) {
			t.Fatalf("duplicate phone: %v, want ErrDuplicate", err)
		}
	})
}
