package report_test

import (
	"bytes"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/anttbot/anttbot/report"
	"github.com/anttbot/anttbot/store"
	"github.com/anttbot/anttbot/store/storetest"
)

func TestCLI(t *testing.T) {
	s := storetest.New(t, store.DriverSQLite)
	f := seedScenario(t, s)
	cat := catalog(t)
	// A second "Thôn 1", in Xã B, makes the name ambiguous.
	_, err := s.EnsureUnitPath(f.ctx, "Tỉnh Thử Nghiệm", "Huyện Một", "Xã B", "Thôn 1")
	must(t, "second Thôn 1", err)
	dir := t.TempDir()
	tests := []struct {
		name    string
		args    []string
		code    int
		stdout  string
		stderr  string
		file    string
		checkFn func(t *testing.T, b []byte)
	}{
		{name: "text by name", args: []string{"--unit", "xa a", "--period", "dot2", "--now", "2025-09-01"}, code: 0,
			stdout: "✅ Nguồn tin qua lực lượng: 100% (3/3 nguồn tin) · chỉ tiêu ≥ 80%"},
		{name: "text in English by code", args: []string{"--unit", "tinh-thu-nghiem/huyen-mot/xa-a", "--period", "dot2", "--lang", "en", "--now", "2025-09-01"}, code: 0,
			stdout: "Tips through the force: 100%"},
		{name: "png to a file", args: []string{"--unit", "Xã A", "--period", "dot2", "--format", "png", "--out", filepath.Join(dir, "a.png"), "--now", "2025-09-01"}, code: 0,
			file: "a.png", stderr: "wrote", checkFn: func(t *testing.T, b []byte) {
				img, err := png.Decode(bytes.NewReader(b))
				must(t, "decode png", err)
				if img.Bounds().Dx() != report.ChartWidth {
					t.Errorf("png width %d", img.Bounds().Dx())
				}
			}},
		{name: "xlsx for the police", args: []string{"--unit", "Tỉnh Thử Nghiệm", "--period", "ca", "--format", "xlsx", "--out", filepath.Join(dir, "p.xlsx"), "--tips", "--now", "2025-09-01"}, code: 0,
			file: "p.xlsx", checkFn: func(t *testing.T, b []byte) {
				x, err := excelize.OpenReader(bytes.NewReader(b))
				must(t, "open xlsx", err)
				defer x.Close()
				v, err := x.GetCellValue("Tổng hợp", "A3")
				must(t, "cell", err)
				if v != "Đơn vị: Tỉnh Thử Nghiệm" {
					t.Errorf("A3 = %q", v)
				}
				hdr, err := x.GetCellValue("Báo cáo đã xác nhận", "K1")
				must(t, "cell", err)
				if hdr != "Người cung cấp tin" {
					t.Errorf("source column = %q", hdr)
				}
			}},
		{name: "missing unit", args: []string{"--period", "dot2"}, code: 2, stderr: "--unit is required"},
		{name: "unknown unit", args: []string{"--unit", "Xã Không Có"}, code: 2, stderr: "no unit named"},
		{name: "ambiguous name", args: []string{"--unit", "thon 1"}, code: 2, stderr: "2 units are named"},
		{name: "bad period", args: []string{"--unit", "Xã A", "--period", "dot7"}, code: 2, stderr: "--period"},
		{name: "bad format", args: []string{"--unit", "Xã A", "--format", "pdf"}, code: 2, stderr: "--format must be"},
		{name: "binary without a file", args: []string{"--unit", "Xã A", "--format", "xlsx"}, code: 2, stderr: "give --out"},
		{name: "bad flag", args: []string{"--colour"}, code: 2, stderr: "flag provided but not defined"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := report.CLI(f.ctx, s, f.camp, cat, ict, tt.args, &stdout, &stderr)
			if code != tt.code {
				t.Fatalf("exit %d, want %d; stderr: %s", code, tt.code, stderr.String())
			}
			if !strings.Contains(stdout.String(), tt.stdout) {
				t.Errorf("stdout lacks %q:\n%s", tt.stdout, stdout.String())
			}
			if !strings.Contains(stderr.String(), tt.stderr) {
				t.Errorf("stderr lacks %q:\n%s", tt.stderr, stderr.String())
			}
			if tt.file != "" {
				b, err := os.ReadFile(filepath.Join(dir, tt.file))
				must(t, "read output", err)
				tt.checkFn(t, b)
			}
		})
	}
}
