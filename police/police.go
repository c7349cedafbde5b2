// Package police holds the chat tools of the commune police and the team
// leaders, built on the flows engine:
//
//   - /duyet  the verification queue: reports waiting for this person's
//     verification, oldest first, with Xác minh / Không xác minh buttons;
//   - /sukien the police log an incident or a call-out; the commune's team
//     members are asked whether they were at the scene, and the police tick
//     who was (the presence the campaign's targets 1(b) and 3 count);
//   - /solieu the police enter the figures only they know, per phase or
//     month (commendations: per team and calendar month);
//   - /moi    an invite code and deep link for a team leader or member;
//   - /to     a team's reports this month and phase, member by member,
//     against the targets, and who has not reported yet.
//
// Who may do what is decided by package access: every refusal there is
// audited and answered with its localized message. Messages to people other
// than the one acting (the reporter of a verified report, members asked about
// an incident, officers asked to confirm a presence) go through the durable
// delivery queue, in the same transaction as the change that causes them.
//
// Decisions taken here:
//   - Deputies (tổ phó) verify good deeds and patrols of their team like
//     the leader; nobody verifies their own report (access enforces both).
//   - Team leaders invite members (tổ viên) to their own team; only the
//     commune police invite leaders and deputies (access enforces it).
//   - A member's "yes, I was there" is recorded unconfirmed and the commune
//     police are asked to confirm it: only confirmed presences count for the
//     targets (store.IncidentsWithPresence), so the officer's word decides.
//   - Commune figures are entered per phase, or per month clipped to the
//     phase; a figure entered one way for a phase is not offered the other
//     way, so report never counts it twice. Commendations are entered per
//     team and whole calendar month, as package report reads them.
package police

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/anttbot/anttbot/access"
	"github.com/anttbot/anttbot/bot"
	"github.com/anttbot/anttbot/campaign"
	"github.com/anttbot/anttbot/delivery"
	"github.com/anttbot/anttbot/flows"
	"github.com/anttbot/anttbot/store"
)

// Command names, as typed after "/".
const (
	CmdQueue    = "duyet"
	CmdIncident = "sukien"
	CmdFigures  = "solieu"
	CmdInvite   = "moi"
	CmdTeam     = "to"
	// CmdPresence answers the "were you at the scene?" question; its
	// buttons sit on the question, so help does not list it.
	CmdPresence = "comat"
)

// Names of the multi-step tools registered with the flows service.
const (
	toolReject   = "police.reject"
	toolIncident = "police.incident"
	toolArrival  = "police.arrival"
	toolFigures  = "police.figures"
	toolInvite   = "police.invite"
)

// Delivery job kinds of the messages this package queues.
const (
	KindVerified     = "report_verified"
	KindRejected     = "report_rejected"
	KindPresenceAsk  = "incident_presence_ask"
	KindPresenceSaid = "incident_presence_said"
)

// Policy decides who may do what; *access.Policy implements it.
type Policy interface {
	Check(ctx context.Context, actor store.Person, a access.Action, s access.Subject) error
}

// Translator looks up a user-facing message; *locales.Catalog implements it.
type Translator interface {
	T(lang, key string, args ...any) string
}

// EnqueueFunc queues messages in the transaction tx; delivery.Enqueue is the
// default.
type EnqueueFunc func(ctx context.Context, tx *store.Store, jobs ...delivery.Job) error

// Deps are the tools' collaborators.
type Deps struct {
	// Store is the database; a concrete store because the messages a change
	// causes are queued in the change's own transaction (delivery.Enqueue).
	Store  *store.Store
	Policy Policy
	// Text is the message catalogue (*locales.Catalog).
	Text Translator
	// Campaign defaults to campaign.Default().
	Campaign *campaign.Campaign
	// Log defaults to slog.Default().
	Log *slog.Logger
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Enqueue defaults to delivery.Enqueue.
	Enqueue EnqueueFunc
}

// Options tune the tools. Zero values take the defaults.
type Options struct {
	// Location is the campaign's time zone (default Asia/Ho_Chi_Minh).
	Location *time.Location
	// BotName is the Telegram bot's username, without "@", for invite deep
	// links (https://t.me/<BotName>?start=<code>); empty leaves the link out.
	BotName string
	// InviteTTL is how long an invite code works (default 7 days).
	InviteTTL time.Duration
	// QueueSize is how many reports /duyet shows at once (default 5).
	QueueSize int
	// TickPage is how many members one page of the presence list shows
	// (default 20).
	TickPage int
	// RecentIncidents is how many incidents /sukien ds lists (default 5).
	RecentIncidents int
	// PresenceWindow is how long after an incident members may still say
	// they were there (default 7 days).
	PresenceWindow time.Duration
}

