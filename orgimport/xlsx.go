package orgimport

import (
	"archive/zip"
	"bufio"
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"path"
	"slices"
	"strings"

	"github.com/anttbot/anttbot/store"
	"github.com/xuri/excelize/v2"
)

// Limits on the unzipped workbook: a 20 MB upload of repeated XML can unzip
// to gigabytes. 50,000 rows of a few short cells take a few tens of MB.
const (
	maxUnzipped    = 256 << 20
	maxUnzippedXML = 16 << 20 // beyond this excelize streams a sheet from a temp file
	maxMerges      = 100_000
	maxFillColumn  = 256
)

// parseXLSX reads the first visible sheet of a workbook. excelize is large
// and parses hostile input; a panic in it must not take the bot down.
func parseXLSX(data []byte) (rows []store.ImportRow, err error) {
	err = withXLSXSource(data, func(src source) error {
		rows, err = parseRows(src, validateOptions{xlsx: true})
		return err
	})
	return rows, err
}

// withXLSXSource calls fn with the rows of the workbook's first visible sheet.
func withXLSXSource(data []byte, fn func(source) error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = &FileError{Code: CodeBadXLSX, Err: fmt.Errorf("excelize panic: %v", p)}
		}
	}()
	f, err := excelize.OpenReader(bytes.NewReader(data), excelize.Options{
		UnzipSizeLimit:    maxUnzipped,
		UnzipXMLSizeLimit: maxUnzippedXML,
	})
	if err != nil {
		return &FileError{Code: CodeBadXLSX, Err: err}
	}
	defer f.Close()

	sheet := firstVisibleSheet(f)
	if sheet == "" {
		return &FileError{Code: CodeBadXLSX, Err: errors.New("no worksheet")}
	}
	it, err := f.Rows(sheet)
	if err != nil {
		return &FileError{Code: CodeBadXLSX, Err: err}
	}
	defer it.Close()
	src := &xlsxSource{rows: it}
	// Merged cells are a convenience; a workbook whose merges cannot be
	// read is still imported, and any gap shows up as a missing value.
	src.merges, _ = verticalMerges(data, sheet)
	return fn(src)
}

// firstVisibleSheet is the sheet a person sees first when opening the file.
func firstVisibleSheet(f *excelize.File) string {
	list := f.GetSheetList()
	for _, name := range list {
		if visible, err := f.GetSheetVisible(name); err == nil && visible {
			return name
		}
	}
	if len(list) > 0 {
		return list[0]
	}
	return ""
}

// xlsxSource yields the rows of a sheet, gaps included, so that the row
// number is the one Excel shows.
type xlsxSource struct {
	rows   *excelize.Rows
	line   int
	merges []merge // sorted by top row
	active []*merge
	nextM  int
}

// merge is a merged range that spans several rows. Officials merge the
// cells of a commune or team down its rows; only the range's first column is
// filled, so a name merged across columns is not copied into the phone.
type merge struct {
	col, top, bottom int // 0-based column, 1-based rows
	value            string
}

func (s *xlsxSource) next() (int, []string, error) {
	if !s.rows.Next() {
		if err := s.rows.Error(); err != nil {
			return 0, nil, &FileError{Code: CodeBadXLSX, Line: s.line + 1, Err: err}
		}
		return 0, nil, io.EOF
	}
	s.line++
	// Raw values: a phone stored as a number must not come back formatted
	// ("9.12E+08", "912,345,678").
	cells, err := s.rows.Columns(excelize.Options{RawCellValue: true})
	if err != nil {
		return 0, nil, &FileError{Code: CodeBadXLSX, Line: s.line, Err: err}
	}
	return s.line, s.fill(cells), nil
}

// fill copies the value of vertically merged ranges into the rows below
// their top cell, where the file has nothing.
func (s *xlsxSource) fill(cells []string) []string {
	for s.nextM < len(s.merges) && s.merges[s.nextM].top <= s.line {
		s.active = append(s.active, &s.merges[s.nextM])
		s.nextM++
	}
	s.active = slices.DeleteFunc(s.active, func(m *merge) bool { return m.bottom < s.line })
	for _, m := range s.active {
		if m.top == s.line {
			if m.col < len(cells) {
				m.value = cells[m.col]
			}
			continue
		}
		if m.value == "" {
			continue
		}
		for len(cells) <= m.col {
			cells = append(cells, "")
		}
		if cells[m.col] == "" {
			cells[m.col] = m.value
		}
	}
	return cells
}

