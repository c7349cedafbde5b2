package orgimport

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/anttbot/anttbot/store"
	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/charmap"
	xunicode "golang.org/x/text/encoding/unicode"
	"golang.org/x/text/unicode/norm"
)

func parseFile(t *testing.T, path string) ([]store.ImportRow, error) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	return Parse(f, filepath.Base(path))
}

// exampleRows is what both example files must parse to.
func exampleRows(t *testing.T) []store.ImportRow {
	t.Helper()
	rows, err := parseFile(t, "../examples/to-chuc-mau.csv")
	if err != nil {
		t.Fatalf("example CSV: %v", err)
	}
	return rows
}

func TestExamples(t *testing.T) {
	want := exampleRows(t)
	if len(want) < 20 || len(want) > 30 {
		t.Errorf("example has %d people, want about 25", len(want))
	}
	roles := map[store.Role]int{}
	teams := map[string]bool{}
	communes := map[string]string{} // commune → district
	for _, r := range want {
		roles[r.Role]++
		if r.Team != "" {
			teams[r.Commune+"/"+r.Team] = true
		}
		if r.Commune != "" {
			communes[r.Commune] = r.District
		}
	}
	for _, role := range []store.Role{store.RoleLeader, store.RoleDeputy, store.RoleMember,
		store.RoleCommunePolice, store.RoleDistrictPolice, store.RoleProvincePolice} {
		if roles[role] == 0 {
			t.Errorf("example has no %s", role)
		}
	}
	if n := len(teams); n < 4 || n > 5 {
		t.Errorf("example has %d teams, want 4 or 5", n)
	}
	var withDistrict, without int
	for _, d := range communes {
		if d == "" {
			without++
		} else {
			withDistrict++
		}
	}
	if withDistrict != 1 || without != 1 {
		t.Errorf("example communes %v: want one under a district and one without", communes)
	}

	got, err := parseFile(t, "../examples/to-chuc-mau.xlsx")
	if err != nil {
		t.Fatalf("example xlsx: %v", err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("xlsx and csv examples differ (run go run ./orgimport/internal/genexample):\nxlsx %+v\ncsv  %+v", got, want)
	}
}

// TestExampleXLSXMatchesCSV compares the cells, not only the parsed rows, so
// a note edited in the CSV alone is caught too.
func TestExampleXLSXMatchesCSV(t *testing.T) {
	raw, err := os.ReadFile("../examples/to-chuc-mau.csv")
	if err != nil {
		t.Fatal(err)
	}
	records, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(raw, bomUTF8))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenFile("../examples/to-chuc-mau.xlsx")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cells, err := f.GetRows(f.GetSheetList()[0], excelize.Options{RawCellValue: true})
	if err != nil {
		t.Fatal(err)
	}
	for i := range records {
		records[i] = trimTrailingEmpty(records[i])
	}
	if !reflect.DeepEqual(cells, records) {
		t.Errorf("examples/to-chuc-mau.xlsx is stale, run: go run ./orgimport/internal/genexample")
	}
}

func trimTrailingEmpty(rec []string) []string {
	for len(rec) > 0 && rec[len(rec)-1] == "" {
		rec = rec[:len(rec)-1]
	}
	return rec
}

func TestExampleNormalizesPhones(t *testing.T) {
	rows := exampleRows(t)
	byName := map[string]store.ImportRow{}
	for _, r := range rows {
		byName[r.Name] = r
	}
	tests := []struct {
		name  string
		phone string
		role  store.Role
	}{
		{name: "Trần Quốc Hưng", phone: "+84912345601", role: store.RoleProvincePolice},
		{name: "Vũ Đức Thắng", phone: "+84389552304", role: store.RoleCommunePolice},
		{name: "Nguyễn Văn Hải", phone: "+84388123408", role: store.RoleMember},    // old 0168 prefix
		{name: "Bùi Thị Mai", phone: "+84912345611", role: store.RoleDeputy},       // leading zero dropped
		{name: "Trần Thị Kim Oanh", phone: "+84965432819", role: store.RoleDeputy}, // +84 (0)
		{name: "Cao Thị Yến", phone: "+84395552821", role: store.RoleMember},       // old 0169 prefix
		{name: "Lê Thị Hồng", phone: "+84868111407", role: store.RoleDeputy},       // 0084
		{name: "Phạm Văn Khánh", phone: "+84904112203", role: store.RoleDistrictPolice},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, ok := byName[tt.name]
			if !ok {
				t.Fatalf("%s not in example", tt.name)
			}
			if r.Phone != tt.phone || r.Role != tt.role {
				t.Errorf("got %s %s, want %s %s", r.Phone, r.Role, tt.phone, tt.role)
			}
		})
	}
}

