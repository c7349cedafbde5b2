package flows

import (
	"github.com/anttbot/anttbot/bot"
)

// photoStep takes one photo; a file, sticker or text is refused with a hint.
type photoStep struct{}

func (photoStep) buttons(*turn, *Step, *Draft) [][]bot.Button { return nil }

func (photoStep) accept(t *turn, st *Step, in Input) (Answer, *problem) {
	if in.Kind != bot.KindPhoto || in.Photo == nil || (in.Photo.FileID == "" && in.Photo.URL == "") {
		if in.Kind == bot.KindFile {
			return Answer{}, newProblem("flows.photo.file_not_photo")
		}
		return Answer{}, newProblem("flows.photo.want_photo")
	}
	return Answer{Photo: &Photo{FileID: in.Photo.FileID, URL: in.Photo.URL, Caption: in.Text}, At: t.now}, nil
}
