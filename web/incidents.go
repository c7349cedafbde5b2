package web

import (
	"net/http"

	"github.com/anttbot/anttbot/police"
	"github.com/anttbot/anttbot/store"
)

// incidentsPage is Sự việc: the form of /sukien and the commune's latest
// incidents (commune police; the route checks LogIncident).
func (s *Server) incidentsPage(w http.ResponseWriter, r *http.Request, v *visitor) {
	recent, err := s.d.Police.RecentIncidents(r.Context(), v.Person, v.Lang, 10)
	if err != nil {
		s.failErr(w, r, v, err)
		return
	}
	s.render(w, r, v, http.StatusOK, "incidents", map[string]any{
		"Kinds": police.IncidentKinds(), "Traffic": store.IncidentTraffic, "Today": s.d.Police.Today(),
		"Recent": recent, "Nonce": store.NewSecret()[:16],
	})
}

// incidentLog logs the incident through police.LogIncident, the code that
// finishes /sukien in the chat.
func (s *Server) incidentLog(w http.ResponseWriter, r *http.Request, v *visitor) {
	text, _, err := s.d.Police.LogIncident(r.Context(), v.Person, v.Lang, police.IncidentForm{
		Key: r.PostFormValue("nonce"), Kind: r.PostFormValue("kind"), Serious: r.PostFormValue("serious") != "",
		Date: r.PostFormValue("date"), Time: r.PostFormValue("time"), Place: r.PostFormValue("place"),
		Description: r.PostFormValue("desc"),
	})
	if err != nil {
		s.fail(w, r, v, http.StatusInternalServerError, err)
		return
	}
	s.redirectWith(w, r, Prefix+"/incidents", text)
}
