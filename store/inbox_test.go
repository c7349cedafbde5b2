package store_test

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/anttbot/anttbot/store"
)

func TestInbox(t *testing.T) {
	forEachDriver(t, func(t *testing.T, s *store.Store) {
		ctx := ctxT(t)
		t0 := time.Date(2025, 3, 1, 8, 0, 0, 0, time.UTC)
		payload := []byte(`{"ID":"1001","Channel":"telegram","Text":"/baocao"}`)

		fresh, err := s.InboxAppend(ctx, "telegram", "1001", "55", payload, t0, "replica-a")
		must(t, "append", err)
		if !fresh {
			t.Fatal("first append not fresh")
		}
		fresh, err = s.InboxAppend(ctx, "telegram", "1001", "55", payload, t0.Add(time.Second), "replica-b")
		must(t, "append again", err)
		if fresh {
			t.Fatal("re-delivered update reported fresh")
		}
		// The same id on another channel is another update.
		fresh, err = s.InboxAppend(ctx, "zalo", "1001", "z", nil, t0, "replica-a")
		must(t, "append zalo", err)
		if !fresh {
			t.Fatal("same id on another channel not fresh")
		}
		_, err = s.InboxAppend(ctx, "telegram", "1002", "55", payload, t0.Add(time.Minute), "replica-a")
		must(t, "append 1002", err)
		if _, err := s.InboxAppend(ctx, "", "x", "", nil, t0, "a"); !errors.Is(err, store.ErrInvalid) {
			t.Fatalf("empty channel: %v", err)
		}

		must(t, "done", s.InboxDone(ctx, "telegram", "1002", t0.Add(2*time.Minute)))
		if err := s.InboxDone(ctx, "telegram", "nope", t0); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("done unknown: %v", err)
		}

		// Nothing is stale yet: claims are as old as t0.
		evs, err := s.InboxClaimStale(ctx, "replica-c", t0, 10)
		must(t, "claim none", err)
		if len(evs) != 0 {
			t.Fatalf("claimed fresh work: %+v", evs)
		}
		// replica-a died: its unprocessed events are taken over, oldest first
		// (ties by arrival), and the processed one is left alone.
		evs, err = s.InboxClaimStale(ctx, "replica-c", t0.Add(time.Hour), 10)
		must(t, "claim stale", err)
		var got []string
		for _, e := range evs {
			got = append(got, e.Channel+":"+e.UpdateID)
			if e.ClaimedBy != "replica-c" || e.Attempts != 2 || e.ProcessedAt != nil {
				t.Errorf("claimed event %+v", e)
			}
		}
		if want := []string{"telegram:1001", "zalo:1001"}; !slices.Equal(got, want) {
			t.Fatalf("claimed %v, want %v", got, want)
		}
		for _, e := range evs {
			if e.Channel == "telegram" && (string(e.Payload) != string(payload) || e.ChatID != "55" || !e.ReceivedAt.Equal(t0)) {
				t.Fatalf("claimed event lost data: %+v", e)
			}
		}
		// Just claimed: not stale for a claimer using the same cut-off.
		again, err := s.InboxClaimStale(ctx, "replica-d", t0.Add(time.Hour), 10)
		must(t, "claim again", err)
		if len(again) != 0 {
			t.Fatalf("claimed twice: %+v", again)
		}
		if none, err := s.InboxClaimStale(ctx, "replica-d", time.Now().Add(time.Hour), 0); err != nil || len(none) != 0 {
			t.Fatalf("limit 0 = %v, %v", none, err)
		}

		n, err := s.InboxPurge(ctx, t0.Add(time.Hour))
		must(t, "purge", err)
		if n != 1 {
			t.Fatalf("purged %d, want only the processed event", n)
		}
		fresh, err = s.InboxAppend(ctx, "telegram", "1002", "55", payload, t0, "replica-a")
		must(t, "append after purge", err)
		if !fresh {
			t.Fatal("purged id not accepted again")
		}
	})
}

func TestInboxConcurrentAppend(t *testing.T) {
	forEachDriver(t, func(t *testing.T, s *store.Store) {
		ctx := ctxT(t)
		at := time.Date(2025, 3, 1, 8, 0, 0, 0, time.UTC)
		const n = 8
		fresh := make([]bool, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				fresh[i], errs[i] = s.InboxAppend(ctx, "zalo", "msg-1", "u", []byte("{}"), at, fmt.Sprintf("replica-%d", i))
			})
		}
		wg.Wait()
		count := 0
		for i := range n {
			must(t, "concurrent append", errs[i])
			if fresh[i] {
				count++
			}
		}
		if count != 1 {
			t.Fatalf("%d appends were fresh, want exactly 1", count)
		}
	})
}

func TestInboxConcurrentClaim(t *testing.T) {
	forEachDriver(t, func(t *testing.T, s *store.Store) {
		ctx := ctxT(t)
		t0 := time.Date(2025, 3, 1, 8, 0, 0, 0, time.UTC)
		const events = 40
		for i := range events {
			_, err := s.InboxAppend(ctx, "telegram", fmt.Sprint(i), "1", []byte("{}"), t0.Add(time.Duration(i)*time.Second), "dead")
			must(t, "append", err)
		}
		const claimers = 4
		claimed := make([][]store.InboxEvent, claimers)
		errs := make([]error, claimers)
		var wg sync.WaitGroup
		for c := range claimers {
			wg.Go(func() {
				// Small batches so the claimers interleave.
				for {
					evs, err := s.InboxClaimStale(ctx, fmt.Sprintf("replica-%d", c), t0.Add(time.Hour), 3)
					if err != nil {
						errs[c] = err
						return
					}
					if len(evs) == 0 {
						return
					}
					claimed[c] = append(claimed[c], evs...)
				}
			})
		}
		wg.Wait()
		seen := map[string]string{}
		for c := range claimers {
			must(t, "concurrent claim", errs[c])
			for _, e := range claimed[c] {
				if prev, dup := seen[e.UpdateID]; dup {
					t.Fatalf("event %s claimed by %s and replica-%d", e.UpdateID, prev, c)
				}
				seen[e.UpdateID] = fmt.Sprintf("replica-%d", c)
				if e.ClaimedBy != seen[e.UpdateID] {
					t.Fatalf("event %s says claimed by %s", e.UpdateID, e.ClaimedBy)
				}
			}
		}
		if len(seen) != events {
			t.Fatalf("%d events claimed, want %d", len(seen), events)
		}
	})
}