func (o Options) withDefaults() Options {
	if o.Location == nil {
		if loc, err := time.LoadLocation("Asia/Ho_Chi_Minh"); err == nil {
			o.Location = loc
		} else {
			o.Location = time.FixedZone("ICT", 7*3600)
		}
	}
	o.BotName = strings.TrimPrefix(strings.TrimSpace(o.BotName), "@")
	if o.InviteTTL <= 0 {
		o.InviteTTL = 7 * 24 * time.Hour
	}
	if o.QueueSize <= 0 {
		o.QueueSize = 5
	}
	if o.TickPage <= 0 {
		o.TickPage = 20
	}
	if o.RecentIncidents <= 0 {
		o.RecentIncidents = 5
	}
	if o.PresenceWindow <= 0 {
		o.PresenceWindow = 7 * 24 * time.Hour
	}
	return o
}

// Tools implements the commands. Build it with Register.
type Tools struct {
	st      *store.Store
	policy  Policy
	tr      Translator
	camp    *campaign.Campaign
	log     *slog.Logger
	now     func() time.Time
	enqueue EnqueueFunc
	opts    Options
}

// Register adds the police and team-leader commands and tools to svc, with
// the roles that may use them, so help and the Telegram menu show each only
// to those roles. Deps.Store, Policy and Text are required.
func Register(svc *flows.Service, deps Deps, opts Options) (*Tools, error) {
	switch {
	case deps.Store == nil:
		return nil, errors.New("police: register: Deps.Store is required")
	case deps.Policy == nil:
		return nil, errors.New("police: register: Deps.Policy is required")
	case deps.Text == nil:
		return nil, errors.New("police: register: Deps.Text is required")
	}
	if deps.Campaign == nil {
		deps.Campaign = campaign.Default()
	}
	if deps.Log == nil {
		deps.Log = slog.Default()
	}
	if deps.Now == nil {
		deps.Now = time.Now
	}
	if deps.Enqueue == nil {
		deps.Enqueue = delivery.Enqueue
	}
	t := &Tools{
		st: deps.Store, policy: deps.Policy, tr: deps.Text, camp: deps.Campaign,
		log: deps.Log.With("comp", "police"), now: deps.Now, enqueue: deps.Enqueue, opts: opts.withDefaults(),
	}
	for _, c := range t.commands() {
		svc.Register(c.spec, c.run)
		svc.OnDenied(c.spec.Name, t.denied(c.action))
	}
	svc.RegisterTool(toolReject, rejectTool{t})
	svc.RegisterTool(toolIncident, incidentTool{t})
	svc.RegisterTool(toolArrival, arrivalTool{t})
	svc.RegisterTool(toolFigures, figuresTool{t})
	svc.RegisterTool(toolInvite, inviteTool{t})
	return t, nil
}

// command is one registered command: its spec, its handler and the action
// a refusal of its role is audited as.
type command struct {
	spec   flows.CommandSpec
	run    flows.CommandHandler
	action access.Action
}

func (t *Tools) commands() []command {
	police := []store.Role{store.RoleCommunePolice}
	leaders := []store.Role{store.RoleLeader, store.RoleDeputy}
	team := []store.Role{store.RoleLeader, store.RoleDeputy, store.RoleMember}
	return []command{
		{spec: flows.CommandSpec{Name: CmdQueue, Words: []string{"duyệt", "xác minh"},
			Roles: append([]store.Role{store.RoleCommunePolice}, leaders...), DescKey: "police.cmd.duyet"},
			run: t.cmdQueue, action: access.ViewQueue},
		{spec: flows.CommandSpec{Name: CmdIncident, Words: []string{"sự việc", "sự kiện", "vụ việc"},
			Roles: police, DescKey: "police.cmd.sukien"},
			run: t.cmdIncident, action: access.LogIncident},
		{spec: flows.CommandSpec{Name: CmdFigures, Words: []string{"số liệu"}, Roles: police, DescKey: "police.cmd.solieu"},
			run: t.cmdFigures, action: access.EnterFigures},
		{spec: flows.CommandSpec{Name: CmdInvite, Words: []string{"mã mời", "lời mời"},
			Roles: []store.Role{store.RoleCommunePolice, store.RoleLeader}, DescKey: "police.cmd.moi"},
			run: t.cmdInvite, action: access.CreateInvite},
		{spec: flows.CommandSpec{Name: CmdTeam, Words: []string{"tổ của tôi", "tổ"},
			Roles: append([]store.Role{store.RoleCommunePolice}, leaders...), DescKey: "police.cmd.to"},
			run: t.cmdTeam, action: access.ViewTeam},
		// access has no action for a member's own presence: a refusal is
		// recorded here (see denied).
		{spec: flows.CommandSpec{Name: CmdPresence, Words: []string{"có mặt"}, Roles: team, Hidden: true, DescKey: "police.cmd.comat"},
			run: t.cmdPresence},
	}
}

// denied answers a person whose role may not use a command at all: the
// policy is asked, so the refusal is audited and worded like every other.
// Without an action, or when the policy would allow what the command's
// roles do not, the refusal is recorded here the way access records its own.
func (t *Tools) denied(a access.Action) flows.CommandHandler {
	return func(ctx context.Context, c flows.Call) ([]bot.Message, error) {
		action := "presence.report"
		if a != "" {
			err := t.policy.Check(ctx, c.Person, a, access.Subject{UnitID: c.Person.UnitID})
			if err != nil {
				return t.refusal(c.Lang, err)
			}
			t.log.Warn("command refused by role but allowed by policy", "action", string(a), "role", string(c.Person.Role))
			action = string(a)
		}
		if err := t.st.Audit(ctx, store.AuditLog{ActorID: &c.Person.ID, Action: "access.denied", SubjectType: "unit",
			SubjectID: strconv.FormatInt(c.Person.UnitID, 10), Detail: "action=" + action + " reason=" + access.ReasonRole}); err != nil {
			return nil, fmt.Errorf("police: audit refusal: %w", err)
		}
		return t.say(c.Lang, access.MessageKey(access.ReasonRole)), nil
	}
}

