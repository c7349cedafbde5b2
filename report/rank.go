package report

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/anttbot/anttbot/campaign"
	"github.com/anttbot/anttbot/store"
)

// The rankings are the basis of a commendation proposal (đề nghị khen
// thưởng): every place comes with the achievements behind it, and ties are
// broken by fixed rules down to the unit's or person's id, so the same data
// always gives the same order.

// TeamRank is a team's place among the teams of a scorecard.
type TeamRank struct {
	Rank int
	// Card holds the team and its achievements.
	Card UnitCard
	// CommuneName is the name of the team's commune.
	CommuneName string
}

// CommuneRank is a commune's place among the communes of a scorecard.
type CommuneRank struct {
	Rank int
	Card UnitCard
}

// MemberRank is a member's place among the members of a scorecard's unit.
type MemberRank struct {
	Rank        int
	Person      store.Person
	TeamName    string
	CommuneName string
	// Counts are verified reports in the period by kind.
	Counts map[string]int64
	Total  int64
	// GoodDeedMonths is how many months of the period had a verified good
	// deed by the member, of Months.
	GoodDeedMonths, Months int
	// Patrolled is set when the member has a verified patrol in the period.
	Patrolled bool
}

// Ranking is every ranking of a scorecard.
type Ranking struct {
	Teams    []TeamRank
	Communes []CommuneRank
	Members  []MemberRank
}

// share compares a/b with c/d without division; a zero denominator is a
// share of 0.
func cmpShare(a, b, c, d int64) int {
	if b == 0 {
		a, b = 0, 1
	}
	if d == 0 {
		c, d = 0, 1
	}
	return cmp.Compare(a*d, c*b)
}

// RankTeams orders the scorecard's teams: most team targets met, then most
// months with a good deed, then the highest share of members who patrolled,
// then most verified reports, then most good deeds, then the lowest id.
func RankTeams(sc Scorecard) []TeamRank {
	cards := slices.Clone(sc.Teams)
	slices.SortFunc(cards, func(a, b UnitCard) int {
		return cmp.Or(
			-cmp.Compare(a.Met(), b.Met()),
			-cmp.Compare(a.GoodDeedMonths, b.GoodDeedMonths),
			-cmpShare(a.Patrolled, a.Members, b.Patrolled, b.Members),
			-cmp.Compare(a.Total(), b.Total()),
			-cmp.Compare(a.Counts[campaign.KindGoodDeed], b.Counts[campaign.KindGoodDeed]),
			cmp.Compare(a.Unit.ID, b.Unit.ID),
		)
	})
	out := make([]TeamRank, len(cards))
	for i, c := range cards {
		out[i] = TeamRank{Rank: i + 1, Card: c, CommuneName: sc.unitName(c.CommuneID)}
	}
	return out
}

// RankCommunes orders the scorecard's communes: most targets met, then the
// highest share of team-months with a good deed, then the highest share of
// members who patrolled, then most verified reports, then the lowest id.
func RankCommunes(sc Scorecard) []CommuneRank {
	cards := slices.Clone(sc.Communes)
	slices.SortFunc(cards, func(a, b UnitCard) int {
		return cmp.Or(
			-cmp.Compare(a.Met(), b.Met()),
			-cmpShare(int64(a.GoodDeedMonths), int64(a.Months), int64(b.GoodDeedMonths), int64(b.Months)),
			-cmpShare(a.Patrolled, a.Members, b.Patrolled, b.Members),
			-cmp.Compare(a.Total(), b.Total()),
			cmp.Compare(a.Unit.ID, b.Unit.ID),
		)
	})
	out := make([]CommuneRank, len(cards))
	for i, c := range cards {
		out[i] = CommuneRank{Rank: i + 1, Card: c}
	}
	return out
}

// RankQuerier is what RankMembers reads; *store.Store implements it.
type RankQuerier interface {
	PeopleInUnit(ctx context.Context, unitID int64) ([]store.Person, error)
	ReportMemberCounts(ctx context.Context, unitIDs []int64, from, to time.Time, spans []store.Span) ([]store.MemberCount, error)
}

// RankMembers orders the active team members of the scorecard's unit: most
// verified reports, then most months with a good deed, then most kinds of
// report, then those who patrolled, then the lowest id. Members without any
// report are listed last, so leaders see who has not reported.
func RankMembers(ctx context.Context, q RankQuerier, sc Scorecard) ([]MemberRank, error) {
	people, err := q.PeopleInUnit(ctx, sc.Unit.ID)
	if err != nil {
		return nil, fmt.Errorf("report: rank members: %w", err)
	}
	months := sc.Period.Months()
	spans := make([]store.Span, len(months))
	for i, m := range months {
		spans[i] = m.Span
	}
	counts, err := q.ReportMemberCounts(ctx, sc.Subtree, sc.Period.From, sc.Period.To, spans)
	if err != nil {
		return nil, fmt.Errorf("report: rank members: %w", err)
	}
	byPerson := map[int64][]store.MemberCount{}
	for _, c := range counts {
		byPerson[c.PersonID] = append(byPerson[c.PersonID], c)
	}
	commune := map[int64]int64{}
	for _, t := range sc.Teams {
		commune[t.Unit.ID] = t.CommuneID
	}
	var out []MemberRank
	for _, p := range people {
		if !p.Role.IsTeamMember() {
			continue
		}
		m := MemberRank{Person: p, TeamName: sc.unitName(p.UnitID), CommuneName: sc.unitName(commune[p.UnitID]),
			Counts: map[string]int64{}, Months: len(months)}
		for _, c := range byPerson[p.ID] {
			m.Counts[c.Kind] += c.N
			m.Total += c.N
			switch c.Kind {
			case campaign.KindGoodDeed:
				m.GoodDeedMonths = int(c.Spans)
			case campaign.KindPatrol:
				m.Patrolled = c.N > 0
			}
		}
		out = append(out, m)
	}
	slices.SortFunc(out, func(a, b MemberRank) int {
		return cmp.Or(
			-cmp.Compare(a.Total, b.Total),
			-cmp.Compare(a.GoodDeedMonths, b.GoodDeedMonths),
			-cmp.Compare(len(a.Counts), len(b.Counts)),
			-cmpBool(a.Patrolled, b.Patrolled),
			cmp.Compare(a.Person.ID, b.Person.ID),
		)
	})
	for i := range out {
		out[i].Rank = i + 1
	}
	return out, nil
}

func cmpBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}

// BuildRanking ranks the scorecard's teams, communes and members.
func BuildRanking(ctx context.Context, q RankQuerier, sc Scorecard) (Ranking, error) {
	members, err := RankMembers(ctx, q, sc)
	if err != nil {
		return Ranking{}, err
	}
	return Ranking{Teams: RankTeams(sc), Communes: RankCommunes(sc), Members: members}, nil
}
