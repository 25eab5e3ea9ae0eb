//go:build linux

package build

import (
	"io/fs"
	"os"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

const oNoFollow = unix.O_NOFOLLOW

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
