package store

import (
	"cmp"
	"context"
	"fmt"
	"slices"
)

// FindUnits returns the live units whose code is query, or whose name
// matches query ignoring case, spacing and diacritics ("xa an binh" finds
// "Xã An Bình"), top levels first. Names repeat across the tree (every
// commune has a "Thôn 1"), so there may be several; the caller asks which.
func (s *Store) FindUnits(ctx context.Context, query string) ([]Unit, error) {
	key := slug(query)
	if key == "" {
		return nil, fmt.Errorf("store: find units: empty name: %w", ErrInvalid)
	}
	var live []Unit
	if err := s.q(ctx).Where("merged_into_id IS NULL").Find(&live).Error; err != nil {
		return nil, fmt.Errorf("store: find units %q: %w", query, err)
	}
	var out []Unit
	for _, u := range live {
		if u.Code == query || slug(u.Name) == key {
			out = append(out, u)
		}
	}
	slices.SortFunc(out, func(a, b Unit) int {
		if c := cmp.Compare(levelRank[a.Level], levelRank[b.Level]); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
	return out, nil
}
