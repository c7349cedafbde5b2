package orgimport

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/anttbot/anttbot/phone"
	"github.com/anttbot/anttbot/store"
)

// Row error codes. Each has the message "import.error.<code>" in locales/*/import.toml;
// bad phone numbers use "phone.<phone.Reason>".
const (
	CodeRequired                    = "required"
	CodeTooLong                     = "too_long"
	CodeControlChar                 = "control_char"
	CodeLineBreak                   = "line_break"
	CodeUnknownRole                 = "unknown_role"
	CodeTeamRoleNeedsTeam           = "team_role_needs_team"
	CodeTeamRoleNeedsCommune        = "team_role_needs_commune"
	CodePoliceWithTeam              = "police_with_team"
	CodeCommunePoliceNeedsCommune   = "commune_police_needs_commune"
	CodeDistrictPoliceNeedsDistrict = "district_police_needs_district"
	CodeDistrictPoliceWithCommune   = "district_police_with_commune"
	CodeProvincePoliceWithUnit      = "province_police_with_unit"
	CodeDuplicatePhone              = "duplicate_phone"
	CodeDuplicatePerson             = "duplicate_person"
	CodeUnitSpelling                = "unit_spelling"
	CodeCommuneMissingDistrict      = "commune_missing_district"
	CodeCommuneExtraDistrict        = "commune_extra_district"
	CodeExtraCells                  = "extra_cells"
)

// phoneCodePrefix prefixes a phone.Reason to make a row error code.
const phoneCodePrefix = "phone."

// File error codes. Each has the message "import.file.<code>".
const (
	CodeTooLarge          = "too_large"
	CodeTooManyRows       = "too_many_rows"
	CodeEmptyFile         = "empty"
	CodeNoRows            = "no_rows"
	CodeMissingColumns    = "missing_columns"
	CodeDuplicateColumn   = "duplicate_column"
	CodeUnsupportedFormat = "unsupported_format"
	CodeOldExcel          = "old_excel"
	CodeNotUTF8           = "not_utf8"
	CodeBadCSV            = "bad_csv"
	CodeBadXLSX           = "bad_xlsx"
)

// RowError is one problem in one row.
type RowError struct {
	// Line is the row number as a spreadsheet shows it; the header is usually line 1.
	Line int
	// Column is the column's documented name (ColPhone, …), or "" for the whole row.
	Column string
	// Reason is the problem in English, for logs and tests.
	Reason string
	// Code and Args select and fill the localized message "import.error.<Code>".
	Code string
	Args map[string]any
}

// String renders the error as "line 7: so_dien_thoai: too short…".
func (e RowError) String() string {
	if e.Column == "" {
		return fmt.Sprintf("line %d: %s", e.Line, e.Reason)
	}
	return fmt.Sprintf("line %d: %s: %s", e.Line, e.Column, e.Reason)
}

// RowErrors lists every bad row of a file. Nothing of the file is imported
// when Parse returns it.
type RowErrors struct {
	Rows []RowError
}

// Error lists every problem, one per line.
func (e *RowErrors) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "orgimport: %d problem(s) in the file, nothing imported:", len(e.Rows))
	for _, r := range e.Rows {
		b.WriteString("\n")
		b.WriteString(r.String())
	}
	return b.String()
}

// FileError is a problem with the file as a whole: its size, its format, its header.
type FileError struct {
	Code string
	// Line is where the problem was found, 0 when it is not about a line.
	Line int
	// Columns names the missing columns for CodeMissingColumns.
	Columns []string
	// Args fill the localized message "import.file.<Code>".
	Args map[string]any
	// Err is the underlying cause, for logs only.
	Err error
}

