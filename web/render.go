package web

import (
	"bytes"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/anttbot/anttbot/store"
)

// page is what every template gets.
type page struct {
	Lang string
	V    *visitor
	// Nav is the name of the page, to mark the menu.
	Nav string
	// Msg is the one-line result of the last action (?msg=).
	Msg string
	// Police is set for the police chain (the tip inbox is theirs alone).
	Police bool
	// Data is the page's own.
	Data map[string]any
}

func (s *Server) funcs() template.FuncMap {
	return template.FuncMap{
		"T": func(lang, key string, args ...any) string { return s.d.Text.T(lang, key, args...) },
		"when": func(t time.Time) string {
			if t.IsZero() {
				return ""
			}
			return t.In(s.o.Location).Format("15:04 02/01/2006")
		},
		"day": func(t time.Time) string {
			if t.IsZero() {
				return ""
			}
			return t.In(s.o.Location).Format("02/01/2006")
		},
		"lines": func(s string) []string { return strings.Split(s, "\n") },
		"pct":   func(v float64) string { return fmt.Sprintf("%.0f", min(max(v, 0), 100)) },
		"role":  func(lang string, r store.Role) string { return s.d.Text.T(lang, "flows.role."+string(r)) },
		"status": func(lang, st string) string {
			return s.d.Text.T(lang, "flows.status."+st)
		},
		"has": func(list []string, v string) bool {
			for _, x := range list {
				if x == v {
					return true
				}
			}
			return false
		},
	}
}

// parse builds one template set per page: the layout plus the page.
func (s *Server) parse() error {
	names, err := fs.Glob(templateFiles, "templates/*.html")
	if err != nil {
		return fmt.Errorf("web: templates: %w", err)
	}
	s.pages = map[string]*template.Template{}
	for _, n := range names {
		base := strings.TrimSuffix(path.Base(n), ".html")
		if base == "layout" {
			continue
		}
		t, err := template.New("layout.html").Funcs(s.funcs()).ParseFS(templateFiles, "templates/layout.html", n)
		if err != nil {
			return fmt.Errorf("web: template %s: %w", n, err)
		}
		s.pages[base] = t
	}
	return nil
}

// render writes a page. It renders into a buffer first, so a template
// error becomes a clean 500 rather than half a page.
func (s *Server) render(w http.ResponseWriter, r *http.Request, v *visitor, status int, name string, data map[string]any) {
	t, ok := s.pages[name]
	if !ok {
		s.log.Error("web: no template", "name", name)
		http.Error(w, "Lỗi hệ thống", http.StatusInternalServerError)
		return
	}
	if data == nil {
		data = map[string]any{}
	}
	p := page{Lang: v.Lang, V: v, Nav: name, Msg: s.flash(w, r), Police: v.Person.Role.IsPolice(), Data: data}
	var buf bytes.Buffer
	if err := t.Execute(&buf, p); err != nil {
		s.log.Error("web: render", "page", name, "err", err)
		if name != "error" {
			s.render(w, r, v, http.StatusInternalServerError, "error", map[string]any{"Status": http.StatusInternalServerError})
			return
		}
		http.Error(w, "Lỗi hệ thống", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}
