package config

import (
	"fmt"
	"reflect"
	"strings"
	"time"
)

var durationType = reflect.TypeFor[time.Duration]()

// field is one leaf setting found by walking a struct's toml tags.
type field struct {
	path  []string // TOML key path, e.g. ["zalo", "zns", "template_id"]
	index []int    // reflect field index path from the root struct
	typ   reflect.Type
}

// key returns the dotted TOML key, e.g. "zalo.zns.template_id".
func (f field) key() string { return strings.Join(f.path, ".") }

// envName returns the environment variable that overrides f, e.g. ANTTBOT_ZALO_ZNS_TEMPLATE_ID.
func (f field) envName() string { return EnvPrefix + strings.ToUpper(strings.Join(f.path, "_")) }

// fieldsOf lists the leaf settings of struct type t in declaration order. Nested structs
// are TOML tables; a field without a toml tag, or tagged "-", is not a setting.
func fieldsOf(t reflect.Type) ([]field, error) {
	var out []field
	err := walkFields(t, nil, nil, &out)
	return out, err
}

func walkFields(t reflect.Type, path []string, index []int, out *[]field) error {
	for i := range t.NumField() {
		sf := t.Field(i)
		name, _, _ := strings.Cut(sf.Tag.Get("toml"), ",")
		if !sf.IsExported() || name == "" || name == "-" {
			continue
		}
		p := append(append([]string(nil), path...), name)
		idx := append(append([]int(nil), index...), i)
		if sf.Type.Kind() == reflect.Struct {
			if err := walkFields(sf.Type, p, idx, out); err != nil {
				return err
			}
			continue
		}
		if !supportedType(sf.Type) {
			return fmt.Errorf("config: %s: unsupported field type %s", strings.Join(p, "."), sf.Type)
		}
		*out = append(*out, field{path: p, index: idx, typ: sf.Type})
	}
	return nil
}

// supportedType reports whether an environment value can be parsed into t.
func supportedType(t reflect.Type) bool {
	if t == durationType {
		return true
	}
	switch t.Kind() {
	case reflect.Bool, reflect.String,
		reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64:
		return true
	case reflect.Slice:
		return t.Elem().Kind() == reflect.String
	}
	return false
}
