package delivery

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/anttbot/anttbot/bot"
	"github.com/anttbot/anttbot/store"
)

var errRollback = errors.New("roll back")

func TestCommitDeliversRollbackDoesNot(t *testing.T) {
	t.Parallel()
	forEachDriver(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		o := newOrg(t, st,
			person{name: "Công an Lan", role: store.RoleCommunePolice, identities: []string{"telegram:1001"}},
			person{name: "Công an Minh", role: store.RoleCommunePolice, identities: []string{"telegram:1002"}},
		)
		tg := newFake(bot.ChannelTelegram)
		q := startQueue(t, st, map[string]bot.Channel{bot.ChannelTelegram: tg}, fastOptions())

		// The change (an audit row stands in for a tip) and its jobs commit together.
		err := st.InTx(ctx, func(tx *store.Store) error {
			if err := tx.Audit(ctx, store.AuditLog{Action: "test.tip", SubjectType: "submission", SubjectID: "1"}); err != nil {
				return err
			}
			return Enqueue(ctx, tx,
				textJob(ToPerson(o.id("Công an Lan")), KindTipNew, "tin mới #1"),
				textJob(ToPerson(o.id("Công an Minh")), KindTipNew, "tin mới #1"))
		})
		if err != nil {
			t.Fatalf("commit: %v", err)
		}
		err = st.InTx(ctx, func(tx *store.Store) error {
			if err := Enqueue(ctx, tx, textJob(ToPerson(o.id("Công an Lan")), KindTipNew, "tin mới #2")); err != nil {
				return err
			}
			return errRollback
		})
		if !errors.Is(err, errRollback) {
			t.Fatalf("rollback: got %v", err)
		}

		eventually(t, 10*time.Second, "both deliveries", func() bool { return tg.count("tin mới #1") >= 2 })
		settle(t, q, 10*time.Second)
		if got := tg.texts("1001"); len(got) != 1 || got[0] != "tin mới #1" {
			t.Errorf("chat 1001 got %q, want exactly [tin mới #1]", got)
		}
		if got := tg.texts("1002"); len(got) != 1 || got[0] != "tin mới #1" {
			t.Errorf("chat 1002 got %q, want exactly [tin mới #1]", got)
		}
		if n := tg.count("tin mới #2"); n != 0 {
			t.Errorf("rolled-back job delivered %d times", n)
		}
	})
}

func TestEnqueueOutsideTransaction(t *testing.T) {
	t.Parallel()
	st := newStore(t, store.DriverSQLite)
	err := Enqueue(context.Background(), st, textJob(ToPerson(1), KindTipNew, "x"))
	if !errors.Is(err, ErrNotInTx) {
		t.Fatalf("got %v, want ErrNotInTx", err)
	}
}

func TestDeliveredAfterCrashBeforeSend(t *testing.T) {
	t.Parallel()
	forEachDriver(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		o := newOrg(t, st, person{name: "Công an Lan", role: store.RoleCommunePolice, identities: []string{"telegram:1001"}})
		// The process commits the tip and its job, then dies before any
		// Queue runs: nothing but the database remembers the job.
		if err := EnqueueNow(ctx, st, textJob(ToPerson(o.id("Công an Lan")), KindTipNew, "tin mới #7")); err != nil {
			t.Fatalf("enqueue: %v", err)
		}
		tg := newFake(bot.ChannelTelegram)
		q := startQueue(t, st, map[string]bot.Channel{bot.ChannelTelegram: tg}, fastOptions())
		eventually(t, 10*time.Second, "the delivery", func() bool { return tg.count("tin mới #7") > 0 })
		settle(t, q, 10*time.Second)
		if n := tg.count("tin mới #7"); n != 1 {
			t.Errorf("delivered %d times, want 1", n)
		}
	})
}

func TestTwoQueuesDeliverEachJobOnce(t *testing.T) {
	t.Parallel()
	forEachDriver(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		const n = 24
		jobs := make([]Job, n)
		for i := range jobs {
			jobs[i] = textJob(ToChat(bot.ChannelTelegram, fmt.Sprint(5000+i)), KindDigest, fmt.Sprintf("bản tin %d", i))
		}
		if err := EnqueueNow(ctx, st, jobs...); err != nil {
			t.Fatalf("enqueue: %v", err)
		}
		// Two replicas: separate pools on one database, each with its own channel.
		other := reopen(t, st)
		a, b := newFake(bot.ChannelTelegram), newFake(bot.ChannelTelegram)
		slow := func(int, bot.Message) error { time.Sleep(2 * time.Millisecond); return nil }
		a.setFail(slow)
		b.setFail(slow)
		qa := startQueue(t, st, map[string]bot.Channel{bot.ChannelTelegram: a}, fastOptions())
		startQueue(t, other, map[string]bot.Channel{bot.ChannelTelegram: b}, fastOptions())
		eventually(t, 30*time.Second, "every delivery", func() bool { return len(a.messages())+len(b.messages()) >= n })
		settle(t, qa, 10*time.Second)
		seen := map[string]int{}
		for _, m := range append(a.messages(), b.messages()...) {
			seen[m.Text]++
		}
		for i := range n {
			if c := seen[fmt.Sprintf("bản tin %d", i)]; c != 1 {
				t.Errorf("bản tin %d delivered %d times", i, c)
			}
		}
		if len(a.messages()) == 0 || len(b.messages()) == 0 {
			t.Logf("one replica sent everything (a=%d, b=%d)", len(a.messages()), len(b.messages()))
		}
	})
}

