package telegram

import (
	"github.com/anttbot/anttbot/bot"
	"github.com/anttbot/anttbot/locales"
)

// The reply markups are our own types rather than the library's: its
// InlineKeyboardButton always carries "copy_text":{"text":""}, which Telegram
// can reject (BUTTON_COPY_TEXT_INVALID), and the library sends any
// ReplyMarkup value as its JSON.

type inlineButton struct {
	Text         string `json:"text"`
	CallbackData string `json:"callback_data,omitempty"`
	URL          string `json:"url,omitempty"`
}

type inlineKeyboard struct {
	InlineKeyboard [][]inlineButton `json:"inline_keyboard"`
}

type keyboardButton struct {
	Text           string `json:"text"`
	RequestContact bool   `json:"request_contact,omitempty"`
}

type replyKeyboard struct {
	Keyboard        [][]keyboardButton `json:"keyboard"`
	ResizeKeyboard  bool               `json:"resize_keyboard"`
	OneTimeKeyboard bool               `json:"one_time_keyboard"`
}

type replyKeyboardRemove struct {
	RemoveKeyboard bool `json:"remove_keyboard"`
}

// contactButtonKey is the label of the "share my phone number" button.
const contactButtonKey = "telegram.contact.button"

// inlineMarkup builds the inline keyboard for rows, signing each button's data
// for chatID. It returns nil for no buttons.
func (a *Adapter) inlineMarkup(chatID string, rows [][]bot.Button) (*inlineKeyboard, error) {
	kb := &inlineKeyboard{}
	for _, row := range rows {
		var r []inlineButton
		for _, b := range row {
			if b.URL != "" {
				r = append(r, inlineButton{Text: b.Label, URL: b.URL})
				continue
			}
			data, err := a.signer.sign(chatID, b.Data)
			if err != nil {
				return nil, err
			}
			r = append(r, inlineButton{Text: b.Label, CallbackData: data})
		}
		if len(r) > 0 {
			kb.InlineKeyboard = append(kb.InlineKeyboard, r)
		}
	}
	if len(kb.InlineKeyboard) == 0 {
		return nil, nil
	}
	return kb, nil
}

// contactMarkup is the one-button keyboard that shares the user's own phone
// number (so Telegram fills contact.user_id with the sender). bot.Message
// carries no language, so the label is in the default language.
func (a *Adapter) contactMarkup() *replyKeyboard {
	return &replyKeyboard{
		Keyboard:        [][]keyboardButton{{{Text: a.tr.T(locales.DefaultLang, contactButtonKey), RequestContact: true}}},
		ResizeKeyboard:  true,
		OneTimeKeyboard: true,
	}
}
