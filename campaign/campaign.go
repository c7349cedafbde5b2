// Package campaign holds the emulation campaign (phong trào thi đua) as data:
// its phases, contents, targets and the report kinds members send with their
// questions. The provincial plan of Hải Dương (2024–2025) is embedded as the
// default; other provinces and later years load their own file in the same format.
//
// The package knows nothing about chats, storage or rendering: it only answers
// "what does the campaign say" questions (which phase is it, what is the target,
// what to ask for a tip).
package campaign

import (
	"fmt"
	"math"
	"time"
)

// Text is a user-facing text in several languages, keyed by language code
// ("vi", "en"). Vietnamese is always present in a valid campaign.
type Text map[string]string

// LangVI is the language every Text must have; it is also the fallback.
const LangVI = "vi"

// In returns the text in lang, falling back to Vietnamese when lang is missing
// or empty.
func (t Text) In(lang string) string {
	if s := t[lang]; s != "" {
		return s
	}
	return t[LangVI]
}

// UnmarshalTOML accepts a table of languages (name.vi = "…", name.en = "…") or,
// for convenience, a plain string, taken as the Vietnamese text.
func (t *Text) UnmarshalTOML(v any) error {
	switch v := v.(type) {
	case string:
		*t = Text{LangVI: v}
		return nil
	case map[string]any:
		out := make(Text, len(v))
		for lang, s := range v {
			str, ok := s.(string)
			if !ok {
				return fmt.Errorf("campaign: text in language %q must be a string, got %T", lang, s)
			}
			out[lang] = str
		}
		*t = out
		return nil
	default:
		return fmt.Errorf("campaign: text must be a string or a table of languages (vi = \"…\"), got %T", v)
	}
}

// Campaign is one emulation campaign: who issued it, when it runs, what it asks
// of the teams and what members can report.
type Campaign struct {
	// ID names the campaign in storage and logs, e.g. "hd-2024-2025".
	ID string `toml:"id"`
	// Name is the campaign's title.
	Name Text `toml:"name"`
	// Theme is the campaign's motto (chủ đề).
	Theme Text `toml:"theme"`
	// Issuer is the authority that issued the plan, e.g. "UBND tỉnh Hải Dương".
	Issuer Text `toml:"issuer"`
	// Phases are the campaign's phases (đợt), in date order, never overlapping.
	Phases []Phase `toml:"phases"`
	// Contents are the contents (nội dung thi đua) with their targets, in plan order.
	Contents []Content `toml:"contents"`
	// Kinds are the report kinds members can send with /baocao.
	Kinds []ReportKind `toml:"kinds"`
	// InTime says when a member's presence at an incident or call-out is
	// "in time" (kịp thời, targets of contents 1 and 3).
	InTime InTime `toml:"in_time"`
}

// InTime is the campaign's rule for a presence "in time": the member
// arrived within Minutes of the incident's start.
type InTime struct {
	// Minutes is the window after the incident's start time within which an
	// arrival is in time; 0 in a file means DefaultInTimeMinutes.
	Minutes int `toml:"minutes"`
	// WithoutArrival decides a confirmed presence whose arrival time was not
	// given: "in_time" (the default: the police confirmed the member was
	// there to help) or "late".
	WithoutArrival string `toml:"without_arrival"`
}

// Defaults and choices of InTime.
const (
	DefaultInTimeMinutes = 30
	ArrivalInTime        = "in_time"
	ArrivalLate          = "late"
)

// Window returns the in-time window.
func (t InTime) Window() time.Duration {
	if t.Minutes <= 0 {
		return DefaultInTimeMinutes * time.Minute
	}
	return time.Duration(t.Minutes) * time.Minute
}

// UnknownArrivalInTime reports whether a confirmed presence without an
// arrival time counts as in time.
func (t InTime) UnknownArrivalInTime() bool { return t.WithoutArrival != ArrivalLate }

// Phase is one phase (đợt) of the campaign. Start and End are local civil
// dates and both are inclusive.
type Phase struct {
	// ID names the phase in storage, e.g. "dot1".
	ID string `toml:"id"`
	// Name is the phase's short name, e.g. "Đợt 1".
	Name Text `toml:"name"`
	// Start is the first day of the phase.
	Start Date `toml:"start"`
	// End is the last day of the phase (inclusive).
	End Date `toml:"end"`
	// Dedication is what the phase is dedicated to (the phase's slogan).
	Dedication Text `toml:"dedication"`
}

