//go:build linux

package e2e

import (
	"archive/tar"
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// tarOwners reads a tar stream: each entry's name (without "./" and a final "/") and its
// owner as "UID:GID".
func tarOwners(t *testing.T, b string) map[string]string {
	t.Helper()
	out := map[string]string{}
	tr := tar.NewReader(strings.NewReader(b))
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatalf("reading the tar: %v", err)
		}
		out[strings.TrimSuffix(strings.TrimPrefix(h.Name, "./"), "/")] = fmt.Sprintf("%d:%d", h.Uid, h.Gid)
	}
}

// topLayerOwners returns the owners of the entries of the top layer of image ref, as `save`
// writes it.
func topLayerOwners(t *testing.T, e *env, ref string) map[string]string {
	t.Helper()
	file := filepath.Join(t.TempDir(), "image.tar")
	e.ok("save", "-o", file, ref)
	img, err := tarball.ImageFromPath(file, nil)
	if err != nil {
		t.Fatal(err)
	}
	layers, err := img.Layers()
	if err != nil || len(layers) == 0 {
		t.Fatalf("layers of %s: %v", ref, err)
	}
	rc, err := layers[len(layers)-1].Uncompressed()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return tarOwners(t, string(b))
}

// checkOwners compares the owners of some names with want.
func checkOwners(t *testing.T, what string, got, want map[string]string) {
	t.Helper()
	for name, w := range want {
		if got[name] != w {
			t.Errorf("%s: %s owned by %q, want %s", what, name, got[name], w)
		}
	}
}

