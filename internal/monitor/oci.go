package monitor

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// OCIRuntime is an external OCI runtime with runc's command line (runc, crun,
// geedocker-runc), as Docker's --runtime names one.
//
// With one, the monitor does not start PID 1 through package runtime: the engine has
// written the bundle (Start.Bundle, whose config.json is the final spec) and the monitor
// drives the runtime as containerd's shim does:
//
//	RUNTIME create --bundle DIR --pid-file DIR/init.pid [--console-socket S] ID
//	(Hooks.Created with the init's pid, for a user namespace's network)
//	RUNTIME start ID
//	PID 1 reaped by the monitor, a child subreaper (prctl PR_SET_CHILD_SUBREAPER)
//	RUNTIME delete --force ID
//
// Signals go through RUNTIME kill ID SIG.
//
// The root filesystem: an external runtime cannot mount the overlay of RootfsMounts, and
// the rootfs must be a mounted directory when it runs `create`. Nothing of a container is
// ever mounted in the host's mount namespace, so `create` runs in a mount namespace of its
// own (unshared, made private, before the runtime is executed): a small re-executed helper
// of this binary (RootfsHelper) mounts the overlay on the spec's root.path there and
// executes the runtime. The container's mount namespace is made from that one; when the
// container's last process is gone, so is the overlay. Nothing needs unmounting.
type OCIRuntime struct {
	// Name is the name the user gave (--runtime), Path the executable.
	Name string   `json:"name"`
	Path string   `json:"path"`
	Args []string `json:"args,omitempty"` // runtimeArgs: global options, before the command
}

// readBundleSpec reads the spec of a start from its bundle's config.json.
func readBundleSpec(bundle string) (*specs.Spec, error) {
	b, err := os.ReadFile(filepath.Join(bundle, "config.json"))
	if err != nil {
		return nil, fmt.Errorf("reading the bundle: %w", err)
	}
	var s specs.Spec
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("reading the bundle: %s: %w", filepath.Join(bundle, "config.json"), err)
	}
	return &s, nil
}

// command is the runtime with its global options and args.
func (rt *OCIRuntime) command(args ...string) *exec.Cmd {
	return exec.Command(rt.Path, append(append([]string(nil), rt.Args...), args...)...)
}
