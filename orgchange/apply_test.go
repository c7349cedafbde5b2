package orgchange_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/anttbot/anttbot/campaign"
	"github.com/anttbot/anttbot/orgchange"
	"github.com/anttbot/anttbot/orgimport"
	"github.com/anttbot/anttbot/store"
)

// dump is every unit and person of the store, to tell whether anything changed.
func dump(t *testing.T, s *store.Store) string {
	t.Helper()
	ctx := context.Background()
	tops, err := s.Children(ctx, 0)
	must(t, "provinces", err)
	var b strings.Builder
	for _, top := range tops {
		us, err := s.ReportUnits(ctx, top.ID)
		must(t, "units", err)
		for _, u := range us {
			fmt.Fprintf(&b, "unit %d %s %q parent=%v merged=%v\n", u.ID, u.Level, u.Name, ptr(u.ParentID), ptr(u.MergedIntoID))
		}
		ps, err := s.PeopleInUnit(ctx, top.ID)
		must(t, "people", err)
		for _, p := range ps {
			fmt.Fprintf(&b, "person %d unit %d\n", p.ID, p.UnitID)
		}
	}
	return b.String()
}

func ptr(p *int64) any {
	if p == nil {
		return nil
	}
	return *p
}

func importSample(t *testing.T, s *store.Store) {
	t.Helper()
	_, err := orgimport.ImportFile(context.Background(), s, "../examples/to-chuc-mau.csv")
	must(t, "import the sample organisation", err)
}

func applyFile(t *testing.T, s *store.Store, path string, dry bool) (orgchange.Plan, error) {
	t.Helper()
	f, err := os.Open(path)
	must(t, "open", err)
	defer f.Close()
	return orgchange.Apply(context.Background(), s, orgchange.Actor{Name: "test"}, f, path,
		orgchange.ApplyOptions{DryRun: dry, TipKinds: []string{campaign.KindTip}, OtherKinds: []string{campaign.KindGoodDeed}, Location: ict})
}

func TestThe2025ExampleAppliesToTheSampleOrganisation(t *testing.T) {
	forEachDriver(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		importSample(t, s)
		before := dump(t, s)
		plan, err := applyFile(t, s, "../examples/sap-nhap-2025.csv", true)
		must(t, "dry run", err)
		if after := dump(t, s); after != before {
			t.Fatalf("the dry run changed the organisation:\nbefore\n%s\nafter\n%s", before, after)
		}
		if len(plan.Steps) != 2 || plan.Steps[0].Action != orgchange.ActMove || plan.Steps[1].Action != orgchange.ActMerge ||
			plan.Steps[0].People == 0 || plan.Steps[1].People == 0 || plan.Steps[1].Line != 3 {
			t.Fatalf("dry-run plan = %+v", plan)
		}
		var out, errb bytes.Buffer
		if code := orgchange.CLI(ctx, s, campaign.Default(), ict, []string{"apply", "../examples/sap-nhap-2025.csv", "--dry-run"}, &out, &errb); code != 0 ||
			!strings.Contains(out.String(), "line 3: Tỉnh Hải Dương / Huyện Gia Lộc / Xã Yết Kiêu → merge into Thành phố Hải Phòng / Phường Thạch Khôi, effective 2025-07-01") ||
			!strings.Contains(out.String(), "nothing changed") {
			t.Errorf("org apply --dry-run: %d\n%s%s", code, out.String(), errb.String())
		}
		if after := dump(t, s); after != before {
			t.Fatal("org apply --dry-run changed the organisation")
		}
		yk, err := s.FindUnits(ctx, "Xã Yết Kiêu")
		must(t, "find", err)
		ykPolice, err := s.PoliceOf(ctx, yk[0].ID, store.RoleCommunePolice)
		must(t, "police", err)

		if _, err := applyFile(t, s, "../examples/sap-nhap-2025.csv", false); err != nil {
			t.Fatal(err)
		}
		hp, err := s.FindUnits(ctx, "Thành phố Hải Phòng")
		must(t, "find", err)
		tk, err := s.FindUnits(ctx, "Phường Thạch Khôi")
		must(t, "find", err)
		if len(hp) != 1 || hp[0].Level != store.LevelProvince || len(tk) != 1 || *tk[0].ParentID != hp[0].ID {
			t.Fatalf("after the restructuring: Hải Phòng %+v, Thạch Khôi %+v", hp, tk)
		}
		if got, _ := s.FindUnits(ctx, "Xã Yết Kiêu"); len(got) != 0 {
			t.Errorf("Xã Yết Kiêu is still live: %+v", got)
		}
		teams, err := s.Children(ctx, tk[0].ID)
		must(t, "teams", err)
		if len(teams) != 5 {
			t.Errorf("the new commune has %d teams, want the 3 of Thạch Khôi and the 2 of Yết Kiêu", len(teams))
		}
		police, err := s.PoliceOf(ctx, tk[0].ID, store.RoleCommunePolice)
		must(t, "police", err)
		for _, p := range ykPolice {
			found := false
			for _, q := range police {
				found = found || q.ID == p.ID
			}
			if !found {
				t.Errorf("commune police %s of Yết Kiêu is not police of the new commune", p.Name)
			}
		}
		// Applying it again: the old units are gone, every row says so.
		_, err = applyFile(t, s, "../examples/sap-nhap-2025.csv", false)
		var rows *orgimport.RowErrors
		if !errors.As(err, &rows) || len(rows.Rows) != 2 {
			t.Errorf("applying twice: %v", err)
		}
	})
}

func TestARestructuringWithBadRowsChangesNothingAndNamesEveryRow(t *testing.T) {
	forEachDriver(t, func(t *testing.T, s *store.Store) {
		importSample(t, s)
		before := dump(t, s)
		path := t.TempDir() + "/bad.csv"
		must(t, "write", os.WriteFile(path, []byte("Đơn vị cũ;Đơn vị mới;Ngày hiệu lực\n"+
			"Tỉnh Hải Dương / Phường Thạch Khôi;Thành phố Hải Phòng / Phường Thạch Khôi;2025-07-01\n"+
			"Tỉnh Hải Dương / Xã Không Có;Thành phố Hải Phòng / Phường Thạch Khôi;2025-07-01\n"+
			"Tỉnh Hải Dương / Huyện Gia Lộc / Xã Yết Kiêu;Thành phố Hải Phòng / Phường Thạch Khôi;31/02/2025\n"+
			"Tỉnh Hải Dương / Huyện Gia Lộc / Xã Yết Kiêu;Thành phố Hải Phòng;2025-07-01\n"), 0o644))
		for _, dry := range []bool{true, false} {
			_, err := applyFile(t, s, path, dry)
			var rows *orgimport.RowErrors
			if !errors.As(err, &rows) {
				t.Fatalf("dry=%v: %v, want the bad rows", dry, err)
			}
			var lines []int
			for _, r := range rows.Rows {
				lines = append(lines, r.Line)
			}
			if fmt.Sprint(lines) != "[3 4 5]" {
				t.Errorf("dry=%v: bad rows %v (%v), want lines 3, 4, 5", dry, lines, rows)
			}
			if after := dump(t, s); after != before {
				t.Errorf("dry=%v: a file with bad rows changed the organisation", dry)
			}
		}
	})
}
