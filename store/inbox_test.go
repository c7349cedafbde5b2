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

func TestInboxBatch(t *testing.T) {
	forEachDriver(t, func(t *testing.T, s *store.Store) {
		ctx := ctxT(t)
		t0 := time.Date(2025, 3, 1, 8, 0, 0, 0, time.UTC)
		_, err := s.InboxAppend(ctx, "telegram", "1", "55", []byte(`{"a":1}`), t0, "replica-a")
		must(t, "append 1", err)
		ev := func(ch, id string) store.InboxEvent {
			return store.InboxEvent{Channel: ch, UpdateID: id, ChatID: "c-" + id, Payload: []byte(`{"id":"` + id + `"}`),
				ReceivedAt: t0.Add(time.Second), ClaimedBy: "replica-b"}
		}
		// 1 is known, 2 appears twice in the batch, 3 is new, zalo:1 is another update.
		batch := []store.InboxEvent{ev("telegram", "1"), ev("telegram", "2"), ev("telegram", "3"), ev("telegram", "2"), ev("zalo", "1")}
		batch[4].Payload = nil
		fresh, err := s.InboxAppendMany(ctx, batch)
		must(t, "append many", err)
		if want := []bool{false, true, true, false, true}; !slices.Equal(fresh, want) {
			t.Fatalf("fresh = %v, want %v", fresh, want)
		}
		if _, err := s.InboxAppendMany(ctx, []store.InboxEvent{ev("telegram", "9"), {Channel: "telegram"}}); !errors.Is(err, store.ErrInvalid) {
			t.Fatalf("an event without id: %v", err)
		}
		if fresh, err := s.InboxAppendMany(ctx, nil); err != nil || len(fresh) != 0 {
			t.Fatalf("empty batch = %v, %v", fresh, err)
		}

		found, err := s.InboxDoneMany(ctx, []store.InboxKey{{"telegram", "2"}, {"telegram", "nope"}, {"zalo", "1"}}, t0.Add(time.Minute))
		must(t, "done many", err)
		if want := []bool{true, false, true}; !slices.Equal(found, want) {
			t.Fatalf("found = %v, want %v", found, want)
		}
		// What is left unprocessed is exactly 1 and 3, with their data; 9 was never written.
		evs, err := s.InboxClaimStale(ctx, "replica-c", t0.Add(time.Hour), 10)
		must(t, "claim stale", err)
		var got []string
		for _, e := range evs {
			got = append(got, e.Channel+":"+e.UpdateID+":"+e.ChatID+":"+string(e.Payload)+":"+e.ReceivedAt.UTC().Format(time.TimeOnly))
		}
		want := []string{`telegram:1:55:{"a":1}:08:00:00`, `telegram:3:c-3:{"id":"3"}:08:00:01`}
		if !slices.Equal(got, want) {
			t.Fatalf("unprocessed = %v, want %v", got, want)
		}
		n, err := s.InboxPurge(ctx, t0.Add(time.Hour))
		must(t, "purge", err)
		if n != 2 {
			t.Fatalf("purged %d, want the 2 marked done", n)
		}
	})
}

func TestInboxBatchConcurrentWithSingle(t *testing.T) {
	forEachDriver(t, func(t *testing.T, s *store.Store) {
		ctx := ctxT(t)
		at := time.Date(2025, 3, 1, 8, 0, 0, 0, time.UTC)
		// Two replicas journal the same ids at once, one row by row, the other in a batch:
		// every id is fresh exactly once.
		const n = 50
		var batch []store.InboxEvent
		for i := range n {
			batch = append(batch, store.InboxEvent{Channel: "telegram", UpdateID: fmt.Sprint(i), ReceivedAt: at, ClaimedBy: "b"})
		}
		single := make([]bool, n)
		var many []bool
		var errMany error
		var wg sync.WaitGroup
		wg.Go(func() { many, errMany = s.InboxAppendMany(ctx, batch) })
		wg.Go(func() {
			for i := range n {
				f, err := s.InboxAppend(ctx, "telegram", fmt.Sprint(i), "", nil, at, "a")
				must(t, "single", err)
				single[i] = f
			}
		})
		wg.Wait()
		must(t, "many", errMany)
		for i := range n {
			if single[i] == many[i] {
				t.Fatalf("id %d: fresh by row %v, in batch %v; want exactly one", i, single[i], many[i])
			}
		}
	})
}
