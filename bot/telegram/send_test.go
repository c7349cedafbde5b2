package telegram

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/anttbot/anttbot/bot"
	"github.com/anttbot/anttbot/bot/telegram/telegramtest"
)

const chatAn = "111111111"

// wantCall is an API request a Send must make: the listed fields exactly,
// reply_markup compared as JSON ("" = must be absent).
type wantCall struct {
	method string
	fields map[string]string
	markup string
	file   *telegramtest.File
}

func TestSendRequests(t *testing.T) {
	confirm := mustSign(t, chatAn, "rep:confirm")
	cancel := mustSign(t, chatAn, "rep:cancel")
	edit := mustSign(t, chatAn, "rep:edit")
	png := []byte("\x89PNG\r\n\x1a\nfake chart")
	xlsx := []byte("PK\x03\x04fake spreadsheet")
	longCaption := strings.Repeat("Biên bản tuần tra khu phố 3. ", 40) // 1160 characters
	capHead, capRest := splitFirst(longCaption, maxCaption)

	tests := []struct {
		name string
		msg  bot.Message
		want []wantCall
	}{
		{
			name: "text is escaped for HTML",
			msg:  bot.Message{ChatID: chatAn, Text: "Giá <100k> & \"rẻ\" <b>không in đậm</b>"},
			want: []wantCall{{method: "sendMessage", fields: map[string]string{
				"chat_id": chatAn, "parse_mode": "HTML",
				"text": "Giá &lt;100k&gt; &amp; \"rẻ\" &lt;b&gt;không in đậm&lt;/b&gt;",
			}}},
		},
		{
			name: "inline buttons are signed and carry no copy_text",
			msg: bot.Message{ChatID: chatAn, Text: "Xác nhận gửi nguồn tin?", Buttons: [][]bot.Button{
				{{Label: "✅ Xác nhận gửi", Data: "rep:confirm"}, {Label: "✖️ Hủy", Data: "rep:cancel"}},
				{{Label: "✏️ Sửa", Data: "rep:edit"}},
			}},
			want: []wantCall{{method: "sendMessage",
				fields: map[string]string{"chat_id": chatAn, "text": "Xác nhận gửi nguồn tin?"},
				markup: `{"inline_keyboard":[[{"text":"✅ Xác nhận gửi","callback_data":"` + confirm + `"},{"text":"✖️ Hủy","callback_data":"` + cancel + `"}],[{"text":"✏️ Sửa","callback_data":"` + edit + `"}]]}`,
			}},
		},
		{
			name: "contact request keyboard",
			msg:  bot.Message{ChatID: chatAn, Text: "Vui lòng chia sẻ số điện thoại.", RequestContact: true},
			want: []wantCall{{method: "sendMessage", fields: map[string]string{"text": "Vui lòng chia sẻ số điện thoại."},
				markup: `{"keyboard":[[{"text":"📱 Chia sẻ số điện thoại của tôi","request_contact":true}]],"resize_keyboard":true,"one_time_keyboard":true}`,
			}},
		},
		{
			name: "remove keyboard",
			msg:  bot.Message{ChatID: chatAn, Text: "Đã xác minh.", RemoveKeyboard: true},
			want: []wantCall{{method: "sendMessage", fields: map[string]string{"text": "Đã xác minh."},
				markup: `{"remove_keyboard":true}`}},
		},
		{
			name: "callback answered before the reply",
			msg:  bot.Message{ChatID: chatAn, Text: "Đã ghi nhận.", AnswerCallbackID: "4382938472938472901", CallbackText: "✅ Đã lưu"},
			want: []wantCall{
				{method: "answerCallbackQuery", fields: map[string]string{"callback_query_id": "4382938472938472901", "text": "✅ Đã lưu"}},
				{method: "sendMessage", fields: map[string]string{"text": "Đã ghi nhận."}},
			},
		},
		{
			name: "callback answer alone",
			msg:  bot.Message{ChatID: chatAn, AnswerCallbackID: "99"},
			want: []wantCall{{method: "answerCallbackQuery", fields: map[string]string{"callback_query_id": "99"}}},
		},
		{
			name: "callback toast is cut to 200 characters",
			msg:  bot.Message{ChatID: chatAn, AnswerCallbackID: "99", CallbackText: strings.Repeat("á", 250)},
			want: []wantCall{{method: "answerCallbackQuery", fields: map[string]string{
				"callback_query_id": "99", "text": strings.Repeat("á", 199) + "…"}}},
		},
		{
			name: "a link button is an url button, not signed data",
			msg:  bot.Message{ChatID: chatAn, Text: "Đăng nhập", Buttons: [][]bot.Button{{{Label: "🌐 Mở trang quản lý", URL: "https://anttbot.example/web/login/t0k"}}}},
			want: []wantCall{{method: "sendMessage", fields: map[string]string{"text": "Đăng nhập"},
				markup: `{"inline_keyboard":[[{"text":"🌐 Mở trang quản lý","url":"https://anttbot.example/web/login/t0k"}]]}`}},
		},
		{
			name: "photo by file id with caption",
			msg:  bot.Message{ChatID: chatAn, Photo: &bot.Media{FileID: "AgACAgUAAxkBAAIEsmfake_large", Caption: "Ảnh hiện trường <1>"}},
			want: []wantCall{{method: "sendPhoto", fields: map[string]string{
				"photo": "AgACAgUAAxkBAAIEsmfake_large", "caption": "Ảnh hiện trường &lt;1&gt;", "parse_mode": "HTML"}}},
		},
		{
			name: "photo takes the text as caption, buttons on it",
			msg: bot.Message{ChatID: chatAn, Text: "Nguồn tin #12", Photo: &bot.Media{FileID: "AgAC_photo"},
				Buttons: [][]bot.Button{{{Label: "✅ Xác nhận gửi", Data: "rep:confirm"}}}},
			want: []wantCall{{method: "sendPhoto", fields: map[string]string{"photo": "AgAC_photo", "caption": "Nguồn tin #12"},
				markup: `{"inline_keyboard":[[{"text":"✅ Xác nhận gửi","callback_data":"` + confirm + `"}]]}`}},
		},
		{
			name: "long caption continues as text",
			msg:  bot.Message{ChatID: chatAn, Photo: &bot.Media{FileID: "AgAC_photo", Caption: longCaption}, Text: "Kèm theo tin nhắn."},
			want: []wantCall{
				{method: "sendPhoto", fields: map[string]string{"caption": capHead}},
				{method: "sendMessage", fields: map[string]string{"text": capRest}},
				{method: "sendMessage", fields: map[string]string{"text": "Kèm theo tin nhắn."}},
			},
		},
		{
			name: "generated image is uploaded",
			msg: bot.Message{ChatID: chatAn, Attachment: &bot.Attachment{Name: "bieu-do-dot-1.png", MIME: "image/png",
				Data: png, IsImage: true, Caption: "Biểu đồ đợt 1"}},
			want: []wantCall{{method: "sendPhoto", fields: map[string]string{"caption": "Biểu đồ đợt 1"},
				file: &telegramtest.File{Name: "bieu-do-dot-1.png", Data: png}}},
		},
		{
			name: "spreadsheet is uploaded as a document, text follows with buttons",
			msg: bot.Message{ChatID: chatAn, Text: "Tổng kết đợt 1", Attachment: &bot.Attachment{Name: "tong-ket-dot-1.xlsx",
				MIME: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", Data: xlsx},
				Buttons: [][]bot.Button{{{Label: "⬅️ Quay lại", Data: "menu:back"}}}},
			want: []wantCall{
				{method: "sendDocument", file: &telegramtest.File{Name: "tong-ket-dot-1.xlsx", Data: xlsx}},
				{method: "sendMessage", fields: map[string]string{"text": "Tổng kết đợt 1"},
					markup: `{"inline_keyboard":[[{"text":"⬅️ Quay lại","callback_data":"` + mustSign(t, chatAn, "menu:back") + `"}]]}`},
			},
		},
		{
			name: "group chat",
			msg:  bot.Message{ChatID: "-1001234567890", Text: "Nhắc lịch trực tối nay"},
			want: []wantCall{{method: "sendMessage", fields: map[string]string{"chat_id": "-1001234567890"}}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := telegramtest.NewServer(t, "")
			a := newAdapter(t, srv, newRecorder(), nil)
			sent, err := a.Send(context.Background(), tt.msg)
			if err != nil {
				t.Fatalf("Send: %v", err)
			}
			calls := srv.Calls()
			if len(calls) != len(tt.want) {
				t.Fatalf("calls %v, want %d", methods(calls), len(tt.want))
			}
			var lastID string
			for i, w := range tt.want {
				c := calls[i]
				if !c.OK() {
					t.Errorf("call %d (%s) refused by the server with %d", i, c.Method, c.Status)
				}
				if c.Method != w.method {
					t.Errorf("call %d is %s, want %s", i, c.Method, w.method)
				}
				for k, v := range w.fields {
					if c.Fields[k] != v {
						t.Errorf("call %d %s: field %s = %q, want %q", i, c.Method, k, c.Fields[k], v)
					}
				}
				assertJSON(t, c.Fields["reply_markup"], w.markup)
				if w.file != nil {
					f := c.Files[map[string]string{"sendPhoto": "photo", "sendDocument": "document"}[c.Method]]
					if f.Name != w.file.Name || string(f.Data) != string(w.file.Data) {
						t.Errorf("uploaded %q (%d bytes), want %q (%d bytes)", f.Name, len(f.Data), w.file.Name, len(w.file.Data))
					}
				}
				if c.Method != "answerCallbackQuery" {
					lastID = "sent"
				}
			}
			if (lastID != "") != (sent.MessageID != "") {
				t.Errorf("Sent %+v for calls %v", sent, methods(calls))
			}
		})
	}
}

func TestSendSplitsLongText(t *testing.T) {
	para := strings.Repeat("Tổ tự quản khu phố 3 đã phối hợp tuần tra đêm. ", 30) // ~1440 characters
	tests := []struct {
		name      string
		text      string
		wantParts int
	}{
		{name: "paragraphs", text: para + "\n\n" + para + "\n\n" + para + "\n\n" + para, wantParts: 2},
		{name: "emoji count twice", text: strings.Repeat("🚨", 2100), wantParts: 2}, // 2100 characters, 4200 UTF-16 units
		{name: "one huge word", text: strings.Repeat("a", 9000), wantParts: 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := telegramtest.NewServer(t, "")
			a := newAdapter(t, srv, newRecorder(), nil)
			sent, err := a.Send(context.Background(), bot.Message{ChatID: chatAn, Text: tt.text,
				Buttons: [][]bot.Button{{{Label: "OK", Data: "ok"}}}})
			if err != nil {
				t.Fatalf("Send: %v", err)
			}
			calls := srv.Calls("sendMessage")
			if len(calls) != tt.wantParts {
				t.Fatalf("%d messages, want %d", len(calls), tt.wantParts)
			}
			var joined strings.Builder
			for i, c := range calls {
				if !c.OK() {
					t.Errorf("part %d refused with %d", i, c.Status)
				}
				if !utf8.ValidString(c.Fields["text"]) {
					t.Errorf("part %d is not valid UTF-8", i)
				}
				if n := utf16Len(c.Fields["text"]); n > maxText {
					t.Errorf("part %d has %d UTF-16 units", i, n)
				}
				hasButtons := c.Fields["reply_markup"] != ""
				if hasButtons != (i == len(calls)-1) {
					t.Errorf("part %d: buttons %v, want them on the last part only", i, hasButtons)
				}
				joined.WriteString(c.Fields["text"])
			}
			strip := func(s string) string { return strings.NewReplacer(" ", "", "\n", "").Replace(s) }
			if strip(joined.String()) != strip(tt.text) {
				t.Errorf("parts do not add up to the text")
			}
			if want := "10" + itoa(int64(len(calls))); sent.MessageID != want {
				t.Errorf("Sent %q, want the last part %s", sent.MessageID, want)
			}
			if tt.name == "paragraphs" && !strings.HasSuffix(calls[0].Fields["text"], strings.TrimSpace(para)) {
				t.Errorf("first part does not end at a paragraph break")
			}
		})
	}
}

