package web

import (
	"net/http"
	"net/url"
	"strings"
)

// figurePhase is the phase of the figures form: ?phase=, else the running
// phase, else the last one that ended, else the first.
func (s *Server) figurePhase(r *http.Request) string {
	if p := strings.TrimSpace(r.FormValue("phase")); p != "" {
		return p
	}
	now := s.d.Now()
	if p, ok := s.d.Campaign.PhaseAt(now, s.o.Location); ok {
		return p.ID
	}
	if p, ok := s.d.Campaign.PreviousPhase(now, s.o.Location); ok {
		return p.ID
	}
	if len(s.d.Campaign.Phases) > 0 {
		return s.d.Campaign.Phases[0].ID
	}
	return ""
}

// figuresPage is Số liệu: the commune's police figures of a phase as one
// form (commune police; the route checks EnterFigures).
func (s *Server) figuresPage(w http.ResponseWriter, r *http.Request, v *visitor) {
	phase := s.figurePhase(r)
	fields, err := s.d.Police.FiguresForm(r.Context(), v.Person, v.Lang, phase)
	if err != nil {
		s.failErr(w, r, v, err)
		return
	}
	if fields == nil {
		s.fail(w, r, v, http.StatusNotFound)
		return
	}
	s.render(w, r, v, http.StatusOK, "figures", map[string]any{"Fields": fields, "Phase": phase, "Phases": s.d.Campaign.Phases})
}

// figuresSave saves the form through police.SaveFigures, /solieu's own code.
func (s *Server) figuresSave(w http.ResponseWriter, r *http.Request, v *visitor) {
	phase := s.figurePhase(r)
	values := map[string]string{}
	for k, vs := range r.PostForm {
		if fig, ok := strings.CutPrefix(k, "f."); ok && len(vs) > 0 {
			values[fig] = vs[0]
		}
	}
	text, _, err := s.d.Police.SaveFigures(r.Context(), v.Person, v.Lang, phase, values)
	if err != nil {
		s.failErr(w, r, v, err)
		return
	}
	s.redirectWith(w, r, Prefix+"/figures?phase="+url.QueryEscape(phase), text)
}
