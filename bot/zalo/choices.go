package zalo

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// Button taps come back as ordinary user_send_text messages whose text is
// the button payload, so anybody could type a payload. Ours are recognised
// by this prefix and carry an HMAC bound to the recipient; a payload with
// the prefix that fails verification becomes a stale-button callback
// (Callback.Data == "") and the core answers it like any outdated button.
// "#" is avoided as a prefix: OA "truy vấn tự động" auto-replies use it.
const payloadPrefix = "~b1."

// sigLen is the length of the base64url signature (12 bytes of HMAC-SHA256).
const sigLen = 16

// signPayload returns the button payload for data offered to userID.
func (a *Adapter) signPayload(userID, data string) string {
	return payloadPrefix + a.payloadMAC(userID, data) + "." + data
}

func (a *Adapter) payloadMAC(userID, data string) string {
	m := hmac.New(sha256.New, a.buttonKey)
	m.Write([]byte(userID))
	m.Write([]byte{0})
	m.Write([]byte(data))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:12])
}

// verifyPayload checks text typed or tapped by userID. ours says the text
// claims to be one of our payloads; ok says the claim holds.
func (a *Adapter) verifyPayload(userID, text string) (data string, ours, ok bool) {
	rest, found := strings.CutPrefix(text, payloadPrefix)
	if !found {
		return "", false, false
	}
	if len(rest) < sigLen+1 || rest[sigLen] != '.' {
		return "", true, false
	}
	sig, data := rest[:sigLen], rest[sigLen+1:]
	if !hmac.Equal([]byte(sig), []byte(a.payloadMAC(userID, data))) {
		return "", true, false
	}
	return data, true, true
}

// Choice is one option offered to a user.
type Choice struct {
	Label string `json:"label"`
	Data  string `json:"data"`
}

// Choices are the options last offered to a user, so that a typed reply
// ("2", "viec tot") can be read as a tap. Numbered is true when they were
// shown as a numbered list (more than 5, or labels too long for buttons).
type Choices struct {
	Numbered bool     `json:"numbered"`
	Options  []Choice `json:"options"`
}

// OptionMemory keeps the last Choices per user (Redis in production, so a
// reply may land on any replica).
type OptionMemory interface {
	Remember(ctx context.Context, userID string, c Choices) error
	// Recall returns ok=false when nothing is remembered (or it expired).
	Recall(ctx context.Context, userID string) (c Choices, ok bool, err error)
	Forget(ctx context.Context, userID string) error
}

// MemoryOptions is an OptionMemory in process memory with a TTL.
type MemoryOptions struct {
	mu        sync.Mutex
	ttl       time.Duration
	now       func() time.Time
	m         map[string]memChoices
	lastSweep time.Time
}

type memChoices struct {
	c       Choices
	expires time.Time
}

// NewMemoryOptions returns an in-memory OptionMemory; now may be nil (time.Now).
func NewMemoryOptions(ttl time.Duration, now func() time.Time) *MemoryOptions {
	if now == nil {
		now = time.Now
	}
	return &MemoryOptions{ttl: ttl, now: now, m: make(map[string]memChoices)}
}

// Remember implements OptionMemory.
func (s *MemoryOptions) Remember(_ context.Context, userID string, c Choices) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	if now.Sub(s.lastSweep) > s.ttl {
		for k, v := range s.m {
			if now.After(v.expires) {
				delete(s.m, k)
			}
		}
		s.lastSweep = now
	}
	s.m[userID] = memChoices{c: c, expires: now.Add(s.ttl)}
	return nil
}

// Recall implements OptionMemory.
func (s *MemoryOptions) Recall(_ context.Context, userID string) (Choices, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.m[userID]
	if !ok || s.now().After(v.expires) {
		return Choices{}, false, nil
	}
	return v.c, true, nil
}

// Forget implements OptionMemory.
func (s *MemoryOptions) Forget(_ context.Context, userID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.m, userID)
	return nil
}

// match reads a typed reply as one of c's options: its number (numbered
// lists only) or its label, compared without case, diacritics, emoji or
// punctuation, because many users type Vietnamese without marks.
func match(text string, c Choices) (Choice, bool) {
	t := strings.TrimSpace(text)
	if c.Numbered {
		if n, err := strconv.Atoi(strings.TrimRight(t, ".)")); err == nil && n >= 1 && n <= len(c.Options) {
			return c.Options[n-1], true
		}
	}
	f := fold(t)
	if f == "" {
		return Choice{}, false
	}
	for i, o := range c.Options {
		if fold(o.Label) == f || (c.Numbered && fold(strconv.Itoa(i+1)+" "+o.Label) == f) {
			return o, true
		}
	}
	return Choice{}, false
}

// fold lowercases s, strips Vietnamese diacritics (đ → d) and keeps only
// letters and digits separated by single spaces: "📝 Việc tốt!" → "viec tot".
func fold(s string) string {
	var b strings.Builder
	gap := false
	for _, r := range norm.NFD.String(s) {
		if unicode.Is(unicode.Mn, r) {
			continue
		}
		if r == 'đ' || r == 'Đ' {
			r = 'd'
		}
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			gap = true
			continue
		}
		if gap && b.Len() > 0 {
			b.WriteByte(' ')
		}
		gap = false
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}