func TestSendEdit(t *testing.T) {
	buttons := [][]bot.Button{{{Label: "✅ Xác nhận gửi", Data: "rep:confirm"}}}
	tests := []struct {
		name        string
		prepare     func(srv *telegramtest.Server)
		edit        bot.Message
		wantMethods []string
		wantSame    bool // Sent names the edited message
	}{
		{
			name:        "edited in place",
			edit:        bot.Message{Text: "Đã chọn: Nguồn tin"},
			wantMethods: []string{"editMessageText"},
			wantSame:    true,
		},
		{
			name:        "unchanged content is not sent again",
			edit:        bot.Message{Text: "Chọn loại báo cáo", Buttons: buttons},
			wantMethods: []string{"editMessageText"},
			wantSame:    true,
		},
		{
			name:        "too old to edit: new message",
			prepare:     func(srv *telegramtest.Server) { srv.Fail("editMessageText", 1, telegramtest.CantBeEdited()) },
			edit:        bot.Message{Text: "Đã chọn: Nguồn tin"},
			wantMethods: []string{"editMessageText", "sendMessage"},
		},
		{
			name:        "unknown message: new message",
			edit:        bot.Message{EditMessageID: "999999", Text: "Đã chọn: Nguồn tin"},
			wantMethods: []string{"editMessageText", "sendMessage"},
		},
		{
			name:        "content that cannot be an edit is sent anew",
			edit:        bot.Message{Text: "Vui lòng chia sẻ số điện thoại.", RequestContact: true},
			wantMethods: []string{"sendMessage"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := telegramtest.NewServer(t, "")
			a := newAdapter(t, srv, newRecorder(), nil)
			ctx := context.Background()
			orig, err := a.Send(ctx, bot.Message{ChatID: chatAn, Text: "Chọn loại báo cáo", Buttons: buttons})
			if err != nil {
				t.Fatal(err)
			}
			if tt.prepare != nil {
				tt.prepare(srv)
			}
			before := len(srv.Calls())
			m := tt.edit
			m.ChatID = chatAn
			if m.EditMessageID == "" {
				m.EditMessageID = orig.MessageID
			}
			sent, err := a.Send(ctx, m)
			if err != nil {
				t.Fatalf("Send: %v", err)
			}
			got := methods(srv.Calls()[before:])
			if strings.Join(got, ",") != strings.Join(tt.wantMethods, ",") {
				t.Errorf("calls %v, want %v", got, tt.wantMethods)
			}
			if (sent.MessageID == m.EditMessageID) != tt.wantSame {
				t.Errorf("Sent %q, edited %q, want same=%v", sent.MessageID, m.EditMessageID, tt.wantSame)
			}
			if tt.name == "edited in place" {
				if text, _ := srv.MessageText(chatAn, orig.MessageID); text != "Đã chọn: Nguồn tin" {
					t.Errorf("message now reads %q", text)
				}
				if c := srv.Calls("editMessageText")[0]; c.Fields["reply_markup"] != "" {
					t.Errorf("edit without buttons sent markup %s", c.Fields["reply_markup"])
				}
			}
		})
	}
}

