package flows

import (
	"fmt"
	"strings"
	"testing"

	"github.com/anttbot/anttbot/bot"
	"github.com/anttbot/anttbot/campaign"
	"github.com/anttbot/anttbot/store"
	"golang.org/x/text/unicode/norm"
)

// goTo starts a report of kind and answers its questions up to, not
// including, question qid; it returns the replies that ask qid ("_confirm"
// for the summary).
func goTo(u *user, kindID, qid string) []bot.Message {
	u.h.t.Helper()
	k, ok := u.h.camp.Kind(kindID)
	if !ok {
		u.h.t.Fatalf("no kind %q", kindID)
	}
	u.text("/baocao")
	msgs := u.tap(kindLabel(k, "vi"))
	for _, q := range k.Questions {
		if q.ID == qid {
			return msgs
		}
		msgs = answer(u, q)
	}
	if qid != stepIDConfirm {
		u.h.t.Fatalf("kind %s has no question %q", kindID, qid)
	}
	return msgs
}

// TestBadInput sends a wrong answer to each step type and checks the user
// is told why and asked the same question again, with nothing recorded.
func TestBadInput(t *testing.T) {
	h := newHarness(t, store.DriverSQLite)
	tomorrow := campaign.DateOf(inDot2, vn).AddDays(1)
	old := campaign.DateOf(inDot2, vn).AddDays(-32)
	tests := []struct {
		name     string
		kind, q  string
		send     bot.Update
		wantText string
	}{
		{name: "choice typed nonsense", kind: "tip", q: "category", send: text("xyz"), wantText: h.T("flows.choice.invalid")},
		{name: "choice number out of range", kind: "tip", q: "category", send: text("99"), wantText: h.T("flows.choice.invalid")},
		{name: "choice photo", kind: "tip", q: "category", send: photoUpdate("p"), wantText: h.T("flows.choice.invalid")},
		{name: "text photo", kind: "tip", q: "what", send: photoUpdate("p"), wantText: h.T("flows.step.want_text_not_photo")},
		{name: "text sticker", kind: "tip", q: "what", send: bot.Update{Kind: bot.KindSticker}, wantText: h.T("flows.step.want_text")},
		{name: "text empty", kind: "tip", q: "what", send: text("   "), wantText: h.T("flows.step.empty")},
		{name: "text over question limit", kind: "tip", q: "where", send: text(strings.Repeat("đ", 201)),
			wantText: h.T("flows.input.too_long", "Max", 200, "Len", 201)},
		{name: "text required skip typed", kind: "tip", q: "what", send: text("Bỏ qua"), wantText: h.T("flows.step.not_optional")},
		{name: "number words", kind: "patrol", q: "hours", send: text("hai giờ"), wantText: h.T("flows.number.invalid")},
		{name: "number too big", kind: "patrol", q: "hours", send: text("30"), wantText: h.T("flows.number.between", "Min", "0,5", "Max", "24")},
		{name: "number too small", kind: "patrol", q: "hours", send: text("0,25"), wantText: h.T("flows.number.between", "Min", "0,5", "Max", "24")},
		{name: "date words", kind: "patrol", q: "date", send: text("tuần trước"), wantText: h.T("flows.date.invalid")},
		{name: "date no such day", kind: "patrol", q: "date", send: text("31/02"), wantText: h.T("flows.date.no_such_day")},
		{name: "date month 13", kind: "patrol", q: "date", send: text("12/13/2025"), wantText: h.T("flows.date.no_such_day")},
		{name: "date future", kind: "patrol", q: "date", send: text(formatDate(tomorrow)), wantText: h.T("flows.date.future")},
		{name: "date too old", kind: "patrol", q: "date", send: text(formatDate(old)), wantText: h.T("flows.date.too_old", "Days", 31)},
		{name: "photo as text", kind: "tip", q: "photo", send: text("ảnh đây"), wantText: h.T("flows.photo.want_photo")},
		{name: "photo as file", kind: "tip", q: "photo", send: bot.Update{Kind: bot.KindFile, Photo: &bot.Media{FileID: "f"}}, wantText: h.T("flows.photo.file_not_photo")},
		{name: "location as text", kind: "tip", q: "location", send: text("ở đầu thôn"), wantText: h.T("flows.location.want_location")},
		{name: "location out of range", kind: "tip", q: "location", send: bot.Update{Kind: bot.KindLocation, Location: &bot.Location{Lat: 95, Lon: 10}}, wantText: h.T("flows.location.want_location")},
		{name: "yes no maybe", kind: "tip", q: "urgent", send: text("có lẽ"), wantText: h.T("flows.yesno.invalid")},
		{name: "confirm words", kind: "tip", q: stepIDConfirm, send: text("để mai"), wantText: h.T("flows.confirm.invalid")},
		{name: "unknown command", kind: "tip", q: "what", send: text("/xyz"), wantText: h.T("flows.cmd.unknown")},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h.t = t
			u := h.linkedChat(member, fmt.Sprint("bad", i))
			asked := goTo(u, tt.kind, tt.q)
			before := u.session().Draft
			msgs := u.send(tt.send)
			mustContain(t, msgs, tt.wantText)
			after := u.session().Draft
			if after == nil || after.Step != before.Step || len(after.Answers) != len(before.Answers) {
				t.Fatalf("draft moved on a bad answer: before %+v after %+v", before, after)
			}
			// The question is asked again, with its buttons.
			if got, want := labels(msgs), labels(asked[len(asked)-1:]); strings.Join(got, "|") != strings.Join(want, "|") {
				t.Errorf("buttons after bad answer %q, want %q", got, want)
			}
		})
	}
}

