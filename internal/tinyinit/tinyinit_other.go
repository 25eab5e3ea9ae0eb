//go:build !linux

package tinyinit

import (
	"fmt"
	"os"
)

// Main is Linux-only.
func Main([]string) {
	fmt.Fprintln(os.Stderr, "docker-init: only on Linux")
	os.Exit(1)
}
