package orgimport

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/anttbot/anttbot/phone"
	"github.com/anttbot/anttbot/store"
)

// validateOptions says where the rows come from.
type validateOptions struct {
	// csv reports cells beyond the header, the mark of a separator inside
	// an unquoted value that shifted the row.
	csv bool
	// xlsx reads numbers stored in scientific notation in phone cells.
	xlsx bool
}

// seen remembers where a value first appeared, for checks across rows.
type seen struct {
	line  int
	text  string // as written
	extra string // a second value to compare (district of a commune)
	key   string // unit path and role of a person
}

// validator checks rows one by one and across the file.
type validator struct {
	h    *header
	opts validateOptions
	rows []store.ImportRow
	errs []RowError

	phones   map[string]seen // phone → first row with it
	units    map[string]seen // folded unit path → first spelling
	communes map[string]seen // folded province/commune → its district
}

func newValidator(h *header, opts validateOptions) *validator {
	return &validator{
		h: h, opts: opts,
		phones:   map[string]seen{},
		units:    map[string]seen{},
		communes: map[string]seen{},
	}
}

// nameColumns are the free-text columns limited to MaxNameLen.
var nameColumns = []string{ColProvince, ColDistrict, ColCommune, ColTeam, ColName}

// row validates one data row.
func (v *validator) row(line int, cells []string) {
	nerr := len(v.errs)
	fail := func(col, code string, args map[string]any) {
		v.errs = append(v.errs, newRowError(line, col, code, args))
	}
	bad := map[string]bool{} // columns already reported

	if v.opts.csv && len(cells) > v.h.width && !isEmptyRow(cells[v.h.width:]) {
		n := 0
		for _, c := range cells[v.h.width:] {
			if strings.TrimFunc(c, isBlank) != "" {
				n++
			}
		}
		fail("", CodeExtraCells, map[string]any{"Count": n})
	}

	val := map[string]string{}
	for _, col := range columnOrder {
		i, ok := v.h.index[col]
		if !ok || i >= len(cells) {
			continue
		}
		s, r, hasBad := cleanCell(cells[i])
		if hasBad {
			if r == '\n' || r == '\r' {
				fail(col, CodeLineBreak, nil)
			} else {
				fail(col, CodeControlChar, map[string]any{"Char": fmt.Sprintf("U+%04X", r)})
			}
			bad[col] = true
			continue
		}
		val[col] = s
	}
	for _, col := range nameColumns {
		if !bad[col] && utf8.RuneCountInString(val[col]) > MaxNameLen {
			fail(col, CodeTooLong, map[string]any{"Max": MaxNameLen})
			bad[col] = true
		}
	}
	for _, col := range []string{ColProvince, ColName, ColPhone, ColRole} {
		if !bad[col] && val[col] == "" {
			fail(col, CodeRequired, nil)
			bad[col] = true
		}
	}

	var e164 string
	if !bad[ColPhone] {
		raw := val[ColPhone]
		if v.opts.xlsx {
			raw = fromScientific(raw)
		}
		var err error
		if e164, err = phone.Normalize(raw); err != nil {
			var pe *phone.Error
			if !errors.As(err, &pe) {
				pe = phone.ErrInvalidChar
			}
			fail(ColPhone, phoneCodePrefix+string(pe.Reason), nil)
			bad[ColPhone] = true
		}
	}

	var role store.Role
	if !bad[ColRole] {
		var ok bool
		if role, ok = parseRole(val[ColRole]); !ok {
			fail(ColRole, CodeUnknownRole, map[string]any{"Value": excerpt(val[ColRole], maxQuoted)})
			bad[ColRole] = true
		}
	}
	if !bad[ColRole] {
		v.checkPlacement(role, val, bad, fail)
	}

	v.checkUnits(line, val, bad, fail)
	if !bad[ColPhone] && !bad[ColName] && !bad[ColRole] {
		if dup := v.checkPhone(line, e164, role, val, fail); dup {
			return
		}
	}
	if len(v.errs) > nerr {
		return
	}
	v.rows = append(v.rows, store.ImportRow{
		Line:     line,
		Province: val[ColProvince],
		District: val[ColDistrict],
		Commune:  val[ColCommune],
		Team:     val[ColTeam],
		Name:     val[ColName],
		Phone:    e164,
		Role:     role,
	})
}

