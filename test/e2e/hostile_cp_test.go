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

// cp into a --read-only container is refused but into its writable volumes, and into a
// read-only mount always, as Docker refuses them, for a running or a stopped container.
func TestCpIntoReadOnly(t *testing.T) {
	e := newEnv(t)
	e.importBusybox("busybox:latest")
	file := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(file, []byte("x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	conf := t.TempDir()
	e.ok("run", "-d", "--network", "none", "--name", "running", "--read-only", "-v", "atkvol:/data", "-v", conf+":/conf:ro", "busybox", "sleep", "1000")
	e.ok("create", "--network", "none", "--name", "stopped", "--read-only", "-v", "atkvol:/data", "-v", conf+":/conf:ro", "busybox", "true")
	for _, c := range []string{"running", "stopped"} {
		e.fails(1, "container rootfs is marked read-only", "cp", file, c+":/tmp")
		e.fails(1, "mounted volume is marked read-only", "cp", file, c+":/conf/f")
	}
	e.ok("cp", file, "running:/data/f")
	if got := e.ok("exec", "running", "cat", "/data/f"); got != "x\n" {
		t.Errorf("cp into a writable volume of a read-only container: %q", got)
	}
	if _, err := os.Stat(filepath.Join(conf, "f")); err == nil {
		t.Error("a file was copied into a read-only bind")
	}
	e.ok("rm", "-f", "running", "stopped")
	e.ok("volume", "rm", "atkvol")
}
