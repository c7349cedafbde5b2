package police

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/anttbot/anttbot/access"
	"github.com/anttbot/anttbot/bot"
	"github.com/anttbot/anttbot/campaign"
	"github.com/anttbot/anttbot/flows"
	"github.com/anttbot/anttbot/store"
)

// invitedRoles are the roles an officer can invite, in button order.
var invitedRoles = []store.Role{store.RoleLeader, store.RoleDeputy, store.RoleMember}

// cmdInvite is /moi: the commune police pick a team and a role; a team
// leader gets a member's invite to their own team at once.
func (t *Tools) cmdInvite(ctx context.Context, c flows.Call) ([]bot.Message, error) {
	p := c.Person
	if p.Role != store.RoleCommunePolice {
		team, err := t.st.UnitByID(ctx, p.UnitID)
		if err != nil {
			return nil, fmt.Errorf("police: invite: %w", err)
		}
		return t.createInvite(ctx, c, team, store.RoleMember)
	}
	commune, err := t.st.UnitByID(ctx, p.UnitID)
	if err != nil {
		return nil, fmt.Errorf("police: invite: %w", err)
	}
	if commune.Level != store.LevelCommune {
		return t.say(c.Lang, "police.error.no_commune"), nil
	}
	teams, err := t.teamsOf(ctx, commune.ID)
	if err != nil {
		return nil, err
	}
	if len(teams) == 0 {
		return t.say(c.Lang, "police.figures.no_teams"), nil
	}
	data := map[string]string{}
	ids := make([]string, len(teams))
	for i, u := range teams {
		ids[i] = strconv.FormatInt(u.ID, 10)
		data["team."+ids[i]] = u.Name
	}
	data["teams"] = strings.Join(ids, ",")
	c.StartTool(toolInvite, data)
	return nil, nil
}

// createInvite checks the person may invite role into team, creates the
// invite and shows the code, the command and the deep link.
func (t *Tools) createInvite(ctx context.Context, c flows.Call, team store.Unit, role store.Role) ([]bot.Message, error) {
	text, err := t.CreateInvite(ctx, c.Person, c.Lang, team, role)
	if err != nil {
		return nil, err
	}
	return []bot.Message{{Text: text}}, nil
}

// CreateInvite checks p may invite role into team, creates the invite and
// returns, in lang, the code, the command and the deep link (or the
// refusal). The chat's /moi and the web console both call it.
func (t *Tools) CreateInvite(ctx context.Context, p store.Person, lang string, team store.Unit, role store.Role) (string, error) {
	if err := t.policy.Check(ctx, p, access.CreateInvite, access.Subject{UnitID: team.ID, Kind: string(role)}); err != nil {
		return t.refusalText(lang, err)
	}
	inv, err := t.st.CreateInvite(ctx, store.Invite{UnitID: team.ID, Role: role, CreatedByID: &p.ID, ExpiresAt: t.now().Add(t.opts.InviteTTL)})
	if err != nil {
		return "", fmt.Errorf("police: invite: %w", err)
	}
	if err := t.st.Audit(ctx, store.AuditLog{ActorID: &p.ID, Action: "invite.create", SubjectType: "unit",
		SubjectID: strconv.FormatInt(team.ID, 10), Detail: "role " + string(role)}); err != nil {
		return "", fmt.Errorf("police: invite: %w", err)
	}
	text := t.T(lang, "police.invite.created", "Team", team.Name, "Role", t.roleLabel(role, lang), "Code", inv.Code,
		"Expires", t.formatDay(inv.ExpiresAt))
	if t.opts.BotName != "" {
		text += "\n" + t.T(lang, "police.invite.link", "Link", "https://t.me/"+t.opts.BotName+"?start="+inv.Code)
	}
	return text, nil
}

// inviteTool lets the commune police pick the team and the role of an
// invite.
type inviteTool struct{ t *Tools }

func (it inviteTool) Label(lang string) string { return it.t.T(lang, "police.invite.label") }

func (it inviteTool) Steps(d *flows.Draft, lang string) ([]flows.Step, bool) {
	t := it.t
	team := flows.Step{ID: "team", Type: campaign.QChoice, Prompt: t.T(lang, "police.invite.ask_team")}
	for _, id := range strings.Split(d.Data["teams"], ",") {
		if name := d.Data["team."+id]; name != "" {
			team.Options = append(team.Options, flows.Choice{ID: id, Label: name})
		}
	}
	if len(team.Options) == 0 {
		return nil, false
	}
	role := flows.Step{ID: "role", Type: campaign.QChoice, Prompt: t.T(lang, "police.invite.ask_role")}
	for _, r := range invitedRoles {
		role.Options = append(role.Options, flows.Choice{ID: string(r), Label: t.roleLabel(r, lang)})
	}
	return []flows.Step{team, role}, true
}

func (it inviteTool) Finish(ctx context.Context, c flows.Call, d *flows.Draft) ([]bot.Message, error) {
	t := it.t
	teamID, err := strconv.ParseInt(d.Answers["team"].Text, 10, 64)
	if err != nil {
		return nil, fmt.Errorf("police: invite: team %q: %w", d.Answers["team"].Text, err)
	}
	role := store.Role(d.Answers["role"].Text)
	if !slices.Contains(invitedRoles, role) {
		return nil, fmt.Errorf("police: invite: role %q: %w", role, store.ErrInvalid)
	}
	team, err := t.st.UnitByID(ctx, teamID)
	if err != nil {
		return nil, fmt.Errorf("police: invite: %w", err)
	}
	return t.createInvite(ctx, c, team, role)
}
