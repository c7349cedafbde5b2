package web

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/anttbot/anttbot/access"
	"github.com/anttbot/anttbot/report"
	"github.com/anttbot/anttbot/store"
)

// child is one unit below the dashboard's, in ranking order.
type child struct {
	Rank  int
	Unit  store.Unit
	Met   int
	Of    int
	Total int64
}

// periodChoice is one entry of the period menu.
type periodChoice struct {
	Value, Label string
}

// dashboard is Tổng quan: the scorecard of a unit in the person's subtree
// for a period, its chart, its targets, and its child units ranked, each a
// link one level down.
func (s *Server) dashboard(w http.ResponseWriter, r *http.Request, v *visitor) {
	ctx := r.Context()
	sc, raw, outside, err := s.scorecard(r, v)
	if err != nil {
		if errors.Is(err, report.ErrBadPeriod) {
			s.fail(w, r, v, http.StatusNotFound)
			return
		}
		s.failErr(w, r, v, err)
		return
	}
	var children []child
	switch sc.Unit.Level {
	case store.LevelCommune:
		for _, t := range report.RankTeams(sc) {
			children = append(children, child{Rank: t.Rank, Unit: t.Card.Unit, Met: t.Card.Met(), Of: len(t.Card.Results), Total: t.Card.Total()})
		}
	case store.LevelTeam:
	default:
		for _, c := range report.RankCommunes(sc) {
			children = append(children, child{Rank: c.Rank, Unit: c.Card.Unit, Met: c.Card.Met(), Of: len(c.Card.Results), Total: c.Card.Total()})
		}
	}
	tally := sc.Tally()
	var parent *store.Unit
	if sc.Unit.ID != v.Person.UnitID && sc.Unit.ParentID != nil {
		if u, err := s.d.Store.UnitByID(ctx, *sc.Unit.ParentID); err == nil {
			parent = &u
		}
	}
	s.render(w, r, v, http.StatusOK, "dashboard", map[string]any{
		"Card":     sc,
		"Lines":    report.Lines(sc, v.Lang, s.d.Text),
		"Period":   report.PeriodLabel(sc.Period, v.Lang, s.d.Text),
		"Raw":      raw,
		"Outside":  outside,
		"Running":  !sc.Period.Over(sc.Now),
		"Tally":    tally,
		"Met":      tally[report.StateMet],
		"NotYet":   tally[report.StateNotYet],
		"Missed":   tally[report.StateMissed],
		"NoData":   tally[report.StateNotMeasurable],
		"Children": children,
		"Parent":   parent,
		"Periods":  s.periodChoices(v.Lang),
		"UnitQ":    strconv.FormatInt(sc.Unit.ID, 10),
		"CanXLSX":  true,
	})
}

// scorecard computes the scorecard the request asks for. The route checked
// ViewSummary on the unit (the person's subtree only); it is asked again
// here so that no caller can forget it.
func (s *Server) scorecard(r *http.Request, v *visitor) (report.Scorecard, string, bool, error) {
	period, raw, outside, err := s.period(r)
	if err != nil {
		return report.Scorecard{}, raw, false, err
	}
	unitID := unitOf(r, v.Person)
	if err := s.d.Policy.Check(r.Context(), v.Person, access.ViewSummary, access.Subject{UnitID: unitID}); err != nil {
		return report.Scorecard{}, raw, false, err
	}
	sc, err := report.Compute(r.Context(), s.d.Store, s.d.Campaign, unitID, period, s.d.Now(), s.o.Location)
	if err != nil {
		return report.Scorecard{}, raw, false, s.errf("scorecard of unit %d: %w", unitID, err)
	}
	return sc, raw, outside, nil
}

// periodChoices are the phases, this month and the whole campaign.
func (s *Server) periodChoices(lang string) []periodChoice {
	out := make([]periodChoice, 0, len(s.d.Campaign.Phases)+2)
	for _, p := range s.d.Campaign.Phases {
		out = append(out, periodChoice{Value: p.ID, Label: p.Name.In(lang)})
	}
	out = append(out, periodChoice{Value: "thang", Label: s.d.Text.T(lang, "web.period.month")},
		periodChoice{Value: "ca", Label: s.d.Text.T(lang, "web.period.campaign")})
	return out
}

// chart is the scorecard's PNG chart.
func (s *Server) chart(w http.ResponseWriter, r *http.Request, v *visitor) {
	sc, _, _, err := s.scorecard(r, v)
	if err != nil {
		s.failErr(w, r, v, err)
		return
	}
	png, err := report.RenderPNG(sc, v.Lang, s.d.Text)
	if err != nil {
		s.fail(w, r, v, http.StatusInternalServerError, err)
		return
	}
	w.Header().Set("Content-Type", "image/png")
	if r.URL.Query().Get("download") != "" {
		w.Header().Set("Content-Disposition", `attachment; filename="`+fileName(sc, "png")+`"`)
	}
	_, _ = w.Write(png)
}

// export is Xuất: the workbook of a unit and period. Tips are listed only
// for the police chain, as in the chat's /tongket.
func (s *Server) export(w http.ResponseWriter, r *http.Request, v *visitor) {
	ctx := r.Context()
	sc, _, _, err := s.scorecard(r, v)
	if err != nil {
		s.failErr(w, r, v, err)
		return
	}
	canSeeTips := v.Person.Role.IsPolice()
	ranking, err := report.BuildRanking(ctx, s.d.Store, sc)
	if err != nil {
		s.fail(w, r, v, http.StatusInternalServerError, err)
		return
	}
	rows, total, err := report.Rows(ctx, s.d.Store, sc, canSeeTips)
	if err != nil {
		s.fail(w, r, v, http.StatusInternalServerError, err)
		return
	}
	data, err := report.RenderXLSX(ctx, sc, ranking, rows, v.Lang, s.d.Text, report.XLSXOptions{CanSeeTips: canSeeTips, RowsTotal: total})
	if err != nil {
		s.fail(w, r, v, http.StatusInternalServerError, err)
		return
	}
	w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	w.Header().Set("Content-Disposition", `attachment; filename="`+fileName(sc, "xlsx")+`"`)
	_, _ = w.Write(data)
}

// fileName is an ASCII file name such as "tong-ket-2024-08-19-2025-02-03-42.xlsx".
func fileName(sc report.Scorecard, ext string) string {
	return "tong-ket-" + sc.Period.First.String() + "-" + sc.Period.Last.String() + "-" + strconv.FormatInt(sc.Unit.ID, 10) + "." + ext
}
