package flows

import (
	"math"
	"regexp"
	"strconv"
	"strings"

	"github.com/anttbot/anttbot/bot"
)

// numberStep takes a number, written "1,5" (Vietnamese) or "1.5", within the
// step's bounds.
type numberStep struct{}

func (numberStep) buttons(*turn, *Step, *Draft) [][]bot.Button { return nil }

func (numberStep) accept(t *turn, st *Step, in Input) (Answer, *problem) {
	if in.Kind != bot.KindText || in.Text == "" {
		return Answer{}, newProblem("flows.number.invalid")
	}
	v, ok := parseNumber(in.Text)
	if !ok {
		return Answer{}, newProblem("flows.number.invalid")
	}
	switch {
	case st.Min != nil && st.Max != nil && (v < *st.Min || v > *st.Max):
		return Answer{}, newProblem("flows.number.between", "Min", t.num(*st.Min), "Max", t.num(*st.Max))
	case st.Min != nil && v < *st.Min:
		return Answer{}, newProblem("flows.number.min", "Min", t.num(*st.Min))
	case st.Max != nil && v > *st.Max:
		return Answer{}, newProblem("flows.number.max", "Max", t.num(*st.Max))
	}
	return Answer{Number: &v, At: t.now}, nil
}

// groupedInt is an integer with thousands separators: "1.000", "12,500,000".
var groupedInt = regexp.MustCompile(`^[1-9]\d{0,2}([.,]\d{3})+$`)

// parseNumber reads "2", "1,5", "1.5", "1.000", "1.000,5" and "1 000". A
// separator followed by exactly three digits groups thousands (a count of
// "1.000 người" must not become 1); otherwise a single separator is the
// decimal mark. A trailing word ("2 giờ", "3 người") is ignored.
func parseNumber(s string) (float64, bool) {
	s = strings.TrimSpace(s)
	if i := strings.IndexFunc(s, func(r rune) bool {
		return !(r >= '0' && r <= '9' || r == ',' || r == '.' || r == ' ' || r == '-' || r == '+')
	}); i > 0 {
		s = s[:i]
	}
	s = strings.ReplaceAll(strings.TrimSpace(s), " ", "")
	sign := ""
	if strings.HasPrefix(s, "-") || strings.HasPrefix(s, "+") {
		sign, s = s[:1], s[1:]
	}
	switch seps := strings.Count(s, ".") + strings.Count(s, ","); {
	case groupedInt.MatchString(s):
		s = strings.NewReplacer(".", "", ",", "").Replace(s)
	case seps > 1:
		// "1.000,5" or "1,000.5": the last separator is the decimal mark.
		last := strings.LastIndexAny(s, ".,")
		if !groupedInt.MatchString(s[:last]) {
			return 0, false
		}
		s = strings.NewReplacer(".", "", ",", "").Replace(s[:last]) + "." + s[last+1:]
	default:
		s = strings.Replace(s, ",", ".", 1)
	}
	if s == "" || strings.ContainsAny(s, "+-eEinfINF") {
		return 0, false
	}
	v, err := strconv.ParseFloat(sign+s, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, false
	}
	return v, true
}
