package store

import (
	"context"
	"fmt"
	"strconv"
	"time"
)

// levelRank orders levels from the top of the tree; a parent always has a
// smaller rank than its children (a commune may sit directly under a province).
var levelRank = map[Level]int{LevelProvince: 0, LevelDistrict: 1, LevelCommune: 2, LevelTeam: 3}

// subtreeCTE is a recursive CTE named subtree(id) holding a unit (its one
// "?" parameter), every unit below it, and every unit merged into any of
// them, recursively: the set a query "over a unit" runs on. UNION (not
// UNION ALL) makes it stop on any cycle bad data might hold.
const subtreeCTE = `subtree(id) AS (
	SELECT id FROM units WHERE id = ?
	UNION
	SELECT u.id FROM units u JOIN subtree t ON u.parent_id = t.id OR u.merged_into_id = t.id
)`

// successorCTE is a recursive CTE named successor(id, live_id) mapping every
// unit to the live unit its history rolls up into: itself when live, else
// the end of its merged_into chain. Grouped counts key on live_id.
const successorCTE = `successor(id, live_id) AS (
	SELECT id, id FROM units WHERE merged_into_id IS NULL
	UNION
	SELECT u.id, s.live_id FROM units u JOIN successor s ON u.merged_into_id = s.id
)`

// UnitByID returns a unit, live or merged.
func (s *Store) UnitByID(ctx context.Context, id int64) (Unit, error) {
	var u Unit
	if err := first(s.q(ctx).Where("id = ?", id), &u); err != nil {
		return Unit{}, fmt.Errorf("store: unit %d: %w", id, err)
	}
	return u, nil
}

// UnitByCode returns the live unit with that code.
func (s *Store) UnitByCode(ctx context.Context, code string) (Unit, error) {
	var u Unit
	if err := first(s.q(ctx).Where("code = ? AND merged_into_id IS NULL", code), &u); err != nil {
		return Unit{}, fmt.Errorf("store: unit %q: %w", code, err)
	}
	return u, nil
}

// Children returns the live units directly under parentID, by name. A
// parentID of 0 lists the top-level units (provinces).
func (s *Store) Children(ctx context.Context, parentID int64) ([]Unit, error) {
	var us []Unit
	q := s.q(ctx).Where("merged_into_id IS NULL")
	if parentID == 0 {
		q = q.Where("parent_id IS NULL")
	} else {
		q = q.Where("parent_id = ?", parentID)
	}
	if err := q.Order("name, id").Find(&us).Error; err != nil {
		return nil, fmt.Errorf("store: children of unit %d: %w", parentID, err)
	}
	return us, nil
}

// UnitSubtreeIDs returns unitID, every unit below it and every unit merged
// into any of those (recursively), sorted: the units whose reports count as
// this unit's.
func (s *Store) UnitSubtreeIDs(ctx context.Context, unitID int64) ([]int64, error) {
	var ids []int64
	err := s.q(ctx).Raw("WITH RECURSIVE "+subtreeCTE+" SELECT id FROM subtree ORDER BY id", unitID).Scan(&ids).Error
	if err != nil {
		return nil, fmt.Errorf("store: subtree of unit %d: %w", unitID, err)
	}
	if len(ids) == 0 {
		return nil, fmt.Errorf("store: subtree of unit %d: %w", unitID, ErrNotFound)
	}
	return ids, nil
}

// Ancestors returns the units above unitID, nearest first (team → commune →
// district → province).
func (s *Store) Ancestors(ctx context.Context, unitID int64) ([]Unit, error) {
	chain, err := s.unitChain(ctx, unitID)
	if err != nil {
		return nil, fmt.Errorf("store: ancestors: %w", err)
	}
	if len(chain) == 1 {
		return nil, nil
	}
	return chain[1:], nil
}

