package delivery

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/anttbot/anttbot/bot"
	"github.com/anttbot/anttbot/bot/telegram"
	"github.com/anttbot/anttbot/bot/telegram/telegramtest"
	"github.com/anttbot/anttbot/ratelimit"
	"github.com/anttbot/anttbot/store"
)

// platformLimits plays Telegram: a call over its limits is answered 429
// with retry_after. It sees arrival times, which carry network and
// scheduling jitter the sender cannot see (tens of milliseconds under the
// race detector on a loaded machine), so its windows are shortened by
// jitter, as Telegram's own enforcement is not to the millisecond either.
type platformLimits struct {
	global  int           // calls per second over all chats
	perChat time.Duration // least time between two calls to one chat
	jitter  time.Duration

	mu       sync.Mutex
	accepted []time.Time
	lastChat map[string]time.Time
	refused  int
}

// over reports whether c breaks a limit; it records c when it does not.
func (p *platformLimits) over(c telegramtest.Call) bool {
	if c.Method != "sendMessage" {
		return false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	window := time.Second - p.jitter
	n := 1
	for i := len(p.accepted) - 1; i >= 0 && c.At.Sub(p.accepted[i]) < window; i-- {
		n++
	}
	last, seen := p.lastChat[c.ChatID()]
	if n > p.global || (seen && c.At.Sub(last) < p.perChat-p.jitter) {
		p.refused++
		return true
	}
	p.accepted = append(p.accepted, c.At)
	p.lastChat[c.ChatID()] = c.At
	return false
}

// grantLog is the adapter's rate limiter, recording the instant of every
// event it grants, per key and rule. Those instants are exact (the
// limiter's own clock at its decision), so they show whether the sender
// ever went over a limit, free of the jitter the platform sees.
type grantLog struct {
	mu     sync.Mutex
	inner  *ratelimit.Memory
	last   time.Time // the inner limiter's clock at its latest decision
	grants map[string][]time.Time
	rules  map[string]ratelimit.Rule
}

func newGrantLog() *grantLog {
	g := &grantLog{grants: map[string][]time.Time{}, rules: map[string]ratelimit.Rule{}}
	// Read only under g.mu: every call into inner is.
	g.inner = ratelimit.NewMemory(ratelimit.WithNow(func() time.Time { g.last = time.Now(); return g.last }))
	return g
}

func (g *grantLog) AllowAll(ctx context.Context, takes []ratelimit.Take) (ratelimit.Result, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	res, err := g.inner.AllowAll(ctx, takes)
	if err == nil && res.Allowed {
		for _, t := range takes {
			g.grants[t.Key] = append(g.grants[t.Key], g.last)
			g.rules[t.Key] = t.Rule
		}
	}
	return res, err
}

func (g *grantLog) Allow(ctx context.Context, key string, r ratelimit.Rule) (ratelimit.Result, error) {
	return g.AllowAll(ctx, []ratelimit.Take{{Key: key, Rule: r}})
}

func (g *grantLog) Wait(ctx context.Context, key string, r ratelimit.Rule) error {
	_, err := ratelimit.WaitAll(ctx, g, []ratelimit.Take{{Key: key, Rule: r}})
	return err
}

func (g *grantLog) Hold(ctx context.Context, key string, d time.Duration) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.inner.Hold(ctx, key, d)
}

// check reports every run of grants closer than the platform allows: for
// the global key (the one under globalRule) no second holds more than
// globalRule.Rate grants; for a chat key (any other per-second key) no
// second holds two. It returns the number of global grants.
func (g *grantLog) check(t *testing.T, globalRate int) int {
	t.Helper()
	g.mu.Lock()
	defer g.mu.Unlock()
	global := 0
	for key, ts := range g.grants {
		limit := 1
		switch r := g.rules[key]; {
		case strings.HasSuffix(key, ":global"):
			// The adapter paces a little under the platform's rate: check
			// the platform's.
			if r.Rate != globalRate || r.Per < time.Second {
				t.Errorf("global rule %+v, want %d a second or a little slower", r, globalRate)
			}
			limit = globalRate
			global += len(ts)
		case r.Per != time.Second:
			continue // group keys: not used by this test
		}
		// Grants are appended in decision order; the limiter keeps
		// microseconds, hence the 1 µs slack.
		for i := limit; i < len(ts); i++ {
			if d := ts[i].Sub(ts[i-limit]); d < time.Second-time.Microsecond {
				t.Errorf("key %s: %d grants within %s, the platform allows %d a second", key, limit+1, d, limit)
				break
			}
		}
	}
	return global
}

// noSubmit is the Telegram adapter's Submitter; the burst receives nothing.
type noSubmit struct{}

func (noSubmit) Submit(context.Context, bot.Update) (bool, error) { return true, nil }

