package telegram

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestSplitText(t *testing.T) {
	tests := []struct {
		name  string
		in    string
		limit int
		want  []string
	}{
		{name: "fits", in: "Xin chào", limit: 10, want: []string{"Xin chào"}},
		{name: "exactly the limit", in: "Trực chốt!", limit: 10, want: []string{"Trực chốt!"}},
		{name: "paragraph break preferred", in: "Đoạn một.\n\nĐoạn hai dài.", limit: 16, want: []string{"Đoạn một.", "Đoạn hai dài."}},
		{name: "line break next", in: "Dòng một\nDòng hai", limit: 12, want: []string{"Dòng một", "Dòng hai"}},
		{name: "space last", in: "tuần tra đêm nay", limit: 10, want: []string{"tuần tra", "đêm nay"}},
		{name: "break in the first half is not used", in: "a bcdefghijklmnop", limit: 10, want: []string{"a bcdefghi", "jklmnop"}},
		{name: "word longer than the limit", in: "abcdefghijkl", limit: 5, want: []string{"abcde", "fghij", "kl"}},
		{name: "emoji count as two units and are never cut", in: "🚨🚨🚨", limit: 3, want: []string{"🚨", "🚨", "🚨"}},
		{name: "blank pieces dropped", in: "abc\n\n\n\n   \n\nxyz", limit: 4, want: []string{"abc", "xyz"}},
		{name: "empty", in: "", limit: 5, want: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := splitText(tt.in, tt.limit)
			if strings.Join(got, "|") != strings.Join(tt.want, "|") || len(got) != len(tt.want) {
				t.Errorf("splitText(%q, %d) = %q, want %q", tt.in, tt.limit, got, tt.want)
			}
			for _, p := range got {
				if utf16Len(p) > tt.limit || !utf8.ValidString(p) {
					t.Errorf("piece %q breaks the limit or UTF-8", p)
				}
			}
		})
	}
}

func TestTruncate(t *testing.T) {
	tests := []struct {
		name, in string
		limit    int
		want     string
	}{
		{name: "short", in: "Đã lưu", limit: 200, want: "Đã lưu"},
		{name: "cut with ellipsis", in: "Đã lưu báo cáo", limit: 7, want: "Đã lưu…"},
		{name: "emoji not split", in: "ab🚨🚨", limit: 4, want: "ab…"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := truncate(tt.in, tt.limit); got != tt.want || utf16Len(got) > tt.limit {
				t.Errorf("truncate(%q, %d) = %q, want %q", tt.in, tt.limit, got, tt.want)
			}
		})
	}
}

func TestEscapeHTML(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{name: "markup", in: `<b>x</b> & <a href="y">`, want: `&lt;b&gt;x&lt;/b&gt; &amp; &lt;a href="y"&gt;`},
		{name: "entity stays literal", in: "&lt;", want: "&amp;lt;"},
		{name: "Vietnamese and emoji untouched", in: "Tổ ANTT 🇻🇳", want: "Tổ ANTT 🇻🇳"},
		{name: "invalid UTF-8 replaced", in: "a\xffb", want: "a\uFFFDb"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := escapeHTML(tt.in); got != tt.want {
				t.Errorf("escapeHTML(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}
