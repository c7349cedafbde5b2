package locales

import (
	"errors"
	"os"
	"slices"
	"strings"
	"testing"
)

// TestEmbeddedCatalogue checks the real embedded files, so every engineer's new
// catalogue file is held to the same rules.
func TestEmbeddedCatalogue(t *testing.T) {
	cat, err := Load()
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if got, want := cat.Langs(), []string{"vi", "en"}; !slices.Equal(got, want) {
		t.Errorf("Langs() = %v, want %v", got, want)
	}
	if err := cat.Lint(); err != nil {
		for _, line := range strings.Split(err.Error(), "\n") {
			t.Error(line)
		}
	}
}

func TestSeedStrings(t *testing.T) {
	cat, err := Load()
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	tests := []struct {
		name string
		key  string
		vi   string // "" means only presence is checked
		en   string
	}{
		{name: "yes", key: "common.yes", vi: "Có", en: "Yes"},
		{name: "no", key: "common.no", vi: "Không", en: "No"},
		{name: "back", key: "common.back", vi: "⬅️ Quay lại", en: "⬅️ Back"},
		{name: "cancel", key: "common.cancel", vi: "✖️ Hủy", en: "✖️ Cancel"},
		{name: "skip", key: "common.skip", vi: "⏭ Bỏ qua", en: "⏭ Skip"},
		{name: "confirm", key: "common.confirm", vi: "✅ Xác nhận gửi", en: "✅ Confirm and send"},
		{name: "generic error", key: "common.error.generic", vi: "Xin lỗi, đã có lỗi. Vui lòng thử lại sau ít phút."},
		{name: "try again shortly", key: "common.error.try_again_shortly"},
		{name: "rate limited", key: "common.error.rate_limited"},
		{name: "stale button", key: "common.stale_button"},
		{name: "not for you", key: "common.not_for_you"},
		{name: "language name", key: "common.lang_name", vi: "Tiếng Việt", en: "English"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, lang := range []string{"vi", "en"} {
				if !cat.Has(lang, tt.key) {
					t.Errorf("%s lacks %q", lang, tt.key)
				}
			}
			if tt.vi != "" {
				if got := cat.T("vi", tt.key); got != tt.vi {
					t.Errorf("T(vi, %q) = %q, want %q", tt.key, got, tt.vi)
				}
			}
			if tt.en != "" {
				if got := cat.T("en", tt.key); got != tt.en {
					t.Errorf("T(en, %q) = %q, want %q", tt.key, got, tt.en)
				}
			}
		})
	}
	if !strings.HasPrefix(cat.T("vi", "common.stale_button"), "Nút này đã cũ, không còn dùng được.") {
		t.Errorf("common.stale_button (vi) = %q", cat.T("vi", "common.stale_button"))
	}
}

func loadTestdata(t *testing.T, dir string) *Catalog {
	t.Helper()
	cat, err := loadFS(os.DirFS("testdata/" + dir))
	if err != nil {
		t.Fatalf("loadFS(%s): %v", dir, err)
	}
	return cat
}

func TestT(t *testing.T) {
	cat := loadTestdata(t, "good")
	tests := []struct {
		name string
		lang string
		key  string
		args []any
		want string
	}{
		{name: "plain vi", lang: "vi", key: "greet.plain", want: "Chào bạn"},
		{name: "plain en", lang: "en", key: "greet.plain", want: "Hello there"},
		{name: "placeholder", lang: "vi", key: "greet.hello", args: []any{"Name", "Lan"}, want: "Xin chào Lan!"},
		{name: "number placeholder and condition", lang: "en", key: "report.saved", args: []any{"Ref", 12, "Late", true}, want: "Report 12 saved (late)."},
		{name: "condition false", lang: "vi", key: "report.saved", args: []any{"Ref", 7, "Late", false}, want: "Đã lưu báo cáo số 7."},
		{name: "missing argument left blank", lang: "vi", key: "greet.hello", want: "Xin chào !"},
		{name: "odd argument list", lang: "en", key: "greet.hello", args: []any{"Name", "Ann", "Extra"}, want: "Hello Ann!"},
		{name: "unknown lang falls back to vi", lang: "fr", key: "greet.plain", want: "Chào bạn"},
		{name: "empty lang falls back to vi", lang: "", key: "greet.plain", want: "Chào bạn"},
		{name: "region hint", lang: "en-US", key: "greet.plain", want: "Hello there"},
		{name: "missing key returns key", lang: "en", key: "no.such.key", want: "no.such.key"},
		{name: "leaf named other is an ordinary key", lang: "vi", key: "report.kind.other", want: "Khác"},
		{name: "quoted dotted key", lang: "en", key: "quoted.key", want: "Key with dots"},
		{name: "table header key", lang: "vi", key: "report.tip.title", want: "Nguồn tin"},
		{name: "braces in values are not interpreted", lang: "vi", key: "greet.hello", args: []any{"Name", "{{.X}}"}, want: "Xin chào {{.X}}!"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := cat.T(tt.lang, tt.key, tt.args...); got != tt.want {
				t.Errorf("T(%q, %q, %v) = %q, want %q", tt.lang, tt.key, tt.args, got, tt.want)
			}
		})
	}
}

