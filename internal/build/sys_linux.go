//go:build linux

package build

import (
	"io/fs"
	"os"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// statIDs returns the owner and device number of fi.
func statIDs(fi fs.FileInfo) (uid, gid int, rdev uint64) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, 0, 1
	}
	return int(st.Uid), int(st.Gid), st.Rdev
}

// isOpaque reports whether the directory p is an opaque overlay directory.
func isOpaque(p string) bool {
	v := make([]byte, 2)
	n, err := unix.Lgetxattr(p, "trusted.overlay.opaque", v)
	return err == nil && n == 1 && v[0] == 'y'
}

// setMeta sets owner, mode (with its special bits) and times of p.
func setMeta(p string, mode fs.FileMode, uid, gid int, mtime time.Time) error {
	if err := os.Lchown(p, uid, gid); err != nil {
		return err
	}
	perm := uint32(mode.Perm())
	if mode&fs.ModeSetuid != 0 {
		perm |= unix.S_ISUID
	}
	if mode&fs.ModeSetgid != 0 {
		perm |= unix.S_ISGID
	}
	if mode&fs.ModeSticky != 0 {
		perm |= unix.S_ISVTX
	}
	if err := unix.Chmod(p, perm); err != nil {
		return err
	}
	ts := unix.NsecToTimespec(mtime.UnixNano())
	return unix.UtimesNanoAt(unix.AT_FDCWD, p, []unix.Timespec{ts, ts}, unix.AT_SYMLINK_NOFOLLOW)
}

func setSymlinkMeta(p string, uid, gid int, mtime time.Time) error {
	if err := unix.Lchown(p, uid, gid); err != nil {
		return err
	}
	ts := unix.NsecToTimespec(mtime.UnixNano())
	return unix.UtimesNanoAt(unix.AT_FDCWD, p, []unix.Timespec{ts, ts}, unix.AT_SYMLINK_NOFOLLOW)
}

// mknod makes a device node or FIFO of type ft.
func mknod(p string, ft fs.FileMode, rdev uint64) error {
	kind := uint32(unix.S_IFIFO)
	if ft&fs.ModeCharDevice != 0 {
		kind = unix.S_IFCHR
	} else if ft&fs.ModeDevice != 0 {
		kind = unix.S_IFBLK
	}
	return unix.Mknod(p, kind|0o600, int(rdev))
}

// readFile reads the regular file p (not through a symbolic link), handing
// its content to fn in pieces, and returns its length. It stops once it has
// read size bytes (what a listing said) and the next read would be the
// end: a plain open, read, close, without the runtime's poller, for the
// thousands of small files a COPY hashes.
func readFile(p string, size int64, buf []byte, fn func([]byte)) (int64, error) {
	fd, err := unix.Open(p, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return 0, &os.PathError{Op: "open", Path: p, Err: err}
	}
	defer unix.Close(fd)
	var total int64
	for {
		n, err := unix.Read(fd, buf)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return total, &os.PathError{Op: "read", Path: p, Err: err}
		}
		if n == 0 {
			return total, nil
		}
		fn(buf[:n])
		total += int64(n)
		if total == size && n < len(buf) {
			return total, nil
		}
	}
}

// copyRegular copies the regular file src to dst, a new file (mode 0600
// until its metadata is set).
func copyRegular(src, dst string, size int64, buf []byte) error {
	fd, err := unix.Open(dst, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return &os.PathError{Op: "create", Path: dst, Err: err}
	}
	var werr error
	_, rerr := readFile(src, size, buf, func(b []byte) {
		for len(b) > 0 && werr == nil {
			n, err := unix.Write(fd, b)
			if err == unix.EINTR {
				continue
			}
			if err != nil {
				werr = &os.PathError{Op: "write", Path: dst, Err: err}
				return
			}
			b = b[n:]
		}
	})
	cerr := unix.Close(fd)
	switch {
	case rerr != nil:
		return rerr
	case werr != nil:
		return werr
	case cerr != nil:
		return &os.PathError{Op: "close", Path: dst, Err: cerr}
	}
	return nil
}
