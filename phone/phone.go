// Package phone normalizes Vietnamese mobile numbers to E.164 ("+84…"), the
// form the store keys people by and the form a shared Telegram or Zalo contact
// is matched against.
package phone

import (
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// Reason is a stable code saying why a number was rejected. Callers that show
// it to users look up a localized message by it (e.g. "import.phone.too_short").
type Reason string

// Rejection reasons.
const (
	ReasonEmpty        Reason = "empty"          // nothing but spaces and separators
	ReasonTooShort     Reason = "too_short"      // fewer digits than a mobile number
	ReasonTooLong      Reason = "too_long"       // more digits than a mobile number
	ReasonLetters      Reason = "letters"        // contains letters
	ReasonInvalidChar  Reason = "invalid_char"   // contains a character that is neither a digit nor a separator
	ReasonCountryCode  Reason = "country_code"   // an international number outside Vietnam (+84)
	ReasonLandline     Reason = "landline"       // a Vietnamese landline; people must be reachable on a mobile
	ReasonNotMobile    Reason = "not_mobile"     // right length but not a Vietnamese mobile prefix
	ReasonOldPrefixBad Reason = "old_prefix_bad" // 11 digits starting 01 but not one of the converted 2018 prefixes
)

// Error is the error Normalize returns. It never contains the number itself,
// so it is safe to log.
type Error struct {
	Reason Reason
}

// Error implements error.
func (e *Error) Error() string { return "phone: " + reasonText[e.Reason] }

// Is makes errors.Is match any *Error with the same reason, so callers can
// compare against the sentinels below even if an error was built elsewhere.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Reason == e.Reason
}

// Sentinel errors, one per Reason, for errors.Is.
var (
	ErrEmpty        = &Error{Reason: ReasonEmpty}
	ErrTooShort     = &Error{Reason: ReasonTooShort}
	ErrTooLong      = &Error{Reason: ReasonTooLong}
	ErrLetters      = &Error{Reason: ReasonLetters}
	ErrInvalidChar  = &Error{Reason: ReasonInvalidChar}
	ErrCountryCode  = &Error{Reason: ReasonCountryCode}
	ErrLandline     = &Error{Reason: ReasonLandline}
	ErrNotMobile    = &Error{Reason: ReasonNotMobile}
	ErrOldPrefixBad = &Error{Reason: ReasonOldPrefixBad}
)

// reasonText is the developer-facing (log) wording; users get the localized
// message for the Reason instead.
var reasonText = map[Reason]string{
	ReasonEmpty:        "empty",
	ReasonTooShort:     "too short for a Vietnamese mobile number (10 digits starting with 0)",
	ReasonTooLong:      "too long for a Vietnamese mobile number (10 digits starting with 0)",
	ReasonLetters:      "contains letters",
	ReasonInvalidChar:  "contains a character that is not a digit, space, dot, dash or parenthesis",
	ReasonCountryCode:  "not a Vietnamese number (country code is not +84)",
	ReasonLandline:     "a landline number; a mobile number is needed",
	ReasonNotMobile:    "not a Vietnamese mobile prefix (03, 05, 07, 08, 09)",
	ReasonOldPrefixBad: "an 11-digit number with an unknown old mobile prefix",
}

// nsnLen is the length of a Vietnamese mobile national significant number:
// the digits after +84, or after the trunk 0.
const nsnLen = 9

// oldPrefixes maps the 11-digit mobile prefixes retired in the 2018
// conversion (without the trunk 0) to their 10-digit replacements. Source:
// Ministry of Information and Communications, conversion from 15/9/2018.
var oldPrefixes = map[string]string{
	// MobiFone
	"120": "70", "121": "79", "122": "77", "126": "76", "128": "78",
	// VinaPhone
	"123": "83", "124": "84", "125": "85", "127": "81", "129": "82",
	// Viettel
	"162": "32", "163": "33", "164": "34", "165": "35",
	"166": "36", "167": "37", "168": "38", "169": "39",
	// Vietnamobile
	"186": "56", "188": "58",
	// Gmobile
	"199": "59",
}

// mobileFirstDigit lists the first digit after +84 of every mobile range in
// use since the 2018 conversion (03x, 05x, 07x, 08x, 09x).
const mobileFirstDigit = "35789"

// Normalize turns a Vietnamese mobile number written in any common way
// ("0912 345 678", "0912.345.678", "(+84) 912-345-678", "0084912345678",
// "84912345678", the old 11-digit "01688 123 456", or "912345678" as a
// spreadsheet shows a number whose leading zero it dropped) into E.164
// "+84xxxxxxxxx". It returns an *Error (one of the Err sentinels) otherwise.
func Normalize(s string) (string, error) {
	digits, plus, err := scan(s)
	if err != nil {
		return "", err
	}
	nsn, err := nationalNumber(digits, plus)
	if err != nil {
		return "", err
	}
	return "+84" + nsn, nil
}

