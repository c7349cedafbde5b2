package config

import (
	"bufio"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/BurntSushi/toml"
	"golang.org/x/text/unicode/norm"
)

// examplePath is the documented example at the repository root.
const examplePath = "../config.example.toml"

// TestExampleMatchesDefaults keeps config.example.toml from drifting: it loads, it
// validates, and the values it shows are the real defaults.
func TestExampleMatchesDefaults(t *testing.T) {
	cfg, err := Load(examplePath, nil)
	if err != nil {
		t.Fatalf("Load(%s): %v", examplePath, err)
	}
	if err := cfg.Validate(); err != nil {
		t.Errorf("Validate:\n%v", err)
	}
	fields, err := fieldsOf(reflect.TypeFor[Config]())
	if err != nil {
		t.Fatal(err)
	}
	got, want := reflect.ValueOf(cfg), reflect.ValueOf(Default())
	for _, f := range fields {
		g, w := got.FieldByIndex(f.index).Interface(), want.FieldByIndex(f.index).Interface()
		if !reflect.DeepEqual(g, w) {
			t.Errorf("%s: example shows %v, Default() has %v", f.key(), g, w)
		}
	}
	if cfg != Default() {
		t.Error("example differs from Default()")
	}
}

// TestExampleSetsEveryKey walks the struct's toml tags: every setting must be present in
// the example (not merely mentioned in a comment).
func TestExampleSetsEveryKey(t *testing.T) {
	data, err := os.ReadFile(examplePath)
	if err != nil {
		t.Fatal(err)
	}
	var into Config
	md, err := toml.Decode(string(data), &into)
	if err != nil {
		t.Fatal(err)
	}
	fields, err := fieldsOf(reflect.TypeFor[Config]())
	if err != nil {
		t.Fatal(err)
	}
	if len(fields) < 50 {
		t.Fatalf("found only %d settings; the walker is broken", len(fields))
	}
	for _, f := range fields {
		if !md.IsDefined(f.path...) {
			t.Errorf("%s does not set %s (env %s)", examplePath, f.key(), f.envName())
		}
	}
}

// TestExampleDocumentsEveryKey requires a comment line directly above every key.
func TestExampleDocumentsEveryKey(t *testing.T) {
	f, err := os.Open(examplePath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	prev, table, n := "", "", 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		if !norm.NFC.IsNormalString(line) {
			t.Errorf("line %d is not in Unicode NFC", n)
		}
		switch {
		case strings.HasPrefix(line, "["):
			table = strings.Trim(line, "[]")
		case line != "" && !strings.HasPrefix(line, "#"):
			key, _, _ := strings.Cut(line, "=")
			if !strings.HasPrefix(prev, "#") {
				t.Errorf("line %d: %s.%s has no comment directly above it", n, table, strings.TrimSpace(key))
			}
		}
		prev = line
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
}

// TestExampleWithSecretsFromEnv is the production path: the example file plus secrets
// and switches from the environment.
func TestExampleWithSecretsFromEnv(t *testing.T) {
	env := []string{
		"ANTTBOT_DATABASE_DRIVER=postgres",
		"ANTTBOT_DATABASE_DSN=postgres://anttbot:pw@127.0.0.1:5432/anttbot?sslmode=disable",
		"ANTTBOT_REDIS_URL=redis://127.0.0.1:6379/0",
		"ANTTBOT_TELEGRAM_ENABLED=true",
		"ANTTBOT_TELEGRAM_TOKEN=123456:ABC-def_1",
		"ANTTBOT_TELEGRAM_MODE=webhook",
		"ANTTBOT_TELEGRAM_WEBHOOK_URL=https://anttbot.example.vn/telegram/webhook",
		"ANTTBOT_TELEGRAM_WEBHOOK_SECRET=abc_DEF-123",
		"ANTTBOT_ZALO_ENABLED=1",
		"ANTTBOT_ZALO_APP_ID=360846524940903967",
		"ANTTBOT_ZALO_APP_SECRET=app-secret",
		"ANTTBOT_ZALO_OA_SECRET_KEY=oa-secret",
		"ANTTBOT_ZALO_ZNS_TEMPLATE_ID=231456",
	}
	cfg, err := Load(examplePath, env)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if err := cfg.Validate(); err != nil {
		t.Errorf("Validate:\n%v", err)
	}
	if !cfg.Telegram.Enabled || !cfg.Zalo.Enabled || cfg.Zalo.ZNS.TemplateID != "231456" {
		t.Errorf("environment not applied: %v", cfg)
	}
	// Turning a channel on without its secrets must fail, naming what is missing.
	cfg, err = Load(examplePath, []string{"ANTTBOT_TELEGRAM_ENABLED=true", "ANTTBOT_ZALO_ENABLED=true"})
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	err = cfg.Validate()
	for _, key := range []string{"telegram.token", "zalo.app_id", "zalo.app_secret", "zalo.oa_secret_key"} {
		if err == nil || !strings.Contains(err.Error(), key+":") {
			t.Errorf("Validate does not name %s:\n%v", key, err)
		}
	}
}
