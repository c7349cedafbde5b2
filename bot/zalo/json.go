package zalo

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
)

// flexString decodes a JSON string or number into its literal text. Zalo
// sends ids, timestamps and sizes as strings, sometimes as numbers; they are
// big integers, so they must never pass through float64.
type flexString string

// UnmarshalJSON implements json.Unmarshaler.
func (f *flexString) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case len(b) == 0 || bytes.Equal(b, []byte("null")):
		*f = ""
	case b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*f = flexString(s)
	case b[0] == '-' || (b[0] >= '0' && b[0] <= '9'):
		*f = flexString(b) // the number literal, digits untouched
	default:
		return fmt.Errorf("zalo: want a string or number, got %.20s", b)
	}
	return nil
}

// float parses f as a float64 (coordinates only).
func (f flexString) float() (float64, bool) {
	v, err := strconv.ParseFloat(string(f), 64)
	return v, err == nil
}

// int parses f as an int64.
func (f flexString) int() (int64, bool) {
	v, err := strconv.ParseInt(string(f), 10, 64)
	return v, err == nil
}
