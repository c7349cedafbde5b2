package flows

import (
	"strconv"
	"strings"

	"github.com/anttbot/anttbot/bot"
)

// choiceStep picks one option: a button, the option's number, or its label
// typed (with or without diacritics).
type choiceStep struct{}

func (choiceStep) buttons(t *turn, st *Step, d *Draft) [][]bot.Button {
	rows := make([][]bot.Button, 0, len(st.Options))
	for i, o := range st.Options {
		rows = append(rows, []bot.Button{btn(o.Label, stepData(d, "o"+strconv.Itoa(i)))})
	}
	return rows
}

func (choiceStep) accept(t *turn, st *Step, in Input) (Answer, *problem) {
	i := -1
	switch {
	case in.Tap != nil && strings.HasPrefix(in.Tap.Code, "o"):
		n, err := strconv.Atoi(in.Tap.Code[1:])
		if err == nil {
			i = n
		}
	case in.Kind == bot.KindText:
		i = matchChoice(st.Options, in.Text)
	}
	if i < 0 || i >= len(st.Options) {
		return Answer{}, newProblem("flows.choice.invalid")
	}
	return Answer{Text: st.Options[i].ID, At: t.now}, nil
}

// matchChoice finds the option a typed answer means: its number in the list,
// or its label without diacritics and punctuation. -1 when none matches.
func matchChoice(opts []Choice, text string) int {
	if n, err := strconv.Atoi(strings.TrimSpace(text)); err == nil {
		if n >= 1 && n <= len(opts) {
			return n - 1
		}
		return -1
	}
	f := fold(text)
	if f == "" {
		return -1
	}
	for i, o := range opts {
		if fold(o.Label) == f {
			return i
		}
	}
	return -1
}
