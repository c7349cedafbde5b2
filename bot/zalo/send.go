package zalo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/anttbot/anttbot/bot"
)

// Platform limits for CS messages.
const (
	maxText    = 2000 // characters per text; counted in UTF-16 units to be safe with emoji
	maxButtons = 5
	// maxButtonLabel is where a label stops fitting a button: the API takes
	// 100 characters, but a phone shows a button title on one line, so
	// longer choices read better as a numbered list.
	maxButtonLabel = 40
	maxCardTitle   = 100     // request_user_info element title
	maxImageUpload = 1 << 20 // /upload/image: JPG or PNG up to 1 MB
	maxFileUpload  = 5 << 20 // /upload/file: PDF, DOC, DOCX up to 5 MB
)

// csMessage is the "message" object of /v3.0/oa/message/cs.
type csMessage struct {
	Text       string         `json:"text,omitempty"`
	Attachment *outAttachment `json:"attachment,omitempty"`
}

type outAttachment struct {
	Type    string `json:"type"`
	Payload any    `json:"payload"`
}

type templatePayload struct {
	TemplateType string      `json:"template_type,omitempty"`
	Elements     []any       `json:"elements,omitempty"`
	Buttons      []outButton `json:"buttons,omitempty"`
}

type outButton struct {
	Title   string `json:"title"`
	Type    string `json:"type"`
	Payload any    `json:"payload"` // signed data (oa.query.hide) or urlPayload (oa.open.url)
}

// urlPayload is the payload of an "oa.open.url" button.
type urlPayload struct {
	URL string `json:"url"`
}

type mediaElement struct {
	MediaType    string `json:"media_type"`
	URL          string `json:"url,omitempty"`
	AttachmentID string `json:"attachment_id,omitempty"`
}

type cardElement struct {
	Title    string `json:"title"`
	Subtitle string `json:"subtitle"`
	ImageURL string `json:"image_url,omitempty"`
}

type filePayload struct {
	Token string `json:"token"`
}

// Send implements bot.Channel with consultation (CS) messages. One
// bot.Message may become several Zalo messages (photo, long text split past
// 2,000 characters, the contact card); Sent carries the last one's id.
// AnswerCallbackID, CallbackText, EditMessageID and RemoveKeyboard have no
// Zalo counterpart (taps are plain texts, messages cannot be edited): an
// edit is sent as a new message, the rest is ignored.
func (a *Adapter) Send(ctx context.Context, m bot.Message) (bot.Sent, error) {
	if m.ChatID == "" {
		return bot.Sent{}, errors.New("zalo: send: empty chat id")
	}
	parts, choices, err := a.compose(ctx, m)
	if err != nil {
		return bot.Sent{}, err
	}
	if len(parts) == 0 {
		return bot.Sent{}, nil
	}
	// Typed replies are read against the choices of the latest message only.
	// They are remembered before the message goes out: a user answering the
	// instant it arrives must find them (and on failure the previous ones
	// come back, since the user never saw these).
	prev, hadPrev, _ := a.choices.Recall(ctx, m.ChatID)
	a.offer(ctx, m.ChatID, choices)
	var sent bot.Sent
	for _, p := range parts {
		id, err := a.sendCS(ctx, m.ChatID, p)
		if err != nil {
			if sent.MessageID == "" {
				if hadPrev {
					a.offer(ctx, m.ChatID, &prev)
				} else {
					a.offer(ctx, m.ChatID, nil)
				}
			}
			return sent, err
		}
		sent.MessageID = id
	}
	return sent, nil
}

// offer records the choices a typed reply of this user may pick from (nil: none).
func (a *Adapter) offer(ctx context.Context, userID string, choices *Choices) {
	var err error
	if choices != nil {
		err = a.choices.Remember(ctx, userID, *choices)
	} else {
		err = a.choices.Forget(ctx, userID)
	}
	if err != nil {
		a.log.Warn("update offered choices", "err", err)
	}
}

// sendCS posts one CS message and returns its message id.
func (a *Adapter) sendCS(ctx context.Context, userID string, msg csMessage) (string, error) {
	body := map[string]any{"recipient": map[string]string{"user_id": userID}, "message": msg}
	req, err := jsonRequest(apiOA, "send", a.cfg.APIURL+"/v3.0/oa/message/cs", body)
	if err != nil {
		return "", err
	}
	data, err := a.call(ctx, req)
	if err != nil {
		return "", err
	}
	var d struct {
		MessageID flexString `json:"message_id"`
	}
	if err := json.Unmarshal(data, &d); err != nil {
		return "", fmt.Errorf("zalo: send: decode data: %w", err)
	}
	return string(d.MessageID), nil
}

