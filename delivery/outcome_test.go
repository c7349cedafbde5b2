package delivery

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/anttbot/anttbot/bot"
	"github.com/anttbot/anttbot/store"
)

// outcomes collects Results by job ref.
type outcomes struct {
	mu  sync.Mutex
	all []Result
}

func (o *outcomes) add(r Result) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.all = append(o.all, r)
}

// of returns the outcomes of the job with ref, in order.
func (o *outcomes) of(ref string) []Outcome {
	o.mu.Lock()
	defer o.mu.Unlock()
	var out []Outcome
	for _, r := range o.all {
		if r.Job.Ref == ref {
			out = append(out, r.Outcome)
		}
	}
	return out
}

func (o *outcomes) final(ref string) (Result, bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, r := range o.all {
		if r.Job.Ref == ref {
			switch r.Outcome {
			case OutcomeSent, OutcomeUnreachable, OutcomeSkipped, OutcomeFailed:
				return r, true
			}
		}
	}
	return Result{}, false
}

// TestSendErrors runs one job per case, all through one Queue per driver
// so their waits overlap. Each case has its own person; identities are
// "telegram:<case>" and "zalo:z<case>".
func TestSendErrors(t *testing.T) {
	t.Parallel()
	unreachable := fmt.Errorf("fake: Forbidden: bot was blocked by the user: %w", bot.ErrUnreachable)
	temporary := fmt.Errorf("fake: 502 Bad Gateway: %w", bot.ErrTemporary)
	tests := []struct {
		name string
		// role, identities ("telegram", "zalo", in link order: the last is
		// seen most recently) and active state of the case's person.
		role       store.Role
		identities []string
		inactive   bool
		// tg and zalo decide each call to the case's chat (numbered from 1); nil accepts.
		tg, zalo func(call int) error
		want     []Outcome // outcomes in order, the last one final
		wantTG   int       // messages the Telegram fake accepted
		wantZalo int
		// minGap is the least time between the first call and the delivery.
		minGap time.Duration
		marked []string // channels whose identity must end up unreachable
		audit  string   // the audit action recorded for the person, if any
	}{
		{
			name: "rate limited then sent after retry_after", role: store.RoleCommunePolice, identities: []string{"telegram"},
			tg: func(call int) error {
				if call == 1 {
					return &bot.RateLimitedError{RetryAfter: 1500 * time.Millisecond}
				}
				return nil
			},
			want:   []Outcome{OutcomeRateLimited, OutcomeSent},
			wantTG: 1, minGap: 1500 * time.Millisecond,
		},
		{
			name: "temporary errors back off then succeed", role: store.RoleCommunePolice, identities: []string{"telegram"},
			tg: func(call int) error {
				if call <= 2 {
					return temporary
				}
				return nil
			},
			want:   []Outcome{OutcomeRetry, OutcomeRetry, OutcomeSent},
			wantTG: 1, minGap: 100 * time.Millisecond, // back-offs of at least 45 and 90 ms
		},
		{
			name: "temporary errors until max attempts fail", role: store.RoleCommunePolice, identities: []string{"telegram"},
			tg:    func(int) error { return temporary },
			want:  []Outcome{OutcomeRetry, OutcomeRetry, OutcomeFailed},
			audit: AuditFailed,
		},
		{
			name: "blocked on telegram, sent on zalo", role: store.RoleCommunePolice, identities: []string{"zalo", "telegram"},
			tg:       func(int) error { return unreachable },
			want:     []Outcome{OutcomeSent},
			wantZalo: 1,
			marked:   []string{"telegram"},
		},
		{
			name: "most recently seen identity first", role: store.RoleMember, identities: []string{"telegram", "zalo"},
			want:     []Outcome{OutcomeSent},
			wantZalo: 1,
		},
		{
			name: "blocked everywhere is recorded as unreachable", role: store.RoleCommunePolice, identities: []string{"telegram", "zalo"},
			tg:     func(int) error { return unreachable },
			zalo:   func(int) error { return fmt.Errorf("fake zalo: -230 outside window: %w", bot.ErrUnreachable) },
			want:   []Outcome{OutcomeUnreachable},
			marked: []string{"telegram", "zalo"},
			audit:  AuditUnreachable,
		},
		{
			name: "no linked chat is recorded as unreachable", role: store.RoleMember,
			want:  []Outcome{OutcomeUnreachable},
			audit: AuditUnreachable,
		},
		{
			name: "inactive person is skipped", role: store.RoleMember, identities: []string{"telegram"}, inactive: true,
			want:  []Outcome{OutcomeSkipped},
			audit: AuditSkipped,
		},
	}
	forEachDriver(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		people := make([]person, len(tests))
		for i, tt := range tests {
			people[i] = person{name: fmt.Sprint("case ", i), role: tt.role, inactive: tt.inactive}
			for _, ch := range tt.identities {
				ext := fmt.Sprint(i)
				if ch == bot.ChannelZalo {
					ext = "z" + ext
				}
				people[i].identities = append(people[i].identities, ch+":"+ext)
			}
		}
		o := newOrg(t, st, people...)

		var mu sync.Mutex
		first := map[int]time.Time{}
		calls := map[string]int{}
		// decide routes a call to its case by chat id ("3" or "z3").
		decide := func(pick func(int) func(int) error) func(int, bot.Message) error {
			return func(_ int, m bot.Message) error {
				i, err := strconv.Atoi(strings.TrimPrefix(m.ChatID, "z"))
				if err != nil {
					return fmt.Errorf("unexpected chat %q", m.ChatID)
				}
				mu.Lock()
				if _, ok := first[i]; !ok {
					first[i] = time.Now()
				}
				calls[m.ChatID]++
				n := calls[m.ChatID]
				mu.Unlock()
				if f := pick(i); f != nil {
					return f(n)
				}
				return nil
			}
		}
		tg, zl := newFake(bot.ChannelTelegram), newFake(bot.ChannelZalo)
		tg.setFail(decide(func(i int) func(int) error { return tests[i].tg }))
		zl.setFail(decide(func(i int) func(int) error { return tests[i].zalo }))
		var got outcomes
		var hooked outcomes
		opts := fastOptions()
		opts.MaxAttempts = 3
		opts.OnOutcome = got.add
		opts.OnUnreachable = func(_ context.Context, _ *store.Store, r Result) error { hooked.add(r); return nil }
		q := startQueue(t, st, map[string]bot.Channel{bot.ChannelTelegram: tg, bot.ChannelZalo: zl}, opts)
		jobs := make([]Job, len(tests))
		for i := range tests {
			jobs[i] = Job{To: ToPerson(o.id(fmt.Sprint("case ", i))), Kind: KindTipStatus, Ref: fmt.Sprint(i), Message: bot.Message{Text: "đã xác minh"}}
		}
		if err := EnqueueNow(ctx, st, jobs...); err != nil {
			t.Fatal(err)
		}
		eventually(t, 20*time.Second, "every final outcome", func() bool {
			for i := range tests {
				if _, ok := got.final(fmt.Sprint(i)); !ok {
					return false
				}
			}
			return true
		})
		settle(t, q, 10*time.Second)

		for i, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				ref, pid := fmt.Sprint(i), o.id(fmt.Sprint("case ", i))
				if g := got.of(ref); !slices.Equal(g, tt.want) {
					t.Errorf("outcomes %v, want %v", g, tt.want)
				}
				var sent []sentMsg
				for _, m := range tg.messages() {
					if m.ChatID == ref {
						sent = append(sent, m)
					}
				}
				if len(sent) != tt.wantTG {
					t.Errorf("telegram accepted %d, want %d", len(sent), tt.wantTG)
				}
				nz := len(sent)
				for _, m := range zl.messages() {
					if m.ChatID == "z"+ref {
						sent = append(sent, m)
					}
				}
				if n := len(sent) - nz; n != tt.wantZalo {
					t.Errorf("zalo accepted %d, want %d", n, tt.wantZalo)
				}
				if tt.minGap > 0 && len(sent) > 0 {
					mu.Lock()
					gap := sent[len(sent)-1].At.Sub(first[i])
					mu.Unlock()
					if gap < tt.minGap {
						t.Errorf("delivered %s after the first call, want at least %s", gap, tt.minGap)
					}
				}
				ids, err := st.IdentitiesOf(ctx, []int64{pid})
				if err != nil {
					t.Fatal(err)
				}
				for _, id := range ids {
					want := slices.Contains(tt.marked, id.Channel)
					if got := id.UnreachableAt != nil; got != want {
						t.Errorf("identity %s:%s unreachable=%v, want %v", id.Channel, id.ExternalID, got, want)
					}
				}
				entries, err := st.AuditEntries(ctx, "person", fmt.Sprint(pid))
				if err != nil {
					t.Fatal(err)
				}
				var actions []string
				for _, e := range entries {
					actions = append(actions, e.Action)
					var d auditDetail
					if err := json.Unmarshal([]byte(e.Detail), &d); err != nil || d.Kind != KindTipStatus || d.Ref != ref {
						t.Errorf("audit detail %q: %v", e.Detail, err)
					}
				}
				var wantActions []string
				if tt.audit != "" {
					wantActions = []string{tt.audit}
				}
				if !slices.Equal(actions, wantActions) {
					t.Errorf("audit %v, want %v", actions, wantActions)
				}
				if n, want := len(hooked.of(ref)), tt.audit == AuditUnreachable; (n == 1) != want || n > 1 {
					t.Errorf("OnUnreachable called %d times", n)
				}
			})
		}
	})
}

