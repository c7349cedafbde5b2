package store

import (
	"context"
	"fmt"
	"strings"
)

// ApplyImport writes an organisation import in ONE transaction, all or
// nothing: it ensures each row's unit path and upserts the person by phone,
// updating name, role and unit in place (and reactivating them). Applying the
// same rows again changes nothing. Police rows attach to the unit their role
// serves: cong_an_xa to the commune, cong_an_huyen to the district (or the
// province when there is none), cong_an_tinh to the province.
func (s *Store) ApplyImport(ctx context.Context, rows []ImportRow) (ImportResult, error) {
	var res ImportResult
	err := s.tx(ctx, func(tx *Store) error {
		var err error
		res, err = tx.applyImport(ctx, rows)
		if err != nil {
			return err
		}
		return tx.Audit(ctx, AuditLog{Action: "import.apply", SubjectType: "import",
			Detail: fmt.Sprintf("rows=%d units_created=%d people_created=%d people_updated=%d people_unchanged=%d",
				len(rows), res.UnitsCreated, res.PeopleCreated, res.PeopleUpdated, res.PeopleUnchanged)})
	})
	if err != nil {
		return ImportResult{}, err
	}
	return res, nil
}

func (s *Store) applyImport(ctx context.Context, rows []ImportRow) (ImportResult, error) {
	var res ImportResult
	units := map[string]int64{} // unit path → id, to skip repeated lookups
	phones := map[string]int{}  // phone → line, to refuse duplicates
	now := s.clock()
	for _, r := range rows {
		if prev, dup := phones[r.Phone]; dup {
			// Two rows for one person would make every re-import an update.
			return ImportResult{}, fmt.Errorf("store: import line %d: phone already on line %d: %w", r.Line, prev, ErrInvalid)
		}
		if r.Phone == "" || nfc(r.Name) == "" || !r.Role.Valid() {
			return ImportResult{}, fmt.Errorf("store: import line %d: name, phone and a valid role are required: %w", r.Line, ErrInvalid)
		}
		phones[r.Phone] = r.Line
		path, err := importPath(r)
		if err != nil {
			return ImportResult{}, err
		}
		key := strings.Join(path[:], "\x00")
		unitID, ok := units[key]
		if !ok {
			u, created, err := s.ensureUnitPath(ctx, path[0], path[1], path[2], path[3])
			if err != nil {
				return ImportResult{}, fmt.Errorf("store: import line %d: %w", r.Line, err)
			}
			res.UnitsCreated += created
			unitID = u.ID
			units[key] = unitID
		}
		want := Person{Name: nfc(r.Name), Phone: r.Phone, Role: r.Role, UnitID: unitID, Active: true}
		cur, err := s.PersonByPhone(ctx, r.Phone)
		switch {
		case err == nil && cur.Name == want.Name && cur.Role == want.Role && cur.UnitID == want.UnitID && cur.Active:
			res.PeopleUnchanged++
		case err == nil:
			if err := s.q(ctx).Model(&Person{}).Where("id = ?", cur.ID).Updates(map[string]any{
				"name": want.Name, "role": want.Role, "unit_id": want.UnitID, "active": true, "updated_at": now,
			}).Error; err != nil {
				return ImportResult{}, fmt.Errorf("store: import line %d: update person %d: %w", r.Line, cur.ID, err)
			}
			res.PeopleUpdated++
		case isNotFound(err):
			if err := s.CreatePerson(ctx, &want); err != nil {
				return ImportResult{}, fmt.Errorf("store: import line %d: %w", r.Line, err)
			}
			res.PeopleCreated++
		default:
			return ImportResult{}, fmt.Errorf("store: import line %d: %w", r.Line, err)
		}
	}
	return res, nil
}

// importPath returns the unit path (province, district, commune, team) a row's
// person attaches to.
func importPath(r ImportRow) ([4]string, error) {
	bad := func(what string) ([4]string, error) {
		return [4]string{}, fmt.Errorf("store: import line %d: role %s needs %s: %w", r.Line, r.Role, what, ErrInvalid)
	}
	if strings.TrimSpace(r.Province) == "" {
		return bad("a province")
	}
	switch r.Role {
	case RoleLeader, RoleDeputy, RoleMember:
		if strings.TrimSpace(r.Commune) == "" || strings.TrimSpace(r.Team) == "" {
			return bad("a commune and a team")
		}
		return [4]string{r.Province, r.District, r.Commune, r.Team}, nil
	case RoleCommunePolice:
		if strings.TrimSpace(r.Commune) == "" {
			return bad("a commune")
		}
		return [4]string{r.Province, r.District, r.Commune, ""}, nil
	case RoleDistrictPolice:
		return [4]string{r.Province, r.District, "", ""}, nil
	default: // RoleProvincePolice
		return [4]string{r.Province, "", "", ""}, nil
	}
}
