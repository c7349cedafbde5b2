// Package telegramtest is a fake Telegram Bot API server for tests: it
// records every call with its form fields, answers the methods the adapter
// uses the way Telegram does (multipart or JSON requests, JSON answers,
// Telegram's error texts), serves queued updates to getUpdates honouring the
// offset, and can be told to fail the next calls with 429, 403 or 500.
package telegramtest

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// DefaultToken is a well-formed token for tests.
const DefaultToken = "123456789:AAH-fake_token-for-anttbot-tests0123"

// BotUsername is the username getMe answers.
const BotUsername = "anttbot_test_bot"

// Call is one request the server received.
type Call struct {
	Method string
	// Fields are the form fields; JSON-valued ones (reply_markup, commands,
	// scope) are kept as their JSON text.
	Fields map[string]string
	// Files are the uploaded files by field name.
	Files map[string]File
	// At is when the request arrived.
	At time.Time
	// Status is the HTTP status the server answered; 0 while the call is in
	// progress (a long poll).
	Status int
}

// File is an uploaded file.
type File struct {
	Name string
	Data []byte
}

// ChatID returns the call's chat_id field.
func (c Call) ChatID() string { return c.Fields["chat_id"] }

// OK reports whether the server answered the call successfully.
func (c Call) OK() bool { return c.Status == http.StatusOK }

// Decode unmarshals a JSON-valued field (reply_markup, commands, scope) into v.
func (c Call) Decode(field string, v any) error {
	s, ok := c.Fields[field]
	if !ok {
		return fmt.Errorf("telegramtest: %s has no field %q", c.Method, field)
	}
	return json.Unmarshal([]byte(s), v)
}

// Failure is an error answer to inject.
type Failure struct {
	Code        int
	Description string
	RetryAfter  int // seconds, for 429
}

// TooManyRequests is Telegram's flood-control answer.
func TooManyRequests(retryAfter int) Failure {
	return Failure{Code: 429, Description: fmt.Sprintf("Too Many Requests: retry after %d", retryAfter), RetryAfter: retryAfter}
}

// Blocked is the answer for a user who blocked the bot.
func Blocked() Failure {
	return Failure{Code: 403, Description: "Forbidden: bot was blocked by the user"}
}

// Deactivated is the answer for a deleted account.
func Deactivated() Failure { return Failure{Code: 403, Description: "Forbidden: user is deactivated"} }

// ChatNotFound is the answer for a chat the bot cannot reach.
func ChatNotFound() Failure { return Failure{Code: 400, Description: "Bad Request: chat not found"} }

// InternalError is a server-side failure.
func InternalError() Failure { return Failure{Code: 500, Description: "Internal Server Error"} }

// CantBeEdited is the answer to editing a message that is too old.
func CantBeEdited() Failure {
	return Failure{Code: 400, Description: "Bad Request: message can't be edited"}
}

// Conflict is the answer when another process polls with the same token.
func Conflict() Failure {
	return Failure{Code: 409, Description: "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running"}
}

type failure struct {
	match func(Call) bool
	left  int
	f     Failure
}

type storedMessage struct {
	text   string
	markup string
}

// WebhookInfo is what setWebhook last set.
type WebhookInfo struct {
	URL            string
	SecretToken    string
	AllowedUpdates []string
}

// Server is the fake Bot API. Create it with NewServer.
type Server struct {
	// URL is the base URL to give the adapter as its API URL.
	URL string
	// Token is the bot token the server accepts.
	Token string

	t   testing.TB
	srv *httptest.Server

	mu        sync.Mutex
	calls     []Call
	failures  []*failure
	updates   []queued // sorted by id
	offset    int64
	arrived   chan struct{} // closed and replaced when updates are added
	nextMsgID int
	messages  map[string]storedMessage // "chat/message_id" → content
	files     map[string]File          // file_id → content
	webhook   *WebhookInfo
	commands  map[string]string // "scope|lang" → commands JSON
}

type queued struct {
	id  int64
	raw json.RawMessage
}

