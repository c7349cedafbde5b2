package telegram

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
)

// Button data travels through the user's client and back, so anyone can send
// any callback_data to the bot (Telegram says so: validate it server-side).
// Each button's data is therefore signed with the chat it was sent to:
//
//	callback_data = base64url(HMAC-SHA256(key, chat_id || 0x00 || data))[:16] || data
//
// 16 base64url characters are 96 bits of MAC, which leaves 48 of Telegram's
// 64 bytes for the data (the core uses at most 40). Binding the chat stops a
// button seen in one chat from being replayed in another.
const (
	sigLen = 16
	// MaxButtonData is the longest bot.Button.Data the adapter can sign.
	MaxButtonData = 64 - sigLen
)

// signer signs and verifies button data.
type signer struct{ key []byte }

// newSigner derives the MAC key from a secret, so the bot token itself never
// keys anything directly.
func newSigner(secret string) signer {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte("anttbot/telegram/callback/v1"))
	return signer{key: m.Sum(nil)}
}

func (s signer) mac(chatID, data string) string {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte(chatID))
	m.Write([]byte{0})
	m.Write([]byte(data))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))[:sigLen]
}

// sign returns the callback_data for data on a message to chatID.
func (s signer) sign(chatID, data string) (string, error) {
	if data == "" {
		return "", fmt.Errorf("telegram: button without data")
	}
	if len(data) > MaxButtonData {
		return "", fmt.Errorf("telegram: button data %q is %d bytes, at most %d fit", data, len(data), MaxButtonData)
	}
	return s.mac(chatID, data) + data, nil
}

// verify returns the data inside callback_data from chatID, and whether its
// signature holds.
func (s signer) verify(chatID, callbackData string) (string, bool) {
	if len(callbackData) <= sigLen {
		return "", false
	}
	sig, data := callbackData[:sigLen], callbackData[sigLen:]
	if !hmac.Equal([]byte(sig), []byte(s.mac(chatID, data))) {
		return "", false
	}
	return data, true
}
