package config

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestEnvOverrides(t *testing.T) {
	tests := []struct {
		name  string
		env   string
		field func(Config) any
		want  any
	}{
		{name: "string", env: "ANTTBOT_DATABASE_DSN=postgres://u:p@h/db", field: func(c Config) any { return c.Database.DSN }, want: "postgres://u:p@h/db"},
		{name: "string keeps blanks and =", env: "ANTTBOT_TELEGRAM_TOKEN= 1:a=b ", field: func(c Config) any { return c.Telegram.Token }, want: " 1:a=b "},
		{name: "empty string", env: "ANTTBOT_REDIS_KEY_PREFIX=", field: func(c Config) any { return c.Redis.KeyPrefix }, want: ""},
		{name: "bool true", env: "ANTTBOT_TELEGRAM_ENABLED=true", field: func(c Config) any { return c.Telegram.Enabled }, want: true},
		{name: "bool 0", env: "ANTTBOT_METRICS_ENABLED=0", field: func(c Config) any { return c.Metrics.Enabled }, want: false},
		{name: "int", env: "ANTTBOT_DELIVERY_WORKERS= 12", field: func(c Config) any { return c.Delivery.Workers }, want: 12},
		{name: "negative int", env: "ANTTBOT_SESSION_MAX_TEXT_LEN=-1", field: func(c Config) any { return c.Session.MaxTextLen }, want: -1},
		{name: "duration", env: "ANTTBOT_SESSION_TTL=1h30m", field: func(c Config) any { return c.Session.TTL }, want: 90 * time.Minute},
		{name: "throttle updates", env: "ANTTBOT_THROTTLE_UPDATES=1000000", field: func(c Config) any { return c.Throttle.Updates }, want: 1000000},
		{name: "throttle window", env: "ANTTBOT_THROTTLE_PER=1m", field: func(c Config) any { return c.Throttle.Per }, want: time.Minute},
		{name: "nested table", env: "ANTTBOT_ZALO_ZNS_TEMPLATE_ID=231456", field: func(c Config) any { return c.Zalo.ZNS.TemplateID }, want: "231456"},
		{name: "nested table sibling", env: "ANTTBOT_ZALO_ZNS_API_URL=http://127.0.0.1:1", field: func(c Config) any { return c.Zalo.ZNS.APIURL }, want: "http://127.0.0.1:1"},
		{name: "parent key not confused with nested", env: "ANTTBOT_ZALO_API_URL=http://127.0.0.1:2", field: func(c Config) any { return c.Zalo.ZNS.APIURL }, want: "https://business.openapi.zalo.me"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := Load("", []string{tt.env})
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if got := tt.field(cfg); got != tt.want {
				t.Errorf("got %#v, want %#v", got, tt.want)
			}
			if cfg.IsEmbeddedDefault() {
				t.Error("IsEmbeddedDefault() = true although a setting variable was given")
			}
		})
	}
}

func TestEnvOverridesFile(t *testing.T) {
	cfg, err := Load("testdata/full.toml", []string{
		"ANTTBOT_TELEGRAM_TOKEN=999:from-env",
		"ANTTBOT_SESSION_TTL=24h",
		"ANTTBOT_SESSION_TTL=12h", // the last assignment wins, as in a shell
	})
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if cfg.Telegram.Token != "999:from-env" {
		t.Errorf("token = %q, want the environment's", cfg.Telegram.Token)
	}
	if cfg.Session.TTL != 12*time.Hour {
		t.Errorf("ttl = %v, want 12h", cfg.Session.TTL)
	}
	if cfg.App.HTTPAddr != ":9090" {
		t.Errorf("http_addr = %q, want the file's value", cfg.App.HTTPAddr)
	}
}

func TestEnvErrors(t *testing.T) {
	tests := []struct {
		name string
		env  []string
		want []string
	}{
		{name: "bad bool", env: []string{"ANTTBOT_TELEGRAM_ENABLED=yes please"}, want: []string{`ANTTBOT_TELEGRAM_ENABLED: want true or false, got "yes please"`}},
		{name: "bad int", env: []string{"ANTTBOT_DELIVERY_WORKERS=four"}, want: []string{`ANTTBOT_DELIVERY_WORKERS: want an integer, got "four"`}},
		{name: "empty int", env: []string{"ANTTBOT_DELIVERY_WORKERS="}, want: []string{`ANTTBOT_DELIVERY_WORKERS: want an integer`}},
		{name: "duration without unit", env: []string{"ANTTBOT_SESSION_TTL=72"}, want: []string{`ANTTBOT_SESSION_TTL: want a duration`}},
		{name: "typo in a known section", env: []string{"ANTTBOT_TELEGRAM_TOKNE=1:x"}, want: []string{`ANTTBOT_TELEGRAM_TOKNE: no such setting`}},
		{name: "typo in nested table", env: []string{"ANTTBOT_ZALO_ZNS_TEMPLATE=1"}, want: []string{`ANTTBOT_ZALO_ZNS_TEMPLATE: no such setting`}},
		{
			name: "every problem at once",
			env:  []string{"ANTTBOT_DELIVERY_WORKERS=x", "ANTTBOT_METRICS_ENABLED=x"},
			want: []string{"ANTTBOT_DELIVERY_WORKERS", "ANTTBOT_METRICS_ENABLED"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load("", tt.env)
			if err == nil {
				t.Fatal("Load succeeded, want an error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error does not contain %q:\n%v", w, err)
				}
			}
		})
	}
}