func TestUnreachableReport(t *testing.T) {
	t.Parallel()
	forEachDriver(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		o := newOrg(t, st,
			person{name: "Tổ trưởng Hùng", role: store.RoleLeader, identities: []string{"telegram:21"}},
			person{name: "Tổ viên Mai", role: store.RoleMember, identities: []string{"telegram:22"}},
			person{name: "Tổ viên Nam", role: store.RoleMember},
		)
		tg := newFake(bot.ChannelTelegram)
		tg.setFail(func(_ int, m bot.Message) error {
			if m.ChatID == "22" {
				return fmt.Errorf("blocked: %w", bot.ErrUnreachable)
			}
			return nil
		})
		q := startQueue(t, st, map[string]bot.Channel{bot.ChannelTelegram: tg}, fastOptions())
		since := time.Now().Add(-time.Minute)
		var jobs []Job
		for _, name := range []string{"Tổ trưởng Hùng", "Tổ viên Mai", "Tổ viên Nam"} {
			jobs = append(jobs,
				textJob(ToPerson(o.id(name)), KindReminder, "nhắc báo cáo"),
				textJob(ToPerson(o.id(name)), KindDigest, "bản tin tuần"))
		}
		if err := EnqueueNow(ctx, st, jobs...); err != nil {
			t.Fatal(err)
		}
		eventually(t, 10*time.Second, "the sends", func() bool { return len(tg.messages()) == 2 })
		settle(t, q, 10*time.Second)

		got, err := Unreachable(ctx, st, []int64{o.commune}, since)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, u := range got {
			names = append(names, u.Person.Name)
			if u.Count != 2 || !slices.Equal(u.Kinds, []string{KindDigest, KindReminder}) || len(u.LastTried) == 0 {
				t.Errorf("%s: %+v", u.Person.Name, u)
			}
		}
		if !slices.Equal(names, []string{"Tổ viên Mai", "Tổ viên Nam"}) {
			t.Errorf("unreachable %v", names)
		}
		later, err := Unreachable(ctx, st, []int64{o.team}, time.Now().Add(time.Minute))
		if err != nil || len(later) != 0 {
			t.Errorf("since later: %v %v", later, err)
		}
	})
}

