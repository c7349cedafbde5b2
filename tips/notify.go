package tips

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/anttbot/anttbot/access"
	"github.com/anttbot/anttbot/bot"
	"github.com/anttbot/anttbot/delivery"
	"github.com/anttbot/anttbot/store"
)

// CreateSubmission stores a confirmed report like store.CreateSubmission
// and, for a new report of a kind that notifies the police, queues its push
// in the same transaction: the push exists exactly when the report does.
// It has the signature of store.CreateSubmission so the report flow can call
// it in its place.
func (t *Tips) CreateSubmission(ctx context.Context, sub *store.Submission, source string) (created bool, err error) {
	err = t.st.InTx(ctx, func(tx *store.Store) error {
		var err error
		created, err = tx.CreateSubmission(ctx, sub, source)
		if err != nil || !created {
			return err
		}
		return t.NotifyTx(ctx, tx, *sub)
	})
	if err != nil {
		return false, err
	}
	return created, nil
}

// NotifyTx queues the push of a newly stored report in tx (a Store inside
// InTx): one message (and its photos) per linked officer of the commune
// police. With no officer linked there, the tip is escalated at once to the
// nearest level up that has one, and that is recorded. Reports of kinds that
// do not notify the police are left alone.
func (t *Tips) NotifyTx(ctx context.Context, tx *store.Store, sub store.Submission) error {
	if !t.Notifies(sub.Kind) {
		return nil
	}
	levels, err := t.chain(ctx, tx, sub)
	if err != nil {
		return err
	}
	return t.pushFrom(ctx, tx, sub, levels, 0, "", t.now())
}

// level is one step of a tip's police chain. Its reachable officers are
// read when a push first needs them (withOfficers): a tip pushed to its
// commune never reads the district's and the province's.
type level struct {
	level    store.Level
	role     store.Role
	teamID   int64
	officers []officer
	loaded   bool
}

// officer is a police officer with a chat the bot can reach.
type officer struct {
	person store.Person
	lang   string
}

// chain returns the police levels above a tip, nearest first: the commune,
// the district when the commune has one, the province.
func (t *Tips) chain(ctx context.Context, st *store.Store, sub store.Submission) ([]level, error) {
	// A team merged since the tip was made: its successor's police take
	// over, as they took over its people.
	team, err := st.UnitByID(ctx, sub.TeamID)
	for i := 0; err == nil && team.MergedIntoID != nil && i < 32; i++ {
		team, err = st.UnitByID(ctx, *team.MergedIntoID)
	}
	if err != nil {
		return nil, fmtErr("police chain of tip", sub.ID, err)
	}
	anc, err := st.Ancestors(ctx, team.ID)
	if err != nil {
		return nil, fmtErr("police chain of tip", sub.ID, err)
	}
	hasDistrict := false
	for _, u := range anc {
		hasDistrict = hasDistrict || u.Level == store.LevelDistrict
	}
	steps := []struct {
		level store.Level
		role  store.Role
	}{{store.LevelCommune, store.RoleCommunePolice}}
	if hasDistrict {
		steps = append(steps, struct {
			level store.Level
			role  store.Role
		}{store.LevelDistrict, store.RoleDistrictPolice})
	}
	steps = append(steps, struct {
		level store.Level
		role  store.Role
	}{store.LevelProvince, store.RoleProvincePolice})

	out := make([]level, 0, len(steps))
	for _, s := range steps {
		out = append(out, level{level: s.level, role: s.role, teamID: team.ID})
	}
	return out, nil
}

// withOfficers reads the reachable officers of lv once.
func (t *Tips) withOfficers(ctx context.Context, st *store.Store, sub store.Submission, lv *level) error {
	if lv.loaded {
		return nil
	}
	people, err := st.PoliceOf(ctx, lv.teamID, lv.role)
	if err != nil {
		return fmtErr("police chain of tip", sub.ID, err)
	}
	if lv.officers, err = t.reachable(ctx, st, people); err != nil {
		return fmtErr("police chain of tip", sub.ID, err)
	}
	lv.loaded = true
	return nil
}

// reachable keeps the people with at least one chat not marked unreachable,
// with the language to write to them in.
func (t *Tips) reachable(ctx context.Context, st *store.Store, people []store.Person) ([]officer, error) {
	if len(people) == 0 {
		return nil, nil
	}
	ids := make([]int64, len(people))
	for i, p := range people {
		ids[i] = p.ID
	}
	idents, err := st.IdentitiesOf(ctx, ids)
	if err != nil {
		return nil, err
	}
	var out []officer
	for _, p := range people {
		ok, lang := false, p.Locale
		for _, id := range idents {
			if id.PersonID != p.ID || id.UnreachableAt != nil {
				continue
			}
			ok = true
			if lang == "" {
				lang = id.Locale
			}
		}
		if ok {
			out = append(out, officer{person: p, lang: t.lang(lang)})
		}
	}
	return out, nil
}

// lang picks a supported language, the default otherwise.
func (t *Tips) lang(l string) string {
	switch l {
	case "vi", "en":
		return l
	}
	return t.opts.DefaultLang
}

