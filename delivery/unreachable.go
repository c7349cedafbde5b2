package delivery

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/anttbot/anttbot/store"
)

// Undelivered is a person that at least one notification could not reach.
type Undelivered struct {
	Person store.Person
	// Count is how many notifications did not reach them since the date asked.
	Count int
	// Kinds are the kinds of those notifications, sorted.
	Kinds []string
	// LastAt is when the last one was given up.
	LastAt time.Time
	// LastTried says why, for the last one ("telegram:Forbidden: bot was
	// blocked by the user", "zalo:marked unreachable", "no linked chat").
	LastTried []string
}

// Unreachable lists the active people of the given units (each with its
// whole subtree) whom a notification could not reach since the given time,
// in the order of Store.PeopleInUnit (team by team, leaders first), for the
// summaries that tell team leaders and commune police whom to contact
// another way. It reads the queue's audit entries (AuditUnreachable).
//
// It runs one query per person: fine for a commune or a district; a
// province-wide list wants a store query by action and time.
func Unreachable(ctx context.Context, st *store.Store, unitIDs []int64, since time.Time) ([]Undelivered, error) {
	seen := map[int64]bool{}
	var out []Undelivered
	for _, u := range unitIDs {
		people, err := st.PeopleInUnit(ctx, u)
		if err != nil {
			return nil, fmt.Errorf("delivery: unreachable in unit %d: %w", u, err)
		}
		for _, p := range people {
			if seen[p.ID] {
				continue
			}
			seen[p.ID] = true
			entries, err := st.AuditEntries(ctx, "person", strconv.FormatInt(p.ID, 10))
			if err != nil {
				return nil, fmt.Errorf("delivery: unreachable in unit %d: %w", u, err)
			}
			d := Undelivered{Person: p}
			for _, e := range entries {
				if e.Action != AuditUnreachable || e.At.Before(since) {
					continue
				}
				var det auditDetail
				_ = json.Unmarshal([]byte(e.Detail), &det) // a malformed detail still counts
				d.Count++
				if det.Kind != "" && !slices.Contains(d.Kinds, det.Kind) {
					d.Kinds = append(d.Kinds, det.Kind)
				}
				if !e.At.Before(d.LastAt) {
					d.LastAt, d.LastTried = e.At, det.Tried
				}
			}
			if d.Count > 0 {
				slices.Sort(d.Kinds)
				out = append(out, d)
			}
		}
	}
	return out, nil
}