// Error describes the problem in English.
func (e *FileError) Error() string {
	msg := "orgimport: " + fileReason(e)
	if e.Line > 0 {
		msg += fmt.Sprintf(" (line %d)", e.Line)
	}
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

// Unwrap returns the underlying cause.
func (e *FileError) Unwrap() error { return e.Err }

// fileReason is the English text of a file error.
func fileReason(e *FileError) string {
	switch e.Code {
	case CodeTooLarge:
		return fmt.Sprintf("file larger than %d MB", MaxFileSize>>20)
	case CodeTooManyRows:
		return fmt.Sprintf("more than %d rows", MaxRows)
	case CodeEmptyFile:
		return "the file is empty"
	case CodeNoRows:
		return "the file has a header but no rows"
	case CodeMissingColumns:
		return "missing column(s): " + strings.Join(e.Columns, ", ")
	case CodeDuplicateColumn:
		return fmt.Sprintf("column %v appears twice (%v and %v)", e.Args["Column"], e.Args["Cell"], e.Args["Cell2"])
	case CodeUnsupportedFormat:
		return fmt.Sprintf("unsupported file type %q, use .xlsx or .csv", e.Args["Ext"])
	case CodeOldExcel:
		return "old Excel 97-2003 (.xls) file, save it as .xlsx"
	case CodeNotUTF8:
		return "the CSV file is not UTF-8, save it as \"CSV UTF-8\""
	case CodeBadCSV:
		return "unreadable CSV"
	case CodeBadXLSX:
		return "unreadable .xlsx file"
	}
	return e.Code
}

// Translator looks up a localized message; *locales.Catalog implements it.
type Translator interface {
	T(lang, key string, args ...any) string
}

// Messages renders an error from Parse or ImportFile for people, one line per
// problem, in lang. At most limit row problems are listed (0 for all), followed
// by a line saying how many more there are.
func Messages(tr Translator, lang string, err error, limit int) []string {
	var re *RowErrors
	if errors.As(err, &re) {
		out := []string{tr.T(lang, "import.failed", "Count", len(re.Rows))}
		for i, r := range re.Rows {
			if limit > 0 && i == limit {
				out = append(out, tr.T(lang, "import.more", "Count", len(re.Rows)-limit))
				break
			}
			out = append(out, RowMessage(tr, lang, r))
		}
		return out
	}
	var fe *FileError
	if errors.As(err, &fe) {
		args := pairs(fe.Args)
		args = append(args, "Line", fe.Line, "Columns", strings.Join(fe.Columns, ", "),
			"MaxMB", MaxFileSize>>20, "Max", MaxRows)
		return []string{tr.T(lang, "import.file."+fe.Code, args...)}
	}
	return []string{tr.T(lang, "import.file.generic")}
}

// RowMessage renders one row problem in lang: "dòng 7: so_dien_thoai: …".
func RowMessage(tr Translator, lang string, r RowError) string {
	reason := tr.T(lang, "import.error."+r.Code, pairs(r.Args)...)
	if r.Column == "" {
		return tr.T(lang, "import.row_whole", "Line", r.Line, "Reason", reason)
	}
	return tr.T(lang, "import.row", "Line", r.Line, "Column", r.Column, "Reason", reason)
}

// Summary renders what an import changed, in lang.
func Summary(tr Translator, lang string, res store.ImportResult) string {
	return tr.T(lang, "import.done",
		"UnitsCreated", res.UnitsCreated, "PeopleCreated", res.PeopleCreated,
		"PeopleUpdated", res.PeopleUpdated, "PeopleUnchanged", res.PeopleUnchanged)
}

// pairs flattens template arguments into T's name/value pairs, in a fixed order.
func pairs(args map[string]any) []any {
	out := make([]any, 0, 2*len(args))
	for _, k := range slices.Sorted(maps.Keys(args)) {
		out = append(out, k, args[k])
	}
	return out
}

// newRowError builds a RowError with its English reason.
func newRowError(line int, col, code string, args map[string]any) RowError {
	return RowError{Line: line, Column: col, Code: code, Args: args, Reason: rowReason(code, args)}
}

// rowReason is the English text of a row error.
func rowReason(code string, a map[string]any) string {
	if r, ok := strings.CutPrefix(code, phoneCodePrefix); ok {
		return (&phone.Error{Reason: phone.Reason(r)}).Error()
	}
	switch code {
	case CodeRequired:
		return "required value is empty"
	case CodeTooLong:
		return fmt.Sprintf("longer than %v characters", a["Max"])
	case CodeControlChar:
		return fmt.Sprintf("contains the control or invisible character %v", a["Char"])
	case CodeLineBreak:
		return "contains a line break (an unclosed quote in a CSV file does this)"
	case CodeUnknownRole:
		return fmt.Sprintf("unknown role %q (use to_truong, to_pho, to_vien, cong_an_xa, cong_an_huyen or cong_an_tinh)", a["Value"])
	case CodeTeamRoleNeedsTeam:
		return "a team role needs the team (to)"
	case CodeTeamRoleNeedsCommune:
		return "a team role needs the commune (xa)"
	case CodePoliceWithTeam:
		return "a police role must not name a team (to)"
	case CodeCommunePoliceNeedsCommune:
		return "cong_an_xa needs the commune (xa)"
	case CodeDistrictPoliceNeedsDistrict:
		return "cong_an_huyen needs the district (huyen)"
	case CodeDistrictPoliceWithCommune:
		return "cong_an_huyen must not name a commune (xa)"
	case CodeProvincePoliceWithUnit:
		return "cong_an_tinh must not name a district or commune"
	case CodeDuplicatePhone:
		return fmt.Sprintf("phone number already used on line %v by another person", a["Line"])
	case CodeDuplicatePerson:
		return fmt.Sprintf("the same person is already on line %v with another unit or role", a["Line"])
	case CodeUnitSpelling:
		return fmt.Sprintf("written differently on line %v (%q)", a["Line"], a["Name"])
	case CodeCommuneMissingDistrict:
		return fmt.Sprintf("this commune is under district %q on line %v", a["District"], a["Line"])
	case CodeCommuneExtraDistrict:
		return fmt.Sprintf("this commune has no district on line %v", a["Line"])
	case CodeExtraCells:
		return fmt.Sprintf("%v more cell(s) than the header has (an unquoted separator inside a value?)", a["Count"])
	}
	return code
}
