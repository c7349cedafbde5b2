package zalotest

import (
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf16"
)

// Paths the fake serves; point Config.APIURL, OAuthURL and ZNSURL all at Server.URL.
const (
	PathCS          = "/v3.0/oa/message/cs"
	PathUploadImage = "/v2.0/oa/upload/image"
	PathUploadFile  = "/v2.0/oa/upload/file"
	PathToken       = "/v4/oa/access_token"
	PathZNS         = "/message/template"
)

// Error codes the fake answers with (OA table unless noted).
const (
	CodeInvalidToken        = -216
	CodeExpiredToken        = -220
	CodeOutsideWindow       = -230
	CodeNotFollower         = -213
	CodeRateLimit           = -32
	CodeInvalidParam        = -201
	CodeZNSInvalidToken     = -124 // ZNS table
	CodeZNSInvalidPhone     = -108 // ZNS table
	CodeInvalidRefreshToken = -14014
)

// Request is one request the fake received.
type Request struct {
	Method string
	Path   string
	Header http.Header
	Body   []byte     // raw body (JSON calls)
	Form   url.Values // OAuth form
	File   *File      // the "file" part of an upload
}

// JSON decodes the body into a generic value, for comparing shapes.
func (r Request) JSON() map[string]any {
	var v map[string]any
	_ = json.Unmarshal(r.Body, &v)
	return v
}

// Text returns the text of a CS message request ("" if none).
func (r Request) Text() string {
	msg, _ := r.JSON()["message"].(map[string]any)
	s, _ := msg["text"].(string)
	return s
}

// Buttons returns the buttons of a CS message request, title → payload, so a
// test can "tap" one by posting its payload back as a user_send_text.
func (r Request) Buttons() map[string]string {
	out := map[string]string{}
	msg, _ := r.JSON()["message"].(map[string]any)
	att, _ := msg["attachment"].(map[string]any)
	p, _ := att["payload"].(map[string]any)
	bs, _ := p["buttons"].([]any)
	for _, b := range bs {
		m, _ := b.(map[string]any)
		title, _ := m["title"].(string)
		payload, _ := m["payload"].(string)
		out[title] = payload
	}
	return out
}

// File is an uploaded file.
type File struct {
	Name        string
	ContentType string
	Data        []byte
}

// Server is a fake Zalo API: OA CS messages and uploads, OAuth refresh with
// single-use refresh tokens, and ZNS. It checks what Zalo checks (token,
// limits) and answers like Zalo: HTTP 200 with a negative "error".
type Server struct {
	// URL is the base URL of the fake.
	URL       string
	appID     string
	appSecret string

	mu        sync.Mutex
	requests  []Request
	access    map[string]bool // issued access tokens still valid
	refresh   map[string]bool // issued refresh tokens not yet spent
	seq       int
	failNext  map[string][]apiError
	httpFail  map[string][]int
	userErr   map[string]apiError
	tokenWait time.Duration
}

type apiError struct {
	code int
	msg  string
}

// NewServer starts a fake for the app and stops it when the test ends.
func NewServer(tb testing.TB, appID, appSecret string) *Server {
	tb.Helper()
	s := &Server{
		appID: appID, appSecret: appSecret,
		access:   map[string]bool{},
		refresh:  map[string]bool{},
		failNext: map[string][]apiError{},
		httpFail: map[string][]int{},
		userErr:  map[string]apiError{},
	}
	ts := httptest.NewServer(http.HandlerFunc(s.serve))
	tb.Cleanup(ts.Close)
	s.URL = ts.URL
	return s
}

// IssueTokens creates a valid access and refresh token pair, e.g. to seed a TokenStore.
func (s *Server) IssueTokens() (accessToken, refreshToken string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.issueLocked()
}

func (s *Server) issueLocked() (string, string) {
	s.seq++
	a, r := fmt.Sprintf("at-%d", s.seq), fmt.Sprintf("rt-%d", s.seq)
	s.access[a] = true
	s.refresh[r] = true
	return a, r
}

// AddRefreshToken makes an arbitrary string a valid, unspent refresh token
// (the bootstrap token from the configuration).
func (s *Server) AddRefreshToken(rt string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refresh[rt] = true
}

// RevokeAccessTokens invalidates every access token issued so far (-216),
// as if they had expired.
func (s *Server) RevokeAccessTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.access = map[string]bool{}
}

// FailNext makes the next call to p answer HTTP 200 with Zalo error code.
// Calls queue up: FailNext twice fails the next two calls.
func (s *Server) FailNext(p string, code int, message string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failNext[p] = append(s.failNext[p], apiError{code, message})
}

// FailNextHTTP makes the next call to p answer with HTTP status.
func (s *Server) FailNextHTTP(p string, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.httpFail[p] = append(s.httpFail[p], status)
}

