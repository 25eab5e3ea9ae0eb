//go:build linux

package e2e

import (
	"archive/tar"
	"bytes"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// readTree lists a host directory: path → content ("<dir>" for directories).
func readTree(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err != nil || p == dir {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if fi.IsDir() {
			out[rel] = "<dir>"
		} else if fi.Mode()&os.ModeSymlink != 0 {
			l, _ := os.Readlink(p)
			out[rel] = "-> " + l
		} else {
			b, _ := os.ReadFile(p)
			out[rel] = string(b)
		}
		return nil
	})
	return out
}

func keys(m map[string]string) string {
	var k []string
	for x := range m {
		k = append(k, x)
	}
	sort.Strings(k)
	return strings.Join(k, " ")
}

func TestCp(t *testing.T) {
	e := newEnv(t)
	e.importBusybox("base:v1")
	// Outside every container: what a planted link would aim at.
	outside := t.TempDir()
	secret := filepath.Join(outside, "secret")
	os.WriteFile(secret, []byte("host secret\n"), 0o600)
	setup := "mkdir -p /d/sub && echo f > /d/sub/f && echo top > /d/top && " +
		"ln -s " + secret + " /leak_abs && ln -s ../../../../../../../.." + secret + " /leak_rel && " +
		"ln -s / /rootlink && ln -s ../../../../../../.. /uplink && ln -s " + outside + " /outlink"
	e.ok("run", "--name", "stopped", "base:v1", "sh", "-c", setup)
	e.ok("run", "-d", "--name", "running", "base:v1", "sleep", "1000")
	t.Cleanup(func() { e.gd("rm", "-f", "running") })
	e.ok("exec", "running", "sh", "-c", setup)

	for _, ctr := range []string{"stopped", "running"} {
		func() {
			t.Logf("container %s", ctr)
			h := t.TempDir()
			// Out: a file to a new name, a directory to a new name, into an
			// existing directory, and its contents with "/.".
			e.ok("cp", ctr+":/d/top", filepath.Join(h, "top.txt"))
			e.ok("cp", ctr+":/d", filepath.Join(h, "newdir"))
			os.Mkdir(filepath.Join(h, "into"), 0o755)
			e.ok("cp", ctr+":/d", filepath.Join(h, "into"))
			os.Mkdir(filepath.Join(h, "contents"), 0o755)
			e.ok("cp", ctr+":/d/.", filepath.Join(h, "contents"))
			got := readTree(t, h)
			want := map[string]string{
				"top.txt": "top\n", "newdir": "<dir>", "newdir/top": "top\n", "newdir/sub": "<dir>", "newdir/sub/f": "f\n",
				"into": "<dir>", "into/d": "<dir>", "into/d/top": "top\n", "into/d/sub": "<dir>", "into/d/sub/f": "f\n",
				"contents": "<dir>", "contents/top": "top\n", "contents/sub": "<dir>", "contents/sub/f": "f\n",
			}
			if keys(got) != keys(want) {
				t.Fatalf("copied out:\n%s\nwant:\n%s", keys(got), keys(want))
			}
			for k, v := range want {
				if got[k] != v {
					t.Errorf("%s = %q, want %q", k, got[k], v)
				}
			}
			e.fails(1, "not a directory", "cp", ctr+":/d/top/", h)
			e.fails(1, "Could not find the file /nothing", "cp", ctr+":/nothing", h)

			// In: a file into a directory, a directory under a new name, then back out.
			in := filepath.Join(h, "in")
			os.MkdirAll(filepath.Join(in, "x"), 0o755)
			os.WriteFile(filepath.Join(in, "x", "y"), []byte("yy\n"), 0o644)
			os.WriteFile(filepath.Join(in, "payload"), []byte("payload\n"), 0o644)
			e.ok("cp", filepath.Join(in, "payload"), ctr+":/d/")
			e.ok("cp", filepath.Join(in, "x"), ctr+":/d/newx")
			back := filepath.Join(h, "back")
			e.ok("cp", ctr+":/d", back)
			if b := readTree(t, back); b["payload"] != "payload\n" || b["newx/y"] != "yy\n" {
				t.Errorf("copied in, then out: %v", b)
			}

			// tar streams both ways.
			cmd := e.command("cp", ctr+":/d/sub", "-")
			var buf bytes.Buffer
			cmd.Stdout = &buf
			if err := cmd.Run(); err != nil {
				t.Fatal(err)
			}
			var names []string
			tr := tar.NewReader(bytes.NewReader(buf.Bytes()))
			for {
				hd, err := tr.Next()
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				names = append(names, hd.Name)
			}
			if strings.Join(names, " ") != "sub/ sub/f" {
				t.Errorf("cp to stdout: %v", names)
			}
			cmd = e.command("cp", "-", ctr+":/d/newx")
			cmd.Stdin = bytes.NewReader(buf.Bytes())
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("cp from stdin: %v %s", err, out)
			}
			e.ok("cp", ctr+":/d/newx/sub/f", filepath.Join(h, "f-from-stdin"))

			// Planted links never lead outside the container's root.
			for _, src := range []string{"/leak_abs", "/leak_rel", "/rootlink" + secret, "/uplink" + secret, "/outlink/secret"} {
				r := e.gd("cp", "-L", ctr+":"+src, filepath.Join(h, "stolen"))
				if r.Code == 0 {
					t.Errorf("cp -L %s read outside the container", src)
				}
			}
			if _, err := os.Stat(filepath.Join(h, "stolen")); err == nil {
				t.Errorf("a planted link read the host's file: %q", readTree(t, h)["stolen"])
			}
			for _, dst := range []string{"/outlink/", "/outlink/planted", "/rootlink" + outside + "/", "/uplink" + outside + "/planted"} {
				e.gd("cp", filepath.Join(in, "payload"), ctr+":"+dst)
			}
			if got := readTree(t, outside); keys(got) != "secret" {
				t.Errorf("planted links wrote outside the container: %v", keys(got))
			}
			// The link itself (without -L) is copied as a link.
			e.ok("cp", ctr+":/leak_abs", filepath.Join(h, "link"))
			if l, err := os.Readlink(filepath.Join(h, "link")); err != nil || l != secret {
				t.Errorf("cp of a symlink: %q %v", l, err)
			}
		}()
	}
	// The stopped container's overlay was mounted only in the helper's namespace.
	if mi, err := os.ReadFile("/proc/self/mountinfo"); err != nil || strings.Contains(string(mi), e.root) {
		t.Errorf("a mount of the store is left in the host's namespace (%v)", err)
	}
	e.fails(1, "No such container", "cp", "nothing:/x", t.TempDir())
	e.fails(125, "copying between containers", "cp", "a:/x", "b:/y")
}
