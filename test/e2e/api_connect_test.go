//go:build linux

package e2e

import (
	"strings"
	"testing"
)

// TestAPINetworkConnectAlias: `docker network connect --alias` through
// `geedocker serve`, on a running container and on a created one (as
// docker-compose joins a service's further networks before its start).
func TestAPINetworkConnectAlias(t *testing.T) {
	needDocker(t)
	e := newEnv(t)
	e.withBusybox()
	s := e.serve(false)
	s.ok("network", "create", "--subnet", "10.79.0.0/24", "n1")
	s.ok("run", "-d", "--name", "client", "--network", "n1", "busybox", "sleep", "1000")
	s.ok("run", "-d", "--name", "running", "busybox", "sleep", "1000")
	s.ok("network", "connect", "--alias", "hot", "n1", "running")
	s.ok("create", "--name", "later", "busybox", "sleep", "1000")
	s.ok("network", "connect", "--alias", "cold", "--alias", "cool", "n1", "later")
	if out := s.ok("inspect", "-f", `{{range .NetworkSettings.Networks.n1.Aliases}}{{.}} {{end}}`, "later"); !strings.Contains(out, " cold cool ") {
		t.Errorf("aliases of the created container on n1: %q", out)
	}
	s.ok("start", "later")
	for _, name := range []string{"hot", "cold", "cool"} {
		if out := s.ok("exec", "client", "nslookup", name, "127.0.0.11"); !strings.Contains(out, "10.79.0.") {
			t.Errorf("nslookup %s from n1:\n%s", name, out)
		}
	}
	s.fails(1, "Error response from daemon: network-scoped alias is supported only for containers in user defined networks", "network", "connect", "--alias", "x", "bridge", "client")
	s.fails(1, "Error response from daemon:", "network", "connect", "--alias", "bad name!", "n1", "client")
	// Disconnected, the alias is gone with the endpoint.
	s.ok("network", "disconnect", "n1", "running")
	if r := s.docker("exec", "client", "nslookup", "hot", "127.0.0.11"); r.Code == 0 && strings.Contains(r.Stdout, "10.79.0.") {
		t.Errorf("hot still resolves after disconnect:\n%s", r.Stdout)
	}
	// The CLI does the same, and both see the network's labels.
	e.ok("network", "create", "--label", "team=web", "--subnet", "10.79.1.0/24", "n2")
	if out := s.ok("network", "ls", "--filter", "label=team=web", "--format", "{{.Name}}"); out != "n2\n" {
		t.Errorf("docker network ls --filter label=team=web: %q", out)
	}
	if out := e.ok("network", "inspect", "-f", "{{.Labels.team}}", "n2"); out != "web\n" {
		t.Errorf("geedocker network inspect of the labels: %q", out)
	}
	e.ok("network", "connect", "--alias", "other", "n2", "client")
	if out := e.ok("exec", "client", "nslookup", "other", "127.0.0.11"); !strings.Contains(out, "10.79.1.") {
		t.Errorf("nslookup of the alias given by geedocker network connect:\n%s", out)
	}
	s.ok("rm", "-f", "client", "running", "later")
	s.ok("network", "rm", "n1", "n2")
}
