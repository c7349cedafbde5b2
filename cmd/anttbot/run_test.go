package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/anttbot/anttbot/config"
	"github.com/anttbot/anttbot/internal/testenv"
	"github.com/anttbot/anttbot/store"
)

// freeAddr returns a loopback address nothing listens on.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

func TestServeStartsOnEmbeddedDefaults(t *testing.T) {
	// No config file and no ANTTBOT_ variable: the embedded default, run from
	// an empty working directory so ./data is the test's own.
	t.Chdir(t.TempDir())
	// The zero-config default listens on 127.0.0.1:8080: a service already
	// there (a "make run" left running) would answer in its place.
	if l, err := net.Listen("tcp", "127.0.0.1:8080"); err != nil {
		t.Fatalf("127.0.0.1:8080 is taken by another process, and the embedded default listens there: %v", err)
	} else {
		l.Close()
	}
	ctx, cancel := context.WithCancel(context.Background())
	var stderr testenv.Buffer // the service logs into it while the test reads
	done := make(chan int, 1)
	go func() { done <- run(ctx, []string{"serve"}, nil, &bytes.Buffer{}, &stderr) }()
	defer func() {
		cancel()
		select {
		case code := <-done:
			if code != 0 {
				t.Errorf("serve exited %d:\n%s", code, stderr.String())
			}
		case <-time.After(40 * time.Second):
			t.Error("serve did not stop within 40s of the signal")
		}
	}()
	var resp *http.Response
	var err error
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if resp, err = http.Get("http://127.0.0.1:8080/healthz"); err == nil {
			break
		}
	}
	if err != nil {
		t.Fatalf("GET /healthz: %v\n%s", err, stderr.String())
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("/healthz = %s", resp.Status)
	}
	people, err := http.Get("http://127.0.0.1:8080/api/people")
	if err != nil {
		t.Fatal(err)
	}
	defer people.Body.Close()
	var body bytes.Buffer
	body.ReadFrom(people.Body)
	if !strings.Contains(body.String(), "Công an xã") {
		t.Errorf("the simulator should list the demo organisation, got %s", body.String())
	}
	if _, err := os.Stat(filepath.Join("data", "anttbot.db")); err != nil {
		t.Errorf("embedded default should store in ./data/anttbot.db: %v", err)
	}
	if !strings.Contains(stderr.String(), "embedded defaults") || !strings.Contains(stderr.String(), "http://127.0.0.1:8080/") {
		t.Errorf("first log lines should say it runs on embedded defaults and give the URL:\n%s", stderr.String())
	}
}

func TestInvalidConfigNamesTheKey(t *testing.T) {
	var stderr bytes.Buffer
	code := run(context.Background(), []string{"serve"}, []string{
		"ANTTBOT_DATABASE_DRIVER=mysql", "ANTTBOT_TELEGRAM_ENABLED=true", "ANTTBOT_TELEGRAM_TOKEN=",
	}, &bytes.Buffer{}, &stderr)
	if code == 0 {
		t.Fatal("an invalid config must stop the start")
	}
	for _, want := range []string{"database.driver", "telegram.token"} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("message should name %s:\n%s", want, stderr.String())
		}
	}
}

func TestSecretIsNeverPrinted(t *testing.T) {
	t.Chdir(t.TempDir())
	secret := "123456:AAE-very-secret-token-value-xyz"
	var stderr bytes.Buffer
	// telegram.mode=webhook without webhook_url fails validation after loading the token.
	code := run(context.Background(), []string{"serve"}, []string{
		"ANTTBOT_TELEGRAM_ENABLED=true", "ANTTBOT_TELEGRAM_TOKEN=" + secret, "ANTTBOT_TELEGRAM_MODE=webhook",
	}, &bytes.Buffer{}, &stderr)
	if code == 0 {
		t.Fatal("expected a validation failure")
	}
	if strings.Contains(stderr.String(), secret) || strings.Contains(stderr.String(), "very-secret") {
		t.Fatalf("the token leaked into the output:\n%s", stderr.String())
	}
}

