package scheduler

import (
	"testing"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/anttbot/anttbot/campaign"
)

// planEnv is an env with the built-in campaign in Asia/Ho_Chi_Minh, enough
// for the jobs' plans (which touch no database).
func planEnv() *env {
	return &env{camp: campaign.Default(), loc: hcm, lang: "vi"}
}

func TestPlans(t *testing.T) {
	e := planEnv()
	jobs := map[string]planned{
		JobLeaderReminder: &leaderReminder{env: e},
		JobLeaderNudge:    &leaderNudge{env: e},
		JobPoliceDigest:   &policeDigest{env: e},
		JobMonthlySummary: &monthlySummary{env: e},
		JobPhaseWarning:   &phaseWarning{env: e},
		JobPhaseSummary:   &phaseSummary{env: e},
	}
	tests := []struct {
		name     string
		job      string
		fire     time.Time
		want     bool
		key      string
		deadline time.Time
		phase    string
	}{
		{name: "reminder on the 25th, until the last day starts", job: JobLeaderReminder, fire: at(2025, 3, 25, 8, 0),
			want: true, key: "2025-03", deadline: at(2025, 3, 31, 0, 0), phase: "dot2"},
		{name: "reminder in February", job: JobLeaderReminder, fire: at(2025, 2, 25, 8, 0),
			want: true, key: "2025-02", deadline: at(2025, 2, 28, 0, 0), phase: "dot2"},
		{name: "reminder after the campaign", job: JobLeaderReminder, fire: at(2025, 9, 25, 8, 0),
			want: true, key: "2025-09", deadline: at(2025, 9, 30, 0, 0), phase: ""},
		{name: "nudge on the 28th of a 31-day month does nothing", job: JobLeaderNudge, fire: at(2025, 3, 28, 8, 0)},
		{name: "nudge on the 30th of a 31-day month does nothing", job: JobLeaderNudge, fire: at(2025, 3, 30, 8, 0)},
		{name: "nudge on March 31", job: JobLeaderNudge, fire: at(2025, 3, 31, 8, 0),
			want: true, key: "2025-03", deadline: at(2025, 4, 1, 0, 0), phase: "dot2"},
		{name: "nudge on February 28 2025", job: JobLeaderNudge, fire: at(2025, 2, 28, 8, 0),
			want: true, key: "2025-02", deadline: at(2025, 3, 1, 0, 0), phase: "dot2"},
		{name: "nudge on February 28 of a leap year does nothing", job: JobLeaderNudge, fire: at(2028, 2, 28, 8, 0)},
		{name: "nudge on February 29 2028", job: JobLeaderNudge, fire: at(2028, 2, 29, 8, 0),
			want: true, key: "2028-02", deadline: at(2028, 3, 1, 0, 0)},
		{name: "nudge on April 30", job: JobLeaderNudge, fire: at(2025, 4, 30, 8, 0),
			want: true, key: "2025-04", deadline: at(2025, 5, 1, 0, 0), phase: "dot2"},
		{name: "digest, until midnight", job: JobPoliceDigest, fire: at(2025, 3, 25, 17, 30),
			want: true, key: "2025-03-25T17:30", deadline: at(2025, 3, 26, 0, 0), phase: "dot2"},
		{name: "monthly summary of the month before", job: JobMonthlySummary, fire: at(2025, 1, 1, 8, 0),
			want: true, key: "2024-12", deadline: at(2025, 1, 8, 0, 0), phase: "dot1"},
		{name: "monthly summary of August 2025, after the campaign", job: JobMonthlySummary, fire: at(2025, 9, 1, 8, 0),
			want: true, key: "2025-08", deadline: at(2025, 9, 8, 0, 0), phase: ""},
		{name: "phase warning a week before Đợt 1 ends", job: JobPhaseWarning, fire: at(2025, 1, 27, 8, 0),
			want: true, key: "dot1", deadline: at(2025, 2, 4, 0, 0), phase: "dot1"},
		{name: "phase warning a week before Đợt 2 ends", job: JobPhaseWarning, fire: at(2025, 8, 12, 8, 0),
			want: true, key: "dot2", deadline: at(2025, 8, 20, 0, 0), phase: "dot2"},
		{name: "no phase warning on an ordinary day", job: JobPhaseWarning, fire: at(2025, 1, 28, 8, 0)},
		{name: "Đợt 1 summary the day after 03/02/2025", job: JobPhaseSummary, fire: at(2025, 2, 4, 8, 0),
			want: true, key: "dot1", deadline: at(2025, 3, 6, 0, 0), phase: "dot1"},
		{name: "no summary on Đợt 1's last day", job: JobPhaseSummary, fire: at(2025, 2, 3, 8, 0)},
		{name: "Đợt 2 summary the day after 19/08/2025", job: JobPhaseSummary, fire: at(2025, 8, 20, 8, 0),
			want: true, key: "dot2", deadline: at(2025, 9, 19, 0, 0), phase: "dot2"},
		// 2025-08-19T23:30Z is already the 20th in Hồ Chí Minh City.
		{name: "the day after is judged in local time", job: JobPhaseSummary, fire: time.Date(2025, 8, 19, 23, 30, 0, 0, time.UTC),
			want: true, key: "dot2", deadline: at(2025, 9, 19, 0, 0), phase: "dot2"},
		{name: "no summary on the UTC day after", job: JobPhaseSummary, fire: time.Date(2025, 8, 20, 17, 30, 0, 0, time.UTC)},
		{name: "no phase job after the last phase", job: JobPhaseSummary, fire: at(2025, 9, 1, 8, 0)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, ok := jobs[tt.job].plan(tt.fire)
			if ok != tt.want {
				t.Fatalf("plan(%s) ok = %v, want %v", local(tt.fire), ok, tt.want)
			}
			if !ok {
				return
			}
			if p.Key != tt.key || !p.Deadline.Equal(tt.deadline) || p.PhaseID != tt.phase || !p.Due.Equal(tt.fire) {
				t.Errorf("plan(%s) = key %q deadline %s phase %q due %s, want key %q deadline %s phase %q",
					local(tt.fire), p.Key, local(p.Deadline), p.PhaseID, local(p.Due), tt.key, local(tt.deadline), tt.phase)
			}
			if !p.From.Before(p.To) {
				t.Errorf("plan(%s): empty period [%s, %s)", local(tt.fire), local(p.From), local(p.To))
			}
		})
	}
}