// Content is one content (nội dung thi đua) of the campaign and its targets.
type Content struct {
	// ID names the content, e.g. "c1".
	ID string `toml:"id"`
	// Number is the content's number in the plan (1..7 in the built-in plan).
	Number int `toml:"number"`
	// Name is the content's title.
	Name Text `toml:"name"`
	// Description is a short plain-language explanation for members.
	Description Text `toml:"description"`
	// Targets are the content's targets (chỉ tiêu).
	Targets []Target `toml:"targets"`
}

// Target is one measurable target (chỉ tiêu) of a content: the value of Metric
// over Scope and Period compared with Threshold using Op.
type Target struct {
	// ID names the target, unique in the campaign, e.g. "c1_tip_share".
	ID string `toml:"id"`
	// Content is the ID of the content the target belongs to; filled from the
	// enclosing content when the file leaves it out.
	Content string `toml:"content"`
	// Name is the target as written in the plan, short.
	Name Text `toml:"name"`
	// Metric is one of the Metric* constants.
	Metric string `toml:"metric"`
	// Op is the comparison: one of OpGE, OpGT, OpEQ, OpLE.
	Op string `toml:"op"`
	// Threshold is the value the metric is compared with.
	Threshold float64 `toml:"threshold"`
	// Unit is UnitPercent or UnitCount.
	Unit string `toml:"unit"`
	// Scope is ScopeCommune, ScopeTeam or ScopeMember: the unit the target is
	// evaluated for.
	Scope string `toml:"scope"`
	// Period is PeriodMonth or PeriodPhase: the time window the metric covers.
	Period string `toml:"period"`
	// NeedsPoliceFigure names the police-entered figures (Figure* constants)
	// the metric needs; without them the target cannot be evaluated yet.
	NeedsPoliceFigure []string `toml:"needs_police_figure"`
}

// Comparison operators of a Target.
const (
	OpGE = ">="
	OpGT = ">"
	OpEQ = "=="
	OpLE = "<="
)

// Units of a Target's metric.
const (
	UnitPercent = "percent"
	UnitCount   = "count"
)

// Scopes a Target is evaluated for.
const (
	ScopeCommune = "commune"
	ScopeTeam    = "team"
	ScopeMember  = "member"
)

// Periods a Target's metric covers.
const (
	// PeriodMonth is a calendar month in local time (clipped to the phase).
	PeriodMonth = "month"
	// PeriodPhase is a whole phase.
	PeriodPhase = "phase"
)

// equalTolerance absorbs floating-point noise in "==" comparisons (a share
// computed as 7/7*100 must count as 100).
const equalTolerance = 1e-9

// Met reports whether value meets the target's threshold. A "100%" or "0"
// target is met or missed, never partially met.
func (t Target) Met(value float64) bool {
	switch t.Op {
	case OpGE:
		return value >= t.Threshold-equalTolerance
	case OpGT:
		return value > t.Threshold+equalTolerance
	case OpEQ:
		return math.Abs(value-t.Threshold) <= equalTolerance
	case OpLE:
		return value <= t.Threshold+equalTolerance
	}
	return false
}

