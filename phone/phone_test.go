package phone

import (
	"errors"
	"regexp"
	"testing"
)

func TestNormalize(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
	}{
		{name: "national spaces", in: "0912 345 678", want: "+84912345678"},
		{name: "national dots", in: "0912.345.678", want: "+84912345678"},
		{name: "national plain", in: "0912345678", want: "+84912345678"},
		{name: "national dashes", in: "0912-345-678", want: "+84912345678"},
		{name: "e164", in: "+84912345678", want: "+84912345678"},
		{name: "country code dashes", in: "84-912-345-678", want: "+84912345678"},
		{name: "country code bare as Telegram shares it", in: "84912345678", want: "+84912345678"},
		{name: "plus in parentheses", in: "(+84) 912 345 678", want: "+84912345678"},
		{name: "international 00", in: "0084912345678", want: "+84912345678"},
		{name: "international 00 spaced", in: "00 84 912 345 678", want: "+84912345678"},
		{name: "no-break spaces", in: "0912\u00a0345\u00a0678", want: "+84912345678"},
		{name: "narrow no-break spaces", in: "0912\u202f345\u202f678", want: "+84912345678"},
		{name: "tabs and newline around", in: "\t 0912 345 678 \n", want: "+84912345678"},
		{name: "zero width space from a web page", in: "0912\u200b345678", want: "+84912345678"},
		{name: "full-width digits", in: "\uff10\uff19\uff11\uff12\uff13\uff14\uff15\uff16\uff17\uff18", want: "+84912345678"},
		{name: "en dash", in: "0912–345–678", want: "+84912345678"},
		{name: "slashes", in: "0912/345/678", want: "+84912345678"},
		{name: "spreadsheet apostrophe", in: "'0912345678", want: "+84912345678"},
		{name: "trunk zero kept after country code", in: "+84 (0) 912 345 678", want: "+84912345678"},
		{name: "trunk zero glued to country code", in: "+840912345678", want: "+84912345678"},
		{name: "spreadsheet dropped leading zero", in: "912345678", want: "+84912345678"},
		{name: "viettel 03x", in: "0388 123 456", want: "+84388123456"},
		{name: "vietnamobile 05x", in: "0522 123 456", want: "+84522123456"},
		{name: "mobifone 07x", in: "0705 123 456", want: "+84705123456"},
		{name: "vinaphone 08x", in: "0888 123 456", want: "+84888123456"},

		// The 2018 conversion of 11-digit mobile numbers, every prefix.
		{name: "old 0120", in: "0120 1234 567", want: "+84701234567"},
		{name: "old 0121", in: "01211234567", want: "+84791234567"},
		{name: "old 0122", in: "01221234567", want: "+84771234567"},
		{name: "old 0123", in: "01231234567", want: "+84831234567"},
		{name: "old 0124", in: "01241234567", want: "+84841234567"},
		{name: "old 0125", in: "01251234567", want: "+84851234567"},
		{name: "old 0126", in: "01261234567", want: "+84761234567"},
		{name: "old 0127", in: "01271234567", want: "+84811234567"},
		{name: "old 0128", in: "01281234567", want: "+84781234567"},
		{name: "old 0129", in: "01291234567", want: "+84821234567"},
		{name: "old 0162", in: "01621234567", want: "+84321234567"},
		{name: "old 0163", in: "01631234567", want: "+84331234567"},
		{name: "old 0164", in: "01641234567", want: "+84341234567"},
		{name: "old 0165", in: "01651234567", want: "+84351234567"},
		{name: "old 0166", in: "01661234567", want: "+84361234567"},
		{name: "old 0167", in: "01671234567", want: "+84371234567"},
		{name: "old 0168", in: "01681234567", want: "+84381234567"},
		{name: "old 0169", in: "01691234567", want: "+84391234567"},
		{name: "old 0186", in: "01861234567", want: "+84561234567"},
		{name: "old 0188", in: "01881234567", want: "+84581234567"},
		{name: "old 0199", in: "01991234567", want: "+84591234567"},
		{name: "old prefix spaced", in: "01688 123 456", want: "+84388123456"},
		{name: "old prefix with country code", in: "+84 1688 123 456", want: "+84388123456"},
		{name: "old prefix bare country code", in: "841688123456", want: "+84388123456"},
		{name: "old prefix international", in: "00841688123456", want: "+84388123456"},
		{name: "old prefix spreadsheet dropped zero", in: "1688123456", want: "+84388123456"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Normalize(tt.in)
			if err != nil {
				t.Fatalf("Normalize(%q) error: %v", tt.in, err)
			}
			if got != tt.want {
				t.Errorf("Normalize(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestNormalizeRejects(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want *Error
	}{
		{name: "empty", in: "", want: ErrEmpty},
		{name: "only spaces", in: "   \u00a0 ", want: ErrEmpty},
		{name: "only separators", in: " - . ", want: ErrEmpty},
		{name: "plus alone", in: "+", want: ErrTooShort},
		{name: "too short", in: "0912 345 67", want: ErrTooShort},
		{name: "trunk zero only", in: "0", want: ErrTooShort},
		{name: "short with country code", in: "+84 912 345 67", want: ErrTooShort},
		{name: "country code only", in: "+84", want: ErrTooShort},
		{name: "international prefix only", in: "0084", want: ErrTooShort},
		{name: "few digits", in: "1234", want: ErrTooShort},
		{name: "too long", in: "0912 345 6789", want: ErrTooLong},
		{name: "too long with country code", in: "+84 912 345 6789", want: ErrTooLong},
		{name: "two numbers in one cell", in: "0912345678 0987654321", want: ErrTooLong},
		{name: "bare ten digits", in: "9123456789", want: ErrTooLong},
		{name: "letters", in: "0912 345 abc", want: ErrLetters},
		{name: "letter O for zero", in: "O912345678", want: ErrLetters},
		{name: "extension", in: "0912345678 ext 12", want: ErrLetters},
		{name: "vietnamese word", in: "không có", want: ErrLetters},
		{name: "scientific notation from a spreadsheet", in: "8.49123E+10", want: ErrLetters},
		{name: "star", in: "0912*345678", want: ErrInvalidChar},
		{name: "plus in the middle", in: "84+912345678", want: ErrInvalidChar},
		{name: "two plus signs", in: "++84912345678", want: ErrInvalidChar},
		{name: "semicolon", in: "0912345678;", want: ErrInvalidChar},
		{name: "control character", in: "0912\x00345678", want: ErrInvalidChar},
		{name: "united states", in: "+1 202 555 0123", want: ErrCountryCode},
		{name: "laos international", in: "00856 20 5555 1234", want: ErrCountryCode},
		{name: "cambodia", in: "+855 12 345 678", want: ErrCountryCode},
		{name: "hanoi landline", in: "024 3825 1234", want: ErrLandline},
		{name: "province landline", in: "0220 385 1234", want: ErrLandline},
		{name: "landline with country code", in: "+84 24 3825 1234", want: ErrLandline},
		{name: "short landline", in: "0243 825 123", want: ErrLandline},
		{name: "unassigned 04x", in: "0412 345 678", want: ErrNotMobile},
		{name: "unassigned 06x", in: "0612 345 678", want: ErrNotMobile},
		{name: "old prefix missing a digit", in: "0168 812 345", want: ErrNotMobile},
		{name: "old prefix never assigned", in: "0161 1234 567", want: ErrOldPrefixBad},
		{name: "old prefix 0187 never assigned", in: "01871234567", want: ErrOldPrefixBad},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Normalize(tt.in)
			if err == nil {
				t.Fatalf("Normalize(%q) = %q, want error %v", tt.in, got, tt.want)
			}
			if !errors.Is(err, tt.want) {
				t.Errorf("Normalize(%q) error = %v, want %v", tt.in, err, tt.want)
			}
			var pe *Error
			if !errors.As(err, &pe) || pe.Reason != tt.want.Reason {
				t.Errorf("Normalize(%q) error %v does not carry reason %q", tt.in, err, tt.want.Reason)
			}
			if got != "" {
				t.Errorf("Normalize(%q) returned %q with an error", tt.in, got)
			}
		})
	}
}

