package flows

import (
	"fmt"
	"strconv"
	"time"

	"github.com/anttbot/anttbot/campaign"
	"github.com/anttbot/anttbot/store"
)

// Report is a confirmed report ready to be written: the store.Submission
// fields flows decides, plus the tip source that must never go into the
// answers. It is kept in the session while the database cannot take it.
type Report struct {
	Kind        string             `json:"kind"`
	Answers     map[string]any     `json:"answers"`
	Attachments []store.Attachment `json:"attachments,omitempty"`
	Lat         *float64           `json:"lat,omitempty"`
	Lon         *float64           `json:"lon,omitempty"`
	OccurredAt  time.Time          `json:"occurred_at"`
	ReporterID  int64              `json:"reporter"`
	TeamID      int64              `json:"team"`
	PhaseID     string             `json:"phase,omitempty"`
	Urgent      bool               `json:"urgent,omitempty"`
	Key         string             `json:"key"`
	// Source is the answer of the PoliceOnly question (who gave a tip).
	Source string `json:"source,omitempty"`
}

// Submission returns the row to store.
func (r Report) Submission() store.Submission {
	return store.Submission{
		Kind: r.Kind, Status: store.StatusPending, Answers: store.JSONMap(r.Answers),
		Attachments: store.JSONList(r.Attachments), Lat: r.Lat, Lon: r.Lon,
		OccurredAt: r.OccurredAt, ReporterID: r.ReporterID, TeamID: r.TeamID,
		PhaseID: r.PhaseID, Urgent: r.Urgent, IdempotencyKey: r.Key,
	}
}

// idempotencyKey derives the stored report's key from the draft: the same
// draft confirmed twice (a double tap, a re-delivered update, a retry after
// an outage) is written once.
func idempotencyKey(channel, chatID, draftID string) string {
	return "flows:" + channel + ":" + chatID + ":" + draftID
}

// BuildReport turns a confirmed report draft into a Report. The answers are
// keyed by question ID; a photo becomes an attachment, a location the
// report's coordinates, the Urgent question's "yes" the Urgent flag, and the
// PoliceOnly answer the Source, never an answer.
func (e *Engine) BuildReport(d *Draft, channel, chatID string) (Report, error) {
	k, ok := e.camp.Kind(d.Kind)
	if !ok {
		return Report{}, fmt.Errorf("flows: build report: unknown kind %q", d.Kind)
	}
	r := Report{
		Kind: k.ID, Answers: map[string]any{}, ReporterID: d.ReporterID, TeamID: d.TeamID,
		OccurredAt: d.Started, Key: idempotencyKey(channel, chatID, d.ID),
	}
	dated := false
	for _, q := range k.Questions {
		a, ok := d.Answers[q.ID]
		if !ok || a.Skipped {
			continue
		}
		var v any
		switch q.Type {
		case campaign.QChoice, campaign.QText:
			v = a.Text
		case campaign.QNumber:
			if a.Number != nil {
				v = *a.Number
			}
		case campaign.QDate:
			v = a.Text
			if day, err := campaign.ParseDate(a.Text); err == nil && !dated {
				r.OccurredAt, dated = e.occurredAt(day, a.At), true
			}
		case campaign.QYesNo:
			if a.Yes != nil {
				v = *a.Yes
				r.Urgent = r.Urgent || (q.Urgent && *a.Yes)
			}
		case campaign.QPhoto:
			if a.Photo != nil {
				r.Attachments = append(r.Attachments, store.Attachment{
					Type: store.AttachmentPhoto, Channel: channel,
					FileID: a.Photo.FileID, URL: a.Photo.URL, Caption: a.Photo.Caption,
				})
				v = map[string]any{"attachment": len(r.Attachments) - 1}
			}
		case campaign.QLocation:
			if a.Lat != nil && a.Lon != nil {
				if r.Lat == nil {
					r.Lat, r.Lon = a.Lat, a.Lon
				}
				v = map[string]any{"lat": *a.Lat, "lon": *a.Lon}
			}
		}
		if v == nil {
			continue
		}
		if q.PoliceOnly {
			r.Source = sourceText(q, v)
			continue
		}
		r.Answers[q.ID] = v
	}
	if p, ok := e.camp.PhaseAt(r.OccurredAt, e.loc); ok {
		r.PhaseID = p.ID
	}
	return r, nil
}

// occurredAt places a reported day in time: the moment of answering when it
// was today, otherwise noon of that day, safely inside it in any zone offset
// a reader might apply.
func (e *Engine) occurredAt(day campaign.Date, answered time.Time) time.Time {
	if campaign.DateOf(answered, e.loc) == day {
		return answered
	}
	return day.In(e.loc).Add(12 * time.Hour)
}

// sourceText writes a PoliceOnly answer as the stored source text.
func sourceText(q campaign.Question, v any) string {
	switch x := v.(type) {
	case string:
		if o, ok := q.Option(x); ok {
			return o.Label.In(campaign.LangVI)
		}
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	}
	return fmt.Sprint(v)
}
