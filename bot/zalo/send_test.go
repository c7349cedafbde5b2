package zalo

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/anttbot/anttbot/bot"
	"github.com/anttbot/anttbot/bot/zalo/zalotest"
)

func TestSendShapes(t *testing.T) {
	sign := newHarness(t).a.signPayload                  // same secret in every harness
	long := strings.Repeat("Tổ tuần tra thôn Đông. ", 7) // 161 characters, too long for a card title

	tests := []struct {
		name string
		msg  bot.Message
		want []string // request bodies of /v3.0/oa/message/cs, in order
	}{
		{name: "plain text",
			msg:  bot.Message{ChatID: testUser, Text: "Chào đồng chí 👋"},
			want: []string{`{"recipient":{"user_id":"` + testUser + `"},"message":{"text":"Chào đồng chí 👋"}}`}},
		{name: "buttons in rows become up to five hidden-query buttons",
			msg: bot.Message{ChatID: testUser, Text: "Bạn muốn báo cáo gì?", Buttons: [][]bot.Button{
				{{Label: "📝 Việc tốt", Data: "k:good"}, {Label: "🔎 Nguồn tin", Data: "k:tip"}},
				{{Label: "✖️ Hủy", Data: "cancel"}},
			}},
			want: []string{`{"recipient":{"user_id":"` + testUser + `"},"message":{"text":"Bạn muốn báo cáo gì?","attachment":{"type":"template","payload":{"buttons":[
				{"title":"📝 Việc tốt","type":"oa.query.hide","payload":"` + sign(testUser, "k:good") + `"},
				{"title":"🔎 Nguồn tin","type":"oa.query.hide","payload":"` + sign(testUser, "k:tip") + `"},
				{"title":"✖️ Hủy","type":"oa.query.hide","payload":"` + sign(testUser, "cancel") + `"}]}}}}`}},
		{name: "a link button opens its address",
			msg: bot.Message{ChatID: testUser, Text: "Đường dẫn đăng nhập", Buttons: [][]bot.Button{{{Label: "🌐 Mở trang quản lý", URL: "https://anttbot.example/web/login/t0k"}}}},
			want: []string{`{"recipient":{"user_id":"` + testUser + `"},"message":{"text":"Đường dẫn đăng nhập","attachment":{"type":"template","payload":{"buttons":[
				{"title":"🌐 Mở trang quản lý","type":"oa.open.url","payload":{"url":"https://anttbot.example/web/login/t0k"}}]}}}}`}},
		{name: "a link among choices is written out in the text",
			msg:  bot.Message{ChatID: testUser, Text: "Chọn:", Buttons: [][]bot.Button{{{Label: "Có", Data: "y"}, {Label: "Trang web", URL: "https://anttbot.example/web/"}}}},
			want: []string{`{"recipient":{"user_id":"` + testUser + `"},"message":{"text":"Chọn:\nTrang web: https://anttbot.example/web/","attachment":{"type":"template","payload":{"buttons":[{"title":"Có","type":"oa.query.hide","payload":"` + sign(testUser, "y") + `"}]}}}}`}},
		{name: "buttons without a question get a prompt",
			msg:  bot.Message{ChatID: testUser, Buttons: [][]bot.Button{{{Label: "Có", Data: "y"}}}},
			want: []string{`{"recipient":{"user_id":"` + testUser + `"},"message":{"text":"Vui lòng chọn:","attachment":{"type":"template","payload":{"buttons":[{"title":"Có","type":"oa.query.hide","payload":"` + sign(testUser, "y") + `"}]}}}}`}},
		{name: "more than five choices become a numbered list",
			msg: bot.Message{ChatID: testUser, Text: "Chọn nội dung thi đua:", Buttons: [][]bot.Button{
				{{Label: "Nắm tình hình", Data: "c1"}, {Label: "Phong trào", Data: "c2"}, {Label: "PCCC", Data: "c3"}},
				{{Label: "Hành chính", Data: "c4"}, {Label: "Cảm hóa", Data: "c5"}, {Label: "Tuần tra", Data: "c6"}},
			}},
			want: []string{`{"recipient":{"user_id":"` + testUser + `"},"message":{"text":"Chọn nội dung thi đua:\n\n1. Nắm tình hình\n2. Phong trào\n3. PCCC\n4. Hành chính\n5. Cảm hóa\n6. Tuần tra\n\nTrả lời bằng một số từ 1 đến 6 để chọn."}}`}},
		{name: "a label too long for a button makes a numbered list",
			msg: bot.Message{ChatID: testUser, Text: "Đơn vị?", Buttons: [][]bot.Button{
				{{Label: "Tổ bảo vệ ANTT thôn Đông, xã Phú Thượng, TP Huế", Data: "t1"}, {Label: "Khác", Data: "t0"}},
			}},
			want: []string{`{"recipient":{"user_id":"` + testUser + `"},"message":{"text":"Đơn vị?\n\n1. Tổ bảo vệ ANTT thôn Đông, xã Phú Thượng, TP Huế\n2. Khác\n\nTrả lời bằng một số từ 1 đến 2 để chọn."}}`}},
		{name: "contact request with a short question is one card",
			msg: bot.Message{ChatID: testUser, Text: "Xác nhận số điện thoại của bạn", RequestContact: true},
			want: []string{`{"recipient":{"user_id":"` + testUser + `"},"message":{"attachment":{"type":"template","payload":{"template_type":"request_user_info","elements":[
				{"title":"Xác nhận số điện thoại của bạn","subtitle":"Bấm vào đây để gửi số điện thoại Zalo của bạn, giúp xác nhận bạn là thành viên tổ bảo vệ ANTT."}]}}}}`}},
		{name: "contact request with a long question: text, then the card",
			msg: bot.Message{ChatID: testUser, Text: long, RequestContact: true},
			want: []string{
				`{"recipient":{"user_id":"` + testUser + `"},"message":{"text":"` + strings.TrimSpace(long) + `"}}`,
				`{"recipient":{"user_id":"` + testUser + `"},"message":{"attachment":{"type":"template","payload":{"template_type":"request_user_info","elements":[
				{"title":"Chia sẻ số điện thoại","subtitle":"Bấm vào đây để gửi số điện thoại Zalo của bạn, giúp xác nhận bạn là thành viên tổ bảo vệ ANTT."}]}}}}`,
			}},
		{name: "photo by URL with its caption, then the text",
			msg: bot.Message{ChatID: testUser, Text: "Đã nhận ảnh.", Photo: &bot.Media{URL: "https://f6.photo.talk.zdn.vn/1/a.jpg", Caption: "Ảnh hiện trường"}},
			want: []string{
				`{"recipient":{"user_id":"` + testUser + `"},"message":{"text":"Ảnh hiện trường","attachment":{"type":"template","payload":{"template_type":"media","elements":[{"media_type":"image","url":"https://f6.photo.talk.zdn.vn/1/a.jpg"}]}}}}`,
				`{"recipient":{"user_id":"` + testUser + `"},"message":{"text":"Đã nhận ảnh."}}`,
			}},
		{name: "answering a tap alone sends nothing",
			msg: bot.Message{ChatID: testUser, AnswerCallbackID: "x", CallbackText: "Đã lưu"}},
		{name: "an edit is sent as a new message",
			msg:  bot.Message{ChatID: testUser, Text: "Đã cập nhật ✅", EditMessageID: "63ecf43f0df7dba892e6", RemoveKeyboard: true},
			want: []string{`{"recipient":{"user_id":"` + testUser + `"},"message":{"text":"Đã cập nhật ✅"}}`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			sent, err := h.a.Send(context.Background(), tt.msg)
			if err != nil {
				t.Fatalf("Send: %v", err)
			}
			reqs := h.srv.Requests(zalotest.PathCS)
			if len(reqs) != len(tt.want) {
				t.Fatalf("%d CS requests, want %d", len(reqs), len(tt.want))
			}
			for i, r := range reqs {
				if !sameJSON(t, r.Body, tt.want[i]) {
					t.Errorf("request %d\n got %s\nwant %s", i, r.Body, tt.want[i])
				}
				if r.Header.Get("access_token") == "" || r.Header.Get("Authorization") != "" {
					t.Errorf("request %d: want the access_token header and no Authorization, got %v", i, r.Header)
				}
				if r.Header.Get("Content-Type") != "application/json" {
					t.Errorf("request %d: content type %q", i, r.Header.Get("Content-Type"))
				}
			}
			if len(tt.want) > 0 && sent.MessageID == "" {
				t.Error("Sent.MessageID is empty")
			}
		})
	}
}

