package scheduler

import (
	"context"
	"testing"
	"time"

	"github.com/anttbot/anttbot/internal/testenv"
	"github.com/anttbot/anttbot/store/storetest"
)

func TestLockers(t *testing.T) {
	type lockerCase struct {
		name   string
		locker func(t *testing.T) (Locker, func(time.Duration))
	}
	cases := []lockerCase{
		{name: "redis", locker: func(t *testing.T) (Locker, func(time.Duration)) {
			rdb, prefix := testenv.Redis(t)
			return NewRedisLocker(rdb, prefix), func(d time.Duration) { time.Sleep(d) }
		}},
	}
	cases = append(cases, lockerCase{name: "memory", locker: func(t *testing.T) (Locker, func(time.Duration)) {
		l := NewMemoryLocker()
		var skew time.Duration
		l.now = func() time.Time { return time.Now().Add(skew) }
		return l, func(d time.Duration) { skew += d }
	}})
	for _, d := range storetest.Drivers() {
		cases = append(cases, lockerCase{name: "store/" + d, locker: func(t *testing.T) (Locker, func(time.Duration)) {
			st := storetest.New(t, d)
			l := NewStoreLocker(st)
			// The store locker reads its own clock: move it instead of sleeping.
			var skew time.Duration
			l.now = func() time.Time { return time.Now().Add(skew) }
			return l, func(d time.Duration) { skew += d }
		}})
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ctx := ctxT(t)
			l, wait := c.locker(t)
			release, ok, err := l.TryLock(ctx, "leader_reminder", time.Minute)
			must(t, "lock", err)
			if !ok {
				t.Fatal("first lock refused")
			}
			if _, ok, err := l.TryLock(ctx, "leader_reminder", time.Minute); err != nil || ok {
				t.Fatalf("second lock while held: ok=%v err=%v, want refused", ok, err)
			}
			if _, ok, err := l.TryLock(ctx, "police_digest", time.Minute); err != nil || !ok {
				t.Fatalf("another job's lock: ok=%v err=%v, want taken", ok, err)
			}
			must(t, "release", release(ctx))
			release2, ok, err := l.TryLock(ctx, "leader_reminder", 200*time.Millisecond)
			if err != nil || !ok {
				t.Fatalf("lock after release: ok=%v err=%v, want taken", ok, err)
			}
			// The holder outlives its lock: another takes it over, and the
			// first holder's late release must not free the new one's.
			wait(400 * time.Millisecond)
			release3, ok, err := l.TryLock(ctx, "leader_reminder", time.Minute)
			if err != nil || !ok {
				t.Fatalf("lock after expiry: ok=%v err=%v, want taken", ok, err)
			}
			must(t, "late release", release2(ctx))
			if _, ok, _ := l.TryLock(ctx, "leader_reminder", time.Minute); ok {
				t.Fatal("a late release by the expired holder freed the new holder's lock")
			}
			must(t, "release", release3(context.Background()))
		})
	}
}
