package orgimport

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/anttbot/anttbot/store"
)

func TestColumnFor(t *testing.T) {
	tests := []struct {
		name   string
		header string
		want   string
	}{
		{name: "code", header: "so_dien_thoai", want: ColPhone},
		{name: "Vietnamese", header: "Số điện thoại", want: ColPhone},
		{name: "upper case", header: "SỐ ĐIỆN THOẠI", want: ColPhone},
		{name: "abbreviation with Đ", header: "SĐT", want: ColPhone},
		{name: "abbreviation plain", header: "sdt", want: ColPhone},
		{name: "spaces and underscores", header: " so  dien_thoai ", want: ColPhone},
		{name: "required mark", header: "Số điện thoại (*)", want: ColPhone},
		{name: "note in brackets", header: "Vai trò [to_truong, to_pho, ...]", want: ColRole},
		{name: "province", header: "Tỉnh", want: ColProvince},
		{name: "province or city", header: "Tỉnh/Thành phố", want: ColProvince},
		{name: "district", header: "Huyện", want: ColDistrict},
		{name: "district or urban district", header: "Quận/Huyện", want: ColDistrict},
		{name: "commune", header: "Xã", want: ColCommune},
		{name: "commune or ward", header: "Xã/Phường", want: ColCommune},
		{name: "commune code", header: "xa_phuong", want: ColCommune},
		{name: "ward", header: "Phường", want: ColCommune},
		{name: "commune ward town", header: "Xã, phường, thị trấn", want: ColCommune},
		{name: "team", header: "Tổ", want: ColTeam},
		{name: "team long", header: "Tổ bảo vệ ANTT", want: ColTeam},
		{name: "name", header: "Họ tên", want: ColName},
		{name: "full name", header: "Họ và tên", want: ColName},
		{name: "role", header: "Vai trò", want: ColRole},
		{name: "position", header: "Chức vụ", want: ColRole},
		{name: "row number ignored", header: "STT", want: ""},
		{name: "notes ignored", header: "Ghi chú", want: ""},
		{name: "given name alone is not the full name", header: "Tên", want: ""},
		{name: "empty", header: "", want: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := columnFor(tt.header); got != tt.want {
				t.Errorf("columnFor(%q) = %q, want %q", tt.header, got, tt.want)
			}
		})
	}
}

func TestParseRole(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want store.Role // "" for unknown
	}{
		{name: "code leader", in: "to_truong", want: store.RoleLeader},
		{name: "Vietnamese leader", in: "Tổ trưởng", want: store.RoleLeader},
		{name: "no diacritics", in: "to truong", want: store.RoleLeader},
		{name: "upper case", in: "TỔ TRƯỞNG", want: store.RoleLeader},
		{name: "leader of a named team", in: "Tổ trưởng tổ bảo vệ ANTT", want: store.RoleLeader},
		{name: "deputy", in: "Tổ phó", want: store.RoleDeputy},
		{name: "deputy as vice leader", in: "Phó tổ trưởng", want: store.RoleDeputy},
		{name: "member", in: "tổ viên", want: store.RoleMember},
		{name: "member as thành viên", in: "Thành viên", want: store.RoleMember},
		{name: "commune police", in: "Công an xã", want: store.RoleCommunePolice},
		{name: "ward police", in: "Công an phường", want: store.RoleCommunePolice},
		{name: "commune police code", in: "cong_an_xa", want: store.RoleCommunePolice},
		{name: "deputy chief of commune police", in: "Phó Trưởng Công an xã", want: store.RoleCommunePolice},
		{name: "commune police abbreviated", in: "CA xã", want: store.RoleCommunePolice},
		{name: "district police", in: "Công an huyện", want: store.RoleDistrictPolice},
		{name: "town police is district level", in: "Công an thị xã", want: store.RoleDistrictPolice},
		{name: "district police officer", in: "Cán bộ Công an huyện Gia Lộc", want: store.RoleDistrictPolice},
		{name: "province police", in: "Công an tỉnh", want: store.RoleProvincePolice},
		{name: "province police code", in: "cong_an_tinh", want: store.RoleProvincePolice},
		{name: "English", in: "leader", want: store.RoleLeader},
		{name: "village head is not a role", in: "Trưởng thôn", want: ""},
		{name: "police alone is ambiguous", in: "Công an", want: ""},
		{name: "empty", in: "", want: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := parseRole(tt.in)
			if ok != (tt.want != "") || got != tt.want {
				t.Errorf("parseRole(%q) = %q, %v; want %q", tt.in, got, ok, tt.want)
			}
		})
	}
}

func TestCleanCell(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
		bad  rune
	}{
		{name: "trim", in: "  Xã A \t", want: "Xã A"},
		{name: "collapse spaces", in: "Nguyễn   Văn\u00a0A", want: "Nguyễn Văn A"},
		{name: "NFD to NFC", in: "Nguye\u0302\u0303n", want: "Nguyễn"},
		{name: "zero width at the edges", in: "\u200bXã A\ufeff", want: "Xã A"},
		{name: "dash means empty", in: " - ", want: ""},
		{name: "dots mean empty", in: "…", want: ""},
		{name: "a dash inside is kept", in: "Tổ 1-2", want: "Tổ 1-2"},
		{name: "tab inside", in: "a\tb", bad: '\t'},
		{name: "newline inside", in: "a\nb", bad: '\n'},
		{name: "zero width inside", in: "a\u200bb", bad: '\u200b'},
		{name: "bell", in: "a\x07b", bad: '\x07'},
		{name: "invalid UTF-8", in: "a\xffb", bad: '\ufffd'},
		{name: "private use", in: "a\ue000b", bad: '\ue000'},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, bad, hasBad := cleanCell(tt.in)
			if hasBad != (tt.bad != 0) || bad != tt.bad {
				t.Fatalf("cleanCell(%q) bad = %U, %v; want %U", tt.in, bad, hasBad, tt.bad)
			}
			if !hasBad && got != tt.want {
				t.Errorf("cleanCell(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestCellName(t *testing.T) {
	for i, want := range map[int]string{0: "A", 25: "Z", 26: "AA", 27: "AB", 701: "ZZ", 702: "AAA"} {
		if got := cellName(i); got != want {
			t.Errorf("cellName(%d) = %q, want %q", i, got, want)
		}
	}
}

func TestUnknownRoleQuotesAnExcerpt(t *testing.T) {
	long := strings.Repeat("vai trò dài ", 20)
	_, err := Parse(strings.NewReader(hdr+"\nT,,X,Tổ 1,A,0912345678,"+long+"\n"), "a.csv")
	var re *RowErrors
	if !errors.As(err, &re) || len(re.Rows) != 1 {
		t.Fatalf("Parse error %v", err)
	}
	v, _ := re.Rows[0].Args["Value"].(string)
	if n := utf8.RuneCountInString(v); n != maxQuoted || !strings.HasSuffix(v, "…") || !strings.HasPrefix(long, strings.TrimSuffix(v, "…")) {
		t.Errorf("quoted value %q (%d characters)", v, n)
	}
}
