//go:build linux

package archive

import (
	"errors"
	"fmt"
	"io"
	"os"

	"golang.org/x/sys/unix"
)

// maxCachedDirs bounds the directory descriptors kept open; a variable so
// that tests can make it small.
var maxCachedDirs = 1024

// dirRef is an open directory of the layer.
type dirRef struct {
	fd     int
	setgid bool // entries created in it take its group, not the creator's
}

// dir returns the directory at rel, resolving symbolic links as if the
// layer root were "/". With create, missing directories are created (mode
// 0755), as tar does for entries whose parents are not in the archive. The
// descriptor belongs to the cache.
func (u *unpacker) dir(rel string, create bool) (dirRef, error) {
	if rel == "" {
		return u.root, nil
	}
	if d, ok := u.dirs[rel]; ok {
		return d, nil
	}
	fd, err := openInRoot(u.root.fd, rel)
	if errors.Is(err, unix.ENOENT) && create {
		if err := u.mkdirMissing(rel); err != nil {
			return dirRef{}, err
		}
		fd, err = openInRoot(u.root.fd, rel)
	}
	if err != nil {
		return dirRef{}, fmt.Errorf("opening directory %q: %w", rel, err)
	}
	d, err := inspectDir(fd)
	if err != nil {
		unix.Close(fd)
		return dirRef{}, fmt.Errorf("opening directory %q: %w", rel, err)
	}
	u.remember(rel, d)
	return d, nil
}

// mkdirMissing creates the directory rel, which does not exist, and any
// missing parents.
func (u *unpacker) mkdirMissing(rel string) error {
	parent, base := splitPath(rel)
	p, err := u.dir(parent, true)
	if err != nil {
		return err
	}
	// EEXIST: base is a symbolic link to a missing directory; opening rel
	// again reports that.
	if err := unix.Mkdirat(p.fd, base, 0o755); err != nil && !errors.Is(err, unix.EEXIST) {
		return fmt.Errorf("creating directory %q: %w", rel, err)
	}
	return nil
}

// openInRoot opens the directory rel below root, with root acting as "/"
// for every symbolic link on the way.
//
// The kernel fails such an open with EAGAIN when a rename or mount anywhere
// on the host raced with the resolution of a ".." (met in a symbolic link's
// target), and tells the caller to retry: it does, a bounded number of
// times, as filepath-securejoin does.
func openInRoot(root int, rel string) (int, error) {
	how := &unix.OpenHow{
		Flags:   unix.O_RDONLY | unix.O_DIRECTORY | unix.O_CLOEXEC,
		Resolve: unix.RESOLVE_IN_ROOT | unix.RESOLVE_NO_MAGICLINKS,
	}
	for range openInRootTries - 1 {
		fd, err := unix.Openat2(root, rel, how)
		if !errors.Is(err, unix.EAGAIN) {
			return fd, err
		}
	}
	return unix.Openat2(root, rel, how)
}

const openInRootTries = 128

func inspectDir(fd int) (dirRef, error) {
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return dirRef{}, err
	}
	return dirRef{fd: fd, setgid: st.Mode&unix.S_ISGID != 0}, nil
}

// remember caches d as the directory at rel.
func (u *unpacker) remember(rel string, d dirRef) {
	if old, ok := u.dirs[rel]; ok {
		u.stale = append(u.stale, old.fd)
	} else if len(u.dirs) >= maxCachedDirs {
		u.flush()
	}
	u.dirs[rel] = d
}

// flush empties the directory cache. The descriptors stay open until the
// current entry is done, since the caller may still hold one.
func (u *unpacker) flush() {
	for rel, d := range u.dirs {
		u.stale = append(u.stale, d.fd)
		delete(u.dirs, rel)
	}
}

func (u *unpacker) closeStale() {
	for _, fd := range u.stale {
		unix.Close(fd)
	}
	u.stale = u.stale[:0]
}

func (u *unpacker) close() {
	u.flush()
	u.closeStale()
	unix.Close(u.root.fd)
}

// remove deletes base from p, a whole tree if it is a directory, never
// following a symbolic link.
func (u *unpacker) remove(p dirRef, base string) error {
	var st unix.Stat_t
	if err := unix.Fstatat(p.fd, base, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		if errors.Is(err, unix.ENOENT) {
			return nil
		}
		return fmt.Errorf("inspecting existing entry: %w", err)
	}
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFDIR, unix.S_IFLNK:
		// Cached paths may resolve through what is removed.
		u.flush()
	}
	if err := removeAllAt(p.fd, base); err != nil {
		return fmt.Errorf("replacing existing entry: %w", err)
	}
	return nil
}

// removeAllAt removes name from dirfd and, if it is a directory, all it
// contains. Descriptors are opened with O_NOFOLLOW, so a symbolic link is
// removed, never followed.
func removeAllAt(dirfd int, name string) error {
	err := unix.Unlinkat(dirfd, name, 0)
	if err == nil || errors.Is(err, unix.ENOENT) {
		return nil
	}
	if !errors.Is(err, unix.EISDIR) {
		return err
	}
	fd, err := unix.Openat(dirfd, name, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	d := os.NewFile(uintptr(fd), name)
	defer d.Close()
	for {
		names, err := d.Readdirnames(1024)
		for _, n := range names {
			if err := removeAllAt(fd, n); err != nil {
				return err
			}
		}
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
	}
	return unix.Unlinkat(dirfd, name, unix.AT_REMOVEDIR)
}

// finishDirs sets directory modes and times, now that nothing more is
// written into them. A directory that a later entry replaced is skipped.
func (u *unpacker) finishDirs() error {
	for _, d := range u.dirMD {
		if err := u.ctx.Err(); err != nil {
			return err
		}
		if err := u.finishDir(d); err != nil {
			return fmt.Errorf("directory %q: %w", "/"+d.path, err)
		}
		u.closeStale()
	}
	return nil
}

func (u *unpacker) finishDir(d dirMeta) error {
	fd := u.root.fd
	if d.path != "" {
		parent, base := splitPath(d.path)
		p, err := u.dir(parent, false)
		if gone(err) {
			return nil
		}
		if err != nil {
			return err
		}
		fd, err = unix.Openat(p.fd, base, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		if gone(err) {
			return nil
		}
		if err != nil {
			return err
		}
		defer unix.Close(fd)
	}
	if err := unix.Fchmod(fd, d.mode); err != nil {
		return fmt.Errorf("setting mode: %w", err)
	}
	if err := futimens(fd, &d.times); err != nil {
		return fmt.Errorf("setting times: %w", err)
	}
	return nil
}

// gone reports whether err says that a path is no longer a directory.
func gone(err error) bool {
	return errors.Is(err, unix.ENOENT) || errors.Is(err, unix.ENOTDIR) || errors.Is(err, unix.ELOOP)
}