func TestEnvSecretNotInError(t *testing.T) {
	// A string never fails to parse, so its value cannot leak into an error; check that a
	// failure elsewhere does not drag the secret along either.
	_, err := Load("", []string{"ANTTBOT_TELEGRAM_TOKEN=123:supersecret", "ANTTBOT_DELIVERY_WORKERS=x"})
	if err == nil || strings.Contains(err.Error(), "supersecret") {
		t.Errorf("error = %v", err)
	}
}

// TestEnvGenericTypes covers the types Config does not use yet, so that a new key of
// such a type works without touching the loader.
func TestEnvGenericTypes(t *testing.T) {
	type inner struct {
		Ratio float64  `toml:"ratio"`
		Hosts []string `toml:"hosts"`
	}
	type sample struct {
		Sec struct {
			Count  uint16        `toml:"count"`
			Small  int8          `toml:"small"`
			Wait   time.Duration `toml:"wait"`
			Inner  inner         `toml:"inner"`
			Hidden string        // no tag: not a setting
		} `toml:"sec"`
	}
	tests := []struct {
		name    string
		env     string
		check   func(sample) any
		want    any
		wantErr string
	}{
		{name: "float", env: "ANTTBOT_SEC_INNER_RATIO=0.8", check: func(s sample) any { return s.Sec.Inner.Ratio }, want: 0.8},
		{name: "list", env: "ANTTBOT_SEC_INNER_HOSTS= a , b,,c ", check: func(s sample) any { return s.Sec.Inner.Hosts }, want: []string{"a", "b", "c"}},
		{name: "empty list", env: "ANTTBOT_SEC_INNER_HOSTS=", check: func(s sample) any { return s.Sec.Inner.Hosts }, want: []string{}},
		{name: "uint", env: "ANTTBOT_SEC_COUNT=65535", check: func(s sample) any { return s.Sec.Count }, want: uint16(65535)},
		{name: "duration", env: "ANTTBOT_SEC_WAIT=2s", check: func(s sample) any { return s.Sec.Wait }, want: 2 * time.Second},
		{name: "uint overflow", env: "ANTTBOT_SEC_COUNT=65536", wantErr: "ANTTBOT_SEC_COUNT: want a non-negative integer"},
		{name: "negative uint", env: "ANTTBOT_SEC_COUNT=-1", wantErr: "ANTTBOT_SEC_COUNT"},
		{name: "int8 overflow", env: "ANTTBOT_SEC_SMALL=300", wantErr: "ANTTBOT_SEC_SMALL: want an integer"},
		{name: "bad float", env: "ANTTBOT_SEC_INNER_RATIO=most", wantErr: "ANTTBOT_SEC_INNER_RATIO: want a number"},
		{name: "untagged field is not a setting", env: "ANTTBOT_SEC_HIDDEN=x", wantErr: "ANTTBOT_SEC_HIDDEN: no such setting"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var s sample
			n, err := applyEnv(&s, []string{tt.env})
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || n != 1 {
				t.Fatalf("applyEnv = %d, %v", n, err)
			}
			if got := tt.check(s); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %#v, want %#v", got, tt.want)
			}
		})
	}
}

func TestEnvNameCollision(t *testing.T) {
	type clash struct {
		Zalo struct {
			ZNSAPIURL string `toml:"zns_api_url"`
			ZNS       struct {
				APIURL string `toml:"api_url"`
			} `toml:"zns"`
		} `toml:"zalo"`
	}
	var c clash
	_, err := applyEnv(&c, nil)
	if err == nil || !strings.Contains(err.Error(), "both map to ANTTBOT_ZALO_ZNS_API_URL") {
		t.Errorf("error = %v, want a collision on ANTTBOT_ZALO_ZNS_API_URL", err)
	}
}

func TestUnsupportedFieldType(t *testing.T) {
	type bad struct {
		Sec struct {
			Limits map[string]int `toml:"limits"`
		} `toml:"sec"`
	}
	var b bad
	if _, err := applyEnv(&b, nil); err == nil || !strings.Contains(err.Error(), "sec.limits: unsupported field type") {
		t.Errorf("error = %v", err)
	}
}
