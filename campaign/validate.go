package campaign

import (
	"fmt"
	"math"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// metricSpec is what the report package can compute for a metric: the unit it
// yields, the scopes and periods it can be computed for, the police figures it
// reads and the report kind it counts (empty when it only reads figures).
type metricSpec struct {
	unit    string
	scopes  []string
	periods []string
	figures []string
	kind    string
}

var metricSpecs = map[string]metricSpec{
	MetricTipShare:             {UnitPercent, []string{ScopeCommune}, []string{PeriodPhase}, []string{FigureTipsReceivedTotal}, KindTip},
	MetricIncidentPresence:     {UnitPercent, []string{ScopeCommune}, []string{PeriodMonth, PeriodPhase}, nil, KindPresence},
	MetricModelsRecognised:     {UnitCount, []string{ScopeCommune}, []string{PeriodPhase}, nil, KindModel},
	MetricCallOutAttendance:    {UnitPercent, []string{ScopeCommune}, []string{PeriodMonth, PeriodPhase}, nil, KindFireRescue},
	MetricViolatingBusinesses:  {UnitCount, []string{ScopeCommune}, []string{PeriodPhase}, []string{FigureViolatingBusinesses}, ""},
	MetricResidentInfoShare:    {UnitPercent, []string{ScopeCommune}, []string{PeriodPhase}, []string{FigureResidentInfoPercent}, ""},
	MetricIllegalWeapons:       {UnitCount, []string{ScopeCommune}, []string{PeriodPhase}, []string{FigureIllegalWeapons}, ""},
	MetricReoffences:           {UnitCount, []string{ScopeCommune}, []string{PeriodPhase}, []string{FigureReoffences}, ""},
	MetricReleasedSupported:    {UnitPercent, []string{ScopeCommune}, []string{PeriodPhase}, []string{FigureReleasedTotal, FigureReleasedSupported}, ""},
	MetricPatrolParticipation:  {UnitPercent, []string{ScopeTeam, ScopeCommune}, []string{PeriodMonth, PeriodPhase}, nil, KindPatrol},
	MetricSeriousAccidents:     {UnitCount, []string{ScopeCommune}, []string{PeriodPhase}, []string{FigureSeriousAccidents}, ""},
	MetricMemberViolations:     {UnitCount, []string{ScopeCommune}, []string{PeriodPhase}, []string{FigureMemberViolations}, ""},
	MetricTeamMonthlyGoodDeeds: {UnitCount, []string{ScopeTeam}, []string{PeriodMonth}, []string{FigureCommendations}, KindGoodDeed},
}

// Metrics returns every metric name a Target may use, sorted.
func Metrics() []string {
	out := make([]string, 0, len(metricSpecs))
	for m := range metricSpecs {
		out = append(out, m)
	}
	slices.Sort(out)
	return out
}

// allFigures lists every police figure name, in plan order.
var allFigures = []string{
	FigureTipsReceivedTotal,
	FigureViolatingBusinesses,
	FigureResidentInfoPercent,
	FigureIllegalWeapons,
	FigureReoffences,
	FigureReleasedTotal,
	FigureReleasedSupported,
	FigureSeriousAccidents,
	FigureMemberViolations,
	FigureCommendations,
}

// PoliceFigures returns every police figure name a Target may need, in plan order.
func PoliceFigures() []string {
	return slices.Clone(allFigures)
}

var (
	questionTypes = []string{QChoice, QText, QNumber, QDate, QPhoto, QLocation, QYesNo}
	ops           = []string{OpGE, OpGT, OpEQ, OpLE}
	units         = []string{UnitPercent, UnitCount}
	scopes        = []string{ScopeCommune, ScopeTeam, ScopeMember}
	periods       = []string{PeriodMonth, PeriodPhase}
)

// idPattern keeps IDs short and plain: they end up in callback data (64 bytes
// on Telegram), database rows and spreadsheet headers.
var idPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,31}$`)

// langPattern accepts "vi", "en", "zh-Hant"-style language tags.
var langPattern = regexp.MustCompile(`^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$`)

func nfc(s string) string {
	return norm.NFC.String(s)
}

// checker collects problems, each prefixed with the element it is about.
type checker struct {
	problems []error
}

func (ch *checker) addf(where, format string, args ...any) {
	ch.problems = append(ch.problems, fmt.Errorf("%s: %s", where, fmt.Sprintf(format, args...)))
}

func (ch *checker) id(where, id string) {
	switch {
	case id == "":
		ch.addf(where, "missing id")
	case !idPattern.MatchString(id):
		ch.addf(where, "id %q must be 1-32 lowercase letters, digits, '_' or '-'", id)
	}
}

// text checks a Text; a required one must exist, and any Text that is given
// must have Vietnamese.
func (ch *checker) text(where, field string, t Text, required bool) {
	if len(t) == 0 {
		if required {
			ch.addf(where, "missing %s (needs at least %s.vi)", field, field)
		}
		return
	}
	if t[LangVI] == "" {
		ch.addf(where, "%s has no Vietnamese text (%s.vi)", field, field)
	}
	langs := make([]string, 0, len(t))
	for lang := range t {
		langs = append(langs, lang)
	}
	slices.Sort(langs)
	for _, lang := range langs {
		s := t[lang]
		if !langPattern.MatchString(lang) {
			ch.addf(where, "%s has an unknown language key %q (use vi, en, ...)", field, lang)
		}
		if s == "" && lang != LangVI {
			ch.addf(where, "%s.%s is empty", field, lang)
		}
		if !utf8.ValidString(s) {
			ch.addf(where, "%s.%s is not valid UTF-8", field, lang)
		}
	}
}

func (ch *checker) oneOf(where, field, v string, allowed []string) bool {
	if !slices.Contains(allowed, v) {
		if v == "" {
			ch.addf(where, "missing %s (one of %s)", field, strings.Join(allowed, ", "))
		} else {
			ch.addf(where, "unknown %s %q (one of %s)", field, v, strings.Join(allowed, ", "))
		}
		return false
	}
	return true
}

func validate(c *Campaign) []error {
	ch := &checker{}
	ch.id("campaign", c.ID)
	ch.text("campaign", "name", c.Name, true)
	ch.text("campaign", "theme", c.Theme, false)
	ch.text("campaign", "issuer", c.Issuer, false)

	validatePhases(ch, c.Phases)
	if c.InTime.Minutes < 1 || c.InTime.Minutes > 24*60 {
		ch.addf("in_time", "minutes = %d: want a number of minutes from 1 to 1440 (default %d)", c.InTime.Minutes, DefaultInTimeMinutes)
	}
	if c.InTime.WithoutArrival != ArrivalInTime && c.InTime.WithoutArrival != ArrivalLate {
		ch.addf("in_time", "without_arrival = %q: want %q or %q", c.InTime.WithoutArrival, ArrivalInTime, ArrivalLate)
	}

	contentIDs := map[string]bool{}
	kindIDs := map[string]bool{}
	for _, k := range c.Kinds {
		kindIDs[k.ID] = true
	}
	if len(c.Contents) == 0 {
		ch.addf("campaign", "no contents ([[contents]])")
	}
	numbers := map[int]string{}
	targetIDs := map[string]string{}
	for i, ct := range c.Contents {
		where := fmt.Sprintf("content %q", ct.ID)
		if ct.ID == "" {
			where = fmt.Sprintf("content #%d", i+1)
		}
		ch.id(where, ct.ID)
		if ct.ID != "" {
			if contentIDs[ct.ID] {
				ch.addf(where, "duplicate id")
			}
			contentIDs[ct.ID] = true
		}
		if ct.Number <= 0 {
			ch.addf(where, "number must be 1 or more, got %d", ct.Number)
		} else if other, dup := numbers[ct.Number]; dup {
			ch.addf(where, "number %d is also used by content %q", ct.Number, other)
		} else {
			numbers[ct.Number] = ct.ID
		}
		ch.text(where, "name", ct.Name, true)
		ch.text(where, "description", ct.Description, false)
		for j, t := range ct.Targets {
			tw := fmt.Sprintf("target %q", t.ID)
			if t.ID == "" {
				tw = fmt.Sprintf("%s target #%d", where, j+1)
			}
			ch.id(tw, t.ID)
			if t.ID != "" {
				if other, dup := targetIDs[t.ID]; dup {
					ch.addf(tw, "duplicate id (also in content %q)", other)
				}
				targetIDs[t.ID] = ct.ID
			}
			validateTarget(ch, tw, t, ct.ID, kindIDs)
		}
	}
	// Content references are checked once all contents are known.
	for _, ct := range c.Contents {
		for _, t := range ct.Targets {
			if t.Content != ct.ID {
				if contentIDs[t.Content] {
					ch.addf(fmt.Sprintf("target %q", t.ID), "is listed under content %q but names content %q", ct.ID, t.Content)
				} else {
					ch.addf(fmt.Sprintf("target %q", t.ID), "unknown content %q", t.Content)
				}
			}
		}
	}

	if len(c.Kinds) == 0 {
		ch.addf("campaign", "no report kinds ([[kinds]])")
	}
	seenKinds := map[string]bool{}
	for i, k := range c.Kinds {
		where := fmt.Sprintf("kind %q", k.ID)
		if k.ID == "" {
			where = fmt.Sprintf("kind #%d", i+1)
		}
		ch.id(where, k.ID)
		if k.ID != "" {
			if seenKinds[k.ID] {
				ch.addf(where, "duplicate id")
			}
			seenKinds[k.ID] = true
		}
		validateKind(ch, where, k, contentIDs)
	}
	return ch.problems
}

func validatePhases(ch *checker, phases []Phase) {
	if len(phases) == 0 {
		ch.addf("campaign", "no phases ([[phases]])")
	}
	seen := map[string]bool{}
	for i, p := range phases {
		where := fmt.Sprintf("phase %q", p.ID)
		if p.ID == "" {
			where = fmt.Sprintf("phase #%d", i+1)
		}
		ch.id(where, p.ID)
		if p.ID != "" {
			if seen[p.ID] {
				ch.addf(where, "duplicate id")
			}
			seen[p.ID] = true
		}
		ch.text(where, "name", p.Name, true)
		ch.text(where, "dedication", p.Dedication, false)
		if p.Start.IsZero() {
			ch.addf(where, "missing start date")
		}
		if p.End.IsZero() {
			ch.addf(where, "missing end date")
		}
		if !p.Start.IsZero() && !p.End.IsZero() && p.End.Before(p.Start) {
			ch.addf(where, "ends on %s, before it starts on %s", p.End, p.Start)
		}
	}
	// Every pair, so that each overlap is named; campaigns have a handful of phases.
	for i := range phases {
		for j := i + 1; j < len(phases); j++ {
			a, b := phases[i], phases[j]
			if a.Start.IsZero() || a.End.IsZero() || b.Start.IsZero() || b.End.IsZero() {
				continue
			}
			if !a.Start.After(b.End) && !b.Start.After(a.End) {
				ch.addf(fmt.Sprintf("phase %q", b.ID), "overlaps phase %q (%s..%s overlaps %s..%s)", a.ID, b.Start, b.End, a.Start, a.End)
			}
		}
	}
}

func validateTarget(ch *checker, where string, t Target, contentID string, kindIDs map[string]bool) {
	ch.text(where, "name", t.Name, true)
	ch.oneOf(where, "op", t.Op, ops)
	unitOK := ch.oneOf(where, "unit", t.Unit, units)
	scopeOK := ch.oneOf(where, "scope", t.Scope, scopes)
	periodOK := ch.oneOf(where, "period", t.Period, periods)
	if math.IsNaN(t.Threshold) || math.IsInf(t.Threshold, 0) {
		ch.addf(where, "threshold must be a number, got %v", t.Threshold)
	} else if t.Threshold < 0 || (t.Unit == UnitPercent && t.Threshold > 100) {
		ch.addf(where, "threshold %v is out of range for unit %s", t.Threshold, t.Unit)
	}
	seen := map[string]bool{}
	for _, f := range t.NeedsPoliceFigure {
		if !slices.Contains(allFigures, f) {
			ch.addf(where, "unknown police figure %q (one of %s)", f, strings.Join(allFigures, ", "))
		}
		if seen[f] {
			ch.addf(where, "police figure %q listed twice", f)
		}
		seen[f] = true
	}
	spec, ok := metricSpecs[t.Metric]
	if !ok {
		if t.Metric == "" {
			ch.addf(where, "missing metric")
		} else {
			ch.addf(where, "unknown metric %q (one of %s)", t.Metric, strings.Join(Metrics(), ", "))
		}
		return
	}
	if unitOK && t.Unit != spec.unit {
		ch.addf(where, "metric %s is a %s, not a %s", t.Metric, spec.unit, t.Unit)
	}
	if scopeOK && !slices.Contains(spec.scopes, t.Scope) {
		ch.addf(where, "metric %s cannot be computed per %s (only per %s)", t.Metric, t.Scope, strings.Join(spec.scopes, ", "))
	}
	if periodOK && !slices.Contains(spec.periods, t.Period) {
		ch.addf(where, "metric %s cannot be computed per %s (only per %s)", t.Metric, t.Period, strings.Join(spec.periods, ", "))
	}
	for _, f := range spec.figures {
		if !seen[f] {
			ch.addf(where, "metric %s needs police figure %q in needs_police_figure", t.Metric, f)
		}
	}
	if spec.kind != "" && !kindIDs[spec.kind] {
		ch.addf(where, "metric %s counts reports of kind %q, which the campaign does not define", t.Metric, spec.kind)
	}
}

func validateKind(ch *checker, where string, k ReportKind, contentIDs map[string]bool) {
	ch.text(where, "name", k.Name, true)
	ch.text(where, "description", k.Description, false)
	seenContents := map[string]bool{}
	for _, id := range k.Contents {
		if !contentIDs[id] {
			ch.addf(where, "unknown content %q", id)
		}
		if seenContents[id] {
			ch.addf(where, "content %q listed twice", id)
		}
		seenContents[id] = true
	}
	if len(k.Questions) == 0 {
		ch.addf(where, "has no questions")
	}
	seenQ := map[string]bool{}
	urgent := 0
	for i, q := range k.Questions {
		qw := fmt.Sprintf("%s question %q", where, q.ID)
		if q.ID == "" {
			qw = fmt.Sprintf("%s question #%d", where, i+1)
		}
		ch.id(qw, q.ID)
		if q.ID != "" {
			if seenQ[q.ID] {
				ch.addf(qw, "duplicate id")
			}
			seenQ[q.ID] = true
		}
		if q.Urgent {
			urgent++
		}
		validateQuestion(ch, qw, q)
	}
	if urgent > 1 {
		ch.addf(where, "%d questions are marked urgent, at most one may be", urgent)
	}
}

func validateQuestion(ch *checker, where string, q Question) {
	ch.oneOf(where, "type", q.Type, questionTypes)
	ch.text(where, "prompt", q.Prompt, true)
	ch.text(where, "help", q.Help, false)
	if q.Type == QChoice {
		if len(q.Options) == 0 {
			ch.addf(where, "choice question has no options")
		} else if len(q.Options) == 1 {
			ch.addf(where, "choice question needs at least 2 options, has 1")
		}
	} else if len(q.Options) > 0 {
		ch.addf(where, "options are only for choice questions, this one is %q", q.Type)
	}
	seen := map[string]bool{}
	for i, o := range q.Options {
		ow := fmt.Sprintf("%s option %q", where, o.ID)
		if o.ID == "" {
			ow = fmt.Sprintf("%s option #%d", where, i+1)
		}
		ch.id(ow, o.ID)
		if o.ID != "" {
			if seen[o.ID] {
				ch.addf(ow, "duplicate id")
			}
			seen[o.ID] = true
		}
		ch.text(ow, "label", o.Label, true)
	}
	if q.MaxLen < 0 {
		ch.addf(where, "max_len must not be negative, got %d", q.MaxLen)
	}
	if q.MaxLen != 0 && q.Type != QText {
		ch.addf(where, "max_len is only for text questions, this one is %q", q.Type)
	}
	if (q.Min != nil || q.Max != nil) && q.Type != QNumber {
		ch.addf(where, "min and max are only for number questions, this one is %q", q.Type)
	}
	for _, b := range []*float64{q.Min, q.Max} {
		if b != nil && (math.IsNaN(*b) || math.IsInf(*b, 0)) {
			ch.addf(where, "min and max must be numbers, got %v", *b)
		}
	}
	if q.Min != nil && q.Max != nil && *q.Min > *q.Max {
		ch.addf(where, "min %v is greater than max %v", *q.Min, *q.Max)
	}
	if q.Urgent && q.Type != QYesNo {
		ch.addf(where, "only a yesno question can be marked urgent, this one is %q", q.Type)
	}
}