func TestSendErrors(t *testing.T) {
	tests := []struct {
		name      string
		failure   *telegramtest.Failure
		msg       bot.Message
		check     func(error) bool
		wantCalls int
	}{
		{name: "blocked", failure: ptr(telegramtest.Blocked()), check: isErr(bot.ErrUnreachable), wantCalls: 1},
		{name: "deactivated", failure: ptr(telegramtest.Deactivated()), check: isErr(bot.ErrUnreachable), wantCalls: 1},
		{name: "chat not found", failure: ptr(telegramtest.ChatNotFound()), check: isErr(bot.ErrUnreachable), wantCalls: 1},
		{name: "server error", failure: ptr(telegramtest.InternalError()), check: isErr(bot.ErrTemporary), wantCalls: 1},
		{
			name:    "long flood wait goes back to the caller",
			failure: ptr(telegramtest.TooManyRequests(30)),
			check: func(err error) bool {
				var rl *bot.RateLimitedError
				return errors.As(err, &rl) && rl.RetryAfter == 30*time.Second
			},
			wantCalls: 1,
		},
		{
			name:  "contact request with buttons",
			msg:   bot.Message{Text: "x", RequestContact: true, Buttons: [][]bot.Button{{{Label: "a", Data: "a"}}}},
			check: func(err error) bool { return err != nil && !errors.Is(err, bot.ErrTemporary) },
		},
		{
			name:  "button data too long to sign",
			msg:   bot.Message{Text: "x", Buttons: [][]bot.Button{{{Label: "a", Data: strings.Repeat("d", MaxButtonData+1)}}}},
			check: func(err error) bool { return err != nil },
		},
		{
			name:  "keyboard without text",
			msg:   bot.Message{Buttons: [][]bot.Button{{{Label: "a", Data: "a"}}}},
			check: func(err error) bool { return err != nil },
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := telegramtest.NewServer(t, "")
			if tt.failure != nil {
				srv.Fail("sendMessage", 1, *tt.failure)
			}
			a := newAdapter(t, srv, newRecorder(), nil)
			m := tt.msg
			if m.Text == "" && len(m.Buttons) == 0 {
				m.Text = "Xin chào"
			}
			m.ChatID = chatAn
			start := time.Now()
			_, err := a.Send(context.Background(), m)
			if !tt.check(err) {
				t.Errorf("Send error %v not mapped as expected", err)
			}
			if n := len(srv.Calls()); n != tt.wantCalls {
				t.Errorf("%d calls, want %d", n, tt.wantCalls)
			}
			if time.Since(start) > 2*time.Second {
				t.Errorf("Send took %s", time.Since(start))
			}
			if err != nil && strings.Contains(err.Error(), srv.Token) {
				t.Errorf("error leaks the token: %v", err)
			}
		})
	}
}

