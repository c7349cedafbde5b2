package telegram

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	tgbot "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"github.com/anttbot/anttbot/bot"
	"github.com/anttbot/anttbot/ratelimit"
)

// maxAttempts bounds how often one API call is retried after a 429.
const maxAttempts = 3

// idleSlack is the measurement slack when telling an idle chat from a busy one.
const idleSlack = 10 * time.Millisecond

// part is one API call of a Send.
type part struct {
	text    string          // message text or caption, plain (escaped when sent)
	photoID string          // re-send a photo by file_id (or URL)
	file    *bot.Attachment // upload as photo or document
	editID  int             // edit this message's text instead of sending
	markup  any             // reply_markup, nil for none
}

// Send implements bot.Channel. One bot.Message can take several API calls (a
// photo, an upload, text past 4096 characters); they go out in order and
// Sent names the last, which carries the buttons. If a later call fails, the
// earlier ones stay sent and the error is returned. Errors wrap
// bot.ErrUnreachable, *bot.RateLimitedError (a 429 longer than MaxRetryWait,
// or still there after 3 attempts) or bot.ErrTemporary where they apply.
func (a *Adapter) Send(ctx context.Context, m bot.Message) (bot.Sent, error) {
	if m.ChatID == "" {
		return bot.Sent{}, errors.New("telegram: send: message without chat id")
	}
	// Answer first, even when the rest of m is unusable: the user's client
	// shows a spinner until then.
	if m.AnswerCallbackID != "" {
		a.answerCallback(ctx, m.AnswerCallbackID, m.CallbackText)
	}
	parts, err := a.plan(m)
	if err != nil {
		return bot.Sent{}, err
	}
	if m.EditMessageID != "" {
		if sent, done, err := a.tryEdit(ctx, m); done || err != nil {
			return sent, err
		}
	}
	var sent bot.Sent
	for _, p := range parts {
		id, err := a.deliver(ctx, m.ChatID, p)
		if err != nil {
			return sent, err
		}
		sent.MessageID = id
	}
	return sent, nil
}

// plan turns m into the API calls that send it as new messages.
func (a *Adapter) plan(m bot.Message) ([]part, error) {
	if m.RequestContact && len(m.Buttons) > 0 {
		// One message carries one keyboard: the contact button is a reply
		// keyboard, the buttons an inline one.
		return nil, errors.New("telegram: send: RequestContact and Buttons need two messages")
	}
	var parts []part
	addText := func(s string) {
		for _, t := range splitText(s, maxText) {
			parts = append(parts, part{text: t})
		}
	}
	text := m.Text
	if p := m.Photo; p != nil {
		src := p.FileID
		if src == "" {
			src = p.URL
		}
		if src == "" {
			return nil, errors.New("telegram: send: photo without file id or URL")
		}
		caption := p.Caption
		if caption == "" {
			caption, text = text, ""
		}
		head, rest := splitFirst(caption, maxCaption)
		parts = append(parts, part{photoID: src, text: head})
		addText(rest)
	}
	if f := m.Attachment; f != nil {
		if len(f.Data) == 0 || f.Name == "" {
			return nil, errors.New("telegram: send: attachment without name or data")
		}
		head, rest := splitFirst(f.Caption, maxCaption)
		parts = append(parts, part{file: f, text: head})
		addText(rest)
	}
	addText(text)

	inline, err := a.inlineMarkup(m.ChatID, m.Buttons)
	if err != nil {
		return nil, err
	}
	if len(parts) == 0 {
		if inline != nil || m.RequestContact || m.RemoveKeyboard {
			return nil, errors.New("telegram: send: a keyboard needs text to go with")
		}
		return nil, nil // only a callback answer, or nothing at all
	}
	last := &parts[len(parts)-1]
	switch {
	case inline != nil:
		last.markup = inline
		if m.RemoveKeyboard && len(parts) > 1 {
			parts[0].markup = &replyKeyboardRemove{RemoveKeyboard: true}
		}
		// With a single part the buttons win: the contact keyboard being
		// removed is one-time and already hidden after use.
	case m.RequestContact:
		last.markup = a.contactMarkup()
	case m.RemoveKeyboard:
		last.markup = &replyKeyboardRemove{RemoveKeyboard: true}
	}
	return parts, nil
}

