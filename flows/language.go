package flows

import (
	"context"
	"slices"

	"github.com/anttbot/anttbot/bot"
	"github.com/anttbot/anttbot/locales"
)

// cmdLanguage offers the languages, or switches to the one given.
func (s *Service) cmdLanguage(ctx context.Context, c *call, sess *Session, arg string) {
	lang := locales.NormalizeLang(arg)
	if lang == "" || !slices.Contains(s.opts.Langs, lang) {
		var row []bot.Button
		for _, l := range s.opts.Langs {
			row = append(row, btn(s.tr.T(l, "common.lang_name"), "/"+CmdLanguage+" "+l))
		}
		c.say(c.T(s, "flows.lang.choose"), row)
		return
	}
	c.lang, sess.Lang = lang, lang
	if c.person != nil && c.dbErr == nil {
		if err := s.st.SetIdentityLocale(ctx, c.u.Channel, c.u.UserID, lang); err != nil {
			s.log.Warn("set identity locale", "channel", c.u.Channel, "err", err)
		} else if c.ident != nil {
			c.ident.Locale = lang
		}
	}
	if c.person == nil {
		c.say(c.T(s, "flows.lang.set"))
		if sess.Draft == nil {
			s.onboardPrompt(c)
		}
		return
	}
	c.say(c.T(s, "flows.lang.set"), s.menu(c)...)
}
