package police_test

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/anttbot/anttbot/access"
	"github.com/anttbot/anttbot/campaign"
	"github.com/anttbot/anttbot/report"
	"github.com/anttbot/anttbot/store"
)

func TestFigures(t *testing.T) {
	eachDriver(t, func(t *testing.T, driver string) {
		h := newHarness(t, driver, false)
		cong, hung := h.linked(officer), h.linked(leader)
		p, _ := h.camp.Phase("dot2")
		phaseFrom, phaseTo := p.Bounds(vn)
		commune := h.org.Commune.ID
		figs := h.camp.Figures()
		var communeFigs []string
		for _, f := range figs {
			if f != campaign.FigureCommendations {
				communeFigs = append(communeFigs, f)
			}
		}
		value := func(unit int64, fig string, from, to time.Time) (float64, bool) {
			t.Helper()
			f, err := h.st.PoliceFigureOf(h.ctx, unit, fig, from, to)
			if err != nil {
				return 0, false
			}
			return f.Value, true
		}

		t.Run("the phase's figures, one by one, skipped ones left out", func(t *testing.T) {
			msgs := cong.text("/solieu")
			if got := labels(msgs); !contains(got, "📊 Đợt 2: cả đợt") || !contains(got, "📅 Đợt 2: theo tháng") || !contains(got, "📊 Đợt 1: cả đợt") {
				t.Fatalf("menu buttons = %v", got)
			}
			msgs = cong.tap("📊 Đợt 2: cả đợt")
			mustContain(t, msgs, h.T("campaign.figure.tips_received_total.ask", "Period", "Đợt 2"), h.T("police.figures.not_entered"))
			for i, f := range communeFigs {
				var msgs []string
				switch f {
				case campaign.FigureTipsReceivedTotal:
					msgs = []string{"12"}
				case campaign.FigureResidentInfoPercent:
					mustContain(t, cong.text("150"), h.T("flows.number.between", "Min", "0", "Max", "100"))
					msgs = []string{"92,5"}
				case campaign.FigureViolatingBusinesses:
					cong.tap(h.T("common.skip"))
					continue
				default:
					msgs = []string{"0"}
				}
				out := cong.text(msgs[0])
				if i == len(communeFigs)-1 {
					mustContain(t, out, "Kiểm tra lại số liệu Đợt 2 của Xã An Bình", "Tổng số nguồn tin Công an xã tiếp nhận: chưa nhập → 12",
						"vi phạm: chưa nhập (giữ nguyên)", "92,5")
				}
			}
			mustContain(t, cong.tap(h.T("common.confirm")), h.T("police.figures.saved", "Count", len(communeFigs)-1, "Period", "Đợt 2"))
			if v, ok := value(commune, campaign.FigureTipsReceivedTotal, phaseFrom, phaseTo); !ok || v != 12 {
				t.Errorf("tips received = %v, %v", v, ok)
			}
			if v, ok := value(commune, campaign.FigureResidentInfoPercent, phaseFrom, phaseTo); !ok || v != 92.5 {
				t.Errorf("resident info = %v, %v", v, ok)
			}
			if _, ok := value(commune, campaign.FigureViolatingBusinesses, phaseFrom, phaseTo); ok {
				t.Error("a skipped figure was entered")
			}
		})
		t.Run("the current value is shown, skip keeps it, a change is audited old to new", func(t *testing.T) {
			mustContain(t, cong.text("/solieu xa dot2"), h.T("police.figures.current", "Value", "12"))
			mustContain(t, cong.text("15"), h.T("campaign.figure.violating_businesses.ask", "Period", "Đợt 2"))
			var out []string
			for range communeFigs[1:] {
				out = append(out, texts(cong.tap(h.T("common.skip"))))
			}
			if !strings.Contains(out[len(out)-1], "12 → 15") || !strings.Contains(out[len(out)-1], "92,5 (giữ nguyên)") {
				t.Errorf("summary = %s", out[len(out)-1])
			}
			mustContain(t, cong.tap(h.T("common.confirm")), h.T("police.figures.saved", "Count", 1, "Period", "Đợt 2"))
			subject := strconv.FormatInt(commune, 10) + "/" + campaign.FigureTipsReceivedTotal + "/" + phaseFrom.UTC().Format(time.RFC3339) + "/" + phaseTo.UTC().Format(time.RFC3339)
			es, err := h.st.AuditEntries(h.ctx, "police_figure", subject)
			if err != nil || len(es) != 2 || es[0].Detail != "none -> 12" || es[1].Detail != "12 -> 15" || *es[1].ActorID != h.person(officer).ID {
				t.Errorf("audit of the figure = %+v, %v", es, err)
			}
		})
		t.Run("a month of the phase does not offer what was entered for the whole phase", func(t *testing.T) {
			msgs := cong.text("/solieu th dot2")
			if got := labels(msgs); len(got) != 6 || got[0] != "tháng 7/2025" || got[5] != "tháng 2/2025" {
				t.Errorf("months of Đợt 2 = %v", got)
			}
			msgs = cong.tap("tháng 7/2025")
			mustContain(t, msgs, h.T("campaign.figure.violating_businesses.ask", "Period", "tháng 7/2025 (Đợt 2)"))
			mustNotContain(t, msgs, h.T("campaign.figure.tips_received_total.ask", "Period", "tháng 7/2025 (Đợt 2)"))
			// Every other figure was entered for the whole phase: straight to the summary.
			last := texts(cong.text("2"))
			if !strings.Contains(last, "đã nhập cho cả đợt (15)") || !strings.Contains(last, "chưa nhập → 2") {
				t.Errorf("summary lacks the locked figure or the change: %s", last)
			}
			cong.tap(h.T("common.confirm"))
			july := store.Span{From: time.Date(2025, 7, 1, 0, 0, 0, 0, vn), To: time.Date(2025, 8, 1, 0, 0, 0, 0, vn)}
			if v, ok := value(commune, campaign.FigureViolatingBusinesses, july.From, july.To); !ok || v != 2 {
				t.Errorf("July's violating businesses = %v, %v", v, ok)
			}
			// And the whole phase now leaves that figure alone.
			msgs = cong.text("/solieu xa dot2")
			mustContain(t, msgs, h.T("campaign.figure.tips_received_total.ask", "Period", "Đợt 2"))
			for range communeFigs {
				if !strings.Contains(cong.last().Text, "Kiểm tra lại") {
					last = texts(cong.tap(h.T("common.skip")))
				}
			}
			if !strings.Contains(last, "đã nhập theo tháng (tổng 2)") {
				t.Errorf("summary lacks the figure entered by month: %s", last)
			}
			cong.text("/huy")
		})
		t.Run("commendations per team and calendar month", func(t *testing.T) {
			msgs := cong.text("/solieu kt")
			if got := labels(msgs); len(got) == 0 || got[0] != "tháng 7/2025" {
				t.Fatalf("commendation months = %v", got)
			}
			msgs = cong.tap("tháng 7/2025")
			mustContain(t, msgs, h.T("campaign.figure.commendations.ask", "Period", "tháng 7/2025", "Team", "Tổ ANTT thôn Đông"))
			mustContain(t, cong.text("2"), h.T("campaign.figure.commendations.ask", "Period", "tháng 7/2025", "Team", "Tổ ANTT thôn Tây"))
			mustContain(t, cong.tap(h.T("common.skip")), "Tổ ANTT thôn Đông: chưa nhập → 2")
			cong.tap(h.T("common.confirm"))
			july := store.Span{From: time.Date(2025, 7, 1, 0, 0, 0, 0, vn), To: time.Date(2025, 8, 1, 0, 0, 0, 0, vn)}
			if v, ok := value(h.team(0).ID, campaign.FigureCommendations, july.From, july.To); !ok || v != 2 {
				t.Errorf("thôn Đông's commendations = %v, %v", v, ok)
			}
			if _, ok := value(h.team(1).ID, campaign.FigureCommendations, july.From, july.To); ok {
				t.Error("thôn Tây's skipped commendations were entered")
			}
		})
		t.Run("the scorecard reads what was entered", func(t *testing.T) {
			for i := 0; i < 3; i++ {
				h.report(member, "tip", store.StatusVerified, time.Date(2025, 7, 2+i, 9, 0, 0, 0, vn), nil)
			}
			sc, err := report.Compute(h.ctx, h.st, h.camp, commune, report.PhasePeriod(p, vn), h.clock.Now(), vn)
			if err != nil {
				t.Fatalf("compute: %v", err)
			}
			found := 0
			for _, r := range sc.Results {
				switch r.Target.Metric {
				case campaign.MetricTipShare:
					found++
					if r.Num != 3 || r.Den != 15 || r.Value != 20 || r.State == report.StateNotMeasurable {
						t.Errorf("tip share = %v/%v = %v (%s)", r.Num, r.Den, r.Value, r.State)
					}
				case campaign.MetricViolatingBusinesses:
					found++
					// Entered for July alone: not a figure for the phase,
					// and the months before July are named.
					if r.State != report.StateNotMeasurable || len(r.MissingMonths) != 5 || r.MissingMonths[0].Month != time.February {
						t.Errorf("violating businesses = %v (%s), missing months %v", r.Value, r.State, r.MissingMonths)
					}
				case campaign.MetricResidentInfoShare:
					found++
					if r.Value != 92.5 {
						t.Errorf("resident info share = %v (%s)", r.Value, r.State)
					}
				}
			}
			if found != 3 {
				t.Errorf("found %d of the 3 targets checked", found)
			}
			var dong *report.UnitCard
			for i := range sc.Teams {
				if sc.Teams[i].Unit.ID == h.team(0).ID {
					dong = &sc.Teams[i]
				}
			}
			if dong == nil || dong.Commendations != 2 {
				t.Errorf("thôn Đông's card = %+v", dong)
			}
		})
		t.Run("only the commune police enter figures", func(t *testing.T) {
			mustContain(t, hung.text("/solieu"), h.T("access.denied.role"))
			h.deniedAudited(t, leader, "unit", strconv.FormatInt(h.team(0).ID, 10), access.EnterFigures, access.ReasonRole)
		})
	})
}
