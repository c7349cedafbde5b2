package report_test

import (
	"bytes"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/anttbot/anttbot/report"
	"github.com/anttbot/anttbot/store"
	"github.com/anttbot/anttbot/store/storetest"
)

func TestRenderXLSX(t *testing.T) {
	s := storetest.New(t, store.DriverSQLite)
	f := seedScenario(t, s)
	cat := catalog(t)
	sc, err := report.Compute(f.ctx, s, f.camp, f.xaA, f.dot2, f.nowAfter, ict)
	must(t, "compute", err)
	ranking, err := report.BuildRanking(f.ctx, s, sc)
	must(t, "rank", err)

	open := func(t *testing.T, police bool) *excelize.File {
		t.Helper()
		rows, total, err := report.Rows(f.ctx, s, sc, police)
		must(t, "rows", err)
		if len(rows) != 24 || total != 0 {
			t.Fatalf("%d rows (total %d), want the 24 verified reports of Đợt 2", len(rows), total)
		}
		b, err := report.RenderXLSX(f.ctx, sc, ranking, rows, "vi", cat, report.XLSXOptions{CanSeeTips: police})
		must(t, "render", err)
		x, err := excelize.OpenReader(bytes.NewReader(b))
		must(t, "reopen", err)
		t.Cleanup(func() { x.Close() })
		return x
	}
	cell := func(t *testing.T, x *excelize.File, sheet, ref string) string {
		t.Helper()
		v, err := x.GetCellValue(sheet, ref)
		must(t, "cell "+sheet+"!"+ref, err)
		return v
	}

	t.Run("summary", func(t *testing.T) {
		x := open(t, false)
		want := []string{"Tổng hợp", "Chỉ tiêu theo xã", "Chỉ tiêu theo tổ", "Việc tốt theo tháng", "Xếp hạng tổ", "Xếp hạng cá nhân", "Báo cáo đã xác nhận"}
		if got := x.GetSheetList(); !slices.Equal(got, want) {
			t.Fatalf("sheets = %v, want %v", got, want)
		}
		const sh = "Tổng hợp"
		for ref, want := range map[string]string{
			"A1":  "BÁO CÁO KẾT QUẢ THỰC HIỆN PHONG TRÀO THI ĐUA",
			"A3":  "Đơn vị: Xã A",
			"A4":  "Kỳ báo cáo: Đợt 2 (04/02/2025 – 19/08/2025)",
			"A8":  "STT",
			"H8":  "Đánh giá",
			"A9":  "1",
			"B9":  "Thi đua hỗ trợ Công an xã nắm tình hình ANTT",
			"A10": "1.1",
			"B10": "Nguồn tin qua lực lượng",
			"D10": "≥ 80%",
			"E10": "100% (3/3 nguồn tin)",
			"F10": "3",
			"G10": "3",
			"H10": "Đạt",
			"H11": "Không đạt",
		} {
			if got := cell(t, x, sh, ref); got != want {
				t.Errorf("%s!%s = %q, want %q", sh, ref, got, want)
			}
		}
		// The member-violations row: not measurable, naming the figure.
		rows, err := x.GetRows(sh)
		must(t, "rows", err)
		found := false
		for _, r := range rows {
			if len(r) > 8 && r[1] == "Thành viên vi phạm, mắc tệ nạn" {
				found = r[7] == "Chưa có số liệu" && r[8] == "Công an xã chưa nhập: Thành viên vi phạm pháp luật, mắc tệ nạn xã hội" && r[5] == ""
			}
		}
		if !found {
			t.Errorf("no not-measurable row for member violations in %v", rows)
		}
		panes, err := x.GetPanes(sh)
		must(t, "panes", err)
		if !panes.Freeze || panes.YSplit != 8 {
			t.Errorf("summary panes = %+v, want frozen under row 8", panes)
		}
		if w, _ := x.GetColWidth(sh, "C"); w != 60 {
			t.Errorf("column C width = %v, want 60", w)
		}
	})

	t.Run("teams, months and ranking", func(t *testing.T) {
		x := open(t, false)
		for _, c := range []struct{ sheet, ref, want string }{
			{"Chỉ tiêu theo tổ", "C3", "Thôn 2"},
			{"Chỉ tiêu theo tổ", "F2", "7"}, // Thôn 1: months with a good deed
			{"Việc tốt theo tháng", "D1", "Tháng 2/2025"},
			{"Việc tốt theo tháng", "J3", "0"}, // Thôn 2, August
			{"Việc tốt theo tháng", "I3", "1"}, // Thôn 2, July
			{"Xếp hạng tổ", "B2", "Thôn 1"},
			{"Xếp hạng cá nhân", "B2", "Vũ Thị Mai"},
			{"Xếp hạng cá nhân", "C2", "Tổ viên"},
			{"Chỉ tiêu theo xã", "B2", "Xã A"},
		} {
			if got := cell(t, x, c.sheet, c.ref); got != c.want {
				t.Errorf("%s!%s = %q, want %q", c.sheet, c.ref, got, c.want)
			}
		}
	})

	t.Run("raw sheet hides tips from team leaders", func(t *testing.T) {
		x := open(t, false)
		const sh = "Báo cáo đã xác nhận"
		rows, err := x.GetRows(sh)
		must(t, "rows", err)
		if len(rows) != 25 || len(rows[0]) != 10 {
			t.Fatalf("%d rows, header %v; want 24 reports and 10 columns (no source)", len(rows), rows[0])
		}
		for _, r := range rows[1:] {
			if r[0] == strconv.FormatInt(f.ids["tip-a1"], 10) {
				if r[9] != "(chỉ Công an xem được)" {
					t.Errorf("tip content shown to a non-police reader: %q", r[9])
				}
			}
			for _, c := range r {
				if c == "Bà bán nước đầu ngõ" || c == "Người lạ tụ tập sau chợ" {
					t.Errorf("tip text in a non-police workbook: %v", r)
				}
			}
			if r[0] == strconv.FormatInt(f.ids["patrol-l1"], 10) && r[9] != "Hướng dẫn, phân luồng giao thông · 2.5 · Cổng trường" {
				t.Errorf("patrol summary = %q", r[9])
			}
		}
	})

	t.Run("raw sheet cut at the limit says so", func(t *testing.T) {
		rows, _, err := report.Rows(f.ctx, s, sc, false)
		must(t, "rows", err)
		b, err := report.RenderXLSX(f.ctx, sc, ranking, rows[:10], "vi", cat, report.XLSXOptions{RowsTotal: 24})
		must(t, "render", err)
		x, err := excelize.OpenReader(bytes.NewReader(b))
		must(t, "reopen", err)
		defer x.Close()
		const sh = "Báo cáo đã xác nhận"
		if got := cell(t, x, sh, "A1"); got != "Chỉ liệt kê 10 báo cáo đầu tiên trong tổng số 24." {
			t.Errorf("A1 = %q", got)
		}
		if got := cell(t, x, sh, "A2"); got != "Số báo cáo" {
			t.Errorf("A2 = %q, want the header under the note", got)
		}
		panes, err := x.GetPanes(sh)
		must(t, "panes", err)
		if !panes.Freeze || panes.YSplit != 2 {
			t.Errorf("panes = %+v, want frozen under row 2", panes)
		}
		all, err := x.GetRows(sh)
		must(t, "rows", err)
		if len(all) != 12 {
			t.Errorf("%d rows, want note, header and 10 reports", len(all))
		}
	})

	t.Run("raw sheet for the police", func(t *testing.T) {
		x := open(t, true)
		const sh = "Báo cáo đã xác nhận"
		rows, err := x.GetRows(sh)
		must(t, "rows", err)
		if len(rows[0]) != 11 || rows[0][10] != "Người cung cấp tin" {
			t.Fatalf("header = %v, want a source column", rows[0])
		}
		var tip, last []string
		for i, r := range rows[1:] {
			if r[0] == strconv.FormatInt(f.ids["tip-a1"], 10) {
				tip = r
			}
			if r[0] == strconv.FormatInt(f.ids["tip-a2-last-minute"], 10) {
				last = rows[1+i]
				// Dates are real dates: a number shown as a local date.
				raw, err := x.GetCellValue(sh, "B"+strconv.Itoa(i+2), excelize.Options{RawCellValue: true})
				must(t, "raw date", err)
				serial, err := strconv.ParseFloat(raw, 64)
				must(t, "date is a number", err)
				d, err := excelize.ExcelDateToTime(serial, false)
				must(t, "serial to time", err)
				if want := time.Date(2025, 8, 19, 23, 59, 0, 0, time.UTC); d.Sub(want).Abs() > time.Second {
					t.Errorf("date cell = %v, want 19/08/2025 23:59 local", d)
				}
			}
		}
		if tip == nil || tip[9] != "Ma túy · Người lạ tụ tập sau chợ · Bãi đất sau chợ" || tip[10] != "Bà bán nước đầu ngõ" {
			t.Errorf("police tip row = %v", tip)
		}
		if last == nil || last[1] != "19/08/2025 23:59" {
			t.Errorf("last-minute tip row = %v", last)
		}
	})
}