// unitChain returns the unit and its ancestors, nearest first, in one query;
// ErrNotFound when the unit does not exist.
func (s *Store) unitChain(ctx context.Context, unitID int64) ([]Unit, error) {
	var us []Unit
	// depth bounds the walk should bad data ever hold a cycle.
	err := s.q(ctx).Raw(`WITH RECURSIVE anc(id, parent_id, depth) AS (
		SELECT id, parent_id, 0 FROM units WHERE id = ?
		UNION ALL
		SELECT u.id, u.parent_id, a.depth + 1 FROM units u JOIN anc a ON u.id = a.parent_id WHERE a.depth < 16
	)
	SELECT units.* FROM units JOIN anc ON units.id = anc.id ORDER BY anc.depth`, unitID).Scan(&us).Error
	if err != nil {
		return nil, fmt.Errorf("store: ancestors of unit %d: %w", unitID, err)
	}
	if len(us) == 0 {
		return nil, fmt.Errorf("store: unit %d: %w", unitID, ErrNotFound)
	}
	return us, nil
}

// CommuneOf returns the commune a unit belongs to: the unit itself when it is
// a commune, else its nearest commune ancestor; ErrNotFound above communes.
func (s *Store) CommuneOf(ctx context.Context, unitID int64) (Unit, error) {
	return s.ancestorAt(ctx, unitID, LevelCommune)
}

// ancestorAt returns unitID itself or its nearest ancestor at one of levels,
// trying the levels in order.
func (s *Store) ancestorAt(ctx context.Context, unitID int64, levels ...Level) (Unit, error) {
	chain, err := s.unitChain(ctx, unitID)
	if err != nil {
		return Unit{}, err
	}
	for _, l := range levels {
		for _, c := range chain {
			if c.Level == l {
				return c, nil
			}
		}
	}
	return Unit{}, fmt.Errorf("store: unit %d has no %v above it: %w", unitID, levels, ErrNotFound)
}

// EnsureUnitPath finds or creates the units along province → district
// (optional) → commune → team and returns the deepest one named. Trailing
// names may be empty (police attached to a commune or province). Names match
// live children by their slug, so case, spacing and diacritics typed
// differently still match; a name that matches only a merged unit resolves to
// the unit it was merged into, so an old spreadsheet lands in the new unit.
func (s *Store) EnsureUnitPath(ctx context.Context, province, district, commune, team string) (Unit, error) {
	var u Unit
	err := s.tx(ctx, func(tx *Store) error {
		var err error
		u, _, err = tx.ensureUnitPath(ctx, province, district, commune, team)
		return err
	})
	return u, err
}

// ensureUnitPath is EnsureUnitPath inside a transaction; it also reports how
// many units it created.
func (s *Store) ensureUnitPath(ctx context.Context, province, district, commune, team string) (Unit, int, error) {
	province, district, commune, team = nfc(province), nfc(district), nfc(commune), nfc(team)
	if province == "" {
		return Unit{}, 0, fmt.Errorf("store: ensure unit path: province is required: %w", ErrInvalid)
	}
	if team != "" && commune == "" {
		return Unit{}, 0, fmt.Errorf("store: ensure unit path: team %q without a commune: %w", team, ErrInvalid)
	}
	path := []struct {
		level Level
		name  string
	}{{LevelProvince, province}, {LevelDistrict, district}, {LevelCommune, commune}, {LevelTeam, team}}
	var (
		cur     Unit
		created int
	)
	for i, step := range path {
		if step.name == "" {
			if step.level == LevelDistrict {
				continue
			}
			break
		}
		var parent *Unit
		if i > 0 {
			parent = &cur
		}
		next, made, err := s.ensureChild(ctx, parent, step.level, step.name)
		if err != nil {
			return Unit{}, created, err
		}
		if made {
			created++
		}
		cur = next
	}
	return cur, created, nil
}

