package loadtest

import (
	"bytes"
	"context"
	"database/sql"
	"strings"
	"testing"
	"time"

	"github.com/anttbot/anttbot/bot/zalo/zalotest"
	"github.com/anttbot/anttbot/internal/testenv"
)

// services skips (or fails in CI) when PostgreSQL or Redis is missing.
func services(t *testing.T) (pg, redisURL string) {
	t.Helper()
	testenv.Redis(t)
	db, err := sql.Open("pgx", testenv.PostgresAdmin())
	if err == nil {
		err = db.Ping()
		db.Close()
	}
	if err != nil {
		testenv.Unavailable(t, "PostgreSQL", err)
	}
	return testenv.PostgresAdmin(), testenv.RedisURL()
}

// TestLoadSmoke runs the tool briefly on both channels: no error, and every
// confirmed report stored exactly once.
func TestLoadSmoke(t *testing.T) {
	pg, rd := services(t)
	for _, tc := range []struct {
		name    string
		channel string
	}{
		{name: "telegram webhook", channel: "telegram"},
		{name: "zalo signed webhook", channel: "zalo"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var log bytes.Buffer
			// A short think time: a reply sent within a millisecond of a Zalo
			// numbered list can race the adapter remembering its choices
			// (BENCHMARKS.md, "Zalo errors"); a person never answers that fast.
			res, err := Run(context.Background(), Config{
				Channel: tc.channel, PG: pg, Redis: rd, Members: 5, Duration: 2 * time.Second,
				Think: 20 * time.Millisecond, Log: &log,
			})
			if err != nil {
				t.Fatalf("run: %v\nservice log:\n%s", err, log.String())
			}
			if res.Errors != 0 || res.ServiceErrors != 0 {
				t.Fatalf("%d step errors (%q), %d service errors; log:\n%s", res.Errors, res.ErrorSamples, res.ServiceErrors, log.String())
			}
			if res.Flows == 0 || res.Steps < res.Flows*11 {
				t.Fatalf("%d flows in %d steps: the members did not get through", res.Flows, res.Steps)
			}
			if !res.RowsOK() || res.RowsStored != res.Flows {
				t.Fatalf("%d submissions stored for %d confirmed reports", res.RowsStored, res.RowsExpected)
			}
			if res.Latency.P50 <= 0 || res.Latency.P99 < res.Latency.P50 || res.Latency.Max < res.Latency.P99 {
				t.Fatalf("latencies out of order: %+v", res.Latency)
			}
			var out bytes.Buffer
			res.Print(&out)
			if !strings.Contains(out.String(), "steps/s") {
				t.Fatalf("report without throughput:\n%s", out.String())
			}
		})
	}
}

// TestBroadcastSmoke queues a few reminders through the delivery queue: all
// delivered once, near the configured rate.
func TestBroadcastSmoke(t *testing.T) {
	pg, rd := services(t)
	var log bytes.Buffer
	res, err := Run(context.Background(), Config{
		Channel: "telegram", PG: pg, Redis: rd, Members: 1, Broadcast: 40, Rate: 40, Log: &log,
	})
	if err != nil {
		t.Fatalf("run: %v\nservice log:\n%s", err, log.String())
	}
	b := res.Broadcast
	if b == nil || b.Lost() != 0 || b.Duplicates != 0 {
		t.Fatalf("broadcast lost or duplicated messages: %+v\nlog:\n%s", b, log.String())
	}
	if b.Rate > 1.1*float64(b.Limit) {
		t.Fatalf("broadcast at %.1f/s exceeds the %d/s limit", b.Rate, b.Limit)
	}
}

func TestWindow(t *testing.T) {
	t0 := time.Unix(1000, 0)
	tests := []struct {
		name  string
		limit int
		at    []time.Duration // offsets of arrivals
		want  []bool
	}{
		{name: "no limit", limit: 0, at: []time.Duration{0, 0, 0}, want: []bool{true, true, true}},
		{name: "third in one second refused", limit: 2, at: []time.Duration{0, 100 * time.Millisecond, 900 * time.Millisecond}, want: []bool{true, true, false}},
		{name: "a second later allowed", limit: 2, at: []time.Duration{0, 100 * time.Millisecond, time.Second}, want: []bool{true, true, true}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := newWindow(tc.limit)
			for i, d := range tc.at {
				if got := w.allow(t0.Add(d)); got != tc.want[i] {
					t.Fatalf("arrival %d at +%s: allow = %v, want %v", i, d, got, tc.want[i])
				}
			}
		})
	}
}

// TestZaloSignMatchesFake keeps the tool's signature identical to the one
// the Zalo test kit (and the adapter's tests) use.
func TestZaloSignMatchesFake(t *testing.T) {
	body := []byte(`{"app_id":"1","timestamp":"1700000000000"}`)
	if got, want := zaloSign("1", body, "1700000000000", "k"), zalotest.Sign("1", body, "1700000000000", "k"); got != want {
		t.Fatalf("zaloSign = %s, zalotest.Sign = %s", got, want)
	}
}

func TestPercentiles(t *testing.T) {
	var ds []time.Duration
	for i := 100; i >= 1; i-- {
		ds = append(ds, time.Duration(i)*time.Millisecond)
	}
	got := percentiles(ds)
	want := Latency{P50: 50 * time.Millisecond, P95: 95 * time.Millisecond, P99: 99 * time.Millisecond, Max: 100 * time.Millisecond}
	if got != want {
		t.Fatalf("percentiles = %+v, want %+v", got, want)
	}
}

func TestLoadScript(t *testing.T) {
	tests := []struct {
		name    string
		doc     string
		channel string
		wantErr string
	}{
		{name: "embedded telegram", doc: string(defaultScript), channel: "telegram"},
		{name: "embedded zalo", doc: string(defaultScript), channel: "zalo"},
		{name: "unknown channel", doc: string(defaultScript), channel: "viber", wantErr: "no flow"},
		{name: "step with two actions", doc: "[[telegram.flow]]\nsend = \"a\"\ntap = \"b\"\nexpect = \"c\"\n", channel: "telegram", wantErr: "exactly one"},
		{name: "step without expect", doc: "[[telegram.flow]]\nsend = \"a\"\n", channel: "telegram", wantErr: "exactly one"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := loadScript([]byte(tc.doc), tc.channel)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want it to mention %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			stores := 0
			for _, st := range s.Flow {
				if st.Stores {
					stores++
				}
			}
			if stores != 1 {
				t.Fatalf("%d storing steps in the %s flow, want 1", stores, tc.channel)
			}
		})
	}
}