func TestSendSplitsLongText(t *testing.T) {
	h := newHarness(t)
	var paras []string
	for i := 1; i <= 30; i++ {
		paras = append(paras, fmt.Sprintf("%d. Tổ bảo vệ ANTT thôn %d đã tuần tra, nhắc nhở người dân khóa cửa, giữ gìn trật tự 🚓. Kết quả tốt.", i, i))
	}
	text := strings.Join(paras, "\n\n")
	if _, err := h.a.Send(context.Background(), bot.Message{ChatID: testUser, Text: text,
		Buttons: [][]bot.Button{{{Label: "Đã xem", Data: "seen"}}}}); err != nil {
		t.Fatal(err)
	}
	reqs := h.srv.Requests(zalotest.PathCS)
	if len(reqs) < 2 {
		t.Fatalf("%d requests, want the text split", len(reqs))
	}
	var parts []string
	for i, r := range reqs {
		msg := r.JSON()["message"].(map[string]any)
		part := msg["text"].(string)
		if n := utf16Len(part); n > maxText {
			t.Errorf("part %d has %d characters", i, n)
		}
		if !strings.HasSuffix(part, "Kết quả tốt.") {
			t.Errorf("part %d does not end at a paragraph: …%s", i, part[max(0, len(part)-30):])
		}
		_, hasButtons := msg["attachment"]
		if hasButtons != (i == len(reqs)-1) {
			t.Errorf("part %d: buttons = %v, want them on the last part only", i, hasButtons)
		}
		parts = append(parts, part)
	}
	if got := strings.Join(parts, "\n\n"); got != text {
		t.Error("the parts do not add up to the text")
	}
}

