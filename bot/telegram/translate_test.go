package telegram

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/go-telegram/bot/models"
	"golang.org/x/text/unicode/norm"

	"github.com/anttbot/anttbot/bot"
	"github.com/anttbot/anttbot/bot/telegram/telegramtest"
)

// an is the member most payloads come from.
func an(u bot.Update) bot.Update {
	u.Channel = bot.ChannelTelegram
	if u.ChatID == "" {
		u.ChatID, u.Private = "111111111", true
	}
	u.UserID, u.UserName, u.Locale = "111111111", "Nguyễn Văn An", "vi"
	return u
}

func unix(sec int64) time.Time { return time.Unix(sec, 0).UTC() }

// translations is the expected result of every payload in testdata/updates;
// drop means the adapter deliberately passes nothing on.
var translations = []struct {
	name string // file name without .json
	want bot.Update
	drop bool
}{
	{name: "text", want: an(bot.Update{ID: "725001001", Time: unix(1772323200), Kind: bot.KindText,
		Text: "Chào bot, tôi muốn báo cáo"})},
	{name: "command_botname", want: an(bot.Update{ID: "725001002", ChatID: "-1001234567890", Time: unix(1772323260),
		Kind: bot.KindText, Text: "/baocao nguon_tin"})},
	{name: "command_other_bot", drop: true},
	{name: "start_payload", want: bot.Update{ID: "725001004", Channel: bot.ChannelTelegram, ChatID: "222222222",
		UserID: "222222222", UserName: "Trần Thị Bình", Locale: "vi", Private: true, Time: unix(1772323300),
		Kind: bot.KindText, Text: "/start inv_Q7x2Kp9LmN"}},
	{name: "contact_own", want: an(bot.Update{ID: "725001005", Time: unix(1772323400), Kind: bot.KindContact,
		Contact: &bot.Contact{Phone: "84912345678", Name: "Nguyễn Văn An", UserID: "111111111", Verified: true}})},
	{name: "contact_other", want: an(bot.Update{ID: "725001006", Time: unix(1772323410), Kind: bot.KindContact,
		Contact: &bot.Contact{Phone: "+84987654321", Name: "Lê Minh Cường", UserID: "333333333"}})},
	{name: "contact_no_user", want: an(bot.Update{ID: "725001007", Time: unix(1772323420), Kind: bot.KindContact,
		Contact: &bot.Contact{Phone: "0901234567", Name: "Phạm Thu"}})},
	{name: "photo_caption", want: an(bot.Update{ID: "725001008", Time: unix(1772323500), Kind: bot.KindPhoto,
		Text: "Xe máy không biển số đỗ trước nhà số 12, hẻm 45",
		Photo: &bot.Media{FileID: "AgACAgUAAxkBAAIEsmfake_large", Size: 178234,
			Caption: "Xe máy không biển số đỗ trước nhà số 12, hẻm 45"}})},
	{name: "location", want: an(bot.Update{ID: "725001009", Time: unix(1772323600), Kind: bot.KindLocation,
		Location: &bot.Location{Lat: 10.776889, Lon: 106.700806}})},
	{name: "callback_valid", want: an(bot.Update{ID: "725001010", Time: fixedNow, Kind: bot.KindCallback,
		Text: "rep:confirm", Callback: &bot.Callback{ID: "4382938472938472901", Data: "rep:confirm", MessageID: "1210"}})},
	{name: "callback_forged", want: an(bot.Update{ID: "725001011", Time: fixedNow, Kind: bot.KindCallback,
		Callback: &bot.Callback{ID: "4382938472938472902", MessageID: "1210"}})},
	// Data signed for another chat does not verify in this one.
	{name: "callback_replayed", want: bot.Update{ID: "725001012", Channel: bot.ChannelTelegram, ChatID: "222222222",
		UserID: "222222222", UserName: "Trần Thị Bình", Locale: "vi", Private: true, Time: fixedNow, Kind: bot.KindCallback,
		Callback: &bot.Callback{ID: "4382938472938472903", MessageID: "17"}}},
	{name: "callback_inaccessible", want: func() bot.Update {
		u := an(bot.Update{ID: "725001013", Time: fixedNow, Kind: bot.KindCallback, Text: "menu:tip",
			Callback: &bot.Callback{ID: "4382938472938472904", Data: "menu:tip", MessageID: "512"}})
		u.Locale = "en"
		return u
	}()},
	{name: "edited_message", want: an(bot.Update{ID: "725001014", Time: unix(1772323200), Kind: bot.KindOther})},
	{name: "edited_group_message", drop: true},
	{name: "group_message", want: bot.Update{ID: "725001016", Channel: bot.ChannelTelegram, ChatID: "-4012345678",
		UserID: "444444444", UserName: "Đỗ Quang Huy", Locale: "vi", Time: unix(1772323900), Kind: bot.KindText,
		Text: "Tối nay ai trực chốt?"}},
	{name: "channel_post", drop: true},
	{name: "my_chat_member_kicked", want: an(bot.Update{ID: "725001018", Time: unix(1772324100), Kind: bot.KindUnfollow})},
	{name: "my_chat_member_member", want: an(bot.Update{ID: "725001019", Time: unix(1772324200), Kind: bot.KindFollow})},
	{name: "unknown_update", drop: true},
	{name: "vietnamese_emoji", want: an(bot.Update{ID: "725001021", Time: unix(1772324400), Kind: bot.KindText,
		Text: "🚨 Phát hiện nhóm thanh niên tụ tập đua xe 🏍️🏍️ ở đường Lê Lợi 🇻🇳"})},
	{name: "from_bot", want: bot.Update{ID: "725001022", Channel: bot.ChannelTelegram, ChatID: "-1001234567890",
		UserID: "555555555", UserName: "Group Help", FromBot: true, Time: unix(1772324500), Kind: bot.KindText,
		Text: "Chào mừng thành viên mới!"}},
	{name: "document", want: an(bot.Update{ID: "725001023", Time: unix(1772324600), Kind: bot.KindFile,
		Text: "Danh sách tổ 3", Photo: &bot.Media{FileID: "BQACAgUAAxkBAAIE12fake_doc", Name: "danh-sach-to-3.xlsx",
			Size: 18452, Caption: "Danh sách tổ 3"}})},
	{name: "sticker", want: an(bot.Update{ID: "725001024", Time: unix(1772324700), Kind: bot.KindSticker})},
	{name: "dice_private", want: an(bot.Update{ID: "725001025", Time: unix(1772324800), Kind: bot.KindOther})},
	{name: "group_service", drop: true},
	{name: "voice", want: an(bot.Update{ID: "725001027", Time: unix(1772325000), Kind: bot.KindFile,
		Photo: &bot.Media{FileID: "AwACAgUAAxkBAAfake_voice", Size: 24012}})},
}

