//go:build !linux

package runccli

import (
	"fmt"
	"os"
)

// Main needs Linux.
func Main(args []string) int {
	fmt.Fprintln(os.Stderr, "geedocker-runc: containers need Linux")
	return 1
}
