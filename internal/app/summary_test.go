package app

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/anttbot/anttbot/config"
)

// simChat talks to the service through the simulator's HTTP API.
type simChat struct {
	t    *testing.T
	base string
	id   string
	seen int
}

type simMessage struct {
	From       string `json:"from"`
	Text       string `json:"text"`
	Attachment *struct {
		Name    string `json:"name"`
		MIME    string `json:"mime"`
		IsImage bool   `json:"is_image"`
	} `json:"attachment"`
}

func (c *simChat) send(body map[string]any) {
	c.t.Helper()
	body["chat_id"] = c.id
	raw, _ := json.Marshal(body)
	req, _ := http.NewRequest(http.MethodPost, c.base+"/api/send", bytes.NewReader(raw))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Origin", c.base)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode >= 300 {
		c.t.Fatalf("simulator send %v: %s", body, resp.Status)
	}
}

func (c *simChat) messages() []simMessage {
	resp, err := http.Get(fmt.Sprintf("%s/api/messages?chat_id=%s&after=0", c.base, c.id))
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		Messages []simMessage `json:"messages"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		c.t.Fatal(err)
	}
	var bot []simMessage
	for _, m := range out.Messages {
		if m.From == "bot" {
			bot = append(bot, m)
		}
	}
	return bot
}

// next waits for n new bot messages and returns them.
func (c *simChat) next(n int) []simMessage {
	c.t.Helper()
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if ms := c.messages(); len(ms) >= c.seen+n {
			out := ms[c.seen : c.seen+n]
			c.seen += n
			return out
		}
	}
	c.t.Fatalf("chat %s: fewer than %d new bot messages; got %+v", c.id, n, c.messages()[c.seen:])
	return nil
}

func (c *simChat) onboard() {
	c.send(map[string]any{"text": "/start"})
	c.next(1)
	c.send(map[string]any{"share_contact": true})
	c.next(2) // greeting and menu
}

// quietClock is the wall clock moved to 10:00 local on the 15th of this
// month: no scheduled job of the default schedule fires then or still has a
// missed run worth sending (the monthly summary's week of grace is over,
// yesterday's digest is stale, the leader reminder is days away), so a test
// that counts a chat's messages is not met by a catch-up summary whatever
// day it runs on.
func quietClock(cfg config.Config) Option {
	now := time.Now().In(cfg.Location())
	offset := time.Date(now.Year(), now.Month(), 15, 10, 0, 0, 0, cfg.Location()).Sub(now)
	return WithClock(func() time.Time { return time.Now().Add(offset) })
}

func TestSummaryCommandByRole(t *testing.T) {
	cfg := sqliteConfig(t)
	_, base := startApp(t, cfg, WithDemo(), quietClock(cfg))
	police := &simChat{t: t, base: base, id: "demo-1"}
	leader := &simChat{t: t, base: base, id: "demo-2"}
	member := &simChat{t: t, base: base, id: "demo-4"}
	for _, c := range []*simChat{police, leader, member} {
		c.onboard()
	}

	police.send(map[string]any{"text": "/tongket dot2"})
	got := police.next(3)
	if !strings.Contains(got[0].Text, "Xã An Bình") || !strings.Contains(got[0].Text, "Đợt 2") || !strings.Contains(got[0].Text, "✅") {
		t.Fatalf("police scorecard text: %q", got[0].Text)
	}
	if a := got[1].Attachment; a == nil || !a.IsImage || a.MIME != "image/png" {
		t.Fatalf("police should get the chart second, got %+v", got[1])
	}
	if a := got[2].Attachment; a == nil || !strings.HasSuffix(a.Name, ".xlsx") {
		t.Fatalf("police should get the workbook third, got %+v", got[2])
	}

	// A team leader gets the team's text and chart, no workbook.
	leader.send(map[string]any{"text": "/tongket dot1"})
	got = leader.next(2)
	if !strings.Contains(got[0].Text, "thôn Đông") || got[1].Attachment == nil || !got[1].Attachment.IsImage {
		t.Fatalf("leader scorecard: %+v", got)
	}
	time.Sleep(300 * time.Millisecond)
	if extra := leader.messages()[leader.seen:]; len(extra) != 0 {
		t.Fatalf("a team leader must not get the workbook, got %+v", extra)
	}

	// A bad period is explained; a member cannot use the command at all.
	police.send(map[string]any{"text": "/tongket dot9"})
	if got := police.next(1); !strings.Contains(got[0].Text, "dot9") {
		t.Fatalf("bad period answer: %q", got[0].Text)
	}
	member.send(map[string]any{"text": "/tongket"})
	if got := member.next(1); strings.Contains(got[0].Text, "TỔNG KẾT") {
		t.Fatalf("a member must not see the commune scorecard: %q", got[0].Text)
	}
}
