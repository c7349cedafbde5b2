package app

import (
	"context"
	"time"

	"github.com/anttbot/anttbot/bot"
	"github.com/anttbot/anttbot/bot/telegram"
	"github.com/anttbot/anttbot/store"
)

// menuStore is the store the flows use, with one addition: when a Telegram
// chat is linked to a person, that chat's command menu is set to the
// commands of the person's role.
type menuStore struct {
	*store.Store
	a *App
}

// LinkIdentity links the chat, then sets its menu in the background.
func (m menuStore) LinkIdentity(ctx context.Context, personID int64, channel, externalID, chatID, locale string) (store.Identity, error) {
	ident, err := m.Store.LinkIdentity(ctx, personID, channel, externalID, chatID, locale)
	if err == nil && channel == bot.ChannelTelegram && m.a.Telegram != nil {
		m.a.goBG(func() { m.a.setChatMenu(personID, chatID, locale) })
	}
	return ident, err
}

// telegramCommands lists the commands of a role in Telegram's form.
func (a *App) telegramCommands(role store.Role, lang string) []telegram.Command {
	var out []telegram.Command
	for _, c := range a.Flows.CommandsFor(role, lang) {
		out = append(out, telegram.Command{Name: c.Name, Description: c.Description})
	}
	return out
}

// setChatMenu shows a linked person the commands of their role.
func (a *App) setChatMenu(personID int64, chatID, lang string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	p, err := a.Store.PersonByID(ctx, personID)
	if err != nil {
		a.Log.Warn("telegram menu: load person", "err", err)
		return
	}
	if lang == "" {
		lang = a.Config.App.DefaultLocale
	}
	if err := a.Telegram.SetCommands(ctx, "", telegram.ScopeChat(chatID), a.telegramCommands(p.Role, lang)); err != nil {
		a.Log.Warn("telegram menu: set chat commands", "err", err)
	}
}

// setDefaultMenus sets, for every private chat not linked yet, the menu of a
// member in each language (Vietnamese also for languages without one).
func (a *App) setDefaultMenus(ctx context.Context) {
	for _, lang := range []string{"", "vi", "en"} {
		name := lang
		if name == "" {
			name = a.Config.App.DefaultLocale
		}
		if err := a.Telegram.SetCommands(ctx, lang, telegram.ScopeAllPrivateChats(), a.telegramCommands(store.RoleMember, name)); err != nil {
			if ctx.Err() == nil {
				a.Log.Warn("telegram menu: set default commands", "lang", lang, "err", err)
			}
			return
		}
	}
}
