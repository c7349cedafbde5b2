package web

import (
	"net/http"
	"strings"

	"github.com/anttbot/anttbot/store"
)

// verifyItem is one report of the queue as the page shows it.
type verifyItem struct {
	store.QueueItem
	KindLabel string
	Answers   []string
}

// verifyPage is Xác minh: the reports waiting for the person's
// verification (police.Queue, as /duyet lists them), oldest first.
func (s *Server) verifyPage(w http.ResponseWriter, r *http.Request, v *visitor) {
	items, total, err := s.d.Police.Queue(r.Context(), v.Person, 100)
	if err != nil {
		s.failErr(w, r, v, err)
		return
	}
	out := make([]verifyItem, len(items))
	for i, it := range items {
		kind, answers := s.d.Police.Describe(it.Submission, v.Lang)
		out[i] = verifyItem{QueueItem: it, KindLabel: kind, Answers: answers}
	}
	s.render(w, r, v, http.StatusOK, "verify", map[string]any{"Items": out, "Total": total})
}

// verifyAct verifies the ticked reports, or refuses them with a reason,
// each through police.Verify / police.Reject (the chat's own code: first
// verifier wins, the reporter is told).
func (s *Server) verifyAct(w http.ResponseWriter, r *http.Request, v *visitor) {
	ctx := r.Context()
	if err := r.ParseForm(); err != nil {
		s.fail(w, r, v, http.StatusBadRequest)
		return
	}
	action := r.PostForm.Get("action")
	reason := strings.TrimSpace(r.PostForm.Get("reason"))
	if action != "verify" && action != "reject" {
		s.fail(w, r, v, http.StatusNotFound)
		return
	}
	if len([]rune(reason)) > 300 {
		s.redirectWith(w, r, Prefix+"/verify", s.d.Text.T(v.Lang, "web.verify.reason_too_long", "Max", 300))
		return
	}
	var msgs []string
	for _, raw := range r.PostForm["id"] {
		id := formID(raw)
		if id == 0 {
			continue
		}
		var text string
		var err error
		if action == "verify" {
			text, err = s.d.Police.Verify(ctx, v.Person, v.Lang, id)
		} else {
			text, err = s.d.Police.Reject(ctx, v.Person, v.Lang, id, reason)
		}
		if err != nil {
			s.fail(w, r, v, http.StatusInternalServerError, err)
			return
		}
		msgs = append(msgs, text)
	}
	if len(msgs) == 0 {
		msgs = append(msgs, s.d.Text.T(v.Lang, "web.verify.none_ticked"))
	}
	s.redirectWith(w, r, Prefix+"/verify", strings.Join(msgs, "\n"))
}
