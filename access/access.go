// Package access decides, in one place, who may do what to which unit or
// report: members act on their own reports, team leaders on their team,
// commune police on their commune, district and provincial police read their
// subtree. Tips are sensitive: only their reporter and the police chain above
// them may ever read one.
//
// Every refusal, and every tip read by the police, is written to the audit log.
package access

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"

	"github.com/anttbot/anttbot/store"
)

// Action is something a person asks to do.
type Action string

// Actions. Keep All in sync: the table test walks it, so a new action
// without a rule fails the build of the matrix.
const (
	// ReadOwnReports lets anybody read the reports they sent themselves.
	ReadOwnReports Action = "report.read_own"
	// ReadTeamReports lets a leader or deputy read their team's non-sensitive
	// reports, and police read those of their subtree.
	ReadTeamReports Action = "report.read_team"
	// ReadTip lets the reporter and the police chain above the tip read it.
	ReadTip Action = "tip.read"
	// ReadTipSource lets the police chain above a tip read who gave it.
	ReadTipSource Action = "tip.read_source"
	// SetTipStatus lets the commune police of the tip's commune receive,
	// verify or reject it (higher levels are read-only).
	SetTipStatus Action = "tip.set_status"
	// AskTipQuestion lets the commune police of the tip's commune ask the
	// reporter for more.
	AskTipQuestion Action = "tip.ask"
	// VerifyReport lets commune police verify every non-sensitive kind in
	// their commune, and a team leader or deputy verify the kinds leaders may
	// verify (good deeds, patrols) in their team; nobody verifies their own.
	VerifyReport Action = "report.verify"
	// ViewQueue opens the verification queue (/duyet) of a unit.
	ViewQueue Action = "queue.view"
	// LogIncident lets commune police log an incident or call-out.
	LogIncident Action = "incident.log"
	// EnterFigures lets commune police enter the figures only they know.
	EnterFigures Action = "figures.enter"
	// ReadFigures lets the police chain read entered figures of their subtree.
	ReadFigures Action = "figures.read"
	// CreateInvite lets commune police invite team roles into their commune's
	// teams, and a team leader invite members (to_vien) into their own team.
	// Subject.Kind holds the invited role.
	CreateInvite Action = "invite.create"
	// ViewTeam shows a team's roster: its leader and deputy, and the police of
	// the subtree.
	ViewTeam Action = "team.view"
	// ViewSummary shows results: police for their subtree, leaders and
	// deputies for their team.
	ViewSummary Action = "summary.view"
	// LoadCampaign lets the provincial police (cong_an_tinh) load a new
	// campaign file for their province (Subject.UnitID).
	LoadCampaign Action = "campaign.load"
)

// All lists every action, for tests and documentation.
var All = []Action{
	ReadOwnReports, ReadTeamReports, ReadTip, ReadTipSource, SetTipStatus, AskTipQuestion,
	VerifyReport, ViewQueue, LogIncident, EnterFigures, ReadFigures, CreateInvite, ViewTeam, ViewSummary,
	LoadCampaign,
}

// Subject is what the action is about: the unit it happens in and, for
// reports, their kind and reporter. When SubmissionID is set, Check loads the
// submission and takes UnitID (its team), Kind and ReporterID from it, so
// callers cannot get them wrong.
type Subject struct {
	UnitID       int64
	Kind         string
	ReporterID   int64
	SubmissionID int64
}

// SubjectOf is the Subject of a stored submission.
func SubjectOf(sub store.Submission) Subject {
	return Subject{UnitID: sub.TeamID, Kind: sub.Kind, ReporterID: sub.ReporterID, SubmissionID: sub.ID}
}

// Reasons a request is denied; each has a message key "access.denied.<reason>".
const (
	ReasonInactive  = "inactive"   // the person is deactivated
	ReasonRole      = "role"       // the role may never do this
	ReasonScope     = "scope"      // the role may, but not in this unit
	ReasonReadOnly  = "read_only"  // district / provincial police only read
	ReasonSensitive = "sensitive"  // tips: only the reporter and the police chain
	ReasonOwn       = "own_report" // nobody verifies their own report
	ReasonKind      = "kind"       // leaders verify only some kinds; tips are not verified this way
	ReasonNotFound  = "not_found"  // the submission or unit does not exist
)

// Reasons lists every reason, so tests can check each has a message.
var Reasons = []string{ReasonInactive, ReasonRole, ReasonScope, ReasonReadOnly, ReasonSensitive, ReasonOwn, ReasonKind, ReasonNotFound}

// MessageKey returns the locale key of a refusal for reason.
func MessageKey(reason string) string { return "access.denied." + reason }

// Denied is the error Check returns for a refusal. MessageKey is the locale
// key of the message to show the user.
type Denied struct {
	Action     Action
	Reason     string
	MessageKey string
}

