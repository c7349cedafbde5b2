package orgimport

import (
	"strings"

	"github.com/anttbot/anttbot/store"
)

// Column names as the import file documents them; they are also what row
// errors name, so an operator can find the column whatever its header says.
const (
	ColProvince = "tinh"
	ColDistrict = "huyen"
	ColCommune  = "xa"
	ColTeam     = "to"
	ColName     = "ho_ten"
	ColPhone    = "so_dien_thoai"
	ColRole     = "vai_tro"
)

// columnOrder is the order columns are checked and reported in.
var columnOrder = []string{ColProvince, ColDistrict, ColCommune, ColTeam, ColName, ColPhone, ColRole}

// requiredColumns must be in the header. huyen may be absent altogether:
// most provinces no longer have districts.
var requiredColumns = []string{ColProvince, ColCommune, ColTeam, ColName, ColPhone, ColRole}

// headerAliases maps a folded header (see fold) to its column. Headers are
// matched after notes in brackets and "*" are removed.
var headerAliases = map[string]string{
	"tinh": ColProvince, "tinh_thanh": ColProvince, "tinh_thanh_pho": ColProvince, "tinh_tp": ColProvince,
	"province": ColProvince,

	"huyen": ColDistrict, "quan_huyen": ColDistrict, "huyen_quan": ColDistrict, "quan": ColDistrict,
	"huyen_thi_xa": ColDistrict, "quan_huyen_thi_xa": ColDistrict, "huyen_thi_xa_thanh_pho": ColDistrict,
	"quan_huyen_thi_xa_thanh_pho": ColDistrict, "district": ColDistrict,

	"xa": ColCommune, "xa_phuong": ColCommune, "phuong": ColCommune, "phuong_xa": ColCommune,
	"xa_phuong_thi_tran": ColCommune, "xa_phuong_dac_khu": ColCommune, "xa_thi_tran": ColCommune,
	"commune": ColCommune,

	"to": ColTeam, "ten_to": ColTeam, "to_bao_ve_antt": ColTeam, "to_bao_ve": ColTeam, "team": ColTeam,

	"ho_ten": ColName, "ho_va_ten": ColName, "name": ColName, "full_name": ColName,

	"so_dien_thoai": ColPhone, "sdt": ColPhone, "so_dt": ColPhone, "dien_thoai": ColPhone, "dt": ColPhone,
	"dien_thoai_di_dong": ColPhone, "so_di_dong": ColPhone, "phone": ColPhone,

	"vai_tro": ColRole, "chuc_vu": ColRole, "chuc_danh": ColRole, "role": ColRole,
}

// columnFor returns the column a header cell names, or "" for a column the
// importer ignores (STT, Ghi chú, …).
func columnFor(header string) string {
	return headerAliases[fold(stripNotes(header))]
}

// roleAliases maps a folded vai_tro value to its role: the codes themselves,
// their Vietnamese words with or without diacritics, and English.
var roleAliases = map[string]store.Role{
	"to_truong": store.RoleLeader, "leader": store.RoleLeader, "team_leader": store.RoleLeader,
	"to_pho": store.RoleDeputy, "pho_to_truong": store.RoleDeputy, "deputy": store.RoleDeputy,
	"deputy_leader": store.RoleDeputy,
	"to_vien":       store.RoleMember, "thanh_vien": store.RoleMember, "member": store.RoleMember,

	"ca_xa": store.RoleCommunePolice, "ca_phuong": store.RoleCommunePolice, "ca_huyen": store.RoleDistrictPolice,
	"ca_tinh":    store.RoleProvincePolice,
	"cong_an_xa": store.RoleCommunePolice, "cong_an_phuong": store.RoleCommunePolice,
	"cong_an_thi_tran": store.RoleCommunePolice, "cong_an_xa_phuong": store.RoleCommunePolice,
	"cong_an_dac_khu": store.RoleCommunePolice, "commune_police": store.RoleCommunePolice,

	"cong_an_huyen": store.RoleDistrictPolice, "cong_an_quan": store.RoleDistrictPolice,
	"cong_an_thi_xa": store.RoleDistrictPolice, "cong_an_quan_huyen": store.RoleDistrictPolice,
	"district_police": store.RoleDistrictPolice,

	"cong_an_tinh": store.RoleProvincePolice, "province_police": store.RoleProvincePolice,
	"provincial_police": store.RoleProvincePolice,
}

