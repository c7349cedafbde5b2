// Package config is the service configuration: built-in defaults, then a TOML file, then
// ANTTBOT_<SECTION>_<KEY> environment variables, checked by Validate.
//
// Typical use:
//
//	cfg, err := config.Load(path, os.Environ())
//	if err != nil { ... }
//	if err := cfg.Validate(); err != nil { ... } // lists every problem, one per line
//	logger.Info("config loaded", "config", cfg) // secrets are redacted
//
// config.example.toml at the repository root documents every key; a test keeps it in step
// with this package.
package config

import (
	"fmt"
	"log/slog"
	"net"
	"path/filepath"
	"strings"
	"time"

	// Embed the time zone database: minimal container images have none, and every
	// schedule and campaign date depends on Asia/Ho_Chi_Minh resolving.
	_ "time/tzdata"
)

// Database drivers.
const (
	DriverSQLite   = "sqlite"
	DriverPostgres = "postgres"
)

// Telegram update modes.
const (
	ModePolling = "polling"
	ModeWebhook = "webhook"
)

// Log formats.
const (
	LogText = "text"
	LogJSON = "json"
)

// Config is the whole service configuration. The toml tags are the key names in the file
// and, upper-cased and joined with "_", in the environment.
type Config struct {
	App       App       `toml:"app"`
	Log       Log       `toml:"log"`
	Database  Database  `toml:"database"`
	Redis     Redis     `toml:"redis"`
	Session   Session   `toml:"session"`
	Telegram  Telegram  `toml:"telegram"`
	Zalo      Zalo      `toml:"zalo"`
	Simulator Simulator `toml:"simulator"`
	Campaign  Campaign  `toml:"campaign"`
	Delivery  Delivery  `toml:"delivery"`
	Throttle  Throttle  `toml:"throttle"`
	Schedule  Schedule  `toml:"schedule"`
	Metrics   Metrics   `toml:"metrics"`
	Web       Web       `toml:"web"`

	// embeddedDefault is set by Load when neither a file nor an ANTTBOT_ variable was given.
	embeddedDefault bool
}

// App holds general service settings.
type App struct {
	HTTPAddr      string `toml:"http_addr"`      // listen address of the HTTP server
	PublicURL     string `toml:"public_url"`     // base of links sent to users; "" = derived from HTTPAddr
	Timezone      string `toml:"timezone"`       // IANA zone of campaign dates and schedules
	DefaultLocale string `toml:"default_locale"` // language for users whose language is unknown
	DataDir       string `toml:"data_dir"`       // local files, including the default SQLite database
}

// Log holds logging settings.
type Log struct {
	Level  string `toml:"level"`  // debug, info, warn or error
	Format string `toml:"format"` // text or json
}

// Database selects and configures the SQL store.
type Database struct {
	Driver       string `toml:"driver"`         // sqlite or postgres
	DSN          string `toml:"dsn"`            // secret (password part); "" = <data_dir>/anttbot.db for sqlite
	MaxOpenConns int    `toml:"max_open_conns"` // connection pool size
}

// Redis configures the shared session store, de-duplication, rate limits and locks.
type Redis struct {
	URL       string `toml:"url"`        // secret (password part); "" = in-process store, one replica only
	KeyPrefix string `toml:"key_prefix"` // prefix of every key the service writes
}

// Session configures conversations in progress.
type Session struct {
	TTL              time.Duration `toml:"ttl"`                 // an untouched draft is dropped after this
	IdleReminder     time.Duration `toml:"idle_reminder"`       // remind a user who left a draft this long
	MaxTextLen       int           `toml:"max_text_len"`        // longest free text accepted in a report, in characters
	MaxReportAgeDays int           `toml:"max_report_age_days"` // how far back a reported event may date
}

// Telegram configures the Telegram channel.
type Telegram struct {
	Enabled          bool   `toml:"enabled"`
	Token            string `toml:"token"` // secret, from @BotFather
	APIURL           string `toml:"api_url"`
	Mode             string `toml:"mode"`           // polling or webhook
	WebhookURL       string `toml:"webhook_url"`    // public HTTPS URL Telegram posts updates to
	WebhookSecret    string `toml:"webhook_secret"` // secret, sent back in X-Telegram-Bot-Api-Secret-Token
	WebhookPath      string `toml:"webhook_path"`   // path the HTTP server serves the webhook on
	RateGlobalPerSec int    `toml:"rate_global_per_sec"`
	RateChatPerSec   int    `toml:"rate_chat_per_sec"`
	RateGroupPerMin  int    `toml:"rate_group_per_min"`
}

