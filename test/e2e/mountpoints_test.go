//go:build linux

package e2e

import (
	"archive/tar"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/geedocker/geedocker/internal/testutil"
)

// An image without /etc/hosts, /etc/hostname, /etc/resolv.conf, /proc and /sys (as most
// images from a registry lack /etc/resolv.conf): the runtime makes them as mount points,
// and, as Docker's init layer, they are not the container's changes: `diff` does not list
// them and `commit` does not put them in the image.
func TestDiffCommitLeaveOutMountPoints(t *testing.T) {
	e := newEnv(t)
	good := filepath.Join(t.TempDir(), "rootfs.tar")
	if err := os.WriteFile(good, testutil.BusyboxRootfsTar(t), 0o644); err != nil {
		t.Fatal(err)
	}
	bare := filepath.Join(t.TempDir(), "bare.tar")
	hostileArchive(t, good, bare, func(h *tar.Header, body []byte) (*tar.Header, []byte) {
		switch strings.TrimSuffix(strings.TrimPrefix(h.Name, "./"), "/") {
		case "etc/hosts", "etc/hostname", "etc/resolv.conf", "proc", "sys":
			return nil, nil
		}
		return h, body
	})
	e.ok("import", "-c", `CMD ["sh"]`, bare, "bare:v1")
	if got := e.ok("run", "--rm", "bare:v1", "sh", "-c", "ls -d /proc/1 /sys/kernel; hostname | wc -l; grep -q localhost /etc/hosts && echo hosts; test -f /etc/resolv.conf && echo resolv"); got != "/proc/1\n/sys/kernel\n1\nhosts\nresolv\n" {
		t.Fatalf("the mount points in a bare image: %q", got)
	}

	e.ok("run", "--name", "fresh", "bare:v1", "true")
	if got := e.ok("diff", "fresh"); got != "" {
		t.Errorf("diff of a container that changed nothing = %q, want nothing", got)
	}
	e.ok("run", "--name", "edit", "bare:v1", "sh", "-c", "echo hi > /etc/motd; mkdir /data")
	if got, want := e.ok("diff", "edit"), "A /data\nC /etc\nA /etc/motd\n"; got != want {
		t.Errorf("diff edit = %q, want %q", got, want)
	}
	e.ok("commit", "edit", "bare:edited")
	lower := strings.Split(e.inspectImage("bare:edited").GraphDriver.Data["LowerDir"], ":")
	var files []string
	filepath.WalkDir(lower[0], func(p string, d fs.DirEntry, err error) error {
		if err == nil && p != lower[0] {
			rel, _ := filepath.Rel(lower[0], p)
			files = append(files, rel)
		}
		return nil
	})
	sort.Strings(files)
	if got := strings.Join(files, " "); got != "data etc etc/motd" {
		t.Errorf("the committed layer holds %q, want data etc etc/motd", got)
	}
	if got := e.ok("run", "--rm", "bare:edited", "cat", "/etc/motd"); got != "hi\n" {
		t.Errorf("run bare:edited cat /etc/motd = %q", got)
	}
	e.ok("rm", "fresh", "edit")
}
