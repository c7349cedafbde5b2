package telegramtest

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// allowedTags are the tags of Telegram's HTML parse mode.
var allowedTags = map[string]bool{
	"b": true, "strong": true, "i": true, "em": true, "u": true, "ins": true, "s": true, "strike": true,
	"del": true, "span": true, "tg-spoiler": true, "a": true, "tg-emoji": true, "code": true, "pre": true,
	"blockquote": true,
}

var (
	tagPattern    = regexp.MustCompile(`^</?([a-z-]+)[^<>]*>`)
	entityPattern = regexp.MustCompile(`^&(lt|gt|amp|quot|#[0-9]+|#x[0-9a-fA-F]+);`)
)

// parseHTML returns the plain text of s in Telegram's HTML parse mode, or the
// error Telegram gives for a "<" or "&" that is not a tag or entity it knows.
func parseHTML(s string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(s); {
		switch s[i] {
		case '<':
			m := tagPattern.FindStringSubmatch(s[i:])
			if m == nil || !allowedTags[m[1]] {
				return "", fmt.Errorf("Unsupported start tag at byte offset %d", i)
			}
			i += len(m[0])
		case '&':
			m := entityPattern.FindStringSubmatch(s[i:])
			if m == nil {
				return "", fmt.Errorf("Can't find end of the entity starting at byte offset %d", i)
			}
			b.WriteString(unescapeEntity(m[1]))
			i += len(m[0])
		default:
			b.WriteByte(s[i])
			i++
		}
	}
	return b.String(), nil
}

func unescapeEntity(name string) string {
	switch name {
	case "lt":
		return "<"
	case "gt":
		return ">"
	case "amp":
		return "&"
	case "quot":
		return `"`
	}
	var n int64
	if strings.HasPrefix(name, "#x") {
		n, _ = strconv.ParseInt(name[2:], 16, 32)
	} else {
		n, _ = strconv.ParseInt(name[1:], 10, 32)
	}
	return string(rune(n))
}

// utf16Len counts s in UTF-16 code units, as Telegram measures text.
func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		if r >= 0x10000 {
			n += 2
		} else {
			n++
		}
	}
	return n
}
