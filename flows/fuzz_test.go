package flows

import (
	"strings"
	"testing"
	"time"

	"github.com/anttbot/anttbot/campaign"
)

// FuzzParseCommand checks the command parser on any typed text: a command
// found is one of the known ones, with its arguments trimmed, and text that
// starts with a slash is either a command or reported unknown, never taken
// as an answer.
func FuzzParseCommand(f *testing.F) {
	specs := BuiltinCommands()
	for _, s := range []string{"/start", "/start abc", "/baocao@anttbot_bot", "/BAOCAO", "báo cáo", "/báo cáo", "/huy   ", "/", "//", "/@", " /cuatoi x ", "hủy", "HUỶ", "\u0301", "/\xff", "huy\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		cmd, ok, unknown := parseCommand(specs, text)
		if ok && unknown {
			t.Fatalf("%q is both a command and unknown", text)
		}
		if ok {
			known := false
			for _, s := range specs {
				known = known || s.Name == cmd.spec.Name
			}
			if !known {
				t.Fatalf("%q parsed as unknown command %q", text, cmd.spec.Name)
			}
			if cmd.args != strings.TrimSpace(cmd.args) {
				t.Fatalf("arguments %q not trimmed", cmd.args)
			}
		}
		if strings.HasPrefix(strings.TrimSpace(text), "/") && !ok && !unknown {
			t.Fatalf("%q starts with a slash but is neither a command nor unknown", text)
		}
	})
}

// FuzzParseDay checks the typed-day parser: an accepted day is a real
// calendar day, never in the future when the year was not typed (a typed
// future year is left to the step's range check).
func FuzzParseDay(f *testing.F) {
	for _, s := range []string{"hôm nay", "Hôm qua", "hom kia", "25/7", "31/02", "29/2/2024", "29-02-23", "1.1.99", "28/12", "00/00", "7/ 7 /2025", "١٢/٣", "99/99/9999", "", "\xff"} {
		f.Add(s, uint16(2025), uint8(1), uint8(5))
	}
	f.Fuzz(func(t *testing.T, text string, y uint16, m, d uint8) {
		today := campaign.NewDate(2000+int(y)%100, time.Month(1+int(m)%12), 1+int(d)%28)
		got, p := parseDay(text, today)
		if p != nil {
			if !got.IsZero() {
				t.Fatalf("%q: a problem and a date %v", text, got)
			}
			return
		}
		if got != campaign.NewDate(got.Year, got.Month, got.Day) {
			t.Fatalf("%q gave a day that does not exist: %+v", text, got)
		}
		typedYear := strings.Count(text, "/")+strings.Count(text, "-")+strings.Count(text, ".") >= 2
		if !typedYear && got.After(today) {
			t.Fatalf("%q read as %v, after today %v", text, got, today)
		}
	})
}

// FuzzParseTap checks step button data both ways: what stepData makes
// parses back to the same tap, and whatever parses is made of a valid draft
// id, a non-negative sequence and a code.
func FuzzParseTap(f *testing.F) {
	for _, s := range []string{"abc.0.ok", "d1.12.skip", "x.-1.ok", "x.1.", ".1.ok", "a.b.c", "a.1.b.c", "a.+1.ok", "a.01.ok", "aaaaaaaaaaaaaaaaa.1.ok", "\xff.1.ok"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data string) {
		tap, ok := parseTap(data)
		if !ok {
			return
		}
		if tap.Draft == "" || len(tap.Draft) > maxDraftID || tap.Seq < 0 || tap.Code == "" {
			t.Fatalf("%q parsed into an invalid tap %+v", data, tap)
		}
		for _, r := range tap.Draft {
			if !isIDRune(r) {
				t.Fatalf("%q: draft id %q has %q", data, tap.Draft, r)
			}
		}
		back, ok := parseTap(stepData(&Draft{ID: tap.Draft, Seq: tap.Seq}, tap.Code))
		if !ok || back != tap {
			t.Fatalf("%q: %+v does not survive stepData (%+v, %v)", data, tap, back, ok)
		}
	})
}
