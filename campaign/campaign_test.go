package campaign

import (
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/BurntSushi/toml"
	"golang.org/x/text/unicode/norm"
)

func hoChiMinh(tb testing.TB) *time.Location {
	tb.Helper()
	loc, err := time.LoadLocation("Asia/Ho_Chi_Minh")
	if err != nil {
		tb.Fatalf("load time zone: %v", err)
	}
	return loc
}

func TestDefault(t *testing.T) {
	// Parse the embedded file directly so a broken file fails here with the
	// full list of problems instead of a panic in Default.
	c, err := Parse(DefaultTOML())
	if err != nil {
		t.Fatalf("embedded default.toml: %v", err)
	}
	if Default() != Default() {
		t.Error("Default is parsed more than once")
	}
	if got := c.Issuer.In("vi"); got != "UBND tỉnh Hải Dương" {
		t.Errorf("issuer = %q", got)
	}
	if got := c.Theme.In("vi"); got != "Lực lượng mới, khí thế mới, thi đua tham gia bảo đảm ANTT ở cơ sở trong tình hình mới" {
		t.Errorf("theme = %q", got)
	}

	wantPhases := []Phase{
		{ID: "dot1", Start: NewDate(2024, 8, 19), End: NewDate(2025, 2, 3)},
		{ID: "dot2", Start: NewDate(2025, 2, 4), End: NewDate(2025, 8, 19)},
	}
	if len(c.Phases) != len(wantPhases) {
		t.Fatalf("got %d phases, want %d", len(c.Phases), len(wantPhases))
	}
	for i, w := range wantPhases {
		p := c.Phases[i]
		if p.ID != w.ID || p.Start != w.Start || p.End != w.End {
			t.Errorf("phase %d = %s, want %s", i, p, w)
		}
		if p.Dedication.In("vi") == "" || p.Dedication["en"] == "" {
			t.Errorf("phase %s has no dedication in both languages", p.ID)
		}
	}

	var contentIDs []string
	for i, ct := range c.Contents {
		contentIDs = append(contentIDs, ct.ID)
		if ct.Number != i+1 {
			t.Errorf("content %s number = %d, want %d", ct.ID, ct.Number, i+1)
		}
		if len(ct.Targets) == 0 {
			t.Errorf("content %s has no targets", ct.ID)
		}
		if len(c.KindsFor(ct.ID)) == 0 {
			t.Errorf("no report kind counts for content %s", ct.ID)
		}
	}
	if want := []string{"c1", "c2", "c3", "c4", "c5", "c6", "c7"}; !slices.Equal(contentIDs, want) {
		t.Errorf("contents = %v, want %v", contentIDs, want)
	}

	var kindIDs []string
	for _, k := range c.Kinds {
		kindIDs = append(kindIDs, k.ID)
	}
	wantKinds := []string{KindTip, KindGoodDeed, KindPatrol, KindPresence, KindFireRescue, KindModel, KindResidentInfo, KindReintegration}
	if !slices.Equal(kindIDs, wantKinds) {
		t.Errorf("kinds = %v, want %v", kindIDs, wantKinds)
	}

	// Every metric the report package computes is used by the built-in plan.
	var metrics []string
	for _, tg := range c.Targets() {
		metrics = append(metrics, tg.Metric)
	}
	slices.Sort(metrics)
	if !slices.Equal(metrics, Metrics()) {
		t.Errorf("metrics used = %v, want every metric %v", metrics, Metrics())
	}
	if got := c.Figures(); !slices.Equal(sorted(got), sorted(PoliceFigures())) {
		t.Errorf("figures = %v, want every police figure", got)
	}
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}

