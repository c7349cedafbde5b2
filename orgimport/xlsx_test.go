package orgimport

import (
	"bytes"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/anttbot/anttbot/store"
	"github.com/xuri/excelize/v2"
)

// xlsxOf builds a workbook in memory: cells by reference on the sheet
// "Danh sách", then any extra set-up.
func xlsxOf(t *testing.T, cells map[string]any, setup func(f *excelize.File)) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	const sheet = "Danh sách"
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		t.Fatal(err)
	}
	for ref, v := range cells {
		if err := f.SetCellValue(sheet, ref, v); err != nil {
			t.Fatal(err)
		}
	}
	if setup != nil {
		setup(f)
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// row fills one spreadsheet row from column A.
func row(cells map[string]any, n int, values ...any) {
	for i, v := range values {
		ref, _ := excelize.CoordinatesToCellName(i+1, n)
		if v != "" {
			cells[ref] = v
		}
	}
}

func headerRow(cells map[string]any, n int) {
	row(cells, n, "Tỉnh", "Huyện", "Xã", "Tổ", "Họ và tên", "Số điện thoại", "Vai trò")
}

func TestParseXLSX(t *testing.T) {
	leader := store.ImportRow{Line: 2, Province: "Tỉnh A", Commune: "Xã A", Team: "Tổ 1",
		Name: "Nguyễn Văn A", Phone: "+84912345601", Role: store.RoleLeader}
	with := func(r store.ImportRow, f func(*store.ImportRow)) store.ImportRow { f(&r); return r }

	tests := []struct {
		name  string
		cells func(c map[string]any)
		setup func(f *excelize.File)
		want  []store.ImportRow
	}{
		{
			name: "phones stored as numbers",
			cells: func(c map[string]any) {
				headerRow(c, 1)
				row(c, 2, "Tỉnh A", "", "Xã A", "Tổ 1", "Nguyễn Văn A", 912345601, "Tổ trưởng")
				row(c, 3, "Tỉnh A", "", "Xã A", "Tổ 1", "Trần Thị B", 84912345602, "to_pho")
				row(c, 4, "Tỉnh A", "", "Xã A", "Tổ 1", "Lê Văn C", 8.4912345603e10, "to_vien")
			},
			want: []store.ImportRow{
				leader,
				{Line: 3, Province: "Tỉnh A", Commune: "Xã A", Team: "Tổ 1", Name: "Trần Thị B", Phone: "+84912345602", Role: store.RoleDeputy},
				{Line: 4, Province: "Tỉnh A", Commune: "Xã A", Team: "Tổ 1", Name: "Lê Văn C", Phone: "+84912345603", Role: store.RoleMember},
			},
		},
		{
			name: "title rows and gaps keep Excel row numbers",
			cells: func(c map[string]any) {
				row(c, 1, "DANH SÁCH TỔ BẢO VỆ ANTT")
				headerRow(c, 3)
				row(c, 4, "Tỉnh A", "", "Xã A", "Tổ 1", "Nguyễn Văn A", "0912 345 601", "Tổ trưởng")
				row(c, 9, "Tỉnh A", "", "Xã A", "Tổ 1", "Trần Thị B", "0912 345 602", "to_pho")
			},
			want: []store.ImportRow{
				with(leader, func(r *store.ImportRow) { r.Line = 4 }),
				{Line: 9, Province: "Tỉnh A", Commune: "Xã A", Team: "Tổ 1", Name: "Trần Thị B", Phone: "+84912345602", Role: store.RoleDeputy},
			},
		},
		{
			name: "vertically merged commune and team cells fill the rows below",
			cells: func(c map[string]any) {
				headerRow(c, 1)
				row(c, 2, "Tỉnh A", "", "Xã A", "Tổ 1", "Nguyễn Văn A", "0912345601", "Tổ trưởng")
				row(c, 3, "", "", "", "", "Trần Thị B", "0912345602", "to_pho")
				row(c, 4, "", "", "", "Tổ 2", "Lê Văn C", "0912345603", "to_truong")
			},
			setup: func(f *excelize.File) {
				for _, r := range [][2]string{{"A2", "A4"}, {"C2", "C4"}, {"D2", "D3"}} {
					if err := f.MergeCell("Danh sách", r[0], r[1]); err != nil {
						t.Fatal(err)
					}
				}
			},
			want: []store.ImportRow{
				leader,
				{Line: 3, Province: "Tỉnh A", Commune: "Xã A", Team: "Tổ 1", Name: "Trần Thị B", Phone: "+84912345602", Role: store.RoleDeputy},
				{Line: 4, Province: "Tỉnh A", Commune: "Xã A", Team: "Tổ 2", Name: "Lê Văn C", Phone: "+84912345603", Role: store.RoleLeader},
			},
		},
		{
			name: "first visible sheet",
			cells: func(c map[string]any) {
				row(c, 1, "không phải danh sách")
			},
			setup: func(f *excelize.File) {
				if _, err := f.NewSheet("Tổ chức"); err != nil {
					t.Fatal(err)
				}
				for i, v := range []any{"tinh", "xa", "to", "ho_ten", "sdt", "vai_tro"} {
					ref, _ := excelize.CoordinatesToCellName(i+1, 1)
					_ = f.SetCellValue("Tổ chức", ref, v)
				}
				for i, v := range []any{"Tỉnh A", "Xã A", "Tổ 1", "Nguyễn Văn A", "0912345601", "to_truong"} {
					ref, _ := excelize.CoordinatesToCellName(i+1, 2)
					_ = f.SetCellValue("Tổ chức", ref, v)
				}
				f.SetActiveSheet(1)
				if err := f.SetSheetVisible("Danh sách", false); err != nil {
					t.Fatal(err)
				}
			},
			want: []store.ImportRow{leader},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cells := map[string]any{}
			tt.cells(cells)
			data := xlsxOf(t, cells, tt.setup)
			got, err := Parse(bytes.NewReader(data), "danh-sach.xlsx")
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Parse:\n got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestParseXLSXRowErrors(t *testing.T) {
	cells := map[string]any{}
	headerRow(cells, 1)
	row(cells, 2, "Tỉnh A", "", "Xã A", "Tổ 1", "Nguyễn Văn A", "0912345601", "Tổ trưởng")
	row(cells, 3, "Tỉnh A", "", "Xã A", "Tổ 1", "Trần Thị B", "0912 345", "to_pho")
	row(cells, 7, "Tỉnh A", "", "Xã A", "", "Lê Văn C", "0912345603", "to_vien")
	row(cells, 8, "Tỉnh A", "", "Xã A", "Tổ 1", "Dòng\nhai", "0912345604", "to_vien")
	// A name merged across the phone column: the phone is missing, the name
	// must not be copied into it.
	row(cells, 9, "Tỉnh A", "", "Xã A", "Tổ 1", "Phạm Văn D", "", "to_vien")
	data := xlsxOf(t, cells, func(f *excelize.File) {
		if err := f.MergeCell("Danh sách", "E9", "F9"); err != nil {
			t.Fatal(err)
		}
	})
	// The xlsx is named .csv, as a chat app may do: the content decides.
	_, err := Parse(bytes.NewReader(data), "danh-sach.csv")
	var re *RowErrors
	if !errors.As(err, &re) {
		t.Fatalf("Parse error %v, want *RowErrors", err)
	}
	want := []rowErr{
		{3, ColPhone, "phone.too_short"},
		{7, ColTeam, CodeTeamRoleNeedsTeam},
		{8, ColName, CodeLineBreak},
		{9, ColPhone, CodeRequired},
	}
	var got []rowErr
	for _, r := range re.Rows {
		got = append(got, rowErr{r.Line, r.Column, r.Code})
	}
	if !slices.Equal(got, want) {
		t.Errorf("row errors:\n got %v\nwant %v", got, want)
	}
}

func TestParseXLSXMissingColumn(t *testing.T) {
	cells := map[string]any{}
	row(cells, 1, "Tỉnh", "Xã", "Tổ", "Họ tên", "Vai trò")
	row(cells, 2, "T", "X", "Tổ 1", "A", "to_vien")
	_, err := Parse(bytes.NewReader(xlsxOf(t, cells, nil)), "a.xlsx")
	var fe *FileError
	if !errors.As(err, &fe) || fe.Code != CodeMissingColumns || !slices.Equal(fe.Columns, []string{ColPhone}) {
		t.Fatalf("Parse error %v, want missing so_dien_thoai", err)
	}
}

func TestParseXLSXTruncated(t *testing.T) {
	cells := map[string]any{}
	headerRow(cells, 1)
	data := xlsxOf(t, cells, nil)
	for _, n := range []int{10, len(data) / 2, len(data) - 10} {
		_, err := Parse(bytes.NewReader(data[:n]), "a.xlsx")
		var fe *FileError
		if !errors.As(err, &fe) || fe.Code != CodeBadXLSX {
			t.Errorf("truncated to %d bytes: error %v, want %s", n, err, CodeBadXLSX)
		}
	}
}

func TestFromScientific(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
	}{
		{name: "scientific", in: "8.4912345678E10", want: "84912345678"},
		{name: "scientific lower case", in: "9.12345678e8", want: "912345678"},
		{name: "float with zero fraction", in: "912345678.0", want: "912345678"},
		{name: "plain number untouched", in: "912345678", want: "912345678"},
		{name: "dotted phone untouched", in: "0912.345.678", want: "0912.345.678"},
		{name: "fraction untouched", in: "912345.678", want: "912345.678"},
		{name: "too small untouched", in: "1.5E3", want: "1.5E3"},
		{name: "huge untouched", in: "1E20", want: "1E20"},
		{name: "text untouched", in: "0912 345 678", want: "0912 345 678"},
		{name: "empty", in: "", want: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := fromScientific(tt.in); got != tt.want {
				t.Errorf("fromScientific(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestScanMergeRefs(t *testing.T) {
	tests := []struct {
		name string
		xml  string
		want []string
	}{
		{
			name: "after the cells",
			xml:  `<worksheet><sheetData><row r="1"><c r="A1" t="s"><v>0</v></c></row></sheetData><mergeCells count="2"><mergeCell ref="A2:A4"/><mergeCell ref="C2:D2"/></mergeCells></worksheet>`,
			want: []string{"A2:A4", "C2:D2"},
		},
		{
			name: "namespace prefix, single quotes, other attributes",
			xml:  `<x:worksheet><x:mergeCells><x:mergeCell xr:uid='{1}' ref='B3:B9'/></x:mergeCells></x:worksheet>`,
			want: []string{"B3:B9"},
		},
		{
			name: "mergeCells alone is not a merge",
			xml:  `<mergeCells count="0"></mergeCells><mergeCellsX ref="A1:A2"/>`,
		},
		{
			name: "truncated",
			xml:  `<mergeCells><mergeCell ref="A1:A3"/><mergeCell ref="B1`,
			want: []string{"A1:A3"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			err := scanMergeRefs(strings.NewReader(tt.xml), func(ref string) bool {
				got = append(got, ref)
				return true
			})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("refs %q, want %q", got, tt.want)
			}
		})
	}
}
