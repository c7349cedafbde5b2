package orgimport

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/anttbot/anttbot/store"
	"golang.org/x/text/unicode/norm"
)

// echoTranslator renders a key and its arguments; it stands in for the
// catalogue so the fuzzer exercises Messages without loading it each time.
type echoTranslator struct{}

func (echoTranslator) T(lang, key string, args ...any) string {
	return lang + ":" + key + fmt.Sprint(args...)
}

var e164Pattern = regexp.MustCompile(`^\+84[35789]\d{8}$`)

func FuzzParseCSV(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/*.csv")
	seeds = append(seeds, "../examples/to-chuc-mau.csv")
	for _, p := range seeds {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("sep=;\ntinh;xa;to;ho_ten;sdt;vai_tro\nT;X;A;B;0912345678;to_vien\n"))
	f.Add([]byte(hdr + "\n\"T\n\",,X,Tổ 1,A,0912345678,to_vien\n"))
	f.Add([]byte("\xff\xfeT\x00"))

	f.Fuzz(func(t *testing.T, data []byte) {
		rows, err := Parse(bytes.NewReader(data), "fuzz.csv")
		if err != nil {
			if rows != nil {
				t.Fatalf("rows and error %v", err)
			}
			checkError(t, err)
			return
		}
		if len(rows) == 0 {
			t.Fatal("no rows and no error")
		}
		checkRows(t, rows)
	})
}

// checkError asserts that a Parse error is one of the documented kinds and
// can be shown to a person.
func checkError(t *testing.T, err error) {
	t.Helper()
	var re *RowErrors
	var fe *FileError
	switch {
	case errors.As(err, &re):
		if len(re.Rows) == 0 {
			t.Fatal("RowErrors with no rows")
		}
		prev := 0
		for _, r := range re.Rows {
			if r.Line < 1 || r.Line < prev {
				t.Fatalf("row error line %d after %d", r.Line, prev)
			}
			prev = r.Line
			if r.Code == "" || r.Reason == "" {
				t.Fatalf("row error without code or reason: %+v", r)
			}
			if r.Column != "" && columnRank(r.Column) < 0 {
				t.Fatalf("row error names unknown column %q", r.Column)
			}
		}
	case errors.As(err, &fe):
		if fileReason(fe) == fe.Code {
			t.Fatalf("file error with unknown code %q", fe.Code)
		}
	default:
		t.Fatalf("error of unexpected type %T: %v", err, err)
	}
	if msgs := Messages(echoTranslator{}, "vi", err, 10); len(msgs) == 0 {
		t.Fatal("no messages for an error")
	}
}

// checkRows asserts the invariants every imported row keeps.
func checkRows(t *testing.T, rows []store.ImportRow) {
	t.Helper()
	phones := map[string]bool{}
	prev := 0
	for _, r := range rows {
		if r.Line <= prev {
			t.Fatalf("line %d after %d", r.Line, prev)
		}
		prev = r.Line
		if !e164Pattern.MatchString(r.Phone) {
			t.Fatalf("line %d: phone %q not normalized", r.Line, r.Phone)
		}
		if phones[r.Phone] {
			t.Fatalf("line %d: phone %q twice", r.Line, r.Phone)
		}
		phones[r.Phone] = true
		if !r.Role.Valid() {
			t.Fatalf("line %d: role %q", r.Line, r.Role)
		}
		if r.Province == "" || r.Name == "" {
			t.Fatalf("line %d: empty province or name: %+v", r.Line, r)
		}
		if r.Role.IsTeamMember() != (r.Team != "") {
			t.Fatalf("line %d: role %s with team %q", r.Line, r.Role, r.Team)
		}
		if (r.Role.IsTeamMember() || r.Role == store.RoleCommunePolice) != (r.Commune != "") {
			t.Fatalf("line %d: role %s with commune %q", r.Line, r.Role, r.Commune)
		}
		if r.Role == store.RoleDistrictPolice && r.District == "" || r.Role == store.RoleProvincePolice && r.District != "" {
			t.Fatalf("line %d: role %s with district %q", r.Line, r.Role, r.District)
		}
		for _, s := range []string{r.Province, r.District, r.Commune, r.Team, r.Name} {
			if !utf8.ValidString(s) || !norm.NFC.IsNormalString(s) {
				t.Fatalf("line %d: %q not valid NFC", r.Line, s)
			}
			if utf8.RuneCountInString(s) > MaxNameLen {
				t.Fatalf("line %d: %q too long", r.Line, s)
			}
			if s != strings.TrimSpace(s) || strings.Contains(s, "  ") {
				t.Fatalf("line %d: %q not trimmed", r.Line, s)
			}
			if strings.IndexFunc(s, func(r rune) bool { return unicode.IsControl(r) || unicode.Is(unicode.Cf, r) }) >= 0 {
				t.Fatalf("line %d: %q has a control character", r.Line, s)
			}
		}
	}
}