// NewServer starts a fake server accepting token (DefaultToken when empty);
// it stops when the test ends.
func NewServer(t testing.TB, token string) *Server {
	t.Helper()
	if token == "" {
		token = DefaultToken
	}
	s := &Server{
		Token:     token,
		t:         t,
		arrived:   make(chan struct{}),
		nextMsgID: 100,
		messages:  make(map[string]storedMessage),
		files:     make(map[string]File),
		commands:  make(map[string]string),
	}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	s.URL = s.srv.URL
	t.Cleanup(s.srv.Close)
	return s
}

// Close stops the server (NewServer already arranges it at the end of the test).
func (s *Server) Close() { s.srv.Close() }

// Fail makes the next times calls to method answer f.
func (s *Server) Fail(method string, times int, f Failure) {
	s.FailWhen(func(c Call) bool { return c.Method == method }, times, f)
}

// FailWhen makes the next times calls that match answer f.
func (s *Server) FailWhen(match func(Call) bool, times int, f Failure) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failures = append(s.failures, &failure{match: match, left: times, f: f})
}

// AddUpdate queues an update (a JSON object with update_id) for getUpdates.
func (s *Server) AddUpdate(raw []byte) {
	var head struct {
		ID int64 `json:"update_id"`
	}
	if err := json.Unmarshal(raw, &head); err != nil || head.ID == 0 {
		s.t.Errorf("telegramtest: AddUpdate: not an update: %v", err)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.updates = append(s.updates, queued{id: head.ID, raw: slices.Clone(raw)})
	sort.Slice(s.updates, func(i, j int) bool { return s.updates[i].id < s.updates[j].id })
	close(s.arrived)
	s.arrived = make(chan struct{})
}

// Offset returns the offset of the last getUpdates call.
func (s *Server) Offset() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.offset
}

// Pending returns how many queued updates are not confirmed yet.
func (s *Server) Pending() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.updates)
}

// Webhook returns the webhook set, or nil.
func (s *Server) Webhook() *WebhookInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.webhook == nil {
		return nil
	}
	w := *s.webhook
	return &w
}

// SetWebhookInfo pretends a webhook is set (getUpdates then answers 409).
func (s *Server) SetWebhookInfo(w *WebhookInfo) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.webhook = w
}

// AddFile makes fileID downloadable through getFile and the file URL.
func (s *Server) AddFile(fileID, name string, data []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.files[fileID] = File{Name: name, Data: slices.Clone(data)}
}

// Commands returns the command list JSON set for a scope JSON and language.
func (s *Server) Commands(scope, lang string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.commands[scope+"|"+lang]
}

// MessageText returns the current text of a message the bot sent (after edits).
func (s *Server) MessageText(chatID, messageID string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.messages[chatID+"/"+messageID]
	return m.text, ok
}

// Calls returns the calls received so far, only those to methods when given.
func (s *Server) Calls(methods ...string) []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Call
	for _, c := range s.calls {
		if len(methods) == 0 || slices.Contains(methods, c.Method) {
			out = append(out, c)
		}
	}
	return out
}

// WaitCalls waits up to 10 s until n calls to method arrived and returns them.
func (s *Server) WaitCalls(method string, n int) []Call {
	s.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		cs := s.Calls(method)
		if len(cs) >= n {
			return cs
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("telegramtest: %d calls to %s after 10s, want %d", len(cs), method, n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// ---- HTTP ----

// apiError is an error answer.
type apiError struct {
	code        int
	description string
	retryAfter  int
}

func badRequest(format string, args ...any) *apiError {
	return &apiError{code: 400, description: "Bad Request: " + fmt.Sprintf(format, args...)}
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	at := time.Now()
	if rest, ok := strings.CutPrefix(r.URL.Path, "/file/bot"+s.Token+"/"); ok {
		s.serveFile(w, rest)
		return
	}
	rest, ok := strings.CutPrefix(r.URL.Path, "/bot")
	token, method, ok2 := strings.Cut(rest, "/")
	if !ok || !ok2 || token != s.Token {
		writeJSON(w, http.StatusUnauthorized, map[string]any{"ok": false, "error_code": 401, "description": "Unauthorized"})
		return
	}
	fields, files, err := parseRequest(r)
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]any{"ok": false, "error_code": 400, "description": "Bad Request: " + err.Error()})
		return
	}
	call := Call{Method: method, Fields: fields, Files: files, At: at}
	// Recorded on arrival so that a long poll in progress is visible.
	s.mu.Lock()
	idx := len(s.calls)
	s.calls = append(s.calls, call)
	s.mu.Unlock()

	result, aerr := s.inject(call)
	if aerr == nil {
		result, aerr = s.handle(r, call)
	}
	status := http.StatusOK
	if aerr != nil {
		status = aerr.code
	}
	s.mu.Lock()
	s.calls[idx].Status = status
	s.mu.Unlock()
	if aerr != nil {
		body := map[string]any{"ok": false, "error_code": aerr.code, "description": aerr.description}
		if aerr.retryAfter > 0 {
			body["parameters"] = map[string]any{"retry_after": aerr.retryAfter}
		}
		writeJSON(w, aerr.code, body)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"ok": true, "result": result})
}