// Metrics a Target can use. The report package computes them; each comment
// says exactly how. "Verified" means a report a team leader or the police
// confirmed; "in the period" means the report's event date (its QDate answer,
// else its submission time) falls in the target's period in local time.
const (
	// MetricTipShare (content 1, percent, commune, phase): tips (kind "tip")
	// reported through the bot by members of the commune's teams in the period
	// that the police received (received, verified or not verifiable: where
	// tips come from, not whether they proved true) ÷ FigureTipsReceivedTotal
	// (all tips the commune police received in the period, from every channel,
	// entered by the police) × 100, never capped: a numerator above the total
	// means the figures disagree. Not computable until the figure covers the
	// whole period; a figure of 0 counts as met.
	MetricTipShare = "tip_share"
	// MetricIncidentPresence (content 1, percent, commune, phase): security
	// incidents (vụ, việc) the commune police logged in the period that have at
	// least one confirmed member presence in time (see InTime) ÷ incidents
	// logged × 100. No incidents logged counts as met.
	MetricIncidentPresence = "incident_presence"
	// MetricModelsRecognised (content 2, count, commune, phase): number of
	// distinct models (kind "model") reported by the commune's members that the
	// police marked as recognised by Ban Chỉ đạo 138 or police at district level
	// or above, counted from the first day of the campaign to the end of the
	// period: a model keeps working once built, so Đợt 2 builds on Đợt 1.
	MetricModelsRecognised = "models_recognised"
	// MetricCallOutAttendance (content 3, percent, commune, phase): fire and
	// rescue call-outs the commune police logged in the period that have at
	// least one confirmed member attendance in time (see InTime) ÷ call-outs
	// logged × 100. No call-outs counts as met.
	MetricCallOutAttendance = "callout_attendance"
	// MetricViolatingBusinesses (content 4, count, commune, phase): the police
	// figure FigureViolatingBusinesses for the commune and period.
	MetricViolatingBusinesses = "violating_businesses"
	// MetricResidentInfoShare (content 4, percent, commune, phase): the police
	// figure FigureResidentInfoPercent (share of resident information that came
	// from residents through the force) for the commune and period.
	MetricResidentInfoShare = "resident_info_share"
	// MetricIllegalWeapons (content 4, count, commune, phase): the police
	// figure FigureIllegalWeapons (cases of illegal possession, trade or use of
	// weapons, explosives or support tools) for the commune and period.
	MetricIllegalWeapons = "illegal_weapons"
	// MetricReoffences (content 5, count, commune, phase): the police figure
	// FigureReoffences for the commune and period.
	MetricReoffences = "reoffences"
	// MetricReleasedSupported (content 5, percent, commune, phase):
	// FigureReleasedSupported ÷ FigureReleasedTotal × 100 for the commune and
	// period. A FigureReleasedTotal of 0 counts as met.
	MetricReleasedSupported = "released_supported"
	// MetricPatrolParticipation (content 6, percent, team, phase): active members of the
	// team with at least one verified patrol report (kind "patrol") in the
	// period ÷ all active members of the team × 100. A commune meets it when
	// every one of its teams does.
	MetricPatrolParticipation = "patrol_participation"
	// MetricSeriousAccidents (content 6, count, commune, phase): the police
	// figure FigureSeriousAccidents (serious and very serious traffic accidents)
	// for the commune and period, or the traffic incidents logged as serious
	// when they are more.
	MetricSeriousAccidents = "serious_accidents"
	// MetricMemberViolations (content 7, count, commune, phase): the police
	// figure FigureMemberViolations (members who broke the law or fell into a
	// social vice) for the commune and period.
	MetricMemberViolations = "member_violations"
	// MetricTeamMonthlyGoodDeeds (content 7, count, team, month): per team and
	// calendar month, verified good-deed reports (kind "good_deed") by the
	// team's members plus FigureCommendations entered by the police for the
	// team's members in that month.
	MetricTeamMonthlyGoodDeeds = "team_monthly_good_deeds"
)

// Police-entered figures: numbers only the commune police know, entered per
// commune (commendations: per team) and period through the police tools.
const (
	// FigureTipsReceivedTotal is every tip the commune police received, from any channel.
	FigureTipsReceivedTotal = "tips_received_total"
	// FigureViolatingBusinesses is the number of conditional businesses found in violation.
	FigureViolatingBusinesses = "violating_businesses"
	// FigureResidentInfoPercent is the share (0–100) of resident information provided through the force.
	FigureResidentInfoPercent = "resident_info_percent"
	// FigureIllegalWeapons is the number of cases of illegal weapons, explosives or support tools.
	FigureIllegalWeapons = "illegal_weapons"
	// FigureReoffences is the number of people under support who offended again.
	FigureReoffences = "reoffences"
	// FigureReleasedTotal is the number of people released from prison living in the commune.
	FigureReleasedTotal = "released_total"
	// FigureReleasedSupported is how many of FigureReleasedTotal were supported to reintegrate.
	FigureReleasedSupported = "released_supported"
	// FigureMemberViolations is the number of members who broke the law or fell into a social vice.
	FigureMemberViolations = "member_violations"
	// FigureSeriousAccidents is the number of serious or very serious traffic accidents.
	FigureSeriousAccidents = "serious_accidents"
	// FigureCommendations is the number of commendations of a team's members (per team and month).
	FigureCommendations = "commendations"
)

