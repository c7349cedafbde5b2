package flows

import (
	"regexp"
	"strconv"
	"time"

	"github.com/anttbot/anttbot/bot"
	"github.com/anttbot/anttbot/campaign"
)

// dateStep takes the day something happened: "Hôm nay" / "Hôm qua" buttons,
// the same words typed (with or without diacritics), or "d/m", "dd/mm",
// "dd/mm/yyyy" (also with "-" or "."). The day may not be in the future nor
// older than the report age limit.
type dateStep struct{}

func (dateStep) buttons(t *turn, st *Step, d *Draft) [][]bot.Button {
	return [][]bot.Button{{
		btn(t.T("flows.date.today"), stepData(d, codeToday)),
		btn(t.T("flows.date.yesterday"), stepData(d, codeYesterday)),
	}}
}

func (dateStep) accept(t *turn, st *Step, in Input) (Answer, *problem) {
	today := campaign.DateOf(t.now, t.e.loc)
	var day campaign.Date
	switch {
	case in.Tap != nil && in.Tap.Code == codeToday:
		day = today
	case in.Tap != nil && in.Tap.Code == codeYesterday:
		day = today.AddDays(-1)
	case in.Kind == bot.KindText:
		var p *problem
		day, p = parseDay(in.Text, today)
		if p != nil {
			return Answer{}, p
		}
	default:
		return Answer{}, newProblem("flows.date.invalid")
	}
	if day.After(today) {
		return Answer{}, newProblem("flows.date.future")
	}
	if today.DaysSince(day) > t.e.maxAgeDays {
		return Answer{}, newProblem("flows.date.too_old", "Days", t.e.maxAgeDays)
	}
	return Answer{Text: day.String(), At: t.now}, nil
}

// datePattern is a typed day: d/m, dd/mm, dd/mm/yy, dd/mm/yyyy with "/", "-" or ".".
var datePattern = regexp.MustCompile(`^(\d{1,2})\s*[/.\-]\s*(\d{1,2})(?:\s*[/.\-]\s*(\d{2}|\d{4}))?$`)

// parseDay reads a typed day relative to today.
func parseDay(text string, today campaign.Date) (campaign.Date, *problem) {
	switch fold(text) {
	case "homnay", "today", "nay":
		return today, nil
	case "homqua", "yesterday", "qua":
		return today.AddDays(-1), nil
	case "homkia":
		return today.AddDays(-2), nil
	}
	m := datePattern.FindStringSubmatch(text)
	if m == nil {
		return campaign.Date{}, newProblem("flows.date.invalid")
	}
	day, _ := strconv.Atoi(m[1])
	month, _ := strconv.Atoi(m[2])
	year := today.Year
	if m[3] != "" {
		year, _ = strconv.Atoi(m[3])
		if len(m[3]) == 2 {
			year += 2000
		}
	}
	d := campaign.NewDate(year, time.Month(month), day)
	// NewDate rolls 31/02 over into March: a day that does not exist is refused.
	if month < 1 || month > 12 || d.Day != day || int(d.Month) != month {
		return campaign.Date{}, newProblem("flows.date.no_such_day")
	}
	if m[3] == "" && d.After(today) {
		// "28/12" typed in early January means last December.
		d = campaign.NewDate(year-1, time.Month(month), day)
		if d.Day != day {
			return campaign.Date{}, newProblem("flows.date.no_such_day")
		}
	}
	return d, nil
}
