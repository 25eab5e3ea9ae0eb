//go:build linux

package archive

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Apply unpacks the uncompressed tar stream r into dir (an existing, empty
// directory), converting whiteouts to overlayfs form (unless opts.Files),
// and then reads r to its end. It returns the total size of regular file
// content written. On error
// dir is left partly written; the caller removes it.
//
// r is read by a goroutine of Apply's own, which ends before Apply returns;
// a read of r that blocks forever blocks Apply too.
func Apply(ctx context.Context, dir string, r io.Reader, opts Options) (int64, error) {
	rootfd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return 0, fmt.Errorf("opening layer directory %s: %w", dir, err)
	}
	root, err := inspectDir(rootfd)
	if err != nil {
		unix.Close(rootfd)
		return 0, fmt.Errorf("opening layer directory %s: %w", dir, err)
	}
	u := &unpacker{
		ctx:    ctx,
		opts:   opts,
		root:   root,
		dirs:   make(map[string]dirRef),
		asRoot: unix.Geteuid() == 0,
		uid:    unix.Geteuid(),
		gid:    unix.Getegid(),
		umask:  currentUmask(),
	}
	defer u.close()
	if hasDefaultACL(rootfd) {
		u.umask = -1
	}
	er := newEntryReader(ctx, r, opts.maxSize())
	defer er.stop()
	u.free = er.free
	if err := u.unpack(er.batches); err != nil {
		return 0, err
	}
	return u.size, nil
}

// unpacker holds the state of one Apply.
type unpacker struct {
	ctx    context.Context
	opts   Options
	root   dirRef            // the layer directory
	dirs   map[string]dirRef // open directories by clean path relative to root
	stale  []int             // descriptors dropped from dirs, closed after the current entry
	dirMD  []dirMeta         // directory modes and times, applied at the end
	asRoot bool
	// New files belong to uid:gid, and get the mode they are created with
	// less umask; -1 when that is not known. Knowing both spares a chown
	// and a chmod for most files.
	uid, gid int
	umask    int
	free     chan<- []byte // where written content chunks go back to the reader
	size     int64         // regular file content written so far
}

// dirMeta is what is applied to a directory once all its children exist.
type dirMeta struct {
	path  string
	mode  uint32
	times [2]unix.Timespec
}

func (u *unpacker) unpack(batches <-chan []layerEntry) error {
	count := 0
	for batch := range batches {
		for i := range batch {
			e := &batch[i]
			if e.err != nil {
				return e.err
			}
			if err := u.ctx.Err(); err != nil {
				return fmt.Errorf("applying layer: %w", err)
			}
			count++
			if count > u.opts.maxEntries() {
				return fmt.Errorf("layer entry %q: %w (%d entries)", e.hdr.Name, errTooManyFiles, u.opts.maxEntries())
			}
			if err := u.entry(e); err != nil {
				// Whatever is left of the stream is not read: stop ends
				// the reader.
				return fmt.Errorf("layer entry %q: %w", e.hdr.Name, err)
			}
			e.discard(u.free) // content an entry did not use
			u.closeStale()
		}
	}
	if err := u.finishDirs(); err != nil {
		return fmt.Errorf("applying layer: %w", err)
	}
	return nil
}

// entry writes one tar entry below the root.
func (u *unpacker) entry(e *layerEntry) error {
	hdr := e.hdr
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
	kind, hidden := notWhiteout, ""
	if !u.opts.Files {
		if inAufsMetaDir(parent) {
			return nil
		}
		kind, hidden, err = classifyWhiteout(base)
		if err != nil || kind == whiteoutMeta {
			return err
		}
	}

	p, err := u.dir(parent, true)
	if err != nil {
		return fmt.Errorf("opening parent directory: %w", err)
	}
	switch kind {
	case whiteoutDir:
		return u.opaque(p)
	case whiteoutFile:
		return u.whiteout(p, hidden, hdr)
	}
	switch hdr.Typeflag {
	case tar.TypeReg, tar.TypeGNUSparse, tar.TypeCont:
		return u.file(p, base, e)
	case tar.TypeDir:
		return u.mkdir(p, rel, base, hdr)
	case tar.TypeSymlink:
		return u.symlink(p, base, hdr)
	case tar.TypeLink:
		return u.hardlink(p, rel, base, hdr)
	case tar.TypeChar, tar.TypeBlock, tar.TypeFifo:
		return u.node(p, base, hdr)
	default:
		return fmt.Errorf("unsupported entry type %q", hdr.Typeflag)
	}
}

