package flows

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/anttbot/anttbot/campaign"
	"github.com/anttbot/anttbot/phone"
)

// formatDate writes a civil date the Vietnamese way, dd/mm/yyyy (the English
// catalogue uses the same: the users are in Vietnam).
func formatDate(d campaign.Date) string {
	return fmt.Sprintf("%02d/%02d/%04d", d.Day, int(d.Month), d.Year)
}

// formatTimeDate writes the local date of an instant as dd/mm/yyyy.
func formatTimeDate(t time.Time, loc *time.Location) string {
	return formatDate(campaign.DateOf(t, loc))
}

// formatNumber writes v with at most two decimals, with a decimal comma in
// Vietnamese ("1,5") and a point in English.
func formatNumber(v float64, lang string) string {
	s := strconv.FormatFloat(v, 'f', 2, 64)
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	if lang != "en" {
		s = strings.Replace(s, ".", ",", 1)
	}
	return s
}

// formatPhone shows a stored number the way people write it.
func formatPhone(e164 string) string { return phone.Display(e164) }
