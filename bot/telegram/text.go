package telegram

import (
	"strings"
	"unicode/utf8"
)

// Telegram's limits, counted in UTF-16 code units after entity parsing, i.e.
// on the plain text before HTML escaping.
const (
	maxText     = 4096
	maxCaption  = 1024
	maxCBAnswer = 200
)

// utf16Len counts s as Telegram does: characters outside the Basic
// Multilingual Plane (most emoji) count twice.
func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		n += utf16Units(r)
	}
	return n
}

func utf16Units(r rune) int {
	if r >= 0x10000 {
		return 2
	}
	return 1
}

// prefixWithin returns the byte length of the longest prefix of s that has at
// most limit UTF-16 units and ends on a rune boundary.
func prefixWithin(s string, limit int) int {
	n := 0
	for i, r := range s {
		n += utf16Units(r)
		if n > limit {
			return i
		}
	}
	return len(s)
}

// splitText cuts s into pieces of at most limit UTF-16 units (see
// splitFirst). Blank pieces are left out: Telegram rejects empty messages.
func splitText(s string, limit int) []string {
	var out []string
	for s != "" {
		var head string
		head, s = splitFirst(s, limit)
		if strings.TrimSpace(head) != "" {
			out = append(out, head)
		}
	}
	return out
}

// splitFirst returns the first piece of s of at most limit UTF-16 units and
// the rest. It prefers to cut at a paragraph break, then a line break, then a
// space in the second half of the piece, and cuts between runes only when a
// single word is too long.
func splitFirst(s string, limit int) (head, rest string) {
	if utf16Len(s) <= limit {
		return s, ""
	}
	cut := prefixWithin(s, limit)
	head, rest = s[:cut], s[cut:]
	for _, sep := range []string{"\n\n", "\n", " "} {
		// Only a break in the second half avoids a run of tiny messages.
		if i := strings.LastIndex(head, sep); i > 0 && i >= cut/2 {
			head, rest = s[:i], s[i+len(sep):]
			break
		}
	}
	return strings.TrimRight(head, " \n"), strings.TrimLeft(rest, " \n")
}

// truncate shortens s to at most limit UTF-16 units, ending with "…" when cut.
func truncate(s string, limit int) string {
	if utf16Len(s) <= limit {
		return s
	}
	return strings.TrimRight(s[:prefixWithin(s, limit-1)], " \n") + "…"
}

// htmlEscaper escapes exactly what Telegram's HTML parse mode needs.
var htmlEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

// escapeHTML makes plain text safe for parse_mode HTML: the core sends plain
// text, and user input inside it must never turn into markup.
func escapeHTML(s string) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	return htmlEscaper.Replace(s)
}
