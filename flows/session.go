package flows

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/anttbot/anttbot/store"
)

// SessionVersion is the version of the session JSON this code writes. Bump it
// when a change makes older sessions unreadable; decodeSession then drops an
// older session with a message instead of misreading it.
const SessionVersion = 1

// Flow names.
const (
	flowReport = "report"
	flowInvite = "invite"
)

// Session is one chat's conversation state. It is stored as JSON, so field
// names are part of the stored format: rename them only with a new version.
type Session struct {
	V       int    `json:"v"`
	Channel string `json:"ch"`
	ChatID  string `json:"chat"`
	// Lang is the language chosen in a chat that is not linked to a person yet
	// (a linked chat keeps its choice on the identity).
	Lang string `json:"lang,omitempty"`
	// Who remembers the linked person, so a flow can go on while the
	// database is briefly unreachable.
	Who *Who `json:"who,omitempty"`
	// Draft is the flow in progress, nil when none.
	Draft *Draft `json:"draft,omitempty"`
	// Pending are confirmed reports the database could not take yet; Tick
	// retries them.
	Pending []Pending `json:"pending,omitempty"`
	// Prompt is a typed answer an extension waits for (see extend.go).
	Prompt *Prompt `json:"prompt,omitempty"`
	// Sent remembers the last confirmed reports, newest last, so a second tap
	// on an old confirm button can answer with the same reference number.
	Sent []Receipt `json:"sent,omitempty"`
	// Seen is when the user last did something in this chat.
	Seen time.Time `json:"seen"`
	// Last is the id of the update whose turn was saved last, so that a
	// replay of it after a crash is not applied twice.
	Last string `json:"last,omitempty"`
}

// Who is the person a chat is linked to, as last read from the store.
type Who struct {
	PersonID int64      `json:"id"`
	Name     string     `json:"name"`
	Role     store.Role `json:"role"`
	UnitID   int64      `json:"unit"`
}

// Draft is a flow in progress: which flow, where in it, and the answers so far.
type Draft struct {
	// ID is unique per draft; it keys the stored report (idempotency) and
	// goes into every button of the draft so a tap on another draft's button
	// is recognised.
	ID   string `json:"id"`
	Flow string `json:"flow"`
	// Kind is the report kind, "" while it is being chosen.
	Kind string `json:"kind,omitempty"`
	// Step is the ID of the step being asked.
	Step string `json:"step"`
	// Seq counts the questions asked; buttons carry it so only the latest
	// question's buttons work.
	Seq int `json:"seq"`
	// Trail holds the steps answered before Step, for "back".
	Trail   []string          `json:"trail,omitempty"`
	Answers map[string]Answer `json:"answers,omitempty"`
	// Invite is the invite code an invite flow redeems.
	Invite string `json:"invite,omitempty"`
	// Data is what a tool (see tool.go) was started with.
	Data map[string]string `json:"data,omitempty"`
	// Reporter is who reports and for which team, fixed when the report starts.
	ReporterID int64     `json:"reporter,omitempty"`
	TeamID     int64     `json:"team,omitempty"`
	Started    time.Time `json:"started"`
	// Reminded is set once the idle reminder went out.
	Reminded bool `json:"reminded,omitempty"`
}

// Answer is the answer to one step.
type Answer struct {
	Skipped bool `json:"skipped,omitempty"`
	// Text is the text typed, the option chosen, the date (YYYY-MM-DD) or the phone (E.164).
	Text   string   `json:"text,omitempty"`
	Number *float64 `json:"num,omitempty"`
	Yes    *bool    `json:"yes,omitempty"`
	Photo  *Photo   `json:"photo,omitempty"`
	Lat    *float64 `json:"lat,omitempty"`
	Lon    *float64 `json:"lon,omitempty"`
	// At is when the answer was given; a date answered "today" uses it as the time of day.
	At time.Time `json:"at"`
}

// Photo is a photo kept on the platform.
type Photo struct {
	FileID  string `json:"file_id,omitempty"`
	URL     string `json:"url,omitempty"`
	Caption string `json:"caption,omitempty"`
}

// Pending is a confirmed report waiting to be written to the database.
type Pending struct {
	DraftID  string    `json:"draft"`
	Report   Report    `json:"report"`
	Attempts int       `json:"attempts"`
	NextAt   time.Time `json:"next_at"`
	Since    time.Time `json:"since"`
}

// Receipt says which stored report a draft became.
type Receipt struct {
	DraftID string `json:"draft"`
	Ref     int64  `json:"ref"`
	Kind    string `json:"kind"`
}

// maxReceipts bounds Session.Sent.
const maxReceipts = 5

// receipt returns the receipt of a draft, if it was stored.
func (s *Session) receipt(draftID string) (Receipt, bool) {
	for _, r := range s.Sent {
		if r.DraftID == draftID {
			return r, true
		}
	}
	return Receipt{}, false
}

// addReceipt remembers that draftID became report ref.
func (s *Session) addReceipt(r Receipt) {
	if _, ok := s.receipt(r.DraftID); ok {
		return
	}
	s.Sent = append(s.Sent, r)
	if len(s.Sent) > maxReceipts {
		s.Sent = s.Sent[len(s.Sent)-maxReceipts:]
	}
}

// pending returns the index of the pending save of a draft, or -1.
func (s *Session) pending(draftID string) int {
	for i, p := range s.Pending {
		if p.DraftID == draftID {
			return i
		}
	}
	return -1
}

// errSessionVersion means the stored session was written by code this
// version cannot read.
type errSessionVersion struct {
	got int
	// kind is the report kind of the lost draft when it could be read, so
	// the user can be offered to restart it.
	kind string
}

func (e *errSessionVersion) Error() string {
	return fmt.Sprintf("flows: session version %d, this code reads %d", e.got, SessionVersion)
}

// decodeSession reads a stored session. A session of another version, or
// one that does not parse, is reported as *errSessionVersion.
func decodeSession(data []byte) (*Session, error) {
	// One pass for the current version (every update reads its session);
	// only a session of another version is read again, for its kind.
	var s Session
	if err := json.Unmarshal(data, &s); err == nil && s.V == SessionVersion {
		return &s, nil
	}
	var head struct {
		V     int `json:"v"`
		Draft *struct {
			Kind string `json:"kind"`
		} `json:"draft"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return nil, &errSessionVersion{got: -1}
	}
	e := &errSessionVersion{got: head.V}
	if head.Draft != nil {
		e.kind = head.Draft.Kind
	}
	return nil, e
}

// encode writes the session as stored JSON.
func (s *Session) encode() ([]byte, error) {
	s.V = SessionVersion
	b, err := json.Marshal(s)
	if err != nil {
		return nil, fmt.Errorf("flows: encode session: %w", err)
	}
	return b, nil
}
