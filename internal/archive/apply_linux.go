//go:build linux

package archive

import (
	"archive/tar"
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"sync"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

const (
	copyBufSize = 1 << 20
	readBufSize = 1 << 20
)

// maxCachedDirs bounds the directory descriptors kept open; a variable so
// that tests can make it small.
var maxCachedDirs = 1024

var copyBufPool = sync.Pool{New: func() any {
	b := make([]byte, copyBufSize)
	return &b
}}

// Apply unpacks the uncompressed tar stream r into dir (an existing, empty
// directory), converting whiteouts to overlayfs form, and then reads r to its
// end. It returns the total size of regular file content written. On error
// dir is left partly written; the caller removes it.
func Apply(ctx context.Context, dir string, r io.Reader, opts Options) (int64, error) {
	rootfd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return 0, fmt.Errorf("opening layer directory %s: %w", dir, err)
	}
	bufp := copyBufPool.Get().(*[]byte)
	defer copyBufPool.Put(bufp)

	u := &unpacker{
		opts:   opts,
		root:   rootfd,
		dirs:   make(map[string]int),
		asRoot: unix.Geteuid() == 0,
		buf:    *bufp,
	}
	defer u.close()

	in := bufio.NewReaderSize(ctxReader{ctx: ctx, r: r}, readBufSize)
	if err := u.unpack(ctx, tar.NewReader(in)); err != nil {
		return 0, err
	}
	// Consume what follows the end-of-archive marker (tar's record
	// padding) so that a caller hashing the stream sees all of it.
	n, err := io.CopyBuffer(io.Discard, io.LimitReader(in, u.opts.maxSize()+1), u.buf)
	if err != nil {
		return 0, fmt.Errorf("reading the end of the layer: %w", err)
	}
	if n > u.opts.maxSize() {
		return 0, fmt.Errorf("data after the end of the layer archive: %w (%d bytes)", errTooLarge, u.opts.maxSize())
	}
	return u.size, nil
}

// unpacker holds the state of one Apply.
type unpacker struct {
	opts   Options
	root   int            // descriptor of the layer directory
	dirs   map[string]int // directory descriptors by clean path relative to root
	stale  []int          // descriptors dropped from dirs, closed after the current entry
	dirMD  []dirMeta      // directory modes and times, applied at the end
	asRoot bool
	buf    []byte
	size   int64 // regular file content written so far
}

// dirMeta is what is applied to a directory once all its children exist.
type dirMeta struct {
	path  string
	mode  uint32
	times [2]unix.Timespec
}

func (u *unpacker) unpack(ctx context.Context, tr *tar.Reader) error {
	entries := 0
	last := ""
	for {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("applying layer: %w", err)
		}
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		// ErrInsecurePath (GODEBUG=tarinsecurepath=0) only reports a name
		// that this package checks and confines itself.
		if err != nil && !errors.Is(err, tar.ErrInsecurePath) {
			if last == "" {
				return fmt.Errorf("reading layer: %w", err)
			}
			return fmt.Errorf("reading layer after entry %q: %w", last, err)
		}
		last = hdr.Name
		entries++
		if entries > u.opts.maxEntries() {
			return fmt.Errorf("layer entry %q: %w (%d entries)", hdr.Name, errTooManyFiles, u.opts.maxEntries())
		}
		if err := u.entry(hdr, tr); err != nil {
			return fmt.Errorf("layer entry %q: %w", hdr.Name, err)
		}
		u.closeStale()
	}
	if err := u.finishDirs(ctx); err != nil {
		return fmt.Errorf("applying layer: %w", err)
	}
	return nil
}

