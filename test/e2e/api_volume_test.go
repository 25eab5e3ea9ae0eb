//go:build linux

package e2e

import (
	"strings"
	"testing"
)

// TestVolumeAPI: the docker CLI's volume commands against `geedocker serve`, and a
// container of the API using a named volume.
func TestVolumeAPI(t *testing.T) {
	needDocker(t)
	e := newEnv(t)
	e.withBusybox()
	s := e.serve(false)
	if out := s.ok("volume", "create", "--label", "team=a", "apivol"); out != "apivol\n" {
		t.Fatalf("docker volume create printed %q", out)
	}
	s.ok("volume", "create", "other")
	if out := s.ok("volume", "ls", "-q", "--filter", "label=team=a"); out != "apivol\n" {
		t.Errorf("docker volume ls: %q", out)
	}
	if out := s.ok("volume", "inspect", "-f", "{{.Name}} {{.Driver}} {{.Labels.team}}", "apivol"); out != "apivol local a\n" {
		t.Errorf("docker volume inspect: %q", out)
	}
	if out := e.ok("volume", "ls", "-q"); out != "apivol\nother\n" {
		t.Errorf("geedocker volume ls does not show the API's volumes: %q", out)
	}
	if out := s.ok("run", "--rm", "-v", "apivol:/data", "busybox", "sh", "-c", "echo api > /data/f; cat /data/f"); out != "api\n" {
		t.Errorf("docker run -v: %q", out)
	}
	if out := s.ok("run", "--rm", "--mount", "src=apivol,dst=/m,readonly", "--mount", "type=tmpfs,dst=/t,tmpfs-size=1m",
		"busybox", "sh", "-c", "cat /m/f; touch /m/x 2>/dev/null || echo ro; grep -o ' /t tmpfs .*size=1024k' /proc/mounts"); out != "api\nro\n /t tmpfs rw,nosuid,nodev,noexec,relatime,size=1024k\n" {
		t.Errorf("docker run --mount: %q", out)
	}
	id := strings.TrimSpace(s.ok("run", "-d", "-v", "apivol:/data", "busybox", "true"))
	s.ok("wait", id)
	s.fails(1, "Error response from daemon: remove apivol: volume is in use - ["+id+"]", "volume", "rm", "apivol")
	s.ok("rm", id)
	s.ok("volume", "rm", "apivol")
	s.fails(1, "Error response from daemon: get apivol: no such volume", "volume", "inspect", "apivol")
	if out := s.ok("volume", "prune", "-f", "--all"); out != "Deleted Volumes:\nother\n\nTotal reclaimed space: 0B\n" {
		t.Errorf("docker volume prune: %q", out)
	}
	if got := e.entries("volumes"); len(got) != 0 {
		t.Errorf("volumes left: %v", got)
	}
}
