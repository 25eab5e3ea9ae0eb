package netns

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
)

// inPrivateMountNamespace runs the test again in a private mount namespace (the pins are
// bind mounts: none may land in the machine's own mount table) and reports its result.
// It returns true in that child, which then does the test's work.
func inPrivateMountNamespace(t *testing.T) bool {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root: makes network namespaces and bind mounts")
	}
	if os.Getenv("GEEDOCKER_NETNS_TEST_CHILD") == "1" {
		return true
	}
	cmd := exec.Command("unshare", "-m", "--propagation", "private", os.Args[0], "-test.run=^"+t.Name()+"$", "-test.v")
	cmd.Env = append(os.Environ(), "GEEDOCKER_NETNS_TEST_CHILD=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("in a private mount namespace: %v\n%s", err, out)
	}
	return false
}

func nsInode(t *testing.T, path string) uint64 {
	t.Helper()
	var st unix.Stat_t
	if err := unix.Stat(path, &st); err != nil {
		t.Fatal(err)
	}
	return st.Ino
}

func TestNewPinRemove(t *testing.T) {
	if !inPrivateMountNamespace(t) {
		return
	}
	dir := t.TempDir()
	own := nsInode(t, "/proc/self/ns/net")

	path := filepath.Join(dir, "a", "netns")
	if err := New(path); err != nil {
		t.Fatal(err)
	}
	made := nsInode(t, path)
	if made == own {
		t.Fatal("New pinned the caller's own network namespace")
	}
	if now := nsInode(t, "/proc/thread-self/ns/net"); now != own {
		t.Fatal("the caller was left in another network namespace")
	}
	if err := New(path); err == nil {
		t.Fatal("New over an existing pin succeeded")
	}

	// The pin of a process's namespace is that namespace.
	pinned := filepath.Join(dir, "b")
	if err := PinProcess(pinned, os.Getpid()); err != nil {
		t.Fatal(err)
	}
	if got := nsInode(t, pinned); got != own {
		t.Fatalf("PinProcess pinned namespace %d, want %d", got, own)
	}

	Remove(path)
	Remove(pinned)
	Remove(pinned) // idempotent
	for _, p := range []string{path, pinned} {
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Errorf("%s left after Remove: %v", p, err)
		}
	}
}
