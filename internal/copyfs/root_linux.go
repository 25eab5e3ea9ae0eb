package copyfs

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"time"

	"golang.org/x/sys/unix"

	"github.com/geedocker/geedocker/internal/archive"
)

// Root is a directory every path of a copy is resolved in.
type Root struct{ fd int }

// OpenRoot opens dir as a root ("/" for the host, /proc/PID/root or a
// mounted root file system for a container).
func OpenRoot(dir string) (*Root, error) {
	fd, err := unix.Open(dir, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	return &Root{fd: fd}, nil
}

// Close releases the root.
func (r *Root) Close() error { return unix.Close(r.fd) }

// resolve opens p inside the root as an O_PATH descriptor; follow says
// whether a final symbolic link is followed (every other one is, inside
// the root).
func (r *Root) resolve(p string, follow bool) (int, error) {
	flags := uint64(unix.O_PATH | unix.O_CLOEXEC)
	if !follow {
		flags |= unix.O_NOFOLLOW
	}
	if p == "" {
		p = "/"
	}
	for {
		fd, err := unix.Openat2(r.fd, p, &unix.OpenHow{Flags: flags, Resolve: unix.RESOLVE_IN_ROOT | unix.RESOLVE_NO_MAGICLINKS})
		if errors.Is(err, unix.EAGAIN) || errors.Is(err, unix.EINTR) {
			continue
		}
		return fd, err
	}
}

// Stat says whether p exists in the root and is a directory (a final link
// is followed when follow is set).
func (r *Root) Stat(p string, follow bool) (Endpoint, error) {
	e := Endpoint{Path: p}
	fd, err := r.resolve(p, follow)
	if errors.Is(err, unix.ENOENT) {
		return e, nil
	}
	if errors.Is(err, unix.ENOTDIR) { // "file/": Plan says what is wrong
		e.Exists = true
		return e, nil
	}
	if err != nil {
		return e, err
	}
	defer unix.Close(fd)
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return e, err
	}
	e.Exists, e.IsDir = true, st.Mode&unix.S_IFMT == unix.S_IFDIR
	return e, nil
}

// Archive writes p as a tar to w: as name (a file, or a directory and what
// it holds), or, when name is "", only what the directory holds. Owners
// are kept when keepOwner is set, else they are root's.
func (r *Root) Archive(ctx context.Context, w io.Writer, p string, follow bool, name string, keepOwner bool) error {
	fd, err := r.resolve(p, follow)
	if err != nil {
		return fmt.Errorf("%s: %w", p, err)
	}
	defer unix.Close(fd)
	a := &archiver{ctx: ctx, tw: tar.NewWriter(w), keepOwner: keepOwner, links: map[[2]uint64]string{}, buf: make([]byte, 1<<20)}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return err
	}
	if st.Mode&unix.S_IFMT == unix.S_IFDIR {
		dfd, err := unix.Openat(fd, ".", unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
		if err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
		if name != "" {
			if err := a.header(name, &st, -1, ""); err != nil {
				unix.Close(dfd)
				return err
			}
		}
		err = a.dir(dfd, name)
		unix.Close(dfd)
		if err != nil {
			return err
		}
	} else if err := a.entry(fd, "", name, &st); err != nil {
		return err
	}
	return a.tw.Close()
}

type archiver struct {
	ctx       context.Context
	tw        *tar.Writer
	keepOwner bool
	links     map[[2]uint64]string
	buf       []byte
}

// dir writes what the open directory dfd holds, under prefix.
func (a *archiver) dir(dfd int, prefix string) error {
	if err := a.ctx.Err(); err != nil {
		return err
	}
	// A duplicate to read the names with: dfd stays the caller's.
	dup, err := unix.Dup(dfd)
	if err != nil {
		return err
	}
	f := os.NewFile(uintptr(dup), prefix)
	names, err := f.Readdirnames(-1)
	f.Close()
	if err != nil {
		return fmt.Errorf("reading %s: %w", prefix, err)
	}
	sort.Strings(names)
	for _, n := range names {
		var st unix.Stat_t
		if err := unix.Fstatat(dfd, n, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
			continue // removed meanwhile
		}
		if err := a.entry(dfd, n, join(prefix, n), &st); err != nil {
			return err
		}
	}
	return nil
}

// join names an entry of the directory prefix; a prefix of "." stays, as
// Docker's archives of "DIR/." have it ("./name").
func join(prefix, name string) string {
	if prefix == "" {
		return name
	}
	return prefix + "/" + name
}

