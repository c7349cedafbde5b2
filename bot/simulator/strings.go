package simulator

// pageLangs are the languages the page offers, the default first.
var pageLangs = []string{"vi", "en"}

// pageStrings are the catalogue keys the page's script uses, with the names of
// their placeholders. The script fills the placeholders itself, so they are
// handed over unfilled.
var pageStrings = map[string][]string{
	"simulator.title":                 nil,
	"simulator.banner":                nil,
	"simulator.console.link":          nil,
	"simulator.console.hint":          nil,
	"simulator.people.heading":        nil,
	"simulator.people.empty":          nil,
	"simulator.people.change":         nil,
	"simulator.lang.label":            nil,
	"simulator.chat.empty":            nil,
	"simulator.input.placeholder":     nil,
	"simulator.input.send":            nil,
	"simulator.attach.photo":          nil,
	"simulator.attach.location":       nil,
	"simulator.location.lat":          nil,
	"simulator.location.lon":          nil,
	"simulator.location.send":         nil,
	"simulator.location.cancel":       nil,
	"simulator.contact.share":         nil,
	"simulator.msg.contact":           {"Phone"},
	"simulator.msg.location":          {"Lat", "Lon"},
	"simulator.msg.attachment":        {"Name"},
	"simulator.msg.edited":            nil,
	"simulator.msg.photo_unavailable": nil,
	"simulator.msg.not_delivered":     nil,
	"simulator.status.offline":        nil,
	"simulator.error.generic":         nil,
	"simulator.error.bad_request":     nil,
	"simulator.error.unknown_person":  nil,
	"simulator.error.empty":           nil,
	"simulator.error.too_long":        {"Max"},
	"simulator.error.too_large":       {"MaxMB"},
	"simulator.error.not_image":       nil,
	"simulator.error.bad_location":    nil,
	"simulator.error.unknown_button":  nil,
	"simulator.error.busy":            nil,
	"simulator.error.not_found":       nil,
}

// pageText returns the page's strings in lang with placeholders left as
// "{{.Name}}" for the script to fill.
func pageText(tr Translator, lang string) map[string]string {
	out := make(map[string]string, len(pageStrings))
	for key, fields := range pageStrings {
		args := make([]any, 0, 2*len(fields))
		for _, f := range fields {
			args = append(args, f, "{{."+f+"}}")
		}
		out[key] = tr.T(lang, key, args...)
	}
	return out
}
