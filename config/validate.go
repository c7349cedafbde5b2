package config

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/anttbot/anttbot/locales"
)

var (
	// webhookSecretPattern is Telegram's rule for secret_token in setWebhook.
	webhookSecretPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,256}$`)
	// telegramTokenPattern is the shape of a BotFather token: <bot id>:<secret>.
	telegramTokenPattern = regexp.MustCompile(`^[0-9]+:[A-Za-z0-9_-]+$`)
	// zaloAppIDPattern: Zalo app ids are decimal numbers.
	zaloAppIDPattern = regexp.MustCompile(`^[0-9]+$`)
)

// telegramWebhookPorts are the only ports Telegram delivers webhooks to.
var telegramWebhookPorts = []string{"443", "80", "88", "8443"}

// maxTelegramText is Telegram's limit on a message text; a report's text must fit in one.
const maxTelegramText = 4096

// maxZaloInteractionWindow is how long after a user's last interaction Zalo still lets
// an OA send consultation messages (7 days).
const maxZaloInteractionWindow = 7 * 24 * time.Hour

// problems collects validation messages, each starting with the key it is about.
type problems []error

func (p *problems) add(key, format string, args ...any) {
	*p = append(*p, fmt.Errorf("%s: %s", key, fmt.Sprintf(format, args...)))
}

// Validate reports every problem of the configuration at once, one per line, each
// naming its key. Messages never contain a secret's value.
func (c Config) Validate() error {
	var p problems
	c.validateApp(&p)
	c.validateLog(&p)
	c.validateDatabase(&p)
	c.validateRedis(&p)
	c.validateSession(&p)
	c.validateTelegram(&p)
	c.validateZalo(&p)
	c.validateDelivery(&p)
	c.validateThrottle(&p)
	c.validateSchedule(&p)
	c.validateMetrics(&p)
	c.validateWeb(&p)
	c.validatePaths(&p)
	return errors.Join(p...)
}

func (c Config) validateApp(p *problems) {
	a := c.App
	checkListenAddr(p, "app.http_addr", a.HTTPAddr)
	if a.PublicURL != "" {
		checkURL(p, "app.public_url", a.PublicURL, false)
	}
	switch a.Timezone {
	case "":
		p.add("app.timezone", "must not be empty (for example \"Asia/Ho_Chi_Minh\")")
	case "Local":
		p.add("app.timezone", "name the zone explicitly (for example \"Asia/Ho_Chi_Minh\"), not \"Local\"")
	default:
		if _, err := time.LoadLocation(a.Timezone); err != nil {
			p.add("app.timezone", "unknown time zone %q (use an IANA name such as \"Asia/Ho_Chi_Minh\")", a.Timezone)
		}
	}
	if locales.NormalizeLang(a.DefaultLocale) != a.DefaultLocale || a.DefaultLocale == "" {
		p.add("app.default_locale", "must be \"vi\" or \"en\", got %q", a.DefaultLocale)
	}
	if strings.TrimSpace(a.DataDir) == "" {
		p.add("app.data_dir", "must not be empty")
	}
}

func (c Config) validateLog(p *problems) {
	if !slices.Contains([]string{"debug", "info", "warn", "error"}, c.Log.Level) {
		p.add("log.level", "must be \"debug\", \"info\", \"warn\" or \"error\", got %q", c.Log.Level)
	}
	if c.Log.Format != LogText && c.Log.Format != LogJSON {
		p.add("log.format", "must be %q or %q, got %q", LogText, LogJSON, c.Log.Format)
	}
}

func (c Config) validateDatabase(p *problems) {
	d := c.Database
	switch d.Driver {
	case DriverSQLite:
		if looksLikePostgres(d.DSN) {
			p.add("database.dsn", "is a PostgreSQL DSN but database.driver is %q", DriverSQLite)
		}
	case DriverPostgres:
		checkPostgresDSN(p, d.DSN)
	default:
		p.add("database.driver", "must be %q or %q, got %q", DriverPostgres, DriverSQLite, d.Driver)
	}
	if d.MaxOpenConns < 1 {
		p.add("database.max_open_conns", "must be at least 1, got %d", d.MaxOpenConns)
	}
}

// looksLikePostgres reports whether dsn is a PostgreSQL URL or keyword/value string.
func looksLikePostgres(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") ||
		strings.Contains(dsn, "host=") || strings.Contains(dsn, "dbname=")
}

// checkPostgresDSN checks a DSN's shape without echoing it: it may hold a password.
func checkPostgresDSN(p *problems, dsn string) {
	const key = "database.dsn"
	switch {
	case strings.TrimSpace(dsn) == "":
		p.add(key, "required when database.driver is %q (for example \"postgres://anttbot:PASSWORD@127.0.0.1:5432/anttbot?sslmode=disable\")", DriverPostgres)
	case strings.Contains(dsn, "://"):
		u, err := url.Parse(dsn)
		if err != nil {
			p.add(key, "is not a valid URL")
			return
		}
		if u.Scheme != "postgres" && u.Scheme != "postgresql" {
			p.add(key, "URL scheme must be \"postgres\" or \"postgresql\", got %q", u.Scheme)
		}
		if strings.Trim(u.Path, "/") == "" {
			p.add(key, "names no database (the URL needs a path such as /anttbot)")
		}
	default:
		if !isKeywordDSN(dsn) {
			p.add(key, "is neither a postgres:// URL nor key=value pairs")
		}
	}
}

// isKeywordDSN reports whether dsn is a list of key=value pairs as libpq reads them:
// blanks around "=" allowed, values optionally single-quoted with backslash escapes.
func isKeywordDSN(dsn string) bool {
	s := strings.TrimSpace(dsn)
	for s != "" {
		eq := strings.IndexByte(s, '=')
		if eq <= 0 || strings.ContainsAny(strings.TrimSpace(s[:eq]), " \t'") {
			return false
		}
		s = strings.TrimLeft(s[eq+1:], " \t")
		if strings.HasPrefix(s, "'") {
			i, closed := 1, false
			for ; i < len(s); i++ {
				if s[i] == '\\' {
					i++
					continue
				}
				if s[i] == '\'' {
					closed = true
					break
				}
			}
			if !closed {
				return false
			}
			s = s[i+1:]
		} else if i := strings.IndexAny(s, " \t"); i >= 0 {
			s = s[i:]
		} else {
			s = ""
		}
		s = strings.TrimLeft(s, " \t")
	}
	return true
}

func (c Config) validateRedis(p *problems) {
	if c.Redis.URL == "" {
		return
	}
	// Do not echo the URL: it may carry a password.
	u, err := url.Parse(c.Redis.URL)
	switch {
	case err != nil:
		p.add("redis.url", "is not a valid URL")
	case u.Scheme != "redis" && u.Scheme != "rediss" && u.Scheme != "unix":
		p.add("redis.url", "scheme must be \"redis\", \"rediss\" or \"unix\", got %q", u.Scheme)
	case u.Scheme != "unix" && u.Host == "":
		p.add("redis.url", "has no host (for example \"redis://127.0.0.1:6379/0\")")
	}
}

func (c Config) validateSession(p *problems) {
	s := c.Session
	if s.TTL < time.Minute {
		p.add("session.ttl", "must be at least 1m, got %s", s.TTL)
	}
	switch {
	case s.IdleReminder <= 0:
		p.add("session.idle_reminder", "must be positive, got %s", s.IdleReminder)
	case s.IdleReminder >= s.TTL:
		p.add("session.idle_reminder", "must be shorter than session.ttl (%s), got %s", s.TTL, s.IdleReminder)
	}
	if s.MaxTextLen < 1 || s.MaxTextLen > maxTelegramText {
		p.add("session.max_text_len", "must be from 1 to %d (one Telegram message), got %d", maxTelegramText, s.MaxTextLen)
	}
	if s.MaxReportAgeDays < 1 || s.MaxReportAgeDays > 366 {
		p.add("session.max_report_age_days", "must be from 1 to 366, got %d", s.MaxReportAgeDays)
	}
}

func (c Config) validateTelegram(p *problems) {
	t := c.Telegram
	if t.Enabled && t.Token == "" {
		p.add("telegram.token", "required when telegram.enabled = true (get one from @BotFather; prefer ANTTBOT_TELEGRAM_TOKEN)")
	}
	if t.Token != "" && !telegramTokenPattern.MatchString(t.Token) {
		p.add("telegram.token", "does not look like a BotFather token (<digits>:<letters, digits, _ or ->)")
	}
	checkURL(p, "telegram.api_url", t.APIURL, false)
	switch t.Mode {
	case ModePolling:
	case ModeWebhook:
		if t.Enabled && t.WebhookURL == "" {
			p.add("telegram.webhook_url", "required when telegram.mode = %q", ModeWebhook)
		}
		if t.Enabled && t.WebhookSecret == "" {
			p.add("telegram.webhook_secret", "required when telegram.mode = %q", ModeWebhook)
		}
	default:
		p.add("telegram.mode", "must be %q or %q, got %q", ModePolling, ModeWebhook, t.Mode)
	}
	if t.WebhookURL != "" {
		if u := checkURL(p, "telegram.webhook_url", t.WebhookURL, true); u != nil {
			if port := u.Port(); port != "" && !slices.Contains(telegramWebhookPorts, port) {
				p.add("telegram.webhook_url", "Telegram only delivers to ports %s, got %s",
					strings.Join(telegramWebhookPorts, ", "), port)
			}
		}
	}
	if t.WebhookSecret != "" && !webhookSecretPattern.MatchString(t.WebhookSecret) {
		p.add("telegram.webhook_secret", "must be 1 to 256 characters of A-Z a-z 0-9 _ - (got %d characters)", len(t.WebhookSecret))
	}
	checkPath(p, "telegram.webhook_path", t.WebhookPath)
	checkPositive(p, "telegram.rate_global_per_sec", t.RateGlobalPerSec)
	checkPositive(p, "telegram.rate_chat_per_sec", t.RateChatPerSec)
	checkPositive(p, "telegram.rate_group_per_min", t.RateGroupPerMin)
}

func (c Config) validateZalo(p *problems) {
	z := c.Zalo
	if z.Enabled {
		if z.AppID == "" {
			p.add("zalo.app_id", "required when zalo.enabled = true")
		}
		if z.AppSecret == "" {
			p.add("zalo.app_secret", "required when zalo.enabled = true (prefer ANTTBOT_ZALO_APP_SECRET)")
		}
		if z.OASecretKey == "" {
			p.add("zalo.oa_secret_key", "required when zalo.enabled = true: it verifies webhook signatures (prefer ANTTBOT_ZALO_OA_SECRET_KEY)")
		}
	}
	if z.AppID != "" && !zaloAppIDPattern.MatchString(z.AppID) {
		p.add("zalo.app_id", "must be the numeric app id from developers.zalo.me, got %q", z.AppID)
	}
	checkURL(p, "zalo.api_url", z.APIURL, false)
	checkURL(p, "zalo.oauth_url", z.OAuthURL, false)
	checkURL(p, "zalo.zns.api_url", z.ZNS.APIURL, false)
	checkPath(p, "zalo.webhook_path", z.WebhookPath)
	checkPositive(p, "zalo.rate_per_min", z.RatePerMin)
	if z.InteractionWindow <= 0 || z.InteractionWindow > maxZaloInteractionWindow {
		p.add("zalo.interaction_window", "must be positive and at most 168h (Zalo's 7-day window), got %s", z.InteractionWindow)
	}
}

func (c Config) validateDelivery(p *problems) {
	d := c.Delivery
	checkPositive(p, "delivery.workers", d.Workers)
	checkPositive(p, "delivery.max_attempts", d.MaxAttempts)
	if d.TipEscalation <= 0 {
		p.add("delivery.tip_escalation", "must be positive, got %s", d.TipEscalation)
	}
	switch {
	case d.TipEscalationUrgent <= 0:
		p.add("delivery.tip_escalation_urgent", "must be positive, got %s", d.TipEscalationUrgent)
	case d.TipEscalation > 0 && d.TipEscalationUrgent > d.TipEscalation:
		p.add("delivery.tip_escalation_urgent", "must not be longer than delivery.tip_escalation (%s), got %s",
			d.TipEscalation, d.TipEscalationUrgent)
	}
}

func (c Config) validateSchedule(p *problems) {
	s := c.Schedule
	for _, job := range []struct{ key, spec string }{
		{"schedule.leader_reminder", s.LeaderReminder},
		{"schedule.leader_nudge", s.LeaderNudge},
		{"schedule.police_digest", s.PoliceDigest},
		{"schedule.monthly_summary", s.MonthlySummary},
		{"schedule.phase_warning", s.PhaseWarning},
		{"schedule.phase_summary", s.PhaseSummary},
	} {
		checkCron(p, job.key, job.spec)
	}
	for _, q := range []struct{ key, value string }{
		{"schedule.quiet_start", s.QuietStart},
		{"schedule.quiet_end", s.QuietEnd},
	} {
		if _, err := parseClock(q.value); err != nil {
			p.add(q.key, "%v", err)
		}
	}
}

func (c Config) validateMetrics(p *problems) {
	checkPath(p, "metrics.path", c.Metrics.Path)
}

func (c Config) validateWeb(p *problems) {
	w := c.Web
	if w.SessionIdle <= 0 {
		p.add("web.session_idle", "must be positive (got %s)", w.SessionIdle)
	}
	if w.SessionMaxAge < w.SessionIdle {
		p.add("web.session_max_age", "must be at least web.session_idle (%s; got %s)", w.SessionIdle, w.SessionMaxAge)
	}
	if w.LinkTTL <= 0 || w.LinkTTL > time.Hour {
		p.add("web.link_ttl", "must be between 1s and 1h (got %s)", w.LinkTTL)
	}
	if w.SignInPerHour < 1 {
		p.add("web.sign_in_per_hour", "must be at least 1 (got %d)", w.SignInPerHour)
	}
}

// validatePaths rejects two handlers on one HTTP path.
func (c Config) validatePaths(p *problems) {
	paths := []struct{ key, path string }{
		{"telegram.webhook_path", c.Telegram.WebhookPath},
		{"zalo.webhook_path", c.Zalo.WebhookPath},
		{"metrics.path", c.Metrics.Path},
	}
	for i := range paths {
		for j := i + 1; j < len(paths); j++ {
			if paths[i].path != "" && paths[i].path == paths[j].path {
				p.add(paths[j].key, "must differ from %s (both are %q)", paths[i].key, paths[j].path)
			}
		}
	}
}

// checkCron parses spec with the standard 5-field parser. A TZ= prefix is refused:
// every schedule runs in app.timezone.
func checkCron(p *problems, key, spec string) {
	if strings.HasPrefix(spec, "TZ=") || strings.HasPrefix(spec, "CRON_TZ=") {
		p.add(key, "must not set a time zone; schedules run in app.timezone")
		return
	}
	if _, err := cron.ParseStandard(spec); err != nil {
		p.add(key, "invalid cron expression %q (want 5 fields: minute hour day-of-month month day-of-week): %v", spec, err)
	}
}

// checkURL checks an absolute http(s) URL without credentials or query and returns it
// parsed, or nil after adding a problem. A base URL (webhook false) must not end in "/"
// because callers append paths to it; a webhook URL is used as is and must be https.
func checkURL(p *problems, key, raw string, webhook bool) *url.URL {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		p.add(key, "must be an absolute http(s) URL such as \"https://example.vn\", got %q", raw)
		return nil
	}
	if webhook && u.Scheme != "https" {
		p.add(key, "must use https, got %q", raw)
		return nil
	}
	if u.User != nil {
		p.add(key, "must not contain a user name or password")
		return nil
	}
	if u.RawQuery != "" || u.Fragment != "" {
		p.add(key, "must not have a query or fragment, got %q", raw)
		return nil
	}
	if !webhook && strings.HasSuffix(u.Path, "/") {
		p.add(key, "must not end with \"/\", got %q", raw)
		return nil
	}
	return u
}

// checkListenAddr checks a host:port listen address; the port may be 0 (any free port).
func checkListenAddr(p *problems, key, addr string) {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		p.add(key, "must be host:port such as \"127.0.0.1:8080\" or \":8080\", got %q", addr)
		return
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		p.add(key, "port must be a number from 0 to 65535, got %q", port)
	}
}

// checkPath checks an HTTP route path.
func checkPath(p *problems, key, path string) {
	if !strings.HasPrefix(path, "/") || path == "/" || strings.ContainsAny(path, " ?#\t\n") {
		p.add(key, "must be a path such as \"/zalo/webhook\", got %q", path)
	}
}

func (c Config) validateThrottle(p *problems) {
	checkPositive(p, "throttle.updates", c.Throttle.Updates)
	if c.Throttle.Per <= 0 {
		p.add("throttle.per", "must be positive, got %s", c.Throttle.Per)
	}
}

func checkPositive(p *problems, key string, n int) {
	if n < 1 {
		p.add(key, "must be at least 1, got %d", n)
	}
}
