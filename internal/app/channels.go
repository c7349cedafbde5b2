package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/anttbot/anttbot/bot"
	"github.com/anttbot/anttbot/bot/telegram"
	"github.com/anttbot/anttbot/bot/zalo"
	"github.com/anttbot/anttbot/ratelimit"
	"github.com/anttbot/anttbot/store"
)

// Keys of the durable settings the channels keep in the store.
const (
	kvTelegramOffset = "telegram.offset"
	kvZaloTokens     = "zalo.tokens"
)

// limiter is shared by the channels: through Redis across replicas when Redis
// is configured (falling back to in-process if Redis fails), in-process otherwise.
func (a *App) limiter() ratelimit.Limiter {
	if a.rateLimiter != nil {
		return a.rateLimiter
	}
	if a.Redis != nil {
		a.rateLimiter = ratelimit.NewFallback(ratelimit.NewRedis(a.Redis, a.Config.Redis.KeyPrefix+"rl:"), ratelimit.NewMemory(), a.Log)
	} else {
		a.rateLimiter = ratelimit.NewMemory()
	}
	return a.rateLimiter
}

// buildChannels creates the Telegram and Zalo adapters the config enables.
func (a *App) buildChannels() error {
	cfg := a.Config
	if cfg.Telegram.Enabled {
		tg, err := telegram.New(telegram.Config{
			Token:            cfg.Telegram.Token,
			APIURL:           cfg.Telegram.APIURL,
			Mode:             cfg.Telegram.Mode,
			WebhookURL:       cfg.Telegram.WebhookURL,
			WebhookSecret:    cfg.Telegram.WebhookSecret,
			RateGlobalPerSec: cfg.Telegram.RateGlobalPerSec,
			RateChatPerSec:   cfg.Telegram.RateChatPerSec,
			RateGroupPerMin:  cfg.Telegram.RateGroupPerMin,
		}, a.inbound,
			telegram.WithLogger(a.Log),
			telegram.WithTranslator(a.Catalog),
			telegram.WithOffsetStore(kvOffsetStore{a.Store}),
			telegram.WithLimiter(a.limiter()),
			telegram.WithClock(a.Now),
		)
		if err != nil {
			return fmt.Errorf("app: telegram: %w", err)
		}
		a.Telegram = tg
		a.Channels[bot.ChannelTelegram] = tg
		if cfg.Telegram.Mode == "webhook" {
			a.mux.Handle("POST "+cfg.Telegram.WebhookPath, tg.WebhookHandler())
		}
	}
	if cfg.Zalo.Enabled {
		var options zalo.OptionMemory
		if a.Redis != nil {
			options = redisOptions{a.Redis, a.Config.Redis.KeyPrefix + "zalo:choices:"}
		} else {
			options = zalo.NewMemoryOptions(24*time.Hour, a.Now)
		}
		za, err := zalo.New(zalo.Config{
			AppID:             cfg.Zalo.AppID,
			AppSecret:         cfg.Zalo.AppSecret,
			OASecretKey:       cfg.Zalo.OASecretKey,
			RefreshToken:      cfg.Zalo.RefreshToken,
			APIURL:            cfg.Zalo.APIURL,
			OAuthURL:          cfg.Zalo.OAuthURL,
			ZNSURL:            cfg.Zalo.ZNS.APIURL,
			ZNSTemplateID:     cfg.Zalo.ZNS.TemplateID,
			InteractionWindow: cfg.Zalo.InteractionWindow,
			Lang:              cfg.App.DefaultLocale,
		}, a.inbound, kvTokenStore{a.Store},
			zalo.WithLogger(a.Log),
			zalo.WithTranslator(a.Catalog),
			zalo.WithInteractionRecorder(newZaloTouch(a.Store)),
			zalo.WithOptionMemory(options),
			zalo.WithWaiter(zaloWaiter{a.limiter(), ratelimit.Rule{Rate: cfg.Zalo.RatePerMin, Per: time.Minute, Burst: 1}}),
			zalo.WithClock(a.Now),
		)
		if err != nil {
			return fmt.Errorf("app: zalo: %w", err)
		}
		a.Zalo = za
		a.Channels[bot.ChannelZalo] = za
		a.mux.Handle(cfg.Zalo.WebhookPath, za.WebhookHandler())
	}
	return nil
}

// startChannels runs the receivers and the Zalo token refresher.
func (a *App) startChannels(ctx context.Context) {
	if a.Telegram != nil {
		a.goBG(func() { a.setDefaultMenus(ctx) })
		a.goBG(func() {
			if err := a.Telegram.Run(ctx); err != nil && ctx.Err() == nil {
				a.Log.Error("telegram stopped", "err", err)
			}
		})
	}
	if a.Zalo != nil {
		a.goBG(func() { a.Zalo.Tokens().Run(ctx, 30*time.Minute) })
	}
}

// kvOffsetStore keeps Telegram's polling offset in the store.
type kvOffsetStore struct{ st *store.Store }

