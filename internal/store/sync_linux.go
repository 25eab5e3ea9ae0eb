package store

import (
	"os"

	"golang.org/x/sys/unix"
)

// syncFS flushes the whole file system holding dir: one syscall instead of an
// fsync per unpacked file.
func syncFS(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer f.Close()
	return unix.Syncfs(int(f.Fd()))
}
