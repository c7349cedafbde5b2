package app

import (
	"context"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/anttbot/anttbot/config"
)

// startApp runs the whole service in-process on a free port and returns its
// base URL; the service stops when the test ends.
func startApp(t *testing.T, cfg config.Config, opts ...Option) (*App, string) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() {
		log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	ctx, cancel := context.WithCancel(context.Background())
	a, err := New(ctx, cfg, log, append([]Option{WithListener(l)}, opts...)...)
	if err != nil {
		cancel()
		t.Fatalf("start service: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("service stopped with: %v", err)
			}
		case <-time.After(40 * time.Second):
			t.Error("service did not stop within 40s")
		}
	})
	return a, "http://" + l.Addr().String()
}

// sqliteConfig is the embedded default with its data in a temporary directory.
func sqliteConfig(t *testing.T) config.Config {
	cfg := config.Default()
	cfg.App.DataDir = t.TempDir()
	cfg.Database.DSN = filepath.Join(cfg.App.DataDir, "anttbot.db")
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	return cfg
}

var refRE = regexp.MustCompile(`#\d+`)

func netListen() (net.Listener, error) { return net.Listen("tcp", "127.0.0.1:0") }