func TestParseGoodFiles(t *testing.T) {
	nguyen := store.ImportRow{Line: 2, Province: "Tỉnh A", Commune: "Xã A", Team: "Tổ 1",
		Name: "Nguyễn Văn A", Phone: "+84912345601", Role: store.RoleLeader}
	tran := store.ImportRow{Line: 3, Province: "Tỉnh A", Commune: "Xã A", Team: "Tổ 1",
		Name: "Trần Thị B", Phone: "+84912345602", Role: store.RoleDeputy}
	with := func(r store.ImportRow, f func(*store.ImportRow)) store.ImportRow { f(&r); return r }
	tests := []struct {
		name string
		file string
		want []store.ImportRow
	}{
		{name: "csv with BOM", file: "bom.csv", want: []store.ImportRow{nguyen, tran}},
		{
			name: "semicolons, Vietnamese headers, comma inside a value", file: "semicolon.csv",
			want: []store.ImportRow{with(nguyen, func(r *store.ImportRow) { r.Name = "Nguyễn Văn A, con" }), tran},
		},
		{name: "headers with diacritics, notes and ignored columns", file: "header-diacritics.csv", want: []store.ImportRow{nguyen, tran}},
		{
			name: "plain headers reordered, no district column", file: "header-plain-reordered.csv",
			want: []store.ImportRow{
				{Line: 2, Province: "Tinh A", Commune: "Xa A", Team: "To 1", Name: "Nguyen Van A", Phone: "+84912345601", Role: store.RoleLeader},
				{Line: 3, Province: "Tinh A", Commune: "Xa A", Team: "To 1", Name: "Tran Thi B", Phone: "+84912345602", Role: store.RoleMember},
			},
		},
		{
			name: "title rows above the header and an empty line", file: "title-rows.csv",
			want: []store.ImportRow{
				with(nguyen, func(r *store.ImportRow) { r.Line = 5 }),
				with(tran, func(r *store.ImportRow) { r.Line = 7 }),
			},
		},
		{
			name: "decomposed text becomes NFC", file: "nfd.csv",
			want: []store.ImportRow{{Line: 2, Province: "Tỉnh Hải Dương", Commune: "Xã Yết Kiêu", Team: "Tổ Nghĩa Hy",
				Name: "Nguyễn Thị Hồng", Phone: "+84912345601", Role: store.RoleLeader}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseFile(t, filepath.Join("testdata", tt.file))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Parse:\n got %+v\nwant %+v", got, tt.want)
			}
			for _, r := range got {
				for _, s := range []string{r.Province, r.District, r.Commune, r.Team, r.Name} {
					if !norm.NFC.IsNormalString(s) {
						t.Errorf("line %d: %q is not NFC", r.Line, s)
					}
				}
			}
		})
	}
}

// rowErr is what a test expects of one RowError.
type rowErr struct {
	line int
	col  string
	code string
}