// Under userns-remap a container's layer holds its host ids; what leaves the container
// (commit, export, cp and GET archive) holds its own ids, and what enters it (cp and PUT
// archive) lands with its host ids, so that the container sees the owners the tar names.
func TestUsernsRemapOwners(t *testing.T) {
	e := newEnv(t)
	e.withBusybox()
	user, start := usernsUser(t)
	e.withUsernsRemap(user)
	host := func(id uint32) string { return fmt.Sprintf("%d:%d", start+id, start+id) }

	script := "mkdir /d && echo y > /d/f && chown 1000:1000 /d/f && touch /rootfile && rm /bin/ls"
	e.ok("run", "--name", "stopped", "--network", "none", "busybox", "sh", "-c", script)
	t.Cleanup(func() { e.gd("rm", "-f", "stopped") })
	running := e.detached("--name", "running", "--network", "none", "busybox", "sleep", "300")
	e.ok("exec", running, "sh", "-c", script)
	stopped := e.inspectField("stopped", "{{.Id}}")
	upper := func(id, p string) string { return owner(t, filepath.Join(e.root, "containers", id, "upper", p)) }
	if got := upper(stopped, "rootfile") + " " + upper(stopped, "d/f"); got != host(0)+" "+host(1000) {
		t.Errorf("the container's layer on disk: %s, want its host ids %s %s", got, host(0), host(1000))
	}

	// commit: the image holds the container's ids, with or without a user namespace.
	e.ok("commit", "stopped", "remapped:v1")
	want := "0:0 /rootfile\n0:0 /d\n1000:1000 /d/f\n0:0 /bin/busybox\n"
	for _, flags := range [][]string{{"--userns", "host"}, nil} {
		args := append(append([]string{"run", "--rm", "--network", "none"}, flags...), "remapped:v1", "stat", "-c", "%u:%g %n", "/rootfile", "/d", "/d/f", "/bin/busybox")
		if got := e.ok(args...); got != want {
			t.Errorf("run %v of the committed image:\n%swant:\n%s", flags, got, want)
		}
	}

	checkOwners(t, "the committed layer", topLayerOwners(t, e, "remapped:v1"),
		map[string]string{"rootfile": "0:0", "d": "0:0", "d/f": "1000:1000", "bin/.wh.ls": "0:0"})

	// export: the container's ids, from its layer and the image's.
	inside := map[string]string{"rootfile": "0:0", "d": "0:0", "d/f": "1000:1000", "bin/busybox": "0:0", "etc": "0:0"}
	checkOwners(t, "export", tarOwners(t, e.ok("export", "stopped")), inside)

	hostFile := filepath.Join(t.TempDir(), "file.txt")
	if err := os.WriteFile(hostFile, []byte("file\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(hostFile, 1234, 1234); err != nil {
		t.Fatal(err)
	}
	var in bytes.Buffer
	tw := tar.NewWriter(&in)
	tw.WriteHeader(&tar.Header{Name: "fromtar", Typeflag: tar.TypeReg, Mode: 0o644, Size: 2, Uid: 1000, Gid: 1000})
	tw.Write([]byte("t\n"))
	tw.Close()

	for _, c := range []string{"stopped", "running"} {
		t.Run(c, func(t *testing.T) {
			id := e.inspectField(c, "{{.Id}}")
			// cp out, as a tar and into a directory: the container's ids.
			checkOwners(t, "cp "+c+":/d -", tarOwners(t, e.ok("cp", c+":/d", "-")), map[string]string{"d": "0:0", "d/f": "1000:1000"})
			out := filepath.Join(t.TempDir(), "out")
			e.ok("cp", c+":/d", out)
			if got := owner(t, out) + " " + owner(t, filepath.Join(out, "f")); got != "0:0 1000:1000" {
				t.Errorf("cp %s:/d DIR: owners %s, want 0:0 1000:1000", c, got)
			}
			// cp in: root's without -a, the file's owner with -a, a tar's owners from stdin;
			// on disk, the container's host ids.
			e.ok("cp", hostFile, c+":/in")
			e.ok("cp", "-a", hostFile, c+":/kept")
			r := e.command("cp", "-", c+":/")
			r.Stdin = bytes.NewReader(in.Bytes())
			if b, err := r.CombinedOutput(); err != nil {
				t.Fatalf("cp - %s:/: %v\n%s", c, err, b)
			}
			if got := upper(id, "in") + " " + upper(id, "kept") + " " + upper(id, "fromtar"); got != host(0)+" "+host(1234)+" "+host(1000) {
				t.Errorf("files copied into %s, on disk: %s, want %s %s %s", c, got, host(0), host(1234), host(1000))
			}
			for name, w := range map[string]string{"in": "0:0", "kept": "1234:1234", "fromtar": "1000:1000", "rootfile": "0:0", "busybox": "0:0"} {
				p := "/" + name
				if name == "busybox" {
					p = "/bin/busybox"
				}
				checkOwners(t, "cp "+c+":"+p+" -", tarOwners(t, e.ok("cp", c+":"+p, "-")), map[string]string{name: w})
			}
		})
	}
	if got := e.ok("exec", running, "stat", "-c", "%u:%g", "/in", "/kept", "/fromtar"); got != "0:0\n1234:1234\n1000:1000\n" {
		t.Errorf("inside, the files copied in: %q", got)
	}

	// The archive API (docker cp through geedocker serve): GET and PUT, with and without
	// copyUIDGID.
	if _, err := exec.LookPath("docker"); err == nil {
		s := e.serve(false)
		s.ok("cp", hostFile, "running:/api")
		s.ok("cp", "-a", hostFile, "running:/apikept")
		if got := e.ok("exec", running, "stat", "-c", "%u:%g", "/api", "/apikept"); got != "0:0\n1234:1234\n" {
			t.Errorf("inside, the files copied in through the API: %q", got)
		}
		checkOwners(t, "docker cp running:/d -", tarOwners(t, s.ok("cp", "running:/d", "-")), map[string]string{"d": "0:0", "d/f": "1000:1000"})
		checkOwners(t, "docker cp stopped:/d -", tarOwners(t, s.ok("cp", "stopped:/d", "-")), map[string]string{"d": "0:0", "d/f": "1000:1000"})
	}
}

// Under userns-remap, RUN runs in the remapped user namespace, and its layer holds the
// container's ids.
func TestUsernsRemapBuild(t *testing.T) {
	e := newEnv(t)
	e.withBusybox()
	user, start := usernsUser(t)
	e.withUsernsRemap(user)
	dir := t.TempDir()
	dockerfile := "FROM busybox\nRUN cat /proc/self/uid_map > /uidmap && mkdir /d && echo y > /d/f && chown 1000:1000 /d/f\n"
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte(dockerfile), 0o644); err != nil {
		t.Fatal(err)
	}
	e.ok("build", "-q", "-t", "built:v1", dir)
	checkOwners(t, "the RUN layer", topLayerOwners(t, e, "built:v1"), map[string]string{"uidmap": "0:0", "d": "0:0", "d/f": "1000:1000"})
	want := "0:0 /uidmap\n0:0 /d\n1000:1000 /d/f\n"
	for _, flags := range [][]string{{"--userns", "host"}, nil} {
		args := append(append([]string{"run", "--rm", "--network", "none"}, flags...), "built:v1", "stat", "-c", "%u:%g %n", "/uidmap", "/d", "/d/f")
		if got := e.ok(args...); got != want {
			t.Errorf("run %v of the built image:\n%swant:\n%s", flags, got, want)
		}
	}
	if got := e.ok("run", "--rm", "--network", "none", "built:v1", "cat", "/uidmap"); strings.Join(strings.Fields(got), " ") != fmt.Sprintf("0 %d 65536", start) {
		t.Errorf("the uid_map of RUN: %q, want 0 %d 65536", got, start)
	}
}
