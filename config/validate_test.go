package config

import (
	"strings"
	"testing"
	"time"
)

// production is a valid configuration with every channel on, so that each test case
// breaks exactly one thing.
func production() Config {
	c := Default()
	c.App.HTTPAddr = ":8080"
	c.App.PublicURL = "https://anttbot.example.vn"
	c.Database.Driver = DriverPostgres
	c.Database.DSN = "postgres://anttbot:pw@127.0.0.1:5432/anttbot?sslmode=disable"
	c.Redis.URL = "redis://:pw@127.0.0.1:6379/0"
	c.Telegram.Enabled = true
	c.Telegram.Token = "123456:AAE-token_x"
	c.Telegram.Mode = ModeWebhook
	c.Telegram.WebhookURL = "https://anttbot.example.vn/telegram/webhook"
	c.Telegram.WebhookSecret = "s3cret_-token"
	c.Zalo.Enabled = true
	c.Zalo.AppID = "360846524940903967"
	c.Zalo.AppSecret = "app-secret"
	c.Zalo.OASecretKey = "oa-secret"
	return c
}

func TestValidateProduction(t *testing.T) {
	if err := production().Validate(); err != nil {
		t.Fatalf("Validate:\n%v", err)
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*Config)
		want   string
	}{
		{name: "bad listen address", mutate: func(c *Config) { c.App.HTTPAddr = "8080" }, want: `app.http_addr: must be host:port`},
		{name: "bad listen port", mutate: func(c *Config) { c.App.HTTPAddr = ":http-alt" }, want: `app.http_addr: port must be a number`},
		{name: "public url without scheme", mutate: func(c *Config) { c.App.PublicURL = "anttbot.example.vn" }, want: `app.public_url: must be an absolute http(s) URL`},
		{name: "public url with trailing slash", mutate: func(c *Config) { c.App.PublicURL = "https://a.vn/" }, want: `app.public_url: must not end with "/"`},
		{name: "unknown time zone", mutate: func(c *Config) { c.App.Timezone = "Asia/Hanoi" }, want: `app.timezone: unknown time zone "Asia/Hanoi"`},
		{name: "empty time zone", mutate: func(c *Config) { c.App.Timezone = "" }, want: `app.timezone: must not be empty`},
		{name: "local time zone", mutate: func(c *Config) { c.App.Timezone = "Local" }, want: `app.timezone: name the zone explicitly`},
		{name: "unknown locale", mutate: func(c *Config) { c.App.DefaultLocale = "fr" }, want: `app.default_locale: must be "vi" or "en", got "fr"`},
		{name: "locale with region", mutate: func(c *Config) { c.App.DefaultLocale = "vi-VN" }, want: `app.default_locale: must be "vi" or "en", got "vi-VN"`},
		{name: "empty data dir", mutate: func(c *Config) { c.App.DataDir = " " }, want: `app.data_dir: must not be empty`},
		{name: "log level", mutate: func(c *Config) { c.Log.Level = "verbose" }, want: `log.level: must be "debug", "info", "warn" or "error", got "verbose"`},
		{name: "log format", mutate: func(c *Config) { c.Log.Format = "xml" }, want: `log.format: must be "text" or "json", got "xml"`},
		{name: "unknown driver", mutate: func(c *Config) { c.Database.Driver = "mysql" }, want: `database.driver: must be "postgres" or "sqlite", got "mysql"`},
		{name: "postgres without dsn", mutate: func(c *Config) { c.Database.DSN = "" }, want: `database.dsn: required when database.driver is "postgres"`},
		{name: "postgres dsn wrong scheme", mutate: func(c *Config) { c.Database.DSN = "mysql://u:p@h/db" }, want: `database.dsn: URL scheme must be "postgres" or "postgresql", got "mysql"`},
		{name: "postgres dsn without database", mutate: func(c *Config) { c.Database.DSN = "postgres://u:p@h:5432" }, want: `database.dsn: names no database`},
		{name: "postgres dsn garbage", mutate: func(c *Config) { c.Database.DSN = "just some words" }, want: `database.dsn: is neither a postgres:// URL nor key=value pairs`},
		{name: "keyword dsn with open quote", mutate: func(c *Config) { c.Database.DSN = "host=h password='abc" }, want: `database.dsn: is neither`},
		{name: "postgres dsn not a url", mutate: func(c *Config) { c.Database.DSN = "postgres://u:p@h:port/db" }, want: `database.dsn: is not a valid URL`},
		{name: "postgres url for sqlite", mutate: func(c *Config) { c.Database.Driver = DriverSQLite }, want: `database.dsn: is a PostgreSQL DSN but database.driver is "sqlite"`},
		{name: "pool size", mutate: func(c *Config) { c.Database.MaxOpenConns = 0 }, want: `database.max_open_conns: must be at least 1, got 0`},
		{name: "redis scheme", mutate: func(c *Config) { c.Redis.URL = "http://127.0.0.1:6379" }, want: `redis.url: scheme must be "redis", "rediss" or "unix", got "http"`},
		{name: "redis without host", mutate: func(c *Config) { c.Redis.URL = "redis:///0" }, want: `redis.url: has no host`},
		{name: "session ttl", mutate: func(c *Config) { c.Session.TTL = 72 }, want: `session.ttl: must be at least 1m, got 72ns`},
		{name: "idle reminder zero", mutate: func(c *Config) { c.Session.IdleReminder = 0 }, want: `session.idle_reminder: must be positive`},
		{name: "idle reminder after ttl", mutate: func(c *Config) { c.Session.IdleReminder = 100 * time.Hour }, want: `session.idle_reminder: must be shorter than session.ttl (72h0m0s)`},
		{name: "text length zero", mutate: func(c *Config) { c.Session.MaxTextLen = 0 }, want: `session.max_text_len: must be from 1 to 4096`},
		{name: "text length above Telegram", mutate: func(c *Config) { c.Session.MaxTextLen = 5000 }, want: `session.max_text_len: must be from 1 to 4096 (one Telegram message), got 5000`},
		{name: "report age", mutate: func(c *Config) { c.Session.MaxReportAgeDays = 0 }, want: `session.max_report_age_days: must be from 1 to 366, got 0`},
		{name: "telegram without token", mutate: func(c *Config) { c.Telegram.Token = "" }, want: `telegram.token: required when telegram.enabled = true`},
		{name: "telegram token shape", mutate: func(c *Config) { c.Telegram.Token = "not a token" }, want: `telegram.token: does not look like a BotFather token`},
		{name: "telegram api url", mutate: func(c *Config) { c.Telegram.APIURL = "api.telegram.org" }, want: `telegram.api_url: must be an absolute http(s) URL`},
		{name: "telegram mode", mutate: func(c *Config) { c.Telegram.Mode = "push" }, want: `telegram.mode: must be "polling" or "webhook", got "push"`},
		{name: "webhook without url", mutate: func(c *Config) { c.Telegram.WebhookURL = "" }, want: `telegram.webhook_url: required when telegram.mode = "webhook"`},
		{name: "webhook without secret", mutate: func(c *Config) { c.Telegram.WebhookSecret = "" }, want: `telegram.webhook_secret: required when telegram.mode = "webhook"`},
		{name: "webhook over http", mutate: func(c *Config) { c.Telegram.WebhookURL = "http://a.vn/telegram/webhook" }, want: `telegram.webhook_url: must use https`},
		{name: "webhook port", mutate: func(c *Config) { c.Telegram.WebhookURL = "https://a.vn:8080/tg" }, want: `telegram.webhook_url: Telegram only delivers to ports 443, 80, 88, 8443, got 8080`},
		{name: "webhook secret characters", mutate: func(c *Config) { c.Telegram.WebhookSecret = "has space" }, want: `telegram.webhook_secret: must be 1 to 256 characters of A-Z a-z 0-9 _ - (got 9 characters)`},
		{name: "webhook secret too long", mutate: func(c *Config) { c.Telegram.WebhookSecret = strings.Repeat("a", 257) }, want: `telegram.webhook_secret: must be 1 to 256 characters`},
		{name: "webhook path", mutate: func(c *Config) { c.Telegram.WebhookPath = "telegram" }, want: `telegram.webhook_path: must be a path`},
		{name: "global rate", mutate: func(c *Config) { c.Telegram.RateGlobalPerSec = 0 }, want: `telegram.rate_global_per_sec: must be at least 1, got 0`},
		{name: "chat rate", mutate: func(c *Config) { c.Telegram.RateChatPerSec = -1 }, want: `telegram.rate_chat_per_sec: must be at least 1, got -1`},
		{name: "group rate", mutate: func(c *Config) { c.Telegram.RateGroupPerMin = 0 }, want: `telegram.rate_group_per_min: must be at least 1`},
		{name: "zalo without app id", mutate: func(c *Config) { c.Zalo.AppID = "" }, want: `zalo.app_id: required when zalo.enabled = true`},
		{name: "zalo app id not numeric", mutate: func(c *Config) { c.Zalo.AppID = "abc" }, want: `zalo.app_id: must be the numeric app id`},
		{name: "zalo without app secret", mutate: func(c *Config) { c.Zalo.AppSecret = "" }, want: `zalo.app_secret: required when zalo.enabled = true`},
		{name: "zalo without oa secret", mutate: func(c *Config) { c.Zalo.OASecretKey = "" }, want: `zalo.oa_secret_key: required when zalo.enabled = true`},
		{name: "zalo api url", mutate: func(c *Config) { c.Zalo.APIURL = "ftp://openapi.zalo.me" }, want: `zalo.api_url: must be an absolute http(s) URL`},
		{name: "zalo oauth url query", mutate: func(c *Config) { c.Zalo.OAuthURL = "https://oauth.zaloapp.com?x=1" }, want: `zalo.oauth_url: must not have a query`},
		{name: "zns api url", mutate: func(c *Config) { c.Zalo.ZNS.APIURL = "" }, want: `zalo.zns.api_url: must be an absolute http(s) URL`},
		{name: "zalo rate", mutate: func(c *Config) { c.Zalo.RatePerMin = 0 }, want: `zalo.rate_per_min: must be at least 1`},
		{name: "zalo window too long", mutate: func(c *Config) { c.Zalo.InteractionWindow = 200 * time.Hour }, want: `zalo.interaction_window: must be positive and at most 168h`},
		{name: "zalo webhook path clash", mutate: func(c *Config) { c.Zalo.WebhookPath = "/telegram/webhook" }, want: `zalo.webhook_path: must differ from telegram.webhook_path`},
		{name: "workers", mutate: func(c *Config) { c.Delivery.Workers = 0 }, want: `delivery.workers: must be at least 1`},
		{name: "attempts", mutate: func(c *Config) { c.Delivery.MaxAttempts = 0 }, want: `delivery.max_attempts: must be at least 1`},
		{name: "escalation", mutate: func(c *Config) { c.Delivery.TipEscalation = 0 }, want: `delivery.tip_escalation: must be positive`},
		{name: "urgent escalation", mutate: func(c *Config) { c.Delivery.TipEscalationUrgent = -time.Minute }, want: `delivery.tip_escalation_urgent: must be positive`},
		{name: "urgent slower than normal", mutate: func(c *Config) { c.Delivery.TipEscalationUrgent = 5 * time.Hour }, want: `delivery.tip_escalation_urgent: must not be longer than delivery.tip_escalation (4h0m0s)`},
		{name: "throttle updates", mutate: func(c *Config) { c.Throttle.Updates = 0 }, want: `throttle.updates: must be at least 1, got 0`},
		{name: "throttle window", mutate: func(c *Config) { c.Throttle.Per = 0 }, want: `throttle.per: must be positive, got 0s`},
		{name: "cron L is not standard", mutate: func(c *Config) { c.Schedule.LeaderNudge = "0 8 L * *" }, want: `schedule.leader_nudge: invalid cron expression "0 8 L * *"`},
		{name: "cron six fields", mutate: func(c *Config) { c.Schedule.LeaderReminder = "0 0 8 25 * *" }, want: `schedule.leader_reminder: invalid cron expression`},
		{name: "cron empty", mutate: func(c *Config) { c.Schedule.PoliceDigest = "" }, want: `schedule.police_digest: invalid cron expression`},
		{name: "cron out of range", mutate: func(c *Config) { c.Schedule.MonthlySummary = "0 25 1 * *" }, want: `schedule.monthly_summary: invalid cron expression`},
		{name: "cron time zone", mutate: func(c *Config) { c.Schedule.PhaseWarning = "CRON_TZ=UTC 0 8 * * *" }, want: `schedule.phase_warning: must not set a time zone`},
		{name: "cron garbage", mutate: func(c *Config) { c.Schedule.PhaseSummary = "daily" }, want: `schedule.phase_summary: invalid cron expression`},
		{name: "quiet start format", mutate: func(c *Config) { c.Schedule.QuietStart = "9pm" }, want: `schedule.quiet_start: want HH:MM, got "9pm"`},
		{name: "quiet end single digit", mutate: func(c *Config) { c.Schedule.QuietEnd = "7:00" }, want: `schedule.quiet_end: want HH:MM, got "7:00"`},
		{name: "quiet end out of range", mutate: func(c *Config) { c.Schedule.QuietEnd = "24:00" }, want: `schedule.quiet_end: want a time from 00:00 to 23:59`},
		{name: "metrics path", mutate: func(c *Config) { c.Metrics.Path = "/" }, want: `metrics.path: must be a path`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := production()
			tt.mutate(&c)
			err := c.Validate()
			if err == nil {
				t.Fatalf("Validate passed, want %q", tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Validate error does not contain %q:\n%v", tt.want, err)
			}
			if !strings.HasPrefix(tt.want, strings.SplitN(err.Error(), ":", 2)[0]) {
				t.Errorf("first problem is about another key; only one thing was broken:\n%v", err)
			}
		})
	}
}

