package store_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/anttbot/anttbot/store"
)

func TestEnsureUnitPath(t *testing.T) {
	forEachDriver(t, func(t *testing.T, s *store.Store) {
		ctx := ctxT(t)
		team, err := s.EnsureUnitPath(ctx, "Tỉnh Hải Dương", "", "Xã Đoàn Tùng", "Thôn Bắc")
		must(t, "create path", err)
		if team.Level != store.LevelTeam || team.Code != "tinh-hai-duong/xa-doan-tung/thon-bac" {
			t.Fatalf("team = %+v", team)
		}
		commune, err := s.CommuneOf(ctx, team.ID)
		must(t, "commune", err)
		tests := []struct {
			name                    string
			prov, dist, commune, tm string
			wantID                  int64
			wantLevel               store.Level
			wantErr                 error
		}{
			{name: "same names", prov: "Tỉnh Hải Dương", commune: "Xã Đoàn Tùng", tm: "Thôn Bắc", wantID: team.ID},
			{name: "case, spaces and missing diacritics", prov: " tinh hai duong ", commune: "XÃ ĐOÀN  TÙNG", tm: "thon bac", wantID: team.ID},
			// "Thôn Bắc" in decomposed form (NFD), as some keyboards send it.
			{name: "decomposed unicode", prov: "Tỉnh Hải Dương", commune: "Xã Đoàn Tùng", tm: "Tho\u0302n Ba\u0306\u0301c", wantID: team.ID},
			{name: "commune only", prov: "Tỉnh Hải Dương", commune: "Xã Đoàn Tùng", wantID: commune.ID},
			{name: "with district is another commune", prov: "Tỉnh Hải Dương", dist: "Huyện Thanh Miện", commune: "Xã Đoàn Tùng", wantLevel: store.LevelCommune},
			{name: "no province", commune: "Xã Đoàn Tùng", wantErr: store.ErrInvalid},
			{name: "team without commune", prov: "Tỉnh Hải Dương", tm: "Thôn Bắc", wantErr: store.ErrInvalid},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				u, err := s.EnsureUnitPath(ctx, tt.prov, tt.dist, tt.commune, tt.tm)
				if tt.wantErr != nil {
					if !errors.Is(err, tt.wantErr) {
						t.Fatalf("err = %v, want %v", err, tt.wantErr)
					}
					return
				}
				must(t, "ensure", err)
				if tt.wantID != 0 && u.ID != tt.wantID {
					t.Fatalf("got unit %d %q, want %d", u.ID, u.Code, tt.wantID)
				}
				if tt.wantLevel != "" && (u.Level != tt.wantLevel || u.ID == commune.ID) {
					t.Fatalf("got %+v, want a new %s", u, tt.wantLevel)
				}
			})
		}
		anc, err := s.Ancestors(ctx, team.ID)
		must(t, "ancestors", err)
		if len(anc) != 2 || anc[0].Level != store.LevelCommune || anc[1].Level != store.LevelProvince {
			t.Fatalf("ancestors of a district-less team = %+v", anc)
		}
	})
}

func TestUnitQueries(t *testing.T) {
	forEachDriver(t, func(t *testing.T, s *store.Store) {
		ctx := ctxT(t)
		f := loadOrg(t, s)

		u, err := s.UnitByID(ctx, f.unit(codeThon1))
		must(t, "by id", err)
		if u.Name != "Thôn 1" || u.Level != store.LevelTeam || u.Code != codeThon1 {
			t.Fatalf("UnitByID = %+v", u)
		}
		if _, err := s.UnitByID(ctx, 99999); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("missing unit: %v", err)
		}
		if _, err := s.UnitByCode(ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("missing code: %v", err)
		}

		kids, err := s.Children(ctx, f.unit(codeGiaTan))
		must(t, "children", err)
		if got, want := ids(kids), []int64{f.unit(codeThon1), f.unit(codeThon2)}; !slices.Equal(got, want) {
			t.Fatalf("children = %v, want %v", got, want)
		}
		top, err := s.Children(ctx, 0)
		must(t, "top level", err)
		if got := ids(top); !slices.Equal(got, []int64{f.unit(codeProvince)}) {
			t.Fatalf("top level = %v", got)
		}

		anc, err := s.Ancestors(ctx, f.unit(codeThon1))
		must(t, "ancestors", err)
		if got, want := ids(anc), []int64{f.unit(codeGiaTan), f.unit(codeDistrict), f.unit(codeProvince)}; !slices.Equal(got, want) {
			t.Fatalf("ancestors = %v, want %v (nearest first)", got, want)
		}

		communeTests := []struct {
			name    string
			unit    int64
			want    int64
			wantErr error
		}{
			{name: "team under district", unit: f.unit(codeThon1), want: f.unit(codeGiaTan)},
			{name: "team without district", unit: f.unit(codeKhuDanCu3), want: f.unit(codeTranPhu)},
			{name: "commune itself", unit: f.unit(codeGiaTan), want: f.unit(codeGiaTan)},
			{name: "district has none", unit: f.unit(codeDistrict), wantErr: store.ErrNotFound},
			{name: "missing unit", unit: 99999, wantErr: store.ErrNotFound},
		}
		for _, tt := range communeTests {
			t.Run("CommuneOf "+tt.name, func(t *testing.T) {
				c, err := s.CommuneOf(ctx, tt.unit)
				if tt.wantErr != nil {
					if !errors.Is(err, tt.wantErr) {
						t.Fatalf("err = %v, want %v", err, tt.wantErr)
					}
					return
				}
				must(t, "commune of", err)
				if c.ID != tt.want {
					t.Fatalf("CommuneOf = %d, want %d", c.ID, tt.want)
				}
			})
		}
	})
}