// tryEdit edits m.EditMessageID in place when m is plain text that fits one
// message. done is false when the caller should send a new message instead:
// the edit is impossible for this content, or Telegram refused it (message
// too old, deleted, not the bot's). Unchanged content counts as done: the user
// already sees exactly that text, and a copy would be noise.
func (a *Adapter) tryEdit(ctx context.Context, m bot.Message) (bot.Sent, bool, error) {
	id, err := strconv.Atoi(m.EditMessageID)
	if err != nil || m.Photo != nil || m.Attachment != nil || m.RequestContact || m.RemoveKeyboard ||
		strings.TrimSpace(m.Text) == "" || utf16Len(m.Text) > maxText {
		return bot.Sent{}, false, nil
	}
	p := part{text: m.Text, editID: id}
	inline, err := a.inlineMarkup(m.ChatID, m.Buttons)
	if err != nil {
		return bot.Sent{}, true, err
	}
	if inline != nil {
		p.markup = inline
	}
	_, err = a.deliver(ctx, m.ChatID, p)
	switch {
	case err == nil, strings.Contains(errString(err), "message is not modified"):
		return bot.Sent{MessageID: m.EditMessageID}, true, nil
	case errors.Is(err, tgbot.ErrorBadRequest):
		a.log.Debug("edit refused, sending a new message", "chat_id", m.ChatID, "message_id", id, "err", err)
		return bot.Sent{}, false, nil
	default:
		return bot.Sent{}, true, err
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// deliver makes one API call within the rate limits, waiting out and retrying
// Telegram's 429 answers up to maxAttempts times.
func (a *Adapter) deliver(ctx context.Context, chatID string, p part) (string, error) {
	for attempt := 1; ; attempt++ {
		idle, err := a.throttle(ctx, chatID)
		if err == nil && a.inGlobalHold() {
			// The slot was reserved before a 429 this process saw: it would
			// draw another. Wait the hold out and take a new slot.
			if err = a.sleepGlobalHold(ctx); err == nil {
				attempt--
				continue
			}
		}
		if err != nil {
			if ctx.Err() != nil {
				return "", fmt.Errorf("telegram: wait for rate limit: %w", ctx.Err())
			}
			return "", fmt.Errorf("telegram: wait for rate limit: %w: %w", bot.ErrTemporary, err)
		}
		id, err := a.do(ctx, chatID, p)
		var rl *bot.RateLimitedError
		if !errors.As(err, &rl) {
			return id, err
		}
		a.penalize(ctx, chatID, rl.RetryAfter, idle)
		if attempt >= maxAttempts || rl.RetryAfter > a.cfg.MaxRetryWait {
			return "", err
		}
		a.log.Info("rate limited by Telegram, waiting", "retry_after", rl.RetryAfter, "attempt", attempt, "global", idle)
	}
}

// globalHeadroomPct paces the bot this many percent under the configured
// global rate: a message's slot is exact, but its arrival at Telegram is not
// (scheduling, the network), and two arrivals closer than their slots could
// put one message too many into a second. 3% keeps 97% of the budget (measured:
// 29.1 msg/s against 30/s, no 429 from a fake that refuses the 31st message
// in any second) where pacing at 100% drew a 429, and a second's hold, every
// few seconds.
const globalHeadroomPct = 3

// inGlobalHold reports a global 429 hold seen by this process that is still
// running. A hold set by another replica is not known here; its slots are
// spent on one 429 each.
// It runs on the wall clock, as the waits do.
func (a *Adapter) inGlobalHold() bool { return time.Now().UnixNano() < a.globalHold.Load() }

// sleepGlobalHold waits until the global hold this process knows ends.
func (a *Adapter) sleepGlobalHold(ctx context.Context) error {
	wait := time.Until(time.Unix(0, a.globalHold.Load()))
	if wait <= 0 {
		return nil
	}
	return sleep(ctx, wait)
}

// throttle waits until the chat, its group budget and the bot's global
// budget all allow one more message, and takes it from all three at once:
// taking one and then waiting for another would let the first slot go stale,
// and messages would bunch up on the wire. idle reports that the chat had
// sent nothing recently, so a 429 that follows must come from the global limit.
func (a *Adapter) throttle(ctx context.Context, chatID string) (idle bool, err error) {
	takes := []ratelimit.Take{{Key: a.chatKey(chatID), Rule: a.chat}, {Key: a.globalKey(), Rule: a.global}}
	if isGroup(chatID) {
		takes = append(takes, ratelimit.Take{Key: a.groupKey(chatID), Rule: a.group})
	}
	res, err := ratelimit.WaitAll(ctx, a.lim, takes)
	if err != nil {
		return false, err
	}
	idle = res.Keys[0].ResetAfter <= a.chat.Interval()+idleSlack
	if len(takes) == 3 {
		idle = idle && res.Keys[2].ResetAfter <= a.group.Interval()+idleSlack
	}
	return idle, nil
}

// penalize makes every sender (every replica) wait retryAfter before the next
// message to the chat, and to any chat when the 429 hit an idle chat.
func (a *Adapter) penalize(ctx context.Context, chatID string, retryAfter time.Duration, idle bool) {
	keys := []string{a.chatKey(chatID)}
	if isGroup(chatID) {
		keys = append(keys, a.groupKey(chatID))
	}
	if idle {
		keys = append(keys, a.globalKey())
		until := time.Now().Add(retryAfter).UnixNano()
		for {
			cur := a.globalHold.Load()
			if cur >= until || a.globalHold.CompareAndSwap(cur, until) {
				break
			}
		}
	}
	for _, k := range keys {
		if err := a.lim.Hold(ctx, k, retryAfter); err != nil {
			a.log.Warn("hold rate limit key", "key", k, "err", err)
		}
	}
}

func (a *Adapter) chatKey(chatID string) string  { return a.keyPrefix + "chat:" + chatID }
func (a *Adapter) groupKey(chatID string) string { return a.keyPrefix + "group:" + chatID }
func (a *Adapter) globalKey() string             { return a.keyPrefix + "global" }

// isGroup reports a group, supergroup or channel id: Telegram gives them
// negative ids.
func isGroup(chatID string) bool { return strings.HasPrefix(chatID, "-") }

// do makes the API call for p and returns the message id.
func (a *Adapter) do(ctx context.Context, chatID string, p part) (string, error) {
	var (
		msg     *models.Message
		method  string
		timeout = a.cfg.RequestTimeout
		call    func(ctx context.Context) (*models.Message, error)
	)
	switch {
	case p.editID != 0:
		method = "editMessageText"
		call = func(ctx context.Context) (*models.Message, error) {
			return a.api.EditMessageText(ctx, &tgbot.EditMessageTextParams{
				ChatID: chatID, MessageID: p.editID, Text: escapeHTML(p.text), ParseMode: models.ParseModeHTML,
				ReplyMarkup: markupOrNil(p.markup),
			})
		}
	case p.photoID != "":
		method = "sendPhoto"
		call = func(ctx context.Context) (*models.Message, error) {
			return a.api.SendPhoto(ctx, &tgbot.SendPhotoParams{
				ChatID: chatID, Photo: &models.InputFileString{Data: p.photoID},
				Caption: escapeHTML(p.text), ParseMode: models.ParseModeHTML, ReplyMarkup: markupOrNil(p.markup),
			})
		}
	case p.file != nil && p.file.IsImage:
		method, timeout = "sendPhoto", 4*a.cfg.RequestTimeout
		call = func(ctx context.Context) (*models.Message, error) {
			// A fresh reader per attempt: the previous one was consumed.
			return a.api.SendPhoto(ctx, &tgbot.SendPhotoParams{
				ChatID: chatID, Photo: &models.InputFileUpload{Filename: p.file.Name, Data: bytes.NewReader(p.file.Data)},
				Caption: escapeHTML(p.text), ParseMode: models.ParseModeHTML, ReplyMarkup: markupOrNil(p.markup),
			})
		}
	case p.file != nil:
		method, timeout = "sendDocument", 4*a.cfg.RequestTimeout
		call = func(ctx context.Context) (*models.Message, error) {
			return a.api.SendDocument(ctx, &tgbot.SendDocumentParams{
				ChatID: chatID, Document: &models.InputFileUpload{Filename: p.file.Name, Data: bytes.NewReader(p.file.Data)},
				Caption: escapeHTML(p.text), ParseMode: models.ParseModeHTML, ReplyMarkup: markupOrNil(p.markup),
			})
		}
	default:
		method = "sendMessage"
		call = func(ctx context.Context) (*models.Message, error) {
			return a.api.SendMessage(ctx, &tgbot.SendMessageParams{
				ChatID: chatID, Text: escapeHTML(p.text), ParseMode: models.ParseModeHTML,
				ReplyMarkup: markupOrNil(p.markup),
			})
		}
	}
	err := a.call(ctx, method, timeout, func(ctx context.Context) error {
		var err error
		msg, err = call(ctx)
		return err
	})
	if err != nil {
		return "", err
	}
	if msg == nil || msg.ID == 0 {
		return "", fmt.Errorf("telegram: %s: answer without a message id", method)
	}
	return strconv.Itoa(msg.ID), nil
}

// markupOrNil keeps a missing markup a nil interface: the library leaves a
// nil ReplyMarkup out, but would send a typed nil pointer as "null".
func markupOrNil(m any) models.ReplyMarkup {
	if m == nil {
		return nil
	}
	return m
}

// answerCallback acknowledges a button tap. Failure only costs the user a
// spinner (and "query is too old" is normal after a restart), so it is logged
// and the rest of the message still goes out.
func (a *Adapter) answerCallback(ctx context.Context, id, text string) {
	err := a.call(ctx, "answerCallbackQuery", a.cfg.RequestTimeout, func(ctx context.Context) error {
		_, err := a.api.AnswerCallbackQuery(ctx, &tgbot.AnswerCallbackQueryParams{
			CallbackQueryID: id, Text: truncate(text, maxCBAnswer),
		})
		return err
	})
	if err != nil {
		a.log.Debug("answer callback query", "err", err)
	}
}
