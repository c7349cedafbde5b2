package web

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/anttbot/anttbot/access"
	"github.com/anttbot/anttbot/store"
	"github.com/anttbot/anttbot/tips"
)

// inboxAges are the age filters of the tip inbox.
var inboxAges = map[string]time.Duration{"1d": 24 * time.Hour, "7d": 7 * 24 * time.Hour, "30d": 30 * 24 * time.Hour}

// tipKinds are the campaign's sensitive kinds (tips).
func (s *Server) tipKinds() []string {
	var out []string
	for _, k := range s.d.Campaign.Kinds {
		if k.Sensitive {
			out = append(out, k.ID)
		}
	}
	return out
}

// tipInbox is Nguồn tin: the tips of the person's subtree, urgent first
// then newest, filtered by state, age and team. Police chain only: the
// list names reporters, so its route asks for ReadTipSource (audited).
func (s *Server) tipInbox(w http.ResponseWriter, r *http.Request, v *visitor) {
	ctx := r.Context()
	q := r.URL.Query()
	f := store.ReportListFilter{UnitID: v.Person.UnitID, Kinds: s.tipKinds(), Limit: 50}
	state := q.Get("state")
	switch state {
	case "open":
		f.Statuses = []string{store.StatusPending, store.StatusReceived}
	case store.StatusPending, store.StatusReceived, store.StatusVerified, store.StatusRejected:
		f.Statuses = []string{state}
	default:
		state = ""
	}
	age := q.Get("age")
	if d, ok := inboxAges[age]; ok {
		f.Since = s.d.Now().Add(-d)
	} else {
		age = ""
	}
	teams, err := s.teamsBelow(r, v.Person.UnitID)
	if err != nil {
		s.fail(w, r, v, http.StatusInternalServerError, err)
		return
	}
	team := formID(q.Get("team"))
	for _, t := range teams {
		if t.ID == team {
			f.TeamID = team
		}
	}
	page := max(formID(q.Get("page")), 1)
	f.Offset = int(page-1) * f.Limit
	var items []store.QueueItem
	var total int64
	if len(f.Kinds) > 0 { // a campaign without tips has an empty inbox
		if items, total, err = s.d.Store.ReportList(ctx, f); err != nil {
			s.fail(w, r, v, http.StatusInternalServerError, err)
			return
		}
	}
	next := ""
	if int64(f.Offset+len(items)) < total {
		next = fmt.Sprintf("/web/tips?state=%s&age=%s&team=%d&page=%d", url.QueryEscape(state), url.QueryEscape(age), f.TeamID, page+1)
	}
	s.render(w, r, v, http.StatusOK, "tips", map[string]any{
		"Items": items, "Total": total, "Next": next, "State": state, "Age": age, "Team": f.TeamID, "Teams": teams,
		"States": []string{"open", store.StatusPending, store.StatusReceived, store.StatusVerified, store.StatusRejected},
		"Kinds":  s.kindNames(v.Lang), "Ages": []string{"1d", "7d", "30d"},
	})
}

// kindNames maps kind ids onto their emoji and name in lang.
func (s *Server) kindNames(lang string) map[string]string {
	out := map[string]string{}
	for _, k := range s.d.Campaign.Kinds {
		out[k.ID] = strings.TrimSpace(k.Emoji + " " + k.Name.In(lang))
	}
	return out
}

// teamsBelow lists the live teams of a commune for the team filter; none
// above a commune (a province has thousands: filter by commune there).
func (s *Server) teamsBelow(r *http.Request, unitID int64) ([]store.Unit, error) {
	u, err := s.d.Store.UnitByID(r.Context(), unitID)
	if err != nil || u.Level != store.LevelCommune {
		return nil, err
	}
	kids, err := s.d.Store.Children(r.Context(), unitID)
	if err != nil {
		return nil, err
	}
	var out []store.Unit
	for _, k := range kids {
		if k.Level == store.LevelTeam && k.MergedIntoID == nil {
			out = append(out, k)
		}
	}
	return out, nil
}

// tipPage shows one tip with the actions left on it. tips.Page asks the
// policy and audits the read; a refusal shows nothing of the tip.
func (s *Server) tipPage(w http.ResponseWriter, r *http.Request, v *visitor) {
	id := pathID(r)
	if id == 0 {
		s.fail(w, r, v, http.StatusNotFound)
		return
	}
	pg, err := s.d.Tips.Page(r.Context(), v.Person, v.Lang, id)
	if err != nil {
		s.failErr(w, r, v, err)
		return
	}
	s.render(w, r, v, http.StatusOK, "tip", map[string]any{"Tip": pg, "ID": id})
}

// tipAct runs one of the tip's actions through tips.Act, the chat's own code.
func (s *Server) tipAct(w http.ResponseWriter, r *http.Request, v *visitor) {
	id := pathID(r)
	if id == 0 {
		s.fail(w, r, v, http.StatusNotFound)
		return
	}
	action := r.PostFormValue("action")
	switch action {
	case tips.ActReceive, tips.ActVerify, tips.ActReject, tips.ActAsk:
	default:
		s.fail(w, r, v, http.StatusNotFound)
		return
	}
	// Whoever may not read the tip learns nothing from acting on it either.
	if err := s.d.Policy.Check(r.Context(), v.Person, access.SetTipStatus, access.Subject{SubmissionID: id}); err != nil {
		s.failErr(w, r, v, err)
		return
	}
	rep, err := s.d.Tips.Act(r.Context(), v.Person, v.Lang, id, action, r.PostFormValue("text"))
	if err != nil {
		s.fail(w, r, v, http.StatusInternalServerError, err)
		return
	}
	var msgs []string
	for _, m := range rep.Messages {
		if m.Text != "" {
			msgs = append(msgs, m.Text)
		}
	}
	s.redirectWith(w, r, Prefix+"/tips/"+strconv.FormatInt(id, 10), strings.Join(msgs, "\n"))
}
