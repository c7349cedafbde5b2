package campaign

import (
	_ "embed"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"
	"sync"

	"github.com/BurntSushi/toml"
)

//go:embed default.toml
var defaultTOML []byte

// defaultCampaign parses the embedded plan once; Parse never keeps references
// to its input, so sharing the result is safe as long as callers do not mutate it.
var defaultCampaign = sync.OnceValue(func() *Campaign {
	c, err := Parse(defaultTOML)
	if err != nil {
		// Only a broken embedded file gets here, and TestDefault guards it.
		panic(fmt.Sprintf("campaign: embedded default.toml is invalid: %v", err))
	}
	return c
})

// Default returns the built-in campaign: the special emulation campaign of the
// Hải Dương provincial plan, 19/8/2024–19/8/2025. The result is shared and
// must be treated as read-only.
func Default() *Campaign {
	return defaultCampaign()
}

// DefaultTOML returns a copy of the embedded default campaign file, the best
// starting point for writing a new one.
func DefaultTOML() []byte {
	return append([]byte(nil), defaultTOML...)
}

// Load reads and parses the campaign file at path.
func Load(path string) (*Campaign, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("campaign: load %s: %w", path, err)
	}
	c, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("campaign: load %s: %w", path, err)
	}
	return c, nil
}

// Parse decodes a campaign from TOML and validates it. All text is normalised
// to Unicode NFC and trimmed on load, so files typed on any keyboard compare
// equal to what users type. The error, when there is one, lists every problem
// found (errors.Join), each naming the element it is about.
func Parse(data []byte) (*Campaign, error) {
	var c Campaign
	md, err := toml.Decode(string(data), &c)
	if err != nil {
		return nil, fmt.Errorf("campaign: parse: %w", err)
	}
	var problems []error
	for _, k := range md.Undecoded() {
		problems = append(problems, fmt.Errorf("unknown key %q", k.String()))
	}
	normalize(&c)
	problems = append(problems, validate(&c)...)
	if len(problems) > 0 {
		noun := "problems"
		if len(problems) == 1 {
			noun = "problem"
		}
		return nil, fmt.Errorf("campaign: invalid campaign (%d %s):\n%w", len(problems), noun, errors.Join(problems...))
	}
	sort.SliceStable(c.Phases, func(i, j int) bool { return c.Phases[i].Start.Before(c.Phases[j].Start) })
	return &c, nil
}

// normalize fills defaults that follow from nesting and puts every text in NFC.
func normalize(c *Campaign) {
	c.ID = strings.TrimSpace(c.ID)
	if c.InTime.Minutes == 0 {
		c.InTime.Minutes = DefaultInTimeMinutes
	}
	if c.InTime.WithoutArrival == "" {
		c.InTime.WithoutArrival = ArrivalInTime
	}
	normText(c.Name)
	normText(c.Theme)
	normText(c.Issuer)
	for i := range c.Phases {
		p := &c.Phases[i]
		normText(p.Name)
		normText(p.Dedication)
	}
	for i := range c.Contents {
		ct := &c.Contents[i]
		normText(ct.Name)
		normText(ct.Description)
		for j := range ct.Targets {
			t := &ct.Targets[j]
			if t.Content == "" {
				t.Content = ct.ID
			}
			normText(t.Name)
		}
	}
	for i := range c.Kinds {
		k := &c.Kinds[i]
		k.Emoji = nfc(strings.TrimSpace(k.Emoji))
		normText(k.Name)
		normText(k.Description)
		for j := range k.Questions {
			q := &k.Questions[j]
			normText(q.Prompt)
			normText(q.Help)
			for o := range q.Options {
				normText(q.Options[o].Label)
			}
		}
	}
}

func normText(t Text) {
	for lang, s := range t {
		t[lang] = nfc(strings.TrimSpace(s))
	}
}