// entry writes one tar entry below the root.
func (u *unpacker) entry(hdr *tar.Header, content io.Reader) error {
	if hdr.Typeflag == tar.TypeXGlobalHeader {
		return nil
	}
	rel, err := cleanName(hdr.Name)
	if err != nil {
		return err
	}
	if rel == "" {
		if hdr.Typeflag != tar.TypeDir {
			return errReplaceRoot
		}
		return u.rootDir(hdr)
	}
	parent, base := splitPath(rel)

	kind, hidden, err := classifyWhiteout(base)
	if err != nil {
		return err
	}
	switch kind {
	case whiteoutMeta:
		return nil
	case whiteoutDir:
		return u.opaque(parent)
	case whiteoutFile:
		return u.whiteout(parent, hidden, hdr)
	}

	pfd, err := u.dir(parent, true)
	if err != nil {
		return fmt.Errorf("opening parent directory: %w", err)
	}
	switch hdr.Typeflag {
	case tar.TypeReg, tar.TypeGNUSparse, tar.TypeCont:
		return u.file(pfd, base, hdr, content)
	case tar.TypeDir:
		return u.mkdir(pfd, rel, base, hdr)
	case tar.TypeSymlink:
		return u.symlink(pfd, base, hdr)
	case tar.TypeLink:
		return u.hardlink(pfd, rel, base, hdr)
	case tar.TypeChar, tar.TypeBlock, tar.TypeFifo:
		return u.node(pfd, base, hdr)
	default:
		return fmt.Errorf("unsupported entry type %q", hdr.Typeflag)
	}
}

func (u *unpacker) file(pfd int, base string, hdr *tar.Header, content io.Reader) error {
	if hdr.Size > u.opts.maxSize()-u.size {
		return fmt.Errorf("%w (%d bytes)", errTooLarge, u.opts.maxSize())
	}
	var fd int
	err := u.create(pfd, base, func() (err error) {
		fd, err = unix.Openat(pfd, base, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o600)
		return err
	})
	if err != nil {
		return fmt.Errorf("creating file: %w", err)
	}
	defer unix.Close(fd)

	if hdr.Size > 0 {
		n, err := io.CopyBuffer(fdWriter(fd), content, u.buf)
		u.size += n
		if err != nil {
			return fmt.Errorf("writing file: %w", err)
		}
	}
	// Order matters: writing and chown clear setuid bits and file
	// capabilities, so the mode and xattrs come after them.
	if err := u.chown(func(uid, gid int) error { return unix.Fchown(fd, uid, gid) }, hdr); err != nil {
		return err
	}
	if err := unix.Fchmod(fd, mode(hdr)); err != nil {
		return fmt.Errorf("setting mode: %w", err)
	}
	if err := u.setXattrs(hdr, func(k string, v []byte) error { return unix.Fsetxattr(fd, k, v, 0) }); err != nil {
		return err
	}
	ts := times(hdr)
	if err := futimens(fd, &ts); err != nil {
		return fmt.Errorf("setting times: %w", err)
	}
	return nil
}

func (u *unpacker) mkdir(pfd int, rel, base string, hdr *tar.Header) error {
	// Created owner-only; the final mode is set in finishDirs.
	err := unix.Mkdirat(pfd, base, 0o700)
	if errors.Is(err, unix.EEXIST) {
		var st unix.Stat_t
		if err := unix.Fstatat(pfd, base, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
			return fmt.Errorf("inspecting existing entry: %w", err)
		}
		if st.Mode&unix.S_IFMT == unix.S_IFDIR {
			err = nil // an existing directory stays; its metadata is updated
		} else {
			if err := u.remove(pfd, base); err != nil {
				return err
			}
			err = unix.Mkdirat(pfd, base, 0o700)
		}
	}
	if err != nil {
		return fmt.Errorf("creating directory: %w", err)
	}
	fd, err := unix.Openat(pfd, base, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("opening directory: %w", err)
	}
	// The descriptor serves the directory's children as their parent.
	u.remember(rel, fd)
	return u.dirAttrs(fd, rel, hdr)
}

// rootDir applies a directory entry for the layer root ("./").
func (u *unpacker) rootDir(hdr *tar.Header) error {
	return u.dirAttrs(u.root, "", hdr)
}