func TestBadRowsAllReported(t *testing.T) {
	_, err := parseFile(t, "testdata/bad-rows.csv")
	var re *RowErrors
	if !errors.As(err, &re) {
		t.Fatalf("Parse error = %v, want *RowErrors", err)
	}
	want := []rowErr{
		{3, ColName, CodeRequired},
		{4, ColPhone, "phone.too_short"},
		{5, ColPhone, "phone.letters"},
		{6, ColRole, CodeUnknownRole},
		{7, ColTeam, CodeTeamRoleNeedsTeam},
		{8, ColTeam, CodePoliceWithTeam},
		{9, ColCommune, CodeCommunePoliceNeedsCommune},
		{10, ColPhone, CodeDuplicatePhone},
		{11, ColName, CodeTooLong},
		{12, ColName, CodeControlChar},
		{13, ColProvince, CodeRequired},
		{14, ColPhone, CodeRequired},
		{15, ColRole, CodeRequired},
		{16, ColPhone, "phone.landline"},
		{17, ColPhone, "phone.country_code"},
		{18, ColCommune, CodeTeamRoleNeedsCommune},
		{19, ColDistrict, CodeDistrictPoliceNeedsDistrict},
		{20, ColCommune, CodeProvincePoliceWithUnit},
		{21, ColCommune, CodeUnitSpelling},
		{22, ColDistrict, CodeCommuneExtraDistrict},
		{24, ColPhone, CodeDuplicatePerson},
		{26, "", CodeExtraCells},
		{26, ColPhone, "phone.letters"},
		{26, ColRole, CodeUnknownRole},
		{28, ColName, CodeLineBreak},
	}
	var got []rowErr
	for _, r := range re.Rows {
		got = append(got, rowErr{r.Line, r.Column, r.Code})
		if r.Reason == "" || r.Reason == r.Code {
			t.Errorf("line %d %s: no English reason for %q", r.Line, r.Column, r.Code)
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("row errors:\n got %v\nwant %v", got, want)
	}

	// The message names every row, as "line N: column: reason".
	msg := err.Error()
	for _, frag := range []string{
		"line 3: ho_ten: required",
		"line 4: so_dien_thoai: phone: too short",
		"line 6: vai_tro: unknown role \"trưởng thôn\"",
		"line 10: so_dien_thoai: phone number already used on line 2",
		"line 12: ho_ten: contains the control or invisible character U+0001",
		"line 21: xa: written differently on line 2 (\"Xã A\")",
		"line 22: huyen: this commune has no district on line 2",
		"line 24: so_dien_thoai: the same person is already on line 23",
		"line 28: ho_ten: contains a line break",
	} {
		if !strings.Contains(msg, frag) {
			t.Errorf("Error() lacks %q:\n%s", frag, msg)
		}
	}
}

// csvOf builds a CSV file from a header and rows.
func csvOf(lines ...string) []byte {
	return []byte(strings.Join(lines, "\n") + "\n")
}

const hdr = "tinh,huyen,xa,to,ho_ten,so_dien_thoai,vai_tro"

func TestParseRowErrors(t *testing.T) {
	tests := []struct {
		name string
		data []byte
		want []rowErr
		frag string // in the Reason of the first error
	}{
		{
			name: "same phone, different people, written differently",
			data: csvOf(hdr,
				"T,,X,Tổ 1,Nguyễn Văn A,0912 345 678,to_truong",
				"T,,X,Tổ 1,Nguyễn Văn B,+84912345678,to_vien"),
			want: []rowErr{{3, ColPhone, CodeDuplicatePhone}},
			frag: "line 2",
		},
		{
			name: "same person twice in the same place is harmless",
			data: csvOf(hdr,
				"T,,X,Tổ 1,Nguyễn Văn A,0912 345 678,to_truong",
				"T,,X,Tổ 1,NGUYỄN VĂN A,0912345678,Tổ trưởng",
				"T,,X,Tổ 1,Nguyễn Văn B,0912345679,to_vien",
				"T,,X,Tổ 1,Nguyễn Văn B,0912345679,to_pho"),
			want: []rowErr{{5, ColPhone, CodeDuplicatePerson}},
		},
		{
			name: "commune under a district, then without",
			data: csvOf(hdr,
				"T,Huyện H,X,Tổ 1,Nguyễn Văn A,0912345678,to_truong",
				"T,,X,Tổ 2,Nguyễn Văn B,0912345679,to_truong"),
			want: []rowErr{{3, ColDistrict, CodeCommuneMissingDistrict}},
			frag: "Huyện H",
		},
		{
			name: "same commune name in two districts is two communes",
			data: csvOf(hdr,
				"T,Huyện H,X,Tổ 1,Nguyễn Văn A,0912345678,to_truong",
				"T,Huyện K,X,Tổ 1,Nguyễn Văn B,0912345679,to_truong",
				"T,,,Tổ 1,Nguyễn Văn C,0912345670,to_vien"),
			want: []rowErr{{4, ColCommune, CodeTeamRoleNeedsCommune}},
		},
		{
			name: "province spelled two ways",
			data: csvOf(hdr,
				"Tỉnh Hải Dương,,X,Tổ 1,Nguyễn Văn A,0912345678,to_truong",
				"Tinh Hai Duong,,X,Tổ 1,Nguyễn Văn B,0912345679,to_vien"),
			want: []rowErr{{3, ColProvince, CodeUnitSpelling}},
			frag: "Tỉnh Hải Dương",
		},
		{
			name: "district police with a commune, province police with a district",
			data: csvOf(hdr,
				"T,H,X,,Công an A,0912345678,cong_an_huyen",
				"T,H,,,Công an B,0912345679,Công an tỉnh",
				"T,H,,Tổ 1,Công an C,0912345670,Công an huyện"),
			want: []rowErr{
				{2, ColCommune, CodeDistrictPoliceWithCommune},
				{3, ColDistrict, CodeProvincePoliceWithUnit},
				{4, ColTeam, CodePoliceWithTeam},
			},
		},
		{
			name: "tab inside a value",
			data: csvOf(hdr, "T,,X,Tổ 1,Nguyễn\tVăn A,0912345678,to_truong"),
			want: []rowErr{{2, ColName, CodeControlChar}},
			frag: "U+0009",
		},
		{
			name: "zero-width space inside a team name",
			data: csvOf(hdr, "T,,X,Tổ\u200b1,Nguyễn Văn A,0912345678,to_truong"),
			want: []rowErr{{2, ColTeam, CodeControlChar}},
			frag: "U+200B",
		},
		{
			name: "unit name too long",
			data: csvOf(hdr, "T,,X,"+strings.Repeat("á", MaxNameLen+1)+",Nguyễn Văn A,0912345678,to_truong"),
			want: []rowErr{{2, ColTeam, CodeTooLong}},
			frag: "100",
		},
		{
			name: "name of exactly the limit is fine, one more is not",
			data: csvOf(hdr,
				"T,,X,Tổ 1,"+strings.Repeat("ệ", MaxNameLen)+",0912345678,to_truong",
				"T,,X,Tổ 1,"+strings.Repeat("ệ", MaxNameLen+1)+",0912345679,to_vien"),
			want: []rowErr{{3, ColName, CodeTooLong}},
		},
		{
			name: "every column of a row at once",
			data: csvOf(hdr, ",,,,,,"+"x"),
			want: []rowErr{
				{2, ColProvince, CodeRequired},
				{2, ColName, CodeRequired},
				{2, ColPhone, CodeRequired},
				{2, ColRole, CodeUnknownRole},
			},
		},
		{
			name: "line numbers count rows, not physical lines",
			data: csvOf(hdr,
				`T,,X,Tổ 1,"Nguyễn Văn A",0912345678,to_truong`,
				"",
				"T,,X,Tổ 1,Nguyễn Văn B,0912,to_vien"),
			want: []rowErr{{4, ColPhone, "phone.too_short"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rows, err := Parse(bytes.NewReader(tt.data), "to-chuc.csv")
			var re *RowErrors
			if !errors.As(err, &re) {
				t.Fatalf("Parse = %v, %v; want *RowErrors", rows, err)
			}
			if rows != nil {
				t.Errorf("Parse returned %d rows with an error", len(rows))
			}
			var got []rowErr
			for _, r := range re.Rows {
				got = append(got, rowErr{r.Line, r.Column, r.Code})
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("row errors:\n got %v\nwant %v\n%v", got, tt.want, err)
			}
			if tt.frag != "" && !strings.Contains(re.Rows[0].Reason, tt.frag) {
				t.Errorf("reason %q lacks %q", re.Rows[0].Reason, tt.frag)
			}
		})
	}
}

func TestParseAccepts(t *testing.T) {
	tests := []struct {
		name string
		data []byte
		file string
		want []store.ImportRow
	}{
		{
			name: "police at every level, teams under a district and not",
			file: "x.csv",
			data: csvOf(hdr,
				"Tỉnh T,,,,Công an A,0912345670,cong_an_tinh",
				"Tỉnh T,Huyện H,,,Công an B,0912345671,cong_an_huyen",
				"Tỉnh T,Huyện H,Xã X,,Công an C,0912345672,cong_an_xa",
				"Tỉnh T,Huyện H,Xã X,Tổ 1,Người D,0912345673,to_vien",
				"Tỉnh T,,Phường P,,Công an E,0912345674,Công an phường",
				"Tỉnh T,,Phường P,Tổ 2,Người F,0912345675,thành viên"),
			want: []store.ImportRow{
				{Line: 2, Province: "Tỉnh T", Name: "Công an A", Phone: "+84912345670", Role: store.RoleProvincePolice},
				{Line: 3, Province: "Tỉnh T", District: "Huyện H", Name: "Công an B", Phone: "+84912345671", Role: store.RoleDistrictPolice},
				{Line: 4, Province: "Tỉnh T", District: "Huyện H", Commune: "Xã X", Name: "Công an C", Phone: "+84912345672", Role: store.RoleCommunePolice},
				{Line: 5, Province: "Tỉnh T", District: "Huyện H", Commune: "Xã X", Team: "Tổ 1", Name: "Người D", Phone: "+84912345673", Role: store.RoleMember},
				{Line: 6, Province: "Tỉnh T", Commune: "Phường P", Name: "Công an E", Phone: "+84912345674", Role: store.RoleCommunePolice},
				{Line: 7, Province: "Tỉnh T", Commune: "Phường P", Team: "Tổ 2", Name: "Người F", Phone: "+84912345675", Role: store.RoleMember},
			},
		},
		{
			name: "spaces trimmed and collapsed, no-break spaces too",
			file: "x.csv",
			data: csvOf(hdr, "  Tỉnh\u00a0T ,, Xã   X ,\u00a0Tổ 1\u00a0,\tNguyễn  Văn A\u200b,0912 345 678 , Tổ trưởng "),
			want: []store.ImportRow{{Line: 2, Province: "Tỉnh T", Commune: "Xã X", Team: "Tổ 1",
				Name: "Nguyễn Văn A", Phone: "+84912345678", Role: store.RoleLeader}},
		},
		{
			name: "rows with only an STT number are skipped",
			file: "x.csv",
			data: csvOf("STT,"+hdr, "1,T,,X,Tổ 1,Nguyễn Văn A,0912345678,to_truong", "2,,,,,,,", "3"),
			want: []store.ImportRow{{Line: 2, Province: "T", Commune: "X", Team: "Tổ 1",
				Name: "Nguyễn Văn A", Phone: "+84912345678", Role: store.RoleLeader}},
		},
		{
			name: "sep=; first line as Excel writes it",
			file: "x.csv",
			data: csvOf("sep=;", "Tỉnh;Xã;Tổ;Họ tên;SĐT;Vai trò", "T;X;Tổ 1;Nguyễn Văn A, con;0912345678;to_truong"),
			want: []store.ImportRow{{Line: 2, Province: "T", Commune: "X", Team: "Tổ 1",
				Name: "Nguyễn Văn A, con", Phone: "+84912345678", Role: store.RoleLeader}},
		},
		{
			name: "tab separated",
			file: "x.txt",
			data: csvOf("Tỉnh\tXã\tTổ\tHọ tên\tSĐT\tVai trò", "T\tX\tTổ 1\tNguyễn Văn A\t0912345678\tto_truong"),
			want: []store.ImportRow{{Line: 2, Province: "T", Commune: "X", Team: "Tổ 1",
				Name: "Nguyễn Văn A", Phone: "+84912345678", Role: store.RoleLeader}},
		},
		{
			name: "CRLF line ends and a stray quote in a name",
			file: "x.csv",
			data: []byte(hdr + "\r\nT,,X,Tổ 1,Nguyễn Văn \"Tư\",0912345678,to_truong\r\n"),
			want: []store.ImportRow{{Line: 2, Province: "T", Commune: "X", Team: "Tổ 1",
				Name: "Nguyễn Văn \"Tư\"", Phone: "+84912345678", Role: store.RoleLeader}},
		},
		{
			name: "UTF-16 as Excel's Unicode text",
			file: "x.txt",
			data: utf16LE(csvOf("Tỉnh\tXã\tTổ\tHọ tên\tSĐT\tVai trò", "T\tX\tTổ 1\tNguyễn Văn A\t0912345678\tto_truong")),
			want: []store.ImportRow{{Line: 2, Province: "T", Commune: "X", Team: "Tổ 1",
				Name: "Nguyễn Văn A", Phone: "+84912345678", Role: store.RoleLeader}},
		},
		{
			name: "CSV with no extension",
			file: "upload",
			data: csvOf(hdr, "T,,X,Tổ 1,Nguyễn Văn A,0912345678,to_truong"),
			want: []store.ImportRow{{Line: 2, Province: "T", Commune: "X", Team: "Tổ 1",
				Name: "Nguyễn Văn A", Phone: "+84912345678", Role: store.RoleLeader}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse(bytes.NewReader(tt.data), tt.file)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Parse:\n got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func utf16LE(b []byte) []byte {
	out, err := xunicode.UTF16(xunicode.LittleEndian, xunicode.UseBOM).NewEncoder().Bytes(b)
	if err != nil {
		panic(err)
	}
	return out
}

func TestParseFileErrors(t *testing.T) {
	win1258, err := charmap.Windows1258.NewEncoder().Bytes([]byte("tinh,xa,to,ho_ten,so_dien_thoai,vai_tro\nT,Đăk Tô,T,An,0912345678,to_vien\n"))
	if err != nil {
		t.Fatal(err)
	}
	tooManyRows := &bytes.Buffer{}
	tooManyRows.WriteString(hdr + "\n")
	for range MaxRows + 1 {
		tooManyRows.WriteString("T,,X,Tổ 1,A,0912345678,to_vien\n")
	}
	tests := []struct {
		name    string
		data    []byte
		file    string
		code    string
		line    int
		columns []string
	}{
		{name: "missing column", data: mustRead(t, "testdata/missing-column.csv"), file: "a.csv",
			code: CodeMissingColumns, line: 1, columns: []string{ColPhone}},
		{name: "missing several columns, all named", data: csvOf("Tỉnh,Họ tên,Vai trò", "T,A,to_vien"), file: "a.csv",
			code: CodeMissingColumns, line: 1, columns: []string{ColCommune, ColTeam, ColPhone}},
		{name: "no header at all", data: csvOf("a,b,c", "1,2,3"), file: "a.csv",
			code: CodeMissingColumns, line: 1, columns: requiredColumns},
		{name: "duplicate column", data: csvOf("Tỉnh,Xã,Tổ,Họ tên,SĐT,Số điện thoại,Vai trò"), file: "a.csv",
			code: CodeDuplicateColumn, line: 1},
		{name: "header only", data: csvOf(hdr, ",,,,,,"), file: "a.csv", code: CodeNoRows, line: 1},
		{name: "empty file", data: nil, file: "a.csv", code: CodeEmptyFile},
		{name: "blank lines only", data: []byte("\n \n,,,\n"), file: "a.csv", code: CodeEmptyFile},
		{name: "legacy code page", data: win1258, file: "a.csv", code: CodeNotUTF8, line: 2},
		{name: "legacy code page fixture", data: mustRead(t, "testdata/windows-1258.csv"), file: "a.csv", code: CodeNotUTF8, line: 2},
		{name: "old excel", data: append([]byte{0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1}, make([]byte, 100)...),
			file: "danh-sach.xls", code: CodeOldExcel},
		{name: "ods", data: []byte("PK\x03\x04whatever"), file: "danh-sach.ods", code: CodeUnsupportedFormat},
		{name: "pdf", data: []byte("%PDF-1.4"), file: "danh-sach.pdf", code: CodeUnsupportedFormat},
		{name: "broken xlsx", data: []byte("PK\x03\x04 not really a zip"), file: "a.xlsx", code: CodeBadXLSX},
		{name: "too large", data: make([]byte, MaxFileSize+1), file: "a.csv", code: CodeTooLarge},
		{name: "too many rows", data: tooManyRows.Bytes(), file: "a.csv", code: CodeTooManyRows, line: MaxRows + 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rows, err := Parse(bytes.NewReader(tt.data), tt.file)
			var fe *FileError
			if !errors.As(err, &fe) {
				t.Fatalf("Parse = %d rows, %v; want *FileError %s", len(rows), err, tt.code)
			}
			if fe.Code != tt.code || fe.Line != tt.line {
				t.Errorf("FileError %s at line %d, want %s at line %d (%v)", fe.Code, fe.Line, tt.code, tt.line, err)
			}
			if tt.columns != nil && !slices.Equal(fe.Columns, tt.columns) {
				t.Errorf("missing columns %v, want %v", fe.Columns, tt.columns)
			}
			for _, c := range tt.columns {
				if !strings.Contains(err.Error(), c) {
					t.Errorf("error %q does not name column %s", err, c)
				}
			}
		})
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// fakeApplier records what it was asked to apply.
type fakeApplier struct {
	calls int
	rows  []store.ImportRow
	res   store.ImportResult
	err   error
}

func (f *fakeApplier) ApplyImport(_ context.Context, rows []store.ImportRow) (store.ImportResult, error) {
	f.calls++
	f.rows = rows
	return f.res, f.err
}

func TestImportFile(t *testing.T) {
	dbDown := errors.New("database down")
	tests := []struct {
		name      string
		file      string
		applyErr  error
		wantCalls int
		wantErr   any // nil, *RowErrors, *FileError or dbDown
	}{
		{name: "good csv applied", file: "../examples/to-chuc-mau.csv", wantCalls: 1},
		{name: "good xlsx applied", file: "../examples/to-chuc-mau.xlsx", wantCalls: 1},
		{name: "bad rows: nothing applied", file: "testdata/bad-rows.csv", wantErr: &RowErrors{}},
		{name: "missing column: nothing applied", file: "testdata/missing-column.csv", wantErr: &FileError{}},
		{name: "store error passed on", file: "testdata/bom.csv", applyErr: dbDown, wantCalls: 1, wantErr: dbDown},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := &fakeApplier{err: tt.applyErr, res: store.ImportResult{PeopleCreated: 7}}
			res, err := ImportFile(context.Background(), st, tt.file)
			if st.calls != tt.wantCalls {
				t.Errorf("ApplyImport called %d times, want %d", st.calls, tt.wantCalls)
			}
			switch want := tt.wantErr.(type) {
			case nil:
				if err != nil {
					t.Fatalf("ImportFile: %v", err)
				}
				if res.PeopleCreated != 7 {
					t.Errorf("result %+v not passed on", res)
				}
				if len(st.rows) != len(exampleRows(t)) {
					t.Errorf("applied %d rows, want %d", len(st.rows), len(exampleRows(t)))
				}
			case *RowErrors:
				var re *RowErrors
				if !errors.As(err, &re) {
					t.Errorf("error %v, want *RowErrors", err)
				}
			case *FileError:
				var fe *FileError
				if !errors.As(err, &fe) {
					t.Errorf("error %v, want *FileError", err)
				}
			case error:
				if !errors.Is(err, want) {
					t.Errorf("error %v, want %v", err, want)
				}
			}
		})
	}

	t.Run("missing file", func(t *testing.T) {
		st := &fakeApplier{}
		if _, err := ImportFile(context.Background(), st, "testdata/nope.csv"); !errors.Is(err, os.ErrNotExist) || st.calls != 0 {
			t.Errorf("err = %v, calls = %d", err, st.calls)
		}
	})
	t.Run("cancelled context", func(t *testing.T) {
		st := &fakeApplier{}
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if _, err := ImportFile(ctx, st, "testdata/bom.csv"); !errors.Is(err, context.Canceled) || st.calls != 0 {
			t.Errorf("err = %v, calls = %d", err, st.calls)
		}
	})
}
