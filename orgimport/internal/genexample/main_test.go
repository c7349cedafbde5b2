package main

import (
	"path/filepath"
	"reflect"
	"testing"

	"github.com/xuri/excelize/v2"
)

func TestRunWritesTheCSVCells(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out.xlsx")
	if err := run("testdata/small.csv", out); err != nil {
		t.Fatalf("run: %v", err)
	}
	f, err := excelize.OpenFile(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sheet := f.GetSheetList()[0]
	got, err := f.GetRows(sheet, excelize.Options{RawCellValue: true})
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{
		{"STT", "Tỉnh", "Số điện thoại"},
		{"1", "Tỉnh A", "0912 345 678"},
		{"2", "Tỉnh A", "912345679"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("cells %q, want %q", got, want)
	}
	// A phone without its leading zero is stored as a number, as Excel
	// does; a cell without a type attribute is a number in OOXML.
	isNumber := func(typ excelize.CellType) bool {
		return typ == excelize.CellTypeNumber || typ == excelize.CellTypeUnset
	}
	if typ, err := f.GetCellType(sheet, "C3"); err != nil || !isNumber(typ) {
		t.Errorf("C3 type %v, %v; want a number", typ, err)
	}
	if typ, err := f.GetCellType(sheet, "C2"); err != nil || isNumber(typ) {
		t.Errorf("C2 type %v, %v; want text", typ, err)
	}
}

func TestRunMissingInput(t *testing.T) {
	if err := run("testdata/nope.csv", filepath.Join(t.TempDir(), "x.xlsx")); err == nil {
		t.Error("run with a missing input: no error")
	}
}
