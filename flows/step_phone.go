package flows

import (
	"errors"

	"github.com/anttbot/anttbot/bot"
	"github.com/anttbot/anttbot/phone"
)

// phoneStep takes the person's phone number: their own shared contact, or
// the number typed.
type phoneStep struct{}

func (phoneStep) buttons(*turn, *Step, *Draft) [][]bot.Button { return nil }

func (phoneStep) accept(t *turn, st *Step, in Input) (Answer, *problem) {
	var raw string
	switch {
	case in.Kind == bot.KindContact && in.Contact != nil:
		if !in.OwnContact {
			return Answer{}, newProblem("flows.phone.not_own")
		}
		raw = in.Contact.Phone
	case in.Kind == bot.KindText && in.Text != "":
		raw = in.Text
	default:
		return Answer{}, newProblem("flows.phone.invalid")
	}
	p, err := phone.Normalize(raw)
	if err != nil {
		var pe *phone.Error
		if errors.As(err, &pe) && pe.Reason == phone.ReasonLandline {
			return Answer{}, newProblem("flows.phone.landline")
		}
		return Answer{}, newProblem("flows.phone.invalid")
	}
	return Answer{Text: p, At: t.now}, nil
}
