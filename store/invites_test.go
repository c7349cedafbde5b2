package store_test

import (
	"errors"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/anttbot/anttbot/store"
)

func TestInvites(t *testing.T) {
	forEachDriver(t, func(t *testing.T, s *store.Store) {
		ctx := ctxT(t)
		f := loadOrg(t, s)
		now := time.Date(2025, 3, 1, 8, 0, 0, 0, time.UTC)
		leader := f.person(phoneLeader2).ID

		inv, err := s.CreateInvite(ctx, store.Invite{UnitID: f.unit(codeThon2), Role: store.RoleMember, CreatedByID: &leader, ExpiresAt: now.Add(48 * time.Hour)})
		must(t, "create", err)
		if !regexp.MustCompile(`^[A-Za-z0-9_-]{16}$`).MatchString(inv.Code) {
			t.Fatalf("code %q is not a 16-char URL-safe string", inv.Code)
		}
		other, err := s.CreateInvite(ctx, store.Invite{UnitID: f.unit(codeThon2), Role: store.RoleMember, ExpiresAt: now.Add(time.Hour)})
		must(t, "create another", err)
		if other.Code == inv.Code {
			t.Fatal("two invites got the same code")
		}
		fixed, err := s.CreateInvite(ctx, store.Invite{Code: "chosen-code", UnitID: f.unit(codeThon1), Role: store.RoleDeputy, ExpiresAt: now.Add(time.Hour)})
		must(t, "create with code", err)
		if fixed.Code != "chosen-code" {
			t.Fatalf("code = %q", fixed.Code)
		}
		if _, err := s.CreateInvite(ctx, store.Invite{UnitID: f.unit(codeThon1), Role: "chief", ExpiresAt: now}); !errors.Is(err, store.ErrInvalid) {
			t.Fatalf("invalid role: %v", err)
		}

		// A phoneless newcomer joins by invite and lands in Thôn 2 as a member.
		p, got, err := s.JoinByInvite(ctx, inv.Code, store.Person{Name: "Người Mới"}, now)
		must(t, "join", err)
		if p.ID == 0 || p.UnitID != f.unit(codeThon2) || p.Role != store.RoleMember || !p.Active {
			t.Fatalf("joined person = %+v", p)
		}
		if got.UsedByID == nil || *got.UsedByID != p.ID || got.UsedAt == nil || !got.UsedAt.Equal(now) {
			t.Fatalf("redeemed invite = %+v", got)
		}
		// An existing member redeems the deputy invite for Thôn 1.
		member := f.person(phoneMember2)
		_, err = s.RedeemInvite(ctx, "chosen-code", member.ID, now)
		must(t, "redeem", err)
		moved, err := s.PersonByID(ctx, member.ID)
		must(t, "reload", err)
		if moved.UnitID != f.unit(codeThon1) || moved.Role != store.RoleDeputy {
			t.Fatalf("after redeem: %+v", moved)
		}

		tests := []struct {
			name   string
			code   string
			now    time.Time
			person int64
			want   error
		}{
			{name: "used", code: inv.Code, now: now, person: member.ID, want: store.ErrInviteUsed},
			{name: "expired", code: other.Code, now: now.Add(time.Hour), person: member.ID, want: store.ErrInviteExpired},
			{name: "unknown", code: "nope", now: now, person: member.ID, want: store.ErrNotFound},
			{name: "unknown person", code: other.Code, now: now, person: 99999, want: store.ErrNotFound},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				if _, err := s.RedeemInvite(ctx, tt.code, tt.person, tt.now); !errors.Is(err, tt.want) {
					t.Fatalf("err = %v, want %v", err, tt.want)
				}
			})
		}
		// Joining with a used invite creates nobody.
		before, err := s.PeopleInUnit(ctx, f.unit(codeThon2))
		must(t, "people", err)
		if _, _, err := s.JoinByInvite(ctx, inv.Code, store.Person{Name: "Người Thừa"}, now); !errors.Is(err, store.ErrInviteUsed) {
			t.Fatalf("join with used invite: %v", err)
		}
		after, err := s.PeopleInUnit(ctx, f.unit(codeThon2))
		must(t, "people", err)
		if len(after) != len(before) {
			t.Fatalf("a failed join left a person behind: %d → %d", len(before), len(after))
		}
	})
}

func TestRedeemInviteRace(t *testing.T) {
	forEachDriver(t, func(t *testing.T, s *store.Store) {
		ctx := ctxT(t)
		f := loadOrg(t, s)
		now := time.Date(2025, 3, 1, 8, 0, 0, 0, time.UTC)
		inv, err := s.CreateInvite(ctx, store.Invite{UnitID: f.unit(codeThon2), Role: store.RoleMember, ExpiresAt: now.Add(time.Hour)})
		must(t, "create", err)
		people := []int64{f.person(phoneMember1).ID, f.person(phoneMemberKDC).ID, f.person(phoneDeputy1).ID}
		errs := make([]error, len(people))
		var wg sync.WaitGroup
		for i, p := range people {
			wg.Go(func() { _, errs[i] = s.RedeemInvite(ctx, inv.Code, p, now) })
		}
		wg.Wait()
		ok := 0
		for _, err := range errs {
			switch {
			case err == nil:
				ok++
			case errors.Is(err, store.ErrInviteUsed):
			default:
				t.Fatalf("concurrent redeem: %v", err)
			}
		}
		if ok != 1 {
			t.Fatalf("%d redemptions succeeded, want 1", ok)
		}
	})
}
