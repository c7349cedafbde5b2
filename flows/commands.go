package flows

import (
	"context"
	"slices"
	"strings"

	"github.com/anttbot/anttbot/bot"
	"github.com/anttbot/anttbot/store"
)

// Names of the built-in commands, as typed after "/".
const (
	CmdStart    = "start"
	CmdReport   = "baocao"
	CmdMine     = "cuatoi"
	CmdStanding = "thidua"
	CmdHelp     = "huongdan"
	CmdCancel   = "huy"
	CmdLanguage = "ngonngu"
	// cmdMenu shows the main menu; buttons use it, help does not list it.
	cmdMenu = "menu"
)

// CommandSpec describes a command: its name, the plain words that mean the
// same on platforms without commands, and who may use it.
type CommandSpec struct {
	// Name is the command without the slash, e.g. "baocao".
	Name string
	// Words are other ways to write it, compared after fold (diacritics,
	// case and spaces do not matter): "báo cáo" covers "bao cao", "Báo Cáo".
	Words []string
	// Roles may use the command once linked; empty means every role.
	Roles []store.Role
	// Public commands work before the chat is linked to a person.
	Public bool
	// Hidden commands work but are not listed by help or the menu.
	Hidden bool
	// DescKey is the locale key of the one-line description.
	DescKey string
}

// allows reports whether a person with role may use the command; role ""
// is a chat not linked yet.
func (c CommandSpec) allows(role store.Role) bool {
	if role == "" {
		return c.Public
	}
	return len(c.Roles) == 0 || slices.Contains(c.Roles, role)
}

// BuiltinCommands returns the commands this package implements, in the
// order help lists them. Commands of later features (to, duyet, sukien,
// solieu, moi, tongket) are added with Service.Register when they exist, so
// help never shows a command that does not work yet.
func BuiltinCommands() []CommandSpec {
	return []CommandSpec{
		{Name: CmdStart, Words: []string{"bắt đầu"}, Public: true, DescKey: "flows.cmd.start"},
		// Reports are made in a team: police officers have no team to report for.
		{Name: CmdReport, Words: []string{"báo cáo", "report"}, Roles: teamRoles(), DescKey: "flows.cmd.baocao"},
		{Name: CmdMine, Words: []string{"của tôi", "báo cáo của tôi", "mine"}, Roles: teamRoles(), DescKey: "flows.cmd.cuatoi"},
		{Name: CmdStanding, Words: []string{"thi đua"}, DescKey: "flows.cmd.thidua"},
		{Name: CmdHelp, Words: []string{"hướng dẫn", "help", "trợ giúp"}, Public: true, DescKey: "flows.cmd.huongdan"},
		{Name: CmdCancel, Words: []string{"hủy", "huỷ", "hủy bỏ", "cancel"}, Public: true, DescKey: "flows.cmd.huy"},
		{Name: CmdLanguage, Words: []string{"ngôn ngữ", "language"}, Public: true, DescKey: "flows.cmd.ngonngu"},
		{Name: cmdMenu, Words: []string{"menu"}, Public: true, Hidden: true, DescKey: "flows.cmd.menu"},
	}
}

// teamRoles are the roles of team members.
func teamRoles() []store.Role {
	return []store.Role{store.RoleLeader, store.RoleDeputy, store.RoleMember}
}

// Command is one entry of a command list for a person (the Telegram menu, help).
type Command struct {
	Name        string
	Description string
}

// Call is what a registered command handler gets.
type Call struct {
	Update bot.Update
	Person store.Person
	Lang   string
	// Args is the text after the command, e.g. the code of "/start abc".
	Args string
	// start receives a StartTool request (see tool.go).
	start *toolStart
}

// CommandHandler runs a command registered with Service.Register and returns
// the replies (ChatID is filled in by the service).
type CommandHandler func(ctx context.Context, c Call) ([]bot.Message, error)

// parsedCommand is a command found in an input.
type parsedCommand struct {
	spec CommandSpec
	args string
}

// parseCommand recognises "/name args", "/name@bot args" and the plain
// command words typed alone. unknown is true for text that starts with "/"
// but names no command, which must not be taken as an answer.
func parseCommand(specs []CommandSpec, text string) (cmd parsedCommand, ok, unknown bool) {
	text = strings.TrimSpace(text)
	slash := strings.HasPrefix(text, "/")
	if slash {
		name, args, _ := strings.Cut(text[1:], " ")
		if i := strings.IndexByte(name, '@'); i >= 0 {
			name = name[:i]
		}
		name = strings.ToLower(name)
		for _, s := range specs {
			if s.Name == name {
				return parsedCommand{spec: s, args: strings.TrimSpace(args)}, true, false
			}
		}
		// "/báo cáo", "/help": the words work after a slash too.
		text = text[1:]
	}
	if f := fold(text); f != "" {
		for _, s := range specs {
			if fold(s.Name) == f || slices.ContainsFunc(s.Words, func(w string) bool { return fold(w) == f }) {
				return parsedCommand{spec: s}, true, false
			}
		}
	}
	return parsedCommand{}, false, slash
}