// policeUnits maps the folded unit part of a police title to its role, for
// titles such as "Phó Trưởng Công an xã" or "Cán bộ Công an phường".
var policeUnits = []struct {
	unit string
	role store.Role
}{
	{"cong_an_xa", store.RoleCommunePolice},
	{"cong_an_phuong", store.RoleCommunePolice},
	{"cong_an_thi_tran", store.RoleCommunePolice},
	{"cong_an_dac_khu", store.RoleCommunePolice},
	{"cong_an_huyen", store.RoleDistrictPolice},
	{"cong_an_quan", store.RoleDistrictPolice},
	{"cong_an_thi_xa", store.RoleDistrictPolice},
	{"cong_an_tinh", store.RoleProvincePolice},
}

// parseRole reads a vai_tro value: a known word, or a longer title that
// ends in one ("Phó Trưởng Công an xã", "Tổ trưởng tổ bảo vệ ANTT").
func parseRole(s string) (store.Role, bool) {
	f := fold(s)
	if r, ok := roleAliases[f]; ok {
		return r, true
	}
	for _, p := range policeUnits {
		if f == p.unit || strings.HasSuffix(f, "_"+p.unit) || strings.Contains(f, "_"+p.unit+"_") || strings.HasPrefix(f, p.unit+"_") {
			return p.role, true
		}
	}
	// A team title followed by the team's name, never a longer title that
	// contains one ("pho_to_truong" is an alias above).
	for _, p := range []string{"to_truong", "to_pho", "to_vien"} {
		if strings.HasPrefix(f, p+"_") {
			return roleAliases[p], true
		}
	}
	return "", false
}

// header is the header row mapped to columns.
type header struct {
	line  int
	index map[string]int // column → cell index
	width int            // number of cells in the header row
}

// minHeaderColumns is how many known columns a row needs to be taken for the
// header; rows above it (a title, a date) are skipped.
const minHeaderColumns = 3

// maxHeaderSearch is how many non-empty rows are searched for the header.
const maxHeaderSearch = 20

// maxHeaderCell is the longest header cell looked at, notes included; longer
// cells are data, and skipping them keeps the header search cheap.
const maxHeaderCell = 200

// countKnown returns how many distinct known columns cells name.
func countKnown(cells []string) int {
	seen := map[string]bool{}
	for _, c := range cells {
		if len(c) > maxHeaderCell {
			continue
		}
		if col := columnFor(c); col != "" {
			seen[col] = true
		}
	}
	return len(seen)
}

// readHeader maps a header row. It fails with a *FileError naming every
// required column that is missing, or a column given twice.
func readHeader(line int, cells []string) (*header, error) {
	h := &header{line: line, index: map[string]int{}, width: len(cells)}
	for i, c := range cells {
		col := columnFor(c)
		if col == "" {
			continue
		}
		if prev, dup := h.index[col]; dup {
			return nil, &FileError{Code: CodeDuplicateColumn, Line: line, Args: map[string]any{
				"Column": col, "Cell": cellName(prev), "Cell2": cellName(i),
			}}
		}
		h.index[col] = i
	}
	var missing []string
	for _, col := range requiredColumns {
		if _, ok := h.index[col]; !ok {
			missing = append(missing, col)
		}
	}
	if len(missing) > 0 {
		return nil, &FileError{Code: CodeMissingColumns, Line: line, Columns: missing}
	}
	return h, nil
}

// cellName is the spreadsheet column letter of a 0-based cell index: 0 → A, 26 → AA.
func cellName(i int) string {
	name := ""
	for i++; i > 0; i = (i - 1) / 26 {
		name = string(rune('A'+(i-1)%26)) + name
	}
	return name
}