func (u *unpacker) dirAttrs(fd int, rel string, hdr *tar.Header) error {
	if err := u.chown(func(uid, gid int) error { return unix.Fchown(fd, uid, gid) }, hdr); err != nil {
		return err
	}
	if err := u.setXattrs(hdr, func(k string, v []byte) error { return unix.Fsetxattr(fd, k, v, 0) }); err != nil {
		return err
	}
	u.dirMD = append(u.dirMD, dirMeta{path: rel, mode: mode(hdr), times: times(hdr)})
	return nil
}

func (u *unpacker) symlink(pfd int, base string, hdr *tar.Header) error {
	err := u.create(pfd, base, func() error { return unix.Symlinkat(hdr.Linkname, pfd, base) })
	if err != nil {
		return fmt.Errorf("creating symbolic link: %w", err)
	}
	return u.pathAttrs(pfd, base, hdr, false)
}

func (u *unpacker) node(pfd int, base string, hdr *tar.Header) error {
	var typ uint32
	what := "device node"
	switch hdr.Typeflag {
	case tar.TypeChar:
		typ = unix.S_IFCHR
	case tar.TypeBlock:
		typ = unix.S_IFBLK
	default:
		typ, what = unix.S_IFIFO, "FIFO"
	}
	if hdr.Devmajor < 0 || hdr.Devmajor > 0xfff || hdr.Devminor < 0 || hdr.Devminor > 0xfffff {
		return fmt.Errorf("invalid device number %d:%d", hdr.Devmajor, hdr.Devminor)
	}
	dev := int(unix.Mkdev(uint32(hdr.Devmajor), uint32(hdr.Devminor)))
	err := u.create(pfd, base, func() error { return unix.Mknodat(pfd, base, typ|mode(hdr), dev) })
	if errors.Is(err, unix.EPERM) && typ != unix.S_IFIFO {
		return fmt.Errorf("creating a %s %w: %w", what, errNeedsRoot, err)
	}
	if err != nil {
		return fmt.Errorf("creating %s: %w", what, err)
	}
	return u.pathAttrs(pfd, base, hdr, true)
}

func (u *unpacker) hardlink(pfd int, rel, base string, hdr *tar.Header) error {
	target, err := cleanName(hdr.Linkname)
	if err != nil {
		return fmt.Errorf("hard link target %q: %w", hdr.Linkname, err)
	}
	if target == "" {
		return errLinkToRoot
	}
	if target == rel {
		return nil // a link to itself: nothing to do
	}
	tparent, tbase := splitPath(target)
	tfd := u.root
	if tparent != "" {
		// The target must be reached without any symbolic link, so that
		// it names the entry the layer wrote at that path.
		tfd, err = unix.Openat2(u.root, tparent, &unix.OpenHow{
			Flags:   unix.O_PATH | unix.O_DIRECTORY | unix.O_CLOEXEC,
			Resolve: unix.RESOLVE_BENEATH | unix.RESOLVE_NO_SYMLINKS | unix.RESOLVE_NO_MAGICLINKS,
		})
		switch {
		case errors.Is(err, unix.ELOOP):
			return fmt.Errorf("%q: %w", hdr.Linkname, errLinkSymlink)
		case errors.Is(err, unix.EXDEV):
			return fmt.Errorf("hard link target %q: %w", hdr.Linkname, errEscape)
		case err != nil:
			return fmt.Errorf("hard link target %q: %w", hdr.Linkname, err)
		}
		defer unix.Close(tfd)
	}
	// linkat without AT_SYMLINK_FOLLOW links a symbolic link itself,
	// never what it points to.
	err = u.create(pfd, base, func() error { return unix.Linkat(tfd, tbase, pfd, base, 0) })
	if err != nil {
		return fmt.Errorf("creating hard link to %q: %w", hdr.Linkname, err)
	}
	return nil
}

func (u *unpacker) whiteout(parent, name string, hdr *tar.Header) error {
	pfd, err := u.dir(parent, true)
	if err != nil {
		return fmt.Errorf("opening parent directory: %w", err)
	}
	err = u.create(pfd, name, func() error { return unix.Mknodat(pfd, name, unix.S_IFCHR, 0) })
	if errors.Is(err, unix.EPERM) {
		return fmt.Errorf("creating a whiteout %w: %w", errNeedsRoot, err)
	}
	if err != nil {
		return fmt.Errorf("creating whiteout: %w", err)
	}
	return u.chown(func(uid, gid int) error {
		return unix.Fchownat(pfd, name, uid, gid, unix.AT_SYMLINK_NOFOLLOW)
	}, hdr)
}

