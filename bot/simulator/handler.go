package simulator

import (
	"bytes"
	"context"
	"embed"
	"encoding/json"
	"errors"
	"io"
	"math"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/anttbot/anttbot/bot"
	"github.com/anttbot/anttbot/locales"
)

//go:embed static
var static embed.FS

const (
	maxJSONBody     = 64 << 10
	maxCaptionRunes = 1024 // Telegram's caption limit
	// multipartSlack is room for the form fields around the photo.
	multipartSlack = 64 << 10
)

// imageTypes are the photo formats the page may upload, as sniffed from the bytes.
var imageTypes = map[string]string{
	"image/png":  ".png",
	"image/jpeg": ".jpg",
	"image/gif":  ".gif",
	"image/webp": ".webp",
}

// Handler serves the page and its API:
//
//	GET  /                  the page
//	GET  /static/…          its script and style
//	GET  /api/strings       the page's text in ?lang=
//	GET  /api/people        the demo people
//	POST /api/send          one thing the person did (JSON, or multipart with a photo)
//	GET  /api/messages      a chat's news after ?after=rev, waiting up to the poll timeout
//	GET  /api/files/{id}    uploaded photos and the bot's attachments
//
// Every URL the page uses is relative, so the handler can be mounted under a
// path prefix with http.StripPrefix.
func (s *Simulator) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", s.servePage)
	mux.Handle("GET /static/", http.FileServerFS(static))
	mux.HandleFunc("GET /api/strings", s.serveStrings)
	mux.HandleFunc("GET /api/people", s.servePeople)
	mux.HandleFunc("POST /api/send", s.serveSend)
	mux.HandleFunc("GET /api/messages", s.serveMessages)
	mux.HandleFunc("GET /api/files/{id}", s.serveFile)
	// The simulator speaks as any demo person: another site open in the same
	// browser must not be able to post in their name.
	return withHeaders(http.NewCrossOriginProtection().Handler(mux))
}

func withHeaders(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("Referrer-Policy", "no-referrer")
		w.Header().Set("X-Frame-Options", "DENY")
		h.ServeHTTP(w, r)
	})
}