func TestSendNetworkFailureIsTemporary(t *testing.T) {
	srv := telegramtest.NewServer(t, "")
	a := newAdapter(t, srv, newRecorder(), nil)
	srv.Close()
	_, err := a.Send(context.Background(), bot.Message{ChatID: chatAn, Text: "Xin chào"})
	if !errors.Is(err, bot.ErrTemporary) {
		t.Errorf("Send to a closed server: %v, want ErrTemporary", err)
	}
	if err != nil && strings.Contains(err.Error(), srv.Token) {
		t.Errorf("error leaks the token: %v", err)
	}
}

func TestSignedCallbackRoundTrip(t *testing.T) {
	srv := telegramtest.NewServer(t, "")
	a := newAdapter(t, srv, newRecorder(), nil)
	data := strings.Repeat("x", MaxButtonData)
	if _, err := a.Send(context.Background(), bot.Message{ChatID: chatAn, Text: "t", Buttons: [][]bot.Button{{{Label: "L", Data: data}}}}); err != nil {
		t.Fatal(err)
	}
	var kb inlineKeyboard
	if err := srv.Calls("sendMessage")[0].Decode("reply_markup", &kb); err != nil {
		t.Fatal(err)
	}
	cb := kb.InlineKeyboard[0][0].CallbackData
	if len(cb) > 64 {
		t.Errorf("callback_data is %d bytes", len(cb))
	}
	if got, ok := a.signer.verify(chatAn, cb); !ok || got != data {
		t.Errorf("verify = %q, %v", got, ok)
	}
	if _, ok := a.signer.verify("222222222", cb); ok {
		t.Errorf("signature for one chat verified in another")
	}
	tampered := cb[:len(cb)-1] + "y"
	if _, ok := a.signer.verify(chatAn, tampered); ok {
		t.Errorf("tampered data verified")
	}
	other := newSigner("another secret")
	if _, ok := other.verify(chatAn, cb); ok {
		t.Errorf("verified with another secret")
	}
}