// ensureChild finds the child of parent (nil: top level) at level whose name
// has the slug of name, or creates it.
func (s *Store) ensureChild(ctx context.Context, parent *Unit, level Level, name string) (Unit, bool, error) {
	key := slug(name)
	if key == "" {
		key = "unit"
	}
	q := s.q(ctx).Where("level = ?", level)
	if parent == nil {
		q = q.Where("parent_id IS NULL")
	} else {
		q = q.Where("parent_id = ?", parent.ID)
	}
	var siblings []Unit
	if err := q.Order("id").Find(&siblings).Error; err != nil {
		return Unit{}, false, fmt.Errorf("store: find unit %q: %w", name, err)
	}
	var merged *Unit
	for i, u := range siblings {
		if slug(u.Name) != key {
			continue
		}
		if u.MergedIntoID == nil {
			return u, false, nil
		}
		if merged == nil {
			merged = &siblings[i]
		}
	}
	if merged != nil {
		live, err := s.liveSuccessor(ctx, *merged)
		return live, false, err
	}
	code := key
	if parent != nil {
		code = parent.Code + "/" + key
	}
	code, err := s.freeCode(ctx, code)
	if err != nil {
		return Unit{}, false, err
	}
	u := Unit{Level: level, Name: name, Code: code}
	if parent != nil {
		// A copy: parent points at the caller's loop variable, which
		// becomes this unit next.
		pid := parent.ID
		u.ParentID = &pid
	}
	if err := s.q(ctx).Create(&u).Error; err != nil {
		return Unit{}, false, fmt.Errorf("store: create unit %q: %w", code, err)
	}
	return u, true, nil
}

// freeCode returns code, or code-2, code-3, ... when a live unit holds it
// (a renamed unit keeps its old code).
func (s *Store) freeCode(ctx context.Context, code string) (string, error) {
	for n := 1; ; n++ {
		c := code
		if n > 1 {
			c = code + "-" + strconv.Itoa(n)
		}
		var count int64
		if err := s.q(ctx).Model(&Unit{}).Where("code = ? AND merged_into_id IS NULL", c).Count(&count).Error; err != nil {
			return "", fmt.Errorf("store: check unit code %q: %w", c, err)
		}
		if count == 0 {
			return c, nil
		}
	}
}

// liveSuccessor follows merged_into from u to the live unit at its end.
func (s *Store) liveSuccessor(ctx context.Context, u Unit) (Unit, error) {
	for range 32 {
		if u.MergedIntoID == nil {
			return u, nil
		}
		next, err := s.UnitByID(ctx, *u.MergedIntoID)
		if err != nil {
			return Unit{}, fmt.Errorf("store: successor of unit %d: %w", u.ID, err)
		}
		u = next
	}
	return Unit{}, fmt.Errorf("store: successor of unit %d: merge chain too long", u.ID)
}

// RenameUnit gives a unit a new name. Its code stays: codes are stable keys.
func (s *Store) RenameUnit(ctx context.Context, unitID int64, name string, at time.Time) error {
	name = nfc(name)
	if name == "" {
		return fmt.Errorf("store: rename unit %d: empty name: %w", unitID, ErrInvalid)
	}
	return s.tx(ctx, func(tx *Store) error {
		u, err := tx.UnitByID(ctx, unitID)
		if err != nil {
			return fmt.Errorf("store: rename: %w", err)
		}
		if u.Name == name {
			return nil
		}
		if err := tx.q(ctx).Model(&Unit{}).Where("id = ?", unitID).
			Updates(map[string]any{"name": name, "updated_at": tx.clock()}).Error; err != nil {
			return fmt.Errorf("store: rename unit %d: %w", unitID, err)
		}
		return tx.addHistory(ctx, UnitHistory{UnitID: unitID, Change: ChangeRename, OldName: u.Name, NewName: name, At: at})
	})
}

// MoveUnit puts a unit under a new parent, one level or more above it
// (a commune moves from a district straight under the province). Reports
// made in the unit move with it.
func (s *Store) MoveUnit(ctx context.Context, unitID, newParentID int64, at time.Time) error {
	return s.tx(ctx, func(tx *Store) error {
		return tx.moveUnit(ctx, unitID, newParentID, at)
	})
}

