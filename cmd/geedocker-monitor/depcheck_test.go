package main

import (
	"testing"

	"github.com/geedocker/geedocker/internal/testutil"
)

// The monitor lives as long as its container: every package it links is resident in every
// monitor (the kernel maps its executable's pages in large folios), so it links less still
// than geedocker-init.
var forbidden = []testutil.Forbidden{
	{Prefix: "github.com/spf13/cobra", Why: "the CLI framework"},
	{Prefix: "github.com/google/go-containerregistry", Why: "the registry client"},
	{Prefix: "github.com/google/nftables", Why: "the firewall"},
	{Prefix: "github.com/vishvananda/netlink", Why: "network setup"},
	{Prefix: "github.com/vbauerster/mpb", Why: "progress bars"},
	{Prefix: "github.com/cilium/ebpf", Why: "the cgroup device programs"},
	{Prefix: "github.com/geedocker/geedocker/internal/engine", Why: "the engine"},
	{Prefix: "github.com/geedocker/geedocker/internal/monitor", Why: "the starter (geedocker-init's)"},
	{Prefix: "github.com/geedocker/geedocker/internal/runtime", Why: "the runtime (cgo, seccomp)"},
	{Prefix: "github.com/geedocker/geedocker/internal/container", Why: "the records (JSON)"},
	{Prefix: "runtime/cgo", Why: "cgo"},
	{Prefix: "encoding/json", Why: "JSON"},
	{Prefix: "regexp", Why: "regular expressions"},
	{Prefix: "fmt", Why: "formatting (reflection)"},
	{Prefix: "net", Why: "the network stack, net/http included"},
	{Prefix: "os/exec", Why: "the command runner"},
	{Prefix: "runtime/debug", Why: "debug (it links fmt)"},
}

func TestMonitorDependencies(t *testing.T) {
	testutil.CheckDependencies(t, "../geedocker", forbidden)
}
