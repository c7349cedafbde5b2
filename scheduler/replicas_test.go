package scheduler

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/anttbot/anttbot/internal/testenv"
	"github.com/anttbot/anttbot/store"
	"github.com/anttbot/anttbot/store/storetest"
)

// TestTwoReplicas runs two schedulers, each with its own connection pool,
// on the same database and Redis, ticking at the same moments: every job
// runs once per period, and is computed once.
func TestTwoReplicas(t *testing.T) {
	for _, d := range storetest.Drivers() {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t, d, at(2025, 1, 1, 0, 0))
			ctx := ctxT(t)
			rdb, prefix := testenv.Redis(t)
			rec := &recorder{}
			sum := &fakeSummaries{}
			replica := func(st *store.Store, owner string) *Scheduler {
				return w.newScheduler(t, rec, func(d *Deps, c *Config) {
					d.Store, d.Summaries = st, sum
					d.Locker = NewRedisLocker(rdb, prefix)
					c.Owner = owner
				})
			}
			a, b := replica(w.st, "a"), replica(w.reopen(t), "b")

			moments := []time.Time{
				at(2025, 1, 5, 17, 30), // digest (a tip was made that morning)
				at(2025, 1, 25, 8, 0),  // reminder
				at(2025, 1, 27, 8, 0),  // phase warning
				at(2025, 1, 31, 8, 0),  // nudge
				at(2025, 2, 1, 8, 0),   // monthly summary
				at(2025, 2, 4, 8, 0),   // phase summary
				at(2025, 2, 4, 17, 30), // a digest with nothing to say
			}
			w.clock.Set(at(2025, 1, 5, 10, 0))
			w.report(t, phMember2, "tip", store.StatusPending)
			for _, m := range moments {
				w.clock.Set(m)
				// Twice: a replica that found the lock taken settles on its
				// next tick, from the ledger.
				for range 2 {
					var wg sync.WaitGroup
					for _, s := range []*Scheduler{a, b} {
						wg.Add(1)
						go func() { defer wg.Done(); s.Tick(ctx) }()
					}
					wg.Wait()
				}
			}

			want := map[string]int{ // job/period → runs
				JobPoliceDigest + "/2025-01-05T17:30": 1, JobPoliceDigest + "/2025-02-04T17:30": 1,
				JobLeaderReminder + "/2025-01": 1, JobPhaseWarning + "/dot1": 1, JobLeaderNudge + "/2025-01": 1,
				JobMonthlySummary + "/2025-01": 1, JobPhaseSummary + "/dot1": 1,
				// Due on January 1st, still relevant at the first tick: caught up.
				JobMonthlySummary + "/2024-12": 1,
			}
			got := map[string]int{}
			sends := 0
			for _, r := range rec.runs {
				got[r.Job+"/"+r.Period.Key]++
				sends += len(r.Sends)
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("runs = %v, want %v", got, want)
			}
			var ledger int
			must(t, "count ledger", w.st.DB().Raw("SELECT COUNT(*) FROM job_runs").Scan(&ledger).Error)
			if ledger != len(want) {
				t.Errorf("ledger holds %d runs, want %d", ledger, len(want))
			}
			if n := riverJobs(t, w.st); n != sends || sends == 0 {
				t.Errorf("River holds %d jobs, the runs queued %d", n, sends)
			}
			// Each summary was computed by one replica only: the phase
			// summary once per unit (2 communes, the district, the province).
			perUnit := map[string]int{}
			for _, r := range sum.reqs {
				perUnit[fmt.Sprintf("%s/%s%s/%d", r.Kind, r.From.Format("2006-01"), r.PhaseID, r.UnitID)]++
			}
			for k, n := range perUnit {
				if n != 1 {
					t.Errorf("summary %s computed %d times, want once", k, n)
				}
			}
			if len(perUnit) != 2*2+4+4 {
				t.Errorf("%d summaries computed, want 2 months × 2 communes + 4 phase warnings + 4 phase summaries: %v", len(perUnit), perUnit)
			}
		})
	}
}

// TestDedupeKeysHoldWithoutTheLedger shows the second line of defence: even
// when the ledger row is lost and a period runs again, the queue refuses a
// message a recipient already got for that period.
func TestDedupeKeysHoldWithoutTheLedger(t *testing.T) {
	w := newWorld(t, store.DriverSQLite, at(2025, 3, 25, 8, 0))
	ctx := ctxT(t)
	rec := &recorder{}
	s := w.newScheduler(t, rec)
	res, err := s.RunNow(ctx, JobLeaderReminder, "2025-03", false)
	must(t, "run", err)
	if len(res.Sends) != 3 || riverJobs(t, w.st) != 3 {
		t.Fatalf("first run queued %d (River %d), want the 3 leaders", len(res.Sends), riverJobs(t, w.st))
	}
	if _, err := s.RunNow(ctx, JobLeaderReminder, "2025-03", false); err == nil {
		t.Fatal("second run of the same period: want ErrAlreadyRan")
	}
	must(t, "lose the ledger", w.st.DB().Exec("DELETE FROM job_runs").Error)
	w.clock.Set(at(2025, 3, 26, 9, 0))
	_, err = s.RunNow(ctx, JobLeaderReminder, "2025-03", false)
	must(t, "rerun", err)
	if n := riverJobs(t, w.st); n != 3 {
		t.Errorf("after a rerun River holds %d jobs, want still 3", n)
	}
	// Another month is another key.
	_, err = s.RunNow(ctx, JobLeaderReminder, "2025-04", false)
	must(t, "next month", err)
	if n := riverJobs(t, w.st); n != 6 {
		t.Errorf("River holds %d jobs, want 6", n)
	}
}
