package flows

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/anttbot/anttbot/bot"
	"github.com/anttbot/anttbot/campaign"
	"github.com/anttbot/anttbot/store"
)

// answer answers question q (the chat's current question) the way a member
// would, from the campaign data alone.
func answer(u *user, q campaign.Question) []bot.Message {
	u.h.t.Helper()
	switch q.Type {
	case campaign.QChoice:
		return u.tap(q.Options[len(q.Options)-1].Label.In("vi"))
	case campaign.QText:
		return u.text(textAnswer(q))
	case campaign.QNumber:
		return u.text(numberAnswer(q))
	case campaign.QDate:
		return u.tap("Hôm qua")
	case campaign.QPhoto:
		return u.photo("photo-" + q.ID)
	case campaign.QLocation:
		return u.location(21.0285, 105.8542)
	case campaign.QYesNo:
		return u.tap("Có")
	}
	u.h.t.Fatalf("question %s has unknown type %q", q.ID, q.Type)
	return nil
}

// textAnswer is a typed answer with Vietnamese diacritics, as long as the
// question allows.
func textAnswer(q campaign.Question) string {
	s := []rune("Trả lời câu " + q.ID + ": có người lạ ở đầu thôn")
	if q.MaxLen > 0 && len(s) > q.MaxLen {
		s = s[:q.MaxLen]
	}
	return strings.TrimSpace(string(s))
}

// numberAnswer is a typed number within the question's bounds, written the
// Vietnamese way when it has decimals.
func numberAnswer(q campaign.Question) string {
	v := 1.5
	if q.Min != nil && v < *q.Min {
		v = *q.Min
	}
	if q.Max != nil && v > *q.Max {
		v = *q.Max
	}
	return strings.Replace(fmt.Sprint(v), ".", ",", 1)
}

// numberValue is what numberAnswer means.
func numberValue(q campaign.Question) float64 {
	v := 1.5
	if q.Min != nil && v < *q.Min {
		v = *q.Min
	}
	if q.Max != nil && v > *q.Max {
		v = *q.Max
	}
	return v
}

// TestReportEveryKind sends one report of every kind of the built-in
// campaign, answering the questions the campaign data defines, and checks
// the stored row field by field.
func TestReportEveryKind(t *testing.T) {
	eachDriver(t, func(t *testing.T, driver string) {
		var opts []harnessOption
		if driver == store.DriverPostgres {
			// Production pairs PostgreSQL with Redis sessions.
			opts = append(opts, withRedis())
		}
		h := newHarness(t, driver, opts...)
		for _, k := range h.camp.Kinds {
			t.Run(k.ID, func(t *testing.T) {
				h.t = t
				u := h.linked(member)
				p := h.person(member)
				before := len(h.submissions(p))

				msgs := u.text("/baocao")
				mustContain(t, msgs, h.T("flows.report.choose_kind"))
				if !hasLabel(msgs, kindLabel(k, "vi")) {
					t.Fatalf("kind button %q missing; buttons %q", kindLabel(k, "vi"), labels(msgs))
				}
				msgs = u.tap(kindLabel(k, "vi"))
				for i, q := range k.Questions {
					mustContain(t, msgs, q.Prompt.In("vi"), fmt.Sprintf("câu %d/%d", i+1, len(k.Questions)))
					msgs = answer(u, q)
				}
				mustContain(t, msgs, h.T("flows.report.summary_title", "Kind", kindLabel(k, "vi")))
				if !hasLabel(msgs, "✅ Xác nhận gửi") {
					t.Fatalf("no confirm button; buttons %q", labels(msgs))
				}
				msgs = u.tap("✅ Xác nhận gửi")

				subs := h.submissions(p)
				if len(subs) != before+1 {
					t.Fatalf("stored %d reports, want %d", len(subs), before+1)
				}
				sub := subs[0]
				mustContain(t, msgs, fmt.Sprintf("#%d", sub.ID), "Đợt 2")
				checkStored(t, h, k, sub, p)
			})
		}
	})
}

