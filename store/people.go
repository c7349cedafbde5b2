package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// roleOrder sorts people leader first, then deputy, members, police.
const roleOrder = "CASE role WHEN 'to_truong' THEN 0 WHEN 'to_pho' THEN 1 WHEN 'to_vien' THEN 2 ELSE 3 END"

// PersonByID returns a person, active or not.
func (s *Store) PersonByID(ctx context.Context, id int64) (Person, error) {
	var p Person
	if err := first(s.q(ctx).Where("id = ?", id), &p); err != nil {
		return Person{}, fmt.Errorf("store: person %d: %w", id, err)
	}
	return p, nil
}

// PersonByPhone returns the person with that normalized ("+84…") phone.
func (s *Store) PersonByPhone(ctx context.Context, phone string) (Person, error) {
	if phone == "" {
		return Person{}, fmt.Errorf("store: person by phone: empty phone: %w", ErrNotFound)
	}
	var p Person
	if err := first(s.q(ctx).Where("phone = ?", phone), &p); err != nil {
		// The phone is personal data: keep it out of the error text.
		return Person{}, fmt.Errorf("store: person by phone: %w", err)
	}
	return p, nil
}

// CreatePerson inserts p and sets its ID; ErrDuplicate when the phone is
// taken. Set Active explicitly: false is written as given.
func (s *Store) CreatePerson(ctx context.Context, p *Person) error {
	p.Name = nfc(p.Name)
	if p.Name == "" || !p.Role.Valid() || p.UnitID == 0 {
		return fmt.Errorf("store: create person: name, valid role and unit are required: %w", ErrInvalid)
	}
	if err := s.q(ctx).Create(p).Error; err != nil {
		return fmt.Errorf("store: create person: %w", duplicate(err))
	}
	return nil
}

// SetPersonLocale sets a person's preferred language.
func (s *Store) SetPersonLocale(ctx context.Context, personID int64, locale string) error {
	res := s.q(ctx).Model(&Person{}).Where("id = ?", personID).
		Updates(map[string]any{"locale": locale, "updated_at": s.clock()})
	if res.Error != nil {
		return fmt.Errorf("store: set locale of person %d: %w", personID, res.Error)
	}
	if res.RowsAffected == 0 {
		return fmt.Errorf("store: set locale of person %d: %w", personID, ErrNotFound)
	}
	return nil
}

// PersonByIdentity returns the person linked to a platform account.
// It runs on every incoming update: one joined query, or a cached copy.
//
// Outside a transaction the answer may come from a cache that is checked
// against the people generation first (see personCache): as current as a
// read of the tables, for one single-row read.
func (s *Store) PersonByIdentity(ctx context.Context, channel, externalID string) (Person, Identity, error) {
	if s.inTx || s.people == nil {
		return s.personByIdentity(ctx, channel, externalID)
	}
	gen, err := s.people.gen(ctx)
	if err != nil {
		return s.personByIdentity(ctx, channel, externalID)
	}
	key := personKey(channel, externalID)
	if p, i, ok := s.people.get(key, gen); ok {
		return p, i, nil
	}
	p, i, err := s.personByIdentity(ctx, channel, externalID)
	if err == nil {
		s.people.put(key, gen, p, i)
	}
	return p, i, err
}

func (s *Store) personByIdentity(ctx context.Context, channel, externalID string) (Person, Identity, error) {
	var rows []personIdentity
	err := s.q(ctx).Table("identities AS i").Select(personIdentityColumns).
		Joins("JOIN people AS p ON p.id = i.person_id").
		Where("i.channel = ? AND i.external_id = ?", channel, externalID).
		Limit(1).Scan(&rows).Error
	if err != nil {
		return Person{}, Identity{}, fmt.Errorf("store: identity %s:%s: %w", channel, externalID, err)
	}
	if len(rows) == 0 {
		return Person{}, Identity{}, fmt.Errorf("store: identity %s:%s: %w", channel, externalID, ErrNotFound)
	}
	r := rows[0]
	return r.Person, r.Identity, nil
}

// personIdentity is one row of PersonByIdentity's join.
type personIdentity struct {
	Person   Person   `gorm:"embedded;embeddedPrefix:p_"`
	Identity Identity `gorm:"embedded;embeddedPrefix:i_"`
}

const personIdentityColumns = `p.id AS p_id, p.name AS p_name, p.phone AS p_phone, p.role AS p_role,
	p.unit_id AS p_unit_id, p.locale AS p_locale, p.active AS p_active,
	p.created_at AS p_created_at, p.updated_at AS p_updated_at,
	i.id AS i_id, i.person_id AS i_person_id, i.channel AS i_channel, i.external_id AS i_external_id,
	i.chat_id AS i_chat_id, i.locale AS i_locale, i.linked_at AS i_linked_at, i.last_seen_at AS i_last_seen_at,
	i.unreachable_at AS i_unreachable_at, i.unreachable_reason AS i_unreachable_reason`

