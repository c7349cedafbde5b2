package store_test

import (
	"errors"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/anttbot/anttbot/store"
)

func newTip(f fixture, key string) *store.Submission {
	lat, lon := 20.85, 106.21
	return &store.Submission{
		Kind:           "tip",
		Answers:        store.JSONMap{"text": "Có người lạ hay lui tới bãi sông lúc đêm", "count": float64(3), "tags": []any{"a", "b"}},
		Attachments:    store.JSONList{{Type: store.AttachmentPhoto, Channel: store.ChannelTelegram, FileID: "AgAD", Caption: "ảnh"}},
		Lat:            &lat,
		Lon:            &lon,
		OccurredAt:     time.Date(2025, 3, 2, 21, 30, 0, 0, time.FixedZone("ICT", 7*3600)),
		ReporterID:     f.person(phoneMember1).ID,
		TeamID:         f.unit(codeThon1),
		PhaseID:        "dot-2",
		Urgent:         true,
		IdempotencyKey: key,
	}
}

func TestCreateSubmission(t *testing.T) {
	forEachDriver(t, func(t *testing.T, s *store.Store) {
		ctx := ctxT(t)
		f := loadOrg(t, s)

		sub := newTip(f, "telegram:42:confirm")
		created, err := s.CreateSubmission(ctx, sub, "anh Ba, bán tạp hoá đầu thôn")
		must(t, "create", err)
		if !created || sub.ID == 0 || sub.Status != store.StatusPending || sub.CommuneID != f.unit(codeGiaTan) {
			t.Fatalf("created=%v sub=%+v", created, sub)
		}
		got, err := s.SubmissionByID(ctx, sub.ID)
		must(t, "load", err)
		if !reflect.DeepEqual(got.Answers, sub.Answers) || !reflect.DeepEqual(got.Attachments, sub.Attachments) {
			t.Fatalf("JSON round trip:\n got %#v %#v\nwant %#v %#v", got.Answers, got.Attachments, sub.Answers, sub.Attachments)
		}
		if !got.OccurredAt.Equal(sub.OccurredAt) || *got.Lat != 20.85 || !got.Urgent || got.PhaseID != "dot-2" || got.CommuneID != f.unit(codeGiaTan) {
			t.Fatalf("loaded %+v", got)
		}
		if _, ok := got.Answers["source"]; ok {
			t.Fatal("tip source leaked into answers")
		}
		ts, err := s.TipSourceOf(ctx, sub.ID)
		must(t, "tip source", err)
		if ts.Source != "anh Ba, bán tạp hoá đầu thôn" {
			t.Fatalf("tip source = %q", ts.Source)
		}

		// The same key again (double tap, re-delivered update): no new row.
		dup := newTip(f, "telegram:42:confirm")
		dup.Kind = "good_deed"
		created, err = s.CreateSubmission(ctx, dup, "someone else")
		must(t, "create again", err)
		if created || dup.ID != sub.ID || dup.Kind != "tip" {
			t.Fatalf("duplicate: created=%v id=%d kind=%q, want the existing #%d", created, dup.ID, dup.Kind, sub.ID)
		}
		if ts, _ := s.TipSourceOf(ctx, sub.ID); ts.Source != "anh Ba, bán tạp hoá đầu thôn" {
			t.Fatalf("duplicate overwrote the tip source: %q", ts.Source)
		}

		// A good deed with no source and no answers.
		deed := &store.Submission{Kind: "good_deed", ReporterID: f.person(phoneLeaderKDC).ID, TeamID: f.unit(codeKhuDanCu3), IdempotencyKey: "deed-1"}
		created, err = s.CreateSubmission(ctx, deed, "")
		must(t, "create deed", err)
		if !created || deed.CommuneID != f.unit(codeTranPhu) || deed.OccurredAt.IsZero() {
			t.Fatalf("deed = %+v", deed)
		}
		if _, err := s.TipSourceOf(ctx, deed.ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("tip source of a deed: %v", err)
		}
		loaded, err := s.SubmissionByID(ctx, deed.ID)
		must(t, "load deed", err)
		if loaded.Answers == nil || len(loaded.Answers) != 0 || len(loaded.Attachments) != 0 || loaded.Lat != nil {
			t.Fatalf("empty JSON round trip: %+v", loaded)
		}

		invalid := []struct {
			name string
			sub  store.Submission
			want error
		}{
			{name: "no key", sub: store.Submission{Kind: "tip", ReporterID: 1, TeamID: 1}, want: store.ErrInvalid},
			{name: "no kind", sub: store.Submission{ReporterID: 1, TeamID: 1, IdempotencyKey: "x"}, want: store.ErrInvalid},
			{name: "bad status", sub: store.Submission{Kind: "tip", Status: "done", ReporterID: 1, TeamID: 1, IdempotencyKey: "x"}, want: store.ErrInvalid},
			{name: "missing team", sub: store.Submission{Kind: "tip", ReporterID: f.person(phoneMember1).ID, TeamID: 99999, IdempotencyKey: "x"}, want: store.ErrNotFound},
		}
		for _, tt := range invalid {
			t.Run(tt.name, func(t *testing.T) {
				if _, err := s.CreateSubmission(ctx, &tt.sub, ""); !errors.Is(err, tt.want) {
					t.Fatalf("err = %v, want %v", err, tt.want)
				}
			})
		}
		if _, err := s.SubmissionByID(ctx, 99999); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("missing submission: %v", err)
		}
	})
}

