package campaignadmin_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/anttbot/anttbot/access"
	"github.com/anttbot/anttbot/campaign"
	"github.com/anttbot/anttbot/campaignadmin"
	"github.com/anttbot/anttbot/store"
	"github.com/anttbot/anttbot/store/storetest"
)

func must(t testing.TB, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func TestTwoReplicasSeeANewlyLoadedCampaignWithoutRestart(t *testing.T) {
	next, err := os.ReadFile("../examples/campaign-2026-2027.toml")
	must(t, "read", err)
	nextCamp, err := campaign.Parse(next)
	must(t, "parse", err)
	for _, driver := range storetest.Drivers() {
		t.Run(driver, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			dsn := storetest.DSN(t, driver)
			a := storetest.Open(t, driver, dsn)
			must(t, "migrate", a.Migrate(ctx))
			b := storetest.Open(t, driver, dsn)
			quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
			var providers []*campaignadmin.Provider
			for _, st := range []*store.Store{a, b} {
				p, err := campaignadmin.NewProvider(ctx, st, campaign.Default(), quiet)
				must(t, "provider", err)
				if p.Get().ID != campaign.Default().ID || p.Version() != 0 {
					t.Fatalf("before any load the provider serves %s v%d", p.Get().ID, p.Version())
				}
				go p.Poll(ctx, 20*time.Millisecond)
				providers = append(providers, p)
			}
			// A bad file is refused, names the problem and stores nothing.
			var out, errb bytes.Buffer
			bad := t.TempDir() + "/bad.toml"
			must(t, "write", os.WriteFile(bad, bytes.Replace(next, []byte(`id = "dot1"`), []byte(`id = ""`), 1), 0o644))
			if code := campaignadmin.CLI(ctx, a, campaign.Default(), time.UTC, []string{"load", bad}, &out, &errb); code != 1 ||
				!strings.Contains(errb.String(), "invalid campaign") || !strings.Contains(errb.String(), "nothing was loaded") {
				t.Errorf("bad file: exit %d, stderr %q", code, errb.String())
			}
			if vs, err := a.CampaignVersions(ctx); err != nil || len(vs) != 0 {
				t.Fatalf("a refused file stored %v %v", vs, err)
			}
			out.Reset()
			if code := campaignadmin.CLI(ctx, a, campaign.Default(), time.UTC, []string{"load", "../examples/campaign-2026-2027.toml"}, &out, &errb); code != 0 {
				t.Fatalf("load: exit %d: %s", code, errb.String())
			}
			deadline := time.Now().Add(10 * time.Second)
			for _, p := range providers {
				for p.Get().ID != nextCamp.ID && time.Now().Before(deadline) {
					time.Sleep(10 * time.Millisecond)
				}
				if p.Get().ID != nextCamp.ID || p.Version() != 1 {
					t.Errorf("a replica still serves %s v%d, want %s v1", p.Get().ID, p.Version(), nextCamp.ID)
				}
			}
			out.Reset()
			if code := campaignadmin.CLI(ctx, b, campaign.Default(), time.UTC, []string{"list"}, &out, &errb); code != 0 ||
				!strings.Contains(out.String(), "*    1  "+nextCamp.ID) {
				t.Errorf("list: %d\n%s", code, out.String())
			}
		})
	}
}

func TestOnlyProvincialPoliceLoadACampaign(t *testing.T) {
	for _, driver := range storetest.Drivers() {
		t.Run(driver, func(t *testing.T) {
			ctx := context.Background()
			st := storetest.New(t, driver)
			prov, err := st.EnsureUnitPath(ctx, "Thành phố Hải Phòng", "", "", "")
			must(t, "unit", err)
			team, err := st.EnsureUnitPath(ctx, "Thành phố Hải Phòng", "", "Phường Thạch Khôi", "Thôn 1")
			must(t, "unit", err)
			official := store.Person{Name: "Cán bộ tỉnh", Phone: "+84900000101", Role: store.RoleProvincePolice, UnitID: prov.ID, Active: true}
			member := store.Person{Name: "Tổ viên", Phone: "+84900000102", Role: store.RoleMember, UnitID: team.ID, Active: true}
			must(t, "person", st.CreatePerson(ctx, &official))
			must(t, "person", st.CreatePerson(ctx, &member))
			pol := access.New(st, slog.New(slog.NewTextHandler(io.Discard, nil)))
			data := campaign.DefaultTOML()
			if _, _, err := campaignadmin.Load(ctx, st, pol, campaignadmin.Actor{Person: &member}, data); err == nil {
				t.Error("a member loaded a campaign")
			} else if _, ok := access.IsDenied(err); !ok {
				t.Errorf("member: %v, want a refusal", err)
			}
			v, _, err := campaignadmin.Load(ctx, st, pol, campaignadmin.Actor{Person: &official}, data)
			must(t, "official loads", err)
			vs, err := st.CampaignVersions(ctx)
			must(t, "list", err)
			if len(vs) != 1 || vs[0].Version != v.Version || vs[0].LoadedBy != "Cán bộ tỉnh" || vs[0].LoadedByID == nil || *vs[0].LoadedByID != official.ID {
				t.Errorf("versions = %+v", vs)
			}
		})
	}
}
