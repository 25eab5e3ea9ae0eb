//go:build !linux

package dns

import (
	"context"
	"errors"
	"net/netip"
	"os"
)

// errUnsupported is returned by everything that needs Linux namespaces.
var errUnsupported = errors.New("the DNS resolver needs Linux")

// ErrResolver wraps the failures of the resolver to start or to load the
// records.
var ErrResolver = errors.New("the DNS resolver")

// Listen needs Linux.
func Listen(netnsPath string, lookup func(name string) []netip.Addr, upstream []string) (*Server, error) {
	return nil, errUnsupported
}

// Publish needs Linux.
func Publish(dir, network, id string, r Record) error { return errUnsupported }

// Unpublish needs Linux.
func Unpublish(dir, network, id string) error { return errUnsupported }

// Forget needs Linux.
func Forget(dir, id string) error { return errUnsupported }

// Ensure needs Linux.
func Ensure(dir string) (int, error) { return 0, errUnsupported }

// Watch needs Linux; it returns at once.
func Watch(ctx context.Context, dir string) {}

// Run needs Linux.
func Run(ctx context.Context, dir string, reload <-chan os.Signal) error { return errUnsupported }

// Main needs Linux: it returns 1 at once.
func Main(args []string) int { return 1 }