// RejectUser makes every CS message to userID answer code (e.g. CodeOutsideWindow).
func (s *Server) RejectUser(userID string, code int, message string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.userErr[userID] = apiError{code, message}
}

// SlowTokenEndpoint delays every OAuth answer, to widen races in tests.
func (s *Server) SlowTokenEndpoint(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tokenWait = d
}

// Requests returns the requests to p so far, oldest first ("" for all).
func (s *Server) Requests(p string) []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Request
	for _, r := range s.requests {
		if p == "" || r.Path == p {
			out = append(out, r)
		}
	}
	return out
}

// Reset forgets the recorded requests.
func (s *Server) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = nil
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	rec := Request{Method: r.Method, Path: r.URL.Path, Header: r.Header.Clone()}
	var bodyErr error
	switch {
	case strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data"):
		rec.File, bodyErr = readFile(r)
	case strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded"):
		bodyErr = r.ParseForm()
		rec.Form = r.PostForm
	default:
		rec.Body, bodyErr = io.ReadAll(r.Body)
	}

	s.mu.Lock()
	s.requests = append(s.requests, rec)
	if st := s.httpFail[rec.Path]; len(st) > 0 {
		s.httpFail[rec.Path] = st[1:]
		s.mu.Unlock()
		http.Error(w, "injected failure", st[0])
		return
	}
	if fe := s.failNext[rec.Path]; len(fe) > 0 {
		s.failNext[rec.Path] = fe[1:]
		s.mu.Unlock()
		writeJSON(w, map[string]any{"error": fe[0].code, "message": fe[0].msg})
		return
	}
	wait := s.tokenWait
	s.mu.Unlock()

	if r.Method != http.MethodPost {
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	if bodyErr != nil {
		writeJSON(w, map[string]any{"error": CodeInvalidParam, "message": "body is invalid: " + bodyErr.Error()})
		return
	}
	switch rec.Path {
	case PathToken:
		time.Sleep(wait)
		s.token(w, rec)
	case PathCS:
		s.cs(w, rec)
	case PathUploadImage, PathUploadFile:
		s.uploadFile(w, rec)
	case PathZNS:
		s.zns(w, rec)
	default:
		http.NotFound(w, r)
	}
}

func readFile(r *http.Request) (*File, error) {
	if err := r.ParseMultipartForm(10 << 20); err != nil {
		return nil, err
	}
	fh := r.MultipartForm.File["file"]
	if len(fh) != 1 {
		return nil, fmt.Errorf("want one part named file, got %d", len(fh))
	}
	f, err := fh[0].Open()
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(f)
	if err != nil {
		return nil, err
	}
	return &File{Name: fh[0].Filename, ContentType: fh[0].Header.Get("Content-Type"), Data: data}, nil
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-RateLimit-Limit", "4000")
	_ = json.NewEncoder(w).Encode(v)
}

// validAccess checks the access_token header (Zalo's name, not Authorization).
func (s *Server) validAccess(h http.Header) bool {
	tok := h.Get("access_token")
	s.mu.Lock()
	defer s.mu.Unlock()
	return tok != "" && s.access[tok]
}

func (s *Server) nextID() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seq++
	return fmt.Sprintf("%020x", 0x63ecf43f0df7dba0+s.seq)
}

func (s *Server) token(w http.ResponseWriter, r Request) {
	if r.Header.Get("secret_key") != s.appSecret || r.Form.Get("app_id") != s.appID {
		writeJSON(w, map[string]any{"error": -14001, "error_name": "Invalid app", "error_description": "app_id or secret_key is wrong"})
		return
	}
	if r.Form.Get("grant_type") != "refresh_token" {
		writeJSON(w, map[string]any{"error": -14002, "error_name": "Invalid parameter", "error_description": "grant_type"})
		return
	}
	s.mu.Lock()
	rt := r.Form.Get("refresh_token")
	if !s.refresh[rt] {
		s.mu.Unlock()
		// Zalo documents no code for a spent refresh token; this one is made up.
		writeJSON(w, map[string]any{"error": CodeInvalidRefreshToken, "error_name": "Invalid refresh token", "error_description": "refresh token is invalid or already used"})
		return
	}
	delete(s.refresh, rt) // single use
	at, nrt := s.issueLocked()
	s.mu.Unlock()
	writeJSON(w, map[string]any{"access_token": at, "refresh_token": nrt, "expires_in": "90000"})
}

