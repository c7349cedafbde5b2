package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/anttbot/anttbot/bot"
	"github.com/anttbot/anttbot/internal/testenv"
	"github.com/anttbot/anttbot/store"
	"github.com/anttbot/anttbot/store/storetest"
)

func TestJournalGroupCommit(t *testing.T) {
	for _, driver := range storetest.Drivers() {
		t.Run(driver, func(t *testing.T) {
			st := storetest.New(t, driver)
			j := newStoreJournal(st, "replica-a", time.Now, slog.New(slog.NewTextHandler(io.Discard, nil)))
			ctx := context.Background()

			// The first append is held inside its write until 99 more wait:
			// they must all go in the next batch, not one by one.
			const n = 100
			release := make(chan struct{})
			var mu sync.Mutex
			var sizes []int
			j.beforeWrite = func(size int) {
				mu.Lock()
				first := len(sizes) == 0
				sizes = append(sizes, size)
				mu.Unlock()
				if first {
					<-release
				}
			}
			upd := func(i int) bot.Update {
				// Ids 50–99 repeat 0–49: a platform re-delivering while the first copy is queued.
				return bot.Update{Channel: "telegram", ID: fmt.Sprint(i % 50), ChatID: fmt.Sprint(i % 7), Kind: bot.KindText, Text: "x"}
			}
			fresh := make([]bool, n)
			errs := make([]error, n)
			var wg sync.WaitGroup
			wg.Go(func() { fresh[0], errs[0] = j.Append(ctx, upd(0)) })
			waitFor(t, func() bool { mu.Lock(); defer mu.Unlock(); return len(sizes) == 1 })
			for i := 1; i < n; i++ {
				wg.Go(func() { fresh[i], errs[i] = j.Append(ctx, upd(i)) })
			}
			waitFor(t, func() bool { j.mu.Lock(); defer j.mu.Unlock(); return len(j.pending) == n-1 })
			close(release)
			wg.Wait()
			for i, err := range errs {
				if err != nil {
					t.Fatalf("append %d: %v", i, err)
				}
			}
			if len(sizes) != 2 || sizes[0] != 1 || sizes[1] != n-1 {
				t.Fatalf("batches %v, want [1 %d]", sizes, n-1)
			}
			for id := range 50 {
				if fresh[id] == fresh[id+50] {
					t.Errorf("update %d: fresh %v and %v, want exactly one copy fresh", id, fresh[id], fresh[id+50])
				}
			}

			// Done marks of all 50, with one unknown id, in one batch.
			sizes = nil
			j.beforeWrite = nil
			var done sync.WaitGroup
			derrs := make([]error, 51)
			for i := range 51 {
				done.Go(func() { derrs[i] = j.Done(ctx, upd(i)) })
			}
			done.Wait()
			for i := range 50 {
				if derrs[i] != nil {
					t.Fatalf("done %d: %v", i, derrs[i])
				}
			}
			// 50 is 0 again (i % 50): done twice is fine; a truly unknown id is not.
			if err := j.Done(ctx, bot.Update{Channel: "telegram", ID: "nope"}); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("done of an unknown update: %v", err)
			}
			// Nothing is left to replay: every row is marked done.
			j.staleAge = -time.Hour
			left, err := j.Stale(ctx, 100)
			if err != nil || len(left) != 0 {
				t.Fatalf("left to replay: %v, %v", left, err)
			}
		})
	}
}

