package telegram

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"
)

// Receiving modes.
const (
	ModePolling = "polling"
	ModeWebhook = "webhook"
)

// DefaultAPIURL is the Bot API server.
const DefaultAPIURL = "https://api.telegram.org"

// Config is what the adapter needs; the service maps its own configuration onto it.
// Zero values take the defaults documented on each field.
type Config struct {
	// Token is the bot token from @BotFather ("123456:ABC…"). Secret.
	Token string
	// APIURL is the Bot API base URL (default https://api.telegram.org); every
	// call and file download goes there, so tests point it at a fake server.
	APIURL string
	// Mode is ModePolling (default) or ModeWebhook.
	Mode string
	// WebhookURL is the public HTTPS URL Telegram posts updates to (webhook mode).
	WebhookURL string
	// WebhookSecret is sent by Telegram in X-Telegram-Bot-Api-Secret-Token:
	// 1-256 characters of A-Z a-z 0-9 _ -. Required in webhook mode. Secret.
	WebhookSecret string
	// CallbackSecret signs button data; default: derived from Token. Set it to
	// keep old buttons valid across a token change. Secret.
	CallbackSecret string
	// Username is the bot's @username without "@"; default: asked with getMe at start.
	Username string

	// RateGlobalPerSec bounds messages per second over all chats (default 30).
	RateGlobalPerSec int
	// GlobalBurst is how many of those may leave back to back (default 1:
	// strictly spaced, so no one-second window ever holds more than 30).
	GlobalBurst int
	// RateChatPerSec bounds messages per second to one chat (default 1).
	RateChatPerSec int
	// ChatBurst lets a reply of a few messages leave at once (default 3); the
	// long-run rate stays RateChatPerSec, which is what broadcasts see.
	ChatBurst int
	// RateGroupPerMin bounds messages per minute to one group (default 20).
	RateGroupPerMin int
	// GroupBurst is the burst for groups (default 1: never more than 20 in any minute).
	GroupBurst int
	// MaxRetryWait is the longest 429 retry_after Send waits out itself before
	// returning *bot.RateLimitedError to the caller (default 10s).
	MaxRetryWait time.Duration

	// PollTimeout is the long-polling timeout (default 50s, whole seconds).
	PollTimeout time.Duration
	// RequestTimeout bounds one API call (default 30s; uploads get 4 times that).
	RequestTimeout time.Duration
}

// secretPattern is what Telegram accepts as a webhook secret token.
var secretPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,256}$`)

// tokenPattern is the shape of a bot token: the bot id, a colon, the secret part.
var tokenPattern = regexp.MustCompile(`^[0-9]+:[A-Za-z0-9_-]+$`)

// withDefaults returns c with every zero value replaced by its default.
func (c Config) withDefaults() Config {
	if c.APIURL == "" {
		c.APIURL = DefaultAPIURL
	}
	c.APIURL = strings.TrimRight(c.APIURL, "/")
	if c.Mode == "" {
		c.Mode = ModePolling
	}
	c.Username = strings.TrimPrefix(c.Username, "@")
	setDefault(&c.RateGlobalPerSec, 30)
	setDefault(&c.GlobalBurst, 1)
	setDefault(&c.RateChatPerSec, 1)
	setDefault(&c.ChatBurst, 3)
	setDefault(&c.RateGroupPerMin, 20)
	setDefault(&c.GroupBurst, 1)
	setDefault(&c.MaxRetryWait, 10*time.Second)
	setDefault(&c.PollTimeout, 50*time.Second)
	setDefault(&c.RequestTimeout, 30*time.Second)
	return c
}

func setDefault[T comparable](v *T, def T) {
	var zero T
	if *v == zero {
		*v = def
	}
}

// Validate reports every problem at once. It expects defaults applied.
func (c Config) Validate() error {
	var errs []error
	if !tokenPattern.MatchString(c.Token) {
		errs = append(errs, errors.New("token: want the @BotFather token, <digits>:<secret>"))
	}
	if u, err := url.Parse(c.APIURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		errs = append(errs, fmt.Errorf("api_url %q: want an http(s) URL", c.APIURL))
	}
	switch c.Mode {
	case ModePolling:
	case ModeWebhook:
		if u, err := url.Parse(c.WebhookURL); err != nil || u.Scheme != "https" || u.Host == "" {
			errs = append(errs, fmt.Errorf("webhook_url %q: Telegram only posts to https URLs", c.WebhookURL))
		}
		if !secretPattern.MatchString(c.WebhookSecret) {
			errs = append(errs, errors.New("webhook_secret: required in webhook mode, 1-256 characters of A-Z a-z 0-9 _ -"))
		}
	default:
		errs = append(errs, fmt.Errorf("mode %q: want %q or %q", c.Mode, ModePolling, ModeWebhook))
	}
	for _, p := range []struct {
		name string
		v    int
	}{
		{"rate_global_per_sec", c.RateGlobalPerSec}, {"global_burst", c.GlobalBurst},
		{"rate_chat_per_sec", c.RateChatPerSec}, {"chat_burst", c.ChatBurst},
		{"rate_group_per_min", c.RateGroupPerMin}, {"group_burst", c.GroupBurst},
	} {
		if p.v < 1 {
			errs = append(errs, fmt.Errorf("%s: %d, want at least 1", p.name, p.v))
		}
	}
	if c.PollTimeout < time.Second || c.PollTimeout > 10*time.Minute {
		errs = append(errs, fmt.Errorf("poll_timeout %s: want between 1s and 10m", c.PollTimeout))
	}
	if c.RequestTimeout <= 0 {
		errs = append(errs, fmt.Errorf("request_timeout %s: want a positive duration", c.RequestTimeout))
	}
	if c.MaxRetryWait < 0 {
		errs = append(errs, fmt.Errorf("max_retry_wait %s: want zero or more", c.MaxRetryWait))
	}
	return errors.Join(errs...)
}
