// Package locales holds every user-facing string of the bot: TOML catalogues embedded in
// the binary, Vietnamese first ("vi", the default) and English ("en").
//
// Layout: locales/<lang>/<area>.toml, all files of a language merged into one catalogue.
// Keys are flat and dotted (`report.tip.ask_text = "…"`); values use Go template syntax
// with named placeholders (`{{.Ref}}`). TOML reads a dotted key as nested tables, so a key
// cannot also be the prefix of another key (`report.tip` and `report.tip.title` clash);
// name the leaf instead (`report.tip.name`).
//
// The catalogue is parsed by this package rather than by go-i18n: go-i18n treats the leaf
// names other, one, two, few, many, zero, id, description, hash, leftdelim, rightdelim and
// translation as message fields, so `report.kind.other = "Khác"` silently became a message
// called "report.kind" and clashed with its siblings. Vietnamese has no plural forms, so
// nothing of go-i18n is lost.
package locales

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"path"
	"regexp"
	"slices"
	"sort"
	"strings"
	"text/template"
	"text/template/parse"

	"github.com/BurntSushi/toml"
	"golang.org/x/text/unicode/norm"
)

// DefaultLang is the language used when a user's language is unknown or unsupported.
const DefaultLang = "vi"

// langNameKey is the catalogue key under which each language gives its own name.
const langNameKey = "common.lang_name"

//go:embed */*.toml
var embedded embed.FS

// knownLangs lists the languages the bot speaks, the default first. A catalogue
// directory must be one of them, and each of them must have a catalogue.
func knownLangs() []string { return []string{"vi", "en"} }

// keyPattern is the shape of a catalogue key: dotted segments, no blanks or empty segments.
var keyPattern = regexp.MustCompile(`^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$`)

// Catalog is the merged set of messages of every language. It is immutable after Load
// and safe for concurrent use.
type Catalog struct {
	langs []string
	msgs  map[string]map[string]*message // lang → key → message
}

// message is one catalogue entry, its template parsed once at load time.
type message struct {
	file   string             // catalogue file it came from, for error messages
	text   string             // raw value as written
	tmpl   *template.Template // nil when the value has no template actions
	fields []string           // placeholder names, sorted and unique
}

// Load reads the catalogues embedded in the binary.
func Load() (*Catalog, error) {
	return loadFS(embedded)
}

