// Package orgimport reads the organisation (units and people) from the
// spreadsheet officials keep, .xlsx or .csv, and validates all of it before
// anything is written: a file with one bad row imports nothing, and every bad
// row is reported at once so the operator fixes the file in one pass.
//
// The file has a header row naming the columns tinh, huyen (optional), xa,
// to, ho_ten, so_dien_thoai and vai_tro, in any order, in Vietnamese with or
// without diacritics; examples/to-chuc-mau.csv and .xlsx show the format.
package orgimport

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/anttbot/anttbot/store"
)

// Limits on what Parse accepts. A province has a few thousand teams; these
// leave room for that while keeping a malicious upload from exhausting memory.
const (
	MaxFileSize = 20 << 20 // bytes
	MaxRows     = 50_000   // data rows, empty rows not counted
	MaxNameLen  = 100      // characters, for names of people and units
)

// Applier writes validated rows in one transaction; *store.Store implements it.
type Applier interface {
	ApplyImport(ctx context.Context, rows []store.ImportRow) (store.ImportResult, error)
}

// ImportFile parses the .xlsx or .csv file at path and, only if every row is
// valid, applies it. A parse failure is a *RowErrors or a *FileError (see
// Messages); nothing is applied then.
func ImportFile(ctx context.Context, st Applier, path string) (store.ImportResult, error) {
	f, err := os.Open(path)
	if err != nil {
		return store.ImportResult{}, fmt.Errorf("orgimport: open %s: %w", path, err)
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.Size() > MaxFileSize {
		return store.ImportResult{}, fmt.Errorf("orgimport: %s: %w", path, &FileError{Code: CodeTooLarge})
	}
	rows, err := Parse(f, filepath.Base(path))
	if err != nil {
		return store.ImportResult{}, fmt.Errorf("orgimport: parse %s: %w", path, err)
	}
	if err := ctx.Err(); err != nil {
		return store.ImportResult{}, fmt.Errorf("orgimport: %s: %w", path, err)
	}
	res, err := st.ApplyImport(ctx, rows)
	if err != nil {
		return store.ImportResult{}, fmt.Errorf("orgimport: apply %s (%d rows): %w", path, len(rows), err)
	}
	return res, nil
}

// Parse reads an organisation file: .xlsx (its first visible sheet) or .csv
// (UTF-8 with or without BOM, separated by commas, semicolons or tabs).
// filename only tells the format apart; the content is sniffed too. It
// returns the valid rows, or a *RowErrors listing every bad row, or a
// *FileError when the file as a whole cannot be used.
func Parse(r io.Reader, filename string) ([]store.ImportRow, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("orgimport: read %s: %w", filename, err)
	}
	if len(data) > MaxFileSize {
		return nil, &FileError{Code: CodeTooLarge}
	}
	switch format(data, filename) {
	case formatXLSX:
		return parseXLSX(data)
	case formatCSV:
		return parseCSV(data)
	}
	return nil, unreadable(data, filename)
}

// unreadable is the error for a file that is neither .xlsx nor .csv.
func unreadable(data []byte, filename string) error {
	if format(data, filename) == formatXLS {
		return &FileError{Code: CodeOldExcel}
	}
	return &FileError{Code: CodeUnsupportedFormat, Args: map[string]any{"Ext": filepath.Ext(filename)}}
}

// widestSeparator is the separator that splits the first row that is not
// empty into the most cells: for tables whose columns detectSeparator does
// not know.
func widestSeparator(data []byte) rune {
	best, most := separators[0], 0
	for _, sep := range separators {
		src := newCSVSource(data, sep)
		for {
			_, cells, err := src.next()
			if err != nil {
				break
			}
			if isEmptyRow(cells) {
				continue
			}
			if len(cells) > most {
				best, most = sep, len(cells)
			}
			break
		}
	}
	return best
}

// Row is one row of a sheet that is not empty, numbered as a spreadsheet
// shows it.
type Row struct {
	Line  int
	Cells []string
}

