package simulator_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/anttbot/anttbot/bot"
	"github.com/anttbot/anttbot/bot/simulator"
	"github.com/anttbot/anttbot/locales"
)

// demoPeople is the fixed cast of these tests.
type demoPeople []simulator.Person

func (d demoPeople) DemoPeople(context.Context) ([]simulator.Person, error) { return d, nil }

var cast = demoPeople{
	{ID: "demo-member", Name: "Nguyễn Văn An", Phone: "+84901234567", RoleLabel: "Tổ viên", UnitLabel: "Tổ bảo vệ ANTT thôn Đông"},
	{ID: "demo-leader", Name: "Trần Thị Bình", Phone: "+84907654321", RoleLabel: "Tổ trưởng", UnitLabel: "Tổ bảo vệ ANTT thôn Đông"},
	{ID: "demo-police", Name: "Lê Văn Cường", Phone: "+84912345678", RoleLabel: "Công an xã", UnitLabel: "Xã Hòa An"},
}

// recorder is a Submitter that keeps what it is given.
type recorder struct {
	mu      sync.Mutex
	updates []bot.Update
	err     error
}

func (r *recorder) Submit(_ context.Context, u bot.Update) (bool, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.err != nil {
		return false, r.err
	}
	r.updates = append(r.updates, u)
	return true, nil
}

func (r *recorder) last(t *testing.T) bot.Update {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.updates) == 0 {
		t.Fatal("no update submitted")
	}
	return r.updates[len(r.updates)-1]
}

func (r *recorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.updates)
}

type env struct {
	sim *simulator.Simulator
	rec *recorder
	srv *httptest.Server
	cat *locales.Catalog
}

func newEnv(t *testing.T, opts ...simulator.Option) *env {
	t.Helper()
	cat, err := locales.Load()
	if err != nil {
		t.Fatalf("load locales: %v", err)
	}
	rec := &recorder{}
	sim := simulator.New(rec, cast, append([]simulator.Option{simulator.WithTranslator(cat)}, opts...)...)
	srv := httptest.NewServer(sim.Handler())
	t.Cleanup(func() { sim.Close(); srv.Close() })
	return &env{sim: sim, rec: rec, srv: srv, cat: cat}
}

// apiReply is a decoded JSON answer.
type apiReply struct {
	status int
	header http.Header
	body   map[string]any
	raw    []byte
}

func (e *env) do(t *testing.T, req *http.Request) apiReply {
	t.Helper()
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read body: %v", err)
	}
	r := apiReply{status: resp.StatusCode, header: resp.Header, raw: raw}
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		_ = json.Unmarshal(raw, &r.body)
	}
	return r
}

func (e *env) post(t *testing.T, body string) apiReply {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, e.srv.URL+"/api/send", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	return e.do(t, req)
}

func (e *env) get(t *testing.T, path string) apiReply {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, e.srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	return e.do(t, req)
}

// page is GET /api/messages decoded.
type page struct {
	Rev              int64 `json:"rev"`
	Reset            bool  `json:"reset"`
	ContactRequested bool  `json:"contact_requested"`
	Messages         []struct {
		ID      string `json:"id"`
		Rev     int64  `json:"rev"`
		From    string `json:"from"`
		Text    string `json:"text"`
		Buttons [][]struct {
			Label string `json:"label"`
			Data  string `json:"data"`
			URL   string `json:"url"`
		} `json:"buttons"`
		PhotoURL     string `json:"photo_url"`
		PhotoMissing bool   `json:"photo_missing"`
		Attachment   *struct {
			URL     string `json:"url"`
			Name    string `json:"name"`
			IsImage bool   `json:"is_image"`
		} `json:"attachment"`
		Contact *struct {
			Phone string `json:"phone"`
		} `json:"contact"`
		Toast  string `json:"toast"`
		Edited bool   `json:"edited"`
		Failed bool   `json:"failed"`
	} `json:"messages"`
}

