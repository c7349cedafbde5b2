// Command genexample writes examples/to-chuc-mau.xlsx from
// examples/to-chuc-mau.csv, so the two example files always hold the same
// organisation. Run it from the module root after editing the CSV:
//
//	go run ./orgimport/internal/genexample
package main

import (
	"encoding/csv"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"

	"github.com/xuri/excelize/v2"
)

func main() {
	in := flag.String("in", "examples/to-chuc-mau.csv", "CSV example to read")
	out := flag.String("out", "examples/to-chuc-mau.xlsx", "workbook to write")
	flag.Parse()
	if err := run(*in, *out); err != nil {
		slog.Error("genexample failed", "err", err)
		os.Exit(1)
	}
}

func run(in, out string) error {
	f, err := os.Open(in)
	if err != nil {
		return fmt.Errorf("genexample: %w", err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	records, err := r.ReadAll()
	if err != nil {
		return fmt.Errorf("genexample: read %s: %w", in, err)
	}
	if len(records) > 0 && len(records[0]) > 0 {
		records[0][0] = strings.TrimPrefix(records[0][0], "\ufeff")
	}
	wb, err := Workbook(records)
	if err != nil {
		return err
	}
	defer wb.Close()
	if err := wb.SaveAs(out); err != nil {
		return fmt.Errorf("genexample: save %s: %w", out, err)
	}
	return nil
}

// Workbook lays records out as an official would: a bold header, readable
// column widths, and numbers where Excel would store numbers (the STT column
// and a phone typed without its leading zero, which Excel turns into a
// number; the importer has to cope with that).
func Workbook(records [][]string) (*excelize.File, error) {
	wb := excelize.NewFile()
	const sheet = "Danh sách"
	if err := wb.SetSheetName("Sheet1", sheet); err != nil {
		return nil, fmt.Errorf("genexample: %w", err)
	}
	for i, rec := range records {
		for j, v := range rec {
			cell, err := excelize.CoordinatesToCellName(j+1, i+1)
			if err != nil {
				return nil, fmt.Errorf("genexample: %w", err)
			}
			var val any = v
			if n, err := strconv.Atoi(v); err == nil && i > 0 && !strings.HasPrefix(v, "0") {
				val = n
			}
			if err := wb.SetCellValue(sheet, cell, val); err != nil {
				return nil, fmt.Errorf("genexample: set %s: %w", cell, err)
			}
		}
	}
	if len(records) == 0 {
		return wb, nil
	}
	bold, err := wb.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	if err != nil {
		return nil, fmt.Errorf("genexample: %w", err)
	}
	last, _ := excelize.CoordinatesToCellName(len(records[0]), 1)
	if err := wb.SetCellStyle(sheet, "A1", last, bold); err != nil {
		return nil, fmt.Errorf("genexample: %w", err)
	}
	for j := range records[0] {
		width := 6.0
		for _, rec := range records {
			if j < len(rec) {
				width = max(width, float64(len([]rune(rec[j])))+2)
			}
		}
		col, _ := excelize.ColumnNumberToName(j + 1)
		if err := wb.SetColWidth(sheet, col, col, min(width, 40)); err != nil {
			return nil, fmt.Errorf("genexample: %w", err)
		}
	}
	if err := wb.SetPanes(sheet, &excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return nil, fmt.Errorf("genexample: %w", err)
	}
	return wb, nil
}
