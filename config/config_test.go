package config

import (
	"log/slog"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestDefaultsValid(t *testing.T) {
	if err := Default().Validate(); err != nil {
		t.Fatalf("Default().Validate():\n%v", err)
	}
}

func TestLoadWithoutFileOrEnv(t *testing.T) {
	env := []string{
		"PATH=/usr/bin",
		"ANTTBOT_CONFIG=/etc/anttbot.toml",                     // read by the command, not a setting
		"ANTTBOT_TEST_POSTGRES=postgres://postgres@127.0.0.1/", // test helper, not a setting
	}
	cfg, err := Load("", env)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if !cfg.IsEmbeddedDefault() {
		t.Error("IsEmbeddedDefault() = false, want true with no file and no setting variable")
	}
	want := Default()
	want.embeddedDefault = true
	if !reflect.DeepEqual(cfg, want) {
		t.Errorf("Load(\"\", nil) differs from Default():\n got %v\nwant %v", cfg, want)
	}
	if Default().IsEmbeddedDefault() {
		t.Error("Default().IsEmbeddedDefault() = true, want false")
	}
}

func TestLoadFile(t *testing.T) {
	cfg, err := Load("testdata/full.toml", nil)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if cfg.IsEmbeddedDefault() {
		t.Error("IsEmbeddedDefault() = true with a config file")
	}
	tests := []struct {
		name string
		got  any
		want any
	}{
		{name: "string", got: cfg.App.HTTPAddr, want: ":9090"},
		{name: "bool true", got: cfg.Telegram.Enabled, want: true},
		{name: "bool false", got: cfg.Metrics.Enabled, want: false},
		{name: "int", got: cfg.Database.MaxOpenConns, want: 5},
		{name: "duration", got: cfg.Session.TTL, want: 48 * time.Hour},
		{name: "nested table", got: cfg.Zalo.ZNS.TemplateID, want: "231456"},
		{name: "untouched key keeps default", got: cfg.Zalo.ZNS.APIURL, want: "https://business.openapi.zalo.me"},
		{name: "untouched section keeps default", got: cfg.Delivery.Workers, want: 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.got != tt.want {
				t.Errorf("got %v, want %v", tt.got, tt.want)
			}
		})
	}
	if err := cfg.Validate(); err != nil {
		t.Errorf("Validate:\n%v", err)
	}
}

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name string
		path string
		env  []string
		want []string
		not  []string
	}{
		{
			name: "unknown keys are named",
			path: "testdata/unknown_keys.toml",
			want: []string{
				`unknown key "app.http_adr"`,
				`unknown key "telegram.tokne"`,
				`unknown key "zalo.zns.template"`,
				`unknown key "nosuchsection"`,
			},
			not: []string{`"nosuchsection.a"`}, // an unknown table is reported once
		},
		{
			name: "integer durations",
			path: "testdata/int_duration.toml",
			want: []string{
				`session.ttl: write a duration as a quoted string`,
				`zalo.interaction_window: write a duration as a quoted string`,
			},
		},
		{name: "wrong type", path: "testdata/bad_type.toml", want: []string{"testdata/bad_type.toml", "session.max_text_len"}},
		{name: "syntax error", path: "testdata/bad_syntax.toml", want: []string{"testdata/bad_syntax.toml", "line 2"}},
		{name: "missing file", path: "testdata/does_not_exist.toml", want: []string{"read testdata/does_not_exist.toml"}},
		{name: "file ok, env bad", path: "testdata/full.toml", env: []string{"ANTTBOT_SESSION_TTL=forever"}, want: []string{"ANTTBOT_SESSION_TTL"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(tt.path, tt.env)
			if err == nil {
				t.Fatal("Load succeeded, want an error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error does not contain %q:\n%v", w, err)
				}
			}
			for _, n := range tt.not {
				if strings.Contains(err.Error(), n) {
					t.Errorf("error contains %q:\n%v", n, err)
				}
			}
		})
	}
}