func (s *Simulator) servePage(w http.ResponseWriter, r *http.Request) {
	page, err := static.ReadFile("static/index.html")
	if err != nil {
		s.log.Error("read embedded page", "err", err)
		http.Error(w, http.StatusText(http.StatusInternalServerError), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	w.Header().Set("Content-Security-Policy",
		"default-src 'self'; img-src 'self' blob: data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'")
	_, _ = w.Write(page)
}

// apiError is a failure the page shows as localized text.
type apiError struct {
	status int
	code   string // simulator.error.<code>
	args   []any
}

func (e *apiError) Error() string { return "simulator: " + e.code }

func badRequest(code string, args ...any) *apiError {
	return &apiError{status: http.StatusBadRequest, code: code, args: args}
}

// langOf picks a supported language for a hint, Vietnamese by default.
func langOf(hint string) string {
	if l := locales.NormalizeLang(hint); l != "" {
		return l
	}
	return locales.DefaultLang
}

func (s *Simulator) fail(w http.ResponseWriter, lang string, err error) {
	var ae *apiError
	if !errors.As(err, &ae) {
		ae = &apiError{status: http.StatusInternalServerError, code: "generic"}
	}
	writeJSON(w, ae.status, map[string]string{
		"error":   ae.code,
		"message": s.tr.T(lang, "simulator.error."+ae.code, ae.args...),
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func (s *Simulator) serveStrings(w http.ResponseWriter, r *http.Request) {
	lang := langOf(r.URL.Query().Get("lang"))
	type langView struct {
		Code string `json:"code"`
		Name string `json:"name"`
	}
	out := struct {
		Lang    string            `json:"lang"`
		Langs   []langView        `json:"langs"`
		Strings map[string]string `json:"strings"`
	}{Lang: lang, Strings: pageText(s.tr, lang)}
	for _, l := range pageLangs {
		out.Langs = append(out.Langs, langView{Code: l, Name: s.tr.T(l, "common.lang_name")})
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Simulator) servePeople(w http.ResponseWriter, r *http.Request) {
	lang := langOf(r.URL.Query().Get("lang"))
	people, err := s.people.DemoPeople(r.Context())
	if err != nil {
		s.log.Error("list demo people", "err", err)
		s.fail(w, lang, err)
		return
	}
	out := make([]personView, 0, len(people))
	for _, p := range people {
		out = append(out, personView(p))
	}
	writeJSON(w, http.StatusOK, out)
}

// person finds a demo person by id.
func (s *Simulator) person(ctx context.Context, id string) (Person, error) {
	if id == "" {
		return Person{}, badRequest("bad_request")
	}
	people, err := s.people.DemoPeople(ctx)
	if err != nil {
		s.log.Error("list demo people", "err", err)
		return Person{}, err
	}
	for _, p := range people {
		if p.ID == id {
			return p, nil
		}
	}
	return Person{}, &apiError{status: http.StatusNotFound, code: "unknown_person"}
}

// sendRequest is the body of POST /api/send; exactly one action is set.
type sendRequest struct {
	ChatID string `json:"chat_id"`
	Lang   string `json:"lang"`

	Text         *string       `json:"text"`
	CallbackData string        `json:"callback_data"`
	MessageID    string        `json:"message_id"` // the message whose button was tapped
	ShareContact bool          `json:"share_contact"`
	Location     *locationBody `json:"location"`
}

type locationBody struct {
	Lat *float64 `json:"lat"`
	Lon *float64 `json:"lon"`
}

// upload is a photo posted as multipart form data.
type upload struct {
	name string
	mime string
	data []byte
}

func (s *Simulator) serveSend(w http.ResponseWriter, r *http.Request) {
	lang := langOf(r.URL.Query().Get("lang"))
	var (
		req   sendRequest
		photo *upload
		err   error
	)
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt == "multipart/form-data" {
		req, photo, err = readMultipart(w, r)
	} else {
		req, err = readJSON(w, r)
	}
	if req.Lang != "" {
		lang = langOf(req.Lang)
	}
	if err != nil {
		s.fail(w, lang, err)
		return
	}
	p, err := s.person(r.Context(), req.ChatID)
	if err != nil {
		s.fail(w, lang, err)
		return
	}
	u, shown, err := s.buildUpdate(p, req, photo, lang)
	if err != nil {
		s.fail(w, lang, err)
		return
	}
	if shown != nil {
		s.addUser(p.ID, shown)
	}
	accepted, err := s.sub.Submit(r.Context(), u)
	if err != nil {
		s.log.Error("submit update", "update_id", u.ID, "kind", u.Kind, "err", err)
		if shown != nil {
			s.markFailed(p.ID, shown.ID)
		}
		if errors.Is(err, bot.ErrBusy) || errors.Is(err, bot.ErrClosed) {
			err = &apiError{status: http.StatusServiceUnavailable, code: "busy"}
		}
		s.fail(w, lang, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"accepted": accepted, "update_id": u.ID})
}

func readJSON(w http.ResponseWriter, r *http.Request) (sendRequest, error) {
	var req sendRequest
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxJSONBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			return req, &apiError{status: http.StatusRequestEntityTooLarge, code: "too_long", args: []any{"Max", MaxTextRunes}}
		}
		return req, badRequest("bad_request")
	}
	if dec.More() {
		return req, badRequest("bad_request")
	}
	return req, nil
}

func readMultipart(w http.ResponseWriter, r *http.Request) (sendRequest, *upload, error) {
	tooLarge := &apiError{status: http.StatusRequestEntityTooLarge, code: "too_large", args: []any{"MaxMB", MaxUpload >> 20}}
	r.Body = http.MaxBytesReader(w, r.Body, MaxUpload+multipartSlack)
	if err := r.ParseMultipartForm(1 << 20); err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			return sendRequest{}, nil, tooLarge
		}
		return sendRequest{}, nil, badRequest("bad_request")
	}
	defer r.MultipartForm.RemoveAll()
	req := sendRequest{ChatID: r.FormValue("chat_id"), Lang: r.FormValue("lang")}
	f, hdr, err := r.FormFile("photo")
	if err != nil {
		return req, nil, badRequest("bad_request")
	}
	defer f.Close()
	if hdr.Size > MaxUpload {
		return req, nil, tooLarge
	}
	data, err := io.ReadAll(io.LimitReader(f, MaxUpload+1))
	if err != nil {
		return req, nil, badRequest("bad_request")
	}
	if len(data) > MaxUpload {
		return req, nil, tooLarge
	}
	mt := http.DetectContentType(data)
	ext, ok := imageTypes[mt]
	if !ok {
		return req, nil, &apiError{status: http.StatusUnsupportedMediaType, code: "not_image"}
	}
	name := hdr.Filename
	if name == "" {
		name = "photo" + ext
	}
	if c := r.FormValue("caption"); c != "" {
		req.Text = &c
	}
	return req, &upload{name: name, mime: mt, data: data}, nil
}

// buildUpdate turns a valid request into an Update and, unless it is a
// button tap, the bubble that shows it on the person's side.
func (s *Simulator) buildUpdate(p Person, req sendRequest, photo *upload, lang string) (bot.Update, *entry, error) {
	actions := 0
	for _, set := range []bool{req.Text != nil && photo == nil, req.CallbackData != "", req.ShareContact, req.Location != nil, photo != nil} {
		if set {
			actions++
		}
	}
	if actions != 1 {
		return bot.Update{}, nil, badRequest("bad_request")
	}
	u := bot.Update{
		ID: s.nextID(), Channel: bot.ChannelSimulator,
		ChatID: p.ID, UserID: p.ID, UserName: p.Name, Locale: lang,
		Private: true, Time: time.Now(),
	}
	shown := &entry{}
	switch {
	case photo != nil:
		caption := ""
		if req.Text != nil {
			var err error
			if caption, err = cleanText(*req.Text, maxCaptionRunes, true); err != nil {
				return u, nil, err
			}
		}
		f := s.files.put(photo.name, photo.mime, photo.data)
		u.Kind, u.Text = bot.KindPhoto, caption
		u.Photo = &bot.Media{FileID: fileIDPrefix + f.id, Name: photo.name, Size: int64(len(photo.data)), Caption: caption}
		shown.PhotoURL, shown.Text = fileURL(f.id), caption
	case req.Text != nil:
		text, err := cleanText(*req.Text, MaxTextRunes, false)
		if err != nil {
			return u, nil, err
		}
		u.Kind, u.Text = bot.KindText, text
		shown.Text = text
	case req.CallbackData != "":
		if len(req.CallbackData) > maxCallbackData || !s.hasButton(p.ID, req.MessageID, req.CallbackData) {
			return u, nil, badRequest("unknown_button")
		}
		u.Kind, u.Text = bot.KindCallback, req.CallbackData
		u.Callback = &bot.Callback{ID: "cb-" + u.ID, Data: req.CallbackData, MessageID: req.MessageID}
		shown = nil
	case req.ShareContact:
		u.Kind = bot.KindContact
		u.Contact = &bot.Contact{Phone: p.Phone, Name: p.Name, UserID: p.ID, Verified: true}
		shown.Contact = &contactView{Phone: p.Phone, Name: p.Name}
	case req.Location != nil:
		l := req.Location
		if l.Lat == nil || l.Lon == nil || !validCoord(*l.Lat, 90) || !validCoord(*l.Lon, 180) {
			return u, nil, badRequest("bad_location")
		}
		u.Kind = bot.KindLocation
		u.Location = &bot.Location{Lat: *l.Lat, Lon: *l.Lon}
		shown.Location = &locationView{Lat: *l.Lat, Lon: *l.Lon}
	}
	return u, shown, nil
}

// cleanText normalises what was typed the way the real channels do (NFC) and
// checks its length.
func cleanText(s string, maxRunes int, emptyOK bool) (string, error) {
	if !utf8.ValidString(s) {
		return "", badRequest("bad_request")
	}
	s = strings.TrimSpace(norm.NFC.String(s))
	if s == "" && !emptyOK {
		return "", badRequest("empty")
	}
	if utf8.RuneCountInString(s) > maxRunes {
		return "", badRequest("too_long", "Max", maxRunes)
	}
	return s, nil
}

func validCoord(v, limit float64) bool {
	return !math.IsNaN(v) && v >= -limit && v <= limit
}

func (s *Simulator) serveMessages(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	lang := langOf(q.Get("lang"))
	after := int64(0)
	if a := q.Get("after"); a != "" {
		n, err := strconv.ParseInt(a, 10, 64)
		if err != nil || n < 0 {
			s.fail(w, lang, badRequest("bad_request"))
			return
		}
		after = n
	}
	p, err := s.person(r.Context(), q.Get("chat_id"))
	if err != nil {
		s.fail(w, lang, err)
		return
	}
	timer := time.NewTimer(s.pollTimeout)
	defer timer.Stop()
	for {
		s.mu.Lock()
		c := s.chat(p.ID)
		page, fresh := c.snapshot(after)
		changed := c.changed
		s.mu.Unlock()
		if fresh {
			writeJSON(w, http.StatusOK, page)
			return
		}
		select {
		case <-changed:
		case <-timer.C:
			writeJSON(w, http.StatusOK, page)
			return
		case <-s.closed:
			writeJSON(w, http.StatusOK, page)
			return
		case <-r.Context().Done():
			return
		}
	}
}

func (s *Simulator) serveFile(w http.ResponseWriter, r *http.Request) {
	f, ok := s.files.get(r.PathValue("id"))
	if !ok {
		s.fail(w, langOf(r.URL.Query().Get("lang")), &apiError{status: http.StatusNotFound, code: "not_found"})
		return
	}
	w.Header().Set("Content-Type", f.mime)
	w.Header().Set("Cache-Control", "private, max-age=3600")
	if _, inline := imageTypes[f.mime]; !inline {
		// Anything but a plain raster image is a download, never rendered on this origin.
		w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": f.name}))
	}
	http.ServeContent(w, r, f.name, f.created, bytes.NewReader(f.data))
}
