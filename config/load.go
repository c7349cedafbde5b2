package config

import (
	"errors"
	"fmt"
	"os"
	"reflect"
	"strings"

	"github.com/BurntSushi/toml"
)

// Load builds the configuration: Default, then the TOML file at path unless path is
// empty, then the ANTTBOT_<SECTION>_<KEY> variables of env (os.Environ format). It does
// not call Validate. Unknown keys in the file and unknown variables of a known section
// are errors.
func Load(path string, env []string) (Config, error) {
	cfg := Default()
	given := false
	if path != "" {
		data, err := os.ReadFile(path)
		if err != nil {
			return Config{}, fmt.Errorf("config: read %s: %w", path, err)
		}
		if err := decodeTOML(path, data, &cfg); err != nil {
			return Config{}, err
		}
		given = true
	}
	n, err := applyEnv(&cfg, env)
	if err != nil {
		return Config{}, err
	}
	if n > 0 {
		given = true
	}
	cfg.embeddedDefault = !given
	return cfg, nil
}

// decodeTOML decodes data over cfg, rejecting unknown keys and durations written as bare
// integers (TOML would read `ttl = 72` as 72 nanoseconds).
func decodeTOML(path string, data []byte, cfg *Config) error {
	md, err := toml.Decode(string(data), cfg)
	if err != nil {
		return fmt.Errorf("config: %s: %w", path, err)
	}
	var errs []error
	var reported []string
	for _, k := range md.Undecoded() {
		key := k.String()
		// An unknown table makes all of its keys unknown; name only the table.
		if isUnder(key, reported) {
			continue
		}
		reported = append(reported, key)
		errs = append(errs, fmt.Errorf("config: %s: unknown key %q", path, key))
	}
	fields, err := fieldsOf(reflect.TypeFor[Config]())
	if err != nil {
		return err
	}
	for _, f := range fields {
		if f.typ == durationType && md.IsDefined(f.path...) && md.Type(f.path...) != "String" {
			errs = append(errs, fmt.Errorf("config: %s: %s: write a duration as a quoted string such as \"30m\" or \"72h\"", path, f.key()))
		}
	}
	return errors.Join(errs...)
}

// isUnder reports whether key is one of parents or lies inside one of them.
func isUnder(key string, parents []string) bool {
	for _, p := range parents {
		if key == p || strings.HasPrefix(key, p+".") {
			return true
		}
	}
	return false
}