// Error implements error.
func (d *Denied) Error() string {
	return fmt.Sprintf("access: %s denied: %s", d.Action, d.Reason)
}

// IsDenied reports whether err is (or wraps) a refusal, and returns it.
func IsDenied(err error) (*Denied, bool) {
	var d *Denied
	ok := errors.As(err, &d)
	return d, ok
}

// Store is what the policy reads and writes; *store.Store satisfies it.
type Store interface {
	UnitSubtreeIDs(ctx context.Context, unitID int64) ([]int64, error)
	UnitByID(ctx context.Context, id int64) (store.Unit, error)
	SubmissionByID(ctx context.Context, id int64) (store.Submission, error)
	Audit(ctx context.Context, e store.AuditLog) error
}

// Policy enforces the roles and scopes. It is safe for concurrent use.
type Policy struct {
	st        Store
	log       *slog.Logger
	sensitive []string // kinds only the reporter and police may read
	leaderOK  []string // kinds a team leader or deputy may verify
}

// Option configures New.
type Option func(*Policy)

// WithSensitiveKinds sets the report kinds treated as tips (default "tip");
// pass the campaign's kinds marked sensitive.
func WithSensitiveKinds(kinds ...string) Option {
	return func(p *Policy) { p.sensitive = slices.Clone(kinds) }
}

// WithLeaderVerifiable sets the kinds team leaders and deputies may verify
// (default good_deed and patrol).
func WithLeaderVerifiable(kinds ...string) Option {
	return func(p *Policy) { p.leaderOK = slices.Clone(kinds) }
}

// New returns a policy reading units and writing the audit log through st.
func New(st Store, log *slog.Logger, opts ...Option) *Policy {
	if log == nil {
		log = slog.Default()
	}
	p := &Policy{
		st:        st,
		log:       log.With("comp", "access"),
		sensitive: []string{"tip"},
		leaderOK:  []string{"good_deed", "patrol"},
	}
	for _, o := range opts {
		o(p)
	}
	return p
}

// WithStore returns a copy of p that reads and audits through st, for use
// inside a transaction (st obtained from store.InTx).
func (p *Policy) WithStore(st Store) *Policy {
	c := *p
	c.st = st
	return &c
}

// Sensitive reports whether reports of kind are tips.
func (p *Policy) Sensitive(kind string) bool { return slices.Contains(p.sensitive, kind) }

// Check returns nil when actor may do a to s; otherwise a *Denied error (use
// errors.As or IsDenied) carrying the locale key of a clear refusal. Other
// errors are database failures. Every denial, and every tip or tip source
// read by the police (ReadTip, ReadTipSource, or ReadTeamReports of a
// sensitive kind), is written to the audit log.
func (p *Policy) Check(ctx context.Context, actor store.Person, a Action, s Subject) error {
	if s.SubmissionID != 0 {
		sub, err := p.st.SubmissionByID(ctx, s.SubmissionID)
		switch {
		case errors.Is(err, store.ErrNotFound):
			return p.deny(ctx, actor, a, s, ReasonNotFound)
		case err != nil:
			return fmt.Errorf("access: check %s on submission %d: %w", a, s.SubmissionID, err)
		}
		s = SubjectOf(sub)
	}
	reason, err := p.decide(ctx, actor, a, s)
	if err != nil {
		return fmt.Errorf("access: check %s by person %d: %w", a, actor.ID, err)
	}
	if reason != "" {
		return p.deny(ctx, actor, a, s, reason)
	}
	if actor.Role.IsPolice() && (a == ReadTip || a == ReadTipSource || (a == ReadTeamReports && p.Sensitive(s.Kind))) {
		if err := p.audit(ctx, actor, string(a), s, ""); err != nil {
			return err
		}
	}
	return nil
}

