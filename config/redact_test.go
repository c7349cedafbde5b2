package config

import (
	"bytes"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"testing"
)

// secrets are planted in every secret setting; none may appear in any printed form.
var secrets = []string{"dbPASSWORD1", "redisPASSWORD2", "tgTOKEN3", "tgWEBHOOK4", "zaloAPPSECRET5", "zaloOASECRET6", "zaloREFRESH7"}

func withSecrets() Config {
	c := production()
	c.Database.DSN = "postgres://anttbot:dbPASSWORD1@db.example.vn:5432/anttbot?sslmode=disable"
	c.Redis.URL = "redis://default:redisPASSWORD2@redis.example.vn:6379/0"
	c.Telegram.Token = "123:tgTOKEN3"
	c.Telegram.WebhookSecret = "tgWEBHOOK4"
	c.Zalo.AppSecret = "zaloAPPSECRET5"
	c.Zalo.OASecretKey = "zaloOASECRET6"
	c.Zalo.RefreshToken = "zaloREFRESH7"
	return c
}

func TestRedactedOutputs(t *testing.T) {
	c := withSecrets()
	if err := c.Validate(); err != nil {
		t.Fatalf("fixture invalid:\n%v", err)
	}
	var text, js bytes.Buffer
	slog.New(slog.NewTextHandler(&text, nil)).Info("config", "config", c, "telegram", c.Telegram, "zalo", c.Zalo, "db", c.Database, "redis", c.Redis)
	slog.New(slog.NewJSONHandler(&js, nil)).Info("config", "config", c, "telegram", c.Telegram, "zalo", c.Zalo, "db", c.Database, "redis", c.Redis)
	outputs := map[string]string{
		"String":           c.String(),
		"%v":               fmt.Sprintf("%v", c),
		"%+v":              fmt.Sprintf("%+v", c),
		"%#v":              fmt.Sprintf("%#v", c),
		"%v of pointer":    fmt.Sprintf("%v", &c),
		"slog text":        text.String(),
		"slog json":        js.String(),
		"telegram section": fmt.Sprintf("%v %+v %s", c.Telegram, c.Telegram, c.Telegram),
		"zalo section":     fmt.Sprintf("%v %+v", c.Zalo, c.Zalo),
		"database section": fmt.Sprintf("%v %+v", c.Database, c.Database),
		"redis section":    fmt.Sprintf("%v %+v", c.Redis, c.Redis),
	}
	for name, out := range outputs {
		t.Run(name, func(t *testing.T) {
			for _, s := range secrets {
				if strings.Contains(out, s) {
					t.Errorf("output contains secret %q:\n%s", s, out)
				}
			}
			if !strings.Contains(out, redactedValue) {
				t.Errorf("output shows no %q:\n%s", redactedValue, out)
			}
		})
	}
	// What is not secret stays readable, so the log still helps.
	for _, want := range []string{"db.example.vn:5432/anttbot", "redis.example.vn:6379", "360846524940903967", "https://anttbot.example.vn/telegram/webhook"} {
		if !strings.Contains(c.String(), want) {
			t.Errorf("String() lost %q:\n%s", want, c.String())
		}
		if !strings.Contains(text.String(), want) {
			t.Errorf("slog output lost %q:\n%s", want, text.String())
		}
	}
	// Redacted works on a copy.
	if c.Telegram.Token != "123:tgTOKEN3" {
		t.Error("Redacted changed the original")
	}
}

func TestStringRoundTrips(t *testing.T) {
	// String is TOML, so an operator can save a printed (redacted) config and edit it.
	c := Default()
	dir := t.TempDir()
	path := dir + "/printed.toml"
	if err := os.WriteFile(path, []byte(c.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := Load(path, nil)
	if err != nil {
		t.Fatalf("Load(String()): %v\n%s", err, c.String())
	}
	if got != c {
		t.Errorf("round trip changed the config:\n got %v\nwant %v", got, c)
	}
}

func TestRedactedFields(t *testing.T) {
	r := withSecrets().Redacted()
	tests := []struct {
		name string
		got  string
		want string
	}{
		{name: "dsn keeps host and database", got: r.Database.DSN, want: "postgres://anttbot:***@db.example.vn:5432/anttbot?sslmode=disable"},
		{name: "redis keeps host", got: r.Redis.URL, want: "redis://default:***@redis.example.vn:6379/0"},
		{name: "telegram token", got: r.Telegram.Token, want: "***"},
		{name: "webhook secret", got: r.Telegram.WebhookSecret, want: "***"},
		{name: "zalo app secret", got: r.Zalo.AppSecret, want: "***"},
		{name: "zalo oa secret", got: r.Zalo.OASecretKey, want: "***"},
		{name: "zalo refresh token", got: r.Zalo.RefreshToken, want: "***"},
		{name: "non-secret untouched", got: r.Zalo.AppID, want: "360846524940903967"},
		{name: "empty secret stays empty", got: Default().Redacted().Telegram.Token, want: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.got != tt.want {
				t.Errorf("got %q, want %q", tt.got, tt.want)
			}
		})
	}
}

func TestRedactDSN(t *testing.T) {
	tests := []struct {
		name string
		dsn  string
		want string
	}{
		{name: "empty", dsn: "", want: ""},
		{name: "url without password", dsn: "postgres://postgres@127.0.0.1:5432/test?sslmode=disable", want: "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"},
		{name: "url with password", dsn: "postgresql://u:p%40ss@h/db", want: "postgresql://u:***@h/db"},
		{name: "password in query", dsn: "postgres://u@h/db?password=qsecret&sslmode=require", want: "postgres://u@h/db?password=***&sslmode=require"},
		{name: "keyword form", dsn: "host=h user=u password=ksecret dbname=db", want: "host=h user=u password=*** dbname=db"},
		{name: "keyword quoted", dsn: "host=h password='k s\\'ecret' dbname=db", want: "host=h password=*** dbname=db"},
		{name: "keyword spaced and upper case", dsn: "host=h PASSWORD = ksecret sslpassword=k2", want: "host=h PASSWORD = *** sslpassword=***"},
		{name: "sqlite path", dsn: "./data/anttbot.db", want: "./data/anttbot.db"},
		{name: "unparsable url hidden whole", dsn: "postgres://u:psecret@h:port/db", want: "***"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := redactDSN(tt.dsn); got != tt.want {
				t.Errorf("redactDSN(%q) = %q, want %q", tt.dsn, got, tt.want)
			}
		})
	}
}

func TestRedactRedisURL(t *testing.T) {
	tests := []struct {
		name string
		url  string
		want string
	}{
		{name: "no credentials", url: "redis://127.0.0.1:6379/0", want: "redis://127.0.0.1:6379/0"},
		{name: "password only", url: "redis://:pw@h:6379", want: "redis://:***@h:6379"},
		{name: "user only may be a password", url: "redis://pw@h:6379", want: "redis://***@h:6379"},
		{name: "unparsable", url: "redis://:pw@[::1", want: "***"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := Redis{URL: tt.url}.redacted()
			if r.URL != tt.want {
				t.Errorf("got %q, want %q", r.URL, tt.want)
			}
		})
	}
}
