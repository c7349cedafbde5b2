package telegram

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/anttbot/anttbot/bot"
	"github.com/anttbot/anttbot/bot/telegram/telegramtest"
)

// checkNoUpdateConfirmedUnsubmitted fails when a getUpdates call confirmed
// (offset past) an update before the submitter had accepted it: that update
// would be lost by a crash at that moment.
func checkNoUpdateConfirmedUnsubmitted(t *testing.T, srv *telegramtest.Server, rec *recorder, ids []int64) {
	t.Helper()
	for _, c := range srv.Calls("getUpdates") {
		offset, _ := strconv.ParseInt(c.Fields["offset"], 10, 64)
		for _, id := range ids {
			if id >= offset {
				continue
			}
			at, ok := rec.acceptedAt(itoa(id))
			if !ok || at.After(c.At) {
				t.Errorf("getUpdates with offset %d at %s confirmed update %d before it was submitted", offset, c.At.Format(time.StampMicro), id)
			}
		}
	}
}

func TestPollSubmitsInOrderThenAdvances(t *testing.T) {
	srv := telegramtest.NewServer(t, "")
	// A webhook left over from webhook mode: polling must remove it first.
	srv.SetWebhookInfo(&telegramtest.WebhookInfo{URL: "https://old.example.vn/hook"})
	names := []string{"text", "photo_caption", "channel_post", "callback_valid"}
	for _, n := range names {
		srv.AddUpdate(readUpdate(t, n))
	}
	rec := newRecorder()
	offsets := NewMemoryOffsetStore()
	a := newAdapter(t, srv, rec, func(c *Config) { c.Username = "" }, WithOffsetStore(offsets))
	stop := runAdapter(t, a)

	got := rec.waitFor(t, 3) // the channel post is dropped
	want := []string{"725001001", "725001008", "725001010"}
	for i, u := range got {
		if u.ID != want[i] {
			t.Errorf("update %d is %s, want %s", i, u.ID, want[i])
		}
	}
	// The next poll confirms everything, including the dropped channel post.
	waitUntil(t, func() bool { return srv.Offset() == 725001018 })
	if err := stop(); err != nil {
		t.Fatalf("Run: %v", err)
	}
	o, _ := offsets.Get(context.Background())
	if o.UpdateID != 725001017 || !o.At.Equal(fixedNow) {
		t.Errorf("stored offset %+v, want update 725001017 at %s", o, fixedNow)
	}
	calls := srv.Calls("deleteWebhook", "getUpdates", "getMe")
	if len(calls) < 3 || calls[0].Method != "getMe" || calls[1].Method != "deleteWebhook" {
		t.Errorf("calls start %v, want getMe, deleteWebhook, getUpdates…", methods(calls))
	}
	first := srv.Calls("getUpdates")[0]
	if _, ok := first.Fields["offset"]; ok {
		t.Errorf("first getUpdates sent offset %s with nothing stored", first.Fields["offset"])
	}
	if first.Fields["timeout"] != "1" || first.Fields["limit"] != "100" {
		t.Errorf("getUpdates fields %v, want timeout 1 and limit 100", first.Fields)
	}
	checkNoUpdateConfirmedUnsubmitted(t, srv, rec, []int64{725001001, 725001008, 725001010})
}

