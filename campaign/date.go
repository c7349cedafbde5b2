package campaign

import (
	"fmt"
	"time"
)

// dateLayout is the ISO form of a civil date, as written in TOML and JSON.
const dateLayout = "2006-01-02"

// Date is a civil (calendar) date with no time of day and no time zone: the
// plan says "from 19/8/2024", which means midnight in whatever zone the
// service is configured for. In TOML it is a local date (start = 2024-08-19);
// a quoted "2024-08-19" is accepted too.
type Date struct {
	Year  int        // e.g. 2024
	Month time.Month // 1..12
	Day   int        // 1..31
}

// NewDate returns the date y-m-d, normalised the way time.Date does (so
// 2025-02-29 becomes 2025-03-01).
func NewDate(y int, m time.Month, d int) Date {
	return dateFromTime(time.Date(y, m, d, 0, 0, 0, 0, time.UTC))
}

// DateOf returns the civil date of the instant t in loc (nil means UTC).
func DateOf(t time.Time, loc *time.Location) Date {
	if loc == nil {
		loc = time.UTC
	}
	return dateFromTime(t.In(loc))
}

// ParseDate parses an ISO date "2024-08-19".
func ParseDate(s string) (Date, error) {
	t, err := time.Parse(dateLayout, s)
	if err != nil {
		return Date{}, fmt.Errorf("campaign: date %q is not YYYY-MM-DD: %w", s, err)
	}
	return dateFromTime(t), nil
}

func dateFromTime(t time.Time) Date {
	y, m, d := t.Date()
	return Date{Year: y, Month: m, Day: d}
}

// In returns the instant the date starts (local midnight) in loc (nil means UTC).
func (d Date) In(loc *time.Location) time.Time {
	if loc == nil {
		loc = time.UTC
	}
	return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, loc)
}

// IsZero reports whether d is the zero Date (not set).
func (d Date) IsZero() bool {
	return d == Date{}
}

// String returns the ISO form "2024-08-19".
func (d Date) String() string {
	return fmt.Sprintf("%04d-%02d-%02d", d.Year, int(d.Month), d.Day)
}

// Compare returns -1, 0 or +1 as d is before, equal to or after o.
func (d Date) Compare(o Date) int {
	switch {
	case d.Year != o.Year:
		return cmpInt(d.Year, o.Year)
	case d.Month != o.Month:
		return cmpInt(int(d.Month), int(o.Month))
	default:
		return cmpInt(d.Day, o.Day)
	}
}

func cmpInt(a, b int) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// Before reports whether d is an earlier day than o.
func (d Date) Before(o Date) bool { return d.Compare(o) < 0 }

// After reports whether d is a later day than o.
func (d Date) After(o Date) bool { return d.Compare(o) > 0 }

// AddDays returns the date n days after d (before, if n is negative).
func (d Date) AddDays(n int) Date {
	return dateFromTime(time.Date(d.Year, d.Month, d.Day+n, 0, 0, 0, 0, time.UTC))
}

// DaysSince returns the number of days from o to d (negative if d is before o).
func (d Date) DaysSince(o Date) int {
	// UTC has no DST, so the difference is an exact multiple of 24 hours.
	return int(d.In(time.UTC).Sub(o.In(time.UTC)) / (24 * time.Hour))
}

// MarshalText encodes the date as "2024-08-19" (JSON, session state).
func (d Date) MarshalText() ([]byte, error) {
	return []byte(d.String()), nil
}

// UnmarshalText decodes "2024-08-19".
func (d *Date) UnmarshalText(b []byte) error {
	v, err := ParseDate(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// MarshalTOML encodes the date as a bare TOML local date.
func (d Date) MarshalTOML() ([]byte, error) {
	return []byte(d.String()), nil
}

// UnmarshalTOML accepts a TOML local date (2024-08-19) or a string
// ("2024-08-19"). A date-time is refused: a phase boundary is a whole day, and
// an offset would silently move it.
func (d *Date) UnmarshalTOML(v any) error {
	switch v := v.(type) {
	case time.Time:
		// BurntSushi/toml marks a bare local date with a zone of this name.
		if v.Location().String() != "date-local" {
			return fmt.Errorf("campaign: date %s has a time of day or offset, want a plain date like 2024-08-19", v.Format(time.RFC3339))
		}
		*d = Date{Year: v.Year(), Month: v.Month(), Day: v.Day()}
		return nil
	case string:
		return d.UnmarshalText([]byte(v))
	default:
		return fmt.Errorf("campaign: date must look like 2024-08-19, got %T %v", v, v)
	}
}
