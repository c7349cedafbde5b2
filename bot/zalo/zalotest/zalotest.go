// Package zalotest helps test code that talks to Zalo: it signs webhook
// payloads the way Zalo does, builds real-shaped events, and runs a fake OA
// API (CS messages, uploads, OAuth with single-use refresh tokens, ZNS) that
// records every request. Use it in the adapter's tests and in end-to-end or
// load tests of the whole service.
package zalotest

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// Sign returns the X-ZEvent-Signature value Zalo sends with body:
// "mac=" + hex(SHA-256(appID + body + timestamp + oaSecretKey)).
func Sign(appID string, body []byte, timestamp, oaSecretKey string) string {
	h := sha256.New()
	h.Write([]byte(appID))
	h.Write(body)
	h.Write([]byte(timestamp))
	h.Write([]byte(oaSecretKey))
	return "mac=" + hex.EncodeToString(h.Sum(nil))
}

// SignBody signs body with the app_id and timestamp it contains.
func SignBody(body []byte, oaSecretKey string) (string, error) {
	var head struct {
		AppID     json.RawMessage `json:"app_id"`
		Timestamp json.RawMessage `json:"timestamp"`
	}
	if err := json.Unmarshal(body, &head); err != nil {
		return "", fmt.Errorf("zalotest: sign: %w", err)
	}
	return Sign(literal(head.AppID), body, literal(head.Timestamp), oaSecretKey), nil
}

// literal returns a JSON string's content or a number's digits.
func literal(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	return string(bytes.TrimSpace(raw))
}

// WebhookRequest builds a signed webhook POST of body to target, as Zalo sends it.
func WebhookRequest(target string, body []byte, oaSecretKey string) (*http.Request, error) {
	sig, err := SignBody(body, oaSecretKey)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequest(http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("zalotest: webhook request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-ZEvent-Signature", sig)
	return req, nil
}

// ms is Zalo's timestamp: epoch milliseconds as a string.
func ms(t time.Time) string { return strconv.FormatInt(t.UnixMilli(), 10) }

// byApp makes a stable stand-in for the user's app-scoped id.
func byApp(userID string) string { return "9" + userID }

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // only maps of strings are marshalled here
	}
	return b
}

// TextEvent is a user_send_text webhook body (a typed text, or a tapped
// button when text is the button payload).
func TextEvent(appID, oaID, userID, msgID, text string, at time.Time) []byte {
	return mustJSON(map[string]any{
		"app_id": appID, "user_id_by_app": byApp(userID),
		"event_name": "user_send_text", "timestamp": ms(at),
		"sender": map[string]string{"id": userID}, "recipient": map[string]string{"id": oaID},
		"message": map[string]string{"msg_id": msgID, "text": text},
	})
}

// FollowEvent is a follow webhook body (its envelope has no sender).
func FollowEvent(appID, oaID, userID string, at time.Time) []byte {
	return mustJSON(map[string]any{
		"oa_id": oaID, "follower": map[string]string{"id": userID}, "user_id_by_app": byApp(userID),
		"event_name": "follow", "source": "oa_profile", "app_id": appID, "timestamp": ms(at),
	})
}

// SubmitInfoEvent is a user_submit_info webhook body: the user answered a
// request_user_info card with their name and Zalo phone number.
func SubmitInfoEvent(appID, oaID, userID, name, phone string, at time.Time) []byte {
	return mustJSON(map[string]any{
		"app_id": appID, "event_name": "user_submit_info", "timestamp": ms(at),
		"sender": map[string]string{"id": userID}, "recipient": map[string]string{"id": oaID},
		"info": map[string]string{"name": name, "phone": phone, "address": "", "city": "", "district": "", "ward": ""},
	})
}
