package store

import (
	"database/sql/driver"
	"encoding/json"
	"fmt"
)

// JSONMap is a JSON object column (jsonb on PostgreSQL, TEXT on SQLite). Nil
// is stored as "{}" so the column is never NULL.
type JSONMap map[string]any

// Value implements driver.Valuer.
func (m JSONMap) Value() (driver.Value, error) {
	if m == nil {
		return "{}", nil
	}
	b, err := json.Marshal(map[string]any(m))
	if err != nil {
		return nil, fmt.Errorf("store: encode json map: %w", err)
	}
	return string(b), nil
}

// Scan implements sql.Scanner.
func (m *JSONMap) Scan(src any) error {
	b, err := jsonBytes(src)
	if err != nil {
		return fmt.Errorf("store: scan json map: %w", err)
	}
	out := JSONMap{}
	if len(b) > 0 {
		if err := json.Unmarshal(b, &out); err != nil {
			return fmt.Errorf("store: scan json map: %w", err)
		}
	}
	*m = out
	return nil
}

// JSONList is a JSON array of attachments (jsonb on PostgreSQL, TEXT on
// SQLite). Nil is stored as "[]".
type JSONList []Attachment

// Value implements driver.Valuer.
func (l JSONList) Value() (driver.Value, error) {
	if l == nil {
		return "[]", nil
	}
	b, err := json.Marshal([]Attachment(l))
	if err != nil {
		return nil, fmt.Errorf("store: encode json list: %w", err)
	}
	return string(b), nil
}

// Scan implements sql.Scanner.
func (l *JSONList) Scan(src any) error {
	b, err := jsonBytes(src)
	if err != nil {
		return fmt.Errorf("store: scan json list: %w", err)
	}
	var out JSONList
	if len(b) > 0 {
		if err := json.Unmarshal(b, &out); err != nil {
			return fmt.Errorf("store: scan json list: %w", err)
		}
	}
	*l = out
	return nil
}

// jsonBytes accepts what the drivers hand back for a JSON column: pgx gives
// string or []byte for jsonb, SQLite gives string for TEXT.
func jsonBytes(src any) ([]byte, error) {
	switch v := src.(type) {
	case nil:
		return nil, nil
	case []byte:
		return v, nil
	case string:
		return []byte(v), nil
	default:
		return nil, fmt.Errorf("unsupported type %T", src)
	}
}
