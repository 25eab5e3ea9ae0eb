package engine

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// top reads a running container's /etc/passwd for user names: a container that made it a
// FIFO (or a link to one) must not hang the read; a regular file is read.
func TestOpenRegularInRootRefusesFIFO(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "etc"), 0o755)
	if err := syscall.Mkfifo(filepath.Join(dir, "fifo"), 0o644); err != nil {
		t.Fatal(err)
	}
	os.Symlink("/fifo", filepath.Join(dir, "etc", "passwd"))
	os.WriteFile(filepath.Join(dir, "etc", "group"), []byte("root:x:0:\n"), 0o644)
	root, err := unix.Open(dir, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(root)
	done := make(chan error, 1)
	go func() {
		f, err := openRegularInRoot(root, "etc/passwd")
		if err == nil {
			f.Close()
		}
		done <- err
	}()
	select {
	case err := <-done:
		if err == nil {
			t.Error("a FIFO was opened as /etc/passwd")
		}
	case <-time.After(30 * time.Second):
		t.Fatal("opening a FIFO as /etc/passwd hangs")
	}
	f, err := openRegularInRoot(root, "etc/group")
	if err != nil {
		t.Fatalf("a regular file: %v", err)
	}
	f.Close()
}