// verticalMerges reads the merged ranges of a sheet that span more than one
// row, straight from the package: excelize's GetMergeCells loads the whole
// sheet into memory and compares every range with every other.
func verticalMerges(data []byte, sheet string) ([]merge, error) {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil, err
	}
	files := map[string]*zip.File{}
	for _, f := range zr.File {
		files[strings.ToLower(strings.TrimPrefix(f.Name, "/"))] = f
	}
	rid, err := sheetRelID(files["xl/workbook.xml"], sheet)
	if err != nil {
		return nil, err
	}
	target, err := relTarget(files["xl/_rels/workbook.xml.rels"], rid)
	if err != nil {
		return nil, err
	}
	if strings.HasPrefix(target, "/") {
		target = strings.TrimPrefix(target, "/")
	} else {
		target = path.Join("xl", target)
	}
	sf := files[strings.ToLower(target)]
	if sf == nil {
		return nil, fmt.Errorf("sheet part %s not found", target)
	}
	rc, err := sf.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	var out []merge
	err = scanMergeRefs(io.LimitReader(rc, maxUnzipped), func(ref string) bool {
		from, to, ok := strings.Cut(ref, ":")
		if !ok {
			return true
		}
		c1, r1, err1 := excelize.CellNameToCoordinates(from)
		_, r2, err2 := excelize.CellNameToCoordinates(to)
		if err1 != nil || err2 != nil || r2 <= r1 || c1 > maxFillColumn {
			return true
		}
		out = append(out, merge{col: c1 - 1, top: r1, bottom: r2})
		return len(out) < maxMerges
	})
	slices.SortFunc(out, func(a, b merge) int { return a.top - b.top })
	return out, err
}

// scanMergeRefs calls fn with the ref of every mergeCell element of a sheet
// until fn returns false. It looks only at tag names instead of decoding the
// XML: a sheet is mostly cells, and tokenizing them all again doubled the
// time to read a large workbook.
func scanMergeRefs(r io.Reader, fn func(ref string) bool) error {
	br := bufio.NewReaderSize(r, 64<<10)
	for {
		if _, err := br.ReadSlice('<'); err != nil {
			if errors.Is(err, bufio.ErrBufferFull) {
				continue
			}
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
		head, _ := br.Peek(32)
		if i := bytes.IndexAny(head, " \t\r\n/>"); i >= 0 {
			head = head[:i]
		}
		if i := bytes.IndexByte(head, ':'); i >= 0 {
			head = head[i+1:] // a namespace prefix: <x:mergeCell>
		}
		if string(head) != "mergeCell" {
			continue
		}
		tag, err := br.ReadSlice('>')
		if err != nil {
			return nil // a truncated tag at the end: no more merges
		}
		if !fn(tagAttr(tag, "ref")) {
			return nil
		}
	}
}

// tagAttr returns the value of attribute name in the raw text of a tag.
func tagAttr(tag []byte, name string) string {
	for i := 0; ; {
		j := bytes.Index(tag[i:], []byte(name+"="))
		if j < 0 {
			return ""
		}
		j += i
		i = j + len(name) + 1
		if j > 0 && !bytes.ContainsAny(tag[j-1:j], " \t\r\n") {
			continue // the end of a longer name
		}
		if i >= len(tag) || (tag[i] != '"' && tag[i] != '\'') {
			continue
		}
		end := bytes.IndexByte(tag[i+1:], tag[i])
		if end < 0 {
			return ""
		}
		return string(tag[i+1 : i+1+end])
	}
}

// sheetRelID finds the relationship id of a sheet in workbook.xml.
func sheetRelID(f *zip.File, sheet string) (string, error) {
	id := ""
	err := eachElement(f, "sheet", func(attrs []xml.Attr) bool {
		if attr(attrs, "name") == sheet {
			id = attr(attrs, "id")
			return false
		}
		return true
	})
	if err == nil && id == "" {
		err = fmt.Errorf("sheet %q not in workbook", sheet)
	}
	return id, err
}

// relTarget finds where a relationship points in a .rels part.
func relTarget(f *zip.File, id string) (string, error) {
	target := ""
	err := eachElement(f, "Relationship", func(attrs []xml.Attr) bool {
		if attr(attrs, "Id") == id {
			target = attr(attrs, "Target")
			return false
		}
		return true
	})
	if err == nil && target == "" {
		err = fmt.Errorf("relationship %q not found", id)
	}
	return target, err
}

// eachElement streams a part and calls fn with the attributes of every
// element with the local name local, until fn returns false.
func eachElement(f *zip.File, local string, fn func([]xml.Attr) bool) error {
	if f == nil {
		return errors.New("part missing")
	}
	rc, err := f.Open()
	if err != nil {
		return err
	}
	defer rc.Close()
	dec := xml.NewDecoder(io.LimitReader(rc, maxUnzipped))
	for {
		tok, err := dec.RawToken()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if se, ok := tok.(xml.StartElement); ok && se.Name.Local == local {
			if !fn(se.Attr) {
				return nil
			}
		}
	}
}

// attr returns the value of the attribute with the local name local.
func attr(attrs []xml.Attr, local string) string {
	for _, a := range attrs {
		if a.Name.Local == local {
			return a.Value
		}
	}
	return ""
}