// ReadRows reads the rows that are not empty of an .xlsx file (its first
// visible sheet, merged cells filled down) or a .csv file, read exactly as
// Parse reads an organisation: for other tables (a restructuring file) that
// validate their own columns. Errors are *FileError (see Messages).
func ReadRows(r io.Reader, filename string) ([]Row, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("orgimport: read %s: %w", filename, err)
	}
	if len(data) > MaxFileSize {
		return nil, &FileError{Code: CodeTooLarge}
	}
	var rows []Row
	collect := func(src source) error {
		for {
			line, cells, err := src.next()
			if errors.Is(err, io.EOF) {
				return nil
			}
			if err != nil {
				return err
			}
			if isEmptyRow(cells) {
				continue
			}
			if len(rows) >= MaxRows {
				return &FileError{Code: CodeTooManyRows, Line: line}
			}
			rows = append(rows, Row{Line: line, Cells: cells})
		}
	}
	switch format(data, filename) {
	case formatXLSX:
		err = withXLSXSource(data, collect)
	case formatCSV:
		if data, err = decodeText(data); err == nil {
			sep, rest := detectSeparator(data)
			if !bytes.HasPrefix(data, []byte("sep=")) {
				sep = widestSeparator(data)
			}
			err = collect(newCSVSource(rest, sep))
		}
	default:
		err = unreadable(data, filename)
	}
	if err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, &FileError{Code: CodeEmptyFile}
	}
	return rows, nil
}

type fileFormat int

const (
	formatUnknown fileFormat = iota
	formatCSV
	formatXLSX
	formatXLS
)

var (
	zipMagic = []byte("PK\x03\x04")
	oleMagic = []byte{0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1}
)

// format decides how to read a file. Chat apps and browsers rename uploads,
// so a zip is read as .xlsx and an OLE file is reported as old Excel whatever
// the name says, unless the name says it is another zip-based format.
func format(data []byte, filename string) fileFormat {
	ext := strings.ToLower(filepath.Ext(filename))
	switch ext {
	case ".ods", ".numbers", ".docx", ".doc", ".pdf", ".zip", ".odt":
		return formatUnknown
	}
	switch {
	case bytes.HasPrefix(data, zipMagic):
		return formatXLSX
	case bytes.HasPrefix(data, oleMagic):
		return formatXLS
	}
	switch ext {
	case ".csv", ".txt", ".tsv", "":
		return formatCSV
	case ".xlsx", ".xlsm", ".xls":
		// Not a zip or OLE file: an HTML table saved as .xls, or a text file
		// renamed. Reading it as CSV finds the header if it is one.
		return formatCSV
	}
	return formatUnknown
}

// source yields the rows of a sheet.
type source interface {
	// next returns the next row and its number as a spreadsheet shows it, or
	// io.EOF after the last row.
	next() (line int, cells []string, err error)
}

// parseRows finds the header and validates every row after it.
func parseRows(src source, opts validateOptions) ([]store.ImportRow, error) {
	var (
		h         *header
		firstLine int
		first     []string
		searched  int
	)
	for h == nil && searched < maxHeaderSearch {
		line, cells, err := src.next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		if isEmptyRow(cells) {
			continue
		}
		if first == nil {
			firstLine, first = line, cells
		}
		searched++
		if countKnown(cells) >= minHeaderColumns {
			if h, err = readHeader(line, cells); err != nil {
				return nil, err
			}
		}
	}
	if h == nil {
		if first == nil {
			return nil, &FileError{Code: CodeEmptyFile}
		}
		// No row looks like a header: report what the first row lacks.
		_, err := readHeader(firstLine, first)
		return nil, err
	}

	v := newValidator(h, opts)
	count := 0
	for {
		line, cells, err := src.next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		if !h.hasData(cells) {
			continue
		}
		if count++; count > MaxRows {
			return nil, &FileError{Code: CodeTooManyRows, Line: line}
		}
		v.row(line, cells)
	}
	return v.finish()
}

// isEmptyRow reports whether every cell is blank.
func isEmptyRow(cells []string) bool {
	for _, c := range cells {
		if strings.TrimFunc(c, isBlank) != "" {
			return false
		}
	}
	return true
}

// hasData reports whether a row has a value in a known column. A row with
// only a number in an "STT" column is an unused template row, and a note
// beside the table is not a person.
func (h *header) hasData(cells []string) bool {
	for _, i := range h.index {
		if i < len(cells) && strings.TrimFunc(cells[i], isBlank) != "" {
			return true
		}
	}
	return false
}