func TestSplitText(t *testing.T) {
	tests := []struct {
		name string
		in   string
		max  int
		want []string
	}{
		{name: "fits", in: "Xin chào", max: 20, want: []string{"Xin chào"}},
		{name: "empty", in: "  ", max: 20, want: nil},
		{name: "paragraph break preferred", in: "Đoạn một dài.\n\nĐoạn hai.", max: 20, want: []string{"Đoạn một dài.", "Đoạn hai."}},
		{name: "line break", in: "Dòng một ở đây\nDòng hai", max: 18, want: []string{"Dòng một ở đây", "Dòng hai"}},
		{name: "sentence end", in: "Câu một xong. Câu hai tiếp", max: 20, want: []string{"Câu một xong.", "Câu hai tiếp"}},
		{name: "space", in: "một hai ba bốn năm sáu", max: 10, want: []string{"một hai", "ba bốn", "năm sáu"}},
		{name: "no break at all", in: "aaaaaaaaaaaaaaa", max: 6, want: []string{"aaaaaa", "aaaaaa", "aaa"}},
		{name: "emoji counts twice", in: "👍👍👍👍", max: 4, want: []string{"👍👍", "👍👍"}},
		{name: "never splits a rune", in: "ệệệệệ", max: 2, want: []string{"ệệ", "ệệ", "ệ"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := splitText(tt.in, tt.max)
			if fmt.Sprint(got) != fmt.Sprint(tt.want) || len(got) != len(tt.want) {
				t.Errorf("splitText(%q, %d) = %q, want %q", tt.in, tt.max, got, tt.want)
			}
			for _, p := range got {
				if !utf8.ValidString(p) {
					t.Errorf("invalid UTF-8 in %q", p)
				}
			}
		})
	}
}