// scan keeps the digits of s, accepting a single leading "+" and separators
// people type or spreadsheets insert. NFKC first folds full-width digits and
// plus signs, and every kind of no-break space, to their plain forms.
func scan(s string) (digits string, plus bool, err error) {
	s = norm.NFKC.String(s)
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			b.WriteByte(byte(r))
		case r == '+':
			// One plus, before any digit: "(+84)" is fine, "84+9" is not.
			if plus || b.Len() > 0 {
				return "", false, ErrInvalidChar
			}
			plus = true
		case isSeparator(r):
		case unicode.IsLetter(r):
			return "", false, ErrLetters
		default:
			return "", false, ErrInvalidChar
		}
	}
	if b.Len() == 0 {
		if plus {
			return "", false, ErrTooShort
		}
		return "", false, ErrEmpty
	}
	return b.String(), plus, nil
}

// isSeparator reports whether r may appear between digit groups. The
// apostrophe is how spreadsheet users force a number to stay text ('0912…).
func isSeparator(r rune) bool {
	switch r {
	case '.', ',', '-', '(', ')', '/', '_', '\'',
		'\u2010', '\u2011', '\u2012', '\u2013', '\u2014', '\u2212': // hyphens, dashes, minus
		return true
	}
	// Zero-width characters come along when numbers are copied from web pages.
	return unicode.IsSpace(r) || r == '\u200b' || r == '\ufeff'
}

// nationalNumber strips the international or trunk prefix from digits and
// returns the 9-digit national significant number of a mobile.
func nationalNumber(d string, plus bool) (string, error) {
	var nsn string
	switch {
	case plus:
		if !strings.HasPrefix(d, "84") {
			if len(d) < 3 {
				return "", ErrTooShort
			}
			return "", ErrCountryCode
		}
		nsn = d[2:]
	case strings.HasPrefix(d, "00"):
		if !strings.HasPrefix(d, "0084") {
			if len(d) < 5 {
				return "", ErrTooShort
			}
			return "", ErrCountryCode
		}
		nsn = d[4:]
	case strings.HasPrefix(d, "0"):
		nsn = d[1:]
	case strings.HasPrefix(d, "84") && (len(d) == 2+nsnLen || len(d) == 2+nsnLen+1):
		// "84912345678" as Telegram shares a contact; a bare 9- or 10-digit
		// number never starts with 84 at these lengths, so this is unambiguous.
		nsn = d[2:]
	case len(d) == nsnLen || (len(d) == nsnLen+1 && d[0] == '1'):
		// A spreadsheet stored the number as a number and dropped the leading 0.
		nsn = d
	case len(d) < nsnLen:
		return "", ErrTooShort
	default:
		return "", ErrTooLong
	}
	// "+84 (0) 912…" and "+840912…": a trunk 0 kept after the country code.
	if len(nsn) > nsnLen && nsn[0] == '0' {
		nsn = nsn[1:]
	}
	switch {
	case len(nsn) == nsnLen+1 && nsn[0] == '1':
		repl, ok := oldPrefixes[nsn[:3]]
		if !ok {
			return "", ErrOldPrefixBad
		}
		nsn = repl + nsn[3:]
	case len(nsn) == nsnLen+1 && nsn[0] == '2':
		return "", ErrLandline
	case len(nsn) < nsnLen:
		return "", ErrTooShort
	case len(nsn) > nsnLen:
		return "", ErrTooLong
	}
	if !strings.ContainsRune(mobileFirstDigit, rune(nsn[0])) {
		if nsn[0] == '2' {
			return "", ErrLandline
		}
		return "", ErrNotMobile
	}
	return nsn, nil
}

// Display formats an E.164 Vietnamese mobile number the way people write it:
// "+84912345678" → "0912 345 678". Anything else is returned unchanged.
func Display(e164 string) string {
	if !IsE164(e164) {
		return e164
	}
	n := "0" + e164[3:]
	return n[:4] + " " + n[4:7] + " " + n[7:]
}

// IsE164 reports whether s is already a normalized Vietnamese mobile number
// ("+84" followed by 9 digits, the first of them a mobile range).
func IsE164(s string) bool {
	if len(s) != 3+nsnLen || !strings.HasPrefix(s, "+84") {
		return false
	}
	for i := 3; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return strings.ContainsRune(mobileFirstDigit, rune(s[3]))
}
