package loadtest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// Zalo API paths the fake serves.
const (
	zaloPathCS    = "/v3.0/oa/message/cs"
	zaloPathToken = "/v4/oa/access_token"
)

// fakeZalo is a minimal Zalo OA API: OAuth refresh (any refresh token is
// good once), CS messages handed to the recipient's simulated user, and
// success for anything else (uploads, ZNS).
type fakeZalo struct {
	rt     *router
	seq    atomic.Int64
	nextID atomic.Int64
}

func (f *fakeZalo) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	at := time.Now()
	w.Header().Set("Content-Type", "application/json")
	switch r.URL.Path {
	case zaloPathToken:
		n := f.seq.Add(1)
		_ = json.NewEncoder(w).Encode(map[string]any{
			"access_token": fmt.Sprintf("at-%d", n), "refresh_token": fmt.Sprintf("rt-%d", n), "expires_in": "90000",
		})
	case zaloPathCS:
		body, err := io.ReadAll(r.Body)
		if err != nil {
			_ = json.NewEncoder(w).Encode(map[string]any{"error": -201, "message": "body is invalid"})
			return
		}
		rcp, reply := parseCS(body)
		if rcp == "" {
			_ = json.NewEncoder(w).Encode(map[string]any{"error": -201, "message": "user_id is invalid"})
			return
		}
		reply.At = at
		reply.MessageID = strconv.FormatInt(f.nextID.Add(1), 10)
		f.rt.deliver(rcp, reply)
		_ = json.NewEncoder(w).Encode(map[string]any{"error": 0, "message": "Success", "data": map[string]any{
			"message_id": fmt.Sprintf("%020x", f.nextID.Load()), "user_id": rcp,
			"sent_time": strconv.FormatInt(at.UnixMilli(), 10),
			"quota":     map[string]string{"quota_type": "reply", "remain": "8", "total": "8"},
		}})
	default:
		_ = json.NewEncoder(w).Encode(map[string]any{"error": 0, "message": "Success", "data": map[string]any{
			"attachment_id": "att-1", "token": "ftk-1", "msg_id": "1", "sent_time": strconv.FormatInt(at.UnixMilli(), 10),
		}})
	}
}

// parseCS reads a CS message: its recipient, text (with a template's element
// title and subtitle) and buttons (title → payload).
func parseCS(body []byte) (string, Reply) {
	var m struct {
		Recipient struct {
			UserID string `json:"user_id"`
		} `json:"recipient"`
		Message struct {
			Text       string `json:"text"`
			Attachment *struct {
				Payload struct {
					Buttons []struct {
						Title   string          `json:"title"`
						Payload json.RawMessage `json:"payload"`
					} `json:"buttons"`
					Elements []struct {
						Title    string `json:"title"`
						Subtitle string `json:"subtitle"`
					} `json:"elements"`
				} `json:"payload"`
			} `json:"attachment"`
		} `json:"message"`
	}
	if json.Unmarshal(body, &m) != nil {
		return "", Reply{}
	}
	r := Reply{Text: m.Message.Text}
	if a := m.Message.Attachment; a != nil {
		for _, el := range a.Payload.Elements {
			r.Text += el.Title + "\n" + el.Subtitle
		}
		for _, b := range a.Payload.Buttons {
			var s string
			if json.Unmarshal(b.Payload, &s) != nil {
				s = string(b.Payload)
			}
			r.Buttons = append(r.Buttons, Button{Label: b.Title, Data: s})
		}
	}
	return m.Recipient.UserID, r
}

// zaloClient posts signed webhook events to the service, as Zalo does.
type zaloClient struct {
	hc     *http.Client
	url    string
	appID  string
	oaID   string
	oaKey  string
	nextID atomic.Int64
}

// zaloSign returns the X-ZEvent-Signature Zalo sends with body:
// "mac=" + hex(SHA-256(appID + body + timestamp + oaSecretKey)).
func zaloSign(appID string, body []byte, timestamp, oaSecretKey string) string {
	h := sha256.New()
	h.Write([]byte(appID))
	h.Write(body)
	h.Write([]byte(timestamp))
	h.Write([]byte(oaSecretKey))
	return "mac=" + hex.EncodeToString(h.Sum(nil))
}

type zaloID struct {
	ID string `json:"id"`
}

type zaloEvent struct {
	AppID     string            `json:"app_id"`
	ByApp     string            `json:"user_id_by_app,omitempty"`
	EventName string            `json:"event_name"`
	Timestamp string            `json:"timestamp"`
	Sender    zaloID            `json:"sender"`
	Recipient zaloID            `json:"recipient"`
	Message   map[string]string `json:"message,omitempty"`
	Info      map[string]string `json:"info,omitempty"`
}

func (c *zaloClient) event(m *member, name string) zaloEvent {
	// Distinct millisecond stamps keep events of one user ordered.
	ts := strconv.FormatInt(time.Now().UnixMilli()+c.nextID.Add(1), 10)
	return zaloEvent{AppID: c.appID, EventName: name, Timestamp: ts, Sender: zaloID{m.zaloID}, Recipient: zaloID{c.oaID}}
}

func (c *zaloClient) say(ctx context.Context, m *member, text string) error {
	e := c.event(m, "user_send_text")
	e.ByApp = "9" + m.zaloID
	e.Message = map[string]string{"msg_id": fmt.Sprintf("load%012d", c.nextID.Add(1)), "text": text}
	return c.post(ctx, e)
}

func (c *zaloClient) contact(ctx context.Context, m *member) error {
	e := c.event(m, "user_submit_info")
	e.Info = map[string]string{"name": m.name, "phone": m.intlPhone[1:], "address": "", "city": "", "district": "", "ward": ""}
	return c.post(ctx, e)
}

var numbered = regexp.MustCompile(`(?m)^\s*(\d+)[.)] (.*)$`)

// tap answers a choice: a button by posting its payload back as Zalo does,
// or a numbered-list entry by typing its number.
func (c *zaloClient) tap(ctx context.Context, m *member, on Reply, label string) error {
	if b, ok := on.button(label); ok {
		return c.say(ctx, m, b.Data)
	}
	for _, mm := range numbered.FindAllStringSubmatch(on.Text, -1) {
		if strings.Contains(mm[2], label) {
			return c.say(ctx, m, mm[1])
		}
	}
	return fmt.Errorf("no choice %q in %q", label, on.Text)
}

func (c *zaloClient) post(ctx context.Context, e zaloEvent) error {
	body, err := json.Marshal(e)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-ZEvent-Signature", zaloSign(c.appID, body, e.Timestamp, c.oaKey))
	return do(c.hc, req)
}
