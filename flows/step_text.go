package flows

import (
	"unicode/utf8"

	"github.com/anttbot/anttbot/bot"
)

// textStep takes free text up to the step's length limit.
type textStep struct{}

func (textStep) buttons(*turn, *Step, *Draft) [][]bot.Button { return nil }

func (textStep) accept(t *turn, st *Step, in Input) (Answer, *problem) {
	if in.Kind != bot.KindText || in.Text == "" {
		return Answer{}, wantText(in)
	}
	limit := t.e.maxText
	if st.MaxLen > 0 && st.MaxLen < limit {
		limit = st.MaxLen
	}
	if n := utf8.RuneCountInString(in.Text); n > limit {
		return Answer{}, newProblem("flows.input.too_long", "Max", limit, "Len", n)
	}
	return Answer{Text: in.Text, At: t.now}, nil
}
