package store

import (
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// nfc normalizes user-supplied text (names from spreadsheets and chats) so
// that the same name typed on two keyboards compares equal.
func nfc(s string) string { return norm.NFC.String(strings.TrimSpace(s)) }

// slug turns a Vietnamese name into a code segment: lower case, no
// diacritics, đ→d, runs of anything else to one "-". "Xã An Bình" → "xa-an-binh".
func slug(name string) string {
	var b strings.Builder
	dash := false
	for _, r := range norm.NFD.String(name) {
		switch {
		case unicode.Is(unicode.Mn, r):
			continue
		case r == 'đ' || r == 'Đ':
			r = 'd'
		}
		r = unicode.ToLower(r)
		if r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r)) {
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			dash = false
			b.WriteRune(r)
			continue
		}
		dash = true
	}
	return b.String()
}
