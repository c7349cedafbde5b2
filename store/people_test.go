package store_test

import (
	"errors"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/anttbot/anttbot/store"
)

func TestPeople(t *testing.T) {
	forEachDriver(t, func(t *testing.T, s *store.Store) {
		ctx := ctxT(t)
		f := loadOrg(t, s)

		p, err := s.PersonByPhone(ctx, phoneLeader1)
		must(t, "by phone", err)
		if p.Name != "Nguyễn Văn Tuấn" || p.Role != store.RoleLeader || p.UnitID != f.unit(codeThon1) || !p.Active {
			t.Fatalf("PersonByPhone = %+v", p)
		}
		byID, err := s.PersonByID(ctx, p.ID)
		must(t, "by id", err)
		if byID.Phone != phoneLeader1 {
			t.Fatalf("PersonByID = %+v", byID)
		}
		for _, phone := range []string{"", "+84999999999"} {
			if _, err := s.PersonByPhone(ctx, phone); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("PersonByPhone(%q) = %v, want ErrNotFound", phone, err)
			}
		}
		if _, err := s.PersonByID(ctx, 99999); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("missing person: %v", err)
		}
		must(t, "set locale", s.SetPersonLocale(ctx, p.ID, "en"))
		if p, _ := s.PersonByID(ctx, p.ID); p.Locale != "en" {
			t.Fatalf("locale = %q", p.Locale)
		}

		members, err := s.TeamMembers(ctx, f.unit(codeThon1))
		must(t, "team members", err)
		want := []int64{f.person(phoneLeader1).ID, f.person(phoneDeputy1).ID, f.person(phoneMember1).ID}
		if got := personIDs(members); !slices.Equal(got, want) {
			t.Fatalf("TeamMembers = %v, want leader, deputy, member %v", got, want)
		}

		// Two people without a phone (joined by invite) do not collide.
		for _, name := range []string{"Không Số A", "Không Số B"} {
			must(t, "create phoneless", s.CreatePerson(ctx, &store.Person{Name: name, Role: store.RoleMember, UnitID: f.unit(codeThon2), Active: true}))
		}
		dup := store.Person{Name: "Trùng Số", Phone: phoneLeader1, Role: store.RoleMember, UnitID: f.unit(codeThon2), Active: true}
		if err := s.CreatePerson(ctx, &dup); err == nil {
			t.Fatal("a second person with the same phone was created")
		}
		if err := s.CreatePerson(ctx, &store.Person{Name: "X", Role: "boss", UnitID: 1}); !errors.Is(err, store.ErrInvalid) {
			t.Fatalf("invalid role: %v", err)
		}

		inCommune, err := s.PeopleInUnit(ctx, f.unit(codeGiaTan))
		must(t, "people in commune", err)
		if len(inCommune) != 8 { // 5 imported in teams + police + 2 phoneless
			t.Fatalf("PeopleInUnit(commune) = %d people, want 8", len(inCommune))
		}
		inProvince, err := s.PeopleInUnit(ctx, f.unit(codeProvince))
		must(t, "people in province", err)
		if len(inProvince) != 13 {
			t.Fatalf("PeopleInUnit(province) = %d people, want 13", len(inProvince))
		}
	})
}