// Zalo configures the Zalo Official Account channel.
type Zalo struct {
	Enabled           bool          `toml:"enabled"`
	AppID             string        `toml:"app_id"`
	AppSecret         string        `toml:"app_secret"`    // secret, for OAuth and appsecret_proof
	OASecretKey       string        `toml:"oa_secret_key"` // secret, verifies webhook signatures
	RefreshToken      string        `toml:"refresh_token"` // secret, first OAuth refresh token
	APIURL            string        `toml:"api_url"`
	OAuthURL          string        `toml:"oauth_url"`
	WebhookPath       string        `toml:"webhook_path"`
	RatePerMin        int           `toml:"rate_per_min"`
	InteractionWindow time.Duration `toml:"interaction_window"` // how long after a user's last message the OA may write
	ZNS               ZNS           `toml:"zns"`
}

// ZNS configures Zalo Notification Service template messages to phone numbers.
type ZNS struct {
	TemplateID string `toml:"template_id"` // "" = ZNS not used
	APIURL     string `toml:"api_url"`
}

// Simulator configures the local web chat used for demos and first looks.
type Simulator struct {
	Enabled bool `toml:"enabled"`
}

// Campaign selects the campaign plan.
type Campaign struct {
	File string `toml:"file"` // "" = the built-in plan
}

// Delivery configures the durable notification queue.
type Delivery struct {
	Workers             int           `toml:"workers"`
	MaxAttempts         int           `toml:"max_attempts"`
	TipEscalation       time.Duration `toml:"tip_escalation"`        // escalate an unacknowledged tip after this
	TipEscalationUrgent time.Duration `toml:"tip_escalation_urgent"` // same, for urgent tips
}

// Throttle is the per-user inbound limit: updates beyond it are acknowledged to the
// platform and dropped before they reach the journal, with one notice to the user.
type Throttle struct {
	Updates int           `toml:"updates"` // updates one user may send per window (also the burst)
	Per     time.Duration `toml:"per"`     // the window
}

// Schedule holds the cron expressions (standard 5 fields, in App.Timezone) of the
// periodic jobs and the quiet hours in which reminders, digests and other non-urgent
// messages wait.
type Schedule struct {
	LeaderReminder string `toml:"leader_reminder"`
	LeaderNudge    string `toml:"leader_nudge"` // fires on days 28–31; the job runs only on the month's last day
	PoliceDigest   string `toml:"police_digest"`
	MonthlySummary string `toml:"monthly_summary"`
	PhaseWarning   string `toml:"phase_warning"` // daily; the job acts one week before a phase ends
	PhaseSummary   string `toml:"phase_summary"` // daily; the job acts the day after a phase ends
	QuietStart     string `toml:"quiet_start"`   // "HH:MM", local time
	QuietEnd       string `toml:"quiet_end"`     // "HH:MM", local time
}

// Metrics configures the Prometheus endpoint.
type Metrics struct {
	Enabled bool   `toml:"enabled"`
	Path    string `toml:"path"`
}

// Web configures the console for officials (served under /web/).
type Web struct {
	Enabled       bool          `toml:"enabled"`
	SessionIdle   time.Duration `toml:"session_idle"`     // a console session unused this long ends
	SessionMaxAge time.Duration `toml:"session_max_age"`  // a console session ends this long after sign-in, used or not
	LinkTTL       time.Duration `toml:"link_ttl"`         // how long a sign-in link sent in the chat works
	SignInPerHour int           `toml:"sign_in_per_hour"` // sign-in links asked per phone number and per address
}

