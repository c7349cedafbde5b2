// Package tips carries a tip (nguồn tin) from the member who reported it to
// the police, and the police's answer back:
//
//   - When a member confirms a report of a kind the campaign marks
//     notify_police, the push to every linked officer of the commune police
//     is queued in the same transaction that stores the report. With no
//     officer linked there, it goes straight to the next level up.
//   - The pushed message has buttons: received, verified, not verified
//     (with an optional reason asked next) and ask for more. The first
//     officer to act wins (compare-and-set); every pushed copy of the tip is
//     then edited to say who did what, and the reporter is told.
//   - "Ask for more" delivers the officer's question to the reporter, whose
//     answer is stored with the tip and delivered to the officer.
//   - Escalate, run periodically, pushes a tip nobody acted on in time to the
//     next level up (district police, or province police when there is no
//     district), once per tip and level.
//
// Tips are sensitive: their text and source only ever go to the reporter
// and the police chain above them, every push and every status change is
// audited, and logs carry ids only.
package tips

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/anttbot/anttbot/access"
	"github.com/anttbot/anttbot/bot"
	"github.com/anttbot/anttbot/campaign"
	"github.com/anttbot/anttbot/store"
)

// Delivery kinds of the jobs this package queues (besides the queue's own
// KindTipNew and KindTipStatus).
const (
	KindTipEscalation = "tip_escalation" // a tip pushed one level up
	KindTipPhoto      = "tip_photo"      // the photo of a tip, after its text
	KindTipUpdate     = "tip_update"     // an edit of a pushed tip after a change
	KindTipQuestion   = "tip_question"   // a police question to the reporter
	KindTipAnswer     = "tip_answer"     // the reporter's answer to the officer
)

// Audit actions written by this package (status changes are audited by
// store.SetSubmissionStatus, police reads by access.Policy).
const (
	AuditEscalated = "tip.escalated"
	AuditUnrouted  = "tip.unrouted" // no officer could be found at any level
	AuditAsked     = "tip.ask"
	AuditAnswered  = "tip.answer"
)

// Translator looks up user-facing text (*locales.Catalog implements it).
type Translator interface {
	T(lang, key string, args ...any) string
}

