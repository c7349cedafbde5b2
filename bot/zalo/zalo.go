// Package zalo is the Zalo Official Account (OA) adapter: it receives the OA
// webhook, verifies and translates each event into one bot.Update for the
// dispatcher, and implements bot.Channel by calling the OA HTTP API directly
// (there is no maintained Go SDK). It also keeps the OA access token fresh
// (single-use refresh tokens, shared by every replica through a TokenStore)
// and falls back to a ZNS template for users outside the 7-day window.
//
// Platform facts come from the official docs (docs.zaloplatforms.com) and the
// official Java/PHP SDKs; what is unconfirmed is marked where it is used.
package zalo

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/anttbot/anttbot/bot"
	"github.com/anttbot/anttbot/locales"
)

// Default endpoints and limits.
const (
	DefaultAPIURL            = "https://openapi.zalo.me"
	DefaultOAuthURL          = "https://oauth.zaloapp.com"
	DefaultZNSURL            = "https://business.openapi.zalo.me"
	DefaultInteractionWindow = 7 * 24 * time.Hour
	// DefaultLang is the language of adapter-made text (Zalo tells us none).
	DefaultLang = "vi"
)

// Config is what the adapter needs from the service configuration; the lead
// maps config.Config onto it.
type Config struct {
	AppID     string
	AppSecret string // OAuth secret_key header; also keys the button signatures
	// OASecretKey verifies the webhook MAC. It is not the app secret.
	OASecretKey string
	// RefreshToken seeds an empty TokenStore (first start only); afterwards the
	// rotated token lives in the store.
	RefreshToken string
	APIURL       string // default DefaultAPIURL
	OAuthURL     string // default DefaultOAuthURL
	ZNSURL       string // default DefaultZNSURL
	// ZNSTemplateID is the approved ZNS template used for users outside the
	// interaction window; empty disables the fallback.
	ZNSTemplateID string
	// InteractionWindow is how long after a user's last interaction CS
	// messages may be sent (default 7 days).
	InteractionWindow time.Duration
	// Lang is the language of the text the adapter adds itself (list hints,
	// the contact request card); default "vi".
	Lang string
	// ContactImageURL is an optional picture for the request_user_info card.
	ContactImageURL string
}

// withDefaults fills the zero fields.
func (c Config) withDefaults() Config {
	if c.APIURL == "" {
		c.APIURL = DefaultAPIURL
	}
	if c.OAuthURL == "" {
		c.OAuthURL = DefaultOAuthURL
	}
	if c.ZNSURL == "" {
		c.ZNSURL = DefaultZNSURL
	}
	if c.InteractionWindow <= 0 {
		c.InteractionWindow = DefaultInteractionWindow
	}
	if c.Lang == "" {
		c.Lang = DefaultLang
	}
	c.APIURL = strings.TrimRight(c.APIURL, "/")
	c.OAuthURL = strings.TrimRight(c.OAuthURL, "/")
	c.ZNSURL = strings.TrimRight(c.ZNSURL, "/")
	return c
}

// Validate reports every missing or malformed field at once.
func (c Config) Validate() error {
	var errs []error
	if c.AppID == "" {
		errs = append(errs, errors.New("zalo: app_id is required"))
	}
	if c.AppSecret == "" {
		errs = append(errs, errors.New("zalo: app_secret is required"))
	}
	if c.OASecretKey == "" {
		errs = append(errs, errors.New("zalo: oa_secret_key is required (webhook signature)"))
	}
	for name, v := range map[string]string{"api_url": c.APIURL, "oauth_url": c.OAuthURL, "zns_url": c.ZNSURL} {
		if v == "" {
			continue
		}
		if u, err := url.Parse(v); err != nil || u.Scheme == "" || u.Host == "" {
			errs = append(errs, fmt.Errorf("zalo: %s %q is not an absolute URL", name, v))
		}
	}
	return errors.Join(errs...)
}

// Submitter takes a translated update; *bot.Dispatcher satisfies it.
// accepted is false for a duplicate; an error means the update was not
// recorded and the platform must deliver it again.
type Submitter interface {
	Submit(ctx context.Context, u bot.Update) (accepted bool, err error)
}

// InteractionRecorder stores when a user last interacted with the OA, which
// decides whether a CS message may be sent (store.TouchIdentity in production).
type InteractionRecorder interface {
	Touch(ctx context.Context, userID string, at time.Time) error
}

// Waiter paces outgoing API calls (Zalo allows 4,000 requests a minute per
// app); the shared ratelimit limiter fits behind it.
type Waiter interface {
	Wait(ctx context.Context, key string) error
}

