package loadtest

import (
	"bufio"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx", to create and drop the run's database
)

func randomName(prefix string) string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return prefix + hex.EncodeToString(b[:])
}

// database is the run's own PostgreSQL database on the server of an admin DSN.
type database struct {
	admin *sql.DB
	name  string
	DSN   string
}

// createDatabase creates a fresh database on the server adminDSN (URL form) points at.
func createDatabase(ctx context.Context, adminDSN string) (*database, error) {
	u, err := url.Parse(adminDSN)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return nil, fmt.Errorf("loadtest: --pg wants a postgres:// URL, got %q", redactURL(adminDSN))
	}
	db, err := sql.Open("pgx", adminDSN)
	if err != nil {
		return nil, fmt.Errorf("loadtest: open postgres: %w", err)
	}
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	name := randomName("anttbot_load_")
	if _, err := db.ExecContext(cctx, "CREATE DATABASE "+name); err != nil {
		db.Close()
		return nil, fmt.Errorf("loadtest: create database on %s: %w", redactURL(adminDSN), err)
	}
	u.Path = "/" + name
	return &database{admin: db, name: name, DSN: u.String()}, nil
}

// existingDatabase is the database dsn names, for statistics only: it is
// neither created nor dropped.
func existingDatabase(dsn string) (*database, error) {
	u, err := url.Parse(dsn)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") || len(u.Path) < 2 {
		return nil, fmt.Errorf("loadtest: --pg wants a postgres:// URL with a database, got %q", redactURL(dsn))
	}
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return nil, fmt.Errorf("loadtest: open postgres: %w", err)
	}
	return &database{admin: db, name: strings.TrimPrefix(u.Path, "/"), DSN: dsn}, nil
}

// commits returns the transactions committed in the database so far (the
// statistics collector lags by up to a second; call it after a pause).
func (d *database) commits(ctx context.Context) (int64, error) {
	var n int64
	err := d.admin.QueryRowContext(ctx, "SELECT xact_commit FROM pg_stat_database WHERE datname = $1", d.name).Scan(&n)
	return n, err
}

// backends returns the pids of the server processes serving the database
// (the server must run on this machine for their CPU time to be read).
func (d *database) backends(ctx context.Context) ([]int, error) {
	rows, err := d.admin.QueryContext(ctx, "SELECT pid FROM pg_stat_activity WHERE datname = $1", d.name)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []int
	for rows.Next() {
		var pid int
		if err := rows.Scan(&pid); err != nil {
			return nil, err
		}
		out = append(out, pid)
	}
	return out, rows.Err()
}

// drop removes the database, disconnecting whoever is still on it.
func (d *database) drop() error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	defer d.admin.Close()
	if _, err := d.admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+d.name+" WITH (FORCE)"); err != nil {
		return fmt.Errorf("loadtest: drop database %s: %w", d.name, err)
	}
	return nil
}

// redactURL hides a password in a URL for messages.
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "(unparsable URL)"
	}
	return u.Redacted()
}

// keyspace is the run's own Redis key prefix, deleted at the end.
type keyspace struct {
	c      *redis.Client
	Prefix string
}

func openKeyspace(ctx context.Context, redisURL string) (*keyspace, error) {
	opt, err := redis.ParseURL(redisURL)
	if err != nil {
		return nil, fmt.Errorf("loadtest: --redis: %w", err)
	}
	c := redis.NewClient(opt)
	pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := c.Ping(pctx).Err(); err != nil {
		c.Close()
		return nil, fmt.Errorf("loadtest: redis at %s: %w", redactURL(redisURL), err)
	}
	return &keyspace{c: c, Prefix: randomName("anttbot_load:") + ":"}, nil
}

// commands returns the commands the Redis server processed so far (all
// clients: the server may be shared).
func (k *keyspace) commands(ctx context.Context) (int64, error) {
	if k == nil {
		return 0, nil
	}
	info, err := k.c.Info(ctx, "stats").Result()
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(info, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "total_commands_processed:"); ok {
			return strconv.ParseInt(v, 10, 64)
		}
	}
	return 0, fmt.Errorf("loadtest: redis INFO has no total_commands_processed")
}

// pid returns the Redis server's process id.
func (k *keyspace) pid(ctx context.Context) (int, error) {
	if k == nil {
		return 0, nil
	}
	info, err := k.c.Info(ctx, "server").Result()
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(info, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "process_id:"); ok {
			return strconv.Atoi(v)
		}
	}
	return 0, fmt.Errorf("loadtest: redis INFO has no process_id")
}

