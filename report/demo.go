package report

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/anttbot/anttbot/campaign"
	"github.com/anttbot/anttbot/store"
)

// demoHistoryKey marks a database whose demo organisation has its history.
const demoHistoryKey = "demo.history_seeded_at"

// demoDeeds, demoTips and demoAreas are the answers of the seeded reports.
// They are demo data, like the demo organisation's names, not interface text.
var (
	demoDeeds = []string{
		"Trả lại ví cho người đánh rơi ở chợ",
		"Giúp cụ bà qua đường trước cổng trường",
		"Cùng bà con dọn vệ sinh đường làng",
		"Đưa người bị ngã xe đi trạm y tế",
		"Sửa lại đèn đường ở ngõ 3",
		"Tìm giúp em nhỏ đi lạc về nhà",
	}
	demoTips = []string{
		"Mấy người lạ tối nào cũng tụ tập ở bãi đất sau chợ",
		"Có người rao bán xe máy không giấy tờ",
		"Nghi có nhóm đánh bạc trong quán nước đầu thôn",
	}
	demoAreas  = []string{"Đường liên thôn", "Khu chợ", "Cổng trường"}
	demoModels = []struct {
		phase int
		team  int
		name  string
	}{
		{0, 0, "Camera an ninh"},
		{1, 1, "Tổ tự quản về ANTT"},
		{1, 0, "Khu dân cư an toàn về ANTT"},
	}
)

// SeedDemoHistory gives the demo organisation of store.SeedDemo a modest
// history across the campaign's phases, up to now, so that /tongket in the
// simulator shows a real scorecard: thôn Đông reports a verified good deed
// every month and all its members patrol; thôn Tây has months without a
// good deed (one filled by a commendation) and a member who never patrols;
// tips every month, a few incidents with members present and one without,
// models recognised by the police, and the police figures entered for
// every phase except the members' violations of the last phase, which
// shows as not measurable. It is idempotent: once seeded (recorded in kv)
// it writes nothing. rng varies days and hours; the outcome is the same.
func SeedDemoHistory(ctx context.Context, st *store.Store, camp *campaign.Campaign, demo store.DemoOrg, now time.Time, loc *time.Location, rng *rand.Rand) error {
	if len(demo.Teams) < 2 || len(demo.People) < 9 {
		return fmt.Errorf("report: seed demo history: want the demo organisation of store.SeedDemo, got %d teams and %d people", len(demo.Teams), len(demo.People))
	}
	if loc == nil {
		loc = time.UTC
	}
	return st.InTx(ctx, func(tx *store.Store) error {
		if _, err := tx.GetKV(ctx, demoHistoryKey); err == nil {
			return nil
		} else if !errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("report: seed demo history: %w", err)
		}
		d := demoSeeder{tx: tx, camp: camp, demo: demo, now: now, loc: loc, rng: rng, police: demo.People[0].ID}
		for i, p := range camp.Phases {
			if err := d.phase(ctx, i, PhasePeriod(p, loc)); err != nil {
				return fmt.Errorf("report: seed demo history %s: %w", p.ID, err)
			}
		}
		return tx.SetKV(ctx, demoHistoryKey, now.UTC().Format(time.RFC3339))
	})
}

type demoSeeder struct {
	tx     *store.Store
	camp   *campaign.Campaign
	demo   store.DemoOrg
	now    time.Time
	loc    *time.Location
	rng    *rand.Rand
	police int64
	n      int
}

// members returns the people of team i (leader, deputy, two members).
func (d *demoSeeder) members(team int) []store.Person { return d.demo.People[1+4*team : 5+4*team] }

// at returns a random daytime instant within sp, or false when sp has not
// started by now.
func (d *demoSeeder) at(sp store.Span) (time.Time, bool) {
	to := sp.To
	if d.now.Before(to) {
		to = d.now
	}
	days := int(to.Sub(sp.From).Hours() / 24)
	if days < 1 {
		return time.Time{}, false
	}
	day := sp.From.AddDate(0, 0, d.rng.IntN(days))
	t := time.Date(day.Year(), day.Month(), day.Day(), 7+d.rng.IntN(13), d.rng.IntN(60), 0, 0, d.loc)
	return t, t.Before(to)
}

// report stores one report; verified ones are verified by the officer the
// next day.
func (d *demoSeeder) report(ctx context.Context, kind, status string, team int, who store.Person, when time.Time, answers store.JSONMap, source string) (int64, error) {
	d.n++
	sub := &store.Submission{Kind: kind, Status: status, TeamID: d.demo.Teams[team].ID, CommuneID: d.demo.Commune.ID,
		ReporterID: who.ID, OccurredAt: when, Answers: answers, IdempotencyKey: fmt.Sprintf("demo-history-%d", d.n)}
	if p, ok := d.camp.PhaseAt(when, d.loc); ok {
		sub.PhaseID = p.ID
	}
	if status == store.StatusVerified || status == store.StatusRejected {
		by, at := d.police, when.Add(24*time.Hour)
		sub.VerifiedByID, sub.VerifiedAt = &by, &at
	}
	if _, err := d.tx.CreateSubmission(ctx, sub, source); err != nil {
		return 0, err
	}
	return sub.ID, nil
}

