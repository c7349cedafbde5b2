package zalo

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/anttbot/anttbot/bot"
	"github.com/anttbot/anttbot/bot/zalo/zalotest"
)

func TestWebhookSignature(t *testing.T) {
	body := readFixture(t, "user_send_text.json")
	const bodyTS = "1727164800123"
	otherApp := bytes.Replace(body, []byte(testAppID), []byte("111111111111111111"), 1)
	tampered := bytes.Replace(body, []byte("việc tốt"), []byte("việc xấu"), 1)

	tests := []struct {
		name string
		body []byte
		hdr  map[string]string
		want int
	}{
		{name: "good, body timestamp", body: body,
			hdr: map[string]string{"X-ZEvent-Signature": zalotest.Sign(testAppID, body, bodyTS, testOASecret)}, want: http.StatusOK},
		{name: "good, header timestamp fallback", body: body,
			hdr: map[string]string{
				"X-ZEvent-Signature": zalotest.Sign(testAppID, body, "1727164800999", testOASecret),
				"X-ZEvent-Timestamp": "1727164800999",
			}, want: http.StatusOK},
		{name: "good, upper-case hex without mac= prefix", body: body,
			hdr: map[string]string{"X-ZEvent-Signature": strings.ToUpper(strings.TrimPrefix(zalotest.Sign(testAppID, body, bodyTS, testOASecret), "mac="))}, want: http.StatusOK},
		{name: "missing signature", body: body, hdr: nil, want: http.StatusUnauthorized},
		{name: "empty mac", body: body, hdr: map[string]string{"X-ZEvent-Signature": "mac="}, want: http.StatusUnauthorized},
		{name: "wrong key (app secret instead of OA secret)", body: body,
			hdr: map[string]string{"X-ZEvent-Signature": zalotest.Sign(testAppID, body, bodyTS, testAppSecret)}, want: http.StatusUnauthorized},
		{name: "HMAC instead of plain hash", body: body,
			hdr: map[string]string{"X-ZEvent-Signature": "mac=" + strings.Repeat("ab", 32)}, want: http.StatusUnauthorized},
		{name: "tampered body", body: tampered,
			hdr: map[string]string{"X-ZEvent-Signature": zalotest.Sign(testAppID, body, bodyTS, testOASecret)}, want: http.StatusUnauthorized},
		{name: "header timestamp that does not match", body: body,
			hdr: map[string]string{
				"X-ZEvent-Signature": zalotest.Sign(testAppID, body, "1727164800999", testOASecret),
				"X-ZEvent-Timestamp": "1727164800998",
			}, want: http.StatusUnauthorized},
		{name: "validly signed event of another app", body: otherApp,
			hdr: map[string]string{"X-ZEvent-Signature": zalotest.Sign("111111111111111111", otherApp, bodyTS, testOASecret)}, want: http.StatusUnauthorized},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			got := h.postRaw(tt.body, tt.hdr)
			if got != tt.want {
				t.Fatalf("status = %d, want %d", got, tt.want)
			}
			n := len(h.sub.got())
			if tt.want == http.StatusOK && n != 1 {
				t.Errorf("submitted %d updates, want 1", n)
			}
			if tt.want != http.StatusOK {
				if n != 0 {
					t.Errorf("submitted %d updates on a rejected webhook", n)
				}
				if tc := h.touch.got(); len(tc) != 0 {
					t.Errorf("recorded interactions %v on a rejected webhook", tc)
				}
			}
		})
	}
}

func TestWebhookTransport(t *testing.T) {
	tests := []struct {
		name   string
		method string
		body   []byte
		want   int
	}{
		{name: "registration probe, unsigned POST {}", method: http.MethodPost, body: readFixture(t, "probe.json"), want: http.StatusOK},
		{name: "probe with spaces", method: http.MethodPost, body: []byte(" { } \n"), want: http.StatusOK},
		{name: "GET", method: http.MethodGet, want: http.StatusMethodNotAllowed},
		{name: "not JSON", method: http.MethodPost, body: []byte("hello"), want: http.StatusBadRequest},
		{name: "JSON array", method: http.MethodPost, body: []byte(`[1]`), want: http.StatusBadRequest},
		{name: "body over 1 MiB", method: http.MethodPost,
			body: []byte(`{"app_id":"` + testAppID + `","pad":"` + strings.Repeat("x", 1<<20) + `"}`), want: http.StatusRequestEntityTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			req, _ := http.NewRequest(tt.method, "/zalo/webhook", bytes.NewReader(tt.body))
			rec := &statusRecorder{header: http.Header{}}
			h.a.WebhookHandler().ServeHTTP(rec, req)
			if rec.code != tt.want {
				t.Errorf("status = %d, want %d", rec.code, tt.want)
			}
			if n := len(h.sub.got()); n != 0 {
				t.Errorf("submitted %d updates", n)
			}
		})
	}
}