func (e *env) messages(t *testing.T, chatID string, after int64) page {
	t.Helper()
	r := e.get(t, "/api/messages?chat_id="+chatID+"&after="+strconv.FormatInt(after, 10))
	if r.status != http.StatusOK {
		t.Fatalf("GET messages: %d %s", r.status, r.raw)
	}
	var p page
	if err := json.Unmarshal(r.raw, &p); err != nil {
		t.Fatalf("decode messages: %v", err)
	}
	return p
}

func (e *env) send(t *testing.T, m bot.Message) bot.Sent {
	t.Helper()
	s, err := e.sim.Send(context.Background(), m)
	if err != nil {
		t.Fatalf("Send: %v", err)
	}
	return s
}

func TestSendBuildsUpdates(t *testing.T) {
	e := newEnv(t)
	menu := e.send(t, bot.Message{ChatID: "demo-member", Text: "Chọn loại báo cáo",
		Buttons: [][]bot.Button{{{Label: "Nguồn tin", Data: "kind:tip"}, {Label: "Việc tốt", Data: "kind:deed"}}}})

	tests := []struct {
		name  string
		body  string
		check func(t *testing.T, u bot.Update)
	}{
		{
			name: "text is NFC-normalised and trimmed",
			// "Báo cáo" typed with combining accents (NFD), as some keyboards send it.
			body: `{"chat_id":"demo-member","text":"  /baocao Ba\u0301o ca\u0301o  ","lang":"vi"}`,
			check: func(t *testing.T, u bot.Update) {
				if u.Kind != bot.KindText || u.Text != "/baocao Báo cáo" {
					t.Errorf("Kind, Text = %s, %q", u.Kind, u.Text)
				}
			},
		},
		{
			name: "language hint passed on",
			body: `{"chat_id":"demo-leader","text":"hello","lang":"en-US"}`,
			check: func(t *testing.T, u bot.Update) {
				if u.Locale != "en" || u.ChatID != "demo-leader" || u.UserName != "Trần Thị Bình" {
					t.Errorf("Locale, ChatID, UserName = %q, %q, %q", u.Locale, u.ChatID, u.UserName)
				}
			},
		},
		{
			name: "button tap",
			body: `{"chat_id":"demo-member","callback_data":"kind:deed","message_id":"` + menu.MessageID + `"}`,
			check: func(t *testing.T, u bot.Update) {
				if u.Kind != bot.KindCallback || u.Text != "kind:deed" || u.Callback == nil ||
					u.Callback.Data != "kind:deed" || u.Callback.MessageID != menu.MessageID || u.Callback.ID == "" {
					t.Errorf("callback update = %+v %+v", u, u.Callback)
				}
			},
		},
		{
			name: "button tap without message id",
			body: `{"chat_id":"demo-member","callback_data":"kind:tip"}`,
			check: func(t *testing.T, u bot.Update) {
				if u.Kind != bot.KindCallback || u.Callback.Data != "kind:tip" {
					t.Errorf("callback update = %+v", u.Callback)
				}
			},
		},
		{
			name: "share contact gives the person's verified phone",
			body: `{"chat_id":"demo-police","share_contact":true}`,
			check: func(t *testing.T, u bot.Update) {
				c := u.Contact
				if u.Kind != bot.KindContact || c == nil || c.Phone != "+84912345678" || !c.Verified || c.UserID != "demo-police" {
					t.Errorf("contact update = %+v %+v", u, c)
				}
			},
		},
		{
			name: "location",
			body: `{"chat_id":"demo-member","location":{"lat":21.0278,"lon":105.8342}}`,
			check: func(t *testing.T, u bot.Update) {
				if u.Kind != bot.KindLocation || u.Location == nil || u.Location.Lat != 21.0278 || u.Location.Lon != 105.8342 {
					t.Errorf("location update = %+v %+v", u, u.Location)
				}
			},
		},
	}
	seen := map[string]bool{}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := e.rec.count()
			r := e.post(t, tc.body)
			if r.status != http.StatusOK || r.body["accepted"] != true {
				t.Fatalf("status %d, body %s", r.status, r.raw)
			}
			if e.rec.count() != before+1 {
				t.Fatalf("submitted %d updates, want 1", e.rec.count()-before)
			}
			u := e.rec.last(t)
			if u.Channel != bot.ChannelSimulator || !u.Private || u.UserID != u.ChatID || u.Time.IsZero() {
				t.Errorf("common fields: %+v", u)
			}
			if u.ID == "" || seen[u.ID] || r.body["update_id"] != u.ID {
				t.Errorf("update id %q not unique or not reported (%v)", u.ID, r.body["update_id"])
			}
			seen[u.ID] = true
			tc.check(t, u)
		})
	}

	// The person's side of the chat shows what they sent, except button taps.
	p := e.messages(t, "demo-member", 0)
	var froms []string
	for _, m := range p.Messages {
		froms = append(froms, m.From+":"+m.Text)
	}
	got := strings.Join(froms, "|")
	if want := "bot:Chọn loại báo cáo|user:/baocao Báo cáo|user:"; got != want {
		t.Errorf("member chat = %q, want %q", got, want)
	}
}

