package store

import (
	"context"
	"fmt"
)

// GetKV returns a setting, ErrNotFound when it was never set.
func (s *Store) GetKV(ctx context.Context, key string) (string, error) {
	var kv KV
	if err := first(s.q(ctx).Where(`"key" = ?`, key), &kv); err != nil {
		return "", fmt.Errorf("store: get kv %s: %w", key, err)
	}
	return kv.Value, nil
}

// SetKV creates or replaces a setting.
func (s *Store) SetKV(ctx context.Context, key, value string) error {
	err := s.q(ctx).Exec(`INSERT INTO kv ("key", value, updated_at) VALUES (?, ?, ?)
		ON CONFLICT ("key") DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
		key, value, s.clock()).Error
	if err != nil {
		return fmt.Errorf("store: set kv %s: %w", key, err)
	}
	return nil
}

// CompareAndSetKV sets key to newValue only if its current value is old, and
// reports whether it did. An old of "" also matches a key never set, so the
// first writer of a fresh key wins too.
func (s *Store) CompareAndSetKV(ctx context.Context, key, old, newValue string) (bool, error) {
	now := s.clock()
	var sql string
	var args []any
	if old == "" {
		sql = `INSERT INTO kv ("key", value, updated_at) VALUES (?, ?, ?)
			ON CONFLICT ("key") DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at WHERE kv.value = ''`
		args = []any{key, newValue, now}
	} else {
		sql = `UPDATE kv SET value = ?, updated_at = ? WHERE "key" = ? AND value = ?`
		args = []any{newValue, now, key, old}
	}
	res := s.q(ctx).Exec(sql, args...)
	if res.Error != nil {
		return false, fmt.Errorf("store: compare and set kv %s: %w", key, res.Error)
	}
	return res.RowsAffected == 1, nil
}
