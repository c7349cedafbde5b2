// Command anttbot runs the chatbot service and its operator tools.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Environ(), os.Stdout, os.Stderr))
}

// exitf prints a message for the operator and returns the exit status.
func exitf(w interface{ Write([]byte) (int, error) }, code int, format string, args ...any) int {
	fmt.Fprintf(w, format+"\n", args...)
	return code
}