func TestUnitChanges(t *testing.T) {
	forEachDriver(t, func(t *testing.T, s *store.Store) {
		ctx := ctxT(t)
		f := loadOrg(t, s)
		at := time.Date(2025, 7, 1, 0, 0, 0, 0, time.UTC)

		// 1/7/2025: districts are abolished; Xã Gia Tân moves under the province.
		must(t, "move", s.MoveUnit(ctx, f.unit(codeGiaTan), f.unit(codeProvince), at))
		anc, err := s.Ancestors(ctx, f.unit(codeThon1))
		must(t, "ancestors after move", err)
		if got, want := ids(anc), []int64{f.unit(codeGiaTan), f.unit(codeProvince)}; !slices.Equal(got, want) {
			t.Fatalf("ancestors after move = %v, want %v", got, want)
		}

		// Thôn 2 is renamed; its code stays, and the old name no longer matches.
		must(t, "rename", s.RenameUnit(ctx, f.unit(codeThon2), "Thôn Đồng Tâm", at))
		u, err := s.UnitByCode(ctx, codeThon2)
		must(t, "by code after rename", err)
		if u.Name != "Thôn Đồng Tâm" {
			t.Fatalf("renamed unit name = %q", u.Name)
		}
		again, err := s.EnsureUnitPath(ctx, "Tỉnh Hải Dương", "", "Xã Gia Tân", "Thôn Đồng Tâm")
		must(t, "ensure renamed", err)
		if again.ID != u.ID {
			t.Fatalf("new name resolves to %d, want %d", again.ID, u.ID)
		}
		fresh, err := s.EnsureUnitPath(ctx, "Tỉnh Hải Dương", "", "Xã Gia Tân", "Thôn 2")
		must(t, "ensure old name", err)
		if fresh.ID == u.ID || fresh.Code != codeThon2+"-2" {
			t.Fatalf("old name after rename gave %+v, want a new unit with code %s-2", fresh, codeThon2)
		}

		// Phường Trần Phú merges into Xã Gia Tân: its team and police follow.
		must(t, "merge", s.MergeUnit(ctx, f.unit(codeTranPhu), f.unit(codeGiaTan), at))
		merged, err := s.UnitByID(ctx, f.unit(codeTranPhu))
		must(t, "merged unit", err)
		if merged.MergedIntoID == nil || *merged.MergedIntoID != f.unit(codeGiaTan) || merged.MergedAt == nil || !merged.MergedAt.Equal(at) {
			t.Fatalf("merged unit = %+v", merged)
		}
		kids, err := s.Children(ctx, f.unit(codeGiaTan))
		must(t, "children after merge", err)
		if !slices.Contains(ids(kids), f.unit(codeKhuDanCu3)) {
			t.Fatalf("merged commune's team not moved: children = %v", ids(kids))
		}
		p, err := s.PersonByPhone(ctx, phonePoliceTP)
		must(t, "police after merge", err)
		if p.UnitID != f.unit(codeGiaTan) {
			t.Fatalf("police of merged commune attached to %d, want %d", p.UnitID, f.unit(codeGiaTan))
		}
		if _, err := s.UnitByCode(ctx, codeTranPhu); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("merged unit still live by code: %v", err)
		}
		// An old spreadsheet naming the merged commune lands in its successor.
		old, err := s.EnsureUnitPath(ctx, "Tỉnh Hải Dương", "", "Phường Trần Phú", "")
		must(t, "ensure merged name", err)
		if old.ID != f.unit(codeGiaTan) {
			t.Fatalf("merged name resolves to %d, want successor %d", old.ID, f.unit(codeGiaTan))
		}

		hist, err := s.UnitHistoryOf(ctx, f.unit(codeTranPhu))
		must(t, "history", err)
		if len(hist) != 1 || hist[0].Change != store.ChangeMerge || *hist[0].MergedIntoID != f.unit(codeGiaTan) || hist[0].OldName != "Phường Trần Phú" {
			t.Fatalf("merge history = %+v", hist)
		}
		hist, err = s.UnitHistoryOf(ctx, f.unit(codeThon2))
		must(t, "history", err)
		if len(hist) != 1 || hist[0].Change != store.ChangeRename || hist[0].OldName != "Thôn 2" || hist[0].NewName != "Thôn Đồng Tâm" {
			t.Fatalf("rename history = %+v", hist)
		}
		hist, err = s.UnitHistoryOf(ctx, f.unit(codeKhuDanCu3))
		must(t, "history", err)
		if len(hist) != 1 || hist[0].Change != store.ChangeMove || *hist[0].OldParentID != f.unit(codeTranPhu) || *hist[0].NewParentID != f.unit(codeGiaTan) {
			t.Fatalf("move history = %+v", hist)
		}

		bad := []struct {
			name string
			fn   func() error
		}{
			{"merge into itself", func() error { return s.MergeUnit(ctx, f.unit(codeThon1), f.unit(codeThon1), at) }},
			{"merge a merged unit", func() error { return s.MergeUnit(ctx, f.unit(codeTranPhu), f.unit(codeGiaTan), at) }},
			{"merge across levels", func() error { return s.MergeUnit(ctx, f.unit(codeThon1), f.unit(codeGiaTan), at) }},
			{"move under a team", func() error { return s.MoveUnit(ctx, f.unit(codeThon1), f.unit(codeKhuDanCu3), at) }},
			{"move a commune under itself", func() error { return s.MoveUnit(ctx, f.unit(codeGiaTan), f.unit(codeGiaTan), at) }},
			{"move under a merged unit", func() error { return s.MoveUnit(ctx, f.unit(codeKhuDanCu3), f.unit(codeTranPhu), at) }},
			{"rename to empty", func() error { return s.RenameUnit(ctx, f.unit(codeThon1), "  ", at) }},
		}
		for _, tt := range bad {
			t.Run(tt.name, func(t *testing.T) {
				if err := tt.fn(); !errors.Is(err, store.ErrInvalid) {
					t.Fatalf("err = %v, want ErrInvalid", err)
				}
			})
		}
		if err := s.RenameUnit(ctx, 99999, "x", at); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("rename missing unit: %v", err)
		}
	})
}