func TestPoliceOf(t *testing.T) {
	forEachDriver(t, func(t *testing.T, s *store.Store) {
		ctx := ctxT(t)
		f := loadOrg(t, s)
		tests := []struct {
			name    string
			unit    int64
			role    store.Role
			want    []string // phones
			wantErr error
		}{
			{name: "commune police of a team", unit: f.unit(codeThon1), role: store.RoleCommunePolice, want: []string{phonePoliceXa}},
			{name: "commune police of the commune", unit: f.unit(codeGiaTan), role: store.RoleCommunePolice, want: []string{phonePoliceXa}},
			{name: "commune police, no district", unit: f.unit(codeKhuDanCu3), role: store.RoleCommunePolice, want: []string{phonePoliceTP}},
			{name: "district police of a team", unit: f.unit(codeThon2), role: store.RoleDistrictPolice, want: []string{phonePoliceH}},
			{name: "no district: province stands in", unit: f.unit(codeKhuDanCu3), role: store.RoleDistrictPolice, want: nil},
			{name: "province police", unit: f.unit(codeKhuDanCu3), role: store.RoleProvincePolice, want: []string{phonePoliceT}},
			{name: "no commune above a district", unit: f.unit(codeDistrict), role: store.RoleCommunePolice, want: nil},
			{name: "not a police role", unit: f.unit(codeThon1), role: store.RoleLeader, wantErr: store.ErrInvalid},
			{name: "missing unit", unit: 99999, role: store.RoleCommunePolice, wantErr: store.ErrNotFound},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				got, err := s.PoliceOf(ctx, tt.unit, tt.role)
				if tt.wantErr != nil {
					if !errors.Is(err, tt.wantErr) {
						t.Fatalf("err = %v, want %v", err, tt.wantErr)
					}
					return
				}
				must(t, "police of", err)
				var phones []string
				for _, p := range got {
					phones = append(phones, p.Phone)
				}
				if !slices.Equal(phones, tt.want) {
					t.Fatalf("PoliceOf = %v, want %v", phones, tt.want)
				}
			})
		}
	})
}