// TestDefaultTargets pins each target to the plan's wording of the threshold.
func TestDefaultTargets(t *testing.T) {
	tests := []struct {
		name      string
		id        string
		content   string
		metric    string
		op        string
		threshold float64
		unit      string
		scope     string
		period    string
	}{
		{"80% of tips through the force", "c1_tip_share", "c1", MetricTipShare, OpGE, 80, UnitPercent, ScopeCommune, PeriodPhase},
		{"present at 100% of incidents", "c1_incident_presence", "c1", MetricIncidentPresence, OpEQ, 100, UnitPercent, ScopeCommune, PeriodPhase},
		{"at least 3 models", "c2_models_recognised", "c2", MetricModelsRecognised, OpGE, 3, UnitCount, ScopeCommune, PeriodPhase},
		{"100% of call-outs", "c3_callout_attendance", "c3", MetricCallOutAttendance, OpEQ, 100, UnitPercent, ScopeCommune, PeriodPhase},
		{"no violating business", "c4_violating_businesses", "c4", MetricViolatingBusinesses, OpEQ, 0, UnitCount, ScopeCommune, PeriodPhase},
		{"over 90% of resident info", "c4_resident_info_share", "c4", MetricResidentInfoShare, OpGT, 90, UnitPercent, ScopeCommune, PeriodPhase},
		{"no illegal weapons", "c4_illegal_weapons", "c4", MetricIllegalWeapons, OpEQ, 0, UnitCount, ScopeCommune, PeriodPhase},
		{"no re-offending", "c5_reoffences", "c5", MetricReoffences, OpEQ, 0, UnitCount, ScopeCommune, PeriodPhase},
		{"100% of released supported", "c5_released_supported", "c5", MetricReleasedSupported, OpEQ, 100, UnitPercent, ScopeCommune, PeriodPhase},
		{"100% of members patrol", "c6_patrol_participation", "c6", MetricPatrolParticipation, OpEQ, 100, UnitPercent, ScopeTeam, PeriodPhase},
		{"no serious accident", "c6_serious_accidents", "c6", MetricSeriousAccidents, OpEQ, 0, UnitCount, ScopeCommune, PeriodPhase},
		{"no member violations", "c7_member_violations", "c7", MetricMemberViolations, OpEQ, 0, UnitCount, ScopeCommune, PeriodPhase},
		{"a good deed per team a month", "c7_team_monthly_good_deeds", "c7", MetricTeamMonthlyGoodDeeds, OpGE, 1, UnitCount, ScopeTeam, PeriodMonth},
	}
	c := Default()
	if got := len(c.Targets()); got != len(tests) {
		t.Errorf("default has %d targets, test pins %d", got, len(tests))
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tg, ok := c.Target(tt.id)
			if !ok {
				t.Fatalf("target %s missing", tt.id)
			}
			if tg.Content != tt.content || tg.Metric != tt.metric || tg.Op != tt.op || tg.Threshold != tt.threshold ||
				tg.Unit != tt.unit || tg.Scope != tt.scope || tg.Period != tt.period {
				t.Errorf("target = %+v", tg)
			}
			if tg.Name["vi"] == "" || tg.Name["en"] == "" {
				t.Errorf("target %s lacks a name in vi or en", tt.id)
			}
		})
	}
}

