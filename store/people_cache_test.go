package store_test

import (
	"errors"
	"testing"
	"time"

	"github.com/anttbot/anttbot/store"
	"github.com/anttbot/anttbot/store/storetest"
)

// TestPersonCacheSeesOtherWriters: the person behind a chat is served from
// this process's cache only while nobody has changed people or identities,
// whoever changed them (another replica, `anttbot import`: here a second
// store on the same database, writing SQL directly).
func TestPersonCacheSeesOtherWriters(t *testing.T) {
	for _, d := range storetest.Drivers() {
		t.Run(d, func(t *testing.T) {
			ctx := ctxT(t)
			dsn := storetest.DSN(t, d)
			s := storetest.Open(t, d, dsn)
			must(t, "migrate", s.Migrate(ctx))
			other := storetest.Open(t, d, dsn)
			f := loadOrg(t, s)
			member := f.person(phoneMember1)
			_, err := s.LinkIdentity(ctx, member.ID, store.ChannelTelegram, "555", "555", "")
			must(t, "link", err)

			p, ident, err := s.PersonByIdentity(ctx, store.ChannelTelegram, "555")
			must(t, "first read", err)
			if p.ID != member.ID || !p.Active {
				t.Fatalf("first read = %+v", p)
			}
			// A last-seen time changes no generation: the copy is served (so
			// the cache is really in use), with the time it was loaded with.
			later := ident.LastSeenAt.Add(time.Hour)
			must(t, "touch elsewhere", other.DB().Exec("UPDATE identities SET last_seen_at = ? WHERE external_id = '555'", later).Error)
			_, again, err := s.PersonByIdentity(ctx, store.ChannelTelegram, "555")
			must(t, "cached read", err)
			if !again.LastSeenAt.Equal(ident.LastSeenAt) {
				t.Fatalf("last seen %v after a touch elsewhere, want the cached %v", again.LastSeenAt, ident.LastSeenAt)
			}
			// This process's own touch is kept in its copy.
			mine := ident.LastSeenAt.Add(2 * time.Hour).UTC().Truncate(time.Microsecond)
			must(t, "touch", s.TouchIdentity(ctx, store.ChannelTelegram, "555", mine))
			if _, got, err := s.PersonByIdentity(ctx, store.ChannelTelegram, "555"); err != nil || !got.LastSeenAt.Equal(mine) {
				t.Fatalf("after our touch: last seen %v, %v; want %v", got.LastSeenAt, err, mine)
			}

			// Deactivated elsewhere: never served from the copy.
			must(t, "deactivate", other.DB().Exec("UPDATE people SET active = ? WHERE id = ?", false, member.ID).Error)
			p, _, err = s.PersonByIdentity(ctx, store.ChannelTelegram, "555")
			must(t, "read after deactivation", err)
			if p.Active {
				t.Fatal("a member deactivated by another writer was served active from the cache")
			}
			// Unlinked elsewhere: not found.
			must(t, "unlink", other.DB().Exec("DELETE FROM identities WHERE external_id = '555'").Error)
			if _, _, err := s.PersonByIdentity(ctx, store.ChannelTelegram, "555"); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("an identity removed by another writer: %v, want ErrNotFound", err)
			}
		})
	}
}
