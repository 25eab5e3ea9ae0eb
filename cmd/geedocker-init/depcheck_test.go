package main

import (
	"testing"

	"github.com/geedocker/geedocker/internal/testutil"
)

// forbidden is what geedocker-init may not link: it is a small program of its own so that it
// needs none of it.
var forbidden = []testutil.Forbidden{
	{Prefix: "github.com/spf13/cobra", Why: "the CLI framework"},
	{Prefix: "github.com/spf13/pflag", Why: "the CLI's flags"},
	{Prefix: "github.com/google/go-containerregistry", Why: "the registry client"},
	{Prefix: "github.com/google/nftables", Why: "the firewall"},
	{Prefix: "github.com/vishvananda/netlink", Why: "network setup"},
	{Prefix: "github.com/vishvananda/netns", Why: "network setup"},
	{Prefix: "github.com/mdlayher/netlink", Why: "network setup"},
	{Prefix: "github.com/vbauerster/mpb", Why: "progress bars"},
	{Prefix: "github.com/cilium/ebpf", Why: "the cgroup device programs"},
	{Prefix: "net/http", Why: "HTTP"},
	{Prefix: "github.com/geedocker/geedocker/internal/engine", Why: "the engine (it links all of the above)"},
	{Prefix: "github.com/geedocker/geedocker/internal/network", Why: "network setup"},
	{Prefix: "github.com/geedocker/geedocker/internal/cgroups", Why: "the cgroup manager (cilium/ebpf)"},
	{Prefix: "github.com/geedocker/geedocker/internal/registry", Why: "the registry client"},
	{Prefix: "github.com/geedocker/geedocker/internal/cli", Why: "the CLI"},
}

// geedocker-init runs at every start and is every container's init: it must not link what
// it does not use.
func TestInitDependencies(t *testing.T) {
	testutil.CheckDependencies(t, "../geedocker", forbidden)
}