type statusRecorder struct {
	header http.Header
	code   int
}

func (r *statusRecorder) Header() http.Header { return r.header }
func (r *statusRecorder) Write(b []byte) (int, error) {
	if r.code == 0 {
		r.code = http.StatusOK
	}
	return len(b), nil
}
func (r *statusRecorder) WriteHeader(code int) {
	if r.code == 0 {
		r.code = code
	}
}

func ms(v int64) time.Time { return time.UnixMilli(v) }

func TestWebhookTranslate(t *testing.T) {
	base := func(id string, at int64, kind bot.UpdateKind) bot.Update {
		return bot.Update{ID: id, Channel: bot.ChannelZalo, ChatID: testUser, UserID: testUser,
			Locale: "vi", Private: true, Time: ms(at), Kind: kind}
	}
	with := func(u bot.Update, f func(*bot.Update)) *bot.Update { f(&u); return &u }

	tests := []struct {
		name  string
		file  string
		want  *bot.Update // nil: acknowledged and ignored
		touch bool        // counts as an interaction
	}{
		{name: "text with emoji", file: "user_send_text.json", touch: true,
			want: with(base("96d3cdf3af150460909", 1727164800123, bot.KindText), func(u *bot.Update) {
				u.Text = "Chào anh, em muốn báo cáo một việc tốt ở thôn Đông 👍"
			})},
		{name: "tap on a signed button", file: "user_send_text_button.json", touch: true,
			want: with(base("a1b2c3d4e5f60718293", 1727164801456, bot.KindCallback), func(u *bot.Update) {
				u.Text = "kind:good_deed"
				u.Callback = &bot.Callback{Data: "kind:good_deed"}
			})},
		{name: "forged button payload becomes a stale tap", file: "user_send_text_forged.json", touch: true,
			want: with(base("b7c8d9e0f1a2b3c4d5e", 1727164802789, bot.KindCallback), func(u *bot.Update) {
				u.Callback = &bot.Callback{}
			})},
		{name: "image with caption", file: "user_send_image.json", touch: true,
			want: with(base("c0ffee0c0ffee0c0ffe", 1727164803000, bot.KindPhoto), func(u *bot.Update) {
				u.Text = "Ảnh hiện trường 📷"
				u.Photo = &bot.Media{URL: "https://f6.photo.talk.zdn.vn/6472840264928463/a1b2c3.jpg", Caption: "Ảnh hiện trường 📷"}
			})},
		{name: "location, coordinates as strings", file: "user_send_location.json", touch: true,
			want: with(base("d00d1e5d00d1e5d00d1", 1727164804000, bot.KindLocation), func(u *bot.Update) {
				u.Location = &bot.Location{Lat: 16.4637117, Lon: 107.5908628}
			})},
		{name: "location, coordinates as numbers", file: "user_send_location_numbers.json", touch: true,
			want: with(base("d00d1e5d00d1e5d00d2", 1727164804500, bot.KindLocation), func(u *bot.Update) {
				u.Location = &bot.Location{Lat: 16.4637117, Lon: 107.5908628}
			})},
		{name: "location as lat/long", file: "user_send_location_latlong.json", touch: true,
			want: with(base("d00d1e5d00d1e5d00d3", 1727164804900, bot.KindLocation), func(u *bot.Update) {
				u.Location = &bot.Location{Lat: 16.4637117, Lon: 107.5908628}
			})},
		{name: "sticker", file: "user_send_sticker.json", touch: true,
			want: with(base("e1e1e1e1e1e1e1e1e1e", 1727164805000, bot.KindSticker), func(u *bot.Update) {
				u.Photo = &bot.Media{FileID: "bfe458bf64fa8da4d4eb", URL: "https://zalo-api.zadn.vn/api/emoticon/sticker/webpc?eid=46991&size=130"}
			})},
		{name: "file", file: "user_send_file.json", touch: true,
			want: with(base("f2f2f2f2f2f2f2f2f2f", 1727164806000, bot.KindFile), func(u *bot.Update) {
				u.Photo = &bot.Media{URL: "https://dl-files.zdn.vn/d5f8a3b2/bien-ban-hop-to.pdf", Name: "Biên bản họp tổ.pdf", Size: 152934}
			})},
		{name: "gif is answered generically", file: "user_send_gif.json", touch: true,
			want: ptr(base("0a0a0a0a0a0a0a0a0a0", 1727164806500, bot.KindOther))},
		{name: "follow, follower envelope", file: "follow.json",
			want: ptr(base("follow:1727164807000:"+testUser, 1727164807000, bot.KindFollow))},
		{name: "unfollow", file: "unfollow.json",
			want: ptr(base("unfollow:1727164808000:"+testUser, 1727164808000, bot.KindUnfollow))},
		{name: "submitted info is a verified contact", file: "user_submit_info.json", touch: true,
			want: with(base("user_submit_info:1727164809000:"+testUser, 1727164809000, bot.KindContact), func(u *bot.Update) {
				u.UserName = "Nguyễn Văn An"
				u.Contact = &bot.Contact{Phone: "84912345678", Name: "Nguyễn Văn An", UserID: testUser, Verified: true}
			})},
		{name: "chat now greets like a follow", file: "user_click_chatnow.json", touch: true,
			want: ptr(base("user_click_chatnow:1727164810000:"+testUser, 1727164810000, bot.KindFollow))},
		{name: "echo of our own send", file: "oa_send_text.json"},
		{name: "seen receipt", file: "user_seen_message.json", touch: true},
		{name: "anonymous chat", file: "anonymous_send_text.json"},
		{name: "unknown event", file: "unknown_event.json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			if code := h.post(t, readFixture(t, tt.file)); code != http.StatusOK {
				t.Fatalf("status = %d, want 200", code)
			}
			got := h.sub.got()
			switch {
			case tt.want == nil && len(got) != 0:
				t.Fatalf("submitted %+v, want nothing", got)
			case tt.want != nil && len(got) != 1:
				t.Fatalf("submitted %d updates, want 1", len(got))
			case tt.want != nil && !reflect.DeepEqual(got[0], *tt.want):
				t.Errorf("update\n got %+v\nwant %+v", describe(got[0]), describe(*tt.want))
			}
			touches := h.touch.got()
			if tt.touch && len(touches) != 1 {
				t.Errorf("interactions = %v, want one", touches)
			}
			if !tt.touch && len(touches) != 0 {
				t.Errorf("interactions = %v, want none", touches)
			}
		})
	}
}

