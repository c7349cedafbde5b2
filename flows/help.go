package flows

import (
	"strings"
)

// cmdHelp lists exactly the commands the person's role may use.
func (s *Service) cmdHelp(c *call) {
	var b strings.Builder
	b.WriteString(c.T(s, "flows.help.title"))
	for _, cmd := range s.CommandsFor(c.role(), c.lang) {
		b.WriteString("\n/")
		b.WriteString(cmd.Name)
		b.WriteString(" — ")
		b.WriteString(cmd.Description)
	}
	b.WriteString("\n\n")
	if c.person == nil {
		b.WriteString(c.T(s, "flows.help.unlinked"))
		c.say(b.String())
		return
	}
	if c.person.Role.IsTeamMember() {
		b.WriteString(c.T(s, "flows.help.how_to_report"))
		b.WriteString("\n\n")
	}
	b.WriteString(c.T(s, "flows.help.words"))
	c.say(b.String(), s.menu(c)...)
}
