package store_test

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/anttbot/anttbot/store"
)

func TestKV(t *testing.T) {
	forEachDriver(t, func(t *testing.T, s *store.Store) {
		ctx := ctxT(t)
		if _, err := s.GetKV(ctx, "telegram.offset"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("missing key: %v", err)
		}
		must(t, "set", s.SetKV(ctx, "telegram.offset", "100"))
		must(t, "replace", s.SetKV(ctx, "telegram.offset", "101"))
		if v, err := s.GetKV(ctx, "telegram.offset"); err != nil || v != "101" {
			t.Fatalf("get = %q, %v", v, err)
		}
		steps := []struct {
			name, key, old, new string
			want                bool
			after               string
		}{
			{name: "matching old", key: "telegram.offset", old: "101", new: "102", want: true, after: "102"},
			{name: "stale old", key: "telegram.offset", old: "101", new: "999", want: false, after: "102"},
			{name: "empty old on fresh key", key: "zalo.token", old: "", new: "t1", want: true, after: "t1"},
			{name: "empty old on set key", key: "zalo.token", old: "", new: "t2", want: false, after: "t1"},
			{name: "old on missing key", key: "nothing", old: "x", new: "y", want: false},
		}
		for _, st := range steps {
			t.Run(st.name, func(t *testing.T) {
				ok, err := s.CompareAndSetKV(ctx, st.key, st.old, st.new)
				must(t, "cas", err)
				if ok != st.want {
					t.Fatalf("CompareAndSetKV = %v, want %v", ok, st.want)
				}
				v, err := s.GetKV(ctx, st.key)
				if st.after == "" {
					if !errors.Is(err, store.ErrNotFound) {
						t.Fatalf("key created: %q, %v", v, err)
					}
					return
				}
				if err != nil || v != st.after {
					t.Fatalf("value = %q, %v, want %q", v, err, st.after)
				}
			})
		}

		// Two replicas refreshing the Zalo token at once: one wins.
		var wg sync.WaitGroup
		wins := make([]bool, 4)
		for i := range wins {
			wg.Go(func() {
				ok, err := s.CompareAndSetKV(ctx, "zalo.token", "t1", "refreshed")
				if err != nil {
					t.Error(err)
				}
				wins[i] = ok
			})
		}
		wg.Wait()
		n := 0
		for _, w := range wins {
			if w {
				n++
			}
		}
		if n != 1 {
			t.Fatalf("%d concurrent CAS won, want 1", n)
		}
	})
}

func TestAudit(t *testing.T) {
	forEachDriver(t, func(t *testing.T, s *store.Store) {
		ctx := ctxT(t)
		actor := int64(7)
		at := time.Date(2025, 1, 2, 3, 4, 5, 6000, time.UTC)
		must(t, "audit 1", s.Audit(ctx, store.AuditLog{At: at.Add(time.Minute), ActorID: &actor, Action: "b", SubjectType: "submission", SubjectID: "1", Detail: "d2"}))
		must(t, "audit 2", s.Audit(ctx, store.AuditLog{At: at, Action: "a", SubjectType: "submission", SubjectID: "1", Detail: "d1"}))
		must(t, "audit other", s.Audit(ctx, store.AuditLog{Action: "c", SubjectType: "submission", SubjectID: "2"}))
		if err := s.Audit(ctx, store.AuditLog{}); !errors.Is(err, store.ErrInvalid) {
			t.Fatalf("empty action: %v", err)
		}
		es, err := s.AuditEntries(ctx, "submission", "1")
		must(t, "entries", err)
		if len(es) != 2 || es[0].Action != "a" || es[1].Action != "b" || !es[0].At.Equal(at) || es[1].ActorID == nil || *es[1].ActorID != 7 || es[0].ActorID != nil {
			t.Fatalf("entries = %+v", es)
		}
	})
}
