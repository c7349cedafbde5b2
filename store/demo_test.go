package store_test

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/anttbot/anttbot/store"
)

func TestSeedDemo(t *testing.T) {
	forEachDriver(t, func(t *testing.T, s *store.Store) {
		ctx := ctxT(t)
		now := time.Date(2025, 3, 1, 8, 0, 0, 0, time.UTC)
		org, err := s.SeedDemo(ctx, now)
		must(t, "seed", err)
		if org.Province.Name != "Tỉnh Demo" || org.Commune.Name != "Xã An Bình" || len(org.Teams) != 2 ||
			org.Teams[0].Name != "Tổ ANTT thôn Đông" || org.Teams[1].Name != "Tổ ANTT thôn Tây" {
			t.Fatalf("org units = %+v", org)
		}
		if len(org.People) != 9 {
			t.Fatalf("%d people, want 9", len(org.People))
		}
		police := org.People[0]
		if police.Name != "Đại úy Trần Văn Công" || police.Role != store.RoleCommunePolice || police.UnitID != org.Commune.ID {
			t.Fatalf("police = %+v", police)
		}
		for _, team := range org.Teams {
			ms, err := s.TeamMembers(ctx, team.ID)
			must(t, "members", err)
			if len(ms) != 4 || ms[0].Role != store.RoleLeader || ms[1].Role != store.RoleDeputy || ms[2].Role != store.RoleMember || ms[3].Role != store.RoleMember {
				t.Fatalf("team %s members = %+v", team.Name, ms)
			}
		}
		for _, p := range org.People {
			if !strings.HasPrefix(p.Phone, "+849") || !p.Active {
				t.Errorf("demo person %+v", p)
			}
		}
		got, err := s.PoliceOf(ctx, org.Teams[1].ID, store.RoleCommunePolice)
		must(t, "police of", err)
		if len(got) != 1 || got[0].ID != police.ID {
			t.Fatalf("PoliceOf team = %+v", got)
		}

		// A second call writes nothing and returns the same organisation,
		// even when the demo people were changed in between.
		must(t, "change", s.SetPersonLocale(ctx, police.ID, "en"))
		police, err = s.PersonByID(ctx, police.ID)
		must(t, "reload", err)
		org.People[0] = police
		org2, err := s.SeedDemo(ctx, now.Add(time.Hour))
		must(t, "seed again", err)
		if !reflect.DeepEqual(org.People, org2.People) || org.Commune.ID != org2.Commune.ID || len(org2.Teams) != 2 {
			t.Fatalf("second seed differs:\n%+v\n%+v", org, org2)
		}
		n, err := s.CountSubmissions(ctx, store.CountFilter{})
		must(t, "count", err)
		if n != 0 {
			t.Fatalf("demo seeded %d submissions", n)
		}
	})
}