// TestCronInLocalTime checks that the default specs fire at local hours:
// "0 8 * * *" is 08:00 in Hồ Chí Minh City (01:00 UTC), not 08:00 UTC.
func TestCronInLocalTime(t *testing.T) {
	sched, err := cron.ParseStandard(defaultSchedule().PhaseSummary)
	must(t, "parse", err)
	got := sched.Next(at(2025, 2, 3, 20, 0))
	if want := time.Date(2025, 2, 4, 1, 0, 0, 0, time.UTC); !got.Equal(want) {
		t.Errorf("next phase-summary firing after 03/02 20:00 = %s, want %s", got.UTC(), want)
	}
}

func TestSendTime(t *testing.T) {
	s := &Scheduler{cfg: Config{Schedule: defaultSchedule(), Location: hcm}}
	tests := []struct {
		name string
		in   time.Time
		want time.Time
	}{
		{name: "day", in: at(2025, 3, 25, 8, 0), want: at(2025, 3, 25, 8, 0)},
		{name: "just before quiet hours", in: at(2025, 3, 25, 20, 59), want: at(2025, 3, 25, 20, 59)},
		{name: "quiet hours start", in: at(2025, 3, 25, 21, 0), want: at(2025, 3, 26, 7, 0)},
		{name: "late evening", in: at(2025, 3, 25, 23, 30), want: at(2025, 3, 26, 7, 0)},
		{name: "last evening of the month", in: at(2025, 3, 31, 22, 0), want: at(2025, 4, 1, 7, 0)},
		{name: "small hours", in: at(2025, 3, 26, 3, 0), want: at(2025, 3, 26, 7, 0)},
		{name: "quiet hours end", in: at(2025, 3, 26, 7, 0), want: at(2025, 3, 26, 7, 0)},
		{name: "UTC input", in: time.Date(2025, 3, 25, 16, 0, 0, 0, time.UTC), want: at(2025, 3, 26, 7, 0)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := s.sendTime(tt.in); !got.Equal(tt.want) {
				t.Errorf("sendTime(%s) = %s, want %s", local(tt.in), local(got), local(tt.want))
			}
		})
	}
	// No quiet hours configured: nothing moves.
	s.cfg.Schedule.QuietStart, s.cfg.Schedule.QuietEnd = "", ""
	if in := at(2025, 3, 25, 23, 0); !s.sendTime(in).Equal(in) {
		t.Errorf("without quiet hours sendTime moved %s", local(in))
	}
}