func TestDedupeKey(t *testing.T) {
	t.Parallel()
	forEachDriver(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		o := newOrg(t, st, person{name: "A", role: store.RoleMember, identities: []string{"telegram:31"}})
		key := fmt.Sprintf("reminder:2025-03:team:%d:person:%d", o.team, o.id("A"))
		j := Job{To: ToPerson(o.id("A")), Kind: KindReminder, DedupeKey: key, Message: bot.Message{Text: "nhắc tháng 3"}}
		// Twice in one transaction, and again in another (a scheduler rerun).
		var n1, n2 int
		err := st.InTx(ctx, func(tx *store.Store) (err error) {
			n1, err = enqueue(ctx, tx, []Job{j, j})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		tg := newFake(bot.ChannelTelegram)
		q := startQueue(t, st, map[string]bot.Channel{bot.ChannelTelegram: tg}, fastOptions())
		eventually(t, 10*time.Second, "the reminder", func() bool { return tg.count("nhắc tháng 3") > 0 })
		settle(t, q, 5*time.Second)
		err = st.InTx(ctx, func(tx *store.Store) (err error) {
			n2, err = enqueue(ctx, tx, []Job{j})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		time.Sleep(300 * time.Millisecond)
		settle(t, q, 5*time.Second)
		if n1 != 1 || n2 != 0 {
			t.Errorf("inserted %d then %d, want 1 then 0", n1, n2)
		}
		if n := tg.count("nhắc tháng 3"); n != 1 {
			t.Errorf("delivered %d times, want 1", n)
		}
	})
}

func TestNotBefore(t *testing.T) {
	t.Parallel()
	forEachDriver(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		tg := newFake(bot.ChannelTelegram)
		startQueue(t, st, map[string]bot.Channel{bot.ChannelTelegram: tg}, fastOptions())
		at := time.Now().Add(1500 * time.Millisecond)
		if err := EnqueueNow(ctx, st, Job{To: ToChat(bot.ChannelTelegram, "41"), Kind: KindReminder, NotBefore: at,
			Message: bot.Message{Text: "nhắc lúc 8 giờ"}}); err != nil {
			t.Fatal(err)
		}
		eventually(t, 15*time.Second, "the reminder", func() bool { return tg.count("nhắc lúc 8 giờ") > 0 })
		sent := tg.messages()[0].At
		if sent.Before(at) {
			t.Errorf("sent %s before NotBefore", at.Sub(sent))
		}
		t.Logf("sent %s after NotBefore", sent.Sub(at).Round(time.Millisecond))
	})
}

func TestPerRecipientOrder(t *testing.T) {
	t.Parallel()
	forEachDriver(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		o := newOrg(t, st, person{name: "Người báo tin", role: store.RoleMember, identities: []string{"telegram:51"}})
		to := ToPerson(o.id("Người báo tin"))
		tg := newFake(bot.ChannelTelegram)
		// The first message is slow and fails once, so later ones are
		// fetched by other workers while it is in flight or waiting to retry.
		tg.setFail(func(call int, m bot.Message) error {
			if m.Text == "1 đã nhận" {
				time.Sleep(200 * time.Millisecond)
				if call == 1 {
					return fmt.Errorf("fake: timeout: %w", bot.ErrTemporary)
				}
			}
			return nil
		})
		opts := fastOptions()
		opts.Workers = 4
		startQueue(t, st, map[string]bot.Channel{bot.ChannelTelegram: tg}, opts)
		// A reminder due later must not hold back what is due now.
		later := time.Now().Add(time.Hour)
		if err := EnqueueNow(ctx, st, Job{To: to, Kind: KindReminder, NotBefore: later, Message: bot.Message{Text: "nhắc ngày mai"}}); err != nil {
			t.Fatal(err)
		}
		if err := EnqueueNow(ctx, st, textJob(to, KindTipStatus, "1 đã nhận"), textJob(to, KindTipStatus, "2 đang xác minh")); err != nil {
			t.Fatal(err)
		}
		if err := EnqueueNow(ctx, st, Job{To: to, Kind: KindTipStatus, Urgent: true, Message: bot.Message{Text: "3 đã xác minh"}}); err != nil {
			t.Fatal(err)
		}
		eventually(t, 15*time.Second, "three messages", func() bool { return len(tg.texts("51")) >= 3 })
		time.Sleep(200 * time.Millisecond)
		want := []string{"1 đã nhận", "2 đang xác minh", "3 đã xác minh"}
		if got := tg.texts("51"); !slices.Equal(got, want) {
			t.Errorf("order %q, want %q", got, want)
		}
	})
}

func TestZaloScheduled(t *testing.T) {
	t.Parallel()
	forEachDriver(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		o := newOrg(t, st, person{name: "A", role: store.RoleMember, identities: []string{"zalo:z61"}})
		seen := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
		if err := st.TouchIdentity(ctx, bot.ChannelZalo, "z61", seen); err != nil {
			t.Fatal(err)
		}
		zl := newFake(bot.ChannelZalo)
		type call struct {
			chat, phone string
			last        time.Time
			data        map[string]string
		}
		calls := make(chan call, 4)
		opts := fastOptions()
		opts.ZaloScheduled = func(_ context.Context, m bot.Message, last time.Time, phone string, data map[string]string) (bot.Sent, error) {
			calls <- call{chat: m.ChatID, phone: phone, last: last, data: data}
			return bot.Sent{MessageID: "zns-1"}, nil
		}
		startQueue(t, st, map[string]bot.Channel{bot.ChannelZalo: zl}, opts)
		data := map[string]string{"name": "A", "month": "3"}
		if err := EnqueueNow(ctx, st,
			Job{To: ToPerson(o.id("A")), Kind: KindReminder, Scheduled: true, TemplateData: data, Message: bot.Message{Text: "nhắc"}},
			Job{To: ToPerson(o.id("A")), Kind: KindTipStatus, Message: bot.Message{Text: "trả lời"}}); err != nil {
			t.Fatal(err)
		}
		select {
		case c := <-calls:
			if c.chat != "z61" || c.phone != o.people["A"].Phone || !c.last.Equal(seen) || c.data["month"] != "3" {
				t.Errorf("ZaloScheduled got %+v", c)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("ZaloScheduled not called")
		}
		eventually(t, 10*time.Second, "the direct message", func() bool { return zl.count("trả lời") == 1 })
		if zl.count("nhắc") != 0 {
			t.Error("scheduled message went through Send")
		}
	})
}

func TestOnSentErrorDoesNotResend(t *testing.T) {
	t.Parallel()
	forEachDriver(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		tg := newFake(bot.ChannelTelegram)
		var got outcomes
		opts := fastOptions()
		opts.OnOutcome = got.add
		opts.OnSent = func(ctx context.Context, tx *store.Store, r Result) error {
			if err := tx.Audit(ctx, store.AuditLog{Action: "test.sent", SubjectType: "message", SubjectID: r.Sent.MessageID}); err != nil {
				return err
			}
			return errors.New("hook broke")
		}
		q := startQueue(t, st, map[string]bot.Channel{bot.ChannelTelegram: tg}, opts)
		if err := EnqueueNow(ctx, st, Job{To: ToChat(bot.ChannelTelegram, "71"), Kind: KindTipNew, Ref: "x", Message: bot.Message{Text: "tin"}}); err != nil {
			t.Fatal(err)
		}
		eventually(t, 10*time.Second, "the send", func() bool { return tg.count("tin") > 0 })
		settle(t, q, 5*time.Second)
		time.Sleep(200 * time.Millisecond)
		if n := tg.count("tin"); n != 1 {
			t.Errorf("sent %d times", n)
		}
		msgs := tg.messages()
		entries, err := st.AuditEntries(ctx, "message", msgs[0].ID)
		if err != nil || len(entries) != 0 {
			t.Errorf("the failed hook's writes were kept: %v %v", entries, err)
		}
	})
}

