package store_test

import (
	"errors"
	"maps"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/anttbot/anttbot/store"
)

func TestJobRunLedger(t *testing.T) {
	forEachDriver(t, func(t *testing.T, s *store.Store) {
		ctx := ctxT(t)
		due := time.Date(2025, 3, 25, 1, 0, 0, 0, time.UTC)
		run := func(period string, due time.Time) *store.JobRun {
			return &store.JobRun{Job: "leader_reminder", Period: period, DueAt: due,
				PeriodFrom: due.AddDate(0, 0, -24), PeriodTo: due.AddDate(0, 0, 7), Sent: 3, Note: "3 teams", Owner: "a"}
		}
		ok, err := s.RecordJobRun(ctx, run("2025-03", due))
		must(t, "record", err)
		if !ok {
			t.Fatal("first record of (leader_reminder, 2025-03) was not inserted")
		}
		ok, err = s.RecordJobRun(ctx, run("2025-03", due.Add(time.Hour)))
		must(t, "record again", err)
		if ok {
			t.Fatal("second record of the same job and period was inserted")
		}
		ok, err = s.RecordJobRun(ctx, &store.JobRun{Job: "leader_nudge", Period: "2025-03", DueAt: due})
		must(t, "record other job", err)
		if !ok {
			t.Error("the same period of another job was refused")
		}
		ok, err = s.RecordJobRun(ctx, run("2025-04", due.AddDate(0, 1, 0)))
		must(t, "record next month", err)
		if !ok {
			t.Error("the next period was refused")
		}

		got, err := s.JobRunOf(ctx, "leader_reminder", "2025-03")
		must(t, "run of", err)
		if !got.DueAt.Equal(due) || got.Sent != 3 || got.Note != "3 teams" || got.Owner != "a" {
			t.Errorf("JobRunOf = %+v, want the first record (due %s, 3 sent)", got, due)
		}
		if _, err := s.JobRunOf(ctx, "leader_reminder", "2025-05"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("JobRunOf(2025-05) error = %v, want ErrNotFound", err)
		}
		last, err := s.LastJobRun(ctx, "leader_reminder", time.Time{})
		must(t, "last", err)
		if last.Period != "2025-04" {
			t.Errorf("LastJobRun = %s, want 2025-04", last.Period)
		}
		last, err = s.LastJobRun(ctx, "leader_reminder", due.AddDate(0, 1, 0))
		must(t, "last before", err)
		if last.Period != "2025-03" {
			t.Errorf("LastJobRun(before April's) = %s, want 2025-03", last.Period)
		}
		if _, err := s.LastJobRun(ctx, "police_digest", time.Time{}); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("LastJobRun(never run) error = %v, want ErrNotFound", err)
		}
		runs, err := s.JobRuns(ctx, "leader_reminder", due, due.AddDate(1, 0, 0))
		must(t, "runs", err)
		if len(runs) != 2 || runs[0].Period != "2025-03" || runs[1].Period != "2025-04" {
			t.Errorf("JobRuns = %+v, want 2025-03 then 2025-04", runs)
		}
		if _, err := s.RecordJobRun(ctx, &store.JobRun{Job: "x"}); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("record without a period: error = %v, want ErrInvalid", err)
		}
	})
}

