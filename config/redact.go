package config

import (
	"bytes"
	"fmt"
	"log/slog"
	"net/url"
	"reflect"
	"regexp"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
)

// redactedValue replaces a secret wherever configuration is printed.
const redactedValue = "***"

// placeholder stands in for a secret while net/url re-encodes a URL, because url would
// percent-encode "***"; it is swapped for redactedValue afterwards.
const placeholder = "REDACTEDSECRET"

// keywordPassword finds password=... (and sslpassword=...) in a key/value PostgreSQL DSN,
// quoted or not.
var keywordPassword = regexp.MustCompile(`(?i)(\b(?:ssl)?password\s*=\s*)('(?:[^'\\]|\\.)*'|\S*)`)

// Redacted returns a copy in which every secret is replaced by "***" when set. For the
// database DSN and the Redis URL only the password is replaced, so host and database
// stay visible.
func (c Config) Redacted() Config {
	c.Database = c.Database.redacted()
	c.Redis = c.Redis.redacted()
	c.Telegram = c.Telegram.redacted()
	c.Zalo = c.Zalo.redacted()
	return c
}

func (d Database) redacted() Database {
	d.DSN = redactDSN(d.DSN)
	return d
}

func (r Redis) redacted() Redis {
	r.URL = redactURL(r.URL, true)
	return r
}

func (t Telegram) redacted() Telegram {
	t.Token = mask(t.Token)
	t.WebhookSecret = mask(t.WebhookSecret)
	return t
}

func (z Zalo) redacted() Zalo {
	z.AppSecret = mask(z.AppSecret)
	z.OASecretKey = mask(z.OASecretKey)
	z.RefreshToken = mask(z.RefreshToken)
	return z
}

// mask hides a secret but keeps visible whether it is set.
func mask(s string) string {
	if s == "" {
		return ""
	}
	return redactedValue
}

// redactDSN hides the password of a PostgreSQL URL or key/value DSN. SQLite paths carry
// no secret and come back unchanged.
func redactDSN(dsn string) string {
	if strings.Contains(dsn, "://") {
		return redactURL(dsn, false)
	}
	return keywordPassword.ReplaceAllString(dsn, "${1}"+redactedValue)
}

// redactURL hides the password in a URL's user info and in password query parameters.
// With userOnlyIsSecret, a user name without a password is hidden too, since Redis
// clients have read "redis://secret@host" as a password. A URL that does not parse is
// hidden whole: it cannot be shown safely.
func redactURL(raw string, userOnlyIsSecret bool) string {
	if raw == "" {
		return ""
	}
	u, err := url.Parse(raw)
	if err != nil {
		return redactedValue
	}
	if u.User != nil {
		if _, ok := u.User.Password(); ok {
			u.User = url.UserPassword(u.User.Username(), placeholder)
		} else if userOnlyIsSecret && u.User.Username() != "" {
			u.User = url.User(placeholder)
		}
	}
	if u.RawQuery != "" {
		q := u.Query()
		changed := false
		for k := range q {
			if strings.Contains(strings.ToLower(k), "password") {
				q.Set(k, placeholder)
				changed = true
			}
		}
		if changed {
			u.RawQuery = q.Encode()
		}
	}
	return strings.ReplaceAll(u.String(), placeholder, redactedValue)
}

// String returns the configuration as TOML with secrets redacted, for printing and
// `%v` formatting.
func (c Config) String() string {
	var b bytes.Buffer
	if err := toml.NewEncoder(&b).Encode(c.Redacted()); err != nil {
		return fmt.Sprintf("config: encode: %v", err)
	}
	return b.String()
}

// GoString makes `%#v` print the redacted form too.
func (c Config) GoString() string { return c.String() }

// LogValue logs the configuration as nested groups with secrets redacted.
func (c Config) LogValue() slog.Value { return structLogValue(reflect.ValueOf(c.Redacted())) }

// Sections that hold secrets redact themselves too, in case one is printed or logged
// on its own.
type (
	plainDatabase Database
	plainRedis    Redis
	plainTelegram Telegram
	plainZalo     Zalo
)

// String prints the section with its DSN password redacted.
func (d Database) String() string { return fmt.Sprintf("%+v", plainDatabase(d.redacted())) }

// LogValue logs the section with its DSN password redacted.
func (d Database) LogValue() slog.Value { return structLogValue(reflect.ValueOf(d.redacted())) }

// String prints the section with its URL password redacted.
func (r Redis) String() string { return fmt.Sprintf("%+v", plainRedis(r.redacted())) }

// LogValue logs the section with its URL password redacted.
func (r Redis) LogValue() slog.Value { return structLogValue(reflect.ValueOf(r.redacted())) }

// String prints the section with token and webhook secret redacted.
func (t Telegram) String() string { return fmt.Sprintf("%+v", plainTelegram(t.redacted())) }

// LogValue logs the section with token and webhook secret redacted.
func (t Telegram) LogValue() slog.Value { return structLogValue(reflect.ValueOf(t.redacted())) }

// String prints the section with its secrets redacted.
func (z Zalo) String() string { return fmt.Sprintf("%+v", plainZalo(z.redacted())) }

// LogValue logs the section with its secrets redacted.
func (z Zalo) LogValue() slog.Value { return structLogValue(reflect.ValueOf(z.redacted())) }

// structLogValue turns an already redacted struct into a slog group keyed by toml tags.
func structLogValue(v reflect.Value) slog.Value {
	t := v.Type()
	attrs := make([]slog.Attr, 0, t.NumField())
	for i := range t.NumField() {
		sf := t.Field(i)
		name, _, _ := strings.Cut(sf.Tag.Get("toml"), ",")
		if !sf.IsExported() || name == "" || name == "-" {
			continue
		}
		fv := v.Field(i)
		switch {
		case sf.Type.Kind() == reflect.Struct:
			attrs = append(attrs, slog.Attr{Key: name, Value: structLogValue(fv)})
		case sf.Type == durationType:
			attrs = append(attrs, slog.Duration(name, time.Duration(fv.Int())))
		default:
			attrs = append(attrs, slog.Any(name, fv.Interface()))
		}
	}
	return slog.GroupValue(attrs...)
}
