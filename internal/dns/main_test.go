package dns

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"testing"
)

// TestMain serves as the resolver when Ensure starts this binary under
// ResolverName, as cmd/geedocker does.
func TestMain(m *testing.M) {
	if IsResolver() {
		reload := make(chan os.Signal, 1)
		signal.Notify(reload, syscall.SIGHUP)
		if err := Run(context.Background(), os.Args[1], reload); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}