func (u *unpacker) file(p dirRef, base string, e *layerEntry) error {
	hdr := e.hdr
	if hdr.Size > u.opts.maxSize()-u.size {
		return fmt.Errorf("%w (%d bytes)", errTooLarge, u.opts.maxSize())
	}
	perm := mode(hdr)
	var fd int
	err := u.create(p, base, func() (err error) {
		fd, err = unix.Openat(p.fd, base, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, perm&0o777)
		return err
	})
	if err != nil {
		return fmt.Errorf("creating file: %w", err)
	}
	defer unix.Close(fd)

	if hdr.Size > 0 {
		n, err := e.writeBody(u.ctx, fdWriter(fd), u.free)
		u.size += n
		if err != nil {
			return fmt.Errorf("writing file: %w", err)
		}
	}
	// Order matters: writing and chown clear setuid bits and file
	// capabilities, so the mode and xattrs come after them.
	if err := u.chown(p, hdr, func(uid, gid int) error { return unix.Fchown(fd, uid, gid) }); err != nil {
		return err
	}
	if !u.createdWith(perm) {
		if err := unix.Fchmod(fd, perm); err != nil {
			return fmt.Errorf("setting mode: %w", err)
		}
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

func (u *unpacker) mkdir(p dirRef, rel, base string, hdr *tar.Header) error {
	// Created owner-only; the final mode is set in finishDirs.
	created := true
	err := unix.Mkdirat(p.fd, base, 0o700)
	if errors.Is(err, unix.EEXIST) {
		var st unix.Stat_t
		if err := unix.Fstatat(p.fd, base, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
			return fmt.Errorf("inspecting existing entry: %w", err)
		}
		if st.Mode&unix.S_IFMT == unix.S_IFDIR {
			// An existing directory stays; its metadata is updated.
			created, err = false, nil
		} else {
			if err := u.remove(p, base); err != nil {
				return err
			}
			err = unix.Mkdirat(p.fd, base, 0o700)
		}
	}
	if err != nil {
		return fmt.Errorf("creating directory: %w", err)
	}
	fd, err := unix.Openat(p.fd, base, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("opening directory: %w", err)
	}
	// A new directory is setgid exactly when its parent is.
	d := dirRef{fd: fd, setgid: p.setgid}
	if !created {
		if d, err = inspectDir(fd); err != nil {
			unix.Close(fd)
			return fmt.Errorf("opening directory: %w", err)
		}
	}
	// The descriptor serves the directory's children as their parent.
	u.remember(rel, d)
	if created {
		err = u.chown(p, hdr, func(uid, gid int) error { return unix.Fchown(fd, uid, gid) })
	} else {
		err = u.chownExisting(fd, hdr)
	}
	if err != nil {
		return err
	}
	return u.dirAttrs(d, rel, hdr)
}

// rootDir applies a directory entry for the layer root ("./").
func (u *unpacker) rootDir(hdr *tar.Header) error {
	if err := u.chownExisting(u.root.fd, hdr); err != nil {
		return err
	}
	return u.dirAttrs(u.root, "", hdr)
}

// dirAttrs applies a directory entry's xattrs and notes its mode and times
// for finishDirs.
func (u *unpacker) dirAttrs(d dirRef, rel string, hdr *tar.Header) error {
	if err := u.setXattrs(hdr, func(k string, v []byte) error { return unix.Fsetxattr(d.fd, k, v, 0) }); err != nil {
		return err
	}
	u.dirMD = append(u.dirMD, dirMeta{path: rel, mode: mode(hdr), times: times(hdr)})
	return nil
}

func (u *unpacker) symlink(p dirRef, base string, hdr *tar.Header) error {
	err := u.create(p, base, func() error { return unix.Symlinkat(hdr.Linkname, p.fd, base) })
	if err != nil {
		return fmt.Errorf("creating symbolic link: %w", err)
	}
	return u.pathAttrs(p, base, hdr, false)
}

func (u *unpacker) node(p dirRef, base string, hdr *tar.Header) error {
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
	err := u.create(p, base, func() error { return unix.Mknodat(p.fd, base, typ|mode(hdr), dev) })
	if errors.Is(err, unix.EPERM) && typ != unix.S_IFIFO {
		return fmt.Errorf("creating a %s %w: %w", what, errNeedsRoot, err)
	}
	if err != nil {
		return fmt.Errorf("creating %s: %w", what, err)
	}
	return u.pathAttrs(p, base, hdr, true)
}

func (u *unpacker) hardlink(p dirRef, rel, base string, hdr *tar.Header) error {
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
	tfd := u.root.fd
	if tparent != "" {
		// The target must be reached without any symbolic link, so that
		// it names the entry the layer wrote at that path.
		tfd, err = unix.Openat2(u.root.fd, tparent, &unix.OpenHow{
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
	err = u.create(p, base, func() error { return unix.Linkat(tfd, tbase, p.fd, base, 0) })
	if err != nil {
		return fmt.Errorf("creating hard link to %q: %w", hdr.Linkname, err)
	}
	return nil
}

func (u *unpacker) whiteout(p dirRef, name string, hdr *tar.Header) error {
	err := u.create(p, name, func() error { return unix.Mknodat(p.fd, name, unix.S_IFCHR, 0) })
	if errors.Is(err, unix.EPERM) {
		return fmt.Errorf("creating a whiteout %w: %w", errNeedsRoot, err)
	}
	if err != nil {
		return fmt.Errorf("creating whiteout: %w", err)
	}
	return u.chown(p, hdr, func(uid, gid int) error {
		return unix.Fchownat(p.fd, name, uid, gid, unix.AT_SYMLINK_NOFOLLOW)
	})
}

func (u *unpacker) opaque(d dirRef) error {
	err := unix.Fsetxattr(d.fd, opaqueXattr, []byte("y"), 0)
	if errors.Is(err, unix.EPERM) {
		return fmt.Errorf("marking a directory opaque %w: %w", errNeedsRoot, err)
	}
	if err != nil {
		return fmt.Errorf("marking directory opaque: %w", err)
	}
	return nil
}

// pathAttrs applies owner, mode, xattrs and times to base in p without
// following it if it is a symbolic link.
func (u *unpacker) pathAttrs(p dirRef, base string, hdr *tar.Header, chmod bool) error {
	err := u.chown(p, hdr, func(uid, gid int) error {
		return unix.Fchownat(p.fd, base, uid, gid, unix.AT_SYMLINK_NOFOLLOW)
	})
	if err != nil {
		return err
	}
	if chmod {
		// base was just created by this process as a device node or
		// FIFO, so fchmodat, which follows symbolic links, meets none.
		if err := unix.Fchmodat(p.fd, base, mode(hdr), 0); err != nil {
			return fmt.Errorf("setting mode: %w", err)
		}
	}
	err = u.setXattrs(hdr, func(k string, v []byte) error {
		return unix.Lsetxattr("/proc/self/fd/"+strconv.Itoa(p.fd)+"/"+base, k, v, 0)
	})
	if err != nil {
		return err
	}
	ts := times(hdr)
	if err := unix.UtimesNanoAt(p.fd, base, ts[:], unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return fmt.Errorf("setting times: %w", err)
	}
	return nil
}

// chown sets the owner of an entry just created in directory p, when
// running as root and the entry did not get that owner on creation.
// Without root the files keep the caller's owner.
func (u *unpacker) chown(p dirRef, hdr *tar.Header, set func(uid, gid int) error) error {
	if !u.asRoot || (hdr.Uid == u.uid && hdr.Gid == u.gid && !p.setgid) {
		return nil
	}
	if err := set(hdr.Uid, hdr.Gid); err != nil {
		return fmt.Errorf("setting owner %d:%d: %w", hdr.Uid, hdr.Gid, err)
	}
	return nil
}

// chownExisting sets the owner of a directory that was there before its
// entry, when running as root.
func (u *unpacker) chownExisting(fd int, hdr *tar.Header) error {
	if !u.asRoot {
		return nil
	}
	if err := unix.Fchown(fd, hdr.Uid, hdr.Gid); err != nil {
		return fmt.Errorf("setting owner %d:%d: %w", hdr.Uid, hdr.Gid, err)
	}
	return nil
}

// createdWith reports whether a file created with perm&0777 has mode perm:
// the umask removed nothing and perm has no setuid, setgid or sticky bit.
func (u *unpacker) createdWith(perm uint32) bool {
	return u.umask >= 0 && perm&^0o777 == 0 && perm&uint32(u.umask) == 0
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
		if k == defaultACLXattr {
			// Files created below take their mode from the ACL, not
			// from the umask.
			u.umask = -1
		}
	}
	return nil
}

// create runs op, which creates base in p and fails with EEXIST if
// something is already there. In that case the existing entry is removed
// (a later tar entry replaces an earlier one) and op runs once more.
func (u *unpacker) create(p dirRef, base string, op func() error) error {
	err := op()
	if !errors.Is(err, unix.EEXIST) {
		return err
	}
	if err := u.remove(p, base); err != nil {
		return err
	}
	return op()
}

const defaultACLXattr = "system.posix_acl_default"

// currentUmask returns the process's umask, read from /proc (reading it
// with umask(2) would change it for a moment), or -1.
func currentUmask() int {
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return -1
	}
	for line := range bytes.Lines(status) {
		if v, ok := bytes.CutPrefix(line, []byte("Umask:")); ok {
			m, err := strconv.ParseUint(string(bytes.TrimSpace(v)), 8, 32)
			if err != nil {
				return -1
			}
			return int(m)
		}
	}
	return -1
}

// hasDefaultACL reports whether the directory fd has a default ACL (or
// whether that cannot be told), in which case new files do not get their
// mode from the umask.
func hasDefaultACL(fd int) bool {
	_, err := unix.Fgetxattr(fd, defaultACLXattr, nil)
	return !errors.Is(err, unix.ENODATA) && !errors.Is(err, unix.EOPNOTSUPP)
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