func TestSendRejectsBadInput(t *testing.T) {
	e := newEnv(t)
	e.send(t, bot.Message{ChatID: "demo-member", Text: "menu", Buttons: [][]bot.Button{{{Label: "OK", Data: "ok"}}}})
	long := strings.Repeat("ă", simulator.MaxTextRunes+1)

	tests := []struct {
		name       string
		body       string
		wantStatus int
		wantCode   string
		lang       string
	}{
		{"unknown person", `{"chat_id":"nobody","text":"hi"}`, 404, "unknown_person", "vi"},
		{"unknown person in English", `{"chat_id":"nobody","text":"hi","lang":"en"}`, 404, "unknown_person", "en"},
		{"missing person", `{"text":"hi"}`, 400, "bad_request", "vi"},
		{"bad JSON", `{"chat_id":`, 400, "bad_request", "vi"},
		{"unknown field", `{"chat_id":"demo-member","txt":"hi"}`, 400, "bad_request", "vi"},
		{"no action", `{"chat_id":"demo-member"}`, 400, "bad_request", "vi"},
		{"two actions", `{"chat_id":"demo-member","text":"hi","share_contact":true}`, 400, "bad_request", "vi"},
		{"empty text", `{"chat_id":"demo-member","text":"   "}`, 400, "empty", "vi"},
		{"text too long", `{"chat_id":"demo-member","text":"` + long + `"}`, 400, "too_long", "vi"},
		{"latitude out of range", `{"chat_id":"demo-member","location":{"lat":91,"lon":105}}`, 400, "bad_location", "vi"},
		{"longitude missing", `{"chat_id":"demo-member","location":{"lat":21}}`, 400, "bad_location", "vi"},
		{"forged button", `{"chat_id":"demo-member","callback_data":"admin:delete-all"}`, 400, "unknown_button", "vi"},
		{"button of another message", `{"chat_id":"demo-member","callback_data":"ok","message_id":"999"}`, 400, "unknown_button", "vi"},
		{"button of another chat", `{"chat_id":"demo-leader","callback_data":"ok"}`, 400, "unknown_button", "vi"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := e.rec.count()
			r := e.post(t, tc.body)
			if r.status != tc.wantStatus || r.body["error"] != tc.wantCode {
				t.Fatalf("got %d %s, want %d %s", r.status, r.raw, tc.wantStatus, tc.wantCode)
			}
			msg, _ := r.body["message"].(string)
			if msg == "" || strings.HasPrefix(msg, "simulator.") {
				t.Errorf("message %q is not localized text", msg)
			}
			if want := e.cat.T(tc.lang, "simulator.error."+tc.wantCode, "Max", simulator.MaxTextRunes); msg != want {
				t.Errorf("message = %q, want %q", msg, want)
			}
			if e.rec.count() != before {
				t.Errorf("rejected input was submitted")
			}
		})
	}
}