func TestWebhookAlbumBecomesOneUpdatePerPicture(t *testing.T) {
	h := newHarness(t)
	if code := h.post(t, readFixture(t, "user_send_image_album.json")); code != http.StatusOK {
		t.Fatalf("status = %d", code)
	}
	got := h.sub.got()
	want := []struct{ id, text, url string }{
		{"c0ffee0c0ffee0c0ff1", "Ba ảnh buổi tuần tra đêm 🌙", "https://f6.photo.talk.zdn.vn/6472840264928463/p1.jpg"},
		{"c0ffee0c0ffee0c0ff1#2", "", "https://f6.photo.talk.zdn.vn/6472840264928463/p2.jpg"},
		{"c0ffee0c0ffee0c0ff1#3", "", "https://f6.photo.talk.zdn.vn/6472840264928463/p3.jpg"},
	}
	if len(got) != len(want) {
		t.Fatalf("submitted %d updates, want %d", len(got), len(want))
	}
	for i, w := range want {
		u := got[i]
		if u.ID != w.id || u.Kind != bot.KindPhoto || u.Text != w.text || u.Photo == nil || u.Photo.URL != w.url || u.Photo.Caption != w.text {
			t.Errorf("update %d = %s, want id %s url %s", i, describe(u), w.id, w.url)
		}
	}
	if n := len(h.touch.got()); n != 1 {
		t.Errorf("%d interactions recorded, want 1 per event", n)
	}
}

