package flows

import (
	"github.com/anttbot/anttbot/bot"
	"github.com/anttbot/anttbot/campaign"
)

// Step types beyond the question types of the campaign (campaign.QChoice, …).
const (
	// stepConfirm shows the summary and asks to confirm.
	stepConfirm = "confirm"
	// stepPhone asks for a phone number, shared or typed.
	stepPhone = "phone"
)

// IDs of the steps that are not campaign questions. Question IDs are
// letters, digits and "_", so the leading "_" cannot clash.
const (
	stepIDKind    = "_kind"
	stepIDConfirm = "_confirm"
	stepIDName    = "_name"
	stepIDPhone   = "_phone"
)

// Step is one question of a flow, resolved for one language.
type Step struct {
	ID       string
	Type     string
	Prompt   string
	Help     string
	Optional bool
	Options  []Choice
	// MaxLen limits a text answer in characters (0: the service's limit).
	MaxLen     int
	Min, Max   *float64
	PoliceOnly bool
	Urgent     bool
	// Number is the step's position among the questions (1-based), 0 for
	// steps that are not counted (the kind choice, the confirmation).
	Number int
}

// Choice is one option of a choice step.
type Choice struct {
	ID    string
	Label string
}

// stepType is the behaviour of one kind of step; each lives in its own file.
type stepType interface {
	// buttons returns the step's own buttons, without back, skip and cancel.
	buttons(t *turn, st *Step, d *Draft) [][]bot.Button
	// accept turns an input into an answer, or says why it cannot.
	accept(t *turn, st *Step, in Input) (Answer, *problem)
}

// stepTypes maps a step type to its behaviour.
var stepTypes = map[string]stepType{
	campaign.QChoice:   choiceStep{},
	campaign.QText:     textStep{},
	campaign.QNumber:   numberStep{},
	campaign.QDate:     dateStep{},
	campaign.QPhoto:    photoStep{},
	campaign.QLocation: locationStep{},
	campaign.QYesNo:    yesNoStep{},
	stepConfirm:        confirmStep{},
	stepPhone:          phoneStep{},
	stepTime:           timeStep{},
}

// fromQuestion resolves a campaign question for lang.
func fromQuestion(q campaign.Question, lang string, number int) Step {
	st := Step{
		ID: q.ID, Type: q.Type, Prompt: q.Prompt.In(lang), Help: q.Help.In(lang),
		Optional: q.Optional, MaxLen: q.MaxLen, Min: q.Min, Max: q.Max,
		PoliceOnly: q.PoliceOnly, Urgent: q.Urgent, Number: number,
	}
	for _, o := range q.Options {
		st.Options = append(st.Options, Choice{ID: o.ID, Label: o.Label.In(lang)})
	}
	return st
}

// wantText is the problem for a non-text input at a step that needs text.
func wantText(in Input) *problem {
	switch in.Kind {
	case bot.KindPhoto:
		return newProblem("flows.step.want_text_not_photo")
	case bot.KindText, bot.KindCallback:
		return newProblem("flows.step.empty")
	}
	return newProblem("flows.step.want_text")
}
