package store_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/anttbot/anttbot/store"
)

func TestWebLoginTokens(t *testing.T) {
	forEachDriver(t, func(t *testing.T, s *store.Store) {
		ctx := ctxT(t)
		f := loadOrg(t, s)
		p := f.person(phonePoliceXa)
		now := time.Date(2025, 7, 10, 9, 0, 0, 0, ict)
		token, err := s.CreateWebLoginToken(ctx, p.ID, now.Add(10*time.Minute))
		must(t, "create", err)
		got, err := s.UseWebLoginToken(ctx, token, now.Add(time.Minute))
		if err != nil || got != p.ID {
			t.Fatalf("first use = %d, %v", got, err)
		}
		if _, err := s.UseWebLoginToken(ctx, token, now.Add(2*time.Minute)); !errors.Is(err, store.ErrInviteUsed) {
			t.Errorf("second use: %v, want ErrInviteUsed", err)
		}
		late, err := s.CreateWebLoginToken(ctx, p.ID, now.Add(10*time.Minute))
		must(t, "create", err)
		if _, err := s.UseWebLoginToken(ctx, late, now.Add(11*time.Minute)); !errors.Is(err, store.ErrInviteExpired) {
			t.Errorf("expired: %v, want ErrInviteExpired", err)
		}
		if _, err := s.UseWebLoginToken(ctx, "nope", now); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("unknown: %v, want ErrNotFound", err)
		}

		id, sess, err := s.CreateWebSession(ctx, p, now, 12*time.Hour)
		must(t, "session", err)
		back, err := s.WebSessionByID(ctx, id)
		if err != nil || back.PersonID != p.ID || back.Role != p.Role || back.UnitID != p.UnitID || back.CSRFToken != sess.CSRFToken ||
			!back.ExpiresAt.Equal(now.Add(12*time.Hour)) {
			t.Fatalf("session = %+v, %v", back, err)
		}
		must(t, "touch", s.TouchWebSession(ctx, id, now.Add(time.Hour)))
		back, _ = s.WebSessionByID(ctx, id)
		if !back.LastSeenAt.Equal(now.Add(time.Hour)) {
			t.Errorf("last seen = %s", back.LastSeenAt)
		}
		_, _, err = s.CreateWebSession(ctx, p, now, time.Hour)
		must(t, "second session", err)
		if n, err := s.EndWebSessionsOf(ctx, p.ID); err != nil || n != 2 {
			t.Errorf("ended %d, %v; want 2", n, err)
		}
		if _, err := s.WebSessionByID(ctx, id); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("ended session: %v", err)
		}
	})
}

func TestTipInbox(t *testing.T) {
	forEachDriver(t, func(t *testing.T, s *store.Store) {
		ctx := ctxT(t)
		f := loadOrg(t, s)
		at := time.Date(2025, 7, 10, 9, 0, 0, 0, ict)
		ids := addReports(t, s, f, []reportRow{
			{key: "tip-1", kind: "tip", team: codeThon1, reporter: phoneMember1, at: at},
			{key: "tip-2", kind: "tip", team: codeThon2, reporter: phoneMember2, at: at, status: store.StatusVerified},
			{key: "gd-1", kind: "good_deed", team: codeThon1, reporter: phoneMember1, at: at},
			{key: "tip-kdc", kind: "tip", team: codeKhuDanCu3, reporter: phoneMemberKDC, at: at},
		})
		list := func(f store.ReportListFilter) ([]int64, int64) {
			t.Helper()
			items, total, err := s.ReportList(ctx, f)
			must(t, "inbox", err)
			var out []int64
			for _, it := range items {
				out = append(out, it.ID)
				if it.ReporterName == "" || it.TeamName == "" {
					t.Errorf("item %d without names: %+v", it.ID, it)
				}
			}
			slices.Sort(out)
			return out, total
		}
		commune := f.unit(codeGiaTan)
		if got, total := list(store.ReportListFilter{UnitID: commune, Kinds: []string{"tip"}}); !slices.Equal(got, []int64{ids["tip-1"], ids["tip-2"]}) || total != 2 {
			t.Errorf("commune tips = %v (%d)", got, total)
		}
		if got, _ := list(store.ReportListFilter{UnitID: commune, Kinds: []string{"tip"}, Statuses: []string{store.StatusPending}}); !slices.Equal(got, []int64{ids["tip-1"]}) {
			t.Errorf("pending = %v", got)
		}
		if got, _ := list(store.ReportListFilter{UnitID: commune, Kinds: []string{"tip"}, TeamID: f.unit(codeThon2)}); !slices.Equal(got, []int64{ids["tip-2"]}) {
			t.Errorf("team 2 = %v", got)
		}
		if got, total := list(store.ReportListFilter{UnitID: commune, Kinds: []string{"tip"}, Since: time.Now().Add(time.Hour)}); len(got) != 0 || total != 0 {
			t.Errorf("since the future = %v", got)
		}
		last, err := s.LastReports(ctx, []int64{f.person(phoneMember1).ID, f.person(phoneLeader1).ID})
		must(t, "last reports", err)
		if _, ok := last[f.person(phoneLeader1).ID]; ok || last[f.person(phoneMember1).ID].IsZero() {
			t.Errorf("last reports = %v", last)
		}
	})
}
