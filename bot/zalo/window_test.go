package zalo

import (
	"context"
	"errors"
	"regexp"
	"testing"
	"time"

	"github.com/anttbot/anttbot/bot"
	"github.com/anttbot/anttbot/bot/zalo/zalotest"
)

func TestReachable(t *testing.T) {
	h := newHarness(t)
	tests := []struct {
		name string
		last time.Time
		want bool
	}{
		{name: "never interacted", last: time.Time{}, want: false},
		{name: "an hour ago", last: testNow.Add(-time.Hour), want: true},
		{name: "just inside 7 days", last: testNow.Add(-7*24*time.Hour + time.Second), want: true},
		{name: "exactly 7 days", last: testNow.Add(-7 * 24 * time.Hour), want: false},
		{name: "a month ago", last: testNow.AddDate(0, -1, 0), want: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := h.a.Reachable(tt.last, testNow); got != tt.want {
				t.Errorf("Reachable = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestSendScheduled(t *testing.T) {
	const template = "305621"
	data := map[string]string{"ten": "Nguyễn Văn An", "thang": "9/2024"}
	recent, old := testNow.Add(-2*24*time.Hour), testNow.Add(-10*24*time.Hour)

	tests := []struct {
		name    string
		zns     string
		last    time.Time
		phone   string
		setup   func(*zalotest.Server)
		wantCS  int
		wantZNS bool   // the template went to 84912345678
		reason  string // want an UnreachableError with this reason
		code    int    // want an APIError with this code
		retry   bool   // want a RateLimitedError
		refresh int    // token refreshes
	}{
		{name: "inside the window: a CS message", zns: template, last: recent, phone: "0912 345 678", wantCS: 1},
		{name: "outside the window: ZNS to the phone", zns: template, last: old, phone: "0912 345 678", wantZNS: true},
		{name: "never interacted: ZNS", zns: template, last: time.Time{}, phone: "+84912345678", wantZNS: true},
		{name: "outside the window without ZNS: unreachable", last: old, phone: "0912345678", reason: ReasonOutsideWindow},
		{name: "outside the window, no phone", zns: template, last: old, reason: ReasonNoPhone},
		{name: "Zalo says the window closed: ZNS after all", zns: template, last: recent, phone: "84912345678",
			setup: func(s *zalotest.Server) {
				s.RejectUser(testUser, -230, "User has not interacted with the OA in the past 7 days")
			},
			wantCS: 1, wantZNS: true},
		{name: "Zalo says the window closed, no ZNS", last: recent, phone: "84912345678",
			setup: func(s *zalotest.Server) {
				s.RejectUser(testUser, -230, "User has not interacted with the OA in the past 7 days")
			},
			wantCS: 1, reason: ReasonOutsideWindow, code: -230},
		{name: "rate limited inside the window is not a reason for ZNS", zns: template, last: recent, phone: "84912345678",
			setup: func(s *zalotest.Server) {
				s.FailNext(zalotest.PathCS, -32, "Your application/OA reached limit call api")
			},
			wantCS: 1, retry: true, code: -32},
		{name: "ZNS token error (-124, its own table): refresh and retry", zns: template, last: old, phone: "0912345678",
			setup:   func(s *zalotest.Server) { s.FailNext(zalotest.PathZNS, -124, "Invalid access token") },
			wantZNS: true, refresh: 1},
		{name: "ZNS -216 means blocked there, not a bad token", zns: template, last: old, phone: "0912345678",
			setup:  func(s *zalotest.Server) { s.FailNext(zalotest.PathZNS, -216, "User blocked OA") },
			reason: ReasonRefused, code: -216},
		{name: "ZNS invalid phone", zns: template, last: old, phone: "0912345678",
			setup:  func(s *zalotest.Server) { s.FailNext(zalotest.PathZNS, -108, "Phone number is invalid") },
			reason: ReasonInvalidPhone, code: -108},
		{name: "phone that is no mobile number is not sent", zns: template, last: old, phone: "024 3826 1234", reason: ReasonInvalidPhone},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, withZNS(tt.zns))
			if tt.setup != nil {
				tt.setup(h.srv)
			}
			m := bot.Message{ChatID: testUser, Text: "Nhắc: tổ chưa có báo cáo việc tốt tháng 9 📝"}
			sent, err := h.a.SendScheduled(context.Background(), m, tt.last, tt.phone, data)

			if got := UnreachableReason(err); got != tt.reason {
				t.Errorf("reason = %q, want %q (err %v)", got, tt.reason, err)
			}
			if tt.reason != "" && !errors.Is(err, bot.ErrUnreachable) {
				t.Errorf("err %v is not ErrUnreachable", err)
			}
			var ae *APIError
			if errors.As(err, &ae) != (tt.code != 0) || (ae != nil && ae.Code != tt.code) {
				t.Errorf("api error %+v, want code %d (err %v)", ae, tt.code, err)
			}
			var rl *bot.RateLimitedError
			if errors.As(err, &rl) != tt.retry {
				t.Errorf("rate limited = %v, want %v", rl != nil, tt.retry)
			}
			ok := tt.reason == "" && tt.code == 0 && !tt.retry
			if ok && (err != nil || sent.MessageID == "") {
				t.Errorf("SendScheduled = %+v, %v", sent, err)
			}
			if n := len(h.srv.Requests(zalotest.PathCS)); n != tt.wantCS {
				t.Errorf("%d CS requests, want %d", n, tt.wantCS)
			}
			if n := len(h.srv.Requests(zalotest.PathToken)); n != tt.refresh {
				t.Errorf("%d refreshes, want %d", n, tt.refresh)
			}
			zns := h.srv.Requests(zalotest.PathZNS)
			if !tt.wantZNS {
				if tt.code == 0 && len(zns) != 0 {
					t.Errorf("%d ZNS requests, want none", len(zns))
				}
				return
			}
			if len(zns) == 0 {
				t.Fatal("no ZNS request")
			}
			last := zns[len(zns)-1]
			body := last.JSON()
			tracking, _ := body["tracking_id"].(string)
			if !regexp.MustCompile(`^[0-9a-f]{32}$`).MatchString(tracking) {
				t.Errorf("tracking_id %q", tracking)
			}
			delete(body, "tracking_id")
			want := `{"phone":"84912345678","template_id":"305621","template_data":{"ten":"Nguyễn Văn An","thang":"9/2024"}}`
			if !sameJSON(t, mustMarshal(t, body), want) {
				t.Errorf("ZNS body %s, want %s", last.Body, want)
			}
			if last.Header.Get("access_token") == "" {
				t.Error("ZNS request without access_token header")
			}
		})
	}
}
