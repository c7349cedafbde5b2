package store

// Level is a unit's place in the organisation tree.
type Level string

// Unit levels. The district level is optional: districts were abolished on 1/7/2025.
const (
	LevelProvince Level = "province"
	LevelDistrict Level = "district"
	LevelCommune  Level = "commune"
	LevelTeam     Level = "team"
)

// Role is what a person is in the organisation. The values are the ones used in
// the import file's vai_tro column.
type Role string

// Roles.
const (
	RoleLeader         Role = "to_truong"
	RoleDeputy         Role = "to_pho"
	RoleMember         Role = "to_vien"
	RoleCommunePolice  Role = "cong_an_xa"
	RoleDistrictPolice Role = "cong_an_huyen"
	RoleProvincePolice Role = "cong_an_tinh"
)

// IsPolice reports whether the role belongs to the police chain.
func (r Role) IsPolice() bool {
	return r == RoleCommunePolice || r == RoleDistrictPolice || r == RoleProvincePolice
}

// IsTeamMember reports whether the role belongs to a team (leader, deputy or member).
func (r Role) IsTeamMember() bool {
	return r == RoleLeader || r == RoleDeputy || r == RoleMember
}

// Valid reports whether r is one of the known roles.
func (r Role) Valid() bool { return r.IsPolice() || r.IsTeamMember() }

// ImportRow is one validated row of an organisation import file. The importer
// (package orgimport) parses and validates files into rows; Store.ApplyImport
// writes them in one transaction.
type ImportRow struct {
	Line     int    // row number in the file, for messages
	Province string // tinh
	District string // huyen, optional
	Commune  string // xa, empty only for provincial / district police
	Team     string // to, empty for police
	Name     string // ho_ten
	Phone    string // so_dien_thoai, already normalized (+84…)
	Role     Role   // vai_tro
}

// ImportResult counts what ApplyImport changed.
type ImportResult struct {
	UnitsCreated    int
	PeopleCreated   int
	PeopleUpdated   int
	PeopleUnchanged int
}
