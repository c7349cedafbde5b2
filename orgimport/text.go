package orgimport

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// cleanCell normalizes a cell value: NFC, outer blanks trimmed, inner runs of
// spaces (including no-break spaces) collapsed to one. bad reports a control
// or invisible formatting character left inside the value, which would make
// two names that look the same compare different.
func cleanCell(s string) (clean string, bad rune, hasBad bool) {
	s = norm.NFC.String(s)
	s = strings.TrimFunc(s, isBlank)
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for _, r := range s {
		switch {
		case r == unicode.ReplacementChar:
			// Invalid UTF-8 decodes to U+FFFD; a real one is no better.
			return "", r, true
		case unicode.Is(unicode.Zs, r):
			space = true
			continue
		case unicode.IsControl(r), unicode.Is(unicode.Cf, r), unicode.Is(unicode.Co, r),
			r == '\u2028', r == '\u2029':
			return "", r, true
		}
		if space && b.Len() > 0 {
			b.WriteByte(' ')
		}
		space = false
		b.WriteRune(r)
	}
	clean = b.String()
	// "-" or "…" is how many people fill a cell that has no value.
	if strings.Trim(clean, "-–—.…/") == "" {
		clean = ""
	}
	return clean, 0, false
}

// isBlank is what people and spreadsheets leave around values: any Unicode
// space, line breaks, and zero-width characters copied from web pages.
func isBlank(r rune) bool {
	return unicode.IsSpace(r) || r == '\u200b' || r == '\u200c' || r == '\u200d' || r == '\u2060' || r == '\ufeff'
}

// fold reduces a header or a role to a comparable key: diacritics removed,
// đ as d, lower case, and every run of other characters as one "_".
// "Số điện thoại" → "so_dien_thoai", "Xã/Phường" → "xa_phuong".
func fold(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	sep := false
	for _, r := range s {
		if unicode.Is(unicode.Mn, r) {
			continue // a combining mark of decomposed text
		}
		r = baseLetter(r)
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			if sep && b.Len() > 0 {
				b.WriteByte('_')
			}
			sep = false
			b.WriteRune(unicode.ToLower(r))
			continue
		}
		sep = true
	}
	return b.String()
}

// Latin letters with diacritics, mapped to their base letter once: fold
// runs on every cell of the first rows and on every unit name, and
// decomposing each string with norm.NFD was most of the time of a parse.
var (
	latinBase      = baseTable(0x00c0, 0x0250) // Latin-1 Supplement, Extended-A and -B
	latinAddedBase = baseTable(0x1e00, 0x1f00) // Latin Extended Additional: ạ ả ấ ầ … ỹ
)

// baseTable maps each rune in [from, to) to the first rune of its canonical
// decomposition, or to itself.
func baseTable(from, to rune) []rune {
	t := make([]rune, to-from)
	for r := from; r < to; r++ {
		base, _ := utf8.DecodeRuneInString(norm.NFD.String(string(r)))
		t[r-from] = base
	}
	return t
}

// baseLetter strips the diacritics of a Latin letter; đ has none to strip
// but reads as d.
func baseLetter(r rune) rune {
	switch {
	case r < 0x00c0:
		return r
	case r == 'đ' || r == 'Đ':
		return 'd'
	case r < 0x0250:
		return latinBase[r-0x00c0]
	case r >= 0x1e00 && r < 0x1f00:
		return latinAddedBase[r-0x1e00]
	}
	return r
}

// stripNotes removes what template makers add to a header besides its name:
// "(bắt buộc)", "[vd: to_truong]", "*".
func stripNotes(s string) string {
	var b strings.Builder
	depth := 0
	for _, r := range s {
		switch r {
		case '(', '[':
			depth++
			continue
		case ')', ']':
			if depth > 0 {
				depth--
			}
			continue
		}
		if depth == 0 && r != '*' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// sameText compares two cleaned values the way a person reading the sheet
// would: letter case does not matter.
func sameText(a, b string) bool {
	return strings.EqualFold(a, b)
}