// LinkIdentity links a platform account to a person; calling it again is
// harmless (it refreshes chat id, locale when given, last seen, and clears
// unreachable). An account linked to somebody else is moved to personID and
// the move is audited. A person has at most one identity per channel: an
// older account of theirs on the same channel is unlinked (audited).
func (s *Store) LinkIdentity(ctx context.Context, personID int64, channel, externalID, chatID, locale string) (Identity, error) {
	if channel == "" || externalID == "" {
		return Identity{}, fmt.Errorf("store: link identity: channel and external id are required: %w", ErrInvalid)
	}
	var out Identity
	link := func() error {
		return s.tx(ctx, func(tx *Store) error {
			var err error
			out, err = tx.linkIdentity(ctx, personID, channel, externalID, chatID, locale)
			return err
		})
	}
	err := link()
	if errors.Is(err, gorm.ErrDuplicatedKey) {
		// A concurrent first link of the same account won the insert; the
		// second attempt finds its row and updates it.
		err = link()
	}
	return out, err
}

func (s *Store) linkIdentity(ctx context.Context, personID int64, channel, externalID, chatID, locale string) (Identity, error) {
	if _, err := s.PersonByID(ctx, personID); err != nil {
		return Identity{}, fmt.Errorf("store: link identity: %w", err)
	}
	now := s.clock()
	subject := channel + ":" + externalID
	var cur Identity
	err := first(s.q(ctx).Where("channel = ? AND external_id = ?", channel, externalID), &cur)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return Identity{}, fmt.Errorf("store: link identity %s: %w", subject, err)
	}
	found := err == nil
	if !found || cur.PersonID != personID {
		// Make room: one identity per person and channel.
		var old []Identity
		if err := s.q(ctx).Where("person_id = ? AND channel = ? AND external_id <> ?", personID, channel, externalID).Find(&old).Error; err != nil {
			return Identity{}, fmt.Errorf("store: link identity %s: %w", subject, err)
		}
		for _, o := range old {
			if err := s.q(ctx).Delete(&Identity{}, o.ID).Error; err != nil {
				return Identity{}, fmt.Errorf("store: unlink identity %s:%s: %w", o.Channel, o.ExternalID, err)
			}
			if err := s.Audit(ctx, AuditLog{At: now, ActorID: &personID, Action: "identity.replace", SubjectType: "identity",
				SubjectID: o.Channel + ":" + o.ExternalID, Detail: fmt.Sprintf("person %d linked %s instead", personID, subject)}); err != nil {
				return Identity{}, err
			}
		}
	}
	if !found {
		cur = Identity{PersonID: personID, Channel: channel, ExternalID: externalID, ChatID: chatID, Locale: locale, LinkedAt: now, LastSeenAt: now}
		if err := s.q(ctx).Create(&cur).Error; err != nil {
			return Identity{}, fmt.Errorf("store: link identity %s: %w", subject, err)
		}
		return cur, nil
	}
	set := map[string]any{"last_seen_at": now, "unreachable_at": nil, "unreachable_reason": ""}
	if chatID != "" {
		set["chat_id"] = chatID
	}
	if locale != "" {
		set["locale"] = locale
	}
	if cur.PersonID != personID {
		set["person_id"] = personID
		set["linked_at"] = now
		if err := s.Audit(ctx, AuditLog{At: now, ActorID: &personID, Action: "identity.relink", SubjectType: "identity",
			SubjectID: subject, Detail: fmt.Sprintf("person %d -> %d", cur.PersonID, personID)}); err != nil {
			return Identity{}, err
		}
	}
	if err := s.q(ctx).Model(&Identity{}).Where("id = ?", cur.ID).Updates(set).Error; err != nil {
		return Identity{}, fmt.Errorf("store: link identity %s: %w", subject, err)
	}
	if err := first(s.q(ctx).Where("id = ?", cur.ID), &cur); err != nil {
		return Identity{}, fmt.Errorf("store: link identity %s: reload: %w", subject, err)
	}
	return cur, nil
}

// IdentitiesOf returns the identities of the given people, by person and channel.
func (s *Store) IdentitiesOf(ctx context.Context, personIDs []int64) ([]Identity, error) {
	if len(personIDs) == 0 {
		return nil, nil
	}
	var ids []Identity
	if err := s.q(ctx).Where("person_id IN ?", personIDs).Order("person_id, channel, id").Find(&ids).Error; err != nil {
		return nil, fmt.Errorf("store: identities of %d people: %w", len(personIDs), err)
	}
	return ids, nil
}