// inject answers with a queued failure matching call, if any.
func (s *Server) inject(call Call) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, f := range s.failures {
		if f.left > 0 && f.match(call) {
			f.left--
			return nil, &apiError{code: f.f.Code, description: f.f.Description, retryAfter: f.f.RetryAfter}
		}
	}
	return nil, nil
}

func (s *Server) handle(r *http.Request, c Call) (any, *apiError) {
	switch c.Method {
	case "getMe":
		return s.botUser(), nil
	case "getUpdates":
		return s.getUpdates(r, c)
	case "setWebhook":
		return s.setWebhook(c)
	case "deleteWebhook":
		s.mu.Lock()
		s.webhook = nil
		s.mu.Unlock()
		return true, nil
	case "sendMessage":
		return s.sendMessage(c)
	case "editMessageText":
		return s.editMessageText(c)
	case "answerCallbackQuery":
		if c.Fields["callback_query_id"] == "" {
			return nil, badRequest("query is too old and response timeout expired or query ID is invalid")
		}
		if n := utf16Len(c.Fields["text"]); n > 200 {
			return nil, badRequest("MESSAGE_TOO_LONG")
		}
		return true, nil
	case "sendPhoto":
		return s.sendMedia(c, "photo")
	case "sendDocument":
		return s.sendMedia(c, "document")
	case "setMyCommands":
		return s.setMyCommands(c)
	case "deleteMyCommands":
		s.mu.Lock()
		delete(s.commands, c.Fields["scope"]+"|"+c.Fields["language_code"])
		s.mu.Unlock()
		return true, nil
	case "getFile":
		return s.getFile(c)
	}
	return nil, &apiError{code: 404, description: "Not Found"}
}

func (s *Server) botUser() map[string]any {
	id, _ := strconv.ParseInt(strings.SplitN(s.Token, ":", 2)[0], 10, 64)
	return map[string]any{
		"id": id, "is_bot": true, "first_name": "ANTT cơ sở", "username": BotUsername,
		"can_join_groups": true, "can_read_all_group_messages": false, "supports_inline_queries": false,
	}
}

func (s *Server) getUpdates(r *http.Request, c Call) (any, *apiError) {
	offset, _ := strconv.ParseInt(c.Fields["offset"], 10, 64)
	limit, _ := strconv.Atoi(c.Fields["limit"])
	if limit <= 0 || limit > 100 {
		limit = 100
	}
	timeout, _ := strconv.Atoi(c.Fields["timeout"])
	deadline := time.NewTimer(time.Duration(timeout) * time.Second)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		if s.webhook != nil {
			s.mu.Unlock()
			return nil, &apiError{code: 409, description: "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first"}
		}
		s.offset = offset
		if offset > 0 {
			// An offset confirms every update below it: Telegram forgets them.
			s.updates = slices.DeleteFunc(s.updates, func(q queued) bool { return q.id < offset })
		}
		out := []json.RawMessage{}
		for _, q := range s.updates {
			if len(out) == limit {
				break
			}
			out = append(out, q.raw)
		}
		arrived := s.arrived
		s.mu.Unlock()
		if len(out) > 0 || timeout == 0 {
			return out, nil
		}
		select {
		case <-arrived:
		case <-deadline.C:
			return []json.RawMessage{}, nil
		case <-r.Context().Done():
			return []json.RawMessage{}, nil
		}
	}
}

