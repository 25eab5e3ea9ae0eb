//go:build linux

package e2e

import (
	"os"
	"path/filepath"
	"testing"
)

// Files a container names like whiteouts are copied out as files, as
// Docker's cp copies them: they never delete or hide what the host
// directory holds, for a running container or a stopped one.
func TestCpWhiteoutNamesFromContainer(t *testing.T) {
	e := newEnv(t)
	e.importBusybox("busybox:latest")
	script := "mkdir /data && echo c > /data/.wh.victim && echo o > /data/.wh..wh..opq"
	e.ok("run", "--network", "none", "--name", "stopped", "busybox", "sh", "-c", script)
	e.ok("run", "-d", "--network", "none", "--name", "running", "busybox", "sh", "-c", script+" && sleep 1000")
	e.ok("exec", "running", "test", "-f", "/data/.wh..wh..opq")
	for _, c := range []string{"stopped", "running"} {
		t.Run(c, func(t *testing.T) {
			host := t.TempDir()
			if err := os.WriteFile(filepath.Join(host, "victim"), []byte("host\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			e.ok("cp", c+":/data/.", host)
			for name, want := range map[string]string{"victim": "host\n", ".wh.victim": "c\n", ".wh..wh..opq": "o\n"} {
				if b, err := os.ReadFile(filepath.Join(host, name)); err != nil || string(b) != want {
					t.Errorf("%s after cp %s:/data/.: %q, %v; want %q", name, c, b, err, want)
				}
			}
		})
	}
	e.ok("rm", "-f", "running", "stopped")
}