// IDs of the built-in report kinds. Metrics count reports by these IDs, so a
// campaign that uses a metric must define the kind it counts.
const (
	KindTip           = "tip"
	KindGoodDeed      = "good_deed"
	KindPatrol        = "patrol"
	KindPresence      = "presence"
	KindFireRescue    = "fire_rescue"
	KindModel         = "model"
	KindResidentInfo  = "resident_info"
	KindReintegration = "reintegration"
)

// ReportKind is one kind of report a member can send with /baocao.
type ReportKind struct {
	// ID names the kind, e.g. "tip"; see the Kind* constants.
	ID string `toml:"id"`
	// Name is the kind's short name as shown on its button, e.g. "Nguồn tin".
	Name Text `toml:"name"`
	// Emoji goes before the name on buttons and in lists.
	Emoji string `toml:"emoji"`
	// Description says in one line what to report under this kind.
	Description Text `toml:"description"`
	// Contents are the IDs of the contents the kind counts for.
	Contents []string `toml:"contents"`
	// Sensitive reports (tips) may only be seen by the reporter and the police
	// chain above them, never by team leaders or other members.
	Sensitive bool `toml:"sensitive"`
	// NotifyPolice reports are pushed to the commune police as soon as they
	// are confirmed.
	NotifyPolice bool `toml:"notify_police"`
	// Questions are asked in order.
	Questions []Question `toml:"questions"`
}

// Question types.
const (
	// QChoice is a pick from Options (buttons).
	QChoice = "choice"
	// QText is free text of at most MaxLen characters (0: a default limit).
	QText = "text"
	// QNumber is a number between Min and Max when they are set.
	QNumber = "number"
	// QDate is a civil date (buttons for today/yesterday, or typed).
	QDate = "date"
	// QPhoto is a photo.
	QPhoto = "photo"
	// QLocation is a shared location.
	QLocation = "location"
	// QYesNo is a yes/no answer (two buttons).
	QYesNo = "yesno"
)

// Question is one step of a report.
type Question struct {
	// ID names the answer in the stored report, unique within the kind.
	ID string `toml:"id"`
	// Type is one of the Q* constants.
	Type string `toml:"type"`
	// Prompt is the question as asked.
	Prompt Text `toml:"prompt"`
	// Help is an optional hint shown with the prompt.
	Help Text `toml:"help"`
	// Optional questions can be skipped.
	Optional bool `toml:"optional"`
	// Options are the choices of a QChoice question.
	Options []Option `toml:"options"`
	// MaxLen limits a QText answer, in characters; 0 means the flow's default.
	MaxLen int `toml:"max_len"`
	// Min is the smallest QNumber answer accepted, when set.
	Min *float64 `toml:"min"`
	// Max is the largest QNumber answer accepted, when set.
	Max *float64 `toml:"max"`
	// PoliceOnly answers (a tip's source) may only ever be seen by the police
	// chain, never by the team leader, even for kinds that are not Sensitive.
	PoliceOnly bool `toml:"police_only"`
	// Urgent marks the QYesNo question whose "yes" makes the report urgent.
	Urgent bool `toml:"urgent"`
}

// Option is one choice of a QChoice question.
type Option struct {
	// ID is stored as the answer, unique within the question.
	ID string `toml:"id"`
	// Label is shown on the button.
	Label Text `toml:"label"`
}

// Kind returns the report kind with the given ID.
func (c Campaign) Kind(id string) (ReportKind, bool) {
	for _, k := range c.Kinds {
		if k.ID == id {
			return k, true
		}
	}
	return ReportKind{}, false
}

// Content returns the content with the given ID.
func (c Campaign) Content(id string) (Content, bool) {
	for _, ct := range c.Contents {
		if ct.ID == id {
			return ct, true
		}
	}
	return Content{}, false
}

// Phase returns the phase with the given ID.
func (c Campaign) Phase(id string) (Phase, bool) {
	for _, p := range c.Phases {
		if p.ID == id {
			return p, true
		}
	}
	return Phase{}, false
}

// Target returns the target with the given ID.
func (c Campaign) Target(id string) (Target, bool) {
	for _, ct := range c.Contents {
		for _, t := range ct.Targets {
			if t.ID == id {
				return t, true
			}
		}
	}
	return Target{}, false
}