func (s kvOffsetStore) Get(ctx context.Context) (telegram.Offset, error) {
	v, err := s.st.GetKV(ctx, kvTelegramOffset)
	if errors.Is(err, store.ErrNotFound) {
		return telegram.Offset{}, nil
	} else if err != nil {
		return telegram.Offset{}, err
	}
	var o telegram.Offset
	if err := json.Unmarshal([]byte(v), &o); err != nil {
		return telegram.Offset{}, fmt.Errorf("app: stored telegram offset: %w", err)
	}
	return o, nil
}

func (s kvOffsetStore) Set(ctx context.Context, o telegram.Offset) error {
	b, _ := json.Marshal(o)
	return s.st.SetKV(ctx, kvTelegramOffset, string(b))
}

// kvTokenStore keeps the Zalo token pair in the store; compare-and-set makes
// sure two replicas never spend the single-use refresh token twice.
type kvTokenStore struct{ st *store.Store }

func encodePair(p zalo.TokenPair) string {
	if p.IsZero() {
		return ""
	}
	b, _ := json.Marshal(p)
	return string(b)
}

func (s kvTokenStore) Load(ctx context.Context) (zalo.TokenPair, error) {
	v, err := s.st.GetKV(ctx, kvZaloTokens)
	if errors.Is(err, store.ErrNotFound) || (err == nil && v == "") {
		return zalo.TokenPair{}, nil
	} else if err != nil {
		return zalo.TokenPair{}, err
	}
	var p zalo.TokenPair
	if err := json.Unmarshal([]byte(v), &p); err != nil {
		return zalo.TokenPair{}, fmt.Errorf("app: stored zalo tokens: %w", err)
	}
	return p, nil
}

func (s kvTokenStore) CompareAndSwap(ctx context.Context, old, new zalo.TokenPair) (bool, error) {
	return s.st.CompareAndSetKV(ctx, kvZaloTokens, encodePair(old), encodePair(new))
}

// zaloTouch records a Zalo user's last interaction (the 7-day window). The
// window needs no better than minutes, and every message of a busy user
// would otherwise cost a database write before it is even journaled: a user
// written in the last one to two minutes is not written again by this process.
type zaloTouch struct {
	st  *store.Store
	now func() time.Time // wall clock, for the coalescing only

	mu        sync.Mutex
	cur, prev map[string]bool // users written in this and the previous period
	since     time.Time       // start of cur
}

// zaloTouchEvery is the coalescing period.
const zaloTouchEvery = time.Minute

func newZaloTouch(st *store.Store) *zaloTouch {
	return &zaloTouch{st: st, now: time.Now, cur: map[string]bool{}, prev: map[string]bool{}}
}

func (z *zaloTouch) Touch(ctx context.Context, userID string, at time.Time) error {
	z.mu.Lock()
	switch now := z.now(); {
	case now.Sub(z.since) >= 2*zaloTouchEvery || now.Before(z.since):
		z.prev, z.cur, z.since = map[string]bool{}, map[string]bool{}, now
	case now.Sub(z.since) >= zaloTouchEvery:
		z.prev, z.cur, z.since = z.cur, map[string]bool{}, now
	}
	recent := z.cur[userID] || z.prev[userID]
	if !recent {
		z.cur[userID] = true
	}
	z.mu.Unlock()
	if recent {
		return nil
	}
	err := z.st.TouchIdentity(ctx, bot.ChannelZalo, userID, at)
	if errors.Is(err, store.ErrNotFound) {
		return nil // not linked yet: onboarding links it
	}
	if err != nil {
		z.mu.Lock()
		delete(z.cur, userID) // try again with the next message
		z.mu.Unlock()
	}
	return err
}

// zaloWaiter paces Zalo API calls with the shared limiter.
type zaloWaiter struct {
	l    ratelimit.Limiter
	rule ratelimit.Rule
}

func (w zaloWaiter) Wait(ctx context.Context, key string) error { return w.l.Wait(ctx, key, w.rule) }

// redisOptions remembers the numbered choices shown to a Zalo user, so the
// reply "2" is understood on any replica.
type redisOptions struct {
	c      *redis.Client
	prefix string
}

func (r redisOptions) Remember(ctx context.Context, userID string, c zalo.Choices) error {
	b, err := json.Marshal(c)
	if err != nil {
		return err
	}
	return r.c.Set(ctx, r.prefix+userID, b, 24*time.Hour).Err()
}

func (r redisOptions) Recall(ctx context.Context, userID string) (zalo.Choices, bool, error) {
	b, err := r.c.Get(ctx, r.prefix+userID).Bytes()
	if errors.Is(err, redis.Nil) {
		return zalo.Choices{}, false, nil
	} else if err != nil {
		return zalo.Choices{}, false, err
	}
	var c zalo.Choices
	if err := json.Unmarshal(b, &c); err != nil {
		return zalo.Choices{}, false, nil
	}
	return c, true, nil
}

func (r redisOptions) Forget(ctx context.Context, userID string) error {
	return r.c.Del(ctx, r.prefix+userID).Err()
}