func ptr(u bot.Update) *bot.Update { return &u }

// describe prints an update with its pointed-to parts.
func describe(u bot.Update) string {
	s := fmt.Sprintf("%+v", u)
	if u.Callback != nil {
		s += fmt.Sprintf(" callback=%+v", *u.Callback)
	}
	if u.Contact != nil {
		s += fmt.Sprintf(" contact=%+v", *u.Contact)
	}
	if u.Photo != nil {
		s += fmt.Sprintf(" photo=%+v", *u.Photo)
	}
	if u.Location != nil {
		s += fmt.Sprintf(" location=%+v", *u.Location)
	}
	return s
}

// handlerFunc adapts a function to bot.Handler.
type handlerFunc func(context.Context, bot.Update) error

func (f handlerFunc) HandleUpdate(ctx context.Context, u bot.Update) error { return f(ctx, u) }

func TestWebhookDuplicateIsDedupedByDispatcher(t *testing.T) {
	h := newHarness(t)
	var (
		mu      sync.Mutex
		handled []bot.Update
	)
	d := bot.NewDispatcher(handlerFunc(func(_ context.Context, u bot.Update) error {
		mu.Lock()
		defer mu.Unlock()
		handled = append(handled, u)
		return nil
	}), bot.NewMemoryJournal(), nil, bot.DispatcherOptions{ReplayEvery: -1})
	rec := &recordingSubmitter{}
	h.a.sub = teeSubmitter{rec, d}

	for _, file := range []string{"user_send_text.json", "user_send_text.json", "follow.json", "follow.json"} {
		if code := h.post(t, readFixture(t, file)); code != http.StatusOK {
			t.Fatalf("%s: status = %d, want 200 (a duplicate is acknowledged too)", file, code)
		}
	}
	if err := d.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	got := rec.got()
	if len(got) != 4 {
		t.Fatalf("Submit called %d times, want 4", len(got))
	}
	if got[0].ID != got[1].ID || got[2].ID != got[3].ID || got[0].ID == got[2].ID {
		t.Errorf("ids %q %q %q %q: a re-delivery must keep its id, different events must not share one", got[0].ID, got[1].ID, got[2].ID, got[3].ID)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(handled) != 2 {
		t.Errorf("handled %d updates, want 2 (duplicates dropped by the dispatcher)", len(handled))
	}
}

// teeSubmitter records and forwards to a real dispatcher.
type teeSubmitter struct {
	rec *recordingSubmitter
	d   *bot.Dispatcher
}

func (t teeSubmitter) Submit(ctx context.Context, u bot.Update) (bool, error) {
	_, _ = t.rec.Submit(ctx, u)
	return t.d.Submit(ctx, u)
}

func TestWebhookSubmitFailureIs503(t *testing.T) {
	h := newHarness(t)
	h.sub.err = errors.New("journal down")
	if code := h.post(t, readFixture(t, "user_send_text.json")); code != http.StatusServiceUnavailable {
		t.Errorf("status = %d, want 503", code)
	}
}

func TestTypedRepliesToChoices(t *testing.T) {
	seven := [][]bot.Button{
		{{Label: "📝 Việc tốt", Data: "k:good"}, {Label: "🔎 Nguồn tin", Data: "k:tip"}},
		{{Label: "Tuần tra", Data: "k:patrol"}, {Label: "Mô hình", Data: "k:model"}},
		{{Label: "Cứu nạn, cứu hộ", Data: "k:rescue"}, {Label: "Hành chính", Data: "k:admin"}},
		{{Label: "Cảm hóa", Data: "k:reform"}},
	}
	three := [][]bot.Button{{{Label: "Có", Data: "y"}, {Label: "Không", Data: "n"}, {Label: "Đợt 2", Data: "p2"}}}

	tests := []struct {
		name    string
		buttons [][]bot.Button // sent before the reply; nil: a message without choices
		reply   string
		want    string // callback data; "" means the reply stays text
	}{
		{name: "number after a numbered list", buttons: seven, reply: "2", want: "k:tip"},
		{name: "number with a dot and spaces", buttons: seven, reply: " 7. ", want: "k:reform"},
		{name: "label without diacritics", buttons: seven, reply: "viec tot", want: "k:good"},
		{name: "label with diacritics and case", buttons: seven, reply: "CỨU NẠN cứu hộ", want: "k:rescue"},
		{name: "number and label", buttons: seven, reply: "3. Tuần tra", want: "k:patrol"},
		{name: "number spelled out stays text", buttons: seven, reply: "hai"},
		{name: "number out of range stays text", buttons: seven, reply: "8"},
		{name: "other text stays text", buttons: seven, reply: "Việc tốt hôm nay là giúp cụ bà qua đường"},
		{name: "label of a button typed", buttons: three, reply: "khong", want: "n"},
		{name: "digits do not pick buttons that showed no numbers", buttons: three, reply: "2"},
		{name: "label with a digit typed", buttons: three, reply: "dot 2", want: "p2"},
		{name: "choices forgotten after a message without them", buttons: nil, reply: "1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			ctx := context.Background()
			// Earlier choices exist, so the nil case proves they are forgotten.
			if _, err := h.a.Send(ctx, bot.Message{ChatID: testUser, Text: "Chọn loại báo cáo:", Buttons: seven}); err != nil {
				t.Fatal(err)
			}
			if _, err := h.a.Send(ctx, bot.Message{ChatID: testUser, Text: "Câu hỏi", Buttons: tt.buttons}); err != nil {
				t.Fatal(err)
			}
			body := zalotest.TextEvent(testAppID, testOAID, testUser, "9f9f9f9f9f9f9f9f9f9", tt.reply, testNow)
			if code := h.post(t, body); code != http.StatusOK {
				t.Fatalf("status = %d", code)
			}
			got := h.sub.got()
			if len(got) != 1 {
				t.Fatalf("submitted %d updates", len(got))
			}
			u := got[0]
			if tt.want == "" {
				if u.Kind != bot.KindText || u.Text != tt.reply || u.Callback != nil {
					t.Errorf("got %s, want text %q", describe(u), tt.reply)
				}
				return
			}
			if u.Kind != bot.KindCallback || u.Callback == nil || u.Callback.Data != tt.want || u.Text != tt.want {
				t.Errorf("got %s, want callback %q", describe(u), tt.want)
			}
		})
	}
}

