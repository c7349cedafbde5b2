package flows

import (
	"github.com/anttbot/anttbot/bot"
)

// yesNoStep takes yes or no: the two buttons, or the words typed.
type yesNoStep struct{}

func (yesNoStep) buttons(t *turn, st *Step, d *Draft) [][]bot.Button {
	return [][]bot.Button{{
		btn(t.T("common.yes"), stepData(d, codeYes)),
		btn(t.T("common.no"), stepData(d, codeNo)),
	}}
}

func (yesNoStep) accept(t *turn, st *Step, in Input) (Answer, *problem) {
	var yes, ok bool
	switch {
	case in.Tap != nil:
		yes, ok = in.Tap.Code == codeYes, in.Tap.Code == codeYes || in.Tap.Code == codeNo
	case in.Kind == bot.KindText:
		yes, ok = parseYesNo(in.Text)
	}
	if !ok {
		return Answer{}, newProblem("flows.yesno.invalid")
	}
	return Answer{Yes: &yes, At: t.now}, nil
}

// parseYesNo reads a typed yes or no, Vietnamese or English, with or without
// diacritics.
func parseYesNo(s string) (yes, ok bool) {
	switch fold(s) {
	case "co", "coa", "c", "dung", "vang", "yes", "y", "ok":
		return true, true
	case "khong", "khonga", "k", "ko", "kg", "no", "n":
		return false, true
	}
	return false, false
}
