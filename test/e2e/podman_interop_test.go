package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/geedocker/geedocker/internal/testutil"
)

// podman is a podman CLI with a store of its own in temp dirs (vfs: it
// mounts nothing), configured as the benchmark runs it here.
type podman struct {
	t    *testing.T
	args []string
	env  []string
}

func newPodman(t *testing.T) *podman {
	t.Helper()
	if _, err := exec.LookPath("podman"); err != nil {
		t.Skip("podman is not installed: the interoperability test loads archives in it")
	}
	mod, err := testutil.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	// podman wants a short run root (its sockets' paths are bounded).
	run, err := os.MkdirTemp("/run", "gd-e2e-podman-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(run) })
	// The cgroup parents podman's cgroupfs manager makes (on v1, one a
	// controller), removed after when they were not there before.
	parents := func() []string {
		ds, _ := filepath.Glob("/sys/fs/cgroup/*/libpod_parent")
		return append(ds, "/sys/fs/cgroup/libpod_parent")
	}
	before := map[string]bool{}
	for _, d := range parents() {
		before[d] = exists(d)
	}
	t.Cleanup(func() {
		for _, d := range parents() {
			if !before[d] {
				removeCgroupTree(d)
			}
		}
	})
	return &podman{t: t,
		args: []string{"--root", filepath.Join(dir, "root"), "--runroot", run, "--tmpdir", filepath.Join(dir, "tmp"), "--storage-driver", "vfs"},
		env:  append(os.Environ(), "CONTAINERS_CONF="+filepath.Join(mod, "scripts", "bench", "podman.conf"))}
}

// removeCgroupTree removes a cgroup directory and those below it, deepest
// first (a cgroup directory goes with rmdir, its files with it).
func removeCgroupTree(dir string) {
	subs, _ := os.ReadDir(dir)
	for _, s := range subs {
		if s.IsDir() {
			removeCgroupTree(filepath.Join(dir, s.Name()))
		}
	}
	os.Remove(dir)
}

func exists(p string) bool { _, err := os.Stat(p); return err == nil }

// ok runs podman and fails the test unless it exits 0.
func (p *podman) ok(args ...string) string {
	p.t.Helper()
	cmd := exec.Command("podman", append(append([]string{}, p.args...), args...)...)
	cmd.Env = p.env
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		p.t.Fatalf("podman %s: %v\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), err, out, stderr.String())
	}
	return string(out)
}

// TestPodmanLoadInterop: an archive `geedocker save` writes loads in podman
// and runs there; archives `podman save` writes (docker-archive and
// oci-archive) load in GeeDocker and run.
func TestPodmanLoadInterop(t *testing.T) {
	e := newEnv(t)
	p := newPodman(t)
	e.importBusybox("interop:v1")
	dir := t.TempDir()
	saved := filepath.Join(dir, "geedocker.tar")
	e.ok("save", "-o", saved, "interop:v1")

	if out := p.ok("load", "-i", saved); !strings.Contains(out, "Loaded image") || !strings.Contains(out, "interop:v1") {
		t.Errorf("podman load of a GeeDocker archive: %q", out)
	}
	// podman reads the archive's "interop:v1" as Docker does.
	const name = "docker.io/library/interop:v1"
	wantID := strings.TrimPrefix(e.inspectImage("interop:v1").ID, "sha256:")
	if id := strings.TrimSpace(p.ok("image", "inspect", "-f", "{{.Id}}", name)); id != wantID {
		t.Errorf("podman sees image ID %q, GeeDocker %q", id, wantID)
	}
	if got := p.ok("run", "--rm", "--network", "none", name, "echo", "in podman"); got != "in podman\n" {
		t.Errorf("podman run of the loaded image: %q", got)
	}

	for _, format := range []string{"docker-archive", "oci-archive"} {
		t.Run(format, func(t *testing.T) {
			f := filepath.Join(dir, format+".tar")
			p.ok("save", "-q", "--format", format, "-o", f, name)
			e2 := newEnv(t)
			out := e2.ok("load", "-i", f)
			if out != "Loaded image: interop:v1\n" {
				t.Errorf("geedocker load of podman's %s: %q", format, out)
			}
			ref := "interop:v1"
			if e2.inspectImage(ref).ID != "sha256:"+wantID {
				t.Errorf("podman's %s loaded with another ID than %s", format, wantID)
			}
			if got := e2.ok("run", "--rm", "--network", "none", ref, "echo", fmt.Sprintf("from podman's %s", format)); got != "from podman's "+format+"\n" {
				t.Errorf("run of the image podman saved: %q", got)
			}
		})
	}
}