func TestTranslate(t *testing.T) {
	srv := telegramtest.NewServer(t, "")
	a := newAdapter(t, srv, newRecorder(), nil)
	for _, tt := range translations {
		t.Run(tt.name, func(t *testing.T) {
			var upd models.Update
			if err := json.Unmarshal(readUpdate(t, tt.name), &upd); err != nil {
				t.Fatalf("decode payload: %v", err)
			}
			got, drop := a.translate(&upd)
			if tt.drop {
				if drop == "" {
					t.Fatalf("got %+v, want the update dropped", got)
				}
				return
			}
			if drop != "" {
				t.Fatalf("dropped (%s), want %+v", drop, tt.want)
			}
			assertUpdate(t, got, tt.want)
		})
	}
}

// TestTranslationsCoverTestdata fails when a payload is added without its expectation.
func TestTranslationsCoverTestdata(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "updates", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	known := make(map[string]bool)
	for _, tt := range translations {
		known[tt.name] = true
	}
	for _, f := range files {
		if name := strings.TrimSuffix(filepath.Base(f), ".json"); !known[name] {
			t.Errorf("testdata/updates/%s.json has no expected translation", name)
		}
	}
	if len(files) != len(translations) {
		t.Errorf("%d payloads, %d expectations", len(files), len(translations))
	}
}

