package scheduler

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/anttbot/anttbot/campaign"
	"github.com/anttbot/anttbot/store"
)

// flaky wraps a job: its first run panics, later ones work.
type flaky struct {
	planned
	calls atomic.Int32
}

func (f *flaky) Run(ctx context.Context, p Period) (Result, error) {
	if f.calls.Add(1) == 1 {
		panic("boom")
	}
	return f.planned.Run(ctx, p)
}

// stuck wraps a job: its run waits until its context ends.
type stuck struct{ planned }

func (stuck) Run(ctx context.Context, _ Period) (Result, error) {
	<-ctx.Done()
	return Result{}, ctx.Err()
}

func TestPanicIsRecoveredAndRetried(t *testing.T) {
	w := newWorld(t, store.DriverSQLite, at(2025, 3, 25, 8, 0))
	ctx := ctxT(t)
	rec := &recorder{}
	s := w.newScheduler(t, rec)
	e := s.byName[JobLeaderReminder]
	f := &flaky{planned: e.job}
	e.job = f

	s.Tick(ctx)
	if len(rec.runs) != 0 || riverJobs(t, w.st) != 0 {
		t.Fatalf("a panicking run queued %d jobs", riverJobs(t, w.st))
	}
	if _, err := w.st.JobRunOf(ctx, JobLeaderReminder, "2025-03"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("a panicking run was recorded: %v", err)
	}
	w.clock.Set(at(2025, 3, 25, 8, 2))
	s.Tick(ctx)
	if f.calls.Load() != 1 {
		t.Fatalf("retried after 2 minutes (%d calls), want to wait RetryAfter", f.calls.Load())
	}
	w.clock.Set(at(2025, 3, 25, 8, 6))
	s.Tick(ctx)
	if f.calls.Load() != 2 || len(rec.sends(JobLeaderReminder)) != 3 {
		t.Fatalf("after RetryAfter: %d calls, %d sends; want the retry to send the 3 reminders", f.calls.Load(), len(rec.sends(JobLeaderReminder)))
	}
	if got := rec.sends(JobLeaderReminder)[0].NotBefore; !got.Equal(at(2025, 3, 25, 8, 6)) {
		t.Errorf("retried reminder leaves %s, want when it ran", local(got))
	}
	s.Tick(ctx)
	if f.calls.Load() != 2 {
		t.Errorf("ran again after success (%d calls)", f.calls.Load())
	}
}

func TestRunTimeout(t *testing.T) {
	w := newWorld(t, store.DriverSQLite, at(2025, 3, 25, 8, 0))
	s := w.newScheduler(t, nil, func(_ *Deps, c *Config) { c.RunTimeout = 50 * time.Millisecond })
	e := s.byName[JobLeaderReminder]
	e.job = stuck{planned: e.job}
	start := time.Now()
	_, err := s.RunNow(ctxT(t), JobLeaderReminder, "", false)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("stuck run: error %v, want a deadline", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("stuck run took %s", d)
	}
	// The lock was released: the next run is not refused as busy.
	e.job = e.job.(stuck).planned
	s.cfg.RunTimeout = time.Minute
	if _, err := s.RunNow(ctxT(t), JobLeaderReminder, "", false); err != nil {
		t.Errorf("run after a timeout: %v", err)
	}
}

// busyChats says a chat is in the middle of a report.
type busyChats map[string]bool

func (b busyChats) Busy(_ context.Context, channel, chatID string) bool { return b[channel+":"+chatID] }

func TestBusyChatWaits(t *testing.T) {
	tests := []struct {
		name  string
		now   time.Time
		wantA time.Time // the busy leader
		wantB time.Time // the others
	}{
		{name: "morning", now: at(2025, 3, 25, 8, 0), wantA: at(2025, 3, 25, 8, 20), wantB: at(2025, 3, 25, 8, 0)},
		{name: "deferred into quiet hours", now: at(2025, 3, 25, 20, 50), wantA: at(2025, 3, 26, 7, 0), wantB: at(2025, 3, 25, 20, 50)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t, store.DriverSQLite, tt.now)
			// Leader 1's chat is the first fixture row's, 1000.
			s := w.newScheduler(t, nil, func(d *Deps, _ *Config) { d.Busy = busyChats{"telegram:1000": true} })
			res, err := s.RunNow(ctxT(t), JobLeaderReminder, "", true)
			must(t, "dry run", err)
			if len(res.Sends) != 3 {
				t.Fatalf("%d sends, want 3", len(res.Sends))
			}
			for _, sd := range res.Sends {
				want := tt.wantB
				if sd.To.PersonID == w.id(phLeader1) {
					want = tt.wantA
				}
				if !sd.NotBefore.Equal(want) {
					t.Errorf("reminder to %s leaves %s, want %s", sd.Who, local(sd.NotBefore), local(want))
				}
			}
		})
	}
}

