//go:build linux

// Diff: the one function that turns an overlay upper directory into a layer.
//
//	func Diff(ctx context.Context, upperDir string, w io.Writer) error
//
// It writes an uncompressed tar stream; callers hash it (diff ID), compress
// it or unpack it as they need. Used by `build` (RUN steps) and meant for
// `commit` as well: keep one home for this knowledge.

package archive

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// Overlay xattrs that mean the upper directory does not hold the whole
// change; a layer cannot be made from it.
var (
	redirectXattr = overlayXattrPrefix + "redirect"
	metacopyXattr = overlayXattrPrefix + "metacopy"
)

var errOverlayFeature = errors.New("the upper directory uses an overlay feature a layer cannot express (redirect_dir or metacopy)")

// Diff writes the content of upperDir, the upper directory of an overlay
// mount, to w as an uncompressed layer tar stream in the OCI form:
//
//   - a character device 0/0 (an overlay whiteout) becomes an empty regular
//     file ".wh.NAME";
//   - a directory with trusted.overlay.opaque=y is followed by an empty
//     ".wh..wh..opq" entry inside it;
//   - other trusted.overlay.* xattrs are dropped, the rest are kept as PAX
//     records (SCHILY.xattr.*);
//   - files sharing an inode become hard links to the first one written.
//
// Entries come in a stable order (depth first, names sorted bytewise), with
// modification times truncated to the second and no access or change
// times, user or group names, so that the same tree always gives the same
// bytes. upperDir itself is not an entry. A directory renamed from a lower
// layer (redirect_dir) or a file whose data stayed below (metacopy) is
// refused.
func Diff(ctx context.Context, upperDir string, w io.Writer) error {
	rootFd, err := unix.Open(upperDir, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("reading %s: %w", upperDir, err)
	}
	defer unix.Close(rootFd)
	d := &differ{ctx: ctx, root: upperDir, rootFd: rootFd, tw: tar.NewWriter(w), links: map[inode]string{}}
	if err := d.dir(""); err != nil {
		return err
	}
	if err := d.tw.Close(); err != nil {
		return fmt.Errorf("writing layer: %w", err)
	}
	return nil
}

type inode struct{ dev, ino uint64 }

type differ struct {
	ctx    context.Context
	root   string
	rootFd int // root, open: what is read is opened below it, never through a symlink
	tw     *tar.Writer
	links  map[inode]string // first name written of each multiply linked file
	buf    []byte
}

// dir writes the entries below rel ("" for the root), sorted.
func (d *differ) dir(rel string) error {
	f, err := d.open(rel, unix.O_RDONLY|unix.O_DIRECTORY)
	if err != nil {
		return fmt.Errorf("reading %s: %w", filepath.Join(d.root, rel), err)
	}
	names, err := f.Readdirnames(-1)
	f.Close()
	if err != nil {
		return fmt.Errorf("reading %s: %w", filepath.Join(d.root, rel), err)
	}
	sort.Strings(names)
	for _, name := range names {
		if err := d.ctx.Err(); err != nil {
			return err
		}
		if err := d.entry(path.Join(rel, name)); err != nil {
			return err
		}
	}
	return nil
}