func TestCatalogAccessors(t *testing.T) {
	cat := loadTestdata(t, "good")
	wantKeys := []string{"common.lang_name", "greet.hello", "greet.plain", "quoted.key", "report.kind.other", "report.saved", "report.tip.title"}
	if got := cat.Keys(); !slices.Equal(got, wantKeys) {
		t.Errorf("Keys() = %v, want %v", got, wantKeys)
	}
	if !cat.Has("en", "greet.hello") || cat.Has("en", "no.such.key") || cat.Has("fr", "greet.hello") {
		t.Error("Has does not match the catalogue")
	}
	if got := cat.LangName("vi"); got != "Tiếng Việt" {
		t.Errorf("LangName(vi) = %q", got)
	}
	if got := cat.LangName("en"); got != "English" {
		t.Errorf("LangName(en) = %q", got)
	}
	// Langs returns a copy: callers may not change the catalogue.
	langs := cat.Langs()
	langs[0] = "xx"
	if cat.Langs()[0] != "vi" {
		t.Error("Langs() exposes internal state")
	}
}

func TestNormalizeLang(t *testing.T) {
	tests := []struct {
		name string
		hint string
		want string
	}{
		{name: "vi", hint: "vi", want: "vi"},
		{name: "vi region", hint: "vi-VN", want: "vi"},
		{name: "en underscore region", hint: "en_US", want: "en"},
		{name: "upper case", hint: "EN", want: "en"},
		{name: "spaces", hint: " vi ", want: "vi"},
		{name: "unsupported", hint: "ru", want: ""},
		{name: "unsupported region", hint: "fr-VN", want: ""},
		{name: "empty", hint: "", want: ""},
		{name: "garbage", hint: "-", want: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := NormalizeLang(tt.hint); got != tt.want {
				t.Errorf("NormalizeLang(%q) = %q, want %q", tt.hint, got, tt.want)
			}
		})
	}
}

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name string
		dir  string
		want []string // substrings the error must contain
	}{
		{name: "duplicate key across files", dir: "dup", want: []string{`vi/b.toml: key "x.y" is already defined in vi/a.toml`}},
		{name: "value not a string", dir: "nonstring", want: []string{`vi/a.toml: key "x.count": value must be a string, got int64`}},
		{name: "broken template", dir: "badtemplate", want: []string{`vi/a.toml: key "x.broken": bad template`}},
		{name: "unsupported language directory", dir: "unknownlang", want: []string{`fr/a.toml: "fr" is not a supported language`}},
		{name: "language without catalogue", dir: "missinglang", want: []string{`no messages for language "en"`}},
		{name: "key is also a prefix", dir: "prefixclash", want: []string{`parse vi/a.toml`, `report.tip`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := loadFS(os.DirFS("testdata/" + tt.dir))
			if err == nil {
				t.Fatal("loadFS succeeded, want an error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestLint(t *testing.T) {
	if err := loadTestdata(t, "good").Lint(); err != nil {
		t.Fatalf("Lint on a good catalogue: %v", err)
	}
	err := loadTestdata(t, "lint").Lint()
	if err == nil {
		t.Fatal("Lint found no problem in testdata/lint")
	}
	want := []string{
		`key "only.vi": missing in en (present in vi)`,
		`en/a.toml: key "empty.value": empty value`,
		`key "place.holders": placeholders differ: vi has [Name Ref], en has [Name]`,
		`vi/a.toml: key "not.nfc": text is not in Unicode NFC`,
		`key "bad key": use letters, digits`,
	}
	got := strings.Split(err.Error(), "\n")
	for _, w := range want {
		if !slices.ContainsFunc(got, func(line string) bool { return strings.Contains(line, w) }) {
			t.Errorf("Lint did not report %q; got:\n%v", w, err)
		}
	}
	// Exactly the planted problems, nothing about the clean key.
	if len(got) != len(want) {
		t.Errorf("Lint reported %d problems, want %d:\n%v", len(got), len(want), err)
	}
	var joined interface{ Unwrap() []error }
	if !errors.As(err, &joined) {
		t.Errorf("Lint error is not a joined error: %T", err)
	}
}

// TestConcurrentT runs lookups from many goroutines; run with -race.
func TestConcurrentT(t *testing.T) {
	cat := loadTestdata(t, "good")
	done := make(chan string)
	for i := range 8 {
		go func() {
			var got string
			for range 200 {
				got = cat.T("en", "report.saved", "Ref", i, "Late", i%2 == 0)
			}
			done <- got
		}()
	}
	for range 8 {
		if got := <-done; !strings.HasPrefix(got, "Report ") {
			t.Errorf("T = %q", got)
		}
	}
}