func TestDefaultKinds(t *testing.T) {
	c := Default()
	for _, k := range c.Kinds {
		t.Run(k.ID, func(t *testing.T) {
			if k.Name["en"] == "" || k.Description["vi"] == "" || k.Description["en"] == "" || k.Emoji == "" {
				t.Errorf("kind %s lacks a name, description or emoji", k.ID)
			}
			max := 6
			if k.ID == KindTip {
				max = 8 // the tip's extra questions are optional (location, photo, source)
			}
			if n := len(k.Questions); n < 3 || n > max {
				t.Errorf("%d questions, want 3..%d", n, max)
			}
			if q, ok := k.DateQuestion(); !ok || q.Prompt.In("vi") != "Việc xảy ra hôm nào?" || q.Optional {
				t.Errorf("date question = %+v, %v; want a required one asking when it happened", q, ok)
			}
			hasText := false
			for _, q := range k.Questions {
				hasText = hasText || (q.Type == QText && !q.Optional)
				if q.Prompt["en"] == "" {
					t.Errorf("question %s has no English prompt", q.ID)
				}
				for _, o := range q.Options {
					if o.Label["en"] == "" {
						t.Errorf("question %s option %s has no English label", q.ID, o.ID)
					}
				}
			}
			if !hasText {
				t.Error("no required text question (short description)")
			}
			sensitive := k.ID == KindTip
			if k.Sensitive != sensitive || k.NotifyPolice != sensitive {
				t.Errorf("sensitive = %v, notify police = %v; want %v", k.Sensitive, k.NotifyPolice, sensitive)
			}
		})
	}

	tip, _ := c.Kind(KindTip)
	if q, ok := tip.UrgentQuestion(); !ok || q.Type != QYesNo {
		t.Errorf("tip urgent question = %+v, %v", q, ok)
	}
	src, ok := tip.Question("source")
	if !ok || !src.PoliceOnly || !src.Optional || src.Type != QText {
		t.Errorf("tip source question = %+v, %v; want optional, police-only text", src, ok)
	}
	cat, _ := tip.Question("category")
	if o, ok := cat.Option("drugs"); !ok || o.Label.In("vi") != "Ma túy" {
		t.Errorf("tip category drugs = %+v, %v", o, ok)
	}
	// Only the tip's source and the reintegration initials identify a person.
	for _, k := range c.Kinds {
		for _, q := range k.Questions {
			want := (k.ID == KindTip && q.ID == "source") || (k.ID == KindReintegration && q.ID == "initials")
			if q.PoliceOnly != want {
				t.Errorf("%s.%s police only = %v, want %v", k.ID, q.ID, q.PoliceOnly, want)
			}
		}
	}
	patrol, _ := c.Kind(KindPatrol)
	if h, _ := patrol.Question("hours"); h.Type != QNumber || h.Min == nil || *h.Min != 0.5 || h.Max == nil || *h.Max != 24 {
		t.Errorf("patrol hours = %+v", h)
	}
}

func TestDefaultFileIsNFC(t *testing.T) {
	for _, f := range []string{"default.toml", examplePath} {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if !norm.NFC.IsNormal(data) {
			t.Errorf("%s is not in Unicode NFC", f)
		}
	}
}

func TestPhaseAt(t *testing.T) {
	loc := hoChiMinh(t)
	c := Default()
	tests := []struct {
		name   string
		at     time.Time
		want   string // "" for no phase
		next   string
		prev   string
		inDays int // DaysLeft of the phase found
	}{
		{"day before the campaign", time.Date(2024, 8, 18, 23, 59, 59, 0, loc), "", "dot1", "", 0},
		{"first moment of phase 1", time.Date(2024, 8, 19, 0, 0, 0, 0, loc), "dot1", "dot2", "", 169},
		{"last minute of phase 1", time.Date(2025, 2, 3, 23, 59, 0, 0, loc), "dot1", "dot2", "", 1},
		{"first moment of phase 2", time.Date(2025, 2, 4, 0, 0, 0, 0, loc), "dot2", "", "dot1", 197},
		{"UTC evening is the next local day", time.Date(2025, 2, 3, 17, 30, 0, 0, time.UTC), "dot2", "", "dot1", 197},
		{"UTC afternoon is still the last day", time.Date(2025, 2, 3, 16, 59, 0, 0, time.UTC), "dot1", "dot2", "", 1},
		{"last day of the campaign", time.Date(2025, 8, 19, 12, 0, 0, 0, loc), "dot2", "", "dot1", 1},
		{"day after the campaign", time.Date(2025, 8, 20, 0, 0, 0, 0, loc), "", "", "dot2", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, ok := c.PhaseAt(tt.at, loc)
			if ok != (tt.want != "") || p.ID != tt.want {
				t.Errorf("PhaseAt = %q, %v; want %q", p.ID, ok, tt.want)
			}
			if ok {
				if got := p.DaysLeft(tt.at, loc); got != tt.inDays {
					t.Errorf("DaysLeft = %d, want %d", got, tt.inDays)
				}
			}
			n, ok := c.NextPhase(tt.at, loc)
			if ok != (tt.next != "") || n.ID != tt.next {
				t.Errorf("NextPhase = %q, %v; want %q", n.ID, ok, tt.next)
			}
			pr, ok := c.PreviousPhase(tt.at, loc)
			if ok != (tt.prev != "") || pr.ID != tt.prev {
				t.Errorf("PreviousPhase = %q, %v; want %q", pr.ID, ok, tt.prev)
			}
		})
	}
}