func TestUnitSubtreeIDs(t *testing.T) {
	forEachDriver(t, func(t *testing.T, s *store.Store) {
		ctx := ctxT(t)
		f := loadOrg(t, s)
		at := time.Date(2025, 7, 1, 0, 0, 0, 0, time.UTC)
		// Thôn 2 and a new Thôn 3 merge into Thôn 1.
		must(t, "merge thon 2", s.MergeUnit(ctx, f.unit(codeThon2), f.unit(codeThon1), at))
		thon3, err := s.EnsureUnitPath(ctx, "Tỉnh Hải Dương", "Huyện Gia Lộc", "Xã Gia Tân", "Thôn 3")
		must(t, "thon 3", err)
		must(t, "merge thon 3", s.MergeUnit(ctx, thon3.ID, f.unit(codeThon1), at))

		tests := []struct {
			name string
			unit int64
			want []int64
		}{
			{name: "team with merged teams", unit: f.unit(codeThon1), want: []int64{f.unit(codeThon1), f.unit(codeThon2), thon3.ID}},
			{name: "merged team alone", unit: f.unit(codeThon2), want: []int64{f.unit(codeThon2)}},
			{name: "district-less commune", unit: f.unit(codeTranPhu), want: []int64{f.unit(codeTranPhu), f.unit(codeKhuDanCu3)}},
			{name: "commune under district", unit: f.unit(codeGiaTan), want: []int64{f.unit(codeGiaTan), f.unit(codeThon1), f.unit(codeThon2), thon3.ID}},
			{name: "province", unit: f.unit(codeProvince), want: []int64{
				f.unit(codeProvince), f.unit(codeDistrict), f.unit(codeGiaTan), f.unit(codeThon1), f.unit(codeThon2),
				f.unit(codeTranPhu), f.unit(codeKhuDanCu3), thon3.ID}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				got, err := s.UnitSubtreeIDs(ctx, tt.unit)
				must(t, "subtree", err)
				want := slices.Clone(tt.want)
				slices.Sort(want)
				if !slices.Equal(got, want) {
					t.Fatalf("subtree = %v, want %v", got, want)
				}
			})
		}

		// A commune merged into another rolls up with its teams.
		must(t, "merge communes", s.MergeUnit(ctx, f.unit(codeTranPhu), f.unit(codeGiaTan), at))
		got, err := s.UnitSubtreeIDs(ctx, f.unit(codeGiaTan))
		must(t, "subtree after commune merge", err)
		for _, id := range []int64{f.unit(codeTranPhu), f.unit(codeKhuDanCu3)} {
			if !slices.Contains(got, id) {
				t.Fatalf("subtree %v misses %d", got, id)
			}
		}
		if _, err := s.UnitSubtreeIDs(ctx, 99999); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("subtree of missing unit: %v", err)
		}
	})
}