// TestInFlightSendRedeliveredAfterLease kills a Queue while two sends are
// in flight: its database connections go away, so it can neither finish
// nor give the jobs back. One send never reached the platform; the other
// did, but could not be recorded. Another Queue takes both over once the
// lease (Options.Lease) has expired: the first is delivered once, the
// second a second time (at least once).
func TestInFlightSendRedeliveredAfterLease(t *testing.T) {
	t.Parallel()
	forEachDriver(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		if err := EnqueueNow(ctx, st,
			textJob(ToChat(bot.ChannelTelegram, "1001"), KindTipNew, "lost"),
			textJob(ToChat(bot.ChannelTelegram, "1002"), KindTipNew, "reached")); err != nil {
			t.Fatalf("enqueue: %v", err)
		}

		dying := reopen(t, st)
		first := newFake(bot.ChannelTelegram)
		release := make(chan struct{})
		first.block = release
		opts := fastOptions()
		opts.noLeader = true // its leadership would outlive it
		opts.SendTimeout, opts.Lease = time.Minute, time.Minute
		q1, err := NewQueue(dying, map[string]bot.Channel{bot.ChannelTelegram: first}, opts)
		if err != nil {
			t.Fatal(err)
		}
		// "lost" hangs until the test ends; "reached" is accepted once released.
		hang := make(chan struct{})
		first.setFail(func(_ int, m bot.Message) error {
			if m.Text == "lost" {
				<-hang
				return errors.New("never reached the platform")
			}
			return nil
		})
		if err := q1.Start(ctx); err != nil {
			t.Fatal(err)
		}
		for range 2 {
			select {
			case <-first.started:
			case <-time.After(10 * time.Second):
				t.Fatal("first queue never sent")
			}
		}
		// The crash: the first Queue's database connections die.
		db, _ := dying.SQLDB()
		db.Close()
		if q1.ownDB != nil {
			q1.ownDB.Close()
		}
		close(release)
		eventually(t, 5*time.Second, "the first send", func() bool { return first.count("reached") == 1 })
		t.Cleanup(func() {
			close(hang)
			// Its database is gone: do not wait for River's retries.
			stop, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
			defer cancel()
			_ = q1.client.StopAndCancel(stop)
		})

		second := newFake(bot.ChannelTelegram)
		opts2 := fastOptions()
		opts2.SendTimeout, opts2.Lease = time.Second, time.Second
		time.Sleep(opts2.Lease) // the lease runs out
		q2 := startQueue(t, st, map[string]bot.Channel{bot.ChannelTelegram: second}, opts2)
		eventually(t, 20*time.Second, "the redeliveries", func() bool { return len(second.messages()) == 2 })
		settle(t, q2, 10*time.Second)
		if n := second.count("lost"); n != 1 {
			t.Errorf("lost send redelivered %d times, want 1", n)
		}
		if n := first.count("reached") + second.count("reached"); n != 2 {
			t.Errorf("unrecorded send delivered %d times, want the documented duplicate (2)", n)
		}
	})
}

// TestSentRecordedNotResent stops the Queue right after a job was recorded
// as sent: a new Queue does not send it again.
func TestSentRecordedNotResent(t *testing.T) {
	t.Parallel()
	forEachDriver(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		o := newOrg(t, st, person{name: "Công an Lan", role: store.RoleCommunePolice, identities: []string{"telegram:1001"}})
		first := newFake(bot.ChannelTelegram)
		recorded := make(chan Result, 1)
		opts := fastOptions()
		opts.OnSent = func(ctx context.Context, tx *store.Store, r Result) error {
			// The police flow would store r.Sent.MessageID here.
			if err := tx.Audit(ctx, store.AuditLog{Action: "test.sent", SubjectType: "message", SubjectID: r.Sent.MessageID}); err != nil {
				return err
			}
			recorded <- r
			return nil
		}
		q1, err := NewQueue(st, map[string]bot.Channel{bot.ChannelTelegram: first}, opts)
		if err != nil {
			t.Fatal(err)
		}
		if err := q1.Start(ctx); err != nil {
			t.Fatal(err)
		}
		if err := EnqueueNow(ctx, st, Job{To: ToPerson(o.id("Công an Lan")), Kind: KindTipNew, Ref: "submission:3",
			Message: bot.Message{Text: "tin mới #3"}}); err != nil {
			t.Fatal(err)
		}
		var r Result
		select {
		case r = <-recorded:
		case <-time.After(10 * time.Second):
			t.Fatal("never sent")
		}
		stop, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		if err := q1.Stop(stop); err != nil {
			t.Fatal(err)
		}
		if r.Job.Ref != "submission:3" || r.Channel != bot.ChannelTelegram || r.ChatID != "1001" || r.Identity == nil || r.Sent.MessageID == "" {
			t.Errorf("OnSent got %+v", r)
		}
		entries, err := st.AuditEntries(ctx, "message", r.Sent.MessageID)
		if err != nil || len(entries) != 1 {
			t.Fatalf("OnSent record: %v, %d entries", err, len(entries))
		}

		second := newFake(bot.ChannelTelegram)
		q2 := startQueue(t, st, map[string]bot.Channel{bot.ChannelTelegram: second}, fastOptions())
		time.Sleep(300 * time.Millisecond)
		settle(t, q2, 5*time.Second)
		if n := second.count("tin mới #3"); n != 0 {
			t.Errorf("resent %d times", n)
		}
	})
}
