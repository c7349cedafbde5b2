package telegram

import (
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/go-telegram/bot/models"
	"golang.org/x/text/unicode/norm"

	"github.com/anttbot/anttbot/bot"
)

// translate turns a Telegram update into a bot.Update. A non-empty drop says
// why the update is deliberately not passed on (for the debug log).
func (a *Adapter) translate(u *models.Update) (out bot.Update, drop string) {
	switch {
	case u.Message != nil:
		return a.fromMessage(u.ID, u.Message)
	case u.EditedMessage != nil:
		// An edit cannot change a report already taken; in a private chat the
		// core answers KindOther by asking for a new message. In groups a reply
		// to every edit would be noise.
		m := u.EditedMessage
		if m.Chat.Type != models.ChatTypePrivate {
			return bot.Update{}, "edited message in a group"
		}
		out = a.base(u.ID, m.Chat, m.From, m.Date)
		out.Kind = bot.KindOther
		return out, ""
	case u.ChannelPost != nil, u.EditedChannelPost != nil:
		// The bot has no business in channels, and a reply there would be public.
		return bot.Update{}, "channel post"
	case u.CallbackQuery != nil:
		return a.fromCallback(u.ID, u.CallbackQuery)
	case u.MyChatMember != nil:
		return a.fromMembership(u.ID, u.MyChatMember)
	default:
		return bot.Update{}, "unsupported update kind"
	}
}

// base fills what every update has. from may be nil (channel posts, some
// service messages).
func (a *Adapter) base(id int64, chat models.Chat, from *models.User, date int) bot.Update {
	u := bot.Update{
		ID:      itoa(id),
		Channel: bot.ChannelTelegram,
		ChatID:  itoa(chat.ID),
		Private: chat.Type == models.ChatTypePrivate,
		Time:    a.now().UTC(),
	}
	if date > 0 {
		u.Time = time.Unix(int64(date), 0).UTC()
	}
	if from != nil {
		u.UserID = itoa(from.ID)
		u.UserName = displayName(from.FirstName, from.LastName)
		u.Locale = strings.TrimSpace(from.LanguageCode)
		u.FromBot = from.IsBot
	}
	return u
}

func (a *Adapter) fromMessage(id int64, m *models.Message) (bot.Update, string) {
	u := a.base(id, m.Chat, m.From, m.Date)
	caption := nfc(m.Caption)
	switch {
	case m.Text != "":
		text, forUs := a.stripMention(nfc(m.Text))
		if !forUs {
			return bot.Update{}, "command for another bot"
		}
		u.Kind, u.Text = bot.KindText, text
	case m.Contact != nil:
		c := m.Contact
		u.Kind = bot.KindContact
		u.Contact = &bot.Contact{
			Phone: c.PhoneNumber,
			Name:  displayName(c.FirstName, c.LastName),
			// Telegram fills user_id only for a Telegram user; it equals the
			// sender exactly when the sender shared their own number (the
			// request_contact button), which is what makes the phone trustworthy.
			Verified: m.From != nil && c.UserID != 0 && c.UserID == m.From.ID,
		}
		if c.UserID != 0 {
			u.Contact.UserID = itoa(c.UserID)
		}
	case len(m.Photo) > 0:
		p := largestPhoto(m.Photo)
		u.Kind, u.Text = bot.KindPhoto, caption
		u.Photo = &bot.Media{FileID: p.FileID, Size: int64(p.FileSize), Caption: caption}
	case m.Document != nil:
		u.Kind, u.Text = bot.KindFile, caption
		u.Photo = &bot.Media{FileID: m.Document.FileID, Name: nfc(m.Document.FileName), Size: m.Document.FileSize, Caption: caption}
	case m.Video != nil:
		u.Kind, u.Text = bot.KindFile, caption
		u.Photo = &bot.Media{FileID: m.Video.FileID, Name: nfc(m.Video.FileName), Size: m.Video.FileSize, Caption: caption}
	case m.Voice != nil:
		u.Kind, u.Text = bot.KindFile, caption
		u.Photo = &bot.Media{FileID: m.Voice.FileID, Size: m.Voice.FileSize, Caption: caption}
	case m.Audio != nil:
		u.Kind, u.Text = bot.KindFile, caption
		u.Photo = &bot.Media{FileID: m.Audio.FileID, Name: nfc(m.Audio.FileName), Size: m.Audio.FileSize, Caption: caption}
	case m.VideoNote != nil:
		u.Kind = bot.KindFile
		u.Photo = &bot.Media{FileID: m.VideoNote.FileID, Size: int64(m.VideoNote.FileSize)}
	case m.Location != nil:
		u.Kind = bot.KindLocation
		u.Location = &bot.Location{Lat: m.Location.Latitude, Lon: m.Location.Longitude}
	case m.Sticker != nil:
		u.Kind = bot.KindSticker
	case m.Chat.Type == models.ChatTypePrivate:
		// A poll, a dice, a game…: the user sent something; tell them what works.
		u.Kind = bot.KindOther
	default:
		// Group service messages (members joining, title changes, pins) are not
		// addressed to the bot.
		return bot.Update{}, "service or unsupported message in a group"
	}
	return u, ""
}