func (d *demoSeeder) phase(ctx context.Context, index int, p Period) error {
	last := index == len(d.camp.Phases)-1
	tips := 0
	for mi, m := range p.Months() {
		for team := range 2 {
			ms := d.members(team)
			// Good deeds: Đông every month, Tây every other month; one of
			// Tây's empty months has a commendation instead.
			if team == 0 || mi%2 == 0 {
				for k := range 1 + d.rng.IntN(2) {
					when, ok := d.at(m.Span)
					if !ok {
						break
					}
					who := ms[(mi+k)%len(ms)]
					what := demoDeeds[d.rng.IntN(len(demoDeeds))]
					if _, err := d.report(ctx, campaign.KindGoodDeed, store.StatusVerified, team, who, when, store.JSONMap{"what": what}, ""); err != nil {
						return err
					}
				}
			} else if mi == 1 && d.now.After(m.Calendar.To) {
				if err := d.tx.SetPoliceFigure(ctx, store.PoliceFigure{UnitID: d.demo.Teams[team].ID, Figure: campaign.FigureCommendations,
					PeriodStart: m.Calendar.From, PeriodEnd: m.Calendar.To, Value: 1}, d.police); err != nil {
					return err
				}
			}
			// A tip a month from each team; the first of Tây's each phase is
			// still pending.
			if when, ok := d.at(m.Span); ok {
				status := store.StatusVerified
				if team == 1 && mi == 0 {
					status = store.StatusPending
				}
				answers := store.JSONMap{"category": "suspicious", "what": demoTips[d.rng.IntN(len(demoTips))], "where": demoAreas[d.rng.IntN(len(demoAreas))], "urgent": false}
				if _, err := d.report(ctx, campaign.KindTip, status, team, ms[2+d.rng.IntN(2)], when, answers, "Người dân trong thôn"); err != nil {
					return err
				}
				if status == store.StatusVerified {
					tips++
				}
			}
		}
	}
	// Patrols: everyone in Đông, all of Tây but its last member.
	for team := range 2 {
		for i, who := range d.members(team) {
			if team == 1 && i == 3 {
				continue
			}
			if when, ok := d.at(p.Span()); ok {
				answers := store.JSONMap{"activity": "security", "hours": 2.0, "area": demoAreas[i%len(demoAreas)]}
				if _, err := d.report(ctx, campaign.KindPatrol, store.StatusVerified, team, who, when, answers, ""); err != nil {
					return err
				}
			}
		}
	}
	// Models, recognised by the police.
	for _, m := range demoModels {
		if m.phase != index {
			continue
		}
		when, ok := d.at(p.Span())
		if !ok {
			continue
		}
		id, err := d.report(ctx, campaign.KindModel, store.StatusVerified, m.team, d.members(m.team)[0], when,
			store.JSONMap{"model_name": m.name, "role": "propose", "description": m.name}, "")
		if err != nil {
			return err
		}
		if err := d.tx.MarkRecognised(ctx, id, d.police, when.Add(7*24*time.Hour)); err != nil {
			return err
		}
	}
	// Incidents: two security incidents, the last phase's second without a
	// member present, and a fire call-out attended by Đông's leader.
	events := []struct {
		kind    string
		present bool
	}{{store.IncidentANTT, true}, {store.IncidentANTT, !last}, {store.IncidentFire, true}}
	for i, e := range events {
		when, ok := d.at(p.Span())
		if !ok {
			continue
		}
		in := store.Incident{CommuneID: d.demo.Commune.ID, Kind: e.kind, OccurredAt: when, LoggedByID: &d.police}
		if err := d.tx.CreateIncident(ctx, &in); err != nil {
			return err
		}
		if e.present {
			arrived := when.Add(15 * time.Minute)
			if _, err := d.tx.RecordPresence(ctx, in.ID, d.members(i % 2)[0].ID, &arrived, store.PresencePolice, &d.police); err != nil {
				return err
			}
		}
	}
	// Police figures, once the phase is over.
	if !p.Over(d.now) {
		return nil
	}
	figures := map[string]float64{
		campaign.FigureTipsReceivedTotal:   math.Ceil(float64(tips) / 0.9),
		campaign.FigureViolatingBusinesses: 0,
		campaign.FigureResidentInfoPercent: 93,
		campaign.FigureIllegalWeapons:      0,
		campaign.FigureReoffences:          0,
		campaign.FigureReleasedTotal:       2,
		campaign.FigureReleasedSupported:   2,
		campaign.FigureSeriousAccidents:    0,
		campaign.FigureMemberViolations:    0,
	}
	if last {
		delete(figures, campaign.FigureMemberViolations)
	}
	for _, name := range d.camp.Figures() {
		v, ok := figures[name]
		if !ok {
			continue
		}
		if err := d.tx.SetPoliceFigure(ctx, store.PoliceFigure{UnitID: d.demo.Commune.ID, Figure: name,
			PeriodStart: p.From, PeriodEnd: p.To, Value: v}, d.police); err != nil {
			return err
		}
	}
	return nil
}
