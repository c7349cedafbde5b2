package loadtest

import (
	_ "embed"
	"fmt"

	"github.com/BurntSushi/toml"
)

//go:embed script.toml
var defaultScript []byte

// Step is one update a simulated member sends and the reply that ends it.
type Step struct {
	Send    string `toml:"send"`    // text to type
	Tap     string `toml:"tap"`     // label of a button (or numbered choice) of the previous reply
	Contact bool   `toml:"contact"` // share the member's phone number
	Expect  string `toml:"expect"`  // the step ends when a reply contains this; "{name}" = the member's name
	Stores  bool   `toml:"stores"`  // this step stores one report (the confirmation)
}

// Script is what members do on one channel: onboarding once, then the flow repeatedly.
type Script struct {
	Onboard []Step `toml:"onboard"`
	Flow    []Step `toml:"flow"`
}

// loadScript returns the script of channel from the TOML document doc.
func loadScript(doc []byte, channel string) (Script, error) {
	var all map[string]Script
	if err := toml.Unmarshal(doc, &all); err != nil {
		return Script{}, fmt.Errorf("loadtest: parse script: %w", err)
	}
	s, ok := all[channel]
	if !ok || len(s.Flow) == 0 {
		return Script{}, fmt.Errorf("loadtest: script has no flow for channel %q", channel)
	}
	for i, st := range append(append([]Step{}, s.Onboard...), s.Flow...) {
		n := 0
		if st.Send != "" {
			n++
		}
		if st.Tap != "" {
			n++
		}
		if st.Contact {
			n++
		}
		if n != 1 || st.Expect == "" {
			return Script{}, fmt.Errorf("loadtest: %s script step %d: want exactly one of send, tap, contact, and an expect", channel, i+1)
		}
	}
	return s, nil
}