// loadFS reads every <lang>/*.toml file of fsys.
func loadFS(fsys fs.FS) (*Catalog, error) {
	names, err := fs.Glob(fsys, "*/*.toml")
	if err != nil {
		return nil, fmt.Errorf("locales: list catalogues: %w", err)
	}
	sort.Strings(names)
	c := &Catalog{msgs: make(map[string]map[string]*message)}
	var errs []error
	for _, name := range names {
		lang := path.Dir(name)
		if !slices.Contains(knownLangs(), lang) {
			errs = append(errs, fmt.Errorf("locales: %s: %q is not a supported language (supported: %s)",
				name, lang, strings.Join(knownLangs(), ", ")))
			continue
		}
		if c.msgs[lang] == nil {
			c.msgs[lang] = make(map[string]*message)
		}
		if err := c.addFile(fsys, name, lang); err != nil {
			errs = append(errs, err)
		}
	}
	for _, lang := range knownLangs() {
		if len(c.msgs[lang]) == 0 {
			errs = append(errs, fmt.Errorf("locales: no messages for language %q (want %s/*.toml)", lang, lang))
			continue
		}
		c.langs = append(c.langs, lang)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return c, nil
}

// addFile merges one catalogue file into the language lang.
func (c *Catalog) addFile(fsys fs.FS, name, lang string) error {
	raw, err := fs.ReadFile(fsys, name)
	if err != nil {
		return fmt.Errorf("locales: read %s: %w", name, err)
	}
	var tree map[string]any
	if _, err := toml.Decode(string(raw), &tree); err != nil {
		return fmt.Errorf("locales: parse %s: %w", name, err)
	}
	flat := make(map[string]any)
	flatten("", tree, flat)
	keys := make([]string, 0, len(flat))
	for k := range flat {
		keys = append(keys, k)
	}
	sort.Strings(keys)

	var errs []error
	for _, key := range keys {
		text, ok := flat[key].(string)
		if !ok {
			errs = append(errs, fmt.Errorf("locales: %s: key %q: value must be a string, got %T", name, key, flat[key]))
			continue
		}
		if prev, dup := c.msgs[lang][key]; dup {
			errs = append(errs, fmt.Errorf("locales: %s: key %q is already defined in %s", name, key, prev.file))
			continue
		}
		m, err := newMessage(name, key, text)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		c.msgs[lang][key] = m
	}
	return errors.Join(errs...)
}

// flatten turns nested TOML tables into dotted keys. Anything that is not a table is a
// leaf, so a wrongly typed value is reported under its full key.
func flatten(prefix string, tree map[string]any, out map[string]any) {
	for k, v := range tree {
		key := k
		if prefix != "" {
			key = prefix + "." + k
		}
		if sub, ok := v.(map[string]any); ok {
			flatten(key, sub, out)
			continue
		}
		out[key] = v
	}
}

// newMessage parses a value once so that a broken template fails at start, not in a chat.
func newMessage(file, key, text string) (*message, error) {
	m := &message{file: file, text: text}
	if !strings.Contains(text, "{{") {
		return m, nil
	}
	t, err := template.New(key).Parse(text)
	if err != nil {
		return nil, fmt.Errorf("locales: %s: key %q: bad template: %w", file, key, err)
	}
	m.tmpl = t
	seen := make(map[string]bool)
	collectFields(t.Tree.Root, seen)
	for f := range seen {
		m.fields = append(m.fields, f)
	}
	sort.Strings(m.fields)
	return m, nil
}

// collectFields records the top-level data fields ({{.Name}}) a template refers to.
func collectFields(n parse.Node, seen map[string]bool) {
	switch n := n.(type) {
	case *parse.ListNode:
		if n == nil {
			return
		}
		for _, c := range n.Nodes {
			collectFields(c, seen)
		}
	case *parse.ActionNode:
		collectFields(n.Pipe, seen)
	case *parse.PipeNode:
		if n == nil {
			return
		}
		for _, c := range n.Cmds {
			collectFields(c, seen)
		}
	case *parse.CommandNode:
		for _, a := range n.Args {
			collectFields(a, seen)
		}
	case *parse.FieldNode:
		seen[n.Ident[0]] = true
	case *parse.ChainNode:
		collectFields(n.Node, seen)
	case *parse.IfNode:
		collectBranch(&n.BranchNode, seen)
	case *parse.RangeNode:
		collectBranch(&n.BranchNode, seen)
	case *parse.WithNode:
		collectBranch(&n.BranchNode, seen)
	case *parse.TemplateNode:
		collectFields(n.Pipe, seen)
	}
}

func collectBranch(b *parse.BranchNode, seen map[string]bool) {
	collectFields(b.Pipe, seen)
	collectFields(b.List, seen)
	collectFields(b.ElseList, seen)
}

// NormalizeLang maps a language hint from a platform or a user ("vi-VN", "en_US", "EN")
// to a supported language code, or "" when the hint is empty or not supported, so the
// caller can choose its own default.
func NormalizeLang(hint string) string {
	hint = strings.ToLower(strings.TrimSpace(hint))
	if i := strings.IndexAny(hint, "-_"); i >= 0 {
		hint = hint[:i]
	}
	if slices.Contains(knownLangs(), hint) {
		return hint
	}
	return ""
}

// Langs returns the supported language codes, the default first.
func (c *Catalog) Langs() []string { return slices.Clone(c.langs) }

// Has reports whether lang itself (without falling back to the default) has key.
func (c *Catalog) Has(lang, key string) bool {
	_, ok := c.msgs[lang][key]
	return ok
}

// Keys returns every key of every language, sorted.
func (c *Catalog) Keys() []string {
	seen := make(map[string]bool)
	for _, msgs := range c.msgs {
		for k := range msgs {
			seen[k] = true
		}
	}
	keys := make([]string, 0, len(seen))
	for k := range seen {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// LangName returns the name of a language in that language ("Tiếng Việt", "English"),
// for the language switcher.
func (c *Catalog) LangName(lang string) string {
	return c.T(lang, langNameKey)
}

// lang picks the catalogue to use for a language hint: the hint itself, its normalised
// form, or the default.
func (c *Catalog) lang(hint string) string {
	if _, ok := c.msgs[hint]; ok {
		return hint
	}
	if l := NormalizeLang(hint); l != "" {
		if _, ok := c.msgs[l]; ok {
			return l
		}
	}
	return DefaultLang
}

// T returns the message key in lang, filled from args given as alternating name/value
// pairs: T("vi", "report.saved", "Ref", 12). An unknown lang falls back to the default
// language, a key missing there too is returned as is, and a placeholder without a value
// is left blank; the last two are logged because tests should have caught them.
func (c *Catalog) T(lang, key string, args ...any) string {
	lang = c.lang(lang)
	m, ok := c.msgs[lang][key]
	if !ok {
		m, ok = c.msgs[DefaultLang][key]
	}
	if !ok {
		slog.Warn("locales: missing message", "key", key, "lang", lang)
		return key
	}
	if m.tmpl == nil {
		return m.text
	}
	if len(args)%2 != 0 {
		slog.Warn("locales: odd number of template arguments", "key", key, "lang", lang)
	}
	data := make(map[string]any, len(m.fields))
	for i := 0; i+1 < len(args); i += 2 {
		name, ok := args[i].(string)
		if !ok {
			name = fmt.Sprint(args[i])
		}
		data[name] = args[i+1]
	}
	for _, f := range m.fields {
		if _, ok := data[f]; !ok {
			// A blank reads better to a user than text/template's "<no value>".
			slog.Warn("locales: missing template argument", "key", key, "lang", lang, "arg", f)
			data[f] = ""
		}
	}
	var b strings.Builder
	if err := m.tmpl.Execute(&b, data); err != nil {
		slog.Warn("locales: render message", "key", key, "lang", lang, "err", err)
		return key
	}
	return b.String()
}

// Lint reports every problem that would show up in a chat: a key missing in a language,
// an empty value, placeholders that differ between languages, text not in Unicode NFC,
// and malformed keys. Tests call it on the embedded catalogue.
func (c *Catalog) Lint() error {
	var errs []error
	for _, key := range c.Keys() {
		if !keyPattern.MatchString(key) {
			errs = append(errs, fmt.Errorf("key %q: use letters, digits, _ and - separated by dots", key))
		}
		var have, lack []string
		for _, lang := range c.langs {
			if c.Has(lang, key) {
				have = append(have, lang)
			} else {
				lack = append(lack, lang)
			}
		}
		for _, lang := range lack {
			errs = append(errs, fmt.Errorf("key %q: missing in %s (present in %s)", key, lang, strings.Join(have, ", ")))
		}
		var ref *message
		var refLang string
		for _, lang := range have {
			m := c.msgs[lang][key]
			if strings.TrimSpace(m.text) == "" {
				errs = append(errs, fmt.Errorf("%s: key %q: empty value", m.file, key))
			}
			if !norm.NFC.IsNormalString(m.text) {
				errs = append(errs, fmt.Errorf("%s: key %q: text is not in Unicode NFC (normalise it with norm.NFC)", m.file, key))
			}
			if ref == nil {
				ref, refLang = m, lang
				continue
			}
			if !slices.Equal(ref.fields, m.fields) {
				errs = append(errs, fmt.Errorf("key %q: placeholders differ: %s has %v, %s has %v",
					key, refLang, ref.fields, lang, m.fields))
			}
		}
	}
	return errors.Join(errs...)
}