func multipartBody(t *testing.T, fields map[string]string, fileName string, data []byte) (*bytes.Buffer, string) {
	t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	for k, v := range fields {
		if err := w.WriteField(k, v); err != nil {
			t.Fatal(err)
		}
	}
	if data != nil {
		fw, err := w.CreateFormFile("photo", fileName)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := fw.Write(data); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return &buf, w.FormDataContentType()
}

func (e *env) upload(t *testing.T, fields map[string]string, fileName string, data []byte) apiReply {
	t.Helper()
	body, ct := multipartBody(t, fields, fileName, data)
	req, err := http.NewRequest(http.MethodPost, e.srv.URL+"/api/send", body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", ct)
	return e.do(t, req)
}

func TestPhotoUpload(t *testing.T) {
	e := newEnv(t)
	png, err := os.ReadFile("testdata/photo.png")
	if err != nil {
		t.Fatal(err)
	}
	r := e.upload(t, map[string]string{"chat_id": "demo-member", "caption": "Nhặt được ví, đã trả lại"}, "vi.png", png)
	if r.status != http.StatusOK {
		t.Fatalf("upload: %d %s", r.status, r.raw)
	}
	u := e.rec.last(t)
	if u.Kind != bot.KindPhoto || u.Photo == nil || u.Text != "Nhặt được ví, đã trả lại" || u.Photo.Caption != u.Text {
		t.Fatalf("photo update = %+v %+v", u, u.Photo)
	}
	id, ok := strings.CutPrefix(u.Photo.FileID, "sim:")
	if !ok || id == "" || u.Photo.Size != int64(len(png)) {
		t.Fatalf("FileID = %q, Size = %d", u.Photo.FileID, u.Photo.Size)
	}
	f := e.get(t, "/api/files/"+id)
	if f.status != http.StatusOK || f.header.Get("Content-Type") != "image/png" || !bytes.Equal(f.raw, png) {
		t.Fatalf("GET file: %d %s, %d bytes", f.status, f.header.Get("Content-Type"), len(f.raw))
	}
	p := e.messages(t, "demo-member", 0)
	if len(p.Messages) != 1 || p.Messages[0].PhotoURL != "api/files/"+id {
		t.Fatalf("user bubble = %+v", p.Messages)
	}

	// The bot re-sending that photo by its FileID shows the same file.
	e.send(t, bot.Message{ChatID: "demo-police", Text: "Ảnh kèm báo cáo #12", Photo: &bot.Media{FileID: u.Photo.FileID}})
	e.send(t, bot.Message{ChatID: "demo-police", Text: "Ảnh từ Telegram", Photo: &bot.Media{FileID: "AgACAgUAAxkBAAIB"}})
	pp := e.messages(t, "demo-police", 0)
	if len(pp.Messages) != 2 || pp.Messages[0].PhotoURL != "api/files/"+id || !pp.Messages[1].PhotoMissing {
		t.Fatalf("police chat = %+v", pp.Messages)
	}

	oversized := append(bytes.Clone(png), make([]byte, simulator.MaxUpload)...)
	tests := []struct {
		name       string
		fields     map[string]string
		data       []byte
		wantStatus int
		wantCode   string
	}{
		{"over 5 MB", map[string]string{"chat_id": "demo-member"}, oversized, 413, "too_large"},
		{"far over 5 MB", map[string]string{"chat_id": "demo-member"}, make([]byte, 3*simulator.MaxUpload), 413, "too_large"},
		{"not an image", map[string]string{"chat_id": "demo-member"}, []byte("#!/bin/sh\necho hi\n"), 415, "not_image"},
		{"no file", map[string]string{"chat_id": "demo-member"}, nil, 400, "bad_request"},
		{"unknown person", map[string]string{"chat_id": "nobody", "lang": "en"}, png, 404, "unknown_person"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := e.rec.count()
			r := e.upload(t, tc.fields, "x.png", tc.data)
			if r.status != tc.wantStatus || r.body["error"] != tc.wantCode {
				t.Fatalf("got %d %s, want %d %s", r.status, r.raw, tc.wantStatus, tc.wantCode)
			}
			if e.rec.count() != before {
				t.Error("rejected upload was submitted")
			}
		})
	}
}

func TestLongPollWakesOnSend(t *testing.T) {
	e := newEnv(t, simulator.WithPollTimeout(10*time.Second))
	e.send(t, bot.Message{ChatID: "demo-leader", Text: "Xin chào"})
	rev := e.messages(t, "demo-leader", 0).Rev

	type result struct {
		p       page
		err     error
		elapsed time.Duration
	}
	done := make(chan result, 1)
	start := time.Now()
	go func() {
		var r result
		resp, err := http.Get(e.srv.URL + "/api/messages?chat_id=demo-leader&after=" + strconv.FormatInt(rev, 10))
		if err == nil {
			r.err = json.NewDecoder(resp.Body).Decode(&r.p)
			resp.Body.Close()
		} else {
			r.err = err
		}
		r.elapsed = time.Since(start)
		done <- r
	}()
	const delay = 200 * time.Millisecond
	time.Sleep(delay)
	select {
	case r := <-done:
		t.Fatalf("poll returned before anything was sent: %+v", r.p)
	default:
	}
	e.send(t, bot.Message{ChatID: "demo-leader", Text: "Tổ của bạn đã có 1 việc tốt trong tháng này."})
	select {
	case r := <-done:
		if r.err != nil {
			t.Fatalf("poll: %v", r.err)
		}
		if r.elapsed < delay || r.elapsed > 5*time.Second {
			t.Errorf("poll took %v", r.elapsed)
		}
		if len(r.p.Messages) != 1 || r.p.Messages[0].Text != "Tổ của bạn đã có 1 việc tốt trong tháng này." || r.p.Rev <= rev {
			t.Errorf("poll = %+v", r.p)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("poll did not wake on Send")
	}
}

func TestLongPollTimesOutAndClose(t *testing.T) {
	e := newEnv(t, simulator.WithPollTimeout(150*time.Millisecond))
	start := time.Now()
	p := e.messages(t, "demo-member", 0)
	if len(p.Messages) != 0 || time.Since(start) < 150*time.Millisecond {
		t.Fatalf("empty poll = %+v after %v", p, time.Since(start))
	}

	e2 := newEnv(t, simulator.WithPollTimeout(time.Minute))
	done := make(chan struct{})
	go func() {
		if resp, err := http.Get(e2.srv.URL + "/api/messages?chat_id=demo-member"); err == nil {
			resp.Body.Close()
		}
		close(done)
	}()
	time.Sleep(50 * time.Millisecond)
	e2.sim.Close()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not end the waiting poll")
	}
}

func TestEditReplacesMessage(t *testing.T) {
	e := newEnv(t)
	first := e.send(t, bot.Message{ChatID: "demo-member", Text: "Xác nhận gửi?",
		Buttons: [][]bot.Button{{{Label: "Gửi", Data: "confirm"}, {Label: "Hủy", Data: "cancel"}}}})
	e.send(t, bot.Message{ChatID: "demo-member", Text: "Tin nhắn sau"})
	before := e.messages(t, "demo-member", 0)

	edited := e.send(t, bot.Message{ChatID: "demo-member", EditMessageID: first.MessageID, Text: "Đã gửi báo cáo #12",
		AnswerCallbackID: "cb-1", CallbackText: "Đã gửi"})
	if edited.MessageID != first.MessageID {
		t.Errorf("edit returned id %q, want %q", edited.MessageID, first.MessageID)
	}
	all := e.messages(t, "demo-member", 0)
	if len(all.Messages) != 2 {
		t.Fatalf("after edit %d messages, want 2 (replaced in place)", len(all.Messages))
	}
	m := all.Messages[0]
	if m.ID != first.MessageID || m.Text != "Đã gửi báo cáo #12" || !m.Edited || len(m.Buttons) != 0 || m.Toast != "Đã gửi" {
		t.Errorf("edited message = %+v", m)
	}
	news := e.messages(t, "demo-member", before.Rev)
	if len(news.Messages) != 1 || news.Messages[0].ID != first.MessageID {
		t.Errorf("news after edit = %+v, want only the edited message", news.Messages)
	}

	// The old buttons are gone, so tapping them is refused.
	if r := e.post(t, `{"chat_id":"demo-member","callback_data":"confirm"}`); r.status != http.StatusBadRequest {
		t.Errorf("tap on removed button: %d", r.status)
	}

	// Editing a message no longer in history shows the text as a new message.
	e.send(t, bot.Message{ChatID: "demo-member", EditMessageID: "12345", Text: "Thay thế"})
	if got := e.messages(t, "demo-member", 0); len(got.Messages) != 3 || got.Messages[2].Text != "Thay thế" {
		t.Errorf("edit of unknown message = %+v", got.Messages)
	}
}

func TestAttachments(t *testing.T) {
	e := newEnv(t)
	xlsx := []byte("PK\x03\x04 not really a workbook")
	png, err := os.ReadFile("testdata/photo.png")
	if err != nil {
		t.Fatal(err)
	}
	e.send(t, bot.Message{ChatID: "demo-police", Text: "Tổng kết đợt 1", Attachment: &bot.Attachment{
		Name: "tong-ket-dot-1.xlsx", MIME: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", Data: xlsx}})
	e.send(t, bot.Message{ChatID: "demo-police", Attachment: &bot.Attachment{
		Name: "bieu-do.png", MIME: "image/png", Data: png, IsImage: true, Caption: "Biểu đồ"}})
	p := e.messages(t, "demo-police", 0)
	if len(p.Messages) != 2 || p.Messages[0].Attachment == nil || p.Messages[1].Attachment == nil {
		t.Fatalf("messages = %+v", p.Messages)
	}
	if p.Messages[1].Text != "" || !p.Messages[1].Attachment.IsImage {
		t.Errorf("chart message = %+v", p.Messages[1])
	}

	tests := []struct {
		name        string
		url         string
		want        []byte
		contentType string
		download    bool
	}{
		{"spreadsheet is a download", p.Messages[0].Attachment.URL, xlsx, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", true},
		{"chart is shown inline", p.Messages[1].Attachment.URL, png, "image/png", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := e.get(t, "/"+tc.url)
			if r.status != http.StatusOK || !bytes.Equal(r.raw, tc.want) || r.header.Get("Content-Type") != tc.contentType {
				t.Fatalf("GET %s: %d %q", tc.url, r.status, r.header.Get("Content-Type"))
			}
			cd := r.header.Get("Content-Disposition")
			if tc.download != strings.HasPrefix(cd, "attachment") {
				t.Errorf("Content-Disposition = %q", cd)
			}
		})
	}
	if r := e.get(t, "/api/files/doesnotexist"); r.status != http.StatusNotFound || r.body["error"] != "not_found" {
		t.Errorf("missing file: %d %s", r.status, r.raw)
	}
}

func TestContactKeyboard(t *testing.T) {
	e := newEnv(t)
	e.send(t, bot.Message{ChatID: "demo-member", Text: "Vui lòng chia sẻ số điện thoại", RequestContact: true})
	if p := e.messages(t, "demo-member", 0); !p.ContactRequested {
		t.Fatal("contact not requested after RequestContact")
	}
	if r := e.post(t, `{"chat_id":"demo-member","share_contact":true}`); r.status != http.StatusOK {
		t.Fatalf("share: %d %s", r.status, r.raw)
	}
	p := e.messages(t, "demo-member", 0)
	if p.ContactRequested {
		t.Error("contact button still shown after sharing")
	}
	if last := p.Messages[len(p.Messages)-1]; last.From != "user" || last.Contact == nil || last.Contact.Phone != "+84901234567" {
		t.Errorf("contact bubble = %+v", last)
	}

	e.send(t, bot.Message{ChatID: "demo-member", Text: "Chia sẻ lại", RequestContact: true})
	rev := e.messages(t, "demo-member", 0).Rev
	// A bare keyboard removal shows nothing but must reach the page.
	e.send(t, bot.Message{ChatID: "demo-member", RemoveKeyboard: true})
	p = e.messages(t, "demo-member", rev)
	if p.ContactRequested || len(p.Messages) != 0 || p.Rev <= rev {
		t.Errorf("after RemoveKeyboard = %+v", p)
	}
}

func TestHistoryLimitAndReset(t *testing.T) {
	e := newEnv(t, simulator.WithHistoryLimit(3))
	for i := range 5 {
		e.send(t, bot.Message{ChatID: "demo-member", Text: strconv.Itoa(i)})
	}
	p := e.messages(t, "demo-member", 0)
	var texts []string
	for _, m := range p.Messages {
		texts = append(texts, m.Text)
	}
	if got := strings.Join(texts, ","); got != "2,3,4" {
		t.Errorf("kept %q, want the last 3", got)
	}
	e.sim.Reset("demo-member")
	after := e.messages(t, "demo-member", p.Rev)
	if !after.Reset || len(after.Messages) != 0 {
		t.Errorf("after Reset = %+v", after)
	}
	// A cursor from before a restart (larger than the chat's rev) starts over too.
	if r := e.messages(t, "demo-leader", 1000); !r.Reset {
		t.Errorf("cursor ahead of the server: %+v", r)
	}
}

func TestSubmitFailures(t *testing.T) {
	tests := []struct {
		name       string
		err        error
		wantStatus int
		wantCode   string
	}{
		{"queue full", bot.ErrBusy, 503, "busy"},
		{"closed", bot.ErrClosed, 503, "busy"},
		{"journal down", errors.New("journal: connection refused"), 500, "generic"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			e.rec.err = tc.err
			r := e.post(t, `{"chat_id":"demo-member","text":"xin chào"}`)
			if r.status != tc.wantStatus || r.body["error"] != tc.wantCode {
				t.Fatalf("got %d %s", r.status, r.raw)
			}
			if strings.Contains(string(r.raw), "connection refused") {
				t.Error("Go error text leaked to the page")
			}
			p := e.messages(t, "demo-member", 0)
			if len(p.Messages) != 1 || !p.Messages[0].Failed {
				t.Errorf("user message not marked as failed: %+v", p.Messages)
			}
		})
	}
}

func TestPageAndStrings(t *testing.T) {
	e := newEnv(t)
	r := e.get(t, "/")
	if r.status != http.StatusOK || !strings.HasPrefix(r.header.Get("Content-Type"), "text/html") ||
		!strings.Contains(r.header.Get("Content-Security-Policy"), "default-src 'self'") {
		t.Fatalf("GET /: %d %v", r.status, r.header)
	}
	if bytes.Contains(r.raw, []byte("http://")) || bytes.Contains(r.raw, []byte("https://")) {
		t.Error("page refers to an external URL; the machine may have no internet")
	}
	for _, path := range []string{"/static/app.js", "/static/app.css"} {
		if r := e.get(t, path); r.status != http.StatusOK || len(r.raw) == 0 {
			t.Errorf("GET %s: %d", path, r.status)
		}
	}
	if r := e.get(t, "/nope"); r.status != http.StatusNotFound {
		t.Errorf("GET /nope: %d", r.status)
	}

	people := e.get(t, "/api/people")
	var ps []map[string]string
	if err := json.Unmarshal(people.raw, &ps); err != nil || len(ps) != 3 || ps[2]["role_label"] != "Công an xã" || ps[0]["id"] != "demo-member" {
		t.Errorf("people = %s (%v)", people.raw, err)
	}

	for _, lang := range []string{"vi", "en"} {
		t.Run(lang, func(t *testing.T) {
			r := e.get(t, "/api/strings?lang="+lang)
			var s struct {
				Lang    string            `json:"lang"`
				Strings map[string]string `json:"strings"`
				Langs   []struct{ Code, Name string }
			}
			if err := json.Unmarshal(r.raw, &s); err != nil {
				t.Fatal(err)
			}
			if s.Lang != lang || len(s.Langs) != 2 {
				t.Errorf("lang %q, langs %v", s.Lang, s.Langs)
			}
			for k, v := range s.Strings {
				if v == "" || v == k {
					t.Errorf("%s: %q untranslated", k, v)
				}
			}
			if !strings.Contains(s.Strings["simulator.msg.contact"], "{{.Phone}}") {
				t.Errorf("placeholder not handed to the script: %q", s.Strings["simulator.msg.contact"])
			}
		})
	}
	var vi struct{ Strings map[string]string }
	_ = json.Unmarshal(e.get(t, "/api/strings?lang=vi").raw, &vi)
	if got := vi.Strings["simulator.contact.share"]; got != "📱 Chia sẻ số điện thoại" {
		t.Errorf("share button = %q", got)
	}
}

// TestScriptKeysAreServed fails when the page uses a key the server does not
// hand over or the catalogue lacks.
func TestScriptKeysAreServed(t *testing.T) {
	cat, err := locales.Load()
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t)
	var served struct{ Strings map[string]string }
	_ = json.Unmarshal(e.get(t, "/api/strings?lang=vi").raw, &served)
	key := regexp.MustCompile(`simulator\.[a-z_]+\.[a-z_.]+[a-z_]`)
	for _, file := range []string{"static/app.js", "static/index.html"} {
		src, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range key.FindAllString(string(src), -1) {
			if _, ok := served.Strings[k]; !ok {
				t.Errorf("%s uses %q, which /api/strings does not serve", file, k)
			}
			for _, lang := range []string{"vi", "en"} {
				if !cat.Has(lang, k) {
					t.Errorf("%s uses %q, missing in locales/%s", file, k, lang)
				}
			}
		}
	}
	for k := range served.Strings {
		for _, lang := range []string{"vi", "en"} {
			if !cat.Has(lang, k) {
				t.Errorf("served key %q missing in locales/%s", k, lang)
			}
		}
	}
}

func TestCrossSitePostRejected(t *testing.T) {
	e := newEnv(t)
	body, ct := multipartBody(t, map[string]string{"chat_id": "demo-member"}, "x.png", []byte("x"))
	req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/api/send", body)
	req.Header.Set("Content-Type", ct)
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	if r := e.do(t, req); r.status != http.StatusForbidden {
		t.Fatalf("cross-site post: %d", r.status)
	}
	if e.rec.count() != 0 {
		t.Error("cross-site post was submitted")
	}
}

func TestChannel(t *testing.T) {
	e := newEnv(t)
	var ch bot.Channel = e.sim
	if ch.Name() != bot.ChannelSimulator {
		t.Errorf("Name = %q", ch.Name())
	}
	if _, err := ch.Send(context.Background(), bot.Message{Text: "no chat"}); err == nil {
		t.Error("Send without chat id succeeded")
	}
	a, _ := ch.Send(context.Background(), bot.Message{ChatID: "demo-member", Text: "a"})
	b, _ := ch.Send(context.Background(), bot.Message{ChatID: "demo-leader", Text: "b"})
	if a.MessageID == "" || a.MessageID == b.MessageID {
		t.Errorf("message ids %q, %q", a.MessageID, b.MessageID)
	}
}

// TestLinkButton: a link button reaches the page with its address.
func TestLinkButton(t *testing.T) {
	e := newEnv(t)
	e.send(t, bot.Message{ChatID: "demo-member", Text: "Đăng nhập",
		Buttons: [][]bot.Button{{{Label: "🌐 Mở trang quản lý", URL: "http://127.0.0.1:8080/web/login/abc"}}}})
	p := e.messages(t, "demo-member", 0)
	last := p.Messages[len(p.Messages)-1]
	if len(last.Buttons) != 1 || last.Buttons[0][0].URL != "http://127.0.0.1:8080/web/login/abc" || last.Buttons[0][0].Label != "🌐 Mở trang quản lý" {
		t.Fatalf("buttons = %+v", last.Buttons)
	}
}
