package store

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"gorm.io/gorm/clause"
)

// InboxAppend journals an incoming update before it is handled. fresh is
// false when (channel, updateID) is already journaled: the platform
// re-delivered it, or another replica received it first, and it must not be
// handled again. A fresh row is created already claimed by claimer.
func (s *Store) InboxAppend(ctx context.Context, channel, updateID, chatID string, payload []byte, at time.Time, claimer string) (fresh bool, err error) {
	if channel == "" || updateID == "" {
		return false, fmt.Errorf("store: inbox append: channel and update id are required: %w", ErrInvalid)
	}
	if payload == nil {
		payload = []byte{}
	}
	at = utc(at)
	ev := InboxEvent{Channel: channel, UpdateID: updateID, ChatID: chatID, Payload: payload,
		ReceivedAt: at, ClaimedAt: &at, ClaimedBy: claimer, Attempts: 1}
	res := s.q(ctx).Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "channel"}, {Name: "update_id"}}, DoNothing: true}).Create(&ev)
	if res.Error != nil {
		return false, fmt.Errorf("store: inbox append %s:%s: %w", channel, updateID, res.Error)
	}
	return res.RowsAffected == 1, nil
}

// InboxDone marks an update handled.
func (s *Store) InboxDone(ctx context.Context, channel, updateID string, at time.Time) error {
	res := s.q(ctx).Model(&InboxEvent{}).Where("channel = ? AND update_id = ?", channel, updateID).
		Update("processed_at", utc(at))
	if res.Error != nil {
		return fmt.Errorf("store: inbox done %s:%s: %w", channel, updateID, res.Error)
	}
	if res.RowsAffected == 0 {
		return fmt.Errorf("store: inbox done %s:%s: %w", channel, updateID, ErrNotFound)
	}
	return nil
}

// InboxClaimStale claims for claimer up to limit unprocessed events whose
// claim is older than staleBefore (the work of a replica that crashed),
// oldest first. Each event goes to one caller only, however many replicas
// call at once: on PostgreSQL the candidate rows are locked with SKIP LOCKED
// and the conditions re-checked on update; on SQLite the single UPDATE
// statement runs under the database's one write lock.
func (s *Store) InboxClaimStale(ctx context.Context, claimer string, staleBefore time.Time, limit int) ([]InboxEvent, error) {
	if limit <= 0 {
		return nil, nil
	}
	staleBefore = utc(staleBefore)
	lock := ""
	if s.driver == DriverPostgres {
		lock = " FOR UPDATE SKIP LOCKED"
	}
	const stale = "processed_at IS NULL AND (claimed_at IS NULL OR claimed_at < ?)"
	sql := "UPDATE inbox SET claimed_at = ?, claimed_by = ?, attempts = attempts + 1" +
		" WHERE " + stale + " AND id IN (SELECT id FROM inbox WHERE " + stale +
		" ORDER BY received_at, id LIMIT ?" + lock + ")" +
		" RETURNING id, channel, update_id, chat_id, payload, received_at, claimed_at, claimed_by, processed_at, attempts"
	var evs []InboxEvent
	if err := s.q(ctx).Raw(sql, s.clock(), claimer, staleBefore, staleBefore, limit).Scan(&evs).Error; err != nil {
		return nil, fmt.Errorf("store: inbox claim stale: %w", err)
	}
	// RETURNING gives no order.
	slices.SortFunc(evs, func(a, b InboxEvent) int {
		if c := a.ReceivedAt.Compare(b.ReceivedAt); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
	return evs, nil
}

// InboxPurge deletes events processed before processedBefore and returns
// how many. Unprocessed events are kept whatever their age.
func (s *Store) InboxPurge(ctx context.Context, processedBefore time.Time) (int64, error) {
	res := s.q(ctx).Where("processed_at IS NOT NULL AND processed_at < ?", utc(processedBefore)).Delete(&InboxEvent{})
	if res.Error != nil {
		return 0, fmt.Errorf("store: inbox purge: %w", res.Error)
	}
	return res.RowsAffected, nil
}
