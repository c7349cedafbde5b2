package config

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/BurntSushi/toml"
)

var fixedNoon = time.Date(2025, 1, 1, 12, 0, 0, 0, time.UTC)

// FuzzLoad writes arbitrary bytes as a config file: Load may reject them but must not
// panic, and whatever it accepts must survive Validate and printing without leaking a
// secret. Run longer with: go test ./config -run '^$' -fuzz FuzzLoad -fuzztime 60s
func FuzzLoad(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/*.toml")
	seeds = append(seeds, examplePath)
	for _, s := range seeds {
		if data, err := os.ReadFile(s); err == nil {
			f.Add(data)
		}
	}
	f.Add([]byte("[zalo.zns]\ntemplate_id = 1\n"))
	f.Add([]byte("[session]\nttl = 1e300\n"))
	f.Add([]byte("[database]\ndsn = \"postgres://u:fuzzSECRET@[::1\"\n"))
	f.Add([]byte("app = [1, 2]\n[[zalo]]\n"))

	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(dir, "fuzz.toml")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		cfg, err := Load(path, nil)
		if err != nil {
			return
		}
		_ = cfg.Validate()
		_ = cfg.Location()
		_ = cfg.PublicBaseURL()
		_ = cfg.Schedule.InQuietHours(fixedNoon)
		var back Config
		if _, err := toml.Decode(cfg.String(), &back); err != nil {
			t.Fatalf("String() is not valid TOML: %v\n%s", err, cfg.String())
		}
		if cfg.Telegram.Token != "" && back.Telegram.Token != redactedValue {
			t.Errorf("String() shows telegram.token as %q", back.Telegram.Token)
		}
	})
}