// pushFrom pushes the tip to the first level at or after from that has
// officers. Levels passed over on the way are recorded as escalations
// because nobody could be reached; reason is the reason for the level at
// from when from > 0 (timeout, when Escalate moves a tip up). It returns
// errAlreadyEscalated when another run escalated the tip first.
func (t *Tips) pushFrom(ctx context.Context, tx *store.Store, sub store.Submission, levels []level, from int, reason string, now time.Time) error {
	for i := from; i < len(levels); i++ {
		if err := t.withOfficers(ctx, tx, sub, &levels[i]); err != nil {
			return err
		}
		lv := levels[i]
		if i > 0 {
			why := store.EscalationNoOfficer
			if i == from && reason != "" {
				why = reason
			}
			ok, err := tx.AddTipEscalation(ctx, store.TipEscalation{SubmissionID: sub.ID, Level: lv.level, Reason: why,
				Officers: len(lv.officers), At: now})
			if err != nil {
				return err
			}
			if !ok {
				return errAlreadyEscalated
			}
			if err := audit(ctx, tx, 0, AuditEscalated, sub.ID, fmt.Sprintf("level=%s reason=%s officers=%d", lv.level, why, len(lv.officers))); err != nil {
				return err
			}
			t.log.InfoContext(ctx, "tip escalated", "submission_id", sub.ID, "level", string(lv.level), "reason", why, "officers", len(lv.officers))
		}
		if len(lv.officers) == 0 {
			continue
		}
		var escalated string
		if i > 0 {
			escalated = store.EscalationNoOfficer
			if i == from && reason != "" {
				escalated = reason
			}
		}
		return t.push(ctx, tx, sub, lv, escalated)
	}
	t.log.ErrorContext(ctx, "tip reached no police officer at any level", "submission_id", sub.ID, "team_id", sub.TeamID)
	return audit(ctx, tx, 0, AuditUnrouted, sub.ID, "")
}

var errAlreadyEscalated = errors.New("tips: already escalated by another run")

// push queues the tip to every officer of one level. Each recipient is
// checked with the policy, which also audits that they read the tip and its
// source.
func (t *Tips) push(ctx context.Context, tx *store.Store, sub store.Submission, lv level, escalated string) error {
	pol := t.policy.WithStore(tx)
	v, err := t.load(ctx, tx, sub)
	if err != nil {
		return err
	}
	var jobs []delivery.Job
	kind := delivery.KindTipNew
	if escalated != "" {
		kind = KindTipEscalation
	}
	for _, o := range lv.officers {
		if err := pol.Check(ctx, o.person, access.ReadTipSource, access.SubjectOf(sub)); err != nil {
			if _, denied := access.IsDenied(err); denied {
				// The chain and the policy disagree: never push, and say so.
				t.log.ErrorContext(ctx, "officer of the tip's chain refused by the policy", "submission_id", sub.ID, "person_id", o.person.ID)
				continue
			}
			return err
		}
		text, buttons := t.policeView(v, lv.level, o.lang, escalated)
		jobs = append(jobs, delivery.Job{
			To:           delivery.ToPerson(o.person.ID),
			Message:      bot.Message{Text: text, Buttons: buttons},
			Kind:         kind,
			DedupeKey:    fmt.Sprintf("tip:%d:push:%s:%d", sub.ID, lv.level, o.person.ID),
			Urgent:       true,
			Scheduled:    true,
			TemplateData: t.templateData(v, o.lang),
			Ref:          pushRef(sub.ID, lv.level),
		})
		for i, a := range v.photos {
			jobs = append(jobs, delivery.Job{
				To: delivery.ToPerson(o.person.ID),
				Message: bot.Message{Text: t.tr.T(o.lang, "tips.police.photo_caption", "Ref", sub.ID),
					Photo: &bot.Media{FileID: a.FileID, URL: a.URL}},
				Kind:      KindTipPhoto,
				DedupeKey: fmt.Sprintf("tip:%d:photo:%d:%s:%d", sub.ID, i, lv.level, o.person.ID),
				Urgent:    true,
				Scheduled: true,
				Ref:       "tip:" + strconv.FormatInt(sub.ID, 10) + ":photo",
			})
		}
	}
	if err := delivery.Enqueue(ctx, tx, jobs...); err != nil {
		return fmtErr("queue push of tip", sub.ID, err)
	}
	t.log.InfoContext(ctx, "tip pushed", "submission_id", sub.ID, "level", string(lv.level), "officers", len(lv.officers), "urgent", sub.Urgent)
	return nil
}

// pushRef is the Ref of a pushed tip message, parsed back by OnSent.
func pushRef(subID int64, l store.Level) string {
	return "tip:" + strconv.FormatInt(subID, 10) + ":push:" + string(l)
}

// templateData fills the Zalo ZNS template used outside the messaging
// window: the reference and kind only, never the tip's text.
func (t *Tips) templateData(v *view, lang string) map[string]string {
	return map[string]string{"ref": strconv.FormatInt(v.sub.ID, 10), "kind": v.kindName(lang)}
}
