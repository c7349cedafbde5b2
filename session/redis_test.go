package session_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/anttbot/anttbot/internal/testenv"
	"github.com/anttbot/anttbot/session"
)

func TestRedisLayout(t *testing.T) {
	c, prefix := testenv.Redis(t)
	s := session.NewRedis(c, prefix)
	ctx := context.Background()
	wake := time.Now().Add(time.Minute)
	rec := session.Record{Key: "telegram:5", Data: []byte("d"), TTL: 90 * time.Second, WakeAt: wake}
	testenv.Must(t, "save", s.Save(ctx, &rec))

	ttl, err := c.PTTL(ctx, prefix+"sess:telegram:5").Result()
	testenv.Must(t, "pttl", err)
	if ttl <= 80*time.Second || ttl > 90*time.Second {
		t.Errorf("PTTL = %v, want about 90s", ttl)
	}
	score, err := c.ZScore(ctx, prefix+"sess:wake", "telegram:5").Result()
	testenv.Must(t, "zscore", err)
	if int64(score) != wake.UnixMilli() {
		t.Errorf("wake score = %v, want %d", score, wake.UnixMilli())
	}

	// Saving without a wake time takes the key out of the wake set.
	rec.WakeAt = time.Time{}
	testenv.Must(t, "save without wake", s.Save(ctx, &rec))
	if err := c.ZScore(ctx, prefix+"sess:wake", "telegram:5").Err(); !errors.Is(err, redis.Nil) {
		t.Errorf("wake entry kept after clearing: err = %v", err)
	}
}

func TestRedisDueCleansExpired(t *testing.T) {
	c, prefix := testenv.Redis(t)
	s := session.NewRedis(c, prefix)
	ctx := context.Background()
	rec := session.Record{Key: "telegram:gone", Data: []byte("d"), TTL: 50 * time.Millisecond, WakeAt: time.Now()}
	testenv.Must(t, "save", s.Save(ctx, &rec))
	// Redis removes the hash on its own; the wake entry stays until Due sees it.
	testenv.Must(t, "expire now", c.PExpire(ctx, prefix+"sess:telegram:gone", time.Millisecond).Err())
	time.Sleep(5 * time.Millisecond)
	due, err := s.Due(ctx, time.Now().Add(time.Second), 10)
	testenv.Must(t, "due", err)
	if len(due) != 0 {
		t.Fatalf("Due = %v, want none", due)
	}
	n, err := c.ZCard(ctx, prefix+"sess:wake").Result()
	testenv.Must(t, "zcard", err)
	if n != 0 {
		t.Errorf("wake set still holds %d expired entries", n)
	}
}

func TestRedisUnavailable(t *testing.T) {
	// Nothing listens on port 1: every call fails to connect.
	c := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", DialTimeout: 200 * time.Millisecond, MaxRetries: -1, DialerRetries: 1})
	defer c.Close()
	s := session.NewRedis(c, "x:")
	ctx := context.Background()
	rec := session.Record{Key: "telegram:1", Data: []byte("d")}
	calls := []struct {
		name string
		call func() error
	}{
		{"load", func() error { _, err := s.Load(ctx, "telegram:1"); return err }},
		{"save", func() error { return s.Save(ctx, &rec) }},
		{"delete", func() error { return s.Delete(ctx, "telegram:1", 1) }},
		{"due", func() error { _, err := s.Due(ctx, time.Now(), 10); return err }},
	}
	for _, tc := range calls {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call()
			if !errors.Is(err, session.ErrUnavailable) {
				t.Fatalf("err = %v, want ErrUnavailable", err)
			}
		})
	}
}

func TestMemorySweepsExpired(t *testing.T) {
	clock := &fakeClock{}
	m := session.NewMemory(session.WithClock(clock.Now))
	ctx := context.Background()
	for i := range 10 {
		rec := session.Record{Key: fmt.Sprintf("telegram:%d", i), Data: []byte("x"), TTL: time.Second}
		testenv.Must(t, "save", m.Save(ctx, &rec))
	}
	if m.Len() != 10 {
		t.Fatalf("Len = %d, want 10", m.Len())
	}
	clock.Advance(2 * time.Minute)
	if m.Len() != 0 {
		t.Fatalf("Len after expiry = %d, want 0", m.Len())
	}
	rec := session.Record{Key: "telegram:new", Data: []byte("x"), TTL: time.Hour}
	testenv.Must(t, "save after expiry", m.Save(ctx, &rec))
	if m.Len() != 1 {
		t.Fatalf("Len = %d, want 1", m.Len())
	}
}

// BenchmarkRedisLoadSave measures one Load followed by one Save, the round
// trips every conversational step costs.
func BenchmarkRedisLoadSave(b *testing.B) {
	c, prefix := testenv.Redis(b)
	s := session.NewRedis(c, prefix)
	ctx := context.Background()
	data := make([]byte, 1024) // a typical draft report
	for i := range data {
		data[i] = 'a' + byte(i%26)
	}
	rec := session.Record{Key: "telegram:bench", Data: data, TTL: time.Hour}
	if err := s.Save(ctx, &rec); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		r, err := s.Load(ctx, "telegram:bench")
		if err != nil {
			b.Fatal(err)
		}
		r.TTL = time.Hour
		r.WakeAt = time.Now().Add(10 * time.Minute)
		if err := s.Save(ctx, &r); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkMemoryLoadSave(b *testing.B) {
	s := session.NewMemory()
	ctx := context.Background()
	rec := session.Record{Key: "telegram:bench", Data: make([]byte, 1024), TTL: time.Hour}
	if err := s.Save(ctx, &rec); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		r, err := s.Load(ctx, "telegram:bench")
		if err != nil {
			b.Fatal(err)
		}
		r.WakeAt = time.Now().Add(10 * time.Minute)
		if err := s.Save(ctx, &r); err != nil {
			b.Fatal(err)
		}
	}
}