func TestPollHoldsOffsetWhileSubmitFails(t *testing.T) {
	srv := telegramtest.NewServer(t, "")
	for _, n := range []string{"text", "start_payload", "location"} {
		srv.AddUpdate(readUpdate(t, n))
	}
	rec := newRecorder()
	offsets := NewMemoryOffsetStore()
	var mu sync.Mutex
	var storedWhenRetried []int64
	rec.failFor = func(u bot.Update, try int) error {
		if u.ID != "725001004" {
			return nil
		}
		o, _ := offsets.Get(context.Background())
		mu.Lock()
		storedWhenRetried = append(storedWhenRetried, o.UpdateID)
		mu.Unlock()
		if try <= 2 {
			return errJournalDown
		}
		return nil
	}
	a := newAdapter(t, srv, rec, nil, WithOffsetStore(offsets))
	stop := runAdapter(t, a)
	got := rec.waitFor(t, 3)
	waitUntil(t, func() bool { return srv.Offset() == 725001010 })
	_ = stop()

	for i, id := range []string{"725001001", "725001004", "725001009"} {
		if got[i].ID != id {
			t.Errorf("update %d is %s, want %s (order must survive retries)", i, got[i].ID, id)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if len(storedWhenRetried) != 3 {
		t.Fatalf("update 725001004 submitted %d times, want 3", len(storedWhenRetried))
	}
	for _, id := range storedWhenRetried {
		if id != 725001001 {
			t.Errorf("stored offset was %d while update 725001004 was not accepted, want 725001001", id)
		}
	}
	checkNoUpdateConfirmedUnsubmitted(t, srv, rec, []int64{725001001, 725001004, 725001009})
}

func TestPollResumesFromStoredOffset(t *testing.T) {
	tests := []struct {
		name       string
		stored     Offset
		wantOffset string // of the first getUpdates; "" = none sent
		wantIDs    []string
	}{
		{
			name:       "recent offset",
			stored:     Offset{UpdateID: 725001005, At: fixedNow.Add(-time.Hour)},
			wantOffset: "725001006",
			wantIDs:    []string{"725001006"},
		},
		{
			// After a week without updates Telegram may restart its numbering
			// below the stored id; an old offset must not hide the new updates.
			name:    "offset too old to trust",
			stored:  Offset{UpdateID: 725001005, At: fixedNow.Add(-8 * 24 * time.Hour)},
			wantIDs: []string{"725001004", "725001005", "725001006"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := telegramtest.NewServer(t, "")
			for _, n := range []string{"start_payload", "contact_own", "contact_other"} {
				srv.AddUpdate(readUpdate(t, n))
			}
			offsets := NewMemoryOffsetStore()
			_ = offsets.Set(context.Background(), tt.stored)
			rec := newRecorder()
			a := newAdapter(t, srv, rec, nil, WithOffsetStore(offsets))
			stop := runAdapter(t, a)
			got := rec.waitFor(t, len(tt.wantIDs))
			waitUntil(t, func() bool { return srv.Offset() == 725001007 })
			_ = stop()
			if first := srv.Calls("getUpdates")[0].Fields["offset"]; first != tt.wantOffset {
				t.Errorf("first getUpdates offset %q, want %q", first, tt.wantOffset)
			}
			if len(got) != len(tt.wantIDs) {
				t.Fatalf("got %d updates, want %v", len(got), tt.wantIDs)
			}
			for i, id := range tt.wantIDs {
				if got[i].ID != id {
					t.Errorf("update %d is %s, want %s", i, got[i].ID, id)
				}
			}
		})
	}
}

func TestPollRestartLosesNothing(t *testing.T) {
	srv := telegramtest.NewServer(t, "")
	offsets := NewMemoryOffsetStore()
	rec := newRecorder()

	srv.AddUpdate(readUpdate(t, "text"))
	a := newAdapter(t, srv, rec, nil, WithOffsetStore(offsets))
	stop := runAdapter(t, a)
	rec.waitFor(t, 1)
	_ = stop()

	// Arrives while the bot is down.
	srv.AddUpdate(readUpdate(t, "location"))
	b := newAdapter(t, srv, rec, nil, WithOffsetStore(offsets))
	stop = runAdapter(t, b)
	got := rec.waitFor(t, 2)
	_ = stop()
	if got[1].ID != "725001009" {
		t.Errorf("after restart got %s, want 725001009", got[1].ID)
	}
	if first := srv.Calls("getUpdates"); len(first) < 2 {
		t.Fatal("no getUpdates after restart")
	}
	if rec.calls != 2 {
		t.Errorf("Submit called %d times, want 2 (the restart resumed after the handled update)", rec.calls)
	}
}

func TestPollHonoursRetryAfter(t *testing.T) {
	srv := telegramtest.NewServer(t, "")
	srv.Fail("getUpdates", 1, telegramtest.TooManyRequests(1))
	srv.AddUpdate(readUpdate(t, "text"))
	rec := newRecorder()
	a := newAdapter(t, srv, rec, nil)
	stop := runAdapter(t, a)
	rec.waitFor(t, 1)
	_ = stop()
	calls := srv.Calls("getUpdates")
	if len(calls) < 2 || calls[0].Status != 429 {
		t.Fatalf("getUpdates calls %+v, want a 429 then a retry", calls)
	}
	if gap := calls[1].At.Sub(calls[0].At); gap < 950*time.Millisecond {
		t.Errorf("retried getUpdates after %s, want at least retry_after=1s", gap)
	}
}

func TestPollStopsDuringLongPoll(t *testing.T) {
	srv := telegramtest.NewServer(t, "")
	a := newAdapter(t, srv, newRecorder(), func(c *Config) { c.PollTimeout = 30 * time.Second })
	stop := runAdapter(t, a)
	srv.WaitCalls("getUpdates", 1)
	start := time.Now()
	if err := stop(); err != nil {
		t.Fatalf("Run: %v", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("Run took %s to return during a 30s long poll", d)
	}
}

func TestPollBadToken(t *testing.T) {
	srv := telegramtest.NewServer(t, "")
	a := newAdapter(t, srv, newRecorder(), func(c *Config) { c.Token = "42:AAnot-the-servers-token" })
	done := make(chan error, 1)
	go func() { done <- a.Run(context.Background()) }()
	select {
	case err := <-done:
		if err == nil {
			t.Fatal("Run returned nil for a rejected token")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run kept going with a rejected token")
	}
}

func TestGetUpdatesErrorMapping(t *testing.T) {
	tests := []struct {
		name    string
		failure telegramtest.Failure
		check   func(error) bool
	}{
		{name: "429", failure: telegramtest.TooManyRequests(3), check: func(err error) bool {
			var rl *bot.RateLimitedError
			return errors.As(err, &rl) && rl.RetryAfter == 3*time.Second
		}},
		{name: "conflict", failure: telegramtest.Conflict(), check: func(err error) bool { return !isAuthError(err) && err != nil }},
		{name: "500", failure: telegramtest.InternalError(), check: func(err error) bool { return errors.Is(err, bot.ErrTemporary) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := telegramtest.NewServer(t, "")
			srv.Fail("getUpdates", 1, tt.failure)
			a := newAdapter(t, srv, newRecorder(), nil)
			_, err := a.getUpdates(context.Background(), 0)
			if !tt.check(err) {
				t.Errorf("getUpdates error %v not mapped as expected", err)
			}
		})
	}
}

func waitUntil(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 10s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func methods(cs []telegramtest.Call) []string {
	var out []string
	for _, c := range cs {
		out = append(out, c.Method)
	}
	return out
}