// TestOldPrefixTable pins the 2018 conversion table to the published one, so
// an edit to one side alone fails.
func TestOldPrefixTable(t *testing.T) {
	published := map[string]string{
		"0120": "070", "0121": "079", "0122": "077", "0126": "076", "0128": "078",
		"0123": "083", "0124": "084", "0125": "085", "0127": "081", "0129": "082",
		"0162": "032", "0163": "033", "0164": "034", "0165": "035",
		"0166": "036", "0167": "037", "0168": "038", "0169": "039",
		"0186": "056", "0188": "058", "0199": "059",
	}
	if len(oldPrefixes) != len(published) {
		t.Errorf("table has %d prefixes, published list has %d", len(oldPrefixes), len(published))
	}
	seen := map[string]string{}
	for old, repl := range published {
		if got := oldPrefixes[old[1:]]; got != repl[1:] {
			t.Errorf("old prefix %s maps to 0%s, want %s", old, got, repl)
		}
		if prev, dup := seen[repl]; dup {
			t.Errorf("new prefix %s used by both %s and %s", repl, prev, old)
		}
		seen[repl] = old
		got, err := Normalize(old + "1234567")
		if err != nil || got != "+84"+repl[1:]+"1234567" {
			t.Errorf("Normalize(%s1234567) = %q, %v", old, got, err)
		}
	}
}

