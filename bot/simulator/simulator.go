// Package simulator is a local web chat that stands in for Telegram and Zalo:
// one picks a demo person, talks to the bot in a browser, and the updates go
// through the same dispatcher, router and flows as the real channels. It keeps
// every chat's history in memory and serves it to the page by long polling.
package simulator

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/anttbot/anttbot/bot"
	"github.com/anttbot/anttbot/locales"
)

// Submitter accepts updates for handling; *bot.Dispatcher satisfies it.
type Submitter interface {
	Submit(ctx context.Context, u bot.Update) (bool, error)
}

// SubmitFunc adapts a function to Submitter, for wiring where the dispatcher
// is made after the simulator (the router needs the simulator as a channel).
type SubmitFunc func(ctx context.Context, u bot.Update) (bool, error)

// Submit calls f.
func (f SubmitFunc) Submit(ctx context.Context, u bot.Update) (bool, error) { return f(ctx, u) }

// PeopleSource lists the demo people one can chat as.
type PeopleSource interface {
	DemoPeople(ctx context.Context) ([]Person, error)
}

// Translator looks up user-facing text; *locales.Catalog satisfies it.
type Translator interface {
	T(lang, key string, args ...any) string
}

// Person is a demo user of the simulator.
type Person struct {
	// ID is used as the simulated user id and chat id.
	ID    string
	Name  string
	Phone string
	// RoleLabel and UnitLabel are shown on the person's card, already localized
	// ("Tổ trưởng", "Tổ bảo vệ ANTT thôn Đông").
	RoleLabel string
	UnitLabel string
}

// Limits of what the page may send.
const (
	// MaxUpload is the largest photo the page may upload.
	MaxUpload = 5 << 20
	// MaxTextRunes matches Telegram's limit for one message.
	MaxTextRunes = 4096
	// maxCallbackData matches Telegram's callback_data limit.
	maxCallbackData = 64
)

// Defaults for the options.
const (
	defaultHistory   = 200
	defaultPoll      = 25 * time.Second
	defaultFileBytes = 128 << 20
)

// Option configures a Simulator.
type Option func(*Simulator)

// WithTranslator sets the catalogue the page's text comes from; by default
// the embedded locales are loaded.
func WithTranslator(tr Translator) Option { return func(s *Simulator) { s.tr = tr } }

// WithLogger sets the logger; by default slog.Default().
func WithLogger(l *slog.Logger) Option { return func(s *Simulator) { s.log = l } }

// WithPollTimeout bounds how long GET /api/messages waits for news (default 25 s).
func WithPollTimeout(d time.Duration) Option { return func(s *Simulator) { s.pollTimeout = d } }

// WithHistoryLimit bounds the messages kept per chat (default 200).
func WithHistoryLimit(n int) Option { return func(s *Simulator) { s.historyLimit = n } }

// WithFileBudget bounds the bytes of photos and attachments kept in memory
// (default 128 MB); the oldest files are dropped first.
func WithFileBudget(n int64) Option { return func(s *Simulator) { s.files.budget = n } }

// Simulator is the simulator channel: a bot.Channel for replies and an
// http.Handler for the page.
type Simulator struct {
	sub          Submitter
	people       PeopleSource
	tr           Translator
	log          *slog.Logger
	pollTimeout  time.Duration
	historyLimit int
	idPrefix     string // makes update ids unique across restarts of the process

	files *fileStore

	mu     sync.Mutex
	seq    int64
	chats  map[string]*chat
	closed chan struct{}
}

// chat is one person's conversation.
type chat struct {
	msgs []*entry
	// rev increases with every change; entries carry the rev of their last change.
	rev int64
	// base is the rev of the last Reset: a page that saw less must start over.
	base             int64
	contactRequested bool
	// changed is closed and replaced on every change, to wake long polls.
	changed chan struct{}
}

// New returns a Simulator that submits the page's input to sub.
func New(sub Submitter, people PeopleSource, opts ...Option) *Simulator {
	s := &Simulator{
		sub:          sub,
		people:       people,
		log:          slog.Default(),
		pollTimeout:  defaultPoll,
		historyLimit: defaultHistory,
		idPrefix:     strconv.FormatInt(time.Now().UnixNano(), 36) + "-",
		files:        newFileStore(defaultFileBytes),
		chats:        make(map[string]*chat),
		closed:       make(chan struct{}),
	}
	for _, o := range opts {
		o(s)
	}
	s.log = s.log.With("comp", "simulator")
	if s.tr == nil {
		cat, err := locales.Load()
		if err != nil {
			s.log.Error("load locales; the page will show message keys", "err", err)
			s.tr = keysOnly{}
		} else {
			s.tr = cat
		}
	}
	if s.historyLimit <= 0 {
		s.historyLimit = defaultHistory
	}
	return s
}

// keysOnly is the last-resort Translator: it shows the key itself.
type keysOnly struct{}

func (keysOnly) T(_, key string, _ ...any) string { return key }

// Name implements bot.Channel.
func (s *Simulator) Name() string { return bot.ChannelSimulator }