func TestLocation(t *testing.T) {
	cfg := Default()
	loc := cfg.Location()
	if loc.String() != "Asia/Ho_Chi_Minh" {
		t.Fatalf("Location() = %v", loc)
	}
	// 2024-08-19 00:00 in Hanoi is the campaign's first instant: 17:00 UTC the day before.
	start := time.Date(2024, 8, 19, 0, 0, 0, 0, loc)
	if got := start.UTC(); !got.Equal(time.Date(2024, 8, 18, 17, 0, 0, 0, time.UTC)) {
		t.Errorf("campaign start in UTC = %v", got)
	}
	cfg.App.Timezone = "Mars/Olympus"
	if got := cfg.Location(); got != time.UTC {
		t.Errorf("Location() with a bad zone = %v, want UTC", got)
	}
}

func TestDatabaseDSN(t *testing.T) {
	tests := []struct {
		name   string
		driver string
		dsn    string
		data   string
		want   string
	}{
		{name: "sqlite default", driver: DriverSQLite, data: "/var/lib/anttbot", want: "/var/lib/anttbot/anttbot.db"},
		{name: "sqlite explicit", driver: DriverSQLite, dsn: "file:/tmp/x.db", data: "/var/lib/anttbot", want: "file:/tmp/x.db"},
		{name: "postgres", driver: DriverPostgres, dsn: "postgres://h/db", want: "postgres://h/db"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := Default()
			cfg.Database.Driver, cfg.Database.DSN, cfg.App.DataDir = tt.driver, tt.dsn, tt.data
			if got := cfg.DatabaseDSN(); got != tt.want {
				t.Errorf("DatabaseDSN() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestPublicBaseURL(t *testing.T) {
	tests := []struct {
		name   string
		addr   string
		public string
		want   string
	}{
		{name: "derived", addr: "127.0.0.1:8080", want: "http://127.0.0.1:8080"},
		{name: "all interfaces", addr: ":8080", want: "http://localhost:8080"},
		{name: "ipv6 wildcard", addr: "[::]:8080", want: "http://localhost:8080"},
		{name: "explicit", addr: ":8080", public: "https://bot.example.vn/", want: "https://bot.example.vn"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := Default()
			cfg.App.HTTPAddr, cfg.App.PublicURL = tt.addr, tt.public
			if got := cfg.PublicBaseURL(); got != tt.want {
				t.Errorf("PublicBaseURL() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestInQuietHours(t *testing.T) {
	loc := Default().Location()
	at := func(h, m int) time.Time { return time.Date(2025, 3, 1, h, m, 0, 0, loc) }
	tests := []struct {
		name       string
		start, end string
		t          time.Time
		want       bool
	}{
		{name: "evening inside", start: "21:00", end: "07:00", t: at(22, 30), want: true},
		{name: "at start", start: "21:00", end: "07:00", t: at(21, 0), want: true},
		{name: "before start", start: "21:00", end: "07:00", t: at(20, 59), want: false},
		{name: "early morning inside", start: "21:00", end: "07:00", t: at(6, 59), want: true},
		{name: "at end", start: "21:00", end: "07:00", t: at(7, 0), want: false},
		{name: "midday", start: "21:00", end: "07:00", t: at(12, 0), want: false},
		{name: "same-day window", start: "12:00", end: "13:30", t: at(13, 0), want: true},
		{name: "same-day window outside", start: "12:00", end: "13:30", t: at(14, 0), want: false},
		{name: "equal bounds disable", start: "07:00", end: "07:00", t: at(7, 0), want: false},
		{name: "invalid bounds disable", start: "9pm", end: "07:00", t: at(23, 0), want: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := Schedule{QuietStart: tt.start, QuietEnd: tt.end}
			if got := s.InQuietHours(tt.t); got != tt.want {
				t.Errorf("InQuietHours(%s) = %v, want %v", tt.t.Format("15:04"), got, tt.want)
			}
		})
	}
}

func TestSlogLevel(t *testing.T) {
	tests := []struct {
		name  string
		level string
		want  slog.Level
	}{
		{name: "debug", level: "debug", want: slog.LevelDebug},
		{name: "info", level: "info", want: slog.LevelInfo},
		{name: "warn", level: "warn", want: slog.LevelWarn},
		{name: "error", level: "error", want: slog.LevelError},
		{name: "invalid", level: "loud", want: slog.LevelInfo},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := (Log{Level: tt.level}).SlogLevel(); got != tt.want {
				t.Errorf("SlogLevel() = %v, want %v", got, tt.want)
			}
		})
	}
}