// orgDump lists units and people in a database-independent form.
func orgDump(t *testing.T, env []string) string {
	t.Helper()
	ctx := context.Background()
	cfg, _, ok := loadConfigForTest(t, env)
	if !ok {
		t.Fatal("config")
	}
	st, err := store.Open(ctx, cfg.Database.Driver, cfg.DatabaseDSN())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var units []store.Unit
	if err := st.DB().WithContext(ctx).Find(&units).Error; err != nil {
		t.Fatal(err)
	}
	byID := map[int64]store.Unit{}
	for _, u := range units {
		byID[u.ID] = u
	}
	path := func(id int64) string {
		var parts []string
		for u, ok := byID[id]; ok; u, ok = byID[derefID(u.ParentID)] {
			parts = append([]string{string(u.Level) + ":" + u.Name}, parts...)
		}
		return strings.Join(parts, "/")
	}
	var lines []string
	for _, u := range units {
		lines = append(lines, "unit "+path(u.ID)+" code="+u.Code)
	}
	var people []store.Person
	if err := st.DB().WithContext(ctx).Find(&people).Error; err != nil {
		t.Fatal(err)
	}
	for _, p := range people {
		lines = append(lines, fmt.Sprintf("person %s %s %s at %s", p.Phone, p.Name, p.Role, path(p.UnitID)))
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}

func derefID(p *int64) int64 {
	if p == nil {
		return 0
	}
	return *p
}

func TestImportGivesTheSameOrganisationOnPostgresAndSQLite(t *testing.T) {
	pg := []string{"ANTTBOT_DATABASE_DRIVER=postgres", "ANTTBOT_DATABASE_DSN=" + testenv.Postgres(t)}
	lite := []string{"ANTTBOT_DATABASE_DRIVER=sqlite", "ANTTBOT_DATABASE_DSN=" + filepath.Join(t.TempDir(), "org.db")}
	for _, file := range []string{"../../examples/to-chuc-mau.xlsx", "../../examples/to-chuc-mau.csv"} {
		for _, env := range [][]string{pg, lite} {
			var out, errb bytes.Buffer
			if code := run(context.Background(), []string{"import", file}, env, &out, &errb); code != 0 {
				t.Fatalf("import %s (%s): exit %d\n%s", file, env[0], code, errb.String())
			}
		}
	}
	a, b := orgDump(t, pg), orgDump(t, lite)
	if a != b {
		t.Fatalf("PostgreSQL and SQLite differ:\n--- postgres\n%s\n--- sqlite\n%s", a, b)
	}
	if n := strings.Count(a, "person "); n < 20 {
		t.Fatalf("expected the example's ~25 people, got %d:\n%s", n, a)
	}
	// Importing the xlsx and then the csv (same content) changed nothing the second time.
	var out bytes.Buffer
	run(context.Background(), []string{"import", "../../examples/to-chuc-mau.csv"}, lite, &out, &bytes.Buffer{})
	if orgDump(t, lite) != b {
		t.Fatal("re-importing the same file changed the organisation")
	}
}

func TestImportWithBadRowsImportsNothingAndListsThemAll(t *testing.T) {
	env := []string{"ANTTBOT_DATABASE_DRIVER=sqlite", "ANTTBOT_DATABASE_DSN=" + filepath.Join(t.TempDir(), "org.db")}
	var out, errb bytes.Buffer
	code := run(context.Background(), []string{"import", "../../orgimport/testdata/bad-rows.csv"}, env, &out, &errb)
	if code == 0 {
		t.Fatalf("a file with bad rows must fail; output:\n%s", out.String())
	}
	msg := errb.String()
	if strings.Count(msg, "\n") < 3 {
		t.Errorf("every bad row should be listed, got:\n%s", msg)
	}
	if dump := orgDump(t, env); strings.Contains(dump, "person ") {
		t.Fatalf("nothing may be imported from a file with bad rows, found:\n%s", dump)
	}
}

func TestVersionAndUnknownCommand(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"version"}, nil, &out, &errb); code != 0 || !strings.HasPrefix(out.String(), "anttbot ") {
		t.Fatalf("version: code %d out %q", code, out.String())
	}
	if code := run(context.Background(), []string{"frobnicate"}, nil, &out, &errb); code != 2 {
		t.Fatalf("unknown command: code %d, want 2", code)
	}
}

func loadConfigForTest(t *testing.T, env []string) (config.Config, []string, bool) {
	t.Helper()
	var errb bytes.Buffer
	cfg, rest, ok := loadConfig(flag.NewFlagSet("test", flag.ContinueOnError), nil, env, &errb)
	if !ok {
		t.Fatalf("config: %s", errb.String())
	}
	return cfg, rest, ok
}

func TestReportAndScheduleCommands(t *testing.T) {
	env := []string{"ANTTBOT_DATABASE_DRIVER=sqlite", "ANTTBOT_DATABASE_DSN=" + filepath.Join(t.TempDir(), "org.db")}
	ctx := context.Background()
	var out, errb bytes.Buffer
	if code := run(ctx, []string{"import", "../../examples/to-chuc-mau.csv"}, env, &out, &errb); code != 0 {
		t.Fatalf("import: %s", errb.String())
	}
	out.Reset()
	if code := run(ctx, []string{"report", "--unit", "Tỉnh Hải Dương", "--period", "dot2", "--format", "text"}, env, &out, &errb); code != 0 {
		t.Fatalf("report: exit %d\n%s", code, errb.String())
	}
	if !strings.Contains(out.String(), "Đợt 2") || !strings.Contains(out.String(), "Tỉnh Hải Dương") {
		t.Fatalf("report text should be the province scorecard for Đợt 2:\n%s", out.String())
	}
	png := filepath.Join(t.TempDir(), "chart.png")
	if code := run(ctx, []string{"report", "--unit", "Tỉnh Hải Dương", "--period", "ca", "--format", "png", "--out", png}, env, &out, &errb); code != 0 {
		t.Fatalf("report png: %s", errb.String())
	}
	if data, err := os.ReadFile(png); err != nil || !bytes.HasPrefix(data, []byte("\x89PNG")) {
		t.Fatalf("report --format png wrote no PNG: %v", err)
	}
	if code := run(ctx, []string{"report", "--unit", "Tỉnh Hải Dương", "--period", "dot9"}, env, &out, &errb); code == 0 {
		t.Fatal("an unknown period must fail")
	}
	out.Reset()
	if code := run(ctx, []string{"schedule", "list"}, env, &out, &errb); code != 0 {
		t.Fatalf("schedule list: exit %d\n%s", code, errb.String())
	}
	for _, job := range []string{"leader_reminder", "police_digest", "phase_summary"} {
		if !strings.Contains(out.String(), job) {
			t.Errorf("schedule list should show %s:\n%s", job, out.String())
		}
	}
	out.Reset()
	if code := run(ctx, []string{"schedule", "run", "leader_reminder", "--period", "2025-03", "--dry-run"}, env, &out, &errb); code != 0 {
		t.Fatalf("schedule dry run: exit %d\n%s", code, errb.String())
	}
	if !strings.Contains(out.String(), "Nhắc việc tháng 03/2025") {
		t.Fatalf("dry run should print the reminders it would send:\n%s", out.String())
	}
}