func (s *Server) setWebhook(c Call) (any, *apiError) {
	u := c.Fields["url"]
	if u != "" && !strings.HasPrefix(u, "https://") {
		return nil, badRequest("bad webhook: An HTTPS URL must be provided for webhook")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if u == "" {
		s.webhook = nil
		return true, nil
	}
	w := &WebhookInfo{URL: u, SecretToken: c.Fields["secret_token"]}
	if au := c.Fields["allowed_updates"]; au != "" {
		if err := json.Unmarshal([]byte(au), &w.AllowedUpdates); err != nil {
			return nil, badRequest("can't parse allowed_updates JSON array")
		}
	}
	s.webhook = w
	return true, nil
}

// chat returns the chat object Telegram would answer for id.
func chat(id string) map[string]any {
	n, _ := strconv.ParseInt(id, 10, 64)
	switch {
	case n > 0:
		return map[string]any{"id": n, "type": "private", "first_name": "Người dùng"}
	case strings.HasPrefix(id, "-100"):
		return map[string]any{"id": n, "type": "supergroup", "title": "Tổ ANTT"}
	default:
		return map[string]any{"id": n, "type": "group", "title": "Tổ ANTT"}
	}
}

// text checks and parses the text or caption field like Telegram does.
func textField(c Call, field string, limit int, required bool) (string, *apiError) {
	raw := c.Fields[field]
	text := raw
	if strings.EqualFold(c.Fields["parse_mode"], "HTML") {
		var err error
		if text, err = parseHTML(raw); err != nil {
			return "", badRequest("can't parse entities: %v", err)
		}
	} else if m := c.Fields["parse_mode"]; m != "" {
		return "", badRequest("unsupported parse_mode %q in this fake", m)
	}
	text = strings.TrimSpace(text)
	if required && text == "" {
		return "", badRequest("message text is empty")
	}
	if utf16Len(text) > limit {
		if field == "caption" {
			return "", badRequest("message caption is too long")
		}
		return "", badRequest("message is too long")
	}
	return text, nil
}

func (s *Server) newMessage(c Call) (map[string]any, string, *apiError) {
	chatID := c.ChatID()
	if _, err := strconv.ParseInt(chatID, 10, 64); err != nil {
		return nil, "", badRequest("chat not found")
	}
	markup, aerr := checkMarkup(c.Fields["reply_markup"])
	if aerr != nil {
		return nil, "", aerr
	}
	s.mu.Lock()
	s.nextMsgID++
	id := s.nextMsgID
	s.mu.Unlock()
	msg := map[string]any{
		"message_id": id, "from": s.botUser(), "chat": chat(chatID), "date": time.Now().Unix(),
	}
	if markup != nil {
		msg["reply_markup"] = markup
	}
	return msg, chatID + "/" + strconv.Itoa(id), nil
}

func (s *Server) sendMessage(c Call) (any, *apiError) {
	text, aerr := textField(c, "text", 4096, true)
	if aerr != nil {
		return nil, aerr
	}
	msg, key, aerr := s.newMessage(c)
	if aerr != nil {
		return nil, aerr
	}
	msg["text"] = text
	s.mu.Lock()
	s.messages[key] = storedMessage{text: text, markup: inlineOnly(c.Fields["reply_markup"])}
	s.mu.Unlock()
	return msg, nil
}

func (s *Server) editMessageText(c Call) (any, *apiError) {
	text, aerr := textField(c, "text", 4096, true)
	if aerr != nil {
		return nil, aerr
	}
	if _, aerr := checkMarkup(c.Fields["reply_markup"]); aerr != nil {
		return nil, aerr
	}
	key := c.ChatID() + "/" + c.Fields["message_id"]
	markup := inlineOnly(c.Fields["reply_markup"])
	s.mu.Lock()
	defer s.mu.Unlock()
	old, ok := s.messages[key]
	if !ok {
		return nil, badRequest("message to edit not found")
	}
	if old.text == text && old.markup == markup {
		return nil, badRequest("message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message")
	}
	s.messages[key] = storedMessage{text: text, markup: markup}
	id, _ := strconv.Atoi(c.Fields["message_id"])
	msg := map[string]any{
		"message_id": id, "from": s.botUser(), "chat": chat(c.ChatID()), "date": time.Now().Unix() - 60,
		"edit_date": time.Now().Unix(), "text": text,
	}
	if markup != "" {
		msg["reply_markup"] = json.RawMessage(markup)
	}
	return msg, nil
}

func (s *Server) sendMedia(c Call, field string) (any, *apiError) {
	caption, aerr := textField(c, "caption", 1024, false)
	if aerr != nil {
		return nil, aerr
	}
	var size int
	name := ""
	if f, ok := c.Files[field]; ok {
		size, name = len(f.Data), f.Name
		if len(f.Data) == 0 {
			return nil, badRequest("file must be non-empty")
		}
	} else if c.Fields[field] == "" {
		return nil, badRequest("there is no %s in the request", field)
	}
	msg, key, aerr := s.newMessage(c)
	if aerr != nil {
		return nil, aerr
	}
	fileID := "AgACAgUAAxkBAAI" + strings.ReplaceAll(key, "/", "_")
	if field == "photo" {
		msg["photo"] = []map[string]any{
			{"file_id": fileID + "_s", "file_unique_id": "AQADs" + key, "width": 90, "height": 90, "file_size": size / 10},
			{"file_id": fileID, "file_unique_id": "AQADm" + key, "width": 1280, "height": 960, "file_size": size},
		}
	} else {
		msg["document"] = map[string]any{"file_id": fileID, "file_unique_id": "AgAD" + key, "file_name": name, "file_size": size}
	}
	if caption != "" {
		msg["caption"] = caption
	}
	s.mu.Lock()
	s.messages[key] = storedMessage{text: caption}
	s.mu.Unlock()
	return msg, nil
}

func (s *Server) setMyCommands(c Call) (any, *apiError) {
	var cmds []struct {
		Command     string `json:"command"`
		Description string `json:"description"`
	}
	if err := json.Unmarshal([]byte(c.Fields["commands"]), &cmds); err != nil {
		return nil, badRequest("can't parse commands JSON object")
	}
	if len(cmds) > 100 {
		return nil, badRequest("too many commands specified")
	}
	for _, cmd := range cmds {
		if cmd.Command == "" || len(cmd.Command) > 32 || strings.ToLower(cmd.Command) != cmd.Command {
			return nil, badRequest("BOT_COMMAND_INVALID")
		}
		if cmd.Description == "" {
			return nil, badRequest("command description is empty")
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.commands[c.Fields["scope"]+"|"+c.Fields["language_code"]] = c.Fields["commands"]
	return true, nil
}

func (s *Server) getFile(c Call) (any, *apiError) {
	id := c.Fields["file_id"]
	s.mu.Lock()
	f, ok := s.files[id]
	s.mu.Unlock()
	if !ok {
		return nil, badRequest("invalid file_id")
	}
	return map[string]any{"file_id": id, "file_unique_id": "u" + id, "file_size": len(f.Data), "file_path": "documents/" + id + "_" + f.Name}, nil
}

func (s *Server) serveFile(w http.ResponseWriter, path string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for id, f := range s.files {
		if path == "documents/"+id+"_"+f.Name {
			_, _ = w.Write(f.Data)
			return
		}
	}
	http.NotFound(w, nil)
}

// checkMarkup validates reply_markup like Telegram and returns it decoded.
func checkMarkup(raw string) (any, *apiError) {
	if raw == "" {
		return nil, nil
	}
	var m struct {
		InlineKeyboard [][]map[string]json.RawMessage `json:"inline_keyboard"`
		Keyboard       [][]map[string]json.RawMessage `json:"keyboard"`
		RemoveKeyboard bool                           `json:"remove_keyboard"`
	}
	if err := json.Unmarshal([]byte(raw), &m); err != nil {
		return nil, badRequest("can't parse reply keyboard markup JSON object")
	}
	for _, row := range m.InlineKeyboard {
		for _, b := range row {
			if aerr := checkInlineButton(b); aerr != nil {
				return nil, aerr
			}
		}
	}
	for _, row := range m.Keyboard {
		for _, b := range row {
			var text string
			if err := json.Unmarshal(b["text"], &text); err != nil || text == "" {
				return nil, badRequest("keyboard button text is empty")
			}
		}
	}
	if len(m.InlineKeyboard) == 0 && len(m.Keyboard) == 0 && !m.RemoveKeyboard {
		return nil, badRequest("unsupported reply markup")
	}
	if len(m.InlineKeyboard) == 0 {
		return nil, nil // reply keyboards are not echoed in the message
	}
	return json.RawMessage(raw), nil
}

// checkInlineButton enforces "exactly one of the fields other than text must
// be used", counting an empty copy_text as used (go-telegram/bot issue #245).
func checkInlineButton(b map[string]json.RawMessage) *apiError {
	var text string
	if err := json.Unmarshal(b["text"], &text); err != nil || text == "" {
		return badRequest("BUTTON_TEXT_INVALID")
	}
	types := 0
	for k := range b {
		if k != "text" && k != "icon_custom_emoji_id" && k != "style" {
			types++
		}
	}
	if ct, ok := b["copy_text"]; ok {
		var v struct{ Text string }
		_ = json.Unmarshal(ct, &v)
		if v.Text == "" {
			return badRequest("BUTTON_COPY_TEXT_INVALID")
		}
	}
	if types != 1 {
		return badRequest("BUTTON_TYPE_INVALID")
	}
	if cd, ok := b["callback_data"]; ok {
		var data string
		if err := json.Unmarshal(cd, &data); err != nil || len(data) < 1 || len(data) > 64 {
			return badRequest("BUTTON_DATA_INVALID")
		}
	}
	return nil
}

// inlineOnly returns raw when it is an inline keyboard: only those belong to
// the message and count for "message is not modified".
func inlineOnly(raw string) string {
	if strings.Contains(raw, `"inline_keyboard"`) {
		return raw
	}
	return ""
}

// parseRequest reads the fields of a multipart, urlencoded or JSON request.
func parseRequest(r *http.Request) (map[string]string, map[string]File, error) {
	fields := make(map[string]string)
	files := make(map[string]File)
	for k, v := range r.URL.Query() {
		fields[k] = v[0]
	}
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch mt {
	case "multipart/form-data":
		if err := r.ParseMultipartForm(64 << 20); err != nil {
			// The library sends parameterless calls (getMe) as a multipart body
			// with no parts at all; Telegram accepts that.
			if errors.Is(err, io.EOF) {
				return fields, files, nil
			}
			return nil, nil, fmt.Errorf("multipart: %w", err)
		}
		for k, v := range r.MultipartForm.Value {
			fields[k] = v[0]
		}
		for k, fhs := range r.MultipartForm.File {
			f, err := fhs[0].Open()
			if err != nil {
				return nil, nil, err
			}
			data, err := io.ReadAll(f)
			f.Close()
			if err != nil {
				return nil, nil, err
			}
			files[k] = File{Name: fhs[0].Filename, Data: data}
		}
	case "application/x-www-form-urlencoded":
		if err := r.ParseForm(); err != nil {
			return nil, nil, err
		}
		for k, v := range r.PostForm {
			fields[k] = v[0]
		}
	case "application/json":
		var m map[string]json.RawMessage
		if err := json.NewDecoder(r.Body).Decode(&m); err != nil {
			return nil, nil, fmt.Errorf("JSON: %w", err)
		}
		for k, v := range m {
			var s string
			if json.Unmarshal(v, &s) == nil {
				fields[k] = s
			} else {
				fields[k] = string(v)
			}
		}
	}
	return fields, files, nil
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
