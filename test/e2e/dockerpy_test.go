//go:build linux

package e2e

import (
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/geedocker/geedocker/internal/testutil"
)

// TestDockerPy drives `geedocker serve` with docker-py, the Docker SDK for
// Python: Debian's python3-docker (5.0.3), which docker-compose brings (PyPI,
// and so docker-py 7, is not reachable here). The script prints one line per
// step: a container run with its output and a failing one, logs, exec (exit
// code, demultiplexed output), a network reached by name, a volume, labels,
// stop, wait, remove, and nothing left.
func TestDockerPy(t *testing.T) {
	needDocker(t)
	if err := exec.Command("python3", "-c", "import docker").Run(); err != nil {
		if os.Getenv("GEEDOCKER_REQUIRE_ROOT_TESTS") == "1" {
			t.Fatal("python3 with docker-py (Debian's python3-docker) is needed: scripts/test-deps.sh installs it")
		}
		t.Skip("python3 with docker-py (python3-docker) is not installed")
	}
	e := newEnv(t)
	e.withBusybox()
	s := e.serve(false)
	r := testutil.Run(t, "env", "DOCKER_HOST=unix://"+s.sock, "DOCKER_CONFIG="+s.config, "python3", "testdata/dockerpy/dockerpy.py")
	if r.Code != 0 {
		t.Fatalf("dockerpy.py: exit %d\nstdout:\n%s\nstderr:\n%s", r.Code, r.Stdout, r.Stderr)
	}
	want := `ping True
run b'hi\n'
run failed 3 b'oops\n'
status running pysrv py
logs b'ready\n'
exec 4 b'served\n'
exec demux 0 (b'served\n', b'e\n')
by name b'served\n'
list ['pysrv']
networks ['pynet']
volumes ['pyvol']
volume data b'served\n'
wait 137
gone No such container: pysrv
left [] [] []
`
	if r.Stdout != want {
		t.Errorf("dockerpy.py printed:\n%s\nwant:\n%s", r.Stdout, want)
	}
	if out := e.ok("ps", "-aq"); out != "" {
		t.Errorf("containers left: %q", out)
	}
	if got := strings.TrimSpace(e.ok("volume", "ls", "-q")); got != "" {
		t.Errorf("volumes left: %q", got)
	}
}