func TestDaysLeft(t *testing.T) {
	tests := []struct {
		name string
		now  time.Time
		want int
	}{
		{name: "25 March", now: at(2025, 3, 25, 8, 0), want: 7},
		{name: "last day", now: at(2025, 3, 31, 23, 0), want: 1},
		{name: "25 February", now: at(2025, 2, 25, 8, 0), want: 4},
		{name: "after the month", now: at(2025, 4, 2, 8, 0), want: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, end := monthOf(at(2025, tt.now.In(hcm).Month(), 1, 0, 0), hcm)
			if tt.name == "after the month" {
				_, end = monthOf(at(2025, 3, 1, 0, 0), hcm)
			}
			if got := daysLeft(tt.now, end, hcm); got != tt.want {
				t.Errorf("daysLeft(%s) = %d, want %d", local(tt.now), got, tt.want)
			}
		})
	}
}

func TestParsePeriods(t *testing.T) {
	e := planEnv()
	sched, err := cron.ParseStandard(defaultSchedule().PoliceDigest)
	must(t, "parse", err)
	digest := &policeDigest{env: e, sched: sched}
	now := at(2025, 3, 10, 9, 0)
	tests := []struct {
		name    string
		job     planned
		in      string
		key     string
		wantErr bool
	}{
		{name: "reminder, current month", job: &leaderReminder{env: e}, key: "2025-03"},
		{name: "reminder, given month", job: &leaderReminder{env: e}, in: "2024-12", key: "2024-12"},
		{name: "reminder, bad month", job: &leaderReminder{env: e}, in: "March", wantErr: true},
		{name: "monthly summary, month before", job: &monthlySummary{env: e}, key: "2025-02"},
		{name: "digest, latest due", job: digest, key: "2025-03-09T17:30"},
		{name: "digest, a day", job: digest, in: "2025-03-01", key: "2025-03-01T17:30"},
		{name: "digest, a time", job: digest, in: "2025-03-01T12:00", key: "2025-03-01T12:00"},
		{name: "digest, junk", job: digest, in: "yesterday", wantErr: true},
		{name: "warning, running phase", job: &phaseWarning{env: e}, key: "dot2"},
		{name: "warning, named phase", job: &phaseWarning{env: e}, in: "dot1", key: "dot1"},
		{name: "warning, unknown phase", job: &phaseWarning{env: e}, in: "dot3", wantErr: true},
		{name: "summary, phase ended last", job: &phaseSummary{env: e}, key: "dot1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := tt.job.parse(tt.in, now)
			if tt.wantErr {
				if err == nil {
					t.Fatalf("parse(%q) = %+v, want an error", tt.in, p)
				}
				return
			}
			must(t, "parse", err)
			if p.Key != tt.key || !p.Deadline.IsZero() {
				t.Errorf("parse(%q) = key %q deadline %s, want key %q and no deadline", tt.in, p.Key, p.Deadline, tt.key)
			}
		})
	}
	// Outside any phase there is nothing running to warn about.
	if _, err := (&phaseWarning{env: e}).parse("", at(2025, 9, 1, 8, 0)); err == nil {
		t.Error("phase warning for the running phase after the campaign: want an error")
	}
}
