package store

import "testing"

func TestSlug(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{name: "commune", in: "Xã An Bình", want: "xa-an-binh"},
		{name: "đ and Đ", in: "Đồng Đức", want: "dong-duc"},
		{name: "stacked marks", in: "Tổ ANTT thôn Đông", want: "to-antt-thon-dong"},
		{name: "decomposed input", in: "Tho\u0302n Ba\u0306\u0301c", want: "thon-bac"},
		{name: "punctuation and spaces", in: "  Khu dân cư số 3 (cũ) ", want: "khu-dan-cu-so-3-cu"},
		{name: "nothing usable", in: "!!!", want: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := slug(tt.in); got != tt.want {
				t.Fatalf("slug(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestNFC(t *testing.T) {
	if got := nfc(" Tho\u0302n "); got != "Thôn" {
		t.Fatalf("nfc = %q, want composed %q", got, "Thôn")
	}
}
