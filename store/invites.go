package store

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"time"
)

// newInviteCode returns 16 URL-safe characters (96 random bits): short
// enough for a Telegram start parameter (64 chars of [A-Za-z0-9_-]), long
// enough not to be guessed.
func newInviteCode() string {
	var b [12]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go ≥ 1.24)
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// CreateInvite stores an invite, generating its Code when empty;
// ErrDuplicate when a given Code is taken.
func (s *Store) CreateInvite(ctx context.Context, inv Invite) (Invite, error) {
	if inv.UnitID == 0 || !inv.Role.Valid() || inv.ExpiresAt.IsZero() {
		return Invite{}, fmt.Errorf("store: create invite: unit, valid role and expiry are required: %w", ErrInvalid)
	}
	if inv.Code == "" {
		inv.Code = newInviteCode()
	}
	inv.ExpiresAt = utc(inv.ExpiresAt)
	inv.UsedAt, inv.UsedByID = nil, nil
	if err := s.q(ctx).Create(&inv).Error; err != nil {
		return Invite{}, fmt.Errorf("store: create invite for unit %d: %w", inv.UnitID, duplicate(err))
	}
	return inv, nil
}

// InviteByCode returns an invite whatever its state, so a flow can show
// what it grants before redeeming it.
func (s *Store) InviteByCode(ctx context.Context, code string) (Invite, error) {
	var inv Invite
	if err := first(s.q(ctx).Where("code = ?", code), &inv); err != nil {
		return Invite{}, fmt.Errorf("store: invite: %w", err)
	}
	return inv, nil
}

// RedeemInvite uses an invite once: it marks it used by personID and moves
// the person to the invite's unit and role, in one transaction. A used
// invite gives ErrInviteUsed, an expired one ErrInviteExpired, an unknown
// code ErrNotFound. Two people redeeming at once: one wins.
func (s *Store) RedeemInvite(ctx context.Context, code string, personID int64, now time.Time) (Invite, error) {
	now = utc(now)
	var inv Invite
	err := s.tx(ctx, func(tx *Store) error {
		if _, err := tx.PersonByID(ctx, personID); err != nil {
			return fmt.Errorf("store: redeem invite: %w", err)
		}
		res := tx.q(ctx).Model(&Invite{}).Where("code = ? AND used_at IS NULL AND expires_at > ?", code, now).
			Updates(map[string]any{"used_at": now, "used_by_id": personID})
		if res.Error != nil {
			return fmt.Errorf("store: redeem invite: %w", res.Error)
		}
		var err error
		inv, err = tx.InviteByCode(ctx, code)
		if err != nil {
			return fmt.Errorf("store: redeem: %w", err)
		}
		if res.RowsAffected == 0 {
			if inv.UsedAt != nil {
				return fmt.Errorf("store: redeem invite: %w", ErrInviteUsed)
			}
			return fmt.Errorf("store: redeem invite: %w", ErrInviteExpired)
		}
		if err := tx.q(ctx).Model(&Person{}).Where("id = ?", personID).
			Updates(map[string]any{"unit_id": inv.UnitID, "role": inv.Role, "active": true, "updated_at": tx.clock()}).Error; err != nil {
			return fmt.Errorf("store: redeem invite: update person %d: %w", personID, err)
		}
		return tx.Audit(ctx, AuditLog{At: now, ActorID: &personID, Action: "invite.redeem", SubjectType: "person",
			SubjectID: fmt.Sprint(personID), Detail: fmt.Sprintf("unit %d role %s", inv.UnitID, inv.Role)})
	})
	if err != nil {
		if errors.Is(err, ErrInviteUsed) || errors.Is(err, ErrInviteExpired) || errors.Is(err, ErrNotFound) {
			return inv, err
		}
		return Invite{}, err
	}
	return inv, nil
}

// JoinByInvite creates a person from an invite (its unit and role, active)
// and redeems the invite for them, in one transaction: nobody is created for
// a used or expired invite. p needs a Name; Phone and Locale are optional.
func (s *Store) JoinByInvite(ctx context.Context, code string, p Person, now time.Time) (Person, Invite, error) {
	var inv Invite
	err := s.tx(ctx, func(tx *Store) error {
		var err error
		if inv, err = tx.InviteByCode(ctx, code); err != nil {
			return fmt.Errorf("store: join by invite: %w", err)
		}
		p.ID, p.UnitID, p.Role, p.Active = 0, inv.UnitID, inv.Role, true
		if err := tx.CreatePerson(ctx, &p); err != nil {
			return err
		}
		inv, err = tx.RedeemInvite(ctx, code, p.ID, now)
		return err
	})
	if err != nil {
		return Person{}, inv, err
	}
	return p, inv, nil
}
