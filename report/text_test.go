package report_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/anttbot/anttbot/report"
	"github.com/anttbot/anttbot/store"
	"github.com/anttbot/anttbot/store/storetest"
)

func utf16Len(s string) int { return len(utf16.Encode([]rune(s))) }

// TestRenderText compares the commune and team scorecards with the golden
// files in testdata (rewritten with -update) and checks what the chat needs.
func TestRenderText(t *testing.T) {
	s := storetest.New(t, store.DriverSQLite)
	f := seedScenario(t, s)
	cat := catalog(t)
	tests := []struct {
		name   string
		unit   int64
		now    string
		lang   string
		golden string
		has    []string
	}{
		{name: "commune vi", unit: f.xaA, lang: "vi", golden: "scorecard-xa-a.vi.txt", has: []string{
			"Xã A · Đợt 2 (04/02/2025 – 19/08/2025)",
			"✅ 8 đạt · ⏳ 0 đang theo dõi · ❌ 4 không đạt · ❔ 1 chưa có số liệu",
			"✅ Nguồn tin qua lực lượng: 100% (3/3 nguồn tin) · chỉ tiêu ≥ 80%",
			"❌ Có mặt tại vụ, việc: 66,7% (2/3 vụ, việc có mặt kịp thời, 2 có mặt) · chỉ tiêu 100%",
			"❔ Thành viên vi phạm, mắc tệ nạn: Công an xã chưa nhập: Thành viên vi phạm pháp luật, mắc tệ nạn xã hội",
			"❌ Việc tốt hằng tháng của tổ: 1/2 tổ đạt (50%) · 13/14 lượt tổ-tháng có việc tốt · không tính tổ chưa có thành viên: Thôn 3 · chỉ tiêu ≥ 1/tháng",
			"🏆 Tổ dẫn đầu\n1. Thôn 1 — 7/7 tháng có việc tốt · 75% tuần tra · 13 báo cáo",
		}},
		{name: "commune en", unit: f.xaA, lang: "en", golden: "scorecard-xa-a.en.txt", has: []string{
			"❌ Present at incidents: 66.7% (2/3 incidents attended in time, 2 attended) · target 100%",
			"✅ Resident information: 95% · target > 90%",
		}},
		{name: "team vi", unit: f.thon2, lang: "vi", golden: "scorecard-thon-2.vi.txt", has: []string{
			"Thôn 2 (Xã A) · Đợt 2",
			"✅ Thành viên tham gia tuần tra: 100% (2/2 thành viên) · chỉ tiêu 100%",
			"✅ Nguồn tin qua lực lượng (của xã): 100%",
		}},
		{name: "province vi", unit: f.province, lang: "vi", has: []string{
			"3 xã · 5 tổ · 9 thành viên",
			"❔ Nguồn tin qua lực lượng: 2/3 xã đạt (66,7%) · 3/3 nguồn tin · 1 xã chưa nhập số liệu · chỉ tiêu ≥ 80%",
			"3. Khu dân cư số 5 (Phường C)",
		}},
		{name: "running phase", unit: f.xaA, now: "during", lang: "vi", has: []string{
			"Số liệu đến ngày 15/05/2025 · kỳ báo cáo chưa kết thúc",
			"⏳ Nguồn tin qua lực lượng: 66,7% (2/3 nguồn tin)",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			now := f.nowAfter
			if tt.now == "during" {
				now = f.nowDuring
			}
			sc, err := report.Compute(f.ctx, s, f.camp, tt.unit, f.dot2, now, ict)
			must(t, "compute", err)
			txt := report.RenderText(sc, tt.lang, cat)
			for _, h := range tt.has {
				if !strings.Contains(txt, h) {
					t.Errorf("text lacks %q:\n%s", h, txt)
				}
			}
			icons := 0
			for _, line := range strings.Split(txt, "\n") {
				for _, ic := range []string{"✅ ", "⏳ ", "❌ ", "❔ "} {
					if strings.HasPrefix(line, ic) && strings.Contains(line, ": ") {
						icons++
					}
				}
			}
			if icons != len(f.camp.Targets()) {
				t.Errorf("%d target lines, want %d", icons, len(f.camp.Targets()))
			}
			if n := utf16Len(txt); n > report.MaxTextLen {
				t.Errorf("text is %d UTF-16 units, over %d", n, report.MaxTextLen)
			}
			if tt.golden != "" {
				golden(t, tt.golden, txt)
			}
		})
	}
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		must(t, "write golden", os.WriteFile(path, []byte(got), 0o644))
		return
	}
	want, err := os.ReadFile(path)
	must(t, "read golden (run with -update to create it)", err)
	if string(want) != got {
		t.Errorf("%s differs from the output (run with -update after checking):\ngot:\n%s\nwant:\n%s", path, got, want)
	}
}

// TestRenderTextProvinceFits renders a province of 200 communes and 1,500
// teams, whose text must still fit one message.
func TestRenderTextProvinceFits(t *testing.T) {
	s := storetest.New(t, store.DriverSQLite)
	ctx := ctxT(t)
	g, err := s.GenerateProvince(ctx, provinceSpec(200, 1500, 5000, 20000))
	must(t, "generate", err)
	camp := loadFixtureCampaign()
	p, _ := camp.Phase("dot2")
	sc, err := report.Compute(ctx, s, camp, g.Province.ID, report.PhasePeriod(p, ict), at(2025, 9, 1, 0, 0), ict)
	must(t, "compute", err)
	if len(sc.Communes) != 200 || len(sc.Teams) != 1500 {
		t.Fatalf("%d communes, %d teams", len(sc.Communes), len(sc.Teams))
	}
	cat := catalog(t)
	for _, lang := range []string{"vi", "en"} {
		txt := report.RenderText(sc, lang, cat)
		if n := utf16Len(txt); n > report.MaxTextLen || n < 1500 {
			t.Errorf("%s: province text is %d UTF-16 units", lang, n)
		}
		if strings.Contains(txt, cat.T(lang, "report.truncated")) {
			t.Errorf("%s: province text was cut", lang)
		}
	}
	// A campaign with very long names is cut at a line, with a pointer to
	// the spreadsheet, and still fits.
	long := longNames{cat}
	txt := report.RenderText(sc, "vi", long)
	if n := utf16Len(txt); n > report.MaxTextLen || !strings.HasSuffix(txt, cat.T("vi", "report.truncated")) {
		t.Errorf("long text: %d UTF-16 units, ends %q", n, txt[max(0, len(txt)-80):])
	}
}

// longNames makes every target name 400 characters long.
type longNames struct{ report.Translator }

func (l longNames) T(lang, key string, args ...any) string {
	s := l.Translator.T(lang, key, args...)
	if strings.HasSuffix(key, ".name") {
		return s + strings.Repeat("ữ", 400)
	}
	return s
}