// compose turns m into the CS messages to post, in order, and the choices a
// typed reply may pick from (nil when m offers none).
func (a *Adapter) compose(ctx context.Context, m bot.Message) ([]csMessage, *Choices, error) {
	var parts []csMessage
	if m.Photo != nil {
		if m.Photo.URL == "" {
			return nil, nil, errors.New("zalo: send: photo without URL (Zalo cannot resend a file id)")
		}
		parts = append(parts, a.media(mediaElement{MediaType: "image", URL: m.Photo.URL}, m.Photo.Caption)...)
	}
	if m.Attachment != nil {
		p, err := a.attachment(ctx, m.Attachment)
		if err != nil {
			return nil, nil, err
		}
		parts = append(parts, p...)
	}

	var options []Choice
	var links []bot.Button
	for _, row := range m.Buttons {
		for _, b := range row {
			if b.URL != "" {
				links = append(links, b)
				continue
			}
			options = append(options, Choice{Label: b.Label, Data: b.Data})
		}
	}
	text := m.Text
	var choices *Choices
	var buttons []outButton
	if len(options) == 0 && len(links) > 0 && len(links) <= maxButtons {
		// Link buttons alone open their address; nothing comes back to choose.
		for _, l := range links {
			buttons = append(buttons, outButton{Title: truncateLabel(l.Label), Type: "oa.open.url", Payload: urlPayload{URL: l.URL}})
		}
	} else {
		// Mixed with choices, a link is written out in the text, which Zalo makes tappable.
		for _, l := range links {
			text = strings.TrimRightFunc(text, unicode.IsSpace) + "\n" + l.Label + ": " + l.URL
		}
	}
	if len(options) > 0 {
		choices = &Choices{Options: options, Numbered: !fitButtons(options)}
		if choices.Numbered {
			text = a.numbered(text, options)
		} else {
			for _, o := range options {
				buttons = append(buttons, outButton{Title: o.Label, Type: "oa.query.hide", Payload: a.signPayload(m.ChatID, o.Data)})
			}
			if strings.TrimSpace(text) == "" {
				text = a.tr.T(a.cfg.Lang, "zalo.choices.prompt")
			}
		}
	}

	if m.RequestContact && len(options) == 0 && text != "" && utf8.RuneCountInString(text) <= maxCardTitle {
		// A short question fits the card itself: one message instead of two.
		parts = append(parts, a.contactCard(text))
		return parts, nil, nil
	}
	chunks := splitText(text, maxText)
	for i, c := range chunks {
		msg := csMessage{Text: c}
		if i == len(chunks)-1 && len(buttons) > 0 {
			msg.Attachment = &outAttachment{Type: "template", Payload: templatePayload{Buttons: buttons}}
		}
		parts = append(parts, msg)
	}
	if m.RequestContact {
		parts = append(parts, a.contactCard(a.tr.T(a.cfg.Lang, "zalo.contact.title")))
	}
	return parts, choices, nil
}

// fitButtons says whether options can be shown as Zalo buttons.
func fitButtons(options []Choice) bool {
	if len(options) > maxButtons {
		return false
	}
	for _, o := range options {
		if o.Label == "" || utf8.RuneCountInString(o.Label) > maxButtonLabel {
			return false
		}
	}
	return true
}

// numbered appends options as "1. …" lines and a hint to reply with a number.
func (a *Adapter) numbered(text string, options []Choice) string {
	var b strings.Builder
	if t := strings.TrimRightFunc(text, unicode.IsSpace); t != "" {
		b.WriteString(t)
		b.WriteString("\n\n")
	}
	for i, o := range options {
		b.WriteString(strconv.Itoa(i + 1))
		b.WriteString(". ")
		b.WriteString(o.Label)
		b.WriteString("\n")
	}
	b.WriteString("\n")
	b.WriteString(a.tr.T(a.cfg.Lang, "zalo.choices.hint", "Max", len(options)))
	return b.String()
}

// contactCard is the request_user_info template: Zalo shows a form pre-filled
// with the user's own phone number, answered by a user_submit_info event.
func (a *Adapter) contactCard(title string) csMessage {
	return csMessage{Attachment: &outAttachment{Type: "template", Payload: templatePayload{
		TemplateType: "request_user_info",
		Elements: []any{cardElement{
			Title:    title,
			Subtitle: a.tr.T(a.cfg.Lang, "zalo.contact.subtitle"),
			ImageURL: a.cfg.ContactImageURL,
		}},
	}}}
}

// media is an image message with an optional caption (a caption too long
// for one message follows as text).
func (a *Adapter) media(el mediaElement, caption string) []csMessage {
	msg := csMessage{Attachment: &outAttachment{Type: "template", Payload: templatePayload{
		TemplateType: "media",
		Elements:     []any{el},
	}}}
	if utf16Len(caption) <= maxText {
		msg.Text = caption
		return []csMessage{msg}
	}
	parts := []csMessage{msg}
	for _, c := range splitText(caption, maxText) {
		parts = append(parts, csMessage{Text: c})
	}
	return parts
}