func TestSetCommands(t *testing.T) {
	cmds := []Command{{Name: "baocao", Description: "Gửi báo cáo"}, {Name: "tro_giup", Description: "Hướng dẫn sử dụng"}}
	tests := []struct {
		name      string
		lang      string
		scope     Scope
		cmds      []Command
		wantCall  string
		wantScope string
		wantErr   bool
	}{
		{name: "default scope", lang: "vi", scope: ScopeDefault(), cmds: cmds, wantCall: "setMyCommands", wantScope: `{"type":"default"}`},
		{name: "private chats", scope: ScopeAllPrivateChats(), cmds: cmds, wantCall: "setMyCommands", wantScope: `{"type":"all_private_chats"}`},
		{name: "one chat", lang: "en", scope: ScopeChat(chatAn), cmds: cmds, wantCall: "setMyCommands", wantScope: `{"type":"chat","chat_id":111111111}`},
		{name: "empty list deletes", scope: ScopeChat(chatAn), wantCall: "deleteMyCommands", wantScope: `{"type":"chat","chat_id":111111111}`},
		{name: "bad name", scope: ScopeDefault(), cmds: []Command{{Name: "BaoCao", Description: "x"}}, wantErr: true},
		{name: "empty description", scope: ScopeDefault(), cmds: []Command{{Name: "baocao"}}, wantErr: true},
		{name: "bad chat id", scope: ScopeChat("abc"), cmds: cmds, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := telegramtest.NewServer(t, "")
			a := newAdapter(t, srv, newRecorder(), nil)
			err := a.SetCommands(context.Background(), tt.lang, tt.scope, tt.cmds)
			if tt.wantErr {
				if err == nil || len(srv.Calls()) != 0 {
					t.Errorf("error %v with %d calls, want an error and no call", err, len(srv.Calls()))
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			calls := srv.Calls()
			if len(calls) != 1 || calls[0].Method != tt.wantCall {
				t.Fatalf("calls %v, want %s", methods(calls), tt.wantCall)
			}
			assertJSON(t, calls[0].Fields["scope"], tt.wantScope)
			if calls[0].Fields["language_code"] != tt.lang {
				t.Errorf("language_code %q, want %q", calls[0].Fields["language_code"], tt.lang)
			}
			if tt.wantCall == "setMyCommands" {
				assertJSON(t, srv.Commands(calls[0].Fields["scope"], tt.lang),
					`[{"command":"baocao","description":"Gửi báo cáo"},{"command":"tro_giup","description":"Hướng dẫn sử dụng"}]`)
			}
		})
	}
}

func TestDownload(t *testing.T) {
	srv := telegramtest.NewServer(t, "")
	srv.AddFile("BQACAgUAAxkBAAIE12fake_doc", "danh-sach.xlsx", []byte("PK\x03\x04data"))
	a := newAdapter(t, srv, newRecorder(), nil)
	got, err := a.Download(context.Background(), "BQACAgUAAxkBAAIE12fake_doc")
	if err != nil || string(got) != "PK\x03\x04data" {
		t.Fatalf("Download = %q, %v", got, err)
	}
	if _, err := a.Download(context.Background(), "nope"); err == nil {
		t.Error("Download of an unknown file succeeded")
	}
}

func mustSign(t *testing.T, chatID, data string) string {
	t.Helper()
	s, err := newSigner(telegramtest.DefaultToken).sign(chatID, data)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// assertJSON compares two JSON texts by value; want "" means got must be empty.
func assertJSON(t *testing.T, got, want string) {
	t.Helper()
	if want == "" || got == "" {
		if got != want {
			t.Errorf("JSON %q, want %q", got, want)
		}
		return
	}
	var g, w any
	if err := json.Unmarshal([]byte(got), &g); err != nil {
		t.Fatalf("got invalid JSON %q: %v", got, err)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("want invalid JSON %q: %v", want, err)
	}
	gb, _ := json.Marshal(g)
	wb, _ := json.Marshal(w)
	if string(gb) != string(wb) {
		t.Errorf("JSON\n got %s\nwant %s", gb, wb)
	}
}

func isErr(target error) func(error) bool {
	return func(err error) bool { return errors.Is(err, target) }
}

func ptr[T any](v T) *T { return &v }
