//go:build linux

package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The docker CLI 28 against `geedocker serve` sees Docker's predefined host
// and none networks besides bridge, the same as `geedocker network ls`, and
// cannot remove or make them.
func TestAPIPredefinedNetworks(t *testing.T) {
	needDocker(t)
	e := newEnv(t)
	e.withBusybox()
	s := e.serve(false)

	if out := s.ok("network", "ls", "--format", "{{.Name}} {{.Driver}} {{.Scope}}"); out != "bridge bridge local\nhost host local\nnone null local\n" {
		t.Errorf("docker network ls: %q", out)
	}
	// The same IDs as the CLI's.
	if api, cli := s.ok("network", "ls", "-q", "--filter", "driver=host"), e.ok("network", "ls", "-q", "--filter", "driver=host"); api != cli || len(api) != 13 {
		t.Errorf("network ls -q of host: docker %q, geedocker %q", api, cli)
	}
	full := strings.TrimSpace(e.ok("network", "inspect", "-f", "{{.Id}}", "none"))
	if out := s.ok("network", "inspect", "-f", "{{.Id}}", "none"); strings.TrimSpace(out) != full || len(full) != 64 {
		t.Errorf("docker network inspect none: %q, geedocker's %q", out, full)
	}
	s.ok("network", "create", "appnet")
	defer s.docker("network", "rm", "appnet")
	for _, c := range []struct {
		filter, want string
	}{
		{"type=builtin", "bridge\nhost\nnone\n"},
		{"type=custom", "appnet\n"},
		{"driver=null", "none\n"},
		{"name=^h", "host\n"},
		{"id=" + full[:12], "none\n"},
		{"dangling=true", "appnet\n"},
	} {
		if out := s.ok("network", "ls", "--filter", c.filter, "--format", "{{.Name}}"); out != c.want {
			t.Errorf("docker network ls --filter %s: %q, want %q", c.filter, out, c.want)
		}
	}

	s.ok("run", "-d", "--name", "onhost", "--network", "host", "busybox", "sleep", "300")
	out := s.ok("network", "inspect", "-f", "{{.Name}} {{.Driver}} {{.Scope}} {{.IPAM.Driver}} {{len .IPAM.Config}} {{.Internal}} {{range .Containers}}{{.Name}}{{end}}", "host")
	if want := "host host local default 0 false onhost\n"; out != want {
		t.Errorf("docker network inspect host: %q, want %q", out, want)
	}
	s.ok("rm", "-f", "onhost")

	s.fails(1, "Error response from daemon: host is a pre-defined network and cannot be removed", "network", "rm", "host")
	s.fails(1, "Error response from daemon: none is a pre-defined network and cannot be removed", "network", "rm", full[:12])
	s.fails(1, "Error response from daemon: bridge is a pre-defined network and cannot be removed", "network", "rm", "bridge")
	s.fails(1, "Error response from daemon: operation is not permitted on predefined none network", "network", "create", "none")
	e.fails(1, "host is a pre-defined network and cannot be removed", "network", "rm", "host")
	e.fails(1, "operation is not permitted on predefined host network", "network", "create", "host")
	for _, name := range []string{"host.json", "none.json"} {
		if _, err := os.Stat(filepath.Join(e.root, "networks", name)); !os.IsNotExist(err) {
			t.Errorf("%s: %v, want none on disk", name, err)
		}
	}
}