func TestCreateSubmissionRace(t *testing.T) {
	forEachDriver(t, func(t *testing.T, s *store.Store) {
		ctx := ctxT(t)
		f := loadOrg(t, s)
		const n = 8
		var wg sync.WaitGroup
		created := make([]bool, n)
		gotIDs := make([]int64, n)
		errs := make([]error, n)
		for i := range n {
			wg.Go(func() {
				sub := newTip(f, "race-key")
				created[i], errs[i] = s.CreateSubmission(ctx, sub, "nguồn")
				gotIDs[i] = sub.ID
			})
		}
		wg.Wait()
		wins := 0
		for i := range n {
			must(t, "concurrent create", errs[i])
			if created[i] {
				wins++
			}
			if gotIDs[i] != gotIDs[0] || gotIDs[i] == 0 {
				t.Fatalf("callers saw different submissions: %v", gotIDs)
			}
		}
		if wins != 1 {
			t.Fatalf("%d callers created, want exactly 1", wins)
		}
		count, err := s.CountSubmissions(ctx, store.CountFilter{})
		must(t, "count", err)
		if count != 1 {
			t.Fatalf("%d rows, want 1", count)
		}
	})
}

func TestSubmissionsByReporter(t *testing.T) {
	forEachDriver(t, func(t *testing.T, s *store.Store) {
		ctx := ctxT(t)
		f := loadOrg(t, s)
		var want []int64
		for i := range 3 {
			sub := newTip(f, fmt.Sprintf("k%d", i))
			_, err := s.CreateSubmission(ctx, sub, "")
			must(t, "create", err)
			want = append([]int64{sub.ID}, want...)
		}
		got, err := s.SubmissionsByReporter(ctx, f.person(phoneMember1).ID, 2)
		must(t, "by reporter", err)
		if len(got) != 2 || got[0].ID != want[0] || got[1].ID != want[1] {
			t.Fatalf("SubmissionsByReporter = %v, want newest first %v", got, want[:2])
		}
		all, err := s.SubmissionsByReporter(ctx, f.person(phoneMember1).ID, 0)
		must(t, "all by reporter", err)
		if len(all) != 3 {
			t.Fatalf("limit 0 returned %d, want 3", len(all))
		}
		none, err := s.SubmissionsByReporter(ctx, f.person(phoneLeader2).ID, 10)
		must(t, "none", err)
		if len(none) != 0 {
			t.Fatalf("other reporter got %d", len(none))
		}
	})
}

func TestSetSubmissionStatus(t *testing.T) {
	forEachDriver(t, func(t *testing.T, s *store.Store) {
		ctx := ctxT(t)
		f := loadOrg(t, s)
		sub := newTip(f, "cas")
		_, err := s.CreateSubmission(ctx, sub, "")
		must(t, "create", err)
		officer := f.person(phonePoliceXa).ID

		ok, err := s.SetSubmissionStatus(ctx, sub.ID, []string{store.StatusPending}, store.StatusReceived, officer, "")
		must(t, "receive", err)
		if !ok {
			t.Fatal("pending → received refused")
		}
		ok, err = s.SetSubmissionStatus(ctx, sub.ID, []string{store.StatusPending}, store.StatusReceived, officer, "")
		must(t, "receive again", err)
		if ok {
			t.Fatal("second pending → received accepted")
		}

		// Two officers decide at once: exactly one wins.
		officers := []int64{officer, f.person(phonePoliceH).ID, f.person(phonePoliceT).ID, officer}
		wins := make([]bool, len(officers))
		errs := make([]error, len(officers))
		var wg sync.WaitGroup
		for i, o := range officers {
			wg.Go(func() {
				to := store.StatusVerified
				if i%2 == 1 {
					to = store.StatusRejected
				}
				wins[i], errs[i] = s.SetSubmissionStatus(ctx, sub.ID, []string{store.StatusPending, store.StatusReceived}, to, o, "trùng")
			})
		}
		wg.Wait()
		winner := -1
		for i := range officers {
			must(t, "concurrent decide", errs[i])
			if wins[i] {
				if winner >= 0 {
					t.Fatalf("two officers won: %d and %d", winner, i)
				}
				winner = i
			}
		}
		if winner < 0 {
			t.Fatal("nobody won")
		}
		got, err := s.SubmissionByID(ctx, sub.ID)
		must(t, "load", err)
		wantStatus, wantReason := store.StatusVerified, ""
		if winner%2 == 1 {
			wantStatus, wantReason = store.StatusRejected, "trùng"
		}
		if got.Status != wantStatus || got.VerifiedByID == nil || *got.VerifiedByID != officers[winner] || got.VerifiedAt == nil || got.RejectReason != wantReason {
			t.Fatalf("after decision: %+v (winner %d)", got, winner)
		}
		audit, err := s.AuditEntries(ctx, "submission", fmt.Sprint(sub.ID))
		must(t, "audit", err)
		if len(audit) != 2 || audit[1].ActorID == nil || *audit[1].ActorID != officers[winner] {
			t.Fatalf("audit = %+v", audit)
		}

		if _, err := s.SetSubmissionStatus(ctx, 99999, []string{store.StatusPending}, store.StatusVerified, officer, ""); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("missing submission: %v", err)
		}
		if _, err := s.SetSubmissionStatus(ctx, sub.ID, []string{store.StatusPending}, "closed", officer, ""); !errors.Is(err, store.ErrInvalid) {
			t.Fatalf("unknown status: %v", err)
		}
	})
}