// checkStored compares a stored report with the answers answer() gave.
func checkStored(t *testing.T, h *harness, k campaign.ReportKind, sub store.Submission, p store.Person) {
	t.Helper()
	yesterday := campaign.DateOf(h.clock.Now(), vn).AddDays(-1)
	if sub.Kind != k.ID || sub.ReporterID != p.ID || sub.TeamID != p.UnitID || sub.CommuneID != h.org.Commune.ID {
		t.Errorf("stored kind %q reporter %d team %d commune %d; want %q %d %d %d",
			sub.Kind, sub.ReporterID, sub.TeamID, sub.CommuneID, k.ID, p.ID, p.UnitID, h.org.Commune.ID)
	}
	if sub.Status != store.StatusPending || sub.IdempotencyKey == "" || sub.PhaseID != "dot2" {
		t.Errorf("status %q key %q phase %q", sub.Status, sub.IdempotencyKey, sub.PhaseID)
	}
	if _, urgent := k.UrgentQuestion(); sub.Urgent != urgent {
		t.Errorf("urgent = %v, want %v", sub.Urgent, urgent)
	}
	if _, dated := k.DateQuestion(); dated && campaign.DateOf(sub.OccurredAt, vn) != yesterday {
		t.Errorf("occurred on %s, want %s", campaign.DateOf(sub.OccurredAt, vn), yesterday)
	}
	photos, source := 0, ""
	for _, q := range k.Questions {
		got, ok := sub.Answers[q.ID]
		if q.PoliceOnly {
			if ok {
				t.Errorf("police-only answer %q leaked into answers: %v", q.ID, got)
			}
			source = textAnswer(q)
			continue
		}
		if !ok {
			t.Errorf("answer %q missing; answers %v", q.ID, sub.Answers)
			continue
		}
		var want any
		switch q.Type {
		case campaign.QChoice:
			want = q.Options[len(q.Options)-1].ID
		case campaign.QText:
			want = textAnswer(q)
		case campaign.QNumber:
			want = numberValue(q)
		case campaign.QDate:
			want = yesterday.String()
		case campaign.QYesNo:
			want = true
		case campaign.QPhoto:
			photos++
			want = fmt.Sprint(map[string]any{"attachment": float64(photos - 1)})
			got = fmt.Sprint(got)
		case campaign.QLocation:
			if sub.Lat == nil || sub.Lon == nil || *sub.Lat != 21.0285 || *sub.Lon != 105.8542 {
				t.Errorf("location not stored: %v %v", sub.Lat, sub.Lon)
			}
			continue
		}
		if got != want {
			t.Errorf("answer %q = %#v, want %#v", q.ID, got, want)
		}
	}
	if len(sub.Attachments) != photos {
		t.Errorf("%d attachments, want %d", len(sub.Attachments), photos)
	}
	for i, a := range sub.Attachments {
		if a.Type != store.AttachmentPhoto || a.Channel != bot.ChannelTelegram || !strings.HasPrefix(a.FileID, "photo-") {
			t.Errorf("attachment %d = %+v", i, a)
		}
	}
	ts, err := h.st.TipSourceOf(h.ctx, sub.ID)
	switch {
	case source == "" && err == nil:
		t.Errorf("unexpected tip source %q", ts.Source)
	case source != "" && (err != nil || ts.Source != source):
		t.Errorf("tip source = %q, %v; want %q", ts.Source, err, source)
	}
}

// TestReportOutsidePhases: a report dated outside every phase is stored
// and the member told it counts for no phase; a Zalo photo is kept by URL.
func TestReportOutsidePhases(t *testing.T) {
	eachDriver(t, func(t *testing.T, driver string) {
		h := newHarness(t, driver)
		h.clock.Set(time.Date(2026, 11, 28, 15, 0, 0, 0, vn))
		u := h.linked(member)
		u.channel = bot.ChannelZalo
		if _, err := h.st.LinkIdentity(h.ctx, h.person(member).ID, u.channel, u.id, u.id, ""); err != nil {
			t.Fatal(err)
		}
		goTo(u, "good_deed", "date")
		u.tap("Hôm nay")
		u.tap("⏭ Bỏ qua")
		u.send(bot.Update{Kind: bot.KindPhoto, Photo: &bot.Media{URL: "https://f6.photo.talk.zdn.vn/1/a.jpg"}})
		msgs := u.tap("✅ Xác nhận gửi")
		subs := h.submissions(h.person(member))
		if len(subs) != 1 {
			t.Fatalf("%d stored", len(subs))
		}
		s := subs[0]
		if s.PhaseID != "" || !s.OccurredAt.Equal(h.clock.Now()) {
			t.Errorf("phase %q occurred %v", s.PhaseID, s.OccurredAt)
		}
		if len(s.Attachments) != 1 || s.Attachments[0].URL != "https://f6.photo.talk.zdn.vn/1/a.jpg" || s.Attachments[0].Channel != bot.ChannelZalo {
			t.Errorf("attachments %+v", s.Attachments)
		}
		mustContain(t, msgs, fmt.Sprintf("#%d", s.ID), h.T("flows.report.no_phase", "Date", "28/11/2026"))
	})
}
