package orgimport

import (
	"errors"
	"go/ast"
	"go/parser"
	"go/token"
	"strconv"
	"strings"
	"testing"

	"github.com/anttbot/anttbot/locales"
	"github.com/anttbot/anttbot/store"
)

// constStrings returns the string constants of a Go file whose names start
// with prefix, so the tests below follow every code added to the package.
func constStrings(t *testing.T, file, prefix string) map[string]string {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), file, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, d := range f.Decls {
		gd, ok := d.(*ast.GenDecl)
		if !ok || gd.Tok != token.CONST {
			continue
		}
		for _, spec := range gd.Specs {
			vs := spec.(*ast.ValueSpec)
			for i, name := range vs.Names {
				if !strings.HasPrefix(name.Name, prefix) || i >= len(vs.Values) {
					continue
				}
				if lit, ok := vs.Values[i].(*ast.BasicLit); ok && lit.Kind == token.STRING {
					out[name.Name], _ = strconv.Unquote(lit.Value)
				}
			}
		}
	}
	if len(out) == 0 {
		t.Fatalf("no %s* constants in %s", prefix, file)
	}
	return out
}

// TestEveryCodeHasMessages checks that each error code, and each reason
// package phone can give, has a message in every language, with no
// placeholder left unfilled.
func TestEveryCodeHasMessages(t *testing.T) {
	cat, err := locales.Load()
	if err != nil {
		t.Fatalf("locales.Load: %v", err)
	}
	var keys []string
	for name, code := range constStrings(t, "errors.go", "Code") {
		// A code is a file code or a row code: exactly one of the two
		// English texts knows it.
		file := fileReason(&FileError{Code: code}) != code
		row := rowReason(code, nil) != code
		switch {
		case file && !row:
			keys = append(keys, "import.file."+code)
		case row && !file:
			keys = append(keys, "import.error."+code)
		default:
			t.Errorf("%s = %q: English reason as file code %v, as row code %v; want exactly one", name, code, file, row)
		}
	}
	for _, reason := range constStrings(t, "../phone/phone.go", "Reason") {
		keys = append(keys, "import.error."+phoneCodePrefix+reason)
	}
	keys = append(keys, "import.help", "import.failed", "import.more", "import.row", "import.row_whole", "import.done", "import.file.generic")
	for _, key := range keys {
		for _, lang := range []string{"vi", "en"} {
			if !cat.Has(lang, key) {
				t.Errorf("%s: missing %q", lang, key)
			}
		}
	}
}

func TestMessages(t *testing.T) {
	cat, err := locales.Load()
	if err != nil {
		t.Fatalf("locales.Load: %v", err)
	}
	_, badRows := parseFile(t, "testdata/bad-rows.csv")
	_, missing := parseFile(t, "testdata/missing-column.csv")
	var re *RowErrors
	if !errors.As(badRows, &re) {
		t.Fatalf("bad-rows.csv: %v", badRows)
	}
	tests := []struct {
		name  string
		err   error
		lang  string
		limit int
		want  []string // fragments, in order, each in its own line
		lines int
	}{
		{
			name: "row errors in Vietnamese", err: badRows, lang: "vi",
			want: []string{
				"Chưa nhập dữ liệu nào: tệp có 25 lỗi.",
				"dòng 3: ho_ten: bắt buộc phải có",
				"dòng 4: so_dien_thoai: số điện thoại quá ngắn",
				"dòng 6: vai_tro: vai trò “trưởng thôn” không hợp lệ",
				"dòng 10: so_dien_thoai: số điện thoại này đã dùng cho người khác (Nguyễn Văn A) ở dòng 2",
				"dòng 11: ho_ten: dài quá 100 ký tự",
				"dòng 21: xa: ở dòng 2 tên này được viết là “Xã A”",
				"dòng 26: dòng có nhiều ô hơn dòng tiêu đề (1 ô thừa)",
			},
			lines: 26,
		},
		{
			name: "row errors in English, wrapped, limited", err: errorsWrap(badRows), lang: "en", limit: 3,
			want: []string{
				"Nothing was imported: the file has 25 problem(s).",
				"line 3: ho_ten: required, but empty",
				"line 4: so_dien_thoai: phone number too short",
				"line 5: so_dien_thoai: the phone number contains letters",
				"… and 22 more problem(s).",
			},
			lines: 5,
		},
		{
			name: "missing column", err: missing, lang: "vi",
			want:  []string{"Tệp thiếu cột: so_dien_thoai. Dòng tiêu đề (dòng 1)"},
			lines: 1,
		},
		{
			name: "file too large", err: &FileError{Code: CodeTooLarge}, lang: "en",
			want: []string{"larger than 20 MB"}, lines: 1,
		},
		{
			name: "any other error", err: errors.New("boom"), lang: "vi",
			want: []string{"Không nhập được tệp do lỗi hệ thống."}, lines: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Messages(cat, tt.lang, tt.err, tt.limit)
			if len(got) != tt.lines {
				t.Errorf("%d lines, want %d:\n%s", len(got), tt.lines, strings.Join(got, "\n"))
			}
			i := 0
			for _, line := range got {
				if strings.Contains(line, "{{") || strings.Contains(line, "import.") || strings.Contains(line, "<no value>") {
					t.Errorf("unrendered message: %q", line)
				}
				if i < len(tt.want) && strings.Contains(line, tt.want[i]) {
					i++
				}
			}
			if i < len(tt.want) {
				t.Errorf("lines lack %q (in order):\n%s", tt.want[i], strings.Join(got, "\n"))
			}
		})
	}
}

func errorsWrap(err error) error { return errors.Join(errors.New("context"), err) }

// TestEveryRowMessageRenders renders each row code with the arguments the
// validator gives it, so a placeholder that the code never fills is caught.
func TestEveryRowMessageRenders(t *testing.T) {
	cat, err := locales.Load()
	if err != nil {
		t.Fatalf("locales.Load: %v", err)
	}
	_, err = parseFile(t, "testdata/bad-rows.csv")
	var re *RowErrors
	if !errors.As(err, &re) {
		t.Fatal(err)
	}
	for _, r := range re.Rows {
		for _, lang := range []string{"vi", "en"} {
			msg := RowMessage(cat, lang, r)
			if strings.Contains(msg, "import.") || strings.Contains(msg, ": ,") || strings.HasSuffix(msg, ": ") {
				t.Errorf("%s line %d %s: %q", lang, r.Line, r.Code, msg)
			}
		}
	}
}

func TestSummary(t *testing.T) {
	cat, err := locales.Load()
	if err != nil {
		t.Fatalf("locales.Load: %v", err)
	}
	res := store.ImportResult{UnitsCreated: 8, PeopleCreated: 25, PeopleUpdated: 2, PeopleUnchanged: 3}
	got := Summary(cat, "vi", res)
	want := "Đã nhập xong: 8 đơn vị mới, 25 người mới, 2 người được cập nhật, 3 người không thay đổi."
	if got != want {
		t.Errorf("Summary = %q, want %q", got, want)
	}
}