// Deps are the collaborators of Tips.
type Deps struct {
	// Store is the database; tips queue deliveries in its transactions.
	Store *store.Store
	// Policy decides who may read and act on a tip. It should treat the
	// campaign's sensitive kinds as tips (access.WithSensitiveKinds).
	Policy *access.Policy
	// Text is the message catalogue.
	Text Translator
	// Campaign says which kinds notify the police and how to show answers;
	// nil means campaign.Default().
	Campaign *campaign.Campaign
	// Log defaults to slog.Default().
	Log *slog.Logger
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Options tune Tips. Zero values take the defaults.
type Options struct {
	// Escalation is how long a tip may wait for an officer to act before it
	// goes one level up (config delivery.tip_escalation, default 4h).
	Escalation time.Duration
	// EscalationUrgent is the same for urgent tips (delivery.tip_escalation_urgent, default 30m).
	EscalationUrgent time.Duration
	// Location is the time zone times are shown in (default Asia/Ho_Chi_Minh).
	Location *time.Location
	// DefaultLang is the language of a person with no known preference (default "vi").
	DefaultLang string
	// AnswerWindow is how long after a question the reporter's next free text
	// is taken as the answer (default 7 days).
	AnswerWindow time.Duration
	// MaxText bounds a question, answer or reason, in characters (default 1000).
	MaxText int
	// EscalationBatch bounds the tips one Escalate run looks at (default 500).
	EscalationBatch int
}

func (o Options) withDefaults() Options {
	if o.Escalation <= 0 {
		o.Escalation = 4 * time.Hour
	}
	if o.EscalationUrgent <= 0 {
		o.EscalationUrgent = 30 * time.Minute
	}
	if o.Location == nil {
		if loc, err := time.LoadLocation("Asia/Ho_Chi_Minh"); err == nil {
			o.Location = loc
		} else {
			o.Location = time.FixedZone("ICT", 7*3600)
		}
	}
	if o.DefaultLang == "" {
		o.DefaultLang = "vi"
	}
	if o.AnswerWindow <= 0 {
		o.AnswerWindow = 7 * 24 * time.Hour
	}
	if o.MaxText <= 0 {
		o.MaxText = 1000
	}
	if o.EscalationBatch <= 0 {
		o.EscalationBatch = 500
	}
	return o
}

// Tips pushes tips to the police and handles what the police and the
// reporter do with them. It is safe for concurrent use.
type Tips struct {
	st     *store.Store
	policy *access.Policy
	tr     Translator
	camp   *campaign.Campaign
	log    *slog.Logger
	now    func() time.Time
	opts   Options
}

// New returns Tips. Deps.Store, Policy and Text are required.
func New(deps Deps, opts Options) *Tips {
	if deps.Campaign == nil {
		deps.Campaign = campaign.Default()
	}
	if deps.Log == nil {
		deps.Log = slog.Default()
	}
	if deps.Now == nil {
		deps.Now = time.Now
	}
	return &Tips{
		st: deps.Store, policy: deps.Policy, tr: deps.Text, camp: deps.Campaign,
		log: deps.Log.With("comp", "tips"), now: deps.Now, opts: opts.withDefaults(),
	}
}

// Notifies reports whether confirmed reports of kind are pushed to the police.
func (t *Tips) Notifies(kind string) bool {
	k, ok := t.camp.Kind(kind)
	return ok && k.NotifyPolice
}

// kinds are the report kinds pushed to the police.
func (t *Tips) kinds() []string {
	var out []string
	for _, k := range t.camp.Kinds {
		if k.NotifyPolice {
			out = append(out, k.ID)
		}
	}
	return out
}

// Request is one thing a person did that reached tips: a tap on one of its
// buttons, the text answering one of its prompts, or free text.
type Request struct {
	Person store.Person
	// Lang is the language to answer in.
	Lang string
	// Data is the button data (HandleCallback) or the prompt's data (HandlePrompt).
	Data string
	// Text is what the person typed (HandlePrompt, HandleText).
	Text string
}

// Reply is the answer to a Request.
type Reply struct {
	// Messages go back to the chat the request came from (ChatID is filled by the caller).
	Messages []bot.Message
	// Toast is the short acknowledgement of a button tap, where the platform shows one.
	Toast string
	// Prompt, when set, asks the caller to send the chat's next typed text
	// to HandlePrompt with this data; nil ends any prompt in progress.
	Prompt *Prompt
}

// Prompt is a question tips is waiting for the answer to.
type Prompt struct {
	// Data names what the answer is for; it is handed back to HandlePrompt.
	Data string
	// Expires is when an unanswered prompt is dropped.
	Expires time.Time
}

// Button data and prompt data: "tip:<verb>:<id>". Keep them short:
// Telegram allows 64 bytes of button data.
const (
	dataPrefix = "tip:"

	verbReceive = "rcv"  // button: received
	verbVerify  = "ok"   // button: verified
	verbReject  = "no"   // button: not verified
	verbAsk     = "ask"  // button: ask for more (officer); prompt: the question
	verbReason  = "why"  // prompt: reason of a rejection
	verbSkip    = "skip" // button: no reason
	verbAnswer  = "ans"  // button: answer a question (reporter); prompt: the answer
)

// IsData reports whether button or prompt data belongs to tips.
func IsData(data string) bool { return strings.HasPrefix(data, dataPrefix) }

func data(verb string, id int64) string { return dataPrefix + verb + ":" + strconv.FormatInt(id, 10) }

// parseData splits "tip:<verb>:<id>".
func parseData(s string) (verb string, id int64, ok bool) {
	rest, found := strings.CutPrefix(s, dataPrefix)
	if !found {
		return "", 0, false
	}
	verb, num, found := strings.Cut(rest, ":")
	if !found {
		return "", 0, false
	}
	id, err := strconv.ParseInt(num, 10, 64)
	if err != nil || id <= 0 {
		return "", 0, false
	}
	return verb, id, true
}

// errStale is a tap or prompt on something that no longer exists or makes sense.
var errStale = errors.New("tips: stale data")

// say is a Reply with one message and the same text as toast.
func say(text string, buttons ...[]bot.Button) Reply {
	return Reply{Messages: []bot.Message{{Text: text, Buttons: buttons}}, Toast: firstLine(text)}
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

// refused turns an access denial into its localized message; other errors pass.
func (t *Tips) refused(lang string, err error) (Reply, error) {
	if d, ok := access.IsDenied(err); ok {
		return say(t.tr.T(lang, d.MessageKey)), nil
	}
	return Reply{}, err
}

// timeText writes an instant the way the users read it: "21:30 02/03/2025".
func (t *Tips) timeText(at time.Time) string {
	return at.In(t.opts.Location).Format("15:04 02/01/2006")
}

// truncate shortens s to at most n characters.
func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

func fmtErr(what string, id int64, err error) error {
	return fmt.Errorf("tips: %s %d: %w", what, id, err)
}

func audit(ctx context.Context, st *store.Store, actorID int64, action string, subID int64, detail string) error {
	e := store.AuditLog{Action: action, SubjectType: "submission", SubjectID: strconv.FormatInt(subID, 10), Detail: detail}
	if actorID != 0 {
		e.ActorID = &actorID
	}
	return st.Audit(ctx, e)
}