// entry writes one entry: base names it in the directory dfd, or is "" when
// dfd is the (O_PATH) entry itself.
func (a *archiver) entry(dfd int, base, name string, st *unix.Stat_t) error {
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFDIR:
		if err := a.header(name, st, -1, ""); err != nil {
			return err
		}
		sub, err := unix.Openat(dfd, base, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		if err != nil {
			return fmt.Errorf("reading %s: %w", name, err)
		}
		defer unix.Close(sub)
		return a.dir(sub, name)
	case unix.S_IFLNK:
		buf := make([]byte, unix.PathMax)
		n, err := unix.Readlinkat(dfd, base, buf)
		if err != nil {
			return fmt.Errorf("reading %s: %w", name, err)
		}
		return a.header(name, st, -1, string(buf[:n]))
	case unix.S_IFREG:
		key := [2]uint64{st.Dev, st.Ino}
		if first, ok := a.links[key]; ok && st.Nlink > 1 {
			return a.tw.WriteHeader(&tar.Header{Typeflag: tar.TypeLink, Name: name, Linkname: first, Format: tar.FormatPAX})
		}
		var fd int
		var err error
		if base == "" {
			fd, err = unix.Open(fmt.Sprintf("/proc/self/fd/%d", dfd), unix.O_RDONLY|unix.O_CLOEXEC|unix.O_NONBLOCK, 0)
		} else {
			fd, err = unix.Openat(dfd, base, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_CLOEXEC|unix.O_NONBLOCK, 0)
		}
		if err != nil {
			return fmt.Errorf("reading %s: %w", name, err)
		}
		f := os.NewFile(uintptr(fd), name)
		defer f.Close()
		var fst unix.Stat_t
		if err := unix.Fstat(fd, &fst); err != nil || fst.Mode&unix.S_IFMT != unix.S_IFREG {
			return fmt.Errorf("reading %s: it changed while being copied", name)
		}
		if st.Nlink > 1 {
			a.links[key] = name
		}
		if err := a.header(name, &fst, fst.Size, ""); err != nil {
			return err
		}
		if _, err := io.CopyBuffer(a.tw, io.LimitReader(f, fst.Size), a.buf); err != nil {
			return fmt.Errorf("reading %s: %w", name, err)
		}
		return nil
	default:
		return a.header(name, st, -1, "")
	}
}

func (a *archiver) header(name string, st *unix.Stat_t, size int64, link string) error {
	h := &tar.Header{Name: name, Mode: int64(st.Mode & 0o7777), ModTime: time.Unix(st.Mtim.Sec, st.Mtim.Nsec), Format: tar.FormatPAX}
	if a.keepOwner {
		h.Uid, h.Gid = int(st.Uid), int(st.Gid)
	}
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFDIR:
		h.Typeflag, h.Name = tar.TypeDir, name+"/"
	case unix.S_IFLNK:
		h.Typeflag, h.Linkname = tar.TypeSymlink, link
	case unix.S_IFREG:
		h.Typeflag, h.Size = tar.TypeReg, size
	case unix.S_IFCHR:
		h.Typeflag = tar.TypeChar
	case unix.S_IFBLK:
		h.Typeflag = tar.TypeBlock
	case unix.S_IFIFO:
		h.Typeflag = tar.TypeFifo
	default:
		return nil // sockets are not copied
	}
	if h.Typeflag == tar.TypeChar || h.Typeflag == tar.TypeBlock {
		h.Devmajor, h.Devminor = int64(unix.Major(st.Rdev)), int64(unix.Minor(st.Rdev))
	}
	return a.tw.WriteHeader(h)
}

// Extract unpacks the tar stream r into the directory dir of the root,
// every entry confined to dir.
func (r *Root) Extract(ctx context.Context, dir string, tr io.Reader) error {
	fd, err := r.resolve(dir, true)
	if errors.Is(err, unix.ENOENT) {
		return fmt.Errorf("%s: %w", dir, ErrNoDestDir)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", dir, err)
	}
	defer unix.Close(fd)
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return err
	}
	if st.Mode&unix.S_IFMT != unix.S_IFDIR {
		return fmt.Errorf("%s: %w", dir, ErrNotDir)
	}
	_, err = archive.Apply(ctx, fmt.Sprintf("/proc/self/fd/%d", fd), tr, archive.Options{Files: true})
	return err
}
