package telegram

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"

	tgbot "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"
)

// Command is one entry of the bot's command menu.
type Command struct {
	// Name is the command without "/": 1-32 of a-z, 0-9 and _.
	Name string
	// Description is shown next to it: 1-256 characters.
	Description string
}

// Scope says whose menu a command list is.
type Scope struct {
	kind   string
	chatID string
}

// ScopeDefault is the menu of everyone without a more specific one.
func ScopeDefault() Scope { return Scope{kind: "default"} }

// ScopeAllPrivateChats is the menu in every private chat without a chat-specific one.
func ScopeAllPrivateChats() Scope { return Scope{kind: "all_private_chats"} }

// ScopeChat is the menu of one chat (per-role menus, set when a user is linked).
func ScopeChat(chatID string) Scope { return Scope{kind: "chat", chatID: chatID} }

func (s Scope) String() string {
	if s.kind == "chat" {
		return "chat " + s.chatID
	}
	return s.kind
}

// model returns the library's scope.
func (s Scope) model() (models.BotCommandScope, error) {
	switch s.kind {
	case "", "default":
		return &models.BotCommandScopeDefault{}, nil
	case "all_private_chats":
		return &models.BotCommandScopeAllPrivateChats{}, nil
	case "chat":
		id, err := strconv.ParseInt(s.chatID, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("telegram: command scope: chat id %q: %w", s.chatID, err)
		}
		return &models.BotCommandScopeChat{ChatID: id}, nil
	}
	return nil, fmt.Errorf("telegram: command scope %q", s.kind)
}

var commandName = regexp.MustCompile(`^[a-z0-9_]{1,32}$`)

// SetCommands replaces the command menu for scope and language lang ("" for
// users whose language has no list of its own). An empty cmds removes the
// menu for that scope and language, so the broader one applies again.
func (a *Adapter) SetCommands(ctx context.Context, lang string, scope Scope, cmds []Command) error {
	sc, err := scope.model()
	if err != nil {
		return err
	}
	if len(cmds) == 0 {
		return a.call(ctx, "deleteMyCommands", a.cfg.RequestTimeout, func(ctx context.Context) error {
			_, err := a.api.DeleteMyCommands(ctx, &tgbot.DeleteMyCommandsParams{Scope: sc, LanguageCode: lang})
			return err
		})
	}
	if len(cmds) > 100 {
		return fmt.Errorf("telegram: set commands: %d commands, Telegram takes at most 100", len(cmds))
	}
	list := make([]models.BotCommand, 0, len(cmds))
	var errs []error
	for _, c := range cmds {
		if !commandName.MatchString(c.Name) {
			errs = append(errs, fmt.Errorf("command %q: want 1-32 of a-z, 0-9, _", c.Name))
		}
		if n := utf16Len(c.Description); n < 1 || n > 256 {
			errs = append(errs, fmt.Errorf("command %q: description of %d characters, want 1-256", c.Name, n))
		}
		list = append(list, models.BotCommand{Command: c.Name, Description: c.Description})
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("telegram: set commands: %w", err)
	}
	return a.call(ctx, "setMyCommands", a.cfg.RequestTimeout, func(ctx context.Context) error {
		_, err := a.api.SetMyCommands(ctx, &tgbot.SetMyCommandsParams{Commands: list, Scope: sc, LanguageCode: lang})
		return err
	})
}

// maxDownload is the largest file the Bot API lets bots download.
const maxDownload = 20 << 20

// Download fetches a file a user sent (bot.Media.FileID) from the API server
// in Config.APIURL. Download links contain the token, so they never leave
// the adapter.
func (a *Adapter) Download(ctx context.Context, fileID string) ([]byte, error) {
	var f *models.File
	err := a.call(ctx, "getFile", a.cfg.RequestTimeout, func(ctx context.Context) error {
		var err error
		f, err = a.api.GetFile(ctx, &tgbot.GetFileParams{FileID: fileID})
		return err
	})
	if err != nil {
		return nil, err
	}
	if f.FilePath == "" {
		return nil, fmt.Errorf("telegram: getFile %s: no file path (larger than 20 MB?)", fileID)
	}
	cctx, cancel := context.WithTimeout(ctx, 4*a.cfg.RequestTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(cctx, http.MethodGet, a.api.FileDownloadLink(f), nil)
	if err != nil {
		return nil, fmt.Errorf("telegram: download %s: %w", fileID, a.redact(err))
	}
	resp, err := a.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("telegram: download %s: %w", fileID, a.redact(err))
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("telegram: download %s: status %d", fileID, resp.StatusCode)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxDownload+1))
	if err != nil {
		return nil, fmt.Errorf("telegram: download %s: %w", fileID, a.redact(err))
	}
	if len(data) > maxDownload {
		return nil, fmt.Errorf("telegram: download %s: larger than %d bytes", fileID, maxDownload)
	}
	return data, nil
}
