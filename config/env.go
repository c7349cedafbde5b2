package config

import (
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"
)

// EnvPrefix starts every environment variable that overrides a setting.
const EnvPrefix = "ANTTBOT_"

// applyEnv overrides the settings of the struct that root points to from env
// ("NAME=value" entries, as os.Environ returns them) and returns how many settings it
// changed. A variable that starts with the prefix of a known section but names no key
// (ANTTBOT_TELEGRAM_TOKNE) is an error, because a silently ignored typo leaves a secret
// or a mode unset; other ANTTBOT_ variables (ANTTBOT_CONFIG, ANTTBOT_TEST_POSTGRES) are
// left to whoever reads them.
func applyEnv(root any, env []string) (int, error) {
	rv := reflect.ValueOf(root).Elem()
	fields, err := fieldsOf(rv.Type())
	if err != nil {
		return 0, err
	}
	byName := make(map[string]field, len(fields))
	sections := make(map[string]bool)
	for _, f := range fields {
		name := f.envName()
		if other, dup := byName[name]; dup {
			return 0, fmt.Errorf("config: keys %s and %s both map to %s", other.key(), f.key(), name)
		}
		byName[name] = f
		sections[EnvPrefix+strings.ToUpper(f.path[0])+"_"] = true
	}

	vars := make(map[string]string)
	for _, kv := range env {
		name, value, ok := strings.Cut(kv, "=")
		if ok && strings.HasPrefix(name, EnvPrefix) {
			vars[name] = value // later entries win, as in a shell
		}
	}
	names := make([]string, 0, len(vars))
	for name := range vars {
		names = append(names, name)
	}
	sort.Strings(names) // stable error order

	var errs []error
	applied := 0
	for _, name := range names {
		f, ok := byName[name]
		if !ok {
			for s := range sections {
				if strings.HasPrefix(name, s) {
					errs = append(errs, fmt.Errorf("config: %s: no such setting (see config.example.toml for the keys)", name))
					break
				}
			}
			continue
		}
		if err := setValue(rv.FieldByIndex(f.index), vars[name]); err != nil {
			errs = append(errs, fmt.Errorf("config: %s: %w", name, err))
			continue
		}
		applied++
	}
	return applied, errors.Join(errs...)
}

// setValue parses raw into v according to v's type. Strings are taken as is; for other
// types surrounding blanks are ignored. Error messages quote raw only for non-string
// types, so a secret never ends up in one.
func setValue(v reflect.Value, raw string) error {
	t := v.Type()
	if t == durationType {
		d, err := time.ParseDuration(strings.TrimSpace(raw))
		if err != nil {
			return fmt.Errorf("want a duration such as \"30m\" or \"72h\", got %q", raw)
		}
		v.SetInt(int64(d))
		return nil
	}
	s := strings.TrimSpace(raw)
	switch t.Kind() {
	case reflect.String:
		v.SetString(raw)
	case reflect.Bool:
		b, err := strconv.ParseBool(s)
		if err != nil {
			return fmt.Errorf("want true or false, got %q", raw)
		}
		v.SetBool(b)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n, err := strconv.ParseInt(s, 10, t.Bits())
		if err != nil {
			return fmt.Errorf("want an integer, got %q", raw)
		}
		v.SetInt(n)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		n, err := strconv.ParseUint(s, 10, t.Bits())
		if err != nil {
			return fmt.Errorf("want a non-negative integer, got %q", raw)
		}
		v.SetUint(n)
	case reflect.Float32, reflect.Float64:
		n, err := strconv.ParseFloat(s, t.Bits())
		if err != nil {
			return fmt.Errorf("want a number, got %q", raw)
		}
		v.SetFloat(n)
	case reflect.Slice:
		// Comma-separated; blanks around items and empty items are dropped, so "" is an empty list.
		items := []string{}
		for item := range strings.SplitSeq(raw, ",") {
			if item = strings.TrimSpace(item); item != "" {
				items = append(items, item)
			}
		}
		v.Set(reflect.ValueOf(items).Convert(t))
	default:
		return fmt.Errorf("unsupported type %s", t)
	}
	return nil
}
