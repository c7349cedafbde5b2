// Package bot holds the channel-independent model of the service: an incoming
// Update, an outgoing Message, the Channel interface every adapter implements,
// and the errors adapters map their platform's failures onto.
package bot

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Channel names used in identities, update ids and logs.
const (
	ChannelTelegram  = "telegram"
	ChannelZalo      = "zalo"
	ChannelSimulator = "simulator"
)

// UpdateKind says what an Update carries.
type UpdateKind string

// Update kinds.
const (
	KindText     UpdateKind = "text"     // plain text (commands are text starting with "/" or a known word)
	KindCallback UpdateKind = "callback" // a tap on a button; Data holds the button data
	KindContact  UpdateKind = "contact"  // a shared phone number (Telegram contact, Zalo user_submit_info)
	KindPhoto    UpdateKind = "photo"
	KindLocation UpdateKind = "location"
	KindSticker  UpdateKind = "sticker"
	KindFile     UpdateKind = "file"
	KindFollow   UpdateKind = "follow"   // the user started following / opened the bot
	KindUnfollow UpdateKind = "unfollow" // the user blocked or unfollowed the bot
	KindOther    UpdateKind = "other"    // anything else the router answers generically
)

// Update is one thing a user did, translated from a platform event.
type Update struct {
	// ID is unique per channel and stable across re-deliveries (Telegram update_id,
	// Zalo msg_id); the router uses Channel+ID to drop duplicates.
	ID      string
	Channel string
	// ChatID is where replies go; UserID is the sender's platform id. For private
	// chats on Telegram they are equal; on Zalo both are the user id for this OA.
	ChatID string
	UserID string
	// UserName is the display name the platform gives, for logs and greetings only.
	UserName string
	// Locale is the platform's language hint ("vi", "en", ...), may be empty.
	Locale string
	// Private is false for group chats and channels.
	Private bool
	// FromBot is true when the sender is a bot (or an OA echo).
	FromBot bool
	Time    time.Time
	Kind    UpdateKind

	Text     string    // message text or photo caption; for callbacks the tapped button's data
	Callback *Callback // set for KindCallback
	Contact  *Contact  // set for KindContact
	Photo    *Media    // set for KindPhoto (and KindFile)
	Location *Location // set for KindLocation
}

// Callback is a button tap.
type Callback struct {
	// ID answers the tap on platforms that need it (Telegram callback_query id).
	ID string
	// Data is the button data as sent (already verified by the adapter where the
	// platform allows forging).
	Data string
	// MessageID is the message the button belonged to, when the platform says.
	MessageID string
}

// Contact is a phone number the user shared.
type Contact struct {
	Phone string
	Name  string
	// UserID is the platform user the contact belongs to; empty when the
	// platform does not say. A contact whose UserID differs from Update.UserID
	// is somebody else's card and must not be used for onboarding.
	UserID string
	// Verified is true when the platform guarantees the phone belongs to the
	// sender (Telegram request_contact with matching user_id, Zalo user_submit_info).
	Verified bool
}

// Media is a file kept on the platform, referenced by its id.
type Media struct {
	FileID  string
	URL     string // Zalo gives a URL instead of a file id
	Name    string
	Size    int64
	Caption string
}

// Location is a point on the map.
type Location struct {
	Lat float64
	Lon float64
}

// Button is one choice under a message. Data comes back in Update.Text/Callback.Data.
// A button with URL set is a link instead: tapping it opens the address (a
// sign-in link to the web console) and nothing comes back; Data is ignored.
type Button struct {
	Label string
	Data  string
	URL   string
}

// Message is something the bot sends to one chat.
type Message struct {
	ChatID string
	Text   string
	// Buttons are rows of choices; adapters that cannot show them all (Zalo: 5)
	// fall back to a numbered list.
	Buttons [][]Button
	// RequestContact asks the platform to show its "share my phone number" control.
	RequestContact bool
	// RemoveKeyboard removes a reply keyboard left by RequestContact.
	RemoveKeyboard bool
	// EditMessageID, when set and supported, replaces that earlier message instead of sending a new one.
	EditMessageID string
	// Photo re-sends a platform photo by file id (or URL on Zalo).
	Photo *Media
	// Attachment is a generated file (chart PNG, spreadsheet) sent as a document or image.
	Attachment *Attachment
	// AnswerCallbackID acknowledges a button tap (Telegram) with CallbackText as a short toast.
	AnswerCallbackID string
	CallbackText     string
}

// Attachment is generated content sent with a message.
type Attachment struct {
	Name    string // file name shown to the user, e.g. "tong-ket-dot-1.xlsx"
	MIME    string
	Data    []byte
	IsImage bool
	Caption string
}

// Sent identifies a delivered message, so it can be edited later.
type Sent struct {
	MessageID string
}

// Channel is what every platform adapter offers the core.
type Channel interface {
	// Name returns the channel name (ChannelTelegram, ...).
	Name() string
	// Send delivers one message. Errors are mapped onto ErrUnreachable,
	// *RateLimitedError or ErrTemporary where they apply.
	Send(ctx context.Context, m Message) (Sent, error)
}

// Handler processes one Update and returns the direct replies to it.
// The router implements it; adapters call it.
type Handler interface {
	HandleUpdate(ctx context.Context, u Update) error
}

// ErrUnreachable means the user blocked the bot, left the OA, or is outside the
// platform's messaging window: retrying will not help.
var ErrUnreachable = errors.New("bot: recipient unreachable")

// ErrTemporary marks a failure worth retrying later (5xx, timeouts).
var ErrTemporary = errors.New("bot: temporary failure")

// RateLimitedError asks the caller to wait RetryAfter before sending again.
type RateLimitedError struct {
	RetryAfter time.Duration
}

func (e *RateLimitedError) Error() string {
	return fmt.Sprintf("bot: rate limited, retry after %s", e.RetryAfter)
}

// HandlerFunc adapts a function to Handler.
type HandlerFunc func(ctx context.Context, u Update) error

// HandleUpdate calls f.
func (f HandlerFunc) HandleUpdate(ctx context.Context, u Update) error { return f(ctx, u) }
