package orgimport

import (
	"bytes"
	"encoding/csv"
	"errors"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/anttbot/anttbot/store"
	xunicode "golang.org/x/text/encoding/unicode"
)

var (
	bomUTF8    = []byte{0xef, 0xbb, 0xbf}
	bomUTF16LE = []byte{0xff, 0xfe}
	bomUTF16BE = []byte{0xfe, 0xff}
)

// separators are the field separators spreadsheets write: Excel uses the
// list separator of the system locale, which is ";" in Vietnamese Windows;
// "Unicode text" is tab-separated.
var separators = []rune{',', ';', '\t'}

// parseCSV reads a CSV file.
func parseCSV(data []byte) ([]store.ImportRow, error) {
	data, err := decodeText(data)
	if err != nil {
		return nil, err
	}
	sep, data := detectSeparator(data)
	return parseRows(newCSVSource(data, sep), validateOptions{csv: true})
}

// decodeText returns the file as UTF-8 without a byte order mark. Excel's
// "Unicode text" is UTF-16; legacy Vietnamese encodings (TCVN3, VNI,
// Windows-1258) are refused rather than guessed.
func decodeText(data []byte) ([]byte, error) {
	switch {
	case bytes.HasPrefix(data, bomUTF8):
		data = data[len(bomUTF8):]
	case bytes.HasPrefix(data, bomUTF16LE), bytes.HasPrefix(data, bomUTF16BE):
		dec := xunicode.UTF16(xunicode.LittleEndian, xunicode.ExpectBOM).NewDecoder()
		out, err := dec.Bytes(data)
		if err != nil {
			return nil, &FileError{Code: CodeNotUTF8, Err: err}
		}
		data = bytes.TrimPrefix(out, bomUTF8)
	}
	if !utf8.Valid(data) {
		bad := 0
		for bad < len(data) {
			r, size := utf8.DecodeRune(data[bad:])
			if r == utf8.RuneError && size <= 1 {
				break
			}
			bad += size
		}
		return nil, &FileError{Code: CodeNotUTF8, Line: 1 + bytes.Count(data[:bad], []byte("\n"))}
	}
	return data, nil
}

// detectSeparator picks the separator with which the header is found, and
// honours Excel's "sep=;" first line (which Excel itself hides, so the line
// numbers of the rest stay as Excel shows them once it is cut off).
func detectSeparator(data []byte) (rune, []byte) {
	if rest, ok := bytes.CutPrefix(data, []byte("sep=")); ok {
		line, after, _ := bytes.Cut(rest, []byte("\n"))
		line = bytes.TrimRight(line, "\r")
		if r, size := utf8.DecodeRune(line); size == len(line) && r != utf8.RuneError {
			return r, after
		}
	}
	best, bestKnown := separators[0], 0
	for _, sep := range separators {
		src := newCSVSource(data, sep)
		for searched := 0; searched < maxHeaderSearch; {
			_, cells, err := src.next()
			if err != nil {
				break
			}
			if isEmptyRow(cells) {
				continue
			}
			searched++
			n := countKnown(cells)
			if n > bestKnown {
				best, bestKnown = sep, n
			}
			if n >= minHeaderColumns {
				break // the header; the rows below it say nothing more
			}
		}
	}
	return best, data
}

// csvSource yields CSV records with their line numbers as a spreadsheet
// shows them.
type csvSource struct {
	r *csv.Reader
	// breaks counts line breaks inside quoted values so far: the file has
	// more lines than the spreadsheet has rows.
	breaks int
}

func newCSVSource(data []byte, sep rune) *csvSource {
	r := csv.NewReader(bytes.NewReader(data))
	r.Comma = sep
	r.FieldsPerRecord = -1
	// Hand-made files have stray quotes in names (Nguyễn Văn "Tư"); read
	// them as text rather than refusing the file.
	r.LazyQuotes = true
	return &csvSource{r: r}
}

func (s *csvSource) next() (int, []string, error) {
	rec, err := s.r.Read()
	if errors.Is(err, io.EOF) {
		return 0, nil, io.EOF
	}
	if err != nil {
		line := 0
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			line = pe.StartLine - s.breaks
		}
		return 0, nil, &FileError{Code: CodeBadCSV, Line: line, Err: err}
	}
	start, _ := s.r.FieldPos(0)
	line := start - s.breaks
	for _, f := range rec {
		s.breaks += strings.Count(f, "\n")
	}
	return line, rec, nil
}