// checkPlacement checks that a person names exactly the units their role
// belongs to: team roles a commune and a team, police the unit they serve.
func (v *validator) checkPlacement(role store.Role, val map[string]string, bad map[string]bool,
	fail func(col, code string, args map[string]any)) {
	check := func(col, code string, want bool) {
		if bad[col] || (val[col] != "") == want {
			return
		}
		fail(col, code, nil)
		bad[col] = true
	}
	switch role {
	case store.RoleLeader, store.RoleDeputy, store.RoleMember:
		check(ColCommune, CodeTeamRoleNeedsCommune, true)
		check(ColTeam, CodeTeamRoleNeedsTeam, true)
	case store.RoleCommunePolice:
		check(ColCommune, CodeCommunePoliceNeedsCommune, true)
		check(ColTeam, CodePoliceWithTeam, false)
	case store.RoleDistrictPolice:
		check(ColDistrict, CodeDistrictPoliceNeedsDistrict, true)
		check(ColCommune, CodeDistrictPoliceWithCommune, false)
		check(ColTeam, CodePoliceWithTeam, false)
	case store.RoleProvincePolice:
		check(ColDistrict, CodeProvincePoliceWithUnit, false)
		check(ColCommune, CodeProvincePoliceWithUnit, false)
		check(ColTeam, CodePoliceWithTeam, false)
	}
}

// checkUnits catches two ways one place gets two units: the same name
// written differently ("Xã An Bình", "xã An Binh"), and a commune listed both
// with and without its district.
func (v *validator) checkUnits(line int, val map[string]string, bad map[string]bool,
	fail func(col, code string, args map[string]any)) {
	path := ""
	for _, col := range []string{ColProvince, ColDistrict, ColCommune, ColTeam} {
		if bad[col] {
			return
		}
		name := val[col]
		if name == "" {
			if col == ColProvince {
				return
			}
			path += "/"
			continue
		}
		path += "/" + fold(name)
		if first, ok := v.units[path]; !ok {
			v.units[path] = seen{line: line, text: name}
		} else if first.text != name {
			fail(col, CodeUnitSpelling, map[string]any{"Line": first.line, "Name": first.text})
			bad[col] = true
			return
		}
	}
	if val[ColCommune] == "" || bad[ColDistrict] {
		return
	}
	key := fold(val[ColProvince]) + "/" + fold(val[ColCommune])
	district := val[ColDistrict]
	first, ok := v.communes[key]
	switch {
	case !ok:
		v.communes[key] = seen{line: line, extra: district}
	case first.extra != "" && district == "":
		fail(ColDistrict, CodeCommuneMissingDistrict, map[string]any{"Line": first.line, "District": first.extra})
	case first.extra == "" && district != "":
		fail(ColDistrict, CodeCommuneExtraDistrict, map[string]any{"Line": first.line})
	}
}

// checkPhone catches a phone number given twice. The store keys people by
// phone, so two people cannot share one, and one person cannot be in two
// places. A row repeated exactly is harmless and dropped (dup true).
func (v *validator) checkPhone(line int, e164 string, role store.Role, val map[string]string,
	fail func(col, code string, args map[string]any)) (dup bool) {
	key := strings.Join([]string{
		fold(val[ColProvince]), fold(val[ColDistrict]), fold(val[ColCommune]), fold(val[ColTeam]), string(role),
	}, "/")
	first, ok := v.phones[e164]
	switch {
	case !ok:
		v.phones[e164] = seen{line: line, text: val[ColName], key: key}
		return false
	case !sameText(first.text, val[ColName]):
		fail(ColPhone, CodeDuplicatePhone, map[string]any{"Line": first.line, "Name": first.text})
	case first.key != key:
		fail(ColPhone, CodeDuplicatePerson, map[string]any{"Line": first.line})
	default:
		return true
	}
	return false
}

// finish returns the rows, or every problem found sorted by line and column.
func (v *validator) finish() ([]store.ImportRow, error) {
	if len(v.errs) > 0 {
		slices.SortStableFunc(v.errs, func(a, b RowError) int {
			if a.Line != b.Line {
				return a.Line - b.Line
			}
			return columnRank(a.Column) - columnRank(b.Column)
		})
		return nil, &RowErrors{Rows: v.errs}
	}
	if len(v.rows) == 0 {
		return nil, &FileError{Code: CodeNoRows, Line: v.h.line}
	}
	return v.rows, nil
}

// columnRank orders errors of one row: the whole row first, then columns in
// their documented order.
func columnRank(col string) int {
	if col == "" {
		return -1
	}
	return slices.Index(columnOrder, col)
}

// maxQuoted is how much of a bad value a message repeats.
const maxQuoted = 40

// excerpt shortens s to n characters for a message.
func excerpt(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n-1]) + "…"
}

// fromScientific undoes what a spreadsheet does to a long number stored as a
// number: "8.4912345678E10" → "84912345678". Only whole numbers that fit a
// phone number are rewritten; anything else is left for phone.Normalize.
func fromScientific(s string) string {
	if s == "" || strings.IndexFunc(s, func(r rune) bool {
		return !strings.ContainsRune("0123456789.eE+", r)
	}) >= 0 {
		return s
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f < 1e8 || f >= 1e13 || f != float64(int64(f)) {
		return s
	}
	return strconv.FormatInt(int64(f), 10)
}
