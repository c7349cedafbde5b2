// Package telegram is the Telegram adapter: it receives updates (webhook or
// long polling), verifies and translates them into bot.Update for the
// dispatcher, and sends bot.Message through the Bot API within Telegram's
// rate limits. go-telegram/bot is used as the API client and for its models;
// receiving is done here, because the library's webhook handler answers 200
// to everything and its poller confirms updates before they are handled.
//
// Decisions worth knowing:
//   - Button data is signed (HMAC-SHA256 over chat id and data, 16 base64url
//     characters in front of the data, so data may be up to 48 bytes). A tap
//     whose signature does not verify (forged, or signed with an older secret)
//     arrives as KindCallback with empty Data and Text, so the core answers
//     "stale button" and acknowledges the tap.
//   - Edited messages in private chats arrive as KindOther with empty Text (the
//     core tells the user edits are not taken into account); in groups they,
//     channel posts, service messages and unknown update kinds are dropped
//     with a debug log.
//   - Commands lose their "@botname" suffix; a command addressed to another bot
//     is dropped. Text is normalised to Unicode NFC.
//   - Send escapes all text for parse mode HTML, splits it at paragraph, line or
//     word boundaries within 4096 UTF-16 code units, and puts buttons on the
//     last part. An edit whose content is unchanged counts as done.
package telegram

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	tgbot "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"github.com/anttbot/anttbot/bot"
	"github.com/anttbot/anttbot/locales"
	"github.com/anttbot/anttbot/ratelimit"
)

// Submitter takes a translated update; *bot.Dispatcher satisfies it. accepted
// is false for a duplicate; an error means the update was not recorded and
// must be delivered again.
type Submitter interface {
	Submit(ctx context.Context, u bot.Update) (accepted bool, err error)
}

// Translator looks up user-facing text; *locales.Catalog satisfies it.
type Translator interface {
	T(lang, key string, args ...any) string
}

// HTTPDoer sends HTTP requests; *http.Client satisfies it.
type HTTPDoer interface {
	Do(*http.Request) (*http.Response, error)
}

// Adapter is the Telegram channel. Create it with New.
type Adapter struct {
	cfg     Config
	sub     Submitter
	api     *tgbot.Bot
	http    HTTPDoer
	log     *slog.Logger
	lim     ratelimit.Limiter
	offsets OffsetStore
	now     func() time.Time
	tr      Translator
	signer  signer

	// keyPrefix namespaces rate-limit keys per bot, so bots sharing a Redis do
	// not share budgets.
	keyPrefix string
	global    ratelimit.Rule
	chat      ratelimit.Rule
	group     ratelimit.Rule

	username atomic.Pointer[string]
	// globalHold is when the last global 429 seen by this process ends (unix
	// ns): a sender whose reserved slot falls inside it reserves again.
	globalHold atomic.Int64
}

// Option customises an Adapter.
type Option func(*Adapter)

// WithLogger sets the logger (default slog.Default()).
func WithLogger(l *slog.Logger) Option { return func(a *Adapter) { a.log = l } }

// WithLimiter sets the outbound rate limiter; give every replica the same
// Redis-backed one (default: in-process, for one replica).
func WithLimiter(l ratelimit.Limiter) Option { return func(a *Adapter) { a.lim = l } }

// WithHTTPClient sets the HTTP client for every API call. Its own timeout, if
// any, must exceed PollTimeout: the adapter bounds each call with a context.
func WithHTTPClient(c HTTPDoer) Option { return func(a *Adapter) { a.http = c } }

// WithOffsetStore sets where polling keeps the last handled update_id
// (default: in memory, so a restart asks Telegram for everything unconfirmed).
func WithOffsetStore(s OffsetStore) Option { return func(a *Adapter) { a.offsets = s } }

// WithClock sets the clock used for update times and offset ages (tests).
func WithClock(now func() time.Time) Option { return func(a *Adapter) { a.now = now } }

// WithTranslator sets the message catalogue (default: locales.Load()).
func WithTranslator(t Translator) Option { return func(a *Adapter) { a.tr = t } }