func (a *Adapter) fromCallback(id int64, q *models.CallbackQuery) (bot.Update, string) {
	var (
		chat  models.Chat
		msgID int
	)
	switch {
	case q.Message.Message != nil:
		chat, msgID = q.Message.Message.Chat, q.Message.Message.ID
	case q.Message.InaccessibleMessage != nil:
		// The message is older than 48 hours or was deleted; its chat is still known.
		chat, msgID = q.Message.InaccessibleMessage.Chat, q.Message.InaccessibleMessage.MessageID
	default:
		// Inline-mode messages have no chat; the bot sends none, so any such
		// tap fails the signature check below. Answer it in the user's chat.
		chat = models.Chat{ID: q.From.ID, Type: models.ChatTypePrivate}
	}
	u := a.base(id, chat, &q.From, 0)
	u.Kind = bot.KindCallback
	u.Callback = &bot.Callback{ID: q.ID}
	if msgID != 0 {
		u.Callback.MessageID = itoa(int64(msgID))
	}
	if data, ok := a.signer.verify(u.ChatID, q.Data); ok {
		u.Callback.Data, u.Text = data, data
	} else {
		a.log.Warn("callback with a bad signature, passed on as stale", "update_id", u.ID, "chat_id", u.ChatID)
	}
	return u, ""
}

func (a *Adapter) fromMembership(id int64, m *models.ChatMemberUpdated) (bot.Update, string) {
	if m.OldChatMember.Type == m.NewChatMember.Type {
		return bot.Update{}, "membership unchanged"
	}
	u := a.base(id, m.Chat, &m.From, m.Date)
	switch m.NewChatMember.Type {
	case models.ChatMemberTypeBanned, models.ChatMemberTypeLeft:
		// "kicked" in a private chat: the user blocked the bot.
		u.Kind = bot.KindUnfollow
	case models.ChatMemberTypeMember, models.ChatMemberTypeAdministrator:
		// "member" in a private chat: the user (re)started or unblocked the bot.
		u.Kind = bot.KindFollow
	default:
		return bot.Update{}, "membership change to " + string(m.NewChatMember.Type)
	}
	return u, ""
}

// stripMention turns "/start@MyBot payload" into "/start payload". forUs is
// false when the command names another bot; while the bot's own username is
// unknown, any mention is stripped.
func (a *Adapter) stripMention(text string) (out string, forUs bool) {
	if !strings.HasPrefix(text, "/") {
		return text, true
	}
	end := strings.IndexFunc(text, unicode.IsSpace)
	if end < 0 {
		end = len(text)
	}
	cmd, rest := text[:end], text[end:]
	name, target, found := strings.Cut(cmd, "@")
	if !found {
		return text, true
	}
	if me := a.botUsername(); me != "" && !strings.EqualFold(target, me) {
		return "", false
	}
	return name + rest, true
}

// largestPhoto picks the biggest of the sizes Telegram offers.
func largestPhoto(ps []models.PhotoSize) models.PhotoSize {
	return slices.MaxFunc(ps, func(x, y models.PhotoSize) int {
		if d := x.Width*x.Height - y.Width*y.Height; d != 0 {
			return d
		}
		return x.FileSize - y.FileSize
	})
}

func displayName(first, last string) string {
	return nfc(strings.TrimSpace(first + " " + last))
}

// nfc normalises text to NFC: Vietnamese typed on some keyboards arrives
// decomposed, and the core compares and stores composed text only.
func nfc(s string) string { return norm.NFC.String(s) }