func TestNoChannelEnabledIsExplained(t *testing.T) {
	// A configuration (so no demo, no simulator by default) that enables no
	// channel would serve nobody: it must stop with a message saying what to set.
	t.Chdir(t.TempDir())
	var stderr testenv.Buffer
	code := run(context.Background(), []string{"serve"}, []string{
		"ANTTBOT_APP_HTTP_ADDR=" + freeAddr(t), "ANTTBOT_DATABASE_DRIVER=sqlite",
	}, &bytes.Buffer{}, &stderr)
	if code == 0 {
		t.Fatal("a service with no channel must not start")
	}
	for _, want := range []string{"no channel is enabled", "telegram.enabled", "zalo.enabled", "simulator.enabled"} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("message should say %q:\n%s", want, stderr.String())
		}
	}
}

func TestMigrateAppliesEverySchemaOnceAndAgainIsANoOp(t *testing.T) {
	for _, env := range [][]string{
		{"ANTTBOT_DATABASE_DRIVER=postgres", "ANTTBOT_DATABASE_DSN=" + testenv.Postgres(t)},
		{"ANTTBOT_DATABASE_DRIVER=sqlite", "ANTTBOT_DATABASE_DSN=" + filepath.Join(t.TempDir(), "m.db")},
	} {
		var outs []string
		for range 2 {
			var out, errb bytes.Buffer
			if code := run(context.Background(), []string{"migrate"}, env, &out, &errb); code != 0 {
				t.Fatalf("migrate (%s): exit %d\n%s", env[0], code, errb.String())
			}
			if !strings.Contains(out.String(), "database schema at version") {
				t.Fatalf("migrate (%s) said %q", env[0], out.String())
			}
			outs = append(outs, out.String()+errb.String())
		}
		// The first run applied the delivery queue's tables too, the second nothing.
		if !strings.Contains(outs[0], "river migration applied") || strings.Contains(outs[1], "migration applied") {
			t.Fatalf("migrate (%s): first run:\n%s\nsecond run:\n%s", env[0], outs[0], outs[1])
		}
		st, err := store.Open(context.Background(), strings.TrimPrefix(env[0], "ANTTBOT_DATABASE_DRIVER="), strings.TrimPrefix(env[1], "ANTTBOT_DATABASE_DSN="))
		testenv.Must(t, "open", err)
		var n int64
		testenv.Must(t, "river_job", st.DB().Raw("SELECT count(*) FROM river_job").Scan(&n).Error)
		st.Close()
	}
}

func TestHelpOfEveryCommandPrintsHelpAndDoesNothingElse(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	for _, cmd := range []string{"serve", "migrate", "import", "invite", "report", "schedule", "org", "campaign", "healthcheck"} {
		for _, h := range []string{"--help", "-h", "-help"} {
			var stdout, stderr bytes.Buffer
			// An unreachable database: a command that went on would fail.
			env := []string{"ANTTBOT_DATABASE_DRIVER=postgres", "ANTTBOT_DATABASE_DSN=postgres://nobody@127.0.0.1:1/none"}
			if code := run(context.Background(), []string{cmd, "--config", "missing.toml", h}, env, &stdout, &stderr); code != 0 {
				t.Errorf("%s %s: exit %d, stderr:\n%s", cmd, h, code, stderr.String())
			}
			if !strings.Contains(stdout.String(), "anttbot "+cmd) && !strings.Contains(stdout.String(), "anttbot ["+cmd+"]") {
				t.Errorf("%s %s printed no help of its own:\n%s", cmd, h, stdout.String())
			}
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("--help created %v in the working directory", entries)
	}
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), []string{"schedule", "--help"}, nil, &stdout, &stderr); code != 0 || !strings.Contains(stdout.String(), "schedule run <job>") {
		t.Errorf("schedule --help: exit %d, stdout:\n%s", code, stdout.String())
	}
}
