package main

import (
	"os/exec"
	"strings"
	"testing"
)

// The monitor lives as long as its container: it must not link what it does not use
// (in the manner of go-containerregistry's internal/depcheck). Its own size is what each
// container costs: the kernel maps its executable's pages in large folios.
func TestMonitorDependencies(t *testing.T) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("needs the go command")
	}
	out, err := exec.Command(goBin, "list", "-deps", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps: %v\n%s", err, out)
	}
	deps := strings.Fields(string(out))
	if len(deps) < 10 {
		t.Fatalf("go list -deps listed only %v", deps)
	}
	forbidden := []struct{ prefix, why string }{
		{"github.com/spf13/cobra", "the CLI framework"},
		{"github.com/spf13/pflag", "the CLI's flags"},
		{"github.com/google/go-containerregistry", "the registry client"},
		{"github.com/google/nftables", "the firewall"},
		{"github.com/vishvananda/netlink", "network setup"},
		{"github.com/vishvananda/netns", "network setup"},
		{"github.com/mdlayher/netlink", "network setup"},
		{"github.com/vbauerster/mpb", "progress bars"},
		{"github.com/cilium/ebpf", "the cgroup device programs"},
		{"net/http", "HTTP"},
		{"github.com/geedocker/geedocker/internal/engine", "the engine (it links all of the above)"},
		{"github.com/geedocker/geedocker/internal/network", "network setup"},
		{"github.com/geedocker/geedocker/internal/cgroups", "the cgroup manager (cilium/ebpf)"},
		{"github.com/geedocker/geedocker/internal/registry", "the registry client"},
		{"github.com/geedocker/geedocker/internal/cli", "the CLI"},
		// It lives as long as the container, so less still than geedocker-init: every
		// package it links is resident in every monitor.
		{"github.com/geedocker/geedocker/internal/monitor", "the starter (geedocker-init's)"},
		{"github.com/geedocker/geedocker/internal/runtime", "the runtime (cgo, seccomp)"},
		{"github.com/geedocker/geedocker/internal/container", "the records (JSON)"},
		{"runtime/cgo", "cgo"},
		{"encoding/json", "JSON"},
		{"regexp", "regular expressions"},
		{"fmt", "formatting (reflection)"},
		{"net", "the network stack"},
		{"os/exec", "the command runner"},
		{"runtime/debug", "debug (it links fmt)"},
	}
	// The names are right: geedocker itself links each of them.
	full, err := exec.Command(goBin, "list", "-deps", "../geedocker").CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps ../geedocker: %v\n%s", err, full)
	}
	for _, f := range forbidden {
		if !strings.Contains(string(full), f.prefix) {
			t.Errorf("geedocker does not depend on %s: is the name right?", f.prefix)
		}
	}
	for _, d := range deps {
		for _, f := range forbidden {
			if d == f.prefix || strings.HasPrefix(d, f.prefix+"/") {
				t.Errorf("geedocker-monitor depends on %s (%s)", d, f.why)
			}
		}
	}
}