func TestStopDrainsInFlight(t *testing.T) {
	t.Parallel()
	forEachDriver(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		tg := newFake(bot.ChannelTelegram)
		tg.setFail(func(int, bot.Message) error { time.Sleep(500 * time.Millisecond); return nil })
		q, err := NewQueue(st, map[string]bot.Channel{bot.ChannelTelegram: tg}, fastOptions())
		if err != nil {
			t.Fatal(err)
		}
		if err := q.Start(ctx); err != nil {
			t.Fatal(err)
		}
		if err := EnqueueNow(ctx, st, textJob(ToChat(bot.ChannelTelegram, "81"), KindDigest, "bản tin")); err != nil {
			t.Fatal(err)
		}
		select {
		case <-tg.started:
		case <-time.After(10 * time.Second):
			t.Fatal("never sent")
		}
		stop, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		if err := q.Stop(stop); err != nil {
			t.Fatalf("stop: %v", err)
		}
		if n := tg.count("bản tin"); n != 1 {
			t.Fatalf("in-flight send not finished: %d", n)
		}
		// Finished, so a new Queue has nothing to do.
		q2 := startQueue(t, st, map[string]bot.Channel{bot.ChannelTelegram: tg}, fastOptions())
		s, err := q2.Stats(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if s.Depth != 0 || s.Finished["completed"] != 1 {
			t.Errorf("stats %+v", s)
		}
	})
}

