package store

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"
)

// demoSeededKey marks a database that already holds the demo organisation.
const demoSeededKey = "demo.seeded_at"

// DemoOrg is the demo organisation SeedDemo creates.
type DemoOrg struct {
	Province Unit
	Commune  Unit
	Teams    []Unit // thôn Đông, thôn Tây
	// People lists the commune police officer first, then each team's
	// leader, deputy and members.
	People []Person
}

// demoRows is the demo organisation as an import. The names are data for the
// demo, not interface text; the phones are fake (+849000000xx).
var demoRows = []ImportRow{
	{Name: "Đại úy Trần Văn Công", Phone: "+84900000001", Role: RoleCommunePolice},
	{Team: "Tổ ANTT thôn Đông", Name: "Nguyễn Văn Hùng", Phone: "+84900000002", Role: RoleLeader},
	{Team: "Tổ ANTT thôn Đông", Name: "Lê Thị Hoa", Phone: "+84900000003", Role: RoleDeputy},
	{Team: "Tổ ANTT thôn Đông", Name: "Phạm Văn Minh", Phone: "+84900000004", Role: RoleMember},
	{Team: "Tổ ANTT thôn Đông", Name: "Hoàng Thị Lan", Phone: "+84900000005", Role: RoleMember},
	{Team: "Tổ ANTT thôn Tây", Name: "Vũ Văn Hải", Phone: "+84900000006", Role: RoleLeader},
	{Team: "Tổ ANTT thôn Tây", Name: "Đặng Thị Thu", Phone: "+84900000007", Role: RoleDeputy},
	{Team: "Tổ ANTT thôn Tây", Name: "Bùi Văn Nam", Phone: "+84900000008", Role: RoleMember},
	{Team: "Tổ ANTT thôn Tây", Name: "Đỗ Thị Mai", Phone: "+84900000009", Role: RoleMember},
}

const (
	demoProvince = "Tỉnh Demo"
	demoCommune  = "Xã An Bình"
)

// SeedDemo creates a small demo organisation for the embedded default: one
// province, one commune with its police officer, two teams with a leader, a
// deputy and two members each. It is idempotent: once seeded (recorded in
// kv), later calls write nothing and return the same organisation.
func (s *Store) SeedDemo(ctx context.Context, now time.Time) (DemoOrg, error) {
	err := s.tx(ctx, func(tx *Store) error {
		if _, err := tx.GetKV(ctx, demoSeededKey); err == nil {
			return nil
		} else if !errors.Is(err, ErrNotFound) {
			return err
		}
		rows := make([]ImportRow, len(demoRows))
		for i, r := range demoRows {
			r.Line, r.Province, r.Commune = i+1, demoProvince, demoCommune
			rows[i] = r
		}
		if _, err := tx.applyImport(ctx, rows); err != nil {
			return fmt.Errorf("store: seed demo: %w", err)
		}
		return tx.SetKV(ctx, demoSeededKey, utc(now).Format(time.RFC3339))
	})
	if err != nil {
		return DemoOrg{}, err
	}
	return s.demoOrg(ctx)
}

// demoOrg loads the seeded demo organisation.
func (s *Store) demoOrg(ctx context.Context) (DemoOrg, error) {
	var org DemoOrg
	var err error
	if org.Province, err = s.UnitByCode(ctx, slug(demoProvince)); err != nil {
		return DemoOrg{}, fmt.Errorf("store: load demo: %w", err)
	}
	if org.Commune, err = s.UnitByCode(ctx, slug(demoProvince)+"/"+slug(demoCommune)); err != nil {
		return DemoOrg{}, fmt.Errorf("store: load demo: %w", err)
	}
	if org.Teams, err = s.Children(ctx, org.Commune.ID); err != nil {
		return DemoOrg{}, fmt.Errorf("store: load demo: %w", err)
	}
	// By id, the order they were seeded in: name order differs between
	// PostgreSQL collations and SQLite for "Đ".
	slices.SortFunc(org.Teams, func(a, b Unit) int { return cmp.Compare(a.ID, b.ID) })
	for _, r := range demoRows {
		p, err := s.PersonByPhone(ctx, r.Phone)
		if err != nil {
			return DemoOrg{}, fmt.Errorf("store: load demo person line %d: %w", r.Line, err)
		}
		org.People = append(org.People, p)
	}
	return org, nil
}
