package store_test

import (
	"errors"
	"testing"

	"github.com/anttbot/anttbot/store"
)

func TestApplyImport(t *testing.T) {
	forEachDriver(t, func(t *testing.T, s *store.Store) {
		ctx := ctxT(t)
		rows := orgRows(t)

		res, err := s.ApplyImport(ctx, rows)
		must(t, "first import", err)
		// province, district, 2 communes, 3 teams
		if want := (store.ImportResult{UnitsCreated: 7, PeopleCreated: len(rows)}); res != want {
			t.Fatalf("first import = %+v, want %+v", res, want)
		}
		f := loadOrg(t, s) // a third application, also a no-op

		res, err = s.ApplyImport(ctx, rows)
		must(t, "re-import", err)
		if want := (store.ImportResult{PeopleUnchanged: len(rows)}); res != want {
			t.Fatalf("re-import = %+v, want %+v", res, want)
		}

		attach := []struct {
			phone string
			unit  string
		}{
			{phoneLeader1, codeThon1},
			{phonePoliceXa, codeGiaTan},
			{phonePoliceH, codeDistrict},
			{phonePoliceT, codeProvince},
			{phonePoliceTP, codeTranPhu},
		}
		for _, a := range attach {
			if got := f.person(a.phone).UnitID; got != f.unit(a.unit) {
				t.Errorf("%s attached to %d, want %s (%d)", a.phone, got, a.unit, f.unit(a.unit))
			}
		}

		// Update in place: the member of Thôn 1 becomes deputy of Thôn 2 and
		// fixes the spelling of their name; a new team appears.
		changed := append([]store.ImportRow(nil), rows...)
		changed[2].Team, changed[2].Role, changed[2].Name = "Thôn 2", store.RoleDeputy, "Lê Văn Đức Anh"
		changed = append(changed, store.ImportRow{Line: 13, Province: "Tỉnh Hải Dương", Commune: "Phường Trần Phú", Team: "Khu dân cư số 4",
			Name: "Tạ Văn Bình", Phone: "+84910000012", Role: store.RoleLeader})
		res, err = s.ApplyImport(ctx, changed)
		must(t, "changed import", err)
		if want := (store.ImportResult{UnitsCreated: 1, PeopleCreated: 1, PeopleUpdated: 1, PeopleUnchanged: len(rows) - 1}); res != want {
			t.Fatalf("changed import = %+v, want %+v", res, want)
		}
		p, err := s.PersonByPhone(ctx, phoneMember1)
		must(t, "reload", err)
		if p.ID != f.person(phoneMember1).ID || p.UnitID != f.unit(codeThon2) || p.Role != store.RoleDeputy || p.Name != "Lê Văn Đức Anh" {
			t.Fatalf("updated person = %+v (was id %d)", p, f.person(phoneMember1).ID)
		}

		// All or nothing: a bad row at the end leaves no trace of the rows before it.
		bad := []struct {
			name string
			rows []store.ImportRow
		}{
			{name: "team role without team", rows: []store.ImportRow{
				{Line: 2, Province: "Tỉnh Mới", Commune: "Xã Mới", Team: "Thôn Mới", Name: "Người Một", Phone: "+84920000001", Role: store.RoleLeader},
				{Line: 3, Province: "Tỉnh Mới", Commune: "Xã Mới", Name: "Người Hai", Phone: "+84920000002", Role: store.RoleMember},
			}},
			{name: "duplicate phone", rows: []store.ImportRow{
				{Line: 2, Province: "Tỉnh Mới", Commune: "Xã Mới", Team: "Thôn Mới", Name: "Người Một", Phone: "+84920000001", Role: store.RoleLeader},
				{Line: 3, Province: "Tỉnh Mới", Commune: "Xã Mới", Team: "Thôn Mới", Name: "Người Hai", Phone: "+84920000001", Role: store.RoleMember},
			}},
			{name: "unknown role", rows: []store.ImportRow{
				{Line: 2, Province: "Tỉnh Mới", Commune: "Xã Mới", Team: "Thôn Mới", Name: "Người Một", Phone: "+84920000001", Role: store.RoleLeader},
				{Line: 3, Province: "Tỉnh Mới", Name: "Người Hai", Phone: "+84920000002", Role: "chu_tich"},
			}},
			{name: "commune police without commune", rows: []store.ImportRow{
				{Line: 2, Province: "Tỉnh Mới", Commune: "Xã Mới", Team: "Thôn Mới", Name: "Người Một", Phone: "+84920000001", Role: store.RoleLeader},
				{Line: 3, Province: "Tỉnh Mới", Name: "Người Hai", Phone: "+84920000002", Role: store.RoleCommunePolice},
			}},
		}
		for _, tt := range bad {
			t.Run(tt.name, func(t *testing.T) {
				if _, err := s.ApplyImport(ctx, tt.rows); !errors.Is(err, store.ErrInvalid) {
					t.Fatalf("err = %v, want ErrInvalid", err)
				}
				if _, err := s.PersonByPhone(ctx, "+84920000001"); !errors.Is(err, store.ErrNotFound) {
					t.Fatalf("first row survived a failed import: %v", err)
				}
				if _, err := s.UnitByCode(ctx, "tinh-moi"); !errors.Is(err, store.ErrNotFound) {
					t.Fatalf("unit survived a failed import: %v", err)
				}
			})
		}

		audit, err := s.AuditEntries(ctx, "import", "")
		must(t, "audit", err)
		if len(audit) != 4 { // first, loadOrg, re-import, changed
			t.Fatalf("%d import audit entries, want 4", len(audit))
		}
	})
}