// entry writes one path (relative to the root) and, for a directory, its
// children.
func (d *differ) entry(rel string) error {
	full := filepath.Join(d.root, rel)
	var st unix.Stat_t
	if err := unix.Lstat(full, &st); err != nil {
		return fmt.Errorf("reading %s: %w", full, err)
	}
	xattrs, err := listXattrs(full)
	if err != nil {
		return fmt.Errorf("reading the xattrs of %s: %w", full, err)
	}
	if _, ok := xattrs[redirectXattr]; ok {
		return fmt.Errorf("%s: %w", full, errOverlayFeature)
	}
	if _, ok := xattrs[metacopyXattr]; ok {
		return fmt.Errorf("%s: %w", full, errOverlayFeature)
	}
	hdr := &tar.Header{
		Name:    rel,
		Mode:    int64(st.Mode & 0o7777),
		Uid:     int(st.Uid),
		Gid:     int(st.Gid),
		ModTime: time.Unix(st.Mtim.Sec, 0),
		Format:  tar.FormatPAX,
	}
	for k, v := range xattrs {
		if strings.HasPrefix(k, overlayXattrPrefix) {
			continue
		}
		if hdr.PAXRecords == nil {
			hdr.PAXRecords = map[string]string{}
		}
		hdr.PAXRecords[paxXattrPrefix+k] = v
	}
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFDIR:
		hdr.Typeflag, hdr.Name = tar.TypeDir, rel+"/"
		if err := d.write(hdr, ""); err != nil {
			return err
		}
		if xattrs[opaqueXattr] == "y" {
			wh := &tar.Header{Name: path.Join(rel, whiteoutOpaque), Typeflag: tar.TypeReg, Mode: 0o600,
				Uid: hdr.Uid, Gid: hdr.Gid, ModTime: hdr.ModTime, Format: tar.FormatPAX}
			if err := d.write(wh, ""); err != nil {
				return err
			}
		}
		return d.dir(rel)
	case unix.S_IFCHR:
		if st.Rdev == 0 {
			parent, base := splitPath(rel)
			hdr.Name = path.Join(parent, whiteoutPrefix+base)
			hdr.Typeflag, hdr.Mode, hdr.PAXRecords = tar.TypeReg, 0o600, nil
			return d.write(hdr, "")
		}
		hdr.Typeflag = tar.TypeChar
		hdr.Devmajor, hdr.Devminor = int64(unix.Major(st.Rdev)), int64(unix.Minor(st.Rdev))
		return d.write(hdr, "")
	case unix.S_IFBLK:
		hdr.Typeflag = tar.TypeBlock
		hdr.Devmajor, hdr.Devminor = int64(unix.Major(st.Rdev)), int64(unix.Minor(st.Rdev))
		return d.write(hdr, "")
	case unix.S_IFIFO:
		hdr.Typeflag = tar.TypeFifo
		return d.write(hdr, "")
	case unix.S_IFLNK:
		target, err := os.Readlink(full)
		if err != nil {
			return fmt.Errorf("reading %s: %w", full, err)
		}
		hdr.Typeflag, hdr.Linkname = tar.TypeSymlink, target
		return d.write(hdr, "")
	case unix.S_IFREG:
		if st.Nlink > 1 {
			key := inode{uint64(st.Dev), st.Ino}
			if first, ok := d.links[key]; ok {
				hdr.Typeflag, hdr.Linkname = tar.TypeLink, first
				return d.write(hdr, "")
			}
			d.links[key] = rel
		}
		hdr.Typeflag, hdr.Size = tar.TypeReg, st.Size
		return d.write(hdr, rel)
	case unix.S_IFSOCK:
		return nil // sockets are not carried by layers
	}
	return fmt.Errorf("%s: unknown file type %#o", full, st.Mode&unix.S_IFMT)
}

// open opens rel inside the root: a directory of a running container's layer swapped for a
// symlink meanwhile makes it fail, never read a file outside.
func (d *differ) open(rel string, flags uint64) (*os.File, error) {
	if rel == "" {
		rel = "."
	}
	fd, err := unix.Openat2(d.rootFd, rel, &unix.OpenHow{
		Flags:   flags | unix.O_CLOEXEC | unix.O_NOFOLLOW,
		Resolve: unix.RESOLVE_IN_ROOT | unix.RESOLVE_NO_SYMLINKS | unix.RESOLVE_NO_MAGICLINKS,
	})
	if err != nil {
		return nil, err
	}
	return os.NewFile(uintptr(fd), filepath.Join(d.root, rel)), nil
}

// write writes hdr and, for a regular file, the content of src (relative to the root).
func (d *differ) write(hdr *tar.Header, src string) error {
	if err := d.tw.WriteHeader(hdr); err != nil {
		return fmt.Errorf("writing layer entry %s: %w", hdr.Name, err)
	}
	if src == "" || hdr.Size == 0 {
		return nil
	}
	f, err := d.open(src, unix.O_RDONLY)
	if err != nil {
		return fmt.Errorf("reading %s: %w", filepath.Join(d.root, src), err)
	}
	defer f.Close()
	if d.buf == nil {
		d.buf = make([]byte, 256<<10)
	}
	n, err := io.CopyBuffer(d.tw, io.LimitReader(f, hdr.Size), d.buf)
	if err != nil {
		return fmt.Errorf("writing layer entry %s: %w", hdr.Name, err)
	}
	if n != hdr.Size {
		return fmt.Errorf("writing layer entry %s: the file changed size while read", hdr.Name)
	}
	return nil
}

// listXattrs returns the extended attributes of p (not following a
// symbolic link).
func listXattrs(p string) (map[string]string, error) {
	sz, err := unix.Llistxattr(p, nil)
	if errors.Is(err, unix.ENOTSUP) || sz == 0 {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	buf := make([]byte, sz)
	sz, err = unix.Llistxattr(p, buf)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, name := range strings.Split(string(buf[:sz]), "\x00") {
		if name == "" {
			continue
		}
		vsz, err := unix.Lgetxattr(p, name, nil)
		if errors.Is(err, unix.ENODATA) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		v := make([]byte, vsz)
		vsz, err = unix.Lgetxattr(p, name, v)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		out[name] = string(v[:vsz])
	}
	return out, nil
}