func (u *unpacker) opaque(parent string) error {
	pfd, err := u.dir(parent, true)
	if err != nil {
		return fmt.Errorf("opening directory: %w", err)
	}
	err = unix.Fsetxattr(pfd, opaqueXattr, []byte("y"), 0)
	if errors.Is(err, unix.EPERM) {
		return fmt.Errorf("marking a directory opaque %w: %w", errNeedsRoot, err)
	}
	if err != nil {
		return fmt.Errorf("marking directory opaque: %w", err)
	}
	return nil
}

// pathAttrs applies owner, mode, xattrs and times to base in pfd without
// following it if it is a symbolic link.
func (u *unpacker) pathAttrs(pfd int, base string, hdr *tar.Header, chmod bool) error {
	err := u.chown(func(uid, gid int) error {
		return unix.Fchownat(pfd, base, uid, gid, unix.AT_SYMLINK_NOFOLLOW)
	}, hdr)
	if err != nil {
		return err
	}
	if chmod {
		// base was just created by this process as a device node or
		// FIFO, so fchmodat, which follows symbolic links, meets none.
		if err := unix.Fchmodat(pfd, base, mode(hdr), 0); err != nil {
			return fmt.Errorf("setting mode: %w", err)
		}
	}
	err = u.setXattrs(hdr, func(k string, v []byte) error {
		return unix.Lsetxattr("/proc/self/fd/"+strconv.Itoa(pfd)+"/"+base, k, v, 0)
	})
	if err != nil {
		return err
	}
	ts := times(hdr)
	if err := unix.UtimesNanoAt(pfd, base, ts[:], unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return fmt.Errorf("setting times: %w", err)
	}
	return nil
}

// chown sets the entry's owner when running as root; without root the
// files keep the caller's owner.
func (u *unpacker) chown(set func(uid, gid int) error, hdr *tar.Header) error {
	if !u.asRoot {
		return nil
	}
	if err := set(hdr.Uid, hdr.Gid); err != nil {
		return fmt.Errorf("setting owner %d:%d: %w", hdr.Uid, hdr.Gid, err)
	}
	return nil
}

// setXattrs applies the entry's extended attributes. Without root, those
// the kernel refuses (trusted.*, security.*) are skipped.
func (u *unpacker) setXattrs(hdr *tar.Header, set func(name string, value []byte) error) error {
	for k, v := range layerXattrs(hdr.PAXRecords) {
		err := set(k, []byte(v))
		if err != nil && !u.asRoot && errors.Is(err, unix.EPERM) {
			continue
		}
		if err != nil {
			return fmt.Errorf("setting xattr %s: %w", k, err)
		}
	}
	return nil
}

// create runs op, which creates base in pfd and fails with EEXIST if
// something is already there. In that case the existing entry is removed
// (a later tar entry replaces an earlier one) and op runs once more.
func (u *unpacker) create(pfd int, base string, op func() error) error {
	err := op()
	if !errors.Is(err, unix.EEXIST) {
		return err
	}
	if err := u.remove(pfd, base); err != nil {
		return err
	}
	return op()
}

