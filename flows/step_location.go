package flows

import (
	"math"
	"regexp"
	"strconv"
	"strings"

	"github.com/anttbot/anttbot/bot"
)

// locationStep takes a shared location, or coordinates typed or pasted from
// a map ("21.0285, 105.8542") for people whose phone cannot share one.
type locationStep struct{}

func (locationStep) buttons(*turn, *Step, *Draft) [][]bot.Button { return nil }

func (locationStep) accept(t *turn, st *Step, in Input) (Answer, *problem) {
	var lat, lon float64
	switch {
	case in.Kind == bot.KindLocation && in.Location != nil:
		lat, lon = in.Location.Lat, in.Location.Lon
	case in.Kind == bot.KindText:
		var ok bool
		if lat, lon, ok = parseCoordinates(in.Text); !ok {
			return Answer{}, newProblem("flows.location.want_location")
		}
	default:
		return Answer{}, newProblem("flows.location.want_location")
	}
	if math.IsNaN(lat) || math.IsNaN(lon) || lat < -90 || lat > 90 || lon < -180 || lon > 180 {
		return Answer{}, newProblem("flows.location.want_location")
	}
	return Answer{Lat: &lat, Lon: &lon, At: t.now}, nil
}

var coordPattern = regexp.MustCompile(`^\s*(-?\d{1,3}\.\d+)\s*[,;\s]\s*(-?\d{1,3}\.\d+)\s*$`)

// parseCoordinates reads "lat, lon" in decimal degrees, as map apps copy them.
func parseCoordinates(s string) (lat, lon float64, ok bool) {
	m := coordPattern.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return 0, 0, false
	}
	lat, err1 := strconv.ParseFloat(m[1], 64)
	lon, err2 := strconv.ParseFloat(m[2], 64)
	return lat, lon, err1 == nil && err2 == nil
}