// TestJobRunRace has several writers record the same run at once, each in a
// transaction as the scheduler does: exactly one wins.
func TestJobRunRace(t *testing.T) {
	forEachDriver(t, func(t *testing.T, s *store.Store) {
		ctx := ctxT(t)
		const writers = 6
		var (
			wg   sync.WaitGroup
			mu   sync.Mutex
			wins int
			errs []error
		)
		for i := range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				err := s.InTx(ctx, func(tx *store.Store) error {
					ok, err := tx.RecordJobRun(ctx, &store.JobRun{Job: "police_digest", Period: "2025-03-25T17:30",
						DueAt: time.Date(2025, 3, 25, 10, 30, 0, 0, time.UTC), Owner: string(rune('a' + i))})
					if err != nil {
						return err
					}
					if ok {
						mu.Lock()
						wins++
						mu.Unlock()
					}
					return nil
				})
				if err != nil {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		if len(errs) > 0 {
			t.Fatalf("errors: %v", errs)
		}
		if wins != 1 {
			t.Errorf("%d writers recorded the run, want exactly 1", wins)
		}
	})
}

func TestJobQueries(t *testing.T) {
	forEachDriver(t, func(t *testing.T, s *store.Store) {
		ctx := ctxT(t)
		f := loadOrg(t, s)
		communes, err := s.LiveUnitsAtLevel(ctx, store.LevelCommune)
		must(t, "communes", err)
		if got, want := ids(communes), []int64{f.unit(codeGiaTan), f.unit(codeTranPhu)}; !slices.Equal(got, want) {
			t.Errorf("communes = %v, want %v", got, want)
		}

		leaders, err := s.ActivePeopleByRoles(ctx, []store.Role{store.RoleLeader})
		must(t, "leaders", err)
		if got, want := personIDs(leaders), []int64{f.person(phoneLeader1).ID, f.person(phoneLeader2).ID, f.person(phoneLeaderKDC).ID}; !slices.Equal(got, want) {
			t.Errorf("leaders = %v, want %v", got, want)
		}

		t0 := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
		sub := func(key, kind, status string, reporter store.Person, created time.Time) int64 {
			t.Helper()
			st := store.Submission{Kind: kind, Status: status, ReporterID: reporter.ID, TeamID: reporter.UnitID, IdempotencyKey: key, OccurredAt: created.AddDate(0, 0, -3)}
			_, err := s.CreateSubmission(ctx, &st, "")
			must(t, "submission "+key, err)
			// CreatedAt is the store's clock; set it to the test's time.
			must(t, "backdate "+key, s.DB().Exec("UPDATE submissions SET created_at = ? WHERE id = ?", created.UTC(), st.ID).Error)
			return st.ID
		}
		sub("a", "good_deed", store.StatusVerified, f.person(phoneMember1), t0.Add(time.Hour))
		old := sub("b", "tip", store.StatusPending, f.person(phoneMember1), t0.Add(2*time.Hour))
		sub("c", "tip", store.StatusVerified, f.person(phoneLeader2), t0.Add(3*time.Hour))
		sub("d", "patrol", store.StatusReceived, f.person(phoneMemberKDC), t0.Add(30*time.Hour))
		sub("e", "tip", store.StatusPending, f.person(phoneMemberKDC), t0.Add(40*time.Hour))
		sub("f", "tip", store.StatusPending, f.person(phoneMemberKDC), t0.AddDate(0, -1, 0)) // made before the window

		made, err := s.SubmissionsByReporterMade(ctx, t0, t0.Add(24*time.Hour), nil)
		must(t, "made per reporter", err)
		if want := map[int64]int64{f.person(phoneMember1).ID: 2, f.person(phoneLeader2).ID: 1}; !maps.Equal(made, want) {
			t.Errorf("SubmissionsByReporterMade = %v, want %v", made, want)
		}
		made, err = s.SubmissionsByReporterMade(ctx, t0, t0.Add(24*time.Hour), []string{"good_deed", "patrol"})
		must(t, "made per reporter, some kinds", err)
		if want := map[int64]int64{f.person(phoneMember1).ID: 1}; !maps.Equal(made, want) {
			t.Errorf("SubmissionsByReporterMade(good deeds and patrols) = %v, want %v", made, want)
		}

		byCommune, err := s.SubmissionsMadeByCommune(ctx, t0, t0.AddDate(0, 1, 0))
		must(t, "made per commune", err)
		giaTan, tranPhu := f.unit(codeGiaTan), f.unit(codeTranPhu)
		want := []store.CommuneKindCount{
			{CommuneID: giaTan, Kind: "good_deed", N: 1}, {CommuneID: giaTan, Kind: "tip", N: 2},
			{CommuneID: tranPhu, Kind: "patrol", N: 1}, {CommuneID: tranPhu, Kind: "tip", N: 1},
		}
		if !slices.Equal(byCommune, want) {
			t.Errorf("SubmissionsMadeByCommune = %+v, want %+v", byCommune, want)
		}

		open, err := s.OpenSubmissionsByCommune(ctx)
		must(t, "open per commune", err)
		wantOpen := []store.CommuneKindCount{
			{CommuneID: giaTan, Kind: "tip", N: 1},
			{CommuneID: tranPhu, Kind: "patrol", N: 1}, {CommuneID: tranPhu, Kind: "tip", N: 2},
		}
		if !slices.Equal(open, wantOpen) {
			t.Errorf("OpenSubmissionsByCommune = %+v, want %+v", open, wantOpen)
		}

		stale, err := s.StaleSubmissions(ctx, []string{"tip"}, []string{store.StatusPending}, t0.Add(24*time.Hour))
		must(t, "stale", err)
		if len(stale) != 2 || stale[1].ID != old || stale[1].CommuneID != giaTan || stale[0].CommuneID != tranPhu {
			t.Errorf("StaleSubmissions = %+v, want the March 1 tip of Gia Tân after the February tip of Trần Phú", stale)
		}

		// Unreachable: every identity marked, the last one since the cut-off.
		link := func(p store.Person, channel, ext string) {
			t.Helper()
			_, err := s.LinkIdentity(ctx, p.ID, channel, ext, ext, "vi")
			must(t, "link", err)
		}
		link(f.person(phoneMember1), store.ChannelTelegram, "m1")
		link(f.person(phoneMember1), store.ChannelZalo, "z1")
		link(f.person(phoneMember2), store.ChannelTelegram, "m2")
		link(f.person(phoneLeader1), store.ChannelTelegram, "l1")
		must(t, "mark", s.MarkUnreachable(ctx, store.ChannelTelegram, "m1", "blocked", t0))
		must(t, "mark", s.MarkUnreachable(ctx, store.ChannelTelegram, "m2", "blocked", t0.Add(time.Hour)))
		must(t, "mark", s.MarkUnreachable(ctx, store.ChannelTelegram, "l1", "blocked", t0.Add(-48*time.Hour)))
		got, err := s.UnreachablePeople(ctx, t0.Add(-time.Hour))
		must(t, "unreachable", err)
		// Member 1 still has Zalo; the leader was marked before the cut-off.
		if len(got) != 1 || got[0].ID != f.person(phoneMember2).ID || !got[0].Since.Equal(t0.Add(time.Hour)) {
			t.Errorf("UnreachablePeople = %+v, want member 2 since %s", got, t0.Add(time.Hour))
		}
		must(t, "mark zalo", s.MarkUnreachable(ctx, store.ChannelZalo, "z1", "window", t0.Add(2*time.Hour)))
		got, err = s.UnreachablePeople(ctx, t0.Add(-time.Hour))
		must(t, "unreachable", err)
		if len(got) != 2 || got[0].ID != f.person(phoneMember1).ID || !got[0].Since.Equal(t0.Add(2*time.Hour)) {
			t.Errorf("UnreachablePeople after Zalo too = %+v, want member 1 (since %s) then member 2", got, t0.Add(2*time.Hour))
		}
	})
}
