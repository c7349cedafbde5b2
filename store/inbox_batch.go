package store

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// InboxKey names one journaled update.
type InboxKey struct {
	Channel  string
	UpdateID string
}

// inboxBatchMax bounds the rows of one statement, well under the bind
// parameter limits of PostgreSQL (65,535) and SQLite (32,766).
const inboxBatchMax = 1000

// InboxAppendMany journals several incoming updates in one statement (one
// round trip, one commit outside a transaction): the group commit of
// concurrent webhooks. fresh[i] tells, as InboxAppend does, whether evs[i]
// was newly journaled; when the same key appears twice in evs only the
// first can be fresh. Each event needs Channel, UpdateID, ReceivedAt and
// ClaimedBy; a fresh row is created claimed at ReceivedAt.
func (s *Store) InboxAppendMany(ctx context.Context, evs []InboxEvent) ([]bool, error) {
	fresh := make([]bool, len(evs))
	first := make(map[InboxKey]int, len(evs))
	var (
		sb   strings.Builder
		args []any
		idx  []int // evs index of each inserted row
	)
	sb.WriteString("INSERT INTO inbox (channel, update_id, chat_id, payload, received_at, claimed_at, claimed_by, attempts) VALUES ")
	for i, ev := range evs {
		if ev.Channel == "" || ev.UpdateID == "" {
			return nil, fmt.Errorf("store: inbox append: channel and update id are required: %w", ErrInvalid)
		}
		k := InboxKey{ev.Channel, ev.UpdateID}
		if _, dup := first[k]; dup {
			continue
		}
		first[k] = i
		if len(idx) > 0 {
			sb.WriteString(", ")
		}
		sb.WriteString("(?, ?, ?, ?, ?, ?, ?, 1)")
		payload := ev.Payload
		if payload == nil {
			payload = []byte{}
		}
		at := utc(ev.ReceivedAt)
		args = append(args, ev.Channel, ev.UpdateID, ev.ChatID, payload, at, at, ev.ClaimedBy)
		idx = append(idx, i)
	}
	if len(idx) == 0 {
		return fresh, nil
	}
	if len(idx) > inboxBatchMax {
		return nil, fmt.Errorf("store: inbox append: %d updates in one batch, at most %d: %w", len(idx), inboxBatchMax, ErrInvalid)
	}
	sb.WriteString(" ON CONFLICT (channel, update_id) DO NOTHING RETURNING channel, update_id")
	var rows []InboxKey
	if err := s.q(ctx).Raw(sb.String(), args...).Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("store: inbox append %d updates: %w", len(idx), err)
	}
	for _, k := range rows {
		if i, ok := first[k]; ok {
			fresh[i] = true
		}
	}
	return fresh, nil
}

// InboxDoneMany marks several updates handled at at in one statement.
// found[i] is false when keys[i] is not journaled (InboxDone's ErrNotFound).
func (s *Store) InboxDoneMany(ctx context.Context, keys []InboxKey, at time.Time) ([]bool, error) {
	found := make([]bool, len(keys))
	if len(keys) == 0 {
		return found, nil
	}
	if len(keys) > inboxBatchMax {
		return nil, fmt.Errorf("store: inbox done: %d updates in one batch, at most %d: %w", len(keys), inboxBatchMax, ErrInvalid)
	}
	var sb strings.Builder
	args := make([]any, 0, 1+2*len(keys))
	args = append(args, utc(at))
	sb.WriteString("UPDATE inbox SET processed_at = ? WHERE (channel, update_id) IN (")
	for i, k := range keys {
		if i > 0 {
			sb.WriteString(", ")
		}
		sb.WriteString("(?, ?)")
		args = append(args, k.Channel, k.UpdateID)
	}
	sb.WriteString(") RETURNING channel, update_id")
	var rows []InboxKey
	if err := s.q(ctx).Raw(sb.String(), args...).Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("store: inbox done %d updates: %w", len(keys), err)
	}
	hit := make(map[InboxKey]bool, len(rows))
	for _, k := range rows {
		hit[k] = true
	}
	for i, k := range keys {
		found[i] = hit[k]
	}
	return found, nil
}