func TestButtonPayloadRoundTrip(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	if _, err := h.a.Send(ctx, bot.Message{ChatID: testUser, Text: "Xác nhận gửi báo cáo?",
		Buttons: [][]bot.Button{{{Label: "✅ Gửi", Data: "confirm:42"}, {Label: "✖️ Hủy", Data: "cancel:42"}}}}); err != nil {
		t.Fatal(err)
	}
	reqs := h.srv.Requests(zalotest.PathCS)
	if len(reqs) != 1 {
		t.Fatalf("%d CS requests", len(reqs))
	}
	payload := reqs[0].Buttons()["✖️ Hủy"]
	if reqs[0].Text() != "Xác nhận gửi báo cáo?" || payload == "" {
		t.Fatalf("request %s", reqs[0].Body)
	}
	if len(payload) > 1000 {
		t.Fatalf("payload is %d bytes, Zalo takes 1000", len(payload))
	}

	tests := []struct {
		name string
		user string
		text string
		want string
	}{
		{name: "tapped by the recipient", user: testUser, text: payload, want: "cancel:42"},
		{name: "replayed by another user", user: "999999999999999999", text: payload, want: ""},
		{name: "data edited", user: testUser, text: strings.Replace(payload, "cancel:42", "cancel:43", 1), want: ""},
		{name: "truncated", user: testUser, text: payload[:10], want: ""},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h.sub.updates = nil
			body := zalotest.TextEvent(testAppID, testOAID, tt.user, fmt.Sprintf("77%017d", i), tt.text, testNow)
			if code := h.post(t, body); code != http.StatusOK {
				t.Fatalf("status = %d", code)
			}
			u := h.sub.got()[0]
			if u.Kind != bot.KindCallback || u.Callback == nil || u.Callback.Data != tt.want || u.Text != tt.want {
				t.Errorf("got %s, want callback data %q", describe(u), tt.want)
			}
		})
	}
}
