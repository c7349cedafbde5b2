// Package orgchange performs the changes of the organisation over time:
// renaming, moving and merging units, each audited (who, when, what), and
// lists a unit's changes. The CLI (anttbot org) and, later, the web console
// call the same functions; the store keeps the history that reports roll up
// through (a merged unit's reports count for its successor).
package orgchange

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/anttbot/anttbot/store"
)

// Audit actions recorded for unit changes.
const (
	ActionRename = "unit.rename"
	ActionMove   = "unit.move"
	ActionMerge  = "unit.merge"
)

// subjectUnit is the audit subject type of unit changes.
const subjectUnit = "unit"

// Actor is who makes a change: a person (an official on the console) or an
// operator on the command line (PersonID nil, Name says who).
type Actor struct {
	PersonID *int64
	Name     string
}

func (a Actor) String() string {
	switch {
	case a.Name != "":
		return a.Name
	case a.PersonID != nil:
		return "person " + strconv.FormatInt(*a.PersonID, 10)
	}
	return "operator"
}

// ErrAmbiguous is returned by Resolve when a name matches several units.
var ErrAmbiguous = errors.New("orgchange: several units match")

// Resolve finds a live unit by id, code or name (case, spacing and
// diacritics do not matter). A name shared by several units is refused with
// ErrAmbiguous, naming their codes.
func Resolve(ctx context.Context, st *store.Store, ref string) (store.Unit, error) {
	ref = strings.TrimSpace(ref)
	if id, err := strconv.ParseInt(ref, 10, 64); err == nil {
		u, err := st.UnitByID(ctx, id)
		if err != nil {
			return store.Unit{}, fmt.Errorf("no unit with id %d: %w", id, store.ErrNotFound)
		}
		return u, nil
	}
	us, err := st.FindUnits(ctx, ref)
	if err != nil {
		return store.Unit{}, err
	}
	switch len(us) {
	case 0:
		return store.Unit{}, fmt.Errorf("no unit %q: %w", ref, store.ErrNotFound)
	case 1:
		return us[0], nil
	}
	codes := make([]string, len(us))
	for i, u := range us {
		codes[i] = u.Code
	}
	return store.Unit{}, fmt.Errorf("%q matches %s: give the code or the id: %w", ref, strings.Join(codes, ", "), ErrAmbiguous)
}

// audit records one change of unit id inside tx.
func audit(ctx context.Context, tx *store.Store, actor Actor, action string, unitID int64, detail string) error {
	return tx.Audit(ctx, store.AuditLog{ActorID: actor.PersonID, Action: action, SubjectType: subjectUnit,
		SubjectID: strconv.FormatInt(unitID, 10), Detail: detail + "; by " + actor.String()})
}

// Rename gives a unit a new name, effective at.
func Rename(ctx context.Context, st *store.Store, actor Actor, unitID int64, name string, at time.Time) error {
	return st.InTx(ctx, func(tx *store.Store) error {
		u, err := tx.UnitByID(ctx, unitID)
		if err != nil {
			return err
		}
		if err := tx.RenameUnit(ctx, unitID, name, at); err != nil {
			return err
		}
		return audit(ctx, tx, actor, ActionRename, unitID, fmt.Sprintf("%q → %q, effective %s", u.Name, strings.TrimSpace(name), day(at)))
	})
}

// Move puts a unit under a new parent (a team to another commune, a commune
// to another province or straight under its province), effective at.
func Move(ctx context.Context, st *store.Store, actor Actor, unitID, parentID int64, at time.Time) error {
	return st.InTx(ctx, func(tx *store.Store) error {
		u, err := tx.UnitByID(ctx, unitID)
		if err != nil {
			return err
		}
		if err := tx.MoveUnit(ctx, unitID, parentID, at); err != nil {
			return err
		}
		p, err := tx.UnitByID(ctx, parentID)
		if err != nil {
			return err
		}
		from := "top level"
		if u.ParentID != nil {
			old, err := tx.UnitByID(ctx, *u.ParentID)
			if err != nil {
				return err
			}
			from = old.Code
		}
		return audit(ctx, tx, actor, ActionMove, unitID, fmt.Sprintf("%s: %s → %s, effective %s", u.Code, from, p.Code, day(at)))
	})
}

// Merge merges every unit of fromIDs into intoID, effective at, all or none.
// Their teams, people (so their chats), unused invite codes and police move
// to the successor; their reports keep the unit they were made in and count
// for the successor; their open tips and pending verifications are handled
// by the successor's police.
func Merge(ctx context.Context, st *store.Store, actor Actor, fromIDs []int64, intoID int64, at time.Time) error {
	if len(fromIDs) == 0 {
		return fmt.Errorf("orgchange: merge into %d: no unit to merge: %w", intoID, store.ErrInvalid)
	}
	return st.InTx(ctx, func(tx *store.Store) error {
		into, err := tx.UnitByID(ctx, intoID)
		if err != nil {
			return err
		}
		for _, id := range fromIDs {
			from, err := tx.UnitByID(ctx, id)
			if err != nil {
				return err
			}
			if err := tx.MergeUnit(ctx, id, intoID, at); err != nil {
				return err
			}
			detail := fmt.Sprintf("%s (%s) merged into %s (%s), effective %s", from.Name, from.Code, into.Name, into.Code, day(at))
			// Recorded on the former unit: the successor's history lists
			// its former units' entries.
			if err := audit(ctx, tx, actor, ActionMerge, id, detail); err != nil {
				return err
			}
		}
		return nil
	})
}

// FormerUnits returns the units merged into unitID or into any unit below
// it, recursively: the former units whose reports its scorecard includes.
func FormerUnits(ctx context.Context, st *store.Store, unitID int64) ([]store.Unit, error) {
	us, err := st.ReportUnits(ctx, unitID)
	if err != nil {
		return nil, err
	}
	var out []store.Unit
	for _, u := range us {
		if u.MergedIntoID != nil {
			out = append(out, u)
		}
	}
	return out, nil
}

// Entry is one recorded change of a unit or of a unit merged into it.
type Entry struct {
	// Recorded is when it was done, and Actor by whom. What says the change
	// and the date it took effect.
	Recorded time.Time
	Actor    string
	UnitID   int64
	Unit     string // code of the unit changed
	What     string
}

// History lists the changes of a unit and of every former unit merged into
// it, with who made them, oldest first. (The teams a merge moved along are
// named by the merge's entry.)
func History(ctx context.Context, st *store.Store, unitID int64) ([]Entry, error) {
	u, err := st.UnitByID(ctx, unitID)
	if err != nil {
		return nil, err
	}
	former, err := FormerUnits(ctx, st, unitID)
	if err != nil {
		return nil, err
	}
	units := append([]store.Unit{u}, former...)
	var out []Entry
	seen := map[int64]bool{}
	for _, x := range units {
		if seen[x.ID] {
			continue
		}
		seen[x.ID] = true
		es, err := st.AuditEntries(ctx, subjectUnit, strconv.FormatInt(x.ID, 10))
		if err != nil {
			return nil, err
		}
		for _, e := range es {
			what, by, _ := strings.Cut(e.Detail, "; by ")
			out = append(out, Entry{Recorded: e.At, Actor: by, UnitID: x.ID, Unit: x.Code, What: what})
		}
	}
	slices.SortStableFunc(out, func(a, b Entry) int { return cmp.Compare(a.Recorded.UnixNano(), b.Recorded.UnixNano()) })
	return out, nil
}

func day(t time.Time) string { return t.Format("2006-01-02") }
