//go:build linux

package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/geedocker/geedocker/internal/testutil"
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

// HostConfig.Dns, DnsSearch and DnsOptions reach the container's
// /etc/resolv.conf through the API as through `geedocker run`.
func TestAPIDNSOptions(t *testing.T) {
	needDocker(t)
	e := newEnv(t)
	e.withBusybox()
	s := e.serve(false)

	out := s.ok("run", "--rm", "--dns", "10.0.0.53", "--dns-search", "corp.example", "--dns-option", "ndots:3", "--dns-option", "edns0", "busybox", "cat", "/etc/resolv.conf")
	if want := "nameserver 10.0.0.53\nsearch corp.example\noptions ndots:3 edns0\n"; out != want {
		t.Errorf("docker run --dns-option: resolv.conf %q, want %q", out, want)
	}
	if cli := e.ok("run", "--rm", "--dns", "10.0.0.53", "--dns-search", "corp.example", "--dns-option", "ndots:3", "--dns-option", "edns0", "busybox", "cat", "/etc/resolv.conf"); cli != out {
		t.Errorf("geedocker run writes %q, the API %q", cli, out)
	}
	// The host's servers, with the options in place of its own.
	if out := s.ok("run", "--rm", "--network", "none", "--dns-option", "ndots:4", "busybox", "cat", "/etc/resolv.conf"); !strings.HasSuffix(out, "options ndots:4\n") || strings.Count(out, "options") != 1 {
		t.Errorf("docker run --network none --dns-option: resolv.conf %q", out)
	}
	// On a user network, the resolver and its ndots:0 after the options.
	s.ok("network", "create", "dnsnet")
	defer s.docker("network", "rm", "dnsnet")
	if out := s.ok("run", "--rm", "--network", "dnsnet", "--dns-option", "timeout:2", "busybox", "cat", "/etc/resolv.conf"); out != "nameserver 127.0.0.11\noptions timeout:2 ndots:0\n" {
		t.Errorf("docker run --network dnsnet --dns-option: resolv.conf %q", out)
	}
	s.ok("create", "--name", "dnsopts", "--dns-option", "ndots:3", "--dns-search", "corp.example", "busybox", "true")
	if out := s.ok("inspect", "-f", "{{.HostConfig.DnsOptions}} {{.HostConfig.DnsSearch}}", "dnsopts"); out != "[ndots:3] [corp.example]\n" {
		t.Errorf("docker inspect: %q", out)
	}
	s.ok("rm", "dnsopts")
	s.fails(125, `invalid DNS option "ndots:1 rotate"`, "run", "--rm", "--dns-option", "ndots:1 rotate", "busybox", "true")
	if out := s.ok("ps", "-aq"); out != "" {
		t.Errorf("a refused create left %q", out)
	}
}

// Ulimits of -1 are unlimited, through the docker CLI as through the API
// (docker-py sends what the docker CLI would refuse itself); a bad pair is
// refused at create with go-units' words, and nothing is left.
func TestAPIUlimitsUnlimited(t *testing.T) {
	needDocker(t)
	e := newEnv(t)
	e.withBusybox()
	s := e.serve(false)

	for _, c := range []struct{ flag, want string }{
		{"core=-1", "unlimited unlimited\n"},
		{"core=0:-1", "0 unlimited\n"},
	} {
		if out := s.ok("run", "--rm", "--ulimit", c.flag, "busybox", "sh", "-c", "echo $(ulimit -Sc) $(ulimit -Hc)"); out != c.want {
			t.Errorf("docker run --ulimit %s: %q, want %q", c.flag, out, c.want)
		}
		if out := e.ok("run", "--rm", "--ulimit", c.flag, "busybox", "sh", "-c", "echo $(ulimit -Sc) $(ulimit -Hc)"); out != c.want {
			t.Errorf("geedocker run --ulimit %s: %q, want %q", c.flag, out, c.want)
		}
	}
	s.ok("create", "--name", "unl", "--ulimit", "core=-1", "busybox", "true")
	if out := s.ok("inspect", "-f", "{{range .HostConfig.Ulimits}}{{.Name}}={{.Soft}}:{{.Hard}}{{end}}", "unl"); out != "core=-1:-1\n" {
		t.Errorf("docker inspect: %q", out)
	}
	s.ok("rm", "unl")
	e.fails(125, "ulimit soft limit must be less than or equal to hard limit: soft: -1 (unlimited), hard: 100", "run", "--rm", "--ulimit", "core=-1:100", "busybox", "true")
	e.fails(125, "invalid ulimit value for core: -2 (-1 is unlimited)", "run", "--rm", "--ulimit", "core=-2", "busybox", "true")

	if _, err := exec.Command("python3", "-c", "import docker").Output(); err != nil {
		t.Log("python3 with docker-py is not installed: the API's own checks are not driven")
		return
	}
	r := testutil.Run(t, "env", "DOCKER_HOST=unix://"+s.sock, "DOCKER_CONFIG="+s.config, "python3", "testdata/dockerpy/parity.py")
	if r.Code != 0 {
		t.Fatalf("parity.py: exit %d\nstdout:\n%s\nstderr:\n%s", r.Code, r.Stdout, r.Stderr)
	}
	want := `ulimit -1 -1 -> unlimited unlimited
ulimit 0 -1 -> 0 unlimited
ulimit -1 100 -> 400 ulimit soft limit must be less than or equal to hard limit: soft: -1 (unlimited), hard: 100
ulimit 200 100 -> 400 ulimit soft limit must be less than or equal to hard limit: 200 > 100
ulimit -2 -2 -> 400 invalid ulimit value for core: -2 (-1 is unlimited)
left []
`
	if r.Stdout != want {
		t.Errorf("parity.py printed:\n%s\nwant:\n%s", r.Stdout, want)
	}
}

// The detach sequence ends an API attach session, or an exec's, with a
// terminal, and the container and the exec run on: dockerd's detachKeys of
// attach and DetachKeys of exec create, driven by docker-py (the docker
// CLI watches for its --detach-keys itself).
func TestAPIDetachKeys(t *testing.T) {
	needDocker(t)
	if _, err := exec.Command("python3", "-c", "import docker").Output(); err != nil {
		t.Skip("python3 with docker-py is not installed")
	}
	e := newEnv(t)
	e.withBusybox()
	s := e.serve(false)
	e.ok("run", "-dit", "--name", "clidetach", "busybox", "sh")
	r := testutil.Run(t, "env", "DOCKER_HOST=unix://"+s.sock, "DOCKER_CONFIG="+s.config, "python3", "testdata/dockerpy/detach.py")
	if r.Code != 0 {
		t.Fatalf("detach.py: exit %d\nstdout:\n%s\nstderr:\n%s", r.Code, r.Stdout, r.Stderr)
	}
	want := `attach None ended
after attach running
attach ctrl-x ended
after attach running
attach a,b ended
after attach running
bad keys 400 Invalid detach keys (ctrl-1) provided
exec ended
exec running True
bad exec keys 400 Invalid escape keys (ctrl-yy) provided
attach to the CLI's ended
after attach running
left []
`
	if r.Stdout != want {
		t.Errorf("detach.py printed:\n%s\nwant:\n%s", r.Stdout, want)
	}
}
