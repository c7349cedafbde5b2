package scheduler

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/anttbot/anttbot/store"
	"github.com/anttbot/anttbot/store/storetest"
)

// outage is a span in which the service is down: no tick, no activity.
type outage struct{ down, up time.Time }

// The simulated outages of the campaign year.
var outages = []outage{
	// Spans the 25th: December's reminder is caught up on the 27th.
	{down: at(2024, 12, 24, 12, 0), up: at(2024, 12, 27, 10, 0)},
	// Spans the 25th to the next month's 2nd: April's reminder and nudge
	// are lost; April's summary (due May 1) is caught up on May 2.
	{down: at(2025, 4, 20, 12, 0), up: at(2025, 5, 2, 10, 0)},
	// Back late in the evening of the 25th: June's reminder is queued to
	// leave when quiet hours end; the 25th's digest is no longer relevant.
	{down: at(2025, 6, 25, 7, 0), up: at(2025, 6, 25, 22, 30)},
}

func isDown(t time.Time) bool {
	for _, o := range outages {
		if !t.Before(o.down) && t.Before(o.up) {
			return true
		}
	}
	return false
}

// event is something that happens at a moment of the simulation.
type event struct {
	at   time.Time
	tick bool // the schedule is looked at (after the activity of that instant)
	up   bool // the service starts again: a new scheduler, then a tick
	do   func()
}

// TestCampaignYear drives the scheduler with a fake clock across the
// built-in plan's year and beyond (18/8/2024 to 1/10/2025, Asia/Ho_Chi_Minh),
// with members reporting, police taking tips in, and three outages, and
// checks who receives what and when.
func TestCampaignYear(t *testing.T) {
	for _, d := range storetest.Drivers() {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			simulateYear(t, d)
		})
	}
}