func TestValidateReportsEveryProblem(t *testing.T) {
	c := Default()
	c.Database.Driver = "mysql"
	c.App.Timezone = "Nowhere/Land"
	c.Telegram.Enabled = true
	c.Schedule.QuietEnd = "25:00"
	err := c.Validate()
	if err == nil {
		t.Fatal("Validate passed")
	}
	lines := strings.Split(err.Error(), "\n")
	want := []string{"app.timezone:", "database.driver:", "telegram.token:", "schedule.quiet_end:"}
	if len(lines) != len(want) {
		t.Errorf("got %d problems, want %d:\n%v", len(lines), len(want), err)
	}
	for _, w := range want {
		found := false
		for _, l := range lines {
			found = found || strings.HasPrefix(l, w)
		}
		if !found {
			t.Errorf("no line starts with %q:\n%v", w, err)
		}
	}
}

func TestValidateAccepts(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*Config)
	}{
		{name: "keyword dsn", mutate: func(c *Config) { c.Database.DSN = "host=127.0.0.1 user=anttbot password='a b' dbname=anttbot" }},
		{name: "postgresql scheme", mutate: func(c *Config) { c.Database.DSN = "postgresql://h/db" }},
		{name: "rediss", mutate: func(c *Config) { c.Redis.URL = "rediss://user:pw@redis.example.vn:6380/1" }},
		{name: "redis unix socket", mutate: func(c *Config) { c.Redis.URL = "unix:///run/redis.sock" }},
		{name: "polling needs no webhook", mutate: func(c *Config) {
			c.Telegram.Mode, c.Telegram.WebhookURL, c.Telegram.WebhookSecret = ModePolling, "", ""
		}},
		{name: "disabled channels need no secrets", mutate: func(c *Config) {
			c.Telegram = Default().Telegram
			c.Telegram.Mode = ModeWebhook
			c.Zalo = Default().Zalo
		}},
		{name: "webhook on 8443", mutate: func(c *Config) { c.Telegram.WebhookURL = "https://a.vn:8443/tg" }},
		{name: "secret of 256 characters", mutate: func(c *Config) { c.Telegram.WebhookSecret = strings.Repeat("A_-9", 64) }},
		{name: "local fake api over http", mutate: func(c *Config) { c.Telegram.APIURL = "http://127.0.0.1:41234" }},
		{name: "cron descriptor", mutate: func(c *Config) { c.Schedule.PoliceDigest = "@daily" }},
		{name: "any free port", mutate: func(c *Config) { c.App.HTTPAddr = "127.0.0.1:0" }},
		{name: "quiet hours off", mutate: func(c *Config) { c.Schedule.QuietStart, c.Schedule.QuietEnd = "00:00", "00:00" }},
		{name: "english default", mutate: func(c *Config) { c.App.DefaultLocale = "en" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := production()
			tt.mutate(&c)
			if err := c.Validate(); err != nil {
				t.Errorf("Validate:\n%v", err)
			}
		})
	}
}

func TestValidateDoesNotEchoSecrets(t *testing.T) {
	c := production()
	c.Database.DSN = "postgres://anttbot:dsnSECRET@h:port/db" // bad port: parse error
	c.Redis.URL = "redis://:redisSECRET@[::1"                 // unparsable
	c.Telegram.Token = "tokenSECRET"                          // wrong shape
	c.Telegram.WebhookSecret = "webhook SECRET"               // bad characters
	err := c.Validate()
	if err == nil {
		t.Fatal("Validate passed")
	}
	for _, s := range []string{"dsnSECRET", "redisSECRET", "tokenSECRET", "webhook SECRET"} {
		if strings.Contains(err.Error(), s) {
			t.Errorf("Validate error contains the secret %q:\n%v", s, err)
		}
	}
}
