package flows

import (
	"strconv"
	"strings"

	"github.com/anttbot/anttbot/bot"
)

// Input is one thing the user did, as the engine sees it: text already
// cleaned, a button tap already split into its parts.
type Input struct {
	Kind bot.UpdateKind
	// Text is the cleaned text of a message (or a photo's caption).
	Text string
	// Tap is set for a tap on a step button (see stepData).
	Tap *Tap
	// Photo, Location and Contact come from the update of that kind.
	Photo    *bot.Media
	Location *bot.Location
	Contact  *bot.Contact
	// OwnContact is true when Contact is the sender's own, verified number.
	OwnContact bool
	// Channel is where the input came from (attachments record it).
	Channel string
}

// Tap is a tap on a button that belongs to one question of one draft.
type Tap struct {
	Draft string
	Seq   int
	Code  string
}

// Button codes of step buttons. Option i of a choice is "o<i>".
const (
	codeBack      = "b"
	codeCancel    = "x"
	codeSkip      = "s"
	codeConfirm   = "ok"
	codeYes       = "y"
	codeNo        = "n"
	codeToday     = "d0"
	codeYesterday = "d1"
	codeResume    = "rs"
	codeDrop      = "dr"
)

// maxDraftID bounds draft ids so that button data stays within the 40 bytes
// the adapters can sign and carry.
const maxDraftID = 16

// stepData is the data of a button of the draft's current question:
// "<draft id>.<seq>.<code>". The draft id and the sequence number make a tap
// on an older message recognisable, whatever the code says.
func stepData(d *Draft, code string) string {
	return d.ID + "." + strconv.Itoa(d.Seq) + "." + code
}

// parseTap splits step button data; ok is false for anything else.
func parseTap(data string) (Tap, bool) {
	parts := strings.SplitN(data, ".", 3)
	if len(parts) != 3 || parts[0] == "" || len(parts[0]) > maxDraftID || parts[2] == "" {
		return Tap{}, false
	}
	for _, r := range parts[0] {
		if !isIDRune(r) {
			return Tap{}, false
		}
	}
	seq, err := strconv.Atoi(parts[1])
	if err != nil || seq < 0 {
		return Tap{}, false
	}
	return Tap{Draft: parts[0], Seq: seq, Code: parts[2]}, true
}

func isIDRune(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-'
}

// btn is a shorthand for one button.
func btn(label, data string) bot.Button { return bot.Button{Label: label, Data: data} }