// Default returns the built-in configuration: SQLite in data_dir, no channel enabled.
func Default() Config {
	return Config{
		App: App{
			HTTPAddr:      "127.0.0.1:8080",
			Timezone:      "Asia/Ho_Chi_Minh",
			DefaultLocale: "vi",
			DataDir:       "./data",
		},
		Log:      Log{Level: "info", Format: LogText},
		Database: Database{Driver: DriverSQLite, MaxOpenConns: 20},
		Redis:    Redis{KeyPrefix: "anttbot:"},
		Session: Session{
			TTL:              72 * time.Hour,
			IdleReminder:     30 * time.Minute,
			MaxTextLen:       1000,
			MaxReportAgeDays: 31,
		},
		Telegram: Telegram{
			APIURL:           "https://api.telegram.org",
			Mode:             ModePolling,
			WebhookPath:      "/telegram/webhook",
			RateGlobalPerSec: 30,
			RateChatPerSec:   1,
			RateGroupPerMin:  20,
		},
		Zalo: Zalo{
			APIURL:            "https://openapi.zalo.me",
			OAuthURL:          "https://oauth.zaloapp.com",
			WebhookPath:       "/zalo/webhook",
			RatePerMin:        4000,
			InteractionWindow: 168 * time.Hour,
			ZNS:               ZNS{APIURL: "https://business.openapi.zalo.me"},
		},
		Delivery: Delivery{
			Workers:             4,
			MaxAttempts:         10,
			TipEscalation:       4 * time.Hour,
			TipEscalationUrgent: 30 * time.Minute,
		},
		Throttle: Throttle{Updates: 20, Per: 10 * time.Second},
		Schedule: Schedule{
			LeaderReminder: "0 8 25 * *",
			LeaderNudge:    "0 8 28-31 * *",
			PoliceDigest:   "30 17 * * *",
			MonthlySummary: "0 8 1 * *",
			PhaseWarning:   "0 8 * * *",
			PhaseSummary:   "0 8 * * *",
			QuietStart:     "21:00",
			QuietEnd:       "07:00",
		},
		Metrics: Metrics{Enabled: true, Path: "/metrics"},
		Web:     Web{Enabled: true, SessionIdle: 2 * time.Hour, SessionMaxAge: 12 * time.Hour, LinkTTL: 10 * time.Minute, SignInPerHour: 5},
	}
}

// IsEmbeddedDefault reports whether Load found neither a config file nor an ANTTBOT_
// variable, in which case the service seeds the demo organisation and turns on the
// simulator. Default() itself reports false, so tests that build a Config by hand do
// not get demo data.
func (c Config) IsEmbeddedDefault() bool { return c.embeddedDefault }

// Location returns the configured time zone. Call Validate first: an unknown zone
// yields UTC here.
func (c Config) Location() *time.Location {
	if c.App.Timezone == "" {
		return time.UTC
	}
	loc, err := time.LoadLocation(c.App.Timezone)
	if err != nil {
		return time.UTC
	}
	return loc
}

// DatabaseDSN returns the DSN to open: database.dsn, or <data_dir>/anttbot.db for SQLite
// when it is empty.
func (c Config) DatabaseDSN() string {
	if c.Database.DSN == "" && c.Database.Driver == DriverSQLite {
		return filepath.Join(c.App.DataDir, "anttbot.db")
	}
	return c.Database.DSN
}

// PublicBaseURL returns the base of links sent to users, without a trailing slash:
// app.public_url, or http://<http_addr> with a wildcard host replaced by localhost.
func (c Config) PublicBaseURL() string {
	if c.App.PublicURL != "" {
		return strings.TrimRight(c.App.PublicURL, "/")
	}
	host, port, err := net.SplitHostPort(c.App.HTTPAddr)
	if err != nil {
		return "http://" + c.App.HTTPAddr
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port)
}

// SlogLevel returns log.level as a slog level (info when it is not valid).
func (l Log) SlogLevel() slog.Level {
	switch l.Level {
	case "debug":
		return slog.LevelDebug
	case "warn":
		return slog.LevelWarn
	case "error":
		return slog.LevelError
	default:
		return slog.LevelInfo
	}
}

// InQuietHours reports whether t, given in the configured location, falls in the quiet
// hours [quiet_start, quiet_end), which may span midnight. Equal or invalid bounds mean
// no quiet hours.
func (s Schedule) InQuietHours(t time.Time) bool {
	start, err1 := parseClock(s.QuietStart)
	end, err2 := parseClock(s.QuietEnd)
	if err1 != nil || err2 != nil || start == end {
		return false
	}
	now := t.Hour()*60 + t.Minute()
	if start < end {
		return now >= start && now < end
	}
	return now >= start || now < end
}

// parseClock parses "HH:MM" (24-hour, two digits each) into minutes after midnight.
func parseClock(s string) (int, error) {
	if len(s) != 5 || s[2] != ':' {
		return 0, fmt.Errorf("want HH:MM, got %q", s)
	}
	var h, m int
	for i, p := range []*int{&h, &m} {
		for _, ch := range s[i*3 : i*3+2] {
			if ch < '0' || ch > '9' {
				return 0, fmt.Errorf("want HH:MM, got %q", s)
			}
			*p = *p*10 + int(ch-'0')
		}
	}
	if h > 23 || m > 59 {
		return 0, fmt.Errorf("want a time from 00:00 to 23:59, got %q", s)
	}
	return h*60 + m, nil
}
