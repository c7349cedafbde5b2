package flows

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// problem is a localized reason to re-ask: a message key and its arguments.
type problem struct {
	key  string
	args []any
}

func newProblem(key string, args ...any) *problem { return &problem{key: key, args: args} }

// cleanText prepares text a person typed: it must be valid UTF-8 without
// control characters, is normalised to NFC (Vietnamese typed on different
// keyboards arrives composed or decomposed) and trimmed, and must not be
// longer than limit characters.
func cleanText(s string, limit int) (string, *problem) {
	if !utf8.ValidString(s) {
		return "", newProblem("flows.input.invalid_utf8")
	}
	s = strings.ReplaceAll(s, "\r\n", "\n")
	for _, r := range s {
		if forbiddenRune(r) {
			return "", newProblem("flows.input.control_chars")
		}
	}
	s = strings.TrimSpace(norm.NFC.String(s))
	if n := utf8.RuneCountInString(s); limit > 0 && n > limit {
		return "", newProblem("flows.input.too_long", "Max", limit, "Len", n)
	}
	return s, nil
}

// forbiddenRune reports control characters other than line breaks and tabs,
// and the bidirectional overrides that can make text read differently from
// what it contains. Zero-width joiners stay: emoji sequences use them.
func forbiddenRune(r rune) bool {
	switch r {
	case '\n', '\t', '\r':
		return false
	case '\u202a', '\u202b', '\u202c', '\u202d', '\u202e', '\u2066', '\u2067', '\u2068', '\u2069':
		return true
	}
	return unicode.IsControl(r)
}

// fold reduces text to lower-case ASCII letters and digits, dropping
// diacritics, spaces, punctuation and emoji, so that "Báo cáo", "bao cao",
// "BAOCAO" and "📝 Báo cáo" all read "baocao". It is used to recognise
// command words and typed answers, never to store text.
func fold(s string) string {
	var b strings.Builder
	for _, r := range norm.NFD.String(s) {
		switch {
		case r == 'đ' || r == 'Đ':
			b.WriteByte('d')
		case r < utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r)):
			b.WriteRune(unicode.ToLower(r))
		}
	}
	return b.String()
}

// truncate shortens s to at most n characters, marking the cut.
func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return strings.TrimSpace(string(r[:n-1])) + "…"
}