// Targets returns every target of every content, in plan order.
func (c Campaign) Targets() []Target {
	var out []Target
	for _, ct := range c.Contents {
		out = append(out, ct.Targets...)
	}
	return out
}

// KindsFor returns the report kinds that count for the content with the given ID.
func (c Campaign) KindsFor(contentID string) []ReportKind {
	var out []ReportKind
	for _, k := range c.Kinds {
		for _, id := range k.Contents {
			if id == contentID {
				out = append(out, k)
				break
			}
		}
	}
	return out
}

// Figures returns the police figures the campaign's targets need, each once,
// in plan order; the police tools ask for exactly these.
func (c Campaign) Figures() []string {
	seen := map[string]bool{}
	var out []string
	for _, t := range c.Targets() {
		for _, f := range t.NeedsPoliceFigure {
			if !seen[f] {
				seen[f] = true
				out = append(out, f)
			}
		}
	}
	return out
}

// PhaseAt returns the phase that t falls in, judged by t's civil date in loc.
func (c Campaign) PhaseAt(t time.Time, loc *time.Location) (Phase, bool) {
	d := DateOf(t, loc)
	for _, p := range c.Phases {
		if p.Contains(d) {
			return p, true
		}
	}
	return Phase{}, false
}

// NextPhase returns the earliest phase that starts after t's civil date in loc
// (during Đợt 1 that is Đợt 2; before the campaign it is the first phase).
func (c Campaign) NextPhase(t time.Time, loc *time.Location) (Phase, bool) {
	d := DateOf(t, loc)
	var best Phase
	found := false
	for _, p := range c.Phases {
		if p.Start.After(d) && (!found || p.Start.Before(best.Start)) {
			best, found = p, true
		}
	}
	return best, found
}

// PreviousPhase returns the latest phase that ended before t's civil date in
// loc: on the first day of Đợt 2 it is Đợt 1, the phase to summarise.
func (c Campaign) PreviousPhase(t time.Time, loc *time.Location) (Phase, bool) {
	d := DateOf(t, loc)
	var best Phase
	found := false
	for _, p := range c.Phases {
		if p.End.Before(d) && (!found || p.End.After(best.End)) {
			best, found = p, true
		}
	}
	return best, found
}

// Contains reports whether the civil date d is within the phase (both ends inclusive).
func (p Phase) Contains(d Date) bool {
	return !d.Before(p.Start) && !d.After(p.End)
}

// Bounds returns the phase as a half-open interval of instants in loc: from
// midnight starting Start to midnight ending End, so a report at 23:59 on the
// last day is inside.
func (p Phase) Bounds(loc *time.Location) (from, toExclusive time.Time) {
	return p.Start.In(loc), p.End.AddDays(1).In(loc)
}

// DaysLeft returns how many calendar days of the phase remain at t, counting
// t's own civil date in loc: 1 on the last day, 0 once the phase is over, the
// whole length before it starts.
func (p Phase) DaysLeft(t time.Time, loc *time.Location) int {
	d := DateOf(t, loc)
	if d.Before(p.Start) {
		d = p.Start
	}
	n := p.End.DaysSince(d) + 1
	if n < 0 {
		return 0
	}
	return n
}

// Question returns the kind's question with the given ID.
func (k ReportKind) Question(id string) (Question, bool) {
	for _, q := range k.Questions {
		if q.ID == id {
			return q, true
		}
	}
	return Question{}, false
}

// DateQuestion returns the kind's first QDate question: its answer is the
// event date that places the report in a phase and month.
func (k ReportKind) DateQuestion() (Question, bool) {
	for _, q := range k.Questions {
		if q.Type == QDate {
			return q, true
		}
	}
	return Question{}, false
}

// UrgentQuestion returns the kind's QYesNo question marked Urgent, if any.
func (k ReportKind) UrgentQuestion() (Question, bool) {
	for _, q := range k.Questions {
		if q.Urgent {
			return q, true
		}
	}
	return Question{}, false
}

// Option returns the question's option with the given ID.
func (q Question) Option(id string) (Option, bool) {
	for _, o := range q.Options {
		if o.ID == id {
			return o, true
		}
	}
	return Option{}, false
}

// String returns a short description for logs and error messages.
func (p Phase) String() string {
	return fmt.Sprintf("%s (%s..%s)", p.ID, p.Start, p.End)
}
