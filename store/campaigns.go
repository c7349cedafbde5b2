package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// CampaignVersion is one campaign file loaded at run time; the newest
// version is the campaign in use.
type CampaignVersion struct {
	Version    int64 `gorm:"primaryKey"`
	CampaignID string
	Source     string
	LoadedAt   time.Time
	LoadedByID *int64
	LoadedBy   string
}

// SaveCampaignVersion stores a validated campaign file as the newest
// version, in use from now on, and audits it.
func (s *Store) SaveCampaignVersion(ctx context.Context, v *CampaignVersion) error {
	if v.CampaignID == "" || v.Source == "" {
		return fmt.Errorf("store: save campaign: id and source are required: %w", ErrInvalid)
	}
	v.Version = 0
	if v.LoadedAt.IsZero() {
		v.LoadedAt = s.clock()
	}
	v.LoadedAt = utc(v.LoadedAt)
	return s.tx(ctx, func(tx *Store) error {
		if err := tx.q(ctx).Create(v).Error; err != nil {
			return fmt.Errorf("store: save campaign %s: %w", v.CampaignID, err)
		}
		return tx.Audit(ctx, AuditLog{ActorID: v.LoadedByID, Action: "campaign.load", SubjectType: "campaign",
			SubjectID: fmt.Sprint(v.Version), Detail: v.CampaignID + "; by " + v.LoadedBy})
	})
}

// CampaignVersions lists the loaded versions, newest (the active one) first,
// without their source.
func (s *Store) CampaignVersions(ctx context.Context) ([]CampaignVersion, error) {
	var vs []CampaignVersion
	if err := s.q(ctx).Omit("source").Select("version, campaign_id, loaded_at, loaded_by_id, loaded_by").
		Order("version DESC").Find(&vs).Error; err != nil {
		return nil, fmt.Errorf("store: campaign versions: %w", err)
	}
	return vs, nil
}

// ActiveCampaignVersion returns the newest version number, 0 when none was
// ever loaded: cheap enough to poll.
func (s *Store) ActiveCampaignVersion(ctx context.Context) (int64, error) {
	var v int64
	if err := s.q(ctx).Model(&CampaignVersion{}).Select("COALESCE(MAX(version), 0)").Scan(&v).Error; err != nil {
		return 0, fmt.Errorf("store: active campaign version: %w", err)
	}
	return v, nil
}

// ActiveCampaign returns the newest version with its source; ErrNotFound
// when none was ever loaded (the configured campaign is in use).
func (s *Store) ActiveCampaign(ctx context.Context) (CampaignVersion, error) {
	var v CampaignVersion
	err := s.q(ctx).Order("version DESC").Take(&v).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return CampaignVersion{}, fmt.Errorf("store: active campaign: %w", ErrNotFound)
	}
	if err != nil {
		return CampaignVersion{}, fmt.Errorf("store: active campaign: %w", err)
	}
	return v, nil
}
