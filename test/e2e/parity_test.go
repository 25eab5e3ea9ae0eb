//go:build linux

package e2e

import (
	"strings"
	"testing"
)

// TestFormatNumbersAndTemplates: inspect templates print numbers as
// integers, MemorySwap defaults to twice the memory, and --format takes
// `table …`, `\t` and Docker's template functions on every listing.
func TestFormatNumbersAndTemplates(t *testing.T) {
	e := newEnv(t)
	e.withBusybox()
	id := e.detached("--name", "mem", "-m", "64m", "busybox", "sleep", "300")

	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"inspect", "-f", "{{.HostConfig.Memory}} {{.HostConfig.MemorySwap}}", "mem"}, "67108864 134217728\n"},
		{[]string{"inspect", "-f", "{{.ID}} {{.State.Pid | printf \"%T\"}}", "mem"}, id + " int\n"},
		{[]string{"inspect", "-f", "{{.Id}} {{.HostConfig.CpuShares}} {{.HostConfig.Memory}}", "mem"}, id + " 0 67108864\n"},
		{[]string{"inspect", "-f", "{{.Name}} {{json .HostConfig.Memory}}", "mem"}, "/mem 67108864\n"},
		{[]string{"container", "inspect", "--format", "{{upper .Config.Image}}", "mem"}, "BUSYBOX\n"},
		{[]string{"ps", "--format", `{{.Names}}\t{{upper .Image}}`}, "mem\tBUSYBOX\n"},
		{[]string{"ps", "--format", `table {{.Names}}\t{{.Image}}`}, "NAMES     IMAGE\nmem       busybox\n"},
		{[]string{"ps", "--format", `{{truncate .ID 4}}|{{pad .Names 1 1}}|{{title .State}}`}, id[:4] + "| mem |Running\n"},
		{[]string{"ps", "--format", "json", "--filter", "name=nosuch"}, ""},
		{[]string{"images", "--format", `table {{.Repository}}\t{{.Tag}}`, "busybox"}, "REPOSITORY   TAG\nbusybox      latest\n"},
		{[]string{"images", "--format", `{{join (split .Repository "y") "-"}}`, "busybox"}, "bus-box\n"},
		{[]string{"network", "ls", "--format", `table {{.Name}}\t{{.Driver}}`}, "NAME      DRIVER\nbridge    bridge\nhost      host\nnone      null\n"},
		{[]string{"network", "ls", "--format", "{{.Name}}", "--no-trunc"}, "bridge\nhost\nnone\n"},
		{[]string{"network", "inspect", "-f", "{{.Name}} {{.Driver}} {{len .Containers}}", "bridge"}, "bridge bridge 1\n"},
	} {
		if got := e.ok(tt.args...); got != tt.want {
			t.Errorf("geedocker %s =\n%q\nwant\n%q", strings.Join(tt.args, " "), got, tt.want)
		}
	}
	// A size is an integer, not 4.2e+06.
	if size := e.ok("image", "inspect", "-f", "{{.Size}}", "busybox"); strings.ContainsAny(size, "e.") || len(size) < 5 {
		t.Errorf("image inspect {{.Size}} = %q, want an integer", size)
	}
	// A field no document has: Docker's error, exit 1.
	e.fails(1, `template parsing error`, "inspect", "-f", "{{.Nope}}", "mem")
	e.fails(1, `template parsing error`, "ps", "--format", "{{.ID")
}
