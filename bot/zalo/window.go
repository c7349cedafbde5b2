package zalo

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/anttbot/anttbot/bot"
	"github.com/anttbot/anttbot/phone"
)

// Reachable says whether a CS message may be sent at now to a user whose
// last interaction was lastInteraction (zero: never).
func (a *Adapter) Reachable(lastInteraction, now time.Time) bool {
	return !lastInteraction.IsZero() && now.Sub(lastInteraction) < a.cfg.InteractionWindow
}

// SendScheduled delivers a message nobody is waiting for (reminders,
// digests). Inside the interaction window it is a normal Send. Outside it,
// or when Zalo says the window closed (-230/-232) or the user no longer
// follows, the ZNS template goes to phone with templateData when
// ZNSTemplateID is configured; otherwise the result is an UnreachableError
// with ReasonOutsideWindow (ReasonNoPhone when ZNS is configured but the
// phone is unknown).
func (a *Adapter) SendScheduled(ctx context.Context, m bot.Message, lastInteraction time.Time, phoneNumber string, templateData map[string]string) (bot.Sent, error) {
	if a.Reachable(lastInteraction, a.now()) {
		sent, err := a.Send(ctx, m)
		if err == nil {
			return sent, nil
		}
		if r := UnreachableReason(err); r != ReasonOutsideWindow && r != ReasonNotFollower {
			return sent, err
		}
		// Our record of the last interaction was more generous than Zalo's.
		a.log.Info("cs message refused, trying zns", "reason", UnreachableReason(err))
		if a.cfg.ZNSTemplateID == "" {
			return sent, err
		}
	}
	if a.cfg.ZNSTemplateID == "" {
		return bot.Sent{}, fmt.Errorf("zalo: scheduled message: %w", &UnreachableError{Reason: ReasonOutsideWindow})
	}
	if strings.TrimSpace(phoneNumber) == "" {
		return bot.Sent{}, fmt.Errorf("zalo: scheduled message: %w", &UnreachableError{Reason: ReasonNoPhone})
	}
	return a.SendZNS(ctx, phoneNumber, templateData)
}

// SendZNS sends the configured ZNS template to a phone number (any common
// Vietnamese notation; Zalo wants 84xxxxxxxxx).
func (a *Adapter) SendZNS(ctx context.Context, phoneNumber string, templateData map[string]string) (bot.Sent, error) {
	if a.cfg.ZNSTemplateID == "" {
		return bot.Sent{}, errors.New("zalo: zns: no template configured")
	}
	e164, err := phone.Normalize(phoneNumber)
	if err != nil {
		return bot.Sent{}, fmt.Errorf("zalo: zns: %w", &UnreachableError{Reason: ReasonInvalidPhone, Err: err})
	}
	if templateData == nil {
		templateData = map[string]string{}
	}
	var b [16]byte
	_, _ = rand.Read(b[:])
	req, err := jsonRequest(apiZNS, "zns send", a.cfg.ZNSURL+"/message/template", map[string]any{
		"phone":         strings.TrimPrefix(e164, "+"),
		"template_id":   a.cfg.ZNSTemplateID,
		"template_data": templateData,
		"tracking_id":   hex.EncodeToString(b[:]),
	})
	if err != nil {
		return bot.Sent{}, err
	}
	data, err := a.call(ctx, req)
	if err != nil {
		return bot.Sent{}, err
	}
	var d struct {
		MsgID flexString `json:"msg_id"`
	}
	if err := json.Unmarshal(data, &d); err != nil {
		return bot.Sent{}, fmt.Errorf("zalo: zns send: decode data: %w", err)
	}
	return bot.Sent{MessageID: string(d.MsgID)}, nil
}
