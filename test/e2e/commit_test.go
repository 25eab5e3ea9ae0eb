//go:build linux

package e2e

import (
	"archive/tar"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCommitDiffExportHistory(t *testing.T) {
	e := newEnv(t)
	e.importBusybox("base:v1")
	e.ok("run", "--name", "c1", "-e", "MODE=test", "base:v1", "sh", "-c",
		"echo new > /new.txt && echo extra >> /etc/passwd && rm /etc/group && mkdir -p /data/sub && echo d > /data/sub/f")

	got := e.ok("diff", "c1")
	for _, want := range []string{"C /etc\n", "C /etc/passwd\n", "D /etc/group\n", "A /new.txt\n", "A /data\n", "A /data/sub\n", "A /data/sub/f\n"} {
		if !strings.Contains(got, want) {
			t.Errorf("diff lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "/bin") {
		t.Errorf("diff shows unchanged paths:\n%s", got)
	}

	// export: the merged file system, deletions applied.
	file := filepath.Join(t.TempDir(), "c1.tar")
	e.ok("export", "-o", file, "c1")
	files := map[string]string{}
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(tr)
		files[h.Name] = string(b)
	}
	f.Close()
	if files["new.txt"] != "new\n" || !strings.HasSuffix(files["etc/passwd"], "extra\n") || files["data/sub/f"] != "d\n" {
		t.Errorf("export: new.txt %q, etc/passwd %q, data/sub/f %q", files["new.txt"], files["etc/passwd"], files["data/sub/f"])
	}
	if _, ok := files["etc/group"]; ok {
		t.Error("export holds the deleted /etc/group")
	}
	if _, ok := files["bin/busybox"]; !ok {
		t.Error("export lacks the image's /bin/busybox")
	}

	// commit: a new image with the changes, the container's config and the changes asked for.
	id := strings.TrimSpace(e.ok("commit", "-a", "Tester <t@example.com>", "-m", "my change", "-c", "ENV EXTRA=1", "c1", "committed:v2"))
	if !strings.HasPrefix(id, "sha256:") || len(id) != 71 {
		t.Fatalf("commit printed %q", id)
	}
	if out := e.ok("run", "--rm", "committed:v2", "sh", "-c", "cat /new.txt /data/sub/f; test -e /etc/group || echo gone; echo $MODE $EXTRA"); out != "new\nd\ngone\ntest 1\n" {
		t.Errorf("run of the committed image: %q", out)
	}
	hist := e.ok("history", "committed:v2")
	lines := strings.Split(strings.TrimSpace(hist), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "IMAGE") || !strings.HasPrefix(lines[1], id[7:19]) || !strings.Contains(lines[1], "my change") || !strings.Contains(lines[2], "<missing>") {
		t.Errorf("history:\n%s", hist)
	}
	if q := e.ok("history", "-q", "--no-trunc", "committed:v2"); !strings.HasPrefix(q, id+"\n<missing>\n") {
		t.Errorf("history -q --no-trunc: %q", q)
	}
	if out := e.ok("history", "--format", "{{.Comment}}", "committed:v2"); out != "my change\n\n" {
		t.Errorf("history --format: %q", out)
	}
	// The committed image goes out and comes back whole.
	arch := filepath.Join(t.TempDir(), "committed.tar")
	e.ok("save", "-o", arch, "committed:v2")
	e2 := newEnv(t)
	e2.ok("load", "-i", arch)
	if out := e2.ok("run", "--rm", "committed:v2", "cat", "/new.txt"); out != "new\n" {
		t.Errorf("run of the loaded commit: %q", out)
	}
	// A running container is frozen while its changes are read, and runs on.
	e.ok("run", "-d", "--name", "live", "base:v1", "sleep", "1000")
	t.Cleanup(func() { e.gd("rm", "-f", "live") })
	e.ok("exec", "live", "sh", "-c", "echo live > /live.txt")
	e.ok("commit", "live", "live:v1")
	if out := e.ok("exec", "live", "cat", "/live.txt"); out != "live\n" {
		t.Errorf("the container after the commit: %q", out)
	}
	if st := strings.TrimSpace(e.ok("inspect", "-f", "{{.State.Status}}", "live")); st != "running" {
		t.Errorf("after the commit the container is %s", st)
	}
	if out := e.ok("run", "--rm", "live:v1", "cat", "/live.txt"); out != "live\n" {
		t.Errorf("run of the live commit: %q", out)
	}
	e.fails(1, "No such container", "commit", "nothing")
	e.fails(1, "No such container", "diff", "nothing")
	e.ok("rm", "c1")
}