func TestStats(t *testing.T) {
	t.Parallel()
	forEachDriver(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		tg := newFake(bot.ChannelTelegram)
		q, err := NewQueue(st, map[string]bot.Channel{bot.ChannelTelegram: tg}, fastOptions())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = q.Stop(context.Background()) }) // never started: closes its pool
		if err := EnqueueNow(ctx, st,
			textJob(ToChat(bot.ChannelTelegram, "91"), KindDigest, "a"),
			textJob(ToChat(bot.ChannelTelegram, "92"), KindDigest, "b"),
			Job{To: ToChat(bot.ChannelTelegram, "93"), Kind: KindReminder, NotBefore: time.Now().Add(time.Hour), Message: bot.Message{Text: "c"}},
		); err != nil {
			t.Fatal(err)
		}
		time.Sleep(50 * time.Millisecond)
		s, err := q.Stats(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if s.Depth != 3 || s.Due != 2 || s.OldestDue < 40*time.Millisecond || s.OldestDue > time.Minute {
			t.Errorf("stats %+v", s)
		}
	})
}

func TestInvalidJobs(t *testing.T) {
	t.Parallel()
	st := newStore(t, store.DriverSQLite)
	tests := []struct {
		name string
		job  Job
	}{
		{"no recipient", Job{Kind: KindDigest, Message: bot.Message{Text: "x"}}},
		{"person and chat", Job{To: Recipient{PersonID: 1, Channel: "telegram", ChatID: "1"}, Kind: KindDigest, Message: bot.Message{Text: "x"}}},
		{"chat without channel", Job{To: Recipient{ChatID: "1"}, Kind: KindDigest, Message: bot.Message{Text: "x"}}},
		{"bad kind", Job{To: ToPerson(1), Kind: "Tip New", Message: bot.Message{Text: "x"}}},
		{"empty message", Job{To: ToPerson(1), Kind: KindDigest}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := EnqueueNow(context.Background(), st, tt.job)
			if !errors.Is(err, ErrInvalidJob) {
				t.Errorf("got %v, want ErrInvalidJob", err)
			}
		})
	}
}