// New returns an Adapter for cfg that hands received updates to sub. It makes
// no network call; Run does.
func New(cfg Config, sub Submitter, opts ...Option) (*Adapter, error) {
	cfg = cfg.withDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("telegram: config: %w", err)
	}
	if sub == nil {
		return nil, errors.New("telegram: a Submitter is required")
	}
	a := &Adapter{cfg: cfg, sub: sub, now: time.Now}
	for _, o := range opts {
		o(a)
	}
	if a.log == nil {
		a.log = slog.Default()
	}
	a.log = a.log.With("comp", "telegram")
	if a.lim == nil {
		a.lim = ratelimit.NewMemory()
	}
	if a.offsets == nil {
		a.offsets = NewMemoryOffsetStore()
	}
	if a.tr == nil {
		cat, err := locales.Load()
		if err != nil {
			return nil, fmt.Errorf("telegram: load messages: %w", err)
		}
		a.tr = cat
	}
	if a.http == nil {
		// No client timeout: every call carries its own deadline, and a long
		// poll must be allowed to last PollTimeout.
		// Enough idle connections for the replies and queued messages that go
		// out at once: the default of two per host makes a busy bot dial and
		// close a connection for most calls.
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.MaxIdleConns = 128
		t.MaxIdleConnsPerHost = 64
		a.http = &http.Client{Transport: t}
	} else if c, ok := a.http.(*http.Client); ok && c.Timeout > 0 && c.Timeout <= cfg.PollTimeout+5*time.Second {
		return nil, fmt.Errorf("telegram: HTTP client timeout %s must exceed poll timeout %s by more than 5s, or be 0", c.Timeout, cfg.PollTimeout)
	}
	a.http = statusRecorder{next: a.http}

	secret := cfg.CallbackSecret
	if secret == "" {
		secret = cfg.Token
	}
	a.signer = newSigner(secret)
	botID, _, _ := strings.Cut(cfg.Token, ":")
	a.keyPrefix = "tg:" + botID + ":"
	a.global = ratelimit.Rule{Rate: cfg.RateGlobalPerSec, Per: time.Second * (100 + globalHeadroomPct) / 100, Burst: cfg.GlobalBurst}
	a.chat = ratelimit.PerSecond(cfg.RateChatPerSec, cfg.ChatBurst)
	a.group = ratelimit.PerMinute(cfg.RateGroupPerMin, cfg.GroupBurst)
	if cfg.Username != "" {
		name := cfg.Username
		a.username.Store(&name)
	}

	api, err := tgbot.New(cfg.Token,
		tgbot.WithServerURL(cfg.APIURL),
		tgbot.WithSkipGetMe(),
		tgbot.WithHTTPClient(cfg.PollTimeout, a.http),
		tgbot.WithNotAsyncHandlers(),
		tgbot.WithDefaultHandler(func(context.Context, *tgbot.Bot, *models.Update) {}),
		tgbot.WithErrorsHandler(func(err error) { a.log.Warn("telegram client", "err", err) }),
	)
	if err != nil {
		return nil, fmt.Errorf("telegram: create client: %w", err)
	}
	a.api = api
	return a, nil
}

// Name implements bot.Channel.
func (a *Adapter) Name() string { return bot.ChannelTelegram }

// Run receives updates until ctx ends: in webhook mode it registers the
// webhook and waits (the lead mounts WebhookHandler on the HTTP server); in
// polling mode it removes any webhook and long-polls. It returns nil on a
// normal stop and an error when Telegram rejects the token.
func (a *Adapter) Run(ctx context.Context) error {
	if err := a.learnUsername(ctx); err != nil {
		return err
	}
	if a.cfg.Mode == ModeWebhook {
		return a.runWebhook(ctx)
	}
	return a.poll(ctx)
}

// learnUsername asks getMe for the bot's @username, used to strip
// "/cmd@username". Failing that is not fatal: commands then lose any
// "@suffix". A rejected token is fatal.
func (a *Adapter) learnUsername(ctx context.Context) error {
	if a.username.Load() != nil {
		return nil
	}
	var name string
	err := a.call(ctx, "getMe", a.cfg.RequestTimeout, func(ctx context.Context) error {
		me, err := a.api.GetMe(ctx)
		if err == nil {
			name = me.Username
		}
		return err
	})
	switch {
	case err == nil:
		a.username.Store(&name)
		a.log.Info("bot identified", "username", name)
		return nil
	case isAuthError(err):
		return err
	case ctx.Err() != nil:
		return nil
	default:
		a.log.Warn("getMe failed, commands addressed to other bots will not be told apart", "err", err)
		return nil
	}
}

// botUsername returns the bot's username, or "" while unknown.
func (a *Adapter) botUsername() string {
	if p := a.username.Load(); p != nil {
		return *p
	}
	return ""
}

// allowedUpdates are the update kinds the adapter handles; others are not
// even sent by Telegram.
var allowedUpdates = []string{"message", "edited_message", "callback_query", "my_chat_member"}

// runWebhook registers the webhook (retrying until it works) and waits for ctx.
func (a *Adapter) runWebhook(ctx context.Context) error {
	backoff := newBackoff()
	for {
		err := a.call(ctx, "setWebhook", a.cfg.RequestTimeout, func(ctx context.Context) error {
			_, err := a.api.SetWebhook(ctx, &tgbot.SetWebhookParams{
				URL:            a.cfg.WebhookURL,
				SecretToken:    a.cfg.WebhookSecret,
				AllowedUpdates: allowedUpdates,
			})
			return err
		})
		if err == nil {
			break
		}
		if isAuthError(err) {
			return err
		}
		wait := backoff.next()
		a.log.Warn("setWebhook failed, retrying", "err", err, "retry_in", wait)
		if sleep(ctx, wait) != nil {
			return nil
		}
	}
	a.log.Info("webhook registered", "url", a.cfg.WebhookURL)
	<-ctx.Done()
	return nil
}

// isAuthError reports an error that retrying cannot fix: the token is wrong
// (Telegram answers 401, or 404 for a malformed token).
func isAuthError(err error) bool {
	return errors.Is(err, tgbot.ErrorUnauthorized) || errors.Is(err, tgbot.ErrorNotFound)
}

// backoff doubles a wait from 500 ms up to 30 s.
type backoff struct{ d time.Duration }

func newBackoff() *backoff { return &backoff{} }

func (b *backoff) next() time.Duration {
	switch {
	case b.d == 0:
		b.d = 500 * time.Millisecond
	case b.d < 30*time.Second:
		b.d = min(2*b.d, 30*time.Second)
	}
	return b.d
}

func (b *backoff) reset() { b.d = 0 }

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