func TestDisplay(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
	}{
		{name: "mobile", in: "+84912345678", want: "0912 345 678"},
		{name: "viettel", in: "+84388123456", want: "0388 123 456"},
		{name: "not normalized is unchanged", in: "0912345678", want: "0912345678"},
		{name: "foreign is unchanged", in: "+12025550123", want: "+12025550123"},
		{name: "empty", in: "", want: ""},
		{name: "too long is unchanged", in: "+849123456789", want: "+849123456789"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Display(tt.in); got != tt.want {
				t.Errorf("Display(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestErrorHasNoNumber(t *testing.T) {
	// Errors end up in logs; the number is personal data.
	_, err := Normalize("0912 345 67")
	if err == nil {
		t.Fatal("want error")
	}
	if regexp.MustCompile(`\d{4}`).MatchString(err.Error()) {
		t.Errorf("error %q leaks digits of the input", err)
	}
	for r, text := range reasonText {
		if text == "" {
			t.Errorf("reason %q has no text", r)
		}
	}
}

var e164 = regexp.MustCompile(`^\+84\d{9}$`)

func FuzzNormalize(f *testing.F) {
	for _, s := range []string{
		"0912 345 678", "0912.345.678", "+84912345678", "84-912-345-678",
		"(+84) 912 345 678", "0084912345678", "0912\u00a0345\u00a0678",
		"01688123456", "+84 1688 123 456", "912345678", "+840912345678",
		"024 3825 1234", "+1 202 555 0123", "abc", "", "+", "0",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := Normalize(s)
		if err != nil {
			var pe *Error
			if !errors.As(err, &pe) || reasonText[pe.Reason] == "" {
				t.Fatalf("Normalize(%q) error %v is not an *Error with a known reason", s, err)
			}
			if got != "" {
				t.Fatalf("Normalize(%q) = %q with error %v", s, got, err)
			}
			return
		}
		if !e164.MatchString(got) {
			t.Fatalf("Normalize(%q) = %q, not E.164", s, got)
		}
		if !IsE164(got) {
			t.Fatalf("Normalize(%q) = %q, IsE164 false", s, got)
		}
		if again, err := Normalize(got); err != nil || again != got {
			t.Fatalf("Normalize(%q) = %q, %v; not idempotent on %q", got, again, err, s)
		}
		if back, err := Normalize(Display(got)); err != nil || back != got {
			t.Fatalf("Normalize(Display(%q)) = %q, %v", got, back, err)
		}
	})
}
