// Command geedocker-init is the container's init (package runtime re-executes it to set the
// container up before it executes the container's command), the --init of a container, the
// helper that mounts the root filesystem for an external OCI runtime, and the short-lived
// hooks of the detached monitor, geedocker-monitor (see monitor.Command):
//
//	geedocker-init --engine GEEDOCKER --root ROOT [--config-file FILE] COMMAND ARGS...
//
// It is installed next to geedocker and geedocker-monitor.
package main

import (
	"os"

	"github.com/geedocker/geedocker/internal/monitor"
	"github.com/geedocker/geedocker/internal/runtime"
	"github.com/geedocker/geedocker/internal/tinyinit"
)

func main() {
	// A re-executed container init never returns from runtime.Init.
	runtime.Init()
	// So is the helper that mounts the root filesystem of an external OCI runtime.
	monitor.RootfsHelper()
	if tinyinit.IsInit() {
		tinyinit.Main(os.Args[1:])
	}
	os.Exit(monitor.Command(os.Args[1:], os.Stdout, os.Stderr))
}
