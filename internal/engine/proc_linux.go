package engine

import (
	"errors"
	"fmt"
	"io"
	"os"

	"golang.org/x/sys/unix"

	"github.com/geedocker/geedocker/internal/container"
	"github.com/geedocker/geedocker/internal/runtime"
)

// UserNames maps the host uids of a running container's processes to the
// names its own /etc/passwd gives them (through its user namespace, if it
// has one). The file is opened below the container's root
// (RESOLVE_IN_ROOT), so a symlink in the image cannot point at the host's.
func (e *Engine) UserNames(c *container.Container) (map[uint32]string, error) {
	proc := fmt.Sprintf("/proc/%d", c.State.Pid)
	root, err := unix.Open(proc+"/root", unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("opening the root of %s: %w", c.Name, err)
	}
	defer unix.Close(root)
	f, err := openRegularInRoot(root, "etc/passwd")
	if err != nil {
		return nil, fmt.Errorf("opening /etc/passwd of %s: %w", c.Name, err)
	}
	defer f.Close()
	names, err := runtime.UserNames(io.LimitReader(f, 16<<20))
	if err != nil {
		return nil, err
	}
	// The container's uids seen from the host.
	uidMap, err := os.ReadFile(proc + "/uid_map")
	if err != nil {
		return nil, err
	}
	host := map[uint32]string{}
	for uid, name := range names {
		if h, ok := hostID(string(uidMap), uid); ok {
			host[h] = name
		}
	}
	return host, nil
}

// openRegularInRoot opens the regular file p below the directory root (RESOLVE_IN_ROOT). A
// running container can put a FIFO or a device there: the open does not wait for a writer
// (O_NONBLOCK) and anything but a regular file is refused, so that nothing hangs on it.
func openRegularInRoot(root int, p string) (*os.File, error) {
	fd, err := unix.Openat2(root, p, &unix.OpenHow{
		Flags:   unix.O_RDONLY | unix.O_CLOEXEC | unix.O_NONBLOCK | unix.O_NOCTTY,
		Resolve: unix.RESOLVE_IN_ROOT | unix.RESOLVE_NO_MAGICLINKS,
	})
	if err != nil {
		return nil, err
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		unix.Close(fd)
		return nil, err
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG {
		unix.Close(fd)
		return nil, errors.New("not a regular file")
	}
	return os.NewFile(uintptr(fd), p), nil
}