// TestWebhookDeliversEveryPayload runs the same table through the HTTP handler.
func TestWebhookDeliversEveryPayload(t *testing.T) {
	srv := telegramtest.NewServer(t, "")
	rec := newRecorder()
	a := newAdapter(t, srv, rec, nil)
	h := a.WebhookHandler()
	want := 0
	for _, tt := range translations {
		req := httptest.NewRequest(http.MethodPost, "/telegram/webhook", bytes.NewReader(readUpdate(t, tt.name)))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set(secretHeader, a.cfg.WebhookSecret)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != http.StatusOK {
			t.Errorf("%s: status %d, want 200", tt.name, w.Code)
		}
		if !tt.drop {
			want++
			if got := rec.updates(); len(got) != want {
				t.Fatalf("%s: %d updates submitted, want %d", tt.name, len(got), want)
			} else {
				assertUpdate(t, got[want-1], tt.want)
			}
		} else if len(rec.updates()) != want {
			t.Errorf("%s: a dropped update was submitted", tt.name)
		}
	}
}

func TestTextIsNFC(t *testing.T) {
	var upd models.Update
	if err := json.Unmarshal(readUpdate(t, "vietnamese_emoji"), &upd); err != nil {
		t.Fatal(err)
	}
	if norm.NFC.IsNormalString(upd.Message.Text) || norm.NFC.IsNormalString(upd.Message.From.FirstName) {
		t.Fatal("fixture is already NFC; it must hold decomposed text to test normalisation")
	}
	srv := telegramtest.NewServer(t, "")
	got, _ := newAdapter(t, srv, newRecorder(), nil).translate(&upd)
	if !norm.NFC.IsNormalString(got.Text) || !norm.NFC.IsNormalString(got.UserName) {
		t.Errorf("translated text %q / name %q is not NFC", got.Text, got.UserName)
	}
}

func TestStripMentionWithoutKnownUsername(t *testing.T) {
	srv := telegramtest.NewServer(t, "")
	a := newAdapter(t, srv, newRecorder(), func(c *Config) { c.Username = "" })
	tests := []struct {
		name, in, want string
	}{
		{name: "any mention is stripped", in: "/start@OtherHelperBot", want: "/start"},
		{name: "payload kept", in: "/baocao@x nguon_tin  chi tiết", want: "/baocao nguon_tin  chi tiết"},
		{name: "not a command", in: "gửi email cho a@b.vn", want: "gửi email cho a@b.vn"},
		{name: "command without mention", in: "/help", want: "/help"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := a.stripMention(tt.in)
			if !ok || got != tt.want {
				t.Errorf("stripMention(%q) = %q, %v; want %q", tt.in, got, ok, tt.want)
			}
		})
	}
}

func assertUpdate(t *testing.T, got, want bot.Update) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		g, _ := json.MarshalIndent(got, "", "  ")
		w, _ := json.MarshalIndent(want, "", "  ")
		t.Errorf("update differs\n got: %s\nwant: %s", g, w)
	}
}

func TestSignatureInFixturesMatchesSigner(t *testing.T) {
	// The fixtures carry callback_data signed with telegramtest.DefaultToken;
	// if the signing scheme changes they must be regenerated.
	s := newSigner(telegramtest.DefaultToken)
	data, err := s.sign("111111111", "rep:confirm")
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := os.ReadFile(filepath.Join("testdata", "updates", "callback_valid.json"))
	if !bytes.Contains(raw, []byte(`"data": "`+data+`"`)) {
		t.Errorf("callback_valid.json does not carry %q", data)
	}
}