func TestIdentities(t *testing.T) {
	forEachDriver(t, func(t *testing.T, s *store.Store) {
		ctx := ctxT(t)
		f := loadOrg(t, s)
		leader, member := f.person(phoneLeader1), f.person(phoneMember1)

		id, err := s.LinkIdentity(ctx, leader.ID, store.ChannelTelegram, "111", "111", "vi")
		must(t, "link", err)
		if id.ID == 0 || id.PersonID != leader.ID || id.ChatID != "111" || id.Locale != "vi" || id.LinkedAt.IsZero() {
			t.Fatalf("LinkIdentity = %+v", id)
		}
		again, err := s.LinkIdentity(ctx, leader.ID, store.ChannelTelegram, "111", "", "")
		must(t, "link again", err)
		if again.ID != id.ID || again.ChatID != "111" || again.Locale != "vi" {
			t.Fatalf("re-link changed the identity: %+v", again)
		}
		_, err = s.LinkIdentity(ctx, leader.ID, store.ChannelZalo, "z-1", "z-1", "")
		must(t, "link zalo", err)

		p, got, err := s.PersonByIdentity(ctx, store.ChannelTelegram, "111")
		must(t, "by identity", err)
		if p.ID != leader.ID || got.ID != id.ID {
			t.Fatalf("PersonByIdentity = %d, %+v", p.ID, got)
		}
		// The joined query reads every field as the separate queries do.
		byID, err := s.PersonByID(ctx, leader.ID)
		must(t, "by id", err)
		if !reflect.DeepEqual(p, byID) {
			t.Fatalf("PersonByIdentity person = %+v, PersonByID = %+v", p, byID)
		}
		idents, err := s.IdentitiesOf(ctx, []int64{leader.ID})
		must(t, "identities", err)
		for _, want := range idents {
			if want.ID == got.ID && !reflect.DeepEqual(got, want) {
				t.Fatalf("PersonByIdentity identity = %+v, IdentitiesOf = %+v", got, want)
			}
		}
		if _, _, err := s.PersonByIdentity(ctx, store.ChannelTelegram, "nobody"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("unknown identity: %v", err)
		}

		// Telegram account 111 now belongs to the member: relinked and audited.
		moved, err := s.LinkIdentity(ctx, member.ID, store.ChannelTelegram, "111", "111", "")
		must(t, "relink", err)
		if moved.ID != id.ID || moved.PersonID != member.ID {
			t.Fatalf("relinked identity = %+v", moved)
		}
		audit, err := s.AuditEntries(ctx, "identity", "telegram:111")
		must(t, "audit", err)
		if len(audit) != 1 || audit[0].Action != "identity.relink" {
			t.Fatalf("relink audit = %+v", audit)
		}
		// The member switches to a new Telegram account: the old one is unlinked.
		_, err = s.LinkIdentity(ctx, member.ID, store.ChannelTelegram, "222", "222", "")
		must(t, "link new account", err)
		if _, _, err := s.PersonByIdentity(ctx, store.ChannelTelegram, "111"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("old account still linked: %v", err)
		}

		all, err := s.IdentitiesOf(ctx, []int64{leader.ID, member.ID})
		must(t, "identities of", err)
		var got2 []string
		for _, i := range all {
			got2 = append(got2, i.Channel+":"+i.ExternalID)
		}
		if want := []string{"zalo:z-1", "telegram:222"}; !slices.Equal(got2, want) {
			t.Fatalf("IdentitiesOf = %v, want %v", got2, want)
		}
		if none, err := s.IdentitiesOf(ctx, nil); err != nil || len(none) != 0 {
			t.Fatalf("IdentitiesOf(nil) = %v, %v", none, err)
		}

		at := time.Date(2025, 3, 1, 8, 0, 0, 0, time.UTC)
		must(t, "unreachable", s.MarkUnreachable(ctx, store.ChannelZalo, "z-1", "blocked", at))
		_, z, err := s.PersonByIdentity(ctx, store.ChannelZalo, "z-1")
		must(t, "reload", err)
		if z.UnreachableAt == nil || !z.UnreachableAt.Equal(at) || z.UnreachableReason != "blocked" {
			t.Fatalf("after MarkUnreachable: %+v", z)
		}
		must(t, "touch", s.TouchIdentity(ctx, store.ChannelZalo, "z-1", at.Add(time.Hour)))
		must(t, "locale", s.SetIdentityLocale(ctx, store.ChannelZalo, "z-1", "en"))
		_, z, err = s.PersonByIdentity(ctx, store.ChannelZalo, "z-1")
		must(t, "reload", err)
		if z.UnreachableAt != nil || z.UnreachableReason != "" || !z.LastSeenAt.Equal(at.Add(time.Hour)) || z.Locale != "en" {
			t.Fatalf("after TouchIdentity: %+v", z)
		}
		for name, err := range map[string]error{
			"touch":       s.TouchIdentity(ctx, store.ChannelZalo, "nobody", at),
			"unreachable": s.MarkUnreachable(ctx, store.ChannelZalo, "nobody", "x", at),
			"locale":      s.SetIdentityLocale(ctx, store.ChannelZalo, "nobody", "vi"),
		} {
			if !errors.Is(err, store.ErrNotFound) {
				t.Errorf("%s unknown identity: %v, want ErrNotFound", name, err)
			}
		}
		if _, err := s.LinkIdentity(ctx, 99999, store.ChannelZalo, "z-9", "", ""); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("link to missing person: %v", err)
		}
	})
}

func TestLinkIdentityRace(t *testing.T) {
	forEachDriver(t, func(t *testing.T, s *store.Store) {
		ctx := ctxT(t)
		f := loadOrg(t, s)
		var wg sync.WaitGroup
		errs := make([]error, 4)
		for i := range errs {
			wg.Go(func() {
				_, errs[i] = s.LinkIdentity(ctx, f.person(phoneMember2).ID, store.ChannelTelegram, "333", "333", "")
			})
		}
		wg.Wait()
		for _, err := range errs {
			must(t, "concurrent link", err)
		}
		all, err := s.IdentitiesOf(ctx, []int64{f.person(phoneMember2).ID})
		must(t, "identities", err)
		if len(all) != 1 {
			t.Fatalf("%d identities after concurrent links, want 1", len(all))
		}
	})
}