func TestPhaseBounds(t *testing.T) {
	loc := hoChiMinh(t)
	p, _ := Default().Phase("dot1")
	from, to := p.Bounds(loc)
	if want := time.Date(2024, 8, 19, 0, 0, 0, 0, loc); !from.Equal(want) {
		t.Errorf("from = %v, want %v", from, want)
	}
	if want := time.Date(2025, 2, 4, 0, 0, 0, 0, loc); !to.Equal(want) {
		t.Errorf("toExclusive = %v, want %v", to, want)
	}
	if want := time.Date(2025, 2, 3, 17, 0, 0, 0, time.UTC); !to.Equal(want) {
		t.Errorf("toExclusive = %v, want %v in UTC", to, want)
	}
}

func TestDaysLeft(t *testing.T) {
	loc := hoChiMinh(t)
	p := Phase{ID: "p", Start: NewDate(2025, 3, 1), End: NewDate(2025, 3, 10)}
	tests := []struct {
		name string
		at   time.Time
		want int
	}{
		{"before the phase counts the whole phase", time.Date(2025, 2, 1, 9, 0, 0, 0, loc), 10},
		{"first day", time.Date(2025, 3, 1, 0, 0, 0, 0, loc), 10},
		{"last day", time.Date(2025, 3, 10, 23, 59, 0, 0, loc), 1},
		{"after the phase", time.Date(2025, 3, 11, 0, 0, 0, 0, loc), 0},
		{"long after the phase", time.Date(2026, 1, 1, 0, 0, 0, 0, loc), 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := p.DaysLeft(tt.at, loc); got != tt.want {
				t.Errorf("DaysLeft = %d, want %d", got, tt.want)
			}
		})
	}
}

func TestTextIn(t *testing.T) {
	tests := []struct {
		name string
		text Text
		lang string
		want string
	}{
		{"english present", Text{"vi": "Đợt 1", "en": "Phase 1"}, "en", "Phase 1"},
		{"falls back to vietnamese", Text{"vi": "Đợt 1"}, "en", "Đợt 1"},
		{"empty english falls back", Text{"vi": "Đợt 1", "en": ""}, "en", "Đợt 1"},
		{"unknown language", Text{"vi": "Đợt 1", "en": "Phase 1"}, "fr", "Đợt 1"},
		{"empty language", Text{"vi": "Đợt 1", "en": "Phase 1"}, "", "Đợt 1"},
		{"nil text", nil, "vi", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.text.In(tt.lang); got != tt.want {
				t.Errorf("In(%q) = %q, want %q", tt.lang, got, tt.want)
			}
		})
	}
}

func TestTextUnmarshalTOML(t *testing.T) {
	tests := []struct {
		name    string
		doc     string
		want    Text
		wantErr bool
	}{
		{"table", "name = { vi = \"Đợt 1\", en = \"Phase 1\" }", Text{"vi": "Đợt 1", "en": "Phase 1"}, false},
		{"dotted keys", "name.vi = \"Đợt 1\"", Text{"vi": "Đợt 1"}, false},
		{"plain string is vietnamese", "name = \"Đợt 1\"", Text{"vi": "Đợt 1"}, false},
		{"number", "name = 1", nil, true},
		{"non-string language", "name = { vi = 1 }", nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var v struct {
				Name Text `toml:"name"`
			}
			_, err := toml.Decode(tt.doc, &v)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if !tt.wantErr && !mapsEqual(v.Name, tt.want) {
				t.Errorf("got %v, want %v", v.Name, tt.want)
			}
		})
	}
}

