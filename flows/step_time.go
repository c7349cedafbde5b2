package flows

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/anttbot/anttbot/bot"
	"golang.org/x/text/unicode/norm"
)

// stepTime is the type of the time-of-day step (StepTime).
const stepTime = "time"

// timeStep takes a time of day: one of the step's quick options (buttons,
// their number or label typed), or a time typed "14:30", "9h15", "9h",
// "21g30" or "9 giờ 15". The answer's Text is the option ID or "HH:MM".
type timeStep struct{}

func (timeStep) buttons(t *turn, st *Step, d *Draft) [][]bot.Button {
	var rows [][]bot.Button
	for i, o := range st.Options {
		b := btn(o.Label, stepData(d, "o"+strconv.Itoa(i)))
		// Two quick answers a row: they are short.
		if i%2 == 1 {
			rows[len(rows)-1] = append(rows[len(rows)-1], b)
			continue
		}
		rows = append(rows, []bot.Button{b})
	}
	return rows
}

func (timeStep) accept(t *turn, st *Step, in Input) (Answer, *problem) {
	switch {
	case in.Tap != nil && strings.HasPrefix(in.Tap.Code, "o"):
		if i, err := strconv.Atoi(in.Tap.Code[1:]); err == nil && i >= 0 && i < len(st.Options) {
			return Answer{Text: st.Options[i].ID, At: t.now}, nil
		}
	case in.Kind == bot.KindText:
		if hh, mm, ok := parseClock(in.Text); ok {
			return Answer{Text: fmt.Sprintf("%02d:%02d", hh, mm), At: t.now}, nil
		}
		if i := matchChoice(st.Options, in.Text); i >= 0 {
			return Answer{Text: st.Options[i].ID, At: t.now}, nil
		}
	}
	return Answer{}, newProblem("flows.time.invalid")
}

// clockPattern is a typed time once "giờ"/"g" became "h" and spaces went:
// "14:30", "14.30", "14h30", "14h".
var clockPattern = regexp.MustCompile(`^(\d{1,2})[:.h](\d{2})?$`)

// parseClock reads a typed time of day. A bare number is not a time: it
// would read as the number of an option.
func parseClock(s string) (hh, mm int, ok bool) {
	s = strings.ToLower(norm.NFC.String(strings.TrimSpace(s)))
	s = strings.NewReplacer("giờ", "h", "phút", "", "g", "h", " ", "").Replace(s)
	m := clockPattern.FindStringSubmatch(s)
	if m == nil {
		return 0, 0, false
	}
	hh, _ = strconv.Atoi(m[1])
	if m[2] != "" {
		mm, _ = strconv.Atoi(m[2])
	}
	if hh > 23 || mm > 59 {
		return 0, 0, false
	}
	return hh, mm, true
}