// SetIdentityLocale records the language chosen in one chat.
func (s *Store) SetIdentityLocale(ctx context.Context, channel, externalID, locale string) error {
	return s.updateIdentity(ctx, channel, externalID, "set locale", map[string]any{"locale": locale})
}

// TouchIdentity records that the user wrote at at; it clears unreachable.
func (s *Store) TouchIdentity(ctx context.Context, channel, externalID string, at time.Time) error {
	err := s.updateIdentity(ctx, channel, externalID, "touch",
		map[string]any{"last_seen_at": utc(at), "unreachable_at": nil, "unreachable_reason": ""})
	if err == nil && s.people != nil && !s.inTx {
		s.people.touched(personKey(channel, externalID), utc(at))
	}
	return err
}

// MarkUnreachable records that the platform refused delivery (blocked,
// unfollowed, outside the messaging window) so senders can skip the chat.
func (s *Store) MarkUnreachable(ctx context.Context, channel, externalID, reason string, at time.Time) error {
	return s.updateIdentity(ctx, channel, externalID, "mark unreachable",
		map[string]any{"unreachable_at": utc(at), "unreachable_reason": reason})
}

func (s *Store) updateIdentity(ctx context.Context, channel, externalID, what string, set map[string]any) error {
	res := s.q(ctx).Model(&Identity{}).Where("channel = ? AND external_id = ?", channel, externalID).Updates(set)
	if res.Error != nil {
		return fmt.Errorf("store: %s identity %s:%s: %w", what, channel, externalID, res.Error)
	}
	if res.RowsAffected == 0 {
		return fmt.Errorf("store: %s identity %s:%s: %w", what, channel, externalID, ErrNotFound)
	}
	return nil
}

// PoliceOf returns the active people with a police role attached to the unit
// that role serves for unitID: for cong_an_xa the commune of unitID (a team
// resolves to its commune), for cong_an_huyen its district or, without one,
// its province, for cong_an_tinh its province. Empty when there is none.
func (s *Store) PoliceOf(ctx context.Context, unitID int64, role Role) ([]Person, error) {
	var levels []Level
	switch role {
	case RoleCommunePolice:
		levels = []Level{LevelCommune}
	case RoleDistrictPolice:
		levels = []Level{LevelDistrict, LevelProvince}
	case RoleProvincePolice:
		levels = []Level{LevelProvince}
	default:
		return nil, fmt.Errorf("store: police of unit %d: %q is not a police role: %w", unitID, role, ErrInvalid)
	}
	u, err := s.ancestorAt(ctx, unitID, levels...)
	if errors.Is(err, ErrNotFound) {
		if _, err := s.UnitByID(ctx, unitID); err != nil {
			return nil, fmt.Errorf("store: police of unit: %w", err)
		}
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("store: police of unit %d: %w", unitID, err)
	}
	// A merged unit's police moved to its successor with the merge.
	if u, err = s.liveSuccessor(ctx, u); err != nil {
		return nil, fmt.Errorf("store: police of unit %d: %w", unitID, err)
	}
	var ps []Person
	if err := s.q(ctx).Where("unit_id = ? AND role = ? AND active", u.ID, role).Order("name, id").Find(&ps).Error; err != nil {
		return nil, fmt.Errorf("store: police of unit %d: %w", unitID, err)
	}
	return ps, nil
}

// TeamMembers returns a team's active leader, deputies and members, in that order.
func (s *Store) TeamMembers(ctx context.Context, teamID int64) ([]Person, error) {
	var ps []Person
	err := s.q(ctx).Where("unit_id = ? AND role IN ? AND active", teamID, []Role{RoleLeader, RoleDeputy, RoleMember}).
		Order(roleOrder + ", name, id").Find(&ps).Error
	if err != nil {
		return nil, fmt.Errorf("store: members of team %d: %w", teamID, err)
	}
	return ps, nil
}

// PeopleInUnit returns the active people attached to unitID or anywhere in
// its subtree (merged-in units included), team by team, leaders first.
func (s *Store) PeopleInUnit(ctx context.Context, unitID int64) ([]Person, error) {
	var ps []Person
	err := s.q(ctx).Raw("WITH RECURSIVE "+subtreeCTE+
		" SELECT * FROM people WHERE unit_id IN (SELECT id FROM subtree) AND active ORDER BY unit_id, "+roleOrder+", name, id", unitID).
		Scan(&ps).Error
	if err != nil {
		return nil, fmt.Errorf("store: people in unit %d: %w", unitID, err)
	}
	return ps, nil
}