// remove deletes base from pfd, a whole tree if it is a directory, never
// following a symbolic link.
func (u *unpacker) remove(pfd int, base string) error {
	var st unix.Stat_t
	if err := unix.Fstatat(pfd, base, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
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
	if err := removeAllAt(pfd, base); err != nil {
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

// dir returns a descriptor of the directory at rel, resolving symbolic
// links as if the layer root were "/". With create, missing directories
// are created (mode 0755), as tar does for entries whose parents are not
// in the archive. The descriptor belongs to the cache.
func (u *unpacker) dir(rel string, create bool) (int, error) {
	if rel == "" {
		return u.root, nil
	}
	if fd, ok := u.dirs[rel]; ok {
		return fd, nil
	}
	fd, err := openInRoot(u.root, rel)
	if errors.Is(err, unix.ENOENT) && create {
		if err := u.mkdirMissing(rel); err != nil {
			return -1, err
		}
		fd, err = openInRoot(u.root, rel)
	}
	if err != nil {
		return -1, fmt.Errorf("opening directory %q: %w", rel, err)
	}
	u.remember(rel, fd)
	return fd, nil
}

// mkdirMissing creates the directory rel, which does not exist, and any
// missing parents.
func (u *unpacker) mkdirMissing(rel string) error {
	parent, base := splitPath(rel)
	pfd, err := u.dir(parent, true)
	if err != nil {
		return err
	}
	// EEXIST: base is a symbolic link to a missing directory; opening rel
	// again reports that.
	if err := unix.Mkdirat(pfd, base, 0o755); err != nil && !errors.Is(err, unix.EEXIST) {
		return fmt.Errorf("creating directory %q: %w", rel, err)
	}
	return nil
}

// openInRoot opens the directory rel below root, with root acting as "/"
// for every symbolic link on the way.
func openInRoot(root int, rel string) (int, error) {
	return unix.Openat2(root, rel, &unix.OpenHow{
		Flags:   unix.O_RDONLY | unix.O_DIRECTORY | unix.O_CLOEXEC,
		Resolve: unix.RESOLVE_IN_ROOT | unix.RESOLVE_NO_MAGICLINKS,
	})
}

// remember caches fd as the directory at rel.
func (u *unpacker) remember(rel string, fd int) {
	if old, ok := u.dirs[rel]; ok {
		u.stale = append(u.stale, old)
	} else if len(u.dirs) >= maxCachedDirs {
		u.flush()
	}
	u.dirs[rel] = fd
}

// flush empties the directory cache. The descriptors stay open until the
// current entry is done, since the caller may still hold one.
func (u *unpacker) flush() {
	for rel, fd := range u.dirs {
		u.stale = append(u.stale, fd)
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
	unix.Close(u.root)
}

// finishDirs sets directory modes and times, now that nothing more is
// written into them. A directory that a later entry replaced is skipped.
func (u *unpacker) finishDirs(ctx context.Context) error {
	for _, d := range u.dirMD {
		if err := ctx.Err(); err != nil {
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
	fd := u.root
	if d.path != "" {
		parent, base := splitPath(d.path)
		pfd, err := u.dir(parent, false)
		if gone(err) {
			return nil
		}
		if err != nil {
			return err
		}
		fd, err = unix.Openat(pfd, base, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
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

// mode returns the permission bits of an entry, setuid, setgid and sticky
// included.
func mode(hdr *tar.Header) uint32 {
	return uint32(hdr.Mode) & 0o7777
}

// times returns an entry's access and modification times; a missing
// access time is taken to be the modification time.
func times(hdr *tar.Header) [2]unix.Timespec {
	atime := hdr.AccessTime
	if atime.IsZero() {
		atime = hdr.ModTime
	}
	return [2]unix.Timespec{timespec(atime), timespec(hdr.ModTime)}
}

func timespec(t time.Time) unix.Timespec {
	return unix.Timespec{Sec: t.Unix(), Nsec: int64(t.Nanosecond())}
}

// futimens sets the times of an open file: utimensat with a NULL path.
func futimens(fd int, ts *[2]unix.Timespec) error {
	_, _, errno := unix.Syscall6(unix.SYS_UTIMENSAT, uintptr(fd), 0, uintptr(unsafe.Pointer(ts)), 0, 0, 0)
	if errno != 0 {
		return errno
	}
	return nil
}

// fdWriter writes to a raw file descriptor.
type fdWriter int

func (w fdWriter) Write(p []byte) (int, error) {
	written := 0
	for written < len(p) {
		n, err := unix.Write(int(w), p[written:])
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return written, err
		}
		written += n
	}
	return written, nil
}

// ctxReader stops reading once ctx is done, so that cancellation also
// interrupts a large file.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