// attachment uploads generated content: a JPG/PNG up to 1 MB as an image,
// a PDF/DOC/DOCX up to 5 MB as a file. Zalo takes nothing else (no
// spreadsheets), so anything else is replaced by a note saying so.
func (a *Adapter) attachment(ctx context.Context, att *bot.Attachment) ([]csMessage, error) {
	mime := strings.ToLower(att.MIME)
	ext := strings.ToLower(path.Ext(att.Name))
	switch {
	case att.IsImage && (mime == "image/png" || mime == "image/jpeg" || ext == ".png" || ext == ".jpg" || ext == ".jpeg") &&
		len(att.Data) <= maxImageUpload:
		if mime == "" {
			mime = map[string]string{".png": "image/png"}[ext]
			if mime == "" {
				mime = "image/jpeg"
			}
		}
		data, err := a.upload(ctx, "image", att.Name, mime, att.Data)
		if err != nil {
			return nil, err
		}
		var d struct {
			AttachmentID string `json:"attachment_id"`
		}
		if err := json.Unmarshal(data, &d); err != nil || d.AttachmentID == "" {
			return nil, fmt.Errorf("zalo: upload image: %w", errNoData)
		}
		return a.media(mediaElement{MediaType: "image", AttachmentID: d.AttachmentID}, att.Caption), nil
	case fileMIME[ext] != "" && len(att.Data) <= maxFileUpload:
		if mime == "" {
			mime = fileMIME[ext]
		}
		data, err := a.upload(ctx, "file", att.Name, mime, att.Data)
		if err != nil {
			return nil, err
		}
		var d struct {
			Token string `json:"token"`
		}
		if err := json.Unmarshal(data, &d); err != nil || d.Token == "" {
			return nil, fmt.Errorf("zalo: upload file: %w", errNoData)
		}
		// A file message carries no text: the caption goes just before it.
		var parts []csMessage
		for _, c := range splitText(att.Caption, maxText) {
			parts = append(parts, csMessage{Text: c})
		}
		return append(parts, csMessage{Attachment: &outAttachment{Type: "file", Payload: filePayload{Token: d.Token}}}), nil
	default:
		a.log.Warn("attachment cannot be sent on Zalo", "mime", att.MIME, "ext", ext, "bytes", len(att.Data))
		text := a.tr.T(a.cfg.Lang, "zalo.attachment.unsupported", "Name", att.Name)
		if att.Caption != "" {
			text = att.Caption + "\n\n" + text
		}
		var parts []csMessage
		for _, c := range splitText(text, maxText) {
			parts = append(parts, csMessage{Text: c})
		}
		return parts, nil
	}
}

// fileMIME lists what /upload/file accepts.
var fileMIME = map[string]string{
	".pdf":  "application/pdf",
	".doc":  "application/msword",
	".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}

// splitText cuts s into pieces of at most max UTF-16 units, preferring a
// paragraph break, then a line break, a sentence end, a space; a piece is
// never shorter than half the limit unless the text runs out.
func splitText(s string, max int) []string {
	s = strings.TrimSpace(s)
	var out []string
	for utf16Len(s) > max {
		cut := cutPoint(s, max)
		out = append(out, strings.TrimRightFunc(s[:cut], unicode.IsSpace))
		s = strings.TrimLeftFunc(s[cut:], unicode.IsSpace)
	}
	if s != "" {
		out = append(out, s)
	}
	return out
}

// cutPoint returns the byte offset where the first piece of s ends.
func cutPoint(s string, max int) int {
	units, limit := 0, 0
	for i, r := range s {
		n := utf16.RuneLen(r)
		if n < 0 {
			n = 1
		}
		if units+n > max {
			break
		}
		units += n
		limit = i + utf8.RuneLen(r)
	}
	window := s[:limit]
	for _, sep := range []string{"\n\n", "\n", ". ", "! ", "? ", " "} {
		if i := strings.LastIndex(window, sep); i > 0 && i+len(sep) > limit/2 {
			return i + len(sep)
		}
	}
	return limit
}

// utf16Len counts s in UTF-16 code units, the way a Java backend counts characters.
func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		if utf16.RuneLen(r) == 2 {
			n += 2
		} else {
			n++
		}
	}
	return n
}

// truncateLabel shortens a link button's label to what a Zalo button shows.
func truncateLabel(s string) string {
	r := []rune(s)
	if len(r) <= maxButtonLabel {
		return s
	}
	return string(r[:maxButtonLabel-1]) + "…"
}
