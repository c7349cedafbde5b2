package store

import (
	"fmt"
	"time"
)

// monthExpr returns SQL computing the calendar month ("2025-03") of the
// timestamp column col in loc, with its arguments. PostgreSQL converts with
// the zone's rules; SQLite has no zone database, so it shifts by loc's offset
// at `at` — exact for zones without daylight saving (Asia/Ho_Chi_Minh).
func (s *Store) monthExpr(col string, loc *time.Location, at time.Time) (string, []any) {
	if s.driver == DriverPostgres {
		return "to_char(" + col + " AT TIME ZONE ?, 'YYYY-MM')", []any{loc.String()}
	}
	_, off := at.In(loc).Zone()
	return "strftime('%Y-%m', " + col + ", ?)", []any{fmt.Sprintf("%+d seconds", off)}
}