func (s *Server) cs(w http.ResponseWriter, r Request) {
	if !s.validAccess(r.Header) {
		writeJSON(w, map[string]any{"error": CodeInvalidToken, "message": "Access token is invalid"})
		return
	}
	if !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		writeJSON(w, map[string]any{"error": CodeInvalidParam, "message": "content type is invalid"})
		return
	}
	var body struct {
		Recipient struct {
			UserID string `json:"user_id"`
		} `json:"recipient"`
		Message struct {
			Text       string `json:"text"`
			Attachment *struct {
				Type    string          `json:"type"`
				Payload json.RawMessage `json:"payload"`
			} `json:"attachment"`
		} `json:"message"`
	}
	if err := json.Unmarshal(r.Body, &body); err != nil {
		writeJSON(w, map[string]any{"error": CodeInvalidParam, "message": "body is invalid"})
		return
	}
	if body.Recipient.UserID == "" {
		writeJSON(w, map[string]any{"error": CodeInvalidParam, "message": "user_id is invalid"})
		return
	}
	if n := len(utf16.Encode([]rune(body.Message.Text))); n > 2000 || (n == 0 && body.Message.Attachment == nil) {
		writeJSON(w, map[string]any{"error": CodeInvalidParam, "message": "text is invalid"})
		return
	}
	if a := body.Message.Attachment; a != nil && a.Type == "template" {
		var p struct {
			Buttons  []json.RawMessage `json:"buttons"`
			Elements []json.RawMessage `json:"elements"`
		}
		if json.Unmarshal(a.Payload, &p) != nil || len(p.Buttons) > 5 || len(p.Elements) > 5 {
			writeJSON(w, map[string]any{"error": CodeInvalidParam, "message": "attachment is invalid"})
			return
		}
	}
	s.mu.Lock()
	ue, rejected := s.userErr[body.Recipient.UserID]
	s.mu.Unlock()
	if rejected {
		writeJSON(w, map[string]any{"error": ue.code, "message": ue.msg})
		return
	}
	writeJSON(w, map[string]any{"error": 0, "message": "Success", "data": map[string]any{
		"message_id": s.nextID(), "user_id": body.Recipient.UserID,
		"sent_time": strconv.FormatInt(time.Now().UnixMilli(), 10),
		"quota":     map[string]string{"quota_type": "reply", "remain": "8", "total": "8"},
	}})
}

func (s *Server) uploadFile(w http.ResponseWriter, r Request) {
	if !s.validAccess(r.Header) {
		writeJSON(w, map[string]any{"error": CodeInvalidToken, "message": "Access token is invalid"})
		return
	}
	f := r.File
	if f == nil {
		writeJSON(w, map[string]any{"error": CodeInvalidParam, "message": "file is invalid"})
		return
	}
	if r.Path == PathUploadImage {
		ct, _, _ := mime.ParseMediaType(f.ContentType)
		if len(f.Data) > 1<<20 || (ct != "image/png" && ct != "image/jpeg") {
			writeJSON(w, map[string]any{"error": CodeInvalidParam, "message": "file is invalid"})
			return
		}
		writeJSON(w, map[string]any{"error": 0, "message": "Success", "data": map[string]string{"attachment_id": "att-" + s.nextID()}})
		return
	}
	switch strings.ToLower(path.Ext(f.Name)) {
	case ".pdf", ".doc", ".docx":
	default:
		writeJSON(w, map[string]any{"error": CodeInvalidParam, "message": "file type is not supported"})
		return
	}
	if len(f.Data) > 5<<20 {
		writeJSON(w, map[string]any{"error": CodeInvalidParam, "message": "file is too large"})
		return
	}
	writeJSON(w, map[string]any{"error": 0, "message": "Success", "data": map[string]string{"token": "ftk-" + s.nextID()}})
}

var znsPhone = regexp.MustCompile(`^84[0-9]{9}$`)

func (s *Server) zns(w http.ResponseWriter, r Request) {
	if !s.validAccess(r.Header) {
		writeJSON(w, map[string]any{"error": CodeZNSInvalidToken, "message": "Invalid access token"})
		return
	}
	var body struct {
		Phone        string            `json:"phone"`
		TemplateID   string            `json:"template_id"`
		TemplateData map[string]string `json:"template_data"`
		TrackingID   string            `json:"tracking_id"`
	}
	if err := json.Unmarshal(r.Body, &body); err != nil {
		writeJSON(w, map[string]any{"error": -122, "message": "Body is invalid JSON"})
		return
	}
	if !znsPhone.MatchString(body.Phone) {
		writeJSON(w, map[string]any{"error": CodeZNSInvalidPhone, "message": "Invalid phone number"})
		return
	}
	if body.TemplateID == "" {
		writeJSON(w, map[string]any{"error": -109, "message": "Invalid template id"})
		return
	}
	writeJSON(w, map[string]any{"error": 0, "message": "Success", "data": map[string]any{
		"msg_id": s.nextID(), "sent_time": strconv.FormatInt(time.Now().UnixMilli(), 10),
		"quota": map[string]string{"dailyQuota": "500", "remainingQuota": "499"},
	}})
}