// decide returns "" when allowed, else the reason of the refusal.
func (p *Policy) decide(ctx context.Context, actor store.Person, a Action, s Subject) (string, error) {
	if !actor.Active || actor.ID == 0 {
		return ReasonInactive, nil
	}
	role := actor.Role
	own := s.ReporterID != 0 && s.ReporterID == actor.ID
	inScope := func() (bool, error) { return p.inSubtree(ctx, actor.UnitID, s.UnitID) }
	// scoped turns an in/out-of-scope answer into a reason.
	scoped := func() (string, error) {
		ok, err := inScope()
		if err != nil || ok {
			return "", err
		}
		return ReasonScope, nil
	}
	leaderish := role == store.RoleLeader || role == store.RoleDeputy
	switch a {
	case LoadCampaign:
		if role == store.RoleProvincePolice {
			return scoped()
		}
		return ReasonRole, nil

	case ReadOwnReports:
		if own {
			return "", nil
		}
		return ReasonScope, nil

	case ReadTeamReports:
		switch {
		case role.IsPolice():
			return scoped()
		case p.Sensitive(s.Kind):
			return ReasonSensitive, nil
		case leaderish:
			return scoped()
		}
		return ReasonRole, nil

	case ReadTip:
		if own {
			return "", nil
		}
		if role.IsPolice() {
			return scoped()
		}
		return ReasonSensitive, nil

	case ReadTipSource:
		if role.IsPolice() {
			return scoped()
		}
		return ReasonSensitive, nil

	case SetTipStatus, AskTipQuestion:
		switch role {
		case store.RoleCommunePolice:
			return scoped()
		case store.RoleDistrictPolice, store.RoleProvincePolice:
			return ReasonReadOnly, nil
		}
		return ReasonRole, nil

	case VerifyReport:
		switch {
		case p.Sensitive(s.Kind):
			// Tips change status through SetTipStatus, by the police only.
			return ReasonKind, nil
		case own:
			return ReasonOwn, nil
		case role == store.RoleCommunePolice:
			return scoped()
		case role == store.RoleDistrictPolice || role == store.RoleProvincePolice:
			return ReasonReadOnly, nil
		case leaderish:
			if !slices.Contains(p.leaderOK, s.Kind) {
				return ReasonKind, nil
			}
			return scoped()
		}
		return ReasonRole, nil

	case ViewQueue:
		switch {
		case role == store.RoleCommunePolice, leaderish:
			return scoped()
		case role == store.RoleDistrictPolice || role == store.RoleProvincePolice:
			return ReasonReadOnly, nil
		}
		return ReasonRole, nil

	case LogIncident, EnterFigures:
		switch role {
		case store.RoleCommunePolice:
			return scoped()
		case store.RoleDistrictPolice, store.RoleProvincePolice:
			return ReasonReadOnly, nil
		}
		return ReasonRole, nil

	case ReadFigures:
		if role.IsPolice() {
			return scoped()
		}
		return ReasonRole, nil

	case CreateInvite:
		invited := store.Role(s.Kind)
		switch {
		case role == store.RoleCommunePolice:
			if !invited.IsTeamMember() {
				return ReasonRole, nil
			}
			return p.scopedTeam(ctx, actor, s)
		case role == store.RoleLeader:
			if invited != store.RoleMember {
				return ReasonRole, nil
			}
			return scoped()
		case role == store.RoleDistrictPolice || role == store.RoleProvincePolice:
			return ReasonReadOnly, nil
		}
		return ReasonRole, nil

	case ViewTeam, ViewSummary:
		if role.IsPolice() || leaderish {
			return scoped()
		}
		return ReasonRole, nil
	}
	return ReasonRole, nil
}

// scopedTeam is the scope check for invites by commune police: the unit must
// be a live team inside the commune.
func (p *Policy) scopedTeam(ctx context.Context, actor store.Person, s Subject) (string, error) {
	ok, err := p.inSubtree(ctx, actor.UnitID, s.UnitID)
	if err != nil || !ok {
		if err == nil {
			return ReasonScope, nil
		}
		return "", err
	}
	u, err := p.st.UnitByID(ctx, s.UnitID)
	if err != nil {
		return "", err
	}
	if u.Level != store.LevelTeam || u.MergedIntoID != nil {
		return ReasonScope, nil
	}
	return "", nil
}

// inSubtree reports whether unit lies in root's subtree, merged units
// included. A missing root or unit is simply out of scope.
func (p *Policy) inSubtree(ctx context.Context, root, unit int64) (bool, error) {
	if root == 0 || unit == 0 {
		return false, nil
	}
	if root == unit {
		return true, nil
	}
	ids, err := p.st.UnitSubtreeIDs(ctx, root)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	_, found := slices.BinarySearch(ids, unit)
	return found, nil
}

// deny audits a refusal and returns it.
func (p *Policy) deny(ctx context.Context, actor store.Person, a Action, s Subject, reason string) error {
	if err := p.audit(ctx, actor, "access.denied", s, fmt.Sprintf("action=%s reason=%s", a, reason)); err != nil {
		return err
	}
	p.log.InfoContext(ctx, "access denied", "action", string(a), "reason", reason, "person_id", actor.ID,
		"unit_id", s.UnitID, "submission_id", s.SubmissionID)
	return &Denied{Action: a, Reason: reason, MessageKey: MessageKey(reason)}
}

// audit writes one entry about s. The detail never carries report text.
func (p *Policy) audit(ctx context.Context, actor store.Person, action string, s Subject, detail string) error {
	e := store.AuditLog{Action: action, SubjectType: "unit", SubjectID: strconv.FormatInt(s.UnitID, 10), Detail: detail}
	if s.SubmissionID != 0 {
		e.SubjectType, e.SubjectID = "submission", strconv.FormatInt(s.SubmissionID, 10)
	}
	if actor.ID != 0 {
		id := actor.ID
		e.ActorID = &id
	}
	if err := p.st.Audit(ctx, e); err != nil {
		return fmt.Errorf("access: audit %s: %w", action, err)
	}
	return nil
}
