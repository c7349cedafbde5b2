package flows

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/anttbot/anttbot/bot"
	"github.com/anttbot/anttbot/campaign"
	"github.com/anttbot/anttbot/locales"
	"github.com/anttbot/anttbot/store"
)

func TestParseNumber(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want float64
		ok   bool
	}{
		{name: "integer", in: "2", want: 2, ok: true},
		{name: "decimal comma", in: "1,5", want: 1.5, ok: true},
		{name: "decimal point", in: "1.5", want: 1.5, ok: true},
		{name: "spaces around", in: "  3  ", want: 3, ok: true},
		{name: "unit word", in: "2 giờ", want: 2, ok: true},
		{name: "unit word glued", in: "4người", want: 4, ok: true},
		{name: "thousands point", in: "1.000", want: 1000, ok: true},
		{name: "thousands comma", in: "12,500", want: 12500, ok: true},
		{name: "millions", in: "1.000.000", want: 1e6, ok: true},
		{name: "thousands and decimals", in: "1.000,5", want: 1000.5, ok: true},
		{name: "thousands with spaces", in: "1 000", want: 1000, ok: true},
		{name: "two decimals", in: "0,75", want: 0.75, ok: true},
		{name: "negative", in: "-2", want: -2, ok: true},
		{name: "words", in: "hai", ok: false},
		{name: "empty", in: "", ok: false},
		{name: "bad grouping", in: "1.00.0", ok: false},
		{name: "exponent", in: "1e9", want: 1, ok: true},
		{name: "infinity", in: "Inf", ok: false},
		{name: "nan", in: "NaN", ok: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := parseNumber(tt.in)
			if ok != tt.ok || (ok && got != tt.want) {
				t.Fatalf("parseNumber(%q) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestParseDay(t *testing.T) {
	today := campaign.NewDate(2025, 1, 5)
	tests := []struct {
		name    string
		in      string
		want    campaign.Date
		problem string
	}{
		{name: "hôm nay", in: "hôm nay", want: today},
		{name: "hom nay", in: "hom nay", want: today},
		{name: "Hôm Nay capitalised", in: "Hôm Nay", want: today},
		{name: "hôm qua", in: "hôm qua", want: today.AddDays(-1)},
		{name: "hom qua", in: "hom qua", want: today.AddDays(-1)},
		{name: "hôm kia", in: "hôm kia", want: today.AddDays(-2)},
		{name: "d/m", in: "3/1", want: campaign.NewDate(2025, 1, 3)},
		{name: "dd/mm", in: "03/01", want: campaign.NewDate(2025, 1, 3)},
		{name: "dd/mm/yyyy", in: "03/01/2025", want: campaign.NewDate(2025, 1, 3)},
		{name: "dd-mm-yyyy", in: "03-01-2025", want: campaign.NewDate(2025, 1, 3)},
		{name: "dd.mm.yy", in: "03.01.25", want: campaign.NewDate(2025, 1, 3)},
		{name: "spaces", in: "3 / 1", want: campaign.NewDate(2025, 1, 3)},
		{name: "late december typed in january is last year", in: "28/12", want: campaign.NewDate(2024, 12, 28)},
		{name: "29 february of a leap year", in: "29/02/2024", want: campaign.NewDate(2024, 2, 29)},
		{name: "29 february of a common year", in: "29/02/2025", problem: "flows.date.no_such_day"},
		{name: "31 april", in: "31/4", problem: "flows.date.no_such_day"},
		{name: "month 13", in: "1/13", problem: "flows.date.no_such_day"},
		{name: "day 0", in: "0/1", problem: "flows.date.no_such_day"},
		{name: "words", in: "tuần trước", problem: "flows.date.invalid"},
		{name: "iso", in: "2025-01-03", problem: "flows.date.invalid"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, p := parseDay(tt.in, today)
			switch {
			case tt.problem != "" && (p == nil || p.key != tt.problem):
				t.Fatalf("parseDay(%q) = %v, %v; want problem %s", tt.in, got, p, tt.problem)
			case tt.problem == "" && (p != nil || got != tt.want):
				t.Fatalf("parseDay(%q) = %v, %v; want %v", tt.in, got, p, tt.want)
			}
		})
	}
}

func TestCleanText(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    string
		problem string
	}{
		{name: "trims", in: "  xin chào \n", want: "xin chào"},
		{name: "NFD to NFC", in: "Vie\u0302\u0323t Nam", want: "Việt Nam"},
		{name: "CRLF", in: "a\r\nb", want: "a\nb"},
		{name: "emoji with joiner", in: "👨‍👩‍👧 nhà", want: "👨‍👩‍👧 nhà"},
		{name: "invalid utf-8", in: "a\xc3", problem: "flows.input.invalid_utf8"},
		{name: "NUL", in: "a\x00b", problem: "flows.input.control_chars"},
		{name: "escape", in: "\x1b[31mđỏ", problem: "flows.input.control_chars"},
		{name: "C1 control", in: "a\u0085b", problem: "flows.input.control_chars"},
		{name: "right-to-left override", in: "abc\u202e", problem: "flows.input.control_chars"},
		{name: "at the limit", in: strings.Repeat("ệ", 10), want: strings.Repeat("ệ", 10)},
		{name: "over the limit in characters", in: strings.Repeat("ệ", 11), problem: "flows.input.too_long"},
		{name: "limit counts composed characters", in: strings.Repeat("e\u0302\u0323", 10), want: strings.Repeat("ệ", 10)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, p := cleanText(tt.in, 10)
			switch {
			case tt.problem != "" && (p == nil || p.key != tt.problem):
				t.Fatalf("cleanText(%q) = %q, %v; want problem %s", tt.in, got, p, tt.problem)
			case tt.problem == "" && (p != nil || got != tt.want):
				t.Fatalf("cleanText(%q) = %q, %v; want %q", tt.in, got, p, tt.want)
			}
		})
	}
}