func mapsEqual(a, b Text) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func TestTargetMet(t *testing.T) {
	tests := []struct {
		name  string
		op    string
		thr   float64
		value float64
		want  bool
	}{
		{">= at threshold", OpGE, 80, 80, true},
		{">= below", OpGE, 80, 79.99, false},
		{"> at threshold", OpGT, 90, 90, false},
		{"> above", OpGT, 90, 90.5, true},
		{"== 100 exactly", OpEQ, 100, 100, true},
		{"== 100 from a ratio", OpEQ, 100, 7.0 / 7.0 * 100, true},
		{"== 100 at 99.9", OpEQ, 100, 99.9, false},
		{"== 0 with one case", OpEQ, 0, 1, false},
		{"<= below", OpLE, 5, 4, true},
		{"<= above", OpLE, 5, 6, false},
		{"unknown op never met", "~", 1, 1, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tg := Target{Op: tt.op, Threshold: tt.thr}
			if got := tg.Met(tt.value); got != tt.want {
				t.Errorf("Met(%v) = %v, want %v", tt.value, got, tt.want)
			}
		})
	}
}

func TestLookups(t *testing.T) {
	c := Default()
	if _, ok := c.Kind("nope"); ok {
		t.Error("Kind found an unknown id")
	}
	if ct, ok := c.Content("c7"); !ok || ct.Number != 7 {
		t.Errorf("Content(c7) = %+v, %v", ct, ok)
	}
	if _, ok := c.Phase("dot3"); ok {
		t.Error("Phase found an unknown id")
	}
	var ids []string
	for _, k := range c.KindsFor("c4") {
		ids = append(ids, k.ID)
	}
	if want := []string{KindTip, KindResidentInfo}; !slices.Equal(ids, want) {
		t.Errorf("KindsFor(c4) = %v, want %v", ids, want)
	}
}

// TestFigureLabels keeps the police figure labels in locales/ in step with the
// constants: the police tools and reports look them up by name.
func TestFigureLabels(t *testing.T) {
	for _, lang := range []string{"vi", "en"} {
		var tree map[string]any
		if _, err := toml.DecodeFile("../locales/"+lang+"/campaign.toml", &tree); err != nil {
			t.Fatalf("%s: %v", lang, err)
		}
		figures, _ := dig(tree, "campaign", "figure").(map[string]any)
		for _, f := range PoliceFigures() {
			for _, leaf := range []string{"label", "ask"} {
				s, _ := dig(figures, f, leaf).(string)
				if s == "" {
					t.Errorf("locales/%s/campaign.toml: missing campaign.figure.%s.%s", lang, f, leaf)
				}
			}
		}
		if len(figures) != len(PoliceFigures()) {
			t.Errorf("locales/%s/campaign.toml has %d figures, want %d", lang, len(figures), len(PoliceFigures()))
		}
	}
}

func dig(v any, path ...string) any {
	for _, p := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[p]
	}
	return v
}

func TestInTimeDefaultsAndValidation(t *testing.T) {
	c := Default()
	if c.InTime.Window() != 30*time.Minute || !c.InTime.UnknownArrivalInTime() {
		t.Errorf("default in time = %+v, want 30 minutes, unknown arrival in time", c.InTime)
	}
	bad := strings.Replace(string(DefaultTOML()), "minutes = 30\nwithout_arrival = \"in_time\"", "minutes = -5\nwithout_arrival = \"maybe\"", 1)
	_, err := Parse([]byte(bad))
	if err == nil || !strings.Contains(err.Error(), "in_time: minutes = -5") || !strings.Contains(err.Error(), `without_arrival = "maybe"`) {
		t.Errorf("bad in_time: %v", err)
	}
	unset := strings.Replace(string(DefaultTOML()), "minutes = 30\nwithout_arrival = \"in_time\"", "", 1)
	c, err = Parse([]byte(unset))
	if err != nil || c.InTime.Minutes != DefaultInTimeMinutes || c.InTime.WithoutArrival != ArrivalInTime {
		t.Errorf("unset in_time = %+v, %v; want the defaults", c.InTime, err)
	}
}