func text(s string) bot.Update { return bot.Update{Kind: bot.KindText, Text: s} }

func photoUpdate(id string) bot.Update {
	return bot.Update{Kind: bot.KindPhoto, Photo: &bot.Media{FileID: id}}
}

// TestAcceptedInput checks the other ways people answer: typed words with or
// without diacritics, numbers with a comma, dates as they write them.
func TestAcceptedInput(t *testing.T) {
	h := newHarness(t, store.DriverSQLite)
	today := campaign.DateOf(inDot2, vn)
	tests := []struct {
		name    string
		kind, q string
		send    bot.Update
		check   func(a Answer) bool
	}{
		{name: "choice by label without diacritics", kind: "tip", q: "category", send: text("trom cap"), check: textIs("theft")},
		{name: "choice by number", kind: "tip", q: "category", send: text("1"), check: textIs("drugs")},
		{name: "date hom nay", kind: "patrol", q: "date", send: text("hom nay"), check: textIs(today.String())},
		{name: "date Hôm qua typed", kind: "patrol", q: "date", send: text("Hôm qua"), check: textIs(today.AddDays(-1).String())},
		{name: "date d/m", kind: "patrol", q: "date", send: text("3/7"), check: textIs("2025-07-03")},
		{name: "date dd/mm/yyyy", kind: "patrol", q: "date", send: text("03/07/2025"), check: textIs("2025-07-03")},
		{name: "date today button", kind: "patrol", q: "date", send: bot.Update{}, check: textIs(today.String())},
		{name: "number comma", kind: "patrol", q: "hours", send: text("1,5"), check: numberIs(1.5)},
		{name: "number point", kind: "patrol", q: "hours", send: text("2.5"), check: numberIs(2.5)},
		{name: "number with unit", kind: "patrol", q: "hours", send: text("3 giờ"), check: numberIs(3)},
		{name: "yes typed co", kind: "tip", q: "urgent", send: text("co"), check: yesIs(true)},
		{name: "no typed không", kind: "tip", q: "urgent", send: text("Không"), check: yesIs(false)},
		{name: "location typed", kind: "tip", q: "location", send: text("21.0285, 105.8542"), check: func(a Answer) bool { return a.Lat != nil && *a.Lat == 21.0285 }},
		{name: "text decomposed to NFC", kind: "tip", q: "what", send: text(norm.NFD.String("Trộm cắp xe máy")),
			check: func(a Answer) bool { return a.Text == "Trộm cắp xe máy" && norm.NFC.IsNormalString(a.Text) }},
		{name: "text keeps line breaks", kind: "tip", q: "what", send: text("dòng 1\r\ndòng 2"), check: textIs("dòng 1\ndòng 2")},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h.t = t
			u := h.linkedChat(member, fmt.Sprint("ok", i))
			goTo(u, tt.kind, tt.q)
			if tt.send.Kind == "" {
				u.tap("Hôm nay")
			} else {
				u.send(tt.send)
			}
			d := u.session().Draft
			a, ok := d.Answers[tt.q]
			if !ok || !tt.check(a) {
				t.Fatalf("answer %q = %+v (recorded %v); last reply %q", tt.q, a, ok, u.lastText())
			}
		})
	}
}

func textIs(want string) func(Answer) bool { return func(a Answer) bool { return a.Text == want } }
func numberIs(want float64) func(Answer) bool {
	return func(a Answer) bool { return a.Number != nil && *a.Number == want }
}
func yesIs(want bool) func(Answer) bool {
	return func(a Answer) bool { return a.Yes != nil && *a.Yes == want }
}
