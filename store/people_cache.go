package store

import (
	"context"
	"database/sql"
	"sync"
	"time"
)

// personCache keeps the person behind each chat, so that a member's step does
// not join people and identities on every update. An entry is served only
// while the database's people generation (people_gen, bumped at the commit
// of every change to people or identities other than a last-seen time; see
// migration 0009) is still the one read before the entry was loaded: the
// check is one single-row read, and a change committed by any replica or by
// `anttbot import` makes every copy stale at once, so a removed or moved
// member is never served from a copy.
type personCache struct {
	mu sync.Mutex
	m  map[string]cachedPerson
	db *sql.DB
}

type cachedPerson struct {
	gen    int64
	person Person
	ident  Identity
}

// maxCachedPeople bounds the cache; when it is full it starts again empty.
const maxCachedPeople = 100_000

func newPersonCache(db *sql.DB) *personCache {
	return &personCache{m: make(map[string]cachedPerson), db: db}
}

func personKey(channel, externalID string) string { return channel + "\x00" + externalID }

// gen reads the people generation; an error (a database not migrated yet,
// say) means the cache is not used.
func (c *personCache) gen(ctx context.Context) (int64, error) {
	var g int64
	err := c.db.QueryRowContext(ctx, "SELECT gen FROM people_gen WHERE id = 1").Scan(&g)
	return g, err
}

func (c *personCache) get(key string, gen int64) (Person, Identity, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[key]
	if !ok || e.gen != gen {
		return Person{}, Identity{}, false
	}
	return e.person, copyIdentity(e.ident), true
}

func (c *personCache) put(key string, gen int64, p Person, i Identity) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= maxCachedPeople {
		c.m = make(map[string]cachedPerson)
	}
	c.m[key] = cachedPerson{gen: gen, person: p, ident: copyIdentity(i)}
}

// touched records a last-seen time written by this process (it does not
// change the generation): without it every update after the first minute
// would write the time again.
func (c *personCache) touched(key string, at time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.m[key]; ok {
		e.ident.LastSeenAt, e.ident.UnreachableAt, e.ident.UnreachableReason = at, nil, ""
		c.m[key] = e
	}
}

// copyIdentity keeps callers from sharing the cached entry's pointer.
func copyIdentity(i Identity) Identity {
	if i.UnreachableAt != nil {
		t := *i.UnreachableAt
		i.UnreachableAt = &t
	}
	return i
}