// clean deletes every key of the prefix and returns how many there were.
func (k *keyspace) clean() (int, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	defer k.c.Close()
	n := 0
	iter := k.c.Scan(ctx, 0, k.Prefix+"*", 1000).Iterator()
	for iter.Next(ctx) {
		if err := k.c.Del(ctx, iter.Val()).Err(); err != nil {
			return n, fmt.Errorf("loadtest: clean redis prefix: %w", err)
		}
		n++
	}
	return n, iter.Err()
}

// memory reads VmRSS and VmHWM (peak RSS) of a process from /proc, in bytes;
// pid 0 is this process.
func memory(pid int) (rss, peak int64, err error) {
	path := "/proc/self/status"
	if pid > 0 {
		path = "/proc/" + strconv.Itoa(pid) + "/status"
	}
	f, err := os.Open(path)
	if err != nil {
		return 0, 0, fmt.Errorf("loadtest: read memory: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok || (k != "VmRSS" && k != "VmHWM") {
			continue
		}
		kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		if k == "VmRSS" {
			rss = kb << 10
		} else {
			peak = kb << 10
		}
	}
	return rss, peak, sc.Err()
}

// countingHandler counts the service's error log records (each one is an
// update or a send that went wrong) and passes records on.
type countingHandler struct {
	slog.Handler
	errors *atomic.Int64
}

func (h countingHandler) Handle(ctx context.Context, r slog.Record) error {
	if r.Level >= slog.LevelError {
		h.errors.Add(1)
	}
	return h.Handler.Handle(ctx, r)
}

func (h countingHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= slog.LevelError || h.Handler.Enabled(ctx, l)
}

func (h countingHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return countingHandler{h.Handler.WithAttrs(as), h.errors}
}

func (h countingHandler) WithGroup(name string) slog.Handler {
	return countingHandler{h.Handler.WithGroup(name), h.errors}
}

// clockTick is Linux's USER_HZ, the unit of /proc/<pid>/stat CPU times.
const clockTick = 10 * time.Millisecond

// cpuTime returns the user+system CPU time a process has used (0 when it
// cannot be read: gone, or on another machine); pid 0 is this process.
func cpuTime(pid int) time.Duration {
	path := "/proc/self/stat"
	if pid > 0 {
		path = "/proc/" + strconv.Itoa(pid) + "/stat"
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	// Fields after the command name, which is in parentheses and may hold spaces.
	_, rest, ok := strings.Cut(string(b), ") ")
	if !ok {
		return 0
	}
	f := strings.Fields(rest)
	if len(f) < 13 {
		return 0
	}
	user, _ := strconv.ParseInt(f[11], 10, 64)
	sys, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(user+sys) * clockTick
}

// cpuMeter measures the CPU time of this process, an external service, the
// database's backends and the Redis server over an interval.
type cpuMeter struct {
	db       *database
	redis    int
	svc      int
	self     time.Duration
	svcStart time.Duration
	pg       map[int]time.Duration
	rd       time.Duration
}

func startCPU(ctx context.Context, db *database, ks *keyspace, svcPID int) *cpuMeter {
	m := &cpuMeter{db: db, pg: map[int]time.Duration{}, svc: svcPID}
	m.redis, _ = ks.pid(ctx)
	m.self = cpuTime(0)
	if m.redis > 0 {
		m.rd = cpuTime(m.redis)
	}
	if svcPID > 0 {
		m.svcStart = cpuTime(svcPID)
	}
	pids, _ := db.backends(ctx)
	for _, p := range pids {
		m.pg[p] = cpuTime(p)
	}
	return m
}

// stop returns the CPU time used since start by this process, the external
// service, the database's backends (those still connected) and Redis.
func (m *cpuMeter) stop(ctx context.Context) (self, svc, pg, rd time.Duration) {
	self = cpuTime(0) - m.self
	if m.redis > 0 {
		rd = cpuTime(m.redis) - m.rd
	}
	if m.svc > 0 {
		svc = cpuTime(m.svc) - m.svcStart
	}
	pids, _ := m.db.backends(ctx)
	for _, p := range pids {
		pg += cpuTime(p) - m.pg[p]
	}
	return self, svc, pg, rd
}