// Translator looks up user-facing text; *locales.Catalog satisfies it.
type Translator interface {
	T(lang, key string, args ...any) string
}

// Adapter is the Zalo OA channel: webhook receiver and bot.Channel.
type Adapter struct {
	cfg       Config
	sub       Submitter
	tokens    *TokenManager
	client    *http.Client
	log       *slog.Logger
	now       func() time.Time
	waiter    Waiter
	tr        Translator
	choices   OptionMemory
	recorder  InteractionRecorder
	buttonKey []byte
	// submitTimeout keeps the webhook answer inside Zalo's 2-second budget.
	submitTimeout time.Duration
}

// Option customises an Adapter.
type Option func(*Adapter)

// WithLogger sets the logger (default slog.Default()).
func WithLogger(l *slog.Logger) Option { return func(a *Adapter) { a.log = l } }

// WithHTTPClient sets the client for every API call (default: 15 s timeout).
func WithHTTPClient(c *http.Client) Option { return func(a *Adapter) { a.client = c } }

// WithClock sets the clock (tests).
func WithClock(now func() time.Time) Option { return func(a *Adapter) { a.now = now } }

// WithWaiter paces API calls (default: no wait).
func WithWaiter(w Waiter) Option { return func(a *Adapter) { a.waiter = w } }

// WithTranslator sets the message catalogue (default: locales.Load()).
func WithTranslator(t Translator) Option { return func(a *Adapter) { a.tr = t } }

// WithOptionMemory sets where the last offered choices per user are kept
// (default: in memory for 24 h, which is right for a single replica only).
func WithOptionMemory(m OptionMemory) Option { return func(a *Adapter) { a.choices = m } }

// WithInteractionRecorder records each user's last interaction (default: none).
func WithInteractionRecorder(r InteractionRecorder) Option {
	return func(a *Adapter) { a.recorder = r }
}

// WithSubmitTimeout bounds the Submit call made while Zalo waits for the
// webhook answer (default 1.5 s; Zalo wants 200 within 2 s).
func WithSubmitTimeout(d time.Duration) Option { return func(a *Adapter) { a.submitTimeout = d } }

// New returns an Adapter. tokens holds the rotating OA token pair; it must be
// shared by every replica (a KV row in production).
func New(cfg Config, sub Submitter, tokens TokenStore, opts ...Option) (*Adapter, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if sub == nil {
		return nil, errors.New("zalo: a Submitter is required")
	}
	if tokens == nil {
		return nil, errors.New("zalo: a TokenStore is required")
	}
	cfg = cfg.withDefaults()
	a := &Adapter{
		cfg:           cfg,
		sub:           sub,
		client:        &http.Client{Timeout: 15 * time.Second, Transport: apiTransport()},
		log:           slog.Default(),
		now:           time.Now,
		waiter:        noWait{},
		submitTimeout: 1500 * time.Millisecond,
	}
	for _, o := range opts {
		o(a)
	}
	if a.tr == nil {
		cat, err := locales.Load()
		if err != nil {
			return nil, fmt.Errorf("zalo: load locales: %w", err)
		}
		a.tr = cat
	}
	if a.choices == nil {
		a.choices = NewMemoryOptions(24*time.Hour, a.now)
	}
	if a.recorder == nil {
		a.recorder = noRecorder{}
	}
	a.log = a.log.With("comp", "zalo")
	// A key of its own for buttons, so the app secret itself never signs user-visible data.
	mac := hmac.New(sha256.New, []byte(cfg.AppSecret))
	mac.Write([]byte("anttbot/zalo/button/v1"))
	a.buttonKey = mac.Sum(nil)
	a.tokens = newTokenManager(tokenConfig{
		appID:     cfg.AppID,
		appSecret: cfg.AppSecret,
		oauthURL:  cfg.OAuthURL,
		bootstrap: cfg.RefreshToken,
	}, tokens, a.client, a.log, a.now)
	return a, nil
}

// Name implements bot.Channel.
func (a *Adapter) Name() string { return bot.ChannelZalo }

// Tokens returns the token manager, e.g. for a job that keeps the refresh
// token alive while the bot is idle (TokenManager.Run).
func (a *Adapter) Tokens() *TokenManager { return a.tokens }

type noWait struct{}

func (noWait) Wait(context.Context, string) error { return nil }

type noRecorder struct{}

func (noRecorder) Touch(context.Context, string, time.Time) error { return nil }

// apiTransport keeps enough idle connections to the OA API for the replies
// and queued messages that go out at once: the default of two per host makes
// a busy bot dial and close a connection for most calls.
func apiTransport() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns = 128
	t.MaxIdleConnsPerHost = 64
	return t
}