func TestFold(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Báo cáo", "baocao"}, {"BÁO CÁO", "baocao"}, {"📝 Báo cáo", "baocao"}, {"Đợt 1", "dot1"},
		{"Người lạ, đáng ngờ", "nguoiladangngo"}, {"hủy", "huy"}, {"huỷ", "huy"}, {"", ""},
	}
	for _, tt := range tests {
		if got := fold(tt.in); got != tt.want {
			t.Errorf("fold(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestParseTap(t *testing.T) {
	tests := []struct {
		in string
		ok bool
	}{
		{"abc123.4.ok", true}, {"d1.0.o12", true}, {"/baocao", false}, {"", false}, {"a.b.c", false},
		{"abc.1.", false}, {strings.Repeat("a", 17) + ".1.ok", false}, {"ab c.1.ok", false}, {"abc.-1.ok", false},
	}
	for _, tt := range tests {
		if _, ok := parseTap(tt.in); ok != tt.ok {
			t.Errorf("parseTap(%q) ok = %v, want %v", tt.in, ok, tt.ok)
		}
	}
}

// TestLocaleKeys fails when the package uses a message key that a language
// lacks (the locales tests check the languages against each other).
func TestLocaleKeys(t *testing.T) {
	cat, err := locales.Load()
	if err != nil {
		t.Fatal(err)
	}
	keys := usedKeys(t)
	if len(keys) < 50 {
		t.Fatalf("found only %d keys in the source; the scan is broken", len(keys))
	}
	// Keys built at run time.
	for _, r := range []store.Role{store.RoleLeader, store.RoleDeputy, store.RoleMember, store.RoleCommunePolice, store.RoleDistrictPolice, store.RoleProvincePolice} {
		keys = append(keys, "flows.role."+string(r))
	}
	for _, st := range []string{store.StatusPending, store.StatusReceived, store.StatusVerified, store.StatusRejected} {
		keys = append(keys, "flows.status."+st)
	}
	for _, k := range keys {
		for _, lang := range cat.Langs() {
			if !cat.Has(lang, k) {
				t.Errorf("key %q missing in %s", k, lang)
			}
		}
	}
}

// keyLiteral is a message key written in the source.
var keyLiteral = regexp.MustCompile(`"((?:flows|common)\.[a-z0-9_]+(?:\.[a-z0-9_]+)+)"`)

// usedKeys returns the message keys the package's non-test source names.
func usedKeys(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	var keys []string
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range keyLiteral.FindAllStringSubmatch(string(b), -1) {
			if !seen[m[1]] {
				seen[m[1]] = true
				keys = append(keys, m[1])
			}
		}
	}
	return keys
}

// FuzzEngine feeds random text to every step type of every kind: the engine
// must never panic and must keep the draft on a step that exists.
func FuzzEngine(f *testing.F) {
	for _, s := range []string{"", "1", "1,5", "hôm nay", "31/02", "có", "quay lại", "bỏ qua", "d1.1.ok", "o0", "21.0,105.8", "\xff"} {
		f.Add(s, uint8(0), uint8(0))
	}
	cat, err := locales.Load()
	if err != nil {
		f.Fatal(err)
	}
	camp := campaign.Default()
	e := NewEngine(camp, cat, Options{})
	now := time.Date(2025, 7, 15, 9, 0, 0, 0, defaultLocation())
	f.Fuzz(func(t *testing.T, s string, kind, step uint8) {
		k := camp.Kinds[int(kind)%len(camp.Kinds)]
		sess := &Session{V: SessionVersion}
		e.StartReport(sess, &Draft{ID: "fz"}, k.ID, "vi", now)
		// Walk to the chosen question with skips and canned answers.
		sess.Draft.Step = k.Questions[int(step)%len(k.Questions)].ID
		in := Input{Kind: bot.KindText, Text: s}
		if tap, ok := parseTap(s); ok {
			in = Input{Kind: bot.KindCallback, Tap: &tap}
		}
		o := e.Handle(sess, in, "vi", now)
		if sess.Draft != nil && !e.valid(sess.Draft, "vi") {
			t.Fatalf("draft on a step that does not exist: %+v", sess.Draft)
		}
		if o.Finished == nil && len(o.Replies) == 0 && sess.Draft != nil {
			t.Fatalf("no reply to %q", s)
		}
	})
}
