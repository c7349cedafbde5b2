package simulator

import (
	"time"

	"github.com/anttbot/anttbot/bot"
)

// Who wrote a message.
const (
	fromBot  = "bot"
	fromUser = "user"
)

// entry is one message in a chat as the page receives it.
type entry struct {
	ID   string    `json:"id"`
	Rev  int64     `json:"rev"`
	From string    `json:"from"`
	Time time.Time `json:"time"`

	Text         string          `json:"text,omitempty"`
	Buttons      [][]buttonView  `json:"buttons,omitempty"`
	PhotoURL     string          `json:"photo_url,omitempty"`
	PhotoMissing bool            `json:"photo_missing,omitempty"`
	Attachment   *attachmentView `json:"attachment,omitempty"`
	Contact      *contactView    `json:"contact,omitempty"`
	Location     *locationView   `json:"location,omitempty"`
	// Toast is the short notice a button tap was answered with.
	Toast  string `json:"toast,omitempty"`
	Edited bool   `json:"edited,omitempty"`
	// Failed marks a user message the bot never received.
	Failed bool `json:"failed,omitempty"`
}

type buttonView struct {
	Label string `json:"label"`
	Data  string `json:"data"`
	// URL makes the button a link (bot.Button.URL).
	URL string `json:"url,omitempty"`
}

type attachmentView struct {
	URL     string `json:"url"`
	Name    string `json:"name"`
	MIME    string `json:"mime"`
	IsImage bool   `json:"is_image"`
	Caption string `json:"caption,omitempty"`
}

type contactView struct {
	Phone string `json:"phone"`
	Name  string `json:"name"`
}

type locationView struct {
	Lat float64 `json:"lat"`
	Lon float64 `json:"lon"`
}

// messagesPage answers GET /api/messages.
type messagesPage struct {
	// Rev is the cursor to pass as "after" next time.
	Rev int64 `json:"rev"`
	// Reset tells the page to drop what it shows and take Messages as the whole history.
	Reset            bool    `json:"reset"`
	ContactRequested bool    `json:"contact_requested"`
	Messages         []entry `json:"messages"`
}

// personView is a Person as GET /api/people gives it.
type personView struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	Phone     string `json:"phone"`
	RoleLabel string `json:"role_label"`
	UnitLabel string `json:"unit_label"`
}

func buttonsView(rows [][]bot.Button) [][]buttonView {
	if len(rows) == 0 {
		return nil
	}
	out := make([][]buttonView, 0, len(rows))
	for _, row := range rows {
		r := make([]buttonView, 0, len(row))
		for _, b := range row {
			r = append(r, buttonView{Label: b.Label, Data: b.Data, URL: b.URL})
		}
		if len(r) > 0 {
			out = append(out, r)
		}
	}
	return out
}
