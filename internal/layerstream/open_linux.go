package layerstream

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// root opens files below a directory, every symbolic link on the way
// resolved with the directory as "/", so nothing outside it is read.
type root struct{ fd int }

func openRoot(dir string) (*root, error) {
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("opening layer directory: %w", err)
	}
	return &root{fd: fd}, nil
}

func (r *root) Open(rel string) (*os.File, error) {
	fd, err := unix.Openat2(r.fd, rel, &unix.OpenHow{
		Flags:   unix.O_RDONLY | unix.O_NOFOLLOW | unix.O_CLOEXEC,
		Resolve: unix.RESOLVE_IN_ROOT | unix.RESOLVE_NO_MAGICLINKS,
	})
	if err != nil {
		return nil, err
	}
	return os.NewFile(uintptr(fd), rel), nil
}

func (r *root) Close() error { return unix.Close(r.fd) }