// TestBurstWithinTelegramLimits sends a burst through the real Telegram
// adapter to a fake Bot API that refuses what breaks the limits, and checks
// that everything arrives, in order per chat, with nothing refused.
func TestBurstWithinTelegramLimits(t *testing.T) {
	t.Parallel()
	forEachDriver(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		n, chats, rate := 1000, 200, 100
		if raceEnabled && st.Driver() == store.DriverSQLite {
			// Under the race detector the transpiled SQLite runs ~12 times
			// slower and cannot keep 100 jobs a second; a smaller burst
			// keeps the test short and checks the same rules.
			n, chats, rate = 40, 20, 20
		}
		limits := &platformLimits{global: rate, perChat: time.Second, jitter: 100 * time.Millisecond, lastChat: map[string]time.Time{}}
		srv := telegramtest.NewServer(t, "")
		srv.FailWhen(limits.over, 1<<30, telegramtest.TooManyRequests(1))
		grants := newGrantLog()
		tg, err := telegram.New(telegram.Config{
			Token: srv.Token, APIURL: srv.URL,
			RateGlobalPerSec: rate, GlobalBurst: 1, RateChatPerSec: 1, ChatBurst: 1,
		}, noSubmit{}, telegram.WithLogger(testLogger()), telegram.WithLimiter(grants))
		if err != nil {
			t.Fatal(err)
		}

		// Rounds of one message per chat, chats shuffled in each round, so
		// a chat's next message is sometimes close behind its previous one.
		rnd := rand.New(rand.NewPCG(1, 2))
		jobs := make([]Job, 0, n)
		for r := 0; len(jobs) < n; r++ {
			for _, c := range rnd.Perm(chats) {
				jobs = append(jobs, textJob(ToChat(bot.ChannelTelegram, fmt.Sprint(700000+c)), KindDigest, fmt.Sprintf("c%d m%02d", c, r)))
			}
		}
		if err := EnqueueNow(ctx, st, jobs[:n]...); err != nil {
			t.Fatal(err)
		}
		opts := fastOptions()
		opts.Workers = 30
		var mu sync.Mutex
		got := map[Outcome]int{}
		opts.OnOutcome = func(r Result) { mu.Lock(); got[r.Outcome]++; mu.Unlock() }
		q := startQueue(t, st, map[string]bot.Channel{bot.ChannelTelegram: tg}, opts)

		deadline := time.Now().Add(time.Duration(n/rate)*time.Second + 45*time.Second)
		for len(okCalls(srv)) < n {
			if time.Now().After(deadline) {
				s, err := q.Stats(ctx)
				t.Fatalf("timed out: %d of %d messages accepted; queue %+v (%v)", len(okCalls(srv)), n, s, err)
			}
			time.Sleep(50 * time.Millisecond)
		}
		settle(t, q, 10*time.Second)
		calls := okCalls(srv)
		if len(calls) != n {
			t.Errorf("platform accepted %d messages, want %d", len(calls), n)
		}
		perChat := map[string][]string{}
		for _, c := range calls {
			perChat[c.ChatID()] = append(perChat[c.ChatID()], c.Fields["text"])
		}
		for chat, texts := range perChat {
			for i := 1; i < len(texts); i++ {
				if texts[i] <= texts[i-1] { // "cN m00" < "cN m01" < ...
					t.Errorf("chat %s got %q: out of order or duplicated", chat, texts)
					break
				}
			}
		}
		// Every call the platform saw took a grant, and no grant broke a limit.
		global := grants.check(t, rate)
		limits.mu.Lock()
		refused := limits.refused
		limits.mu.Unlock()
		if global != len(calls)+refused {
			t.Errorf("%d global grants for %d calls: some call bypassed the limiter", global, len(calls)+refused)
		}
		span := calls[len(calls)-1].At.Sub(calls[0].At)
		hist := make([]int, int(span/time.Second)+1)
		for _, c := range calls {
			hist[int(c.At.Sub(calls[0].At)/time.Second)]++
		}
		t.Logf("messages per second: %v", hist)
		achieved := float64(len(calls)-1) / span.Seconds()
		mu.Lock()
		defer mu.Unlock()
		t.Logf("%d messages to %d chats in %s: %.1f/s against a limit of %d/s (efficiency %.0f%%); outcomes %v; "+
			"refused by the platform's arrival-time check (jitter allowance %s): %d",
			len(calls), chats, span.Round(time.Millisecond), achieved, rate, 100*achieved/float64(rate), got, limits.jitter, refused)
	})
}

// okCalls returns the sendMessage calls the server accepted, by arrival.
func okCalls(srv *telegramtest.Server) []telegramtest.Call {
	var out []telegramtest.Call
	for _, c := range srv.Calls("sendMessage") {
		if c.OK() {
			out = append(out, c)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].At.Before(out[j].At) })
	return out
}