// refusal turns a policy refusal into its localized message; other errors
// are returned for the service to report.
func (t *Tools) refusal(lang string, err error) ([]bot.Message, error) {
	text, err := t.refusalText(lang, err)
	if err != nil {
		return nil, err
	}
	return []bot.Message{{Text: text}}, nil
}

// refusalText is refusal's message alone.
func (t *Tools) refusalText(lang string, err error) (string, error) {
	if d, ok := access.IsDenied(err); ok {
		return t.tr.T(lang, d.MessageKey), nil
	}
	return "", err
}

// say is one plain reply.
func (t *Tools) say(lang, key string, args ...any) []bot.Message {
	return []bot.Message{{Text: t.tr.T(lang, key, args...)}}
}

// T translates key into lang.
func (t *Tools) T(lang, key string, args ...any) string { return t.tr.T(lang, key, args...) }

// commandArgs splits a command's arguments.
func commandArgs(s string) []string { return strings.Fields(s) }

// argID reads the i-th argument as an id; 0 when missing or not a positive number.
func argID(args []string, i int) int64 {
	if i >= len(args) {
		return 0
	}
	n, err := strconv.ParseInt(args[i], 10, 64)
	if err != nil || n <= 0 {
		return 0
	}
	return n
}

// btn is one button.
func btn(label, data string) bot.Button { return bot.Button{Label: label, Data: data} }

// cmdData is the data of a button that runs a command with arguments; it
// stays within the 40 bytes the adapters sign.
func cmdData(cmd string, args ...any) string {
	parts := make([]string, 0, len(args)+1)
	parts = append(parts, "/"+cmd)
	for _, a := range args {
		parts = append(parts, fmt.Sprint(a))
	}
	return strings.Join(parts, " ")
}

// edit turns m into a replacement of the message whose button was tapped,
// when there is one.
func edit(c flows.Call, m bot.Message) bot.Message {
	if cb := c.Update.Callback; cb != nil && cb.MessageID != "" {
		m.EditMessageID = cb.MessageID
	}
	return m
}

// communeOf returns the commune the person acts for: the commune police's
// own unit, a team member's team's commune.
func (t *Tools) communeOf(ctx context.Context, p store.Person) (store.Unit, error) {
	u, err := t.st.CommuneOf(ctx, p.UnitID)
	if err != nil {
		return store.Unit{}, fmt.Errorf("police: commune of person %d: %w", p.ID, err)
	}
	return u, nil
}

// kindLabel is a report kind's emoji and name.
func (t *Tools) kindLabel(kind, lang string) string {
	k, ok := t.camp.Kind(kind)
	if !ok {
		return kind
	}
	if k.Emoji == "" {
		return k.Name.In(lang)
	}
	return k.Emoji + " " + k.Name.In(lang)
}

// personName returns a person's name, "" when it cannot be read.
func (t *Tools) personName(ctx context.Context, id *int64) string {
	if id == nil {
		return ""
	}
	p, err := t.st.PersonByID(ctx, *id)
	if err != nil {
		return ""
	}
	return p.Name
}

// formatWhen writes an instant as local "15:04 02/01/2006".
func (t *Tools) formatWhen(at time.Time) string {
	return at.In(t.opts.Location).Format("15:04 02/01/2006")
}

// formatDay writes an instant's local day as "02/01/2006".
func (t *Tools) formatDay(at time.Time) string {
	return at.In(t.opts.Location).Format("02/01/2006")
}

// formatNumber writes v with at most two decimals, a decimal comma in
// Vietnamese.
func formatNumber(v float64, lang string) string {
	s := strconv.FormatFloat(v, 'f', 2, 64)
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	if lang != "en" {
		s = strings.Replace(s, ".", ",", 1)
	}
	return s
}

// roleLabel names a role in lang.
func (t *Tools) roleLabel(r store.Role, lang string) string {
	return t.T(lang, "flows.role."+string(r))
}

// teamsOf lists the live teams of a commune in the order they were created
// (the order of the organisation import), which reads the same on every
// database: name order differs between collations for "Đ".
func (t *Tools) teamsOf(ctx context.Context, communeID int64) ([]store.Unit, error) {
	us, err := t.st.Children(ctx, communeID)
	if err != nil {
		return nil, fmt.Errorf("police: teams of unit %d: %w", communeID, err)
	}
	us = slices.DeleteFunc(us, func(u store.Unit) bool { return u.Level != store.LevelTeam })
	slices.SortFunc(us, func(a, b store.Unit) int { return cmp.Compare(a.ID, b.ID) })
	return us, nil
}
