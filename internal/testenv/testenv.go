// Package testenv gives tests real PostgreSQL and Redis: a fresh database or key
// prefix per test, removed when the test ends. On a laptop without the services
// the tests skip with a clear message; with CI=true a missing service fails.
package testenv

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"

	"net/url"
	"os"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx" for creating test databases
)

// PostgresAdmin is the DSN of a server where tests may create databases.
// Override with ANTTBOT_TEST_POSTGRES.
func PostgresAdmin() string {
	if v := os.Getenv("ANTTBOT_TEST_POSTGRES"); v != "" {
		return v
	}
	return "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
}

// RedisURL is the Redis server tests use. Override with ANTTBOT_TEST_REDIS.
func RedisURL() string {
	if v := os.Getenv("ANTTBOT_TEST_REDIS"); v != "" {
		return v
	}
	return "redis://127.0.0.1:6379/0"
}

// InCI reports whether missing services must fail the test instead of skipping it.
func InCI() bool { return os.Getenv("CI") == "true" }

// Unavailable skips the test on a laptop and fails it in CI.
func Unavailable(t testing.TB, service string, err error) {
	t.Helper()
	if InCI() {
		t.Fatalf("%s is required in CI but unavailable: %v", service, err)
	}
	t.Skipf("%s unavailable (%v); start it or set CI=true to make this a failure", service, err)
}

// RandomName returns a short random lowercase identifier with the given prefix.
func RandomName(prefix string) string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return prefix + hex.EncodeToString(b[:])
}

// Postgres creates a fresh, empty database for the test and returns its DSN
// (URL form). The database is dropped when the test ends.
func Postgres(t testing.TB) string {
	t.Helper()
	admin := PostgresAdmin()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	db, err := sql.Open("pgx", admin)
	if err != nil {
		Unavailable(t, "PostgreSQL", err)
	}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		Unavailable(t, "PostgreSQL", err)
	}
	name := RandomName("anttbot_test_")
	if _, err := db.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		db.Close()
		t.Fatalf("create test database: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := db.ExecContext(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Logf("drop test database %s: %v", name, err)
		}
		db.Close()
	})
	u, err := url.Parse(admin)
	if err != nil {
		t.Fatalf("parse ANTTBOT_TEST_POSTGRES: %v", err)
	}
	u.Path = "/" + name
	return u.String()
}

// Redis returns a client on the test server and a unique key prefix for this
// test; every key under the prefix is deleted when the test ends.
func Redis(t testing.TB) (*redis.Client, string) {
	t.Helper()
	opt, err := redis.ParseURL(RedisURL())
	if err != nil {
		t.Fatalf("parse ANTTBOT_TEST_REDIS: %v", err)
	}
	c := redis.NewClient(opt)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.Ping(ctx).Err(); err != nil {
		c.Close()
		Unavailable(t, "Redis", err)
	}
	prefix := RandomName("anttbot_test:") + ":"
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		iter := c.Scan(ctx, 0, prefix+"*", 1000).Iterator()
		for iter.Next(ctx) {
			c.Del(ctx, iter.Val())
		}
		c.Close()
	})
	return c, prefix
}

// Must fails the test on err, naming what was being done.
func Must(t testing.TB, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}
