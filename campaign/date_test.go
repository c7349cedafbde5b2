package campaign

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/BurntSushi/toml"
)

func TestDateTOML(t *testing.T) {
	tests := []struct {
		name    string
		doc     string
		want    Date
		wantErr string
	}{
		{"local date", "d = 2024-08-19", NewDate(2024, 8, 19), ""},
		{"quoted date", `d = "2025-02-03"`, NewDate(2025, 2, 3), ""},
		{"offset date-time", "d = 2024-08-19T00:00:00+07:00", Date{}, "has a time of day or offset"},
		{"local date-time", "d = 2024-08-19T08:00:00", Date{}, "has a time of day or offset"},
		{"local time", "d = 08:00:00", Date{}, "has a time of day or offset"},
		{"day-first string", `d = "19/08/2024"`, Date{}, "is not YYYY-MM-DD"},
		{"impossible day", `d = "2025-02-30"`, Date{}, "is not YYYY-MM-DD"},
		{"number", "d = 20240819", Date{}, "must look like 2024-08-19"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var v struct {
				D Date `toml:"d"`
			}
			_, err := toml.Decode(tt.doc, &v)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if v.D != tt.want {
				t.Errorf("got %v, want %v", v.D, tt.want)
			}
		})
	}
}

func TestDateRoundTrip(t *testing.T) {
	in := struct {
		D Date `toml:"d" json:"d"`
	}{NewDate(2024, 8, 19)}

	var buf bytes.Buffer
	if err := toml.NewEncoder(&buf).Encode(in); err != nil {
		t.Fatal(err)
	}
	if got := strings.TrimSpace(buf.String()); got != "d = 2024-08-19" {
		t.Errorf("TOML = %q, want a bare local date", got)
	}
	out := in
	out.D = Date{}
	if _, err := toml.Decode(buf.String(), &out); err != nil || out != in {
		t.Errorf("TOML round trip = %v, %v", out, err)
	}

	js, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	if string(js) != `{"d":"2024-08-19"}` {
		t.Errorf("JSON = %s", js)
	}
	out.D = Date{}
	if err := json.Unmarshal(js, &out); err != nil || out != in {
		t.Errorf("JSON round trip = %v, %v", out, err)
	}
}

func TestDateArithmetic(t *testing.T) {
	tests := []struct {
		name string
		d    Date
		n    int
		want Date
	}{
		{"across a month", NewDate(2025, 1, 31), 1, NewDate(2025, 2, 1)},
		{"across a year", NewDate(2024, 12, 31), 1, NewDate(2025, 1, 1)},
		{"leap day", NewDate(2024, 2, 28), 1, NewDate(2024, 2, 29)},
		{"backwards", NewDate(2025, 3, 1), -1, NewDate(2025, 2, 28)},
		{"a phase", NewDate(2024, 8, 19), 168, NewDate(2025, 2, 3)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.d.AddDays(tt.n)
			if got != tt.want {
				t.Fatalf("AddDays(%d) = %v, want %v", tt.n, got, tt.want)
			}
			if back := got.DaysSince(tt.d); back != tt.n {
				t.Errorf("DaysSince = %d, want %d", back, tt.n)
			}
		})
	}
}

func TestDateCompare(t *testing.T) {
	a, b := NewDate(2024, 8, 19), NewDate(2024, 9, 1)
	if !a.Before(b) || a.After(b) || !b.After(a) || a.Compare(a) != 0 || a.Compare(b) != -1 || b.Compare(a) != 1 {
		t.Error("comparison of 2024-08-19 and 2024-09-01 is wrong")
	}
	if !(Date{}).IsZero() || a.IsZero() {
		t.Error("IsZero is wrong")
	}
	if NewDate(2025, 2, 29) != NewDate(2025, 3, 1) {
		t.Error("NewDate does not normalise like time.Date")
	}
}

func TestDateOf(t *testing.T) {
	loc := hoChiMinh(t)
	instant := time.Date(2025, 2, 3, 17, 30, 0, 0, time.UTC)
	if got := DateOf(instant, loc); got != NewDate(2025, 2, 4) {
		t.Errorf("DateOf in Ho Chi Minh = %v, want 2025-02-04", got)
	}
	if got := DateOf(instant, nil); got != NewDate(2025, 2, 3) {
		t.Errorf("DateOf with nil location = %v, want the UTC date", got)
	}
	if got := NewDate(2025, 2, 4).In(loc); !got.Equal(time.Date(2025, 2, 3, 17, 0, 0, 0, time.UTC)) {
		t.Errorf("In = %v, want local midnight", got)
	}
}