// png is a 1×1 PNG.
var png = []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\xff\xff?\x00\x05\xfe\x02\xfe\xa7\x35\x81\x84\x00\x00\x00\x00IEND\xaeB`\x82")

// fakeID finds the id the fake gave an upload.
var fakeID = regexp.MustCompile(`(?:att|ftk)-([0-9a-f]+)`)

func TestSendAttachments(t *testing.T) {
	tests := []struct {
		name     string
		att      bot.Attachment
		upload   string // path of the upload call, "" for none
		wantFile string // uploaded file name
		want     []string
	}{
		{name: "chart PNG is uploaded as an image",
			att:    bot.Attachment{Name: "tien-do-dot-1.png", MIME: "image/png", Data: png, IsImage: true, Caption: "Tiến độ đợt 1 📊"},
			upload: zalotest.PathUploadImage, wantFile: "tien-do-dot-1.png",
			want: []string{`{"recipient":{"user_id":"` + testUser + `"},"message":{"text":"Tiến độ đợt 1 📊","attachment":{"type":"template","payload":{"template_type":"media","elements":[{"media_type":"image","attachment_id":"att-%s"}]}}}}`}},
		{name: "PDF is uploaded as a file, caption first",
			att:    bot.Attachment{Name: "bao-cao.pdf", MIME: "application/pdf", Data: []byte("%PDF-1.4 …"), Caption: "Báo cáo tổng kết"},
			upload: zalotest.PathUploadFile, wantFile: "bao-cao.pdf",
			want: []string{
				`{"recipient":{"user_id":"` + testUser + `"},"message":{"text":"Báo cáo tổng kết"}}`,
				`{"recipient":{"user_id":"` + testUser + `"},"message":{"attachment":{"type":"file","payload":{"token":"ftk-%s"}}}}`,
			}},
		{name: "a spreadsheet cannot go to Zalo: the user is told",
			att:  bot.Attachment{Name: "tong-ket.xlsx", MIME: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", Data: []byte("PK…")},
			want: []string{`{"recipient":{"user_id":"` + testUser + `"},"message":{"text":"Không gửi được tệp tong-ket.xlsx qua Zalo: Zalo chỉ nhận ảnh JPG, PNG đến 1 MB và tệp PDF, DOC, DOCX đến 5 MB. Vui lòng liên hệ cán bộ phụ trách để nhận tệp."}}`}},
		{name: "an image over 1 MB is not uploaded",
			att:  bot.Attachment{Name: "lon.png", MIME: "image/png", Data: bytes.Repeat([]byte{1}, 1<<20+1), IsImage: true},
			want: []string{`{"recipient":{"user_id":"` + testUser + `"},"message":{"text":"Không gửi được tệp lon.png qua Zalo: Zalo chỉ nhận ảnh JPG, PNG đến 1 MB và tệp PDF, DOC, DOCX đến 5 MB. Vui lòng liên hệ cán bộ phụ trách để nhận tệp."}}`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			att := tt.att
			if _, err := h.a.Send(context.Background(), bot.Message{ChatID: testUser, Attachment: &att}); err != nil {
				t.Fatalf("Send: %v", err)
			}
			uploads := append(h.srv.Requests(zalotest.PathUploadImage), h.srv.Requests(zalotest.PathUploadFile)...)
			switch {
			case tt.upload == "" && len(uploads) != 0:
				t.Fatalf("unexpected upload %+v", uploads[0].Path)
			case tt.upload != "":
				if len(uploads) != 1 || uploads[0].Path != tt.upload {
					t.Fatalf("uploads = %d, want one to %s", len(uploads), tt.upload)
				}
				f := uploads[0].File
				if f == nil || f.Name != tt.wantFile || !bytes.Equal(f.Data, tt.att.Data) || f.ContentType != tt.att.MIME {
					t.Fatalf("uploaded %+v", f)
				}
				if uploads[0].Header.Get("access_token") == "" {
					t.Error("upload without access_token header")
				}
			}
			reqs := h.srv.Requests(zalotest.PathCS)
			if len(reqs) != len(tt.want) {
				t.Fatalf("%d CS requests, want %d", len(reqs), len(tt.want))
			}
			for i, r := range reqs {
				want := tt.want[i]
				if strings.Contains(want, "%s") {
					// The fake numbers its ids; take the one it gave.
					m := fakeID.FindStringSubmatch(string(r.Body))
					if m == nil {
						t.Fatalf("request %d has no uploaded id: %s", i, r.Body)
					}
					want = fmt.Sprintf(want, m[1])
				}
				if !sameJSON(t, r.Body, want) {
					t.Errorf("request %d\n got %s\nwant %s", i, r.Body, want)
				}
			}
		})
	}
}

func TestSendErrors(t *testing.T) {
	tests := []struct {
		name   string
		setup  func(s *zalotest.Server)
		reason string        // want an UnreachableError with this reason
		retry  time.Duration // want a RateLimitedError
		temp   bool          // want ErrTemporary
		code   int           // want an APIError with this code
	}{
		{name: "-230 outside the 7-day window", reason: ReasonOutsideWindow, code: -230,
			setup: func(s *zalotest.Server) {
				s.RejectUser(testUser, -230, "User has not interacted with the OA in the past 7 days")
			}},
		{name: "-232 interaction expired", reason: ReasonOutsideWindow, code: -232,
			setup: func(s *zalotest.Server) {
				s.RejectUser(testUser, -232, "User has not interacted with the OA, or the last interaction has expired")
			}},
		{name: "-213 not a follower", reason: ReasonNotFollower, code: -213,
			setup: func(s *zalotest.Server) { s.RejectUser(testUser, -213, "User has not followed OA") }},
		{name: "-32 rate limit", retry: 60 * time.Second, code: -32,
			setup: func(s *zalotest.Server) {
				s.FailNext(zalotest.PathCS, -32, "Your application/OA reached limit call api")
			}},
		{name: "HTTP 429", retry: 60 * time.Second,
			setup: func(s *zalotest.Server) { s.FailNextHTTP(zalotest.PathCS, http.StatusTooManyRequests) }},
		{name: "HTTP 500", temp: true,
			setup: func(s *zalotest.Server) { s.FailNextHTTP(zalotest.PathCS, http.StatusInternalServerError) }},
		{name: "other error keeps code and message", code: -201,
			setup: func(s *zalotest.Server) { s.FailNext(zalotest.PathCS, -201, "user_id is invalid") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			tt.setup(h.srv)
			_, err := h.a.Send(context.Background(), bot.Message{ChatID: testUser, Text: "Nhắc báo cáo tháng 9"})
			if err == nil {
				t.Fatal("Send succeeded")
			}
			if got := UnreachableReason(err); got != tt.reason {
				t.Errorf("reason = %q, want %q (%v)", got, tt.reason, err)
			}
			if errors.Is(err, bot.ErrUnreachable) != (tt.reason != "") {
				t.Errorf("errors.Is(ErrUnreachable) = %v (%v)", !(tt.reason != ""), err)
			}
			var rl *bot.RateLimitedError
			if errors.As(err, &rl) != (tt.retry != 0) || (rl != nil && rl.RetryAfter != tt.retry) {
				t.Errorf("rate limit = %+v, want retry after %s (%v)", rl, tt.retry, err)
			}
			if errors.Is(err, bot.ErrTemporary) != tt.temp {
				t.Errorf("errors.Is(ErrTemporary) = %v, want %v (%v)", !tt.temp, tt.temp, err)
			}
			var ae *APIError
			if errors.As(err, &ae) != (tt.code != 0) || (ae != nil && ae.Code != tt.code) {
				t.Errorf("api error = %+v, want code %d (%v)", ae, tt.code, err)
			}
			if tok, _ := h.store.Load(context.Background()); strings.Contains(err.Error(), tok.AccessToken) {
				t.Errorf("error %q contains the access token", err)
			}
			if n := len(h.srv.Requests(zalotest.PathToken)); n != 0 {
				t.Errorf("%d token refreshes on a non-token error", n)
			}
		})
	}
}