func simulateYear(t *testing.T, driver string) {
	start, end := at(2024, 8, 18, 0, 0), at(2025, 10, 1, 12, 0)
	w := newWorld(t, driver, start)
	ctx := ctxT(t)
	rec := &recorder{}
	sum := &fakeSummaries{}
	withSum := func(d *Deps, _ *Config) { d.Summaries = sum }
	sched := w.newScheduler(t, rec, withSum)

	var events []event
	add := func(e event) {
		if !isDown(e.at) {
			events = append(events, e)
		}
	}
	// Ticks at every firing of every job.
	sc := defaultSchedule()
	for _, spec := range []string{sc.LeaderReminder, sc.LeaderNudge, sc.PoliceDigest, sc.MonthlySummary, sc.PhaseWarning, sc.PhaseSummary} {
		s, err := cron.ParseStandard(spec)
		must(t, "parse spec", err)
		for f := s.Next(start); f.Before(end); f = s.Next(f) {
			add(event{at: f, tick: true})
		}
	}
	for _, o := range outages {
		events = append(events, event{at: o.up, up: true})
	}
	// Activity, month by month.
	tips := map[string]int64{}
	for m := at(2024, 8, 1, 0, 0); m.Before(end); m = m.AddDate(0, 1, 0) {
		month := m.Format("2006-01")
		day := func(d, h int) time.Time { return at(m.Year(), m.Month(), d, h, 0) }
		add(event{at: day(5, 10), do: func() { tips[month] = w.report(t, phMember2, "tip", store.StatusPending) }})
		add(event{at: day(7, 9), do: func() {
			if id, ok := tips[month]; ok {
				_, err := w.st.SetSubmissionStatus(ctx, id, []string{store.StatusPending}, store.StatusReceived, w.id(phPoliceGT), "")
				must(t, "take tip in", err)
			}
		}})
		if month != "2024-11" && month != "2025-03" {
			add(event{at: day(10, 10), do: func() { w.report(t, phMember1, "good_deed", store.StatusVerified) }})
		}
		add(event{at: day(15, 10), do: func() { w.report(t, phMember1, "patrol", store.StatusVerified) }})
		add(event{at: day(26, 10), do: func() { w.report(t, phMemberK, "good_deed", store.StatusVerified) }})
	}
	add(event{at: at(2025, 1, 10, 11, 0), do: func() {
		must(t, "mark unreachable", w.st.MarkUnreachable(ctx, store.ChannelTelegram, "1004", "blocked", w.clock.Now()))
	}})
	events = slices.DeleteFunc(events, func(e event) bool { return e.at.Before(start) || !e.at.Before(end) })
	sort.SliceStable(events, func(i, j int) bool { return events[i].at.Before(events[j].at) })

	for _, e := range events {
		w.clock.Set(e.at)
		switch {
		case e.do != nil:
			e.do()
		case e.up:
			// A restarted replica knows nothing but the ledger.
			sched = w.newScheduler(t, rec, withSum)
			sched.Tick(ctx)
		case e.tick:
			sched.Tick(ctx)
		}
	}

	all := rec.sends("")
	leaders := map[int64]string{w.id(phLeader1): "Thôn 1", w.id(phLeader2): "Thôn 2", w.id(phLeaderK): "Khu dân cư số 3"}

	t.Run("nothing twice, nothing in quiet hours, all queued", func(t *testing.T) {
		keys := map[string]bool{}
		for _, s := range all {
			if keys[s.DedupeKey] {
				t.Errorf("dedupe key %s sent twice", s.DedupeKey)
			}
			keys[s.DedupeKey] = true
			if defaultSchedule().InQuietHours(s.NotBefore.In(hcm)) {
				t.Errorf("%s leaves at %s, in quiet hours", s.DedupeKey, local(s.NotBefore))
			}
			if !s.Scheduled {
				t.Errorf("%s is not marked scheduled", s.DedupeKey)
			}
		}
		if n := riverJobs(t, w.st); n != len(all) {
			t.Errorf("River holds %d jobs, the runs queued %d", n, len(all))
		}
	})

	t.Run("monthly reminder", func(t *testing.T) {
		var want []string
		for m := at(2024, 8, 1, 0, 0); m.Before(at(2025, 10, 1, 0, 0)); m = m.AddDate(0, 1, 0) {
			if k := m.Format("2006-01"); k != "2025-04" {
				want = append(want, k)
			}
		}
		if got := rec.periods(JobLeaderReminder); !slices.Equal(got, want) {
			t.Errorf("reminder periods = %v, want %v (April lost to the outage)", got, want)
		}
		byMonth := map[string][]Send{}
		for _, s := range rec.sends(JobLeaderReminder) {
			month := strings.Split(s.DedupeKey, ":")[1]
			byMonth[month] = append(byMonth[month], s)
		}
		for month, sends := range byMonth {
			var to []int64
			for _, s := range sends {
				to = append(to, s.To.PersonID)
			}
			slices.Sort(to)
			if wantTo := sortedKeys(leaders); !slices.Equal(to, wantTo) {
				t.Errorf("%s reminder went to %v, want the three leaders %v", month, to, wantTo)
			}
			wantAt := func() time.Time {
				switch month {
				case "2024-12":
					return at(2024, 12, 27, 10, 0) // caught up when the service came back
				case "2025-06":
					return at(2025, 6, 26, 7, 0) // caught up at 22:30, leaves when quiet hours end
				}
				m, _ := time.ParseInLocation("2006-01", month, hcm)
				return at(m.Year(), m.Month(), 25, 8, 0)
			}()
			for _, s := range sends {
				if !s.NotBefore.Equal(wantAt) {
					t.Errorf("%s reminder to %s leaves %s, want %s", month, leaders[s.To.PersonID], local(s.NotBefore), local(wantAt))
				}
				if got := s.Message.Buttons; len(got) != 2 || got[0][0].Data != "/baocao good_deed" || got[1][0].Data != "/baocao" {
					t.Errorf("%s reminder buttons = %+v, want /baocao good_deed and /baocao", month, got)
				}
			}
		}
		// Sample texts: the numbers behind the reminder.
		text := func(month string, leader string) string {
			for _, s := range byMonth[month] {
				if s.To.PersonID == w.id(leader) {
					return s.Message.Text
				}
			}
			t.Fatalf("no %s reminder to %s", month, leader)
			return ""
		}
		for _, c := range []struct {
			month, leader string
			want          []string
			not           []string
		}{
			{month: "2025-01", leader: phLeader1, want: []string{"Nhắc việc tháng 01/2025 · Thôn 1", "✅ Việc tốt đã xác minh trong tháng: 1",
				"Tuần tra đã xác minh: 1 lượt; 1/3 thành viên", "Nguyễn Văn Tuấn, Trần Thị Hằng", "Tháng này còn 7 ngày", "Đợt 1 còn 10 ngày (đến hết ngày 03/02/2025)"}},
			{month: "2025-03", leader: phLeader1, want: []string{"❗ Việc tốt đã xác minh trong tháng: 0", "Đợt 2 còn 148 ngày"}},
			// Hoàng Văn Sơn sent a tip: the leader must not be able to tell.
			{month: "2025-01", leader: phLeader2, want: []string{"❗ Việc tốt đã xác minh trong tháng: 0", "Tuần tra đã xác minh: 0 lượt; 0/2",
				"Chưa có báo cáo nào trong tháng (2 người): Phạm Thị Ngọc, Hoàng Văn Sơn."}, not: []string{"Nguồn tin", "tip"}},
			{month: "2024-12", leader: phLeader1, want: []string{"Tháng này còn 5 ngày"}},
			{month: "2025-09", leader: phLeaderK, want: []string{"Hiện không có đợt thi đua nào đang diễn ra"}},
		} {
			got := text(c.month, c.leader)
			for _, s := range c.want {
				if !contains(got, s) {
					t.Errorf("%s reminder to %s lacks %q:\n%s", c.month, leaders[w.id(c.leader)], s, got)
				}
			}
			for _, s := range c.not {
				if contains(got, s) {
					t.Errorf("%s reminder to %s has %q:\n%s", c.month, leaders[w.id(c.leader)], s, got)
				}
			}
		}
	})

	t.Run("end-of-month nudge only to teams below the target", func(t *testing.T) {
		got := map[string][]string{}
		for _, s := range rec.sends(JobLeaderNudge) {
			month := strings.Split(s.DedupeKey, ":")[1]
			got[month] = append(got[month], leaders[s.To.PersonID])
			m, _ := time.ParseInLocation("2006-01", month, hcm)
			if last := m.AddDate(0, 1, -1); !s.NotBefore.Equal(at(last.Year(), last.Month(), last.Day(), 8, 0)) {
				t.Errorf("%s nudge leaves %s, want 08:00 on the month's last day", month, local(s.NotBefore))
			}
		}
		for m := at(2024, 8, 1, 0, 0); m.Before(at(2025, 10, 1, 0, 0)); m = m.AddDate(0, 1, 0) {
			month := m.Format("2006-01")
			var want []string
			switch month {
			case "2025-04": // lost to the outage
			case "2024-08", "2024-11", "2025-03": // Thôn 1's good deed missed too
				want = []string{"Thôn 1", "Thôn 2"}
			case "2024-12": // Khu dân cư số 3's good deed fell in the outage
				want = []string{"Thôn 2", "Khu dân cư số 3"}
			default:
				want = []string{"Thôn 2"}
			}
			if !slices.Equal(got[month], want) {
				t.Errorf("%s nudge went to %v, want %v", month, got[month], want)
			}
		}
	})

	t.Run("daily digest only when there is news", func(t *testing.T) {
		days := map[string][]int{} // commune police phone + month → days
		var janGiaTan []string
		for _, s := range rec.sends(JobPoliceDigest) {
			d := s.NotBefore.In(hcm)
			if d.Hour() != 17 || d.Minute() != 30 {
				t.Errorf("digest %s leaves %s, want 17:30", s.DedupeKey, local(s.NotBefore))
			}
			k := fmt.Sprintf("%d %s", s.To.PersonID, d.Format("2006-01"))
			days[k] = append(days[k], d.Day())
			if s.To.PersonID == w.id(phPoliceGT) && d.Format("2006-01") == "2025-01" {
				janGiaTan = append(janGiaTan, s.Message.Text)
			}
			if s.To.PersonID != w.id(phPoliceGT) && s.To.PersonID != w.id(phPoliceTP) {
				t.Errorf("digest to person %d, who is not commune police", s.To.PersonID)
			}
		}
		if got, want := days[fmt.Sprintf("%d 2025-01", w.id(phPoliceGT))], []int{5, 6, 10, 15}; !slices.Equal(got, want) {
			t.Errorf("Gia Tân's January digests on %v, want %v", got, want)
		}
		if got, want := days[fmt.Sprintf("%d 2025-01", w.id(phPoliceTP))], []int{26}; !slices.Equal(got, want) {
			t.Errorf("Trần Phú's January digests on %v, want %v", got, want)
		}
		// June 25th's digest was lost to the outage; the 26th still reports
		// the good deed made that day.
		if got, want := days[fmt.Sprintf("%d 2025-06", w.id(phPoliceTP))], []int{26}; !slices.Equal(got, want) {
			t.Errorf("Trần Phú's June digests on %v, want %v", got, want)
		}
		if len(janGiaTan) != 4 {
			t.Fatalf("got %d January digests for Gia Tân", len(janGiaTan))
		}
		for i, want := range [][]string{
			{"Tổng hợp ngày 05/01/2025 · Xã Gia Tân", "Báo cáo mới từ 17:30 ngày 04/01/2025: 1", "Nguồn tin: 1"},
			{"Không có báo cáo mới từ 17:30 ngày 05/01/2025.", "Nguồn tin chưa được tiếp nhận sau hơn 24 giờ (1): #"},
			{"Việc tốt: 1", "không còn nhận được tin nhắn của bot (1): Hoàng Văn Sơn (Thôn 2)"},
			{"Tuần tra: 1"},
		} {
			for _, s := range want {
				if !contains(janGiaTan[i], s) {
					t.Errorf("January digest %d lacks %q:\n%s", i+1, s, janGiaTan[i])
				}
			}
		}
		if contains(janGiaTan[3], "không còn nhận được") {
			t.Errorf("the 15th's digest repeats an unreachable member reported on the 10th:\n%s", janGiaTan[3])
		}
	})

	t.Run("monthly summary", func(t *testing.T) {
		var want []string
		for m := at(2024, 8, 1, 0, 0); m.Before(at(2025, 10, 1, 0, 0)); m = m.AddDate(0, 1, 0) {
			want = append(want, m.Format("2006-01"))
		}
		if got := rec.periods(JobMonthlySummary); !slices.Equal(got, want) {
			t.Errorf("monthly summaries for %v, want %v", got, want)
		}
		for _, s := range rec.sends(JobMonthlySummary) {
			month := strings.Split(s.DedupeKey, ":")[1]
			wantAt := func() time.Time {
				if month == "2025-04" {
					return at(2025, 5, 2, 10, 0) // caught up after the outage
				}
				m, _ := time.ParseInLocation("2006-01", month, hcm)
				next := m.AddDate(0, 1, 0)
				return at(next.Year(), next.Month(), 1, 8, 0)
			}()
			if !s.NotBefore.Equal(wantAt) {
				t.Errorf("%s summary leaves %s, want %s", month, local(s.NotBefore), local(wantAt))
			}
			if s.Message.Attachment == nil || !s.Message.Attachment.IsImage || !contains(s.Message.Text, "SCORECARD month") {
				t.Errorf("%s summary = %+v, want the scorecard text with the chart attached", month, s.Message)
			}
			if to := s.To.PersonID; to != w.id(phPoliceGT) && to != w.id(phPoliceTP) {
				t.Errorf("%s summary to person %d, who is not commune police", month, to)
			}
		}
		if n := len(rec.sends(JobMonthlySummary)); n != 2*len(want) {
			t.Errorf("%d monthly summaries, want 2 communes × %d months", n, len(want))
		}
	})

	t.Run("phase warning and summary on the right local days", func(t *testing.T) {
		police := []int64{w.id(phPoliceGT), w.id(phPoliceH), w.id(phPoliceT), w.id(phPoliceTP)}
		slices.Sort(police)
		check := func(job string, wantPeriods []string, wantAt map[string]time.Time, perRecipient int) {
			t.Helper()
			if got := rec.periods(job); !slices.Equal(got, wantPeriods) {
				t.Errorf("%s periods = %v, want %v", job, got, wantPeriods)
			}
			to := map[string][]int64{}
			for _, s := range rec.sends(job) {
				phase := strings.Split(s.DedupeKey, ":")[1]
				to[phase] = append(to[phase], s.To.PersonID)
				if !s.NotBefore.Equal(wantAt[phase]) {
					t.Errorf("%s %s leaves %s (%s UTC), want %s", job, phase, local(s.NotBefore), s.NotBefore.UTC().Format(time.RFC3339), local(wantAt[phase]))
				}
			}
			for _, ph := range wantPeriods {
				got := slices.Compact(slices.Sorted(slices.Values(to[ph])))
				if !slices.Equal(got, police) || len(to[ph]) != perRecipient*len(police) {
					t.Errorf("%s %s went to %v, want %d messages to each of the commune, district and province police %v", job, ph, to[ph], perRecipient, police)
				}
			}
		}
		check(JobPhaseWarning, []string{"dot1", "dot2"}, map[string]time.Time{"dot1": at(2025, 1, 27, 8, 0), "dot2": at(2025, 8, 12, 8, 0)}, 1)
		check(JobPhaseSummary, []string{"dot1", "dot2"}, map[string]time.Time{
			"dot1": time.Date(2025, 2, 4, 1, 0, 0, 0, time.UTC),  // 04/02/2025 08:00 local
			"dot2": time.Date(2025, 8, 20, 1, 0, 0, 0, time.UTC), // 20/08/2025 08:00 local
		}, 2)
		for _, s := range rec.sends(JobPhaseSummary) {
			a := s.Message.Attachment
			switch {
			case strings.HasSuffix(s.DedupeKey, ":xlsx"):
				if a == nil || !strings.HasSuffix(a.Name, ".xlsx") || s.Message.Text != "" {
					t.Errorf("%s: want the workbook alone, got %+v", s.DedupeKey, s.Message)
				}
			default:
				if a == nil || !a.IsImage || !contains(s.Message.Text, "SCORECARD phase_end") || !contains(s.Message.Text, "Tổng kết Đợt") {
					t.Errorf("%s: want the scorecard with its chart, got %+v", s.DedupeKey, s.Message)
				}
			}
		}
		for _, s := range rec.sends(JobPhaseWarning) {
			if !contains(s.Message.Text, "còn 8 ngày") || !contains(s.Message.Text, "⏳ target A") {
				t.Errorf("%s: want 8 days left (the last day included) and the missing targets:\n%s", s.DedupeKey, s.Message.Text)
			}
		}
		// The district and the province get their own rollup.
		units := map[int64]bool{}
		for _, r := range sum.reqs {
			if r.Kind == SummaryPhaseEnd {
				units[r.UnitID] = true
			}
		}
		for _, name := range []string{"Xã Gia Tân", "Phường Trần Phú", "Huyện Gia Lộc", "Tỉnh Hải Dương"} {
			if !units[w.units[name].ID] {
				t.Errorf("no phase summary computed for %s", name)
			}
		}
	})

	t.Run("the ledger has one run per job and period", func(t *testing.T) {
		var n int
		must(t, "count", w.st.DB().Raw("SELECT COUNT(*) FROM job_runs").Scan(&n).Error)
		if n != len(rec.runs) {
			t.Errorf("ledger holds %d runs, the schedulers committed %d", n, len(rec.runs))
		}
		// Every recorded run is there to be listed.
		infos, err := sched.List(context.Background())
		must(t, "list", err)
		for _, i := range infos {
			if i.LastRun.IsZero() {
				t.Errorf("%s: no last run listed", i.Name)
			}
			if (i.Name == JobPhaseSummary || i.Name == JobPhaseWarning) && !i.Next.IsZero() {
				t.Errorf("%s: next run %s after the last phase, want none", i.Name, local(i.Next))
			}
		}
	})
}

func sortedKeys(m map[int64]string) []int64 {
	out := make([]int64, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