func TestJournalMixedBatchAndErrors(t *testing.T) {
	st := storetest.New(t, store.DriverSQLite)
	j := newStoreJournal(st, "replica-a", time.Now, slog.New(slog.NewTextHandler(io.Discard, nil)))
	ctx := context.Background()
	a := bot.Update{Channel: "zalo", ID: "m1", ChatID: "u1", Kind: bot.KindText, Text: "/baocao"}
	if fresh, err := j.Append(ctx, a); err != nil || !fresh {
		t.Fatalf("append = %v, %v", fresh, err)
	}
	// An append and a done in one batch go in one transaction.
	release := make(chan struct{})
	first := true
	j.beforeWrite = func(int) {
		if first {
			first = false
			<-release
		}
	}
	var wg sync.WaitGroup
	var err1, err2, err3 error
	var fresh2 bool
	wg.Go(func() { _, err1 = j.Append(ctx, bot.Update{Channel: "zalo", ID: "m0", ChatID: "u0"}) })
	waitFor(t, func() bool { j.mu.Lock(); defer j.mu.Unlock(); return j.busy && len(j.pending) == 0 })
	wg.Go(func() { err2 = j.Done(ctx, a) })
	wg.Go(func() { fresh2, err3 = j.Append(ctx, bot.Update{Channel: "zalo", ID: "m2", ChatID: "u1"}) })
	waitFor(t, func() bool { j.mu.Lock(); defer j.mu.Unlock(); return len(j.pending) == 2 })
	close(release)
	wg.Wait()
	if err1 != nil || err2 != nil || err3 != nil || !fresh2 {
		t.Fatalf("errors %v %v %v, fresh %v", err1, err2, err3, fresh2)
	}
	// An update without an id is refused before it is queued.
	if _, err := j.Append(ctx, bot.Update{Channel: "zalo"}); !errors.Is(err, store.ErrInvalid) {
		t.Fatalf("update without id: %v", err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	// A caller whose context is already cancelled still gets its row written:
	// the batch may carry other callers' rows.
	if fresh, err := j.Append(cctx, bot.Update{Channel: "zalo", ID: "m3", ChatID: "u1"}); err != nil || !fresh {
		t.Fatalf("append with a cancelled context = %v, %v", fresh, err)
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached within 10s")
		}
	}
}

func TestZaloTouchCoalesces(t *testing.T) {
	st := storetest.New(t, store.DriverSQLite)
	ctx := context.Background()
	org, err := st.SeedDemo(ctx, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.LinkIdentity(ctx, org.People[1].ID, bot.ChannelZalo, "zu1", "zu1", "vi"); err != nil {
		t.Fatal(err)
	}
	clock := time.Date(2026, 11, 28, 8, 0, 0, 0, time.UTC)
	z := newZaloTouch(st)
	z.now = func() time.Time { return clock }
	lastSeen := func() time.Time {
		_, id, err := st.PersonByIdentity(ctx, bot.ChannelZalo, "zu1")
		if err != nil {
			t.Fatal(err)
		}
		return id.LastSeenAt.UTC()
	}
	t1 := clock.Add(-time.Hour)
	if err := z.Touch(ctx, "zu1", t1); err != nil || !lastSeen().Equal(t1) {
		t.Fatalf("first touch: %v, last seen %v", err, lastSeen())
	}
	// Within the period: no write.
	clock = clock.Add(30 * time.Second)
	if err := z.Touch(ctx, "zu1", t1.Add(time.Minute)); err != nil || !lastSeen().Equal(t1) {
		t.Fatalf("second touch wrote: %v, last seen %v", err, lastSeen())
	}
	// An unlinked user is no error and is not remembered as written.
	if err := z.Touch(ctx, "stranger", t1); err != nil {
		t.Fatalf("unlinked user: %v", err)
	}
	// Two periods later the next message is written again.
	clock = clock.Add(2 * zaloTouchEvery)
	t3 := t1.Add(3 * time.Minute)
	if err := z.Touch(ctx, "zu1", t3); err != nil || !lastSeen().Equal(t3) {
		t.Fatalf("touch after the period: %v, last seen %v", err, lastSeen())
	}
}

func TestJournalDropsAnUnreadableRowFromReplay(t *testing.T) {
	st := storetest.New(t, store.DriverSQLite)
	var logs testenv.Buffer
	j := newStoreJournal(st, "replica-a", time.Now, slog.New(slog.NewTextHandler(&logs, nil)))
	ctx := context.Background()
	if _, err := st.InboxAppend(ctx, "telegram", "bad", "1", []byte("not json"), time.Now().Add(-time.Hour), "dead-replica"); err != nil {
		t.Fatal(err)
	}
	us, err := j.Stale(ctx, 10)
	if err != nil || len(us) != 0 {
		t.Fatalf("replayed an unreadable row: %v, %v", us, err)
	}
	if !strings.Contains(logs.String(), "unreadable update dropped") || !strings.Contains(logs.String(), "update_id=bad") {
		t.Fatalf("the dropped row was not logged:\n%s", logs.String())
	}
	// Marked done: purged with the processed rows, not claimed again.
	if n, err := st.InboxPurge(ctx, time.Now().Add(time.Hour)); err != nil || n != 1 {
		t.Fatalf("purged %d, %v; want the dropped row", n, err)
	}
}