func TestCommendationCountsAsGoodDeed(t *testing.T) {
	w := newWorld(t, store.DriverSQLite, at(2025, 3, 31, 8, 0))
	ctx := ctxT(t)
	from, to := monthOf(at(2025, 3, 1, 0, 0), hcm)
	must(t, "commendation", w.st.SetPoliceFigure(ctx, store.PoliceFigure{UnitID: w.units["Thôn 2"].ID,
		Figure: campaign.FigureCommendations, PeriodStart: from, PeriodEnd: to, Value: 1}, w.id(phPoliceGT)))
	w.report(t, phMemberK, "good_deed", store.StatusReceived) // awaiting verification: still at zero
	s := w.newScheduler(t, nil)
	res, err := s.RunNow(ctx, JobLeaderNudge, "", true)
	must(t, "nudge", err)
	var to2 []string
	for _, sd := range res.Sends {
		to2 = append(to2, sd.Who)
		if sd.To.PersonID == w.id(phLeaderK) && !contains(sd.Message.Text, "1 báo cáo việc tốt chờ xác minh") {
			t.Errorf("nudge to Khu dân cư số 3 does not mention the report awaiting verification:\n%s", sd.Message.Text)
		}
	}
	if len(res.Sends) != 2 || strings.Contains(strings.Join(to2, ";"), "Thôn 2") {
		t.Errorf("nudge went to %v, want Thôn 1 and Khu dân cư số 3 (Thôn 2 was commended)", to2)
	}
	res, err = s.RunNow(ctx, JobLeaderReminder, "", true)
	must(t, "reminder", err)
	for _, sd := range res.Sends {
		if sd.To.PersonID == w.id(phLeader2) && !contains(sd.Message.Text, "Lượt khen thưởng trong tháng: 1") {
			t.Errorf("reminder to Thôn 2 does not count the commendation:\n%s", sd.Message.Text)
		}
	}
}

func TestEnglishRecipient(t *testing.T) {
	w := newWorld(t, store.DriverSQLite, at(2025, 3, 25, 8, 0))
	ctx := ctxT(t)
	must(t, "locale", w.st.SetPersonLocale(ctx, w.id(phLeaderK), "en"))
	s := w.newScheduler(t, nil)
	res, err := s.RunNow(ctx, JobLeaderReminder, "", true)
	must(t, "run", err)
	for _, sd := range res.Sends {
		if sd.To.PersonID != w.id(phLeaderK) {
			continue
		}
		for _, want := range []string{"Reminder for Mar 2025 · Khu dân cư số 3", "Phase 2 has 148 days left", "Report a good deed"} {
			if !contains(sd.Message.Text+sd.Message.Buttons[0][0].Label, want) {
				t.Errorf("English reminder lacks %q:\n%s", want, sd.Message.Text)
			}
		}
	}
}