func (s *Store) moveUnit(ctx context.Context, unitID, newParentID int64, at time.Time) error {
	u, err := s.UnitByID(ctx, unitID)
	if err != nil {
		return fmt.Errorf("store: move: %w", err)
	}
	p, err := s.UnitByID(ctx, newParentID)
	if err != nil {
		return fmt.Errorf("store: move unit %d: new parent: %w", unitID, err)
	}
	switch {
	case p.MergedIntoID != nil:
		return fmt.Errorf("store: move unit %d under merged unit %d: %w", unitID, newParentID, ErrInvalid)
	case levelRank[p.Level] >= levelRank[u.Level]:
		return fmt.Errorf("store: move %s %d under %s %d: %w", u.Level, unitID, p.Level, newParentID, ErrInvalid)
	}
	if u.ParentID != nil && *u.ParentID == newParentID {
		return nil
	}
	if err := s.q(ctx).Model(&Unit{}).Where("id = ?", unitID).
		Updates(map[string]any{"parent_id": newParentID, "updated_at": s.clock()}).Error; err != nil {
		return fmt.Errorf("store: move unit %d: %w", unitID, err)
	}
	return s.addHistory(ctx, UnitHistory{UnitID: unitID, Change: ChangeMove, OldParentID: u.ParentID, NewParentID: &newParentID, At: at})
}

// MergeUnit merges unit fromID into intoID (same level, both live). The
// merged unit keeps its row and its reports; its history rolls up into
// intoID in every query over intoID. Its live children move under intoID and
// the people attached to it and its unused invites move to intoID, so new
// reports land in the successor and nobody has to onboard again.
func (s *Store) MergeUnit(ctx context.Context, fromID, intoID int64, at time.Time) error {
	at = utc(at)
	return s.tx(ctx, func(tx *Store) error {
		from, err := tx.UnitByID(ctx, fromID)
		if err != nil {
			return fmt.Errorf("store: merge: %w", err)
		}
		into, err := tx.UnitByID(ctx, intoID)
		if err != nil {
			return fmt.Errorf("store: merge unit %d: into: %w", fromID, err)
		}
		switch {
		case fromID == intoID, from.MergedIntoID != nil, into.MergedIntoID != nil:
			return fmt.Errorf("store: merge unit %d into %d: both must be live and distinct: %w", fromID, intoID, ErrInvalid)
		case from.Level != into.Level:
			return fmt.Errorf("store: merge %s %d into %s %d: %w", from.Level, fromID, into.Level, intoID, ErrInvalid)
		}
		children, err := tx.Children(ctx, fromID)
		if err != nil {
			return err
		}
		for _, c := range children {
			if err := tx.moveUnit(ctx, c.ID, intoID, at); err != nil {
				return err
			}
		}
		if err := tx.q(ctx).Model(&Person{}).Where("unit_id = ?", fromID).
			Updates(map[string]any{"unit_id": intoID, "updated_at": tx.clock()}).Error; err != nil {
			return fmt.Errorf("store: merge unit %d: move people: %w", fromID, err)
		}
		if err := tx.q(ctx).Model(&Invite{}).Where("unit_id = ? AND used_at IS NULL", fromID).
			Update("unit_id", intoID).Error; err != nil {
			return fmt.Errorf("store: merge unit %d: move invites: %w", fromID, err)
		}
		if err := tx.q(ctx).Model(&Unit{}).Where("id = ?", fromID).
			Updates(map[string]any{"merged_into_id": intoID, "merged_at": at, "updated_at": tx.clock()}).Error; err != nil {
			return fmt.Errorf("store: merge unit %d into %d: %w", fromID, intoID, err)
		}
		return tx.addHistory(ctx, UnitHistory{UnitID: fromID, Change: ChangeMerge, OldName: from.Name, OldParentID: from.ParentID, MergedIntoID: &intoID, At: at})
	})
}

// UnitHistoryOf returns a unit's recorded changes, oldest first.
func (s *Store) UnitHistoryOf(ctx context.Context, unitID int64) ([]UnitHistory, error) {
	var hs []UnitHistory
	if err := s.q(ctx).Where("unit_id = ?", unitID).Order("at, id").Find(&hs).Error; err != nil {
		return nil, fmt.Errorf("store: history of unit %d: %w", unitID, err)
	}
	return hs, nil
}

func (s *Store) addHistory(ctx context.Context, h UnitHistory) error {
	h.At = utc(h.At)
	if err := s.q(ctx).Create(&h).Error; err != nil {
		return fmt.Errorf("store: record %s of unit %d: %w", h.Change, h.UnitID, err)
	}
	return nil
}