// Send implements bot.Channel: the message is added to the chat's history (or
// replaces the message it edits) and the page is woken.
func (s *Simulator) Send(ctx context.Context, m bot.Message) (bot.Sent, error) {
	if m.ChatID == "" {
		return bot.Sent{}, errors.New("simulator: send without chat id")
	}
	if err := ctx.Err(); err != nil {
		return bot.Sent{}, fmt.Errorf("simulator: send to %s: %w", m.ChatID, err)
	}
	var att *attachmentView
	if a := m.Attachment; a != nil {
		f := s.files.put(a.Name, a.MIME, a.Data)
		att = &attachmentView{URL: fileURL(f.id), Name: a.Name, MIME: f.mime, IsImage: a.IsImage, Caption: a.Caption}
	}
	photoURL, photoMissing := "", false
	if m.Photo != nil {
		photoURL, photoMissing = s.photoURL(m.Photo)
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.chat(m.ChatID)
	if m.RequestContact {
		c.contactRequested = true
	}
	if m.RemoveKeyboard {
		c.contactRequested = false
	}
	c.rev++
	defer c.wake()

	text := m.Text
	if text == "" && m.Photo != nil {
		text = m.Photo.Caption
	}
	if m.EditMessageID != "" {
		if e := c.find(m.EditMessageID); e != nil {
			// Like Telegram's editMessageText: text and buttons are replaced
			// (no buttons given removes them); a photo or file stays unless replaced.
			e.Text = text
			e.Buttons = buttonsView(m.Buttons)
			if photoURL != "" || photoMissing {
				e.PhotoURL, e.PhotoMissing = photoURL, photoMissing
			}
			if att != nil {
				e.Attachment = att
			}
			if m.CallbackText != "" {
				e.Toast = m.CallbackText
			}
			e.Edited = true
			e.Rev = c.rev
			return bot.Sent{MessageID: e.ID}, nil
		}
		// The message is gone from the bounded history: show the new text instead.
	}
	s.seq++
	e := &entry{
		ID: strconv.FormatInt(s.seq, 10), Rev: c.rev, From: fromBot, Time: time.Now(),
		Text: text, Buttons: buttonsView(m.Buttons), PhotoURL: photoURL, PhotoMissing: photoMissing,
		Attachment: att, Toast: m.CallbackText,
	}
	if e.Text == "" && e.PhotoURL == "" && !e.PhotoMissing && e.Attachment == nil && len(e.Buttons) == 0 && e.Toast == "" {
		// Only an acknowledgement or a keyboard change: nothing to show, but
		// the page still learns the new keyboard state from the rev.
		return bot.Sent{MessageID: e.ID}, nil
	}
	c.add(e, s.historyLimit)
	return bot.Sent{MessageID: e.ID}, nil
}

// photoURL maps a photo the bot re-sends to a URL the page can show.
func (s *Simulator) photoURL(p *bot.Media) (url string, missing bool) {
	if id, ok := simFileID(p.FileID); ok && s.files.has(id) {
		return fileURL(id), false
	}
	return "", true
}

// Reset forgets a chat's history (the bot's own session is not touched).
func (s *Simulator) Reset(chatID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.chat(chatID)
	c.msgs = nil
	c.contactRequested = false
	c.rev++
	c.base = c.rev
	c.wake()
}

// Close wakes every waiting long poll so that an HTTP server can shut down
// without waiting for them to time out. Send keeps working.
func (s *Simulator) Close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	select {
	case <-s.closed:
	default:
		close(s.closed)
	}
}

// chat returns the chat, creating it. The caller holds s.mu.
func (s *Simulator) chat(id string) *chat {
	c, ok := s.chats[id]
	if !ok {
		c = &chat{changed: make(chan struct{})}
		s.chats[id] = c
	}
	return c
}

// addUser records what the person sent, before it is submitted, so that the
// page shows it above the bot's answer. The caller must not hold s.mu.
func (s *Simulator) addUser(chatID string, e *entry) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.chat(chatID)
	if e.Contact != nil {
		// The reply keyboard closes once used, like Telegram's one_time_keyboard.
		c.contactRequested = false
	}
	s.seq++
	c.rev++
	e.ID, e.Rev, e.From, e.Time = strconv.FormatInt(s.seq, 10), c.rev, fromUser, time.Now()
	c.add(e, s.historyLimit)
	c.wake()
}

// markFailed flags a user message whose submission failed.
func (s *Simulator) markFailed(chatID, id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.chat(chatID)
	if e := c.find(id); e != nil {
		c.rev++
		e.Failed, e.Rev = true, c.rev
		c.wake()
	}
}

// nextID returns a fresh id for updates and callbacks.
func (s *Simulator) nextID() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seq++
	return s.idPrefix + strconv.FormatInt(s.seq, 10)
}

// hasButton reports whether data is the data of a button the bot showed in
// the chat (in message msgID when given): the page may not forge callbacks.
func (s *Simulator) hasButton(chatID, msgID, data string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.chats[chatID]
	if !ok {
		return false
	}
	for _, e := range c.msgs {
		if e.From != fromBot || (msgID != "" && e.ID != msgID) {
			continue
		}
		for _, row := range e.Buttons {
			for _, b := range row {
				if b.Data == data {
					return true
				}
			}
		}
	}
	return false
}

func (c *chat) add(e *entry, limit int) {
	c.msgs = append(c.msgs, e)
	if n := len(c.msgs) - limit; n > 0 {
		clear(c.msgs[:n])
		c.msgs = c.msgs[n:]
	}
}

func (c *chat) find(id string) *entry {
	for _, e := range c.msgs {
		if e.ID == id {
			return e
		}
	}
	return nil
}

func (c *chat) wake() {
	close(c.changed)
	c.changed = make(chan struct{})
}

// snapshot returns what changed after rev `after`. The caller holds s.mu.
func (c *chat) snapshot(after int64) (page messagesPage, fresh bool) {
	page = messagesPage{Rev: c.rev, ContactRequested: c.contactRequested, Messages: []entry{}}
	if after < c.base || after > c.rev {
		// Reset since, or the server restarted: the page starts over.
		page.Reset, after = true, 0
	}
	for _, e := range c.msgs {
		if e.Rev > after {
			page.Messages = append(page.Messages, *e)
		}
	}
	return page, page.Reset || c.rev > after
}