// TestStartCatchesUp starts the real loop: a reminder due while the service
// was down is sent at start, and Stop returns.
func TestStartCatchesUp(t *testing.T) {
	w := newWorld(t, store.DriverSQLite, at(2025, 3, 27, 9, 0))
	ran := make(chan Result, 10)
	s := w.newScheduler(t, nil, func(d *Deps, _ *Config) { d.OnRun = func(r Result) { ran <- r } })
	ctx := ctxT(t)
	must(t, "start", s.Start(ctx))
	if err := s.Start(ctx); err == nil {
		t.Error("second Start: want an error")
	}
	select {
	case r := <-ran:
		if r.Job != JobLeaderReminder || r.Period.Key != "2025-03" {
			t.Errorf("first run at start: %s %s, want the March reminder", r.Job, r.Period.Key)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no run at start")
	}
	stop, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	must(t, "stop", s.Stop(stop))
	must(t, "second stop", s.Stop(stop))
}

func TestCLI(t *testing.T) {
	w := newWorld(t, store.DriverSQLite, at(2025, 3, 25, 9, 0))
	s := w.newScheduler(t, nil)
	ctx := ctxT(t)
	run := func(args ...string) (int, string, string) {
		var out, errb bytes.Buffer
		code := CLI(ctx, s, args, &out, &errb)
		return code, out.String(), errb.String()
	}
	tests := []struct {
		name     string
		args     []string
		code     int
		stdout   []string
		stderr   []string
		noStdout []string
	}{
		{name: "no command", code: 2, stderr: []string{"usage:"}},
		{name: "unknown command", args: []string{"frobnicate"}, code: 2, stderr: []string{"unknown command"}},
		{name: "list before any run", args: []string{"list"}, code: 0,
			stdout: []string{"leader_reminder  0 8 25 * *", "2025-04-25 08:00", "phase_summary", "2025-08-20 08:00", "Asia/Ho_Chi_Minh"}},
		{name: "dry run", args: []string{"run", "leader_reminder", "--dry-run"}, code: 0,
			stdout: []string{"leader_reminder 2025-03: would send 3 messages", "Nguyễn Văn Tuấn, to_truong, Thôn 1", "[🌟 Báo cáo việc tốt → /baocao good_deed]", "not before 2025-03-25 09:00"}},
		{name: "flags before the job", args: []string{"run", "--dry-run", "--period", "2025-02", "monthly_summary"}, code: 0,
			stdout: []string{"monthly_summary 2025-02: would send 2 messages", "attachment bieu-do-2025-02.png"}},
		{name: "run", args: []string{"run", "leader_reminder"}, code: 0, stdout: []string{"queued 3 messages"}},
		{name: "run again", args: []string{"run", "leader_reminder"}, code: 1, stderr: []string{"already ran", "nothing sent again"}},
		{name: "list after the run", args: []string{"list"}, code: 0, stdout: []string{"2025-03-25 09:00  2025-03"}},
		{name: "unknown job", args: []string{"run", "coffee"}, code: 2, stderr: []string{"unknown job", "leader_reminder"}},
		{name: "bad period", args: []string{"run", "phase_summary", "--period", "dot9"}, code: 2, stderr: []string{"no phase \"dot9\""}},
		{name: "missing job", args: []string{"run", "--dry-run"}, code: 2, stderr: []string{"usage:"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := run(tt.args...)
			if code != tt.code {
				t.Errorf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tt.code, out, errOut)
			}
			for _, s := range tt.stdout {
				if !contains(out, s) {
					t.Errorf("stdout lacks %q:\n%s", s, out)
				}
			}
			for _, s := range tt.stderr {
				if !contains(errOut, s) {
					t.Errorf("stderr lacks %q:\n%s", s, errOut)
				}
			}
		})
	}
}

func TestNewRejectsBadSpecs(t *testing.T) {
	w := newWorld(t, store.DriverSQLite, at(2025, 3, 25, 9, 0))
	deps := Deps{Store: w.st, Campaign: w.camp, Text: catalog(t)}
	sc := defaultSchedule()
	sc.LeaderReminder, sc.PoliceDigest = "0 8 32 * *", "every day"
	_, err := New(deps, Config{Schedule: sc, Location: hcm})
	if err == nil || !contains(err.Error(), "schedule.leader_reminder") || !contains(err.Error(), "schedule.police_digest") {
		t.Errorf("New with two bad specs: %v, want both named", err)
	}
	sc = defaultSchedule()
	sc.LeaderNudge = ""
	s, err := New(deps, Config{Schedule: sc, Location: hcm})
	must(t, "new with a disabled job", err)
	infos, err := s.List(ctxT(t))
	must(t, "list", err)
	for _, i := range infos {
		if i.Name == JobLeaderNudge && !i.Next.IsZero() {
			t.Errorf("disabled nudge lists a next run %s", local(i.Next))
		}
	}
}
