package flows

import (
	"github.com/anttbot/anttbot/bot"
)

// confirmStep shows the summary (built by the engine) and waits for the
// confirm button or a typed "gửi" / "ok".
type confirmStep struct{}

func (confirmStep) buttons(t *turn, st *Step, d *Draft) [][]bot.Button {
	return [][]bot.Button{{btn(t.T("common.confirm"), stepData(d, codeConfirm))}}
}

func (confirmStep) accept(t *turn, st *Step, in Input) (Answer, *problem) {
	if in.Tap != nil && in.Tap.Code == codeConfirm {
		return Answer{At: t.now}, nil
	}
	if in.Kind == bot.KindText {
		switch fold(in.Text) {
		case "ok", "gui", "xacnhan", "xacnhangui", "dongy", "co", "yes", "send", "confirm", "confirmandsend":
			return Answer{At: t.now}, nil
		}
	}
	return Answer{}, newProblem("flows.confirm.invalid")
}
