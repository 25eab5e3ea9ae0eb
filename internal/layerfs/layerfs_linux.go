package layerfs

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"slices"
	"sort"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// view is a stack of layer directories, top first.
type view struct {
	roots []int // O_PATH descriptors of the layer roots
}

func open(dirs []string) (*view, error) {
	v := &view{}
	for _, d := range dirs {
		fd, err := unix.Open(d, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
		if err != nil {
			v.close()
			return nil, fmt.Errorf("opening layer %s: %w", d, err)
		}
		v.roots = append(v.roots, fd)
	}
	return v, nil
}

func (v *view) close() {
	for _, fd := range v.roots {
		unix.Close(fd)
	}
}

// openDir opens rel ("" is the root) in layer i, never through a symlink.
func (v *view) openDir(i int, rel string) (int, error) {
	if rel == "" {
		rel = "."
	}
	return unix.Openat2(v.roots[i], rel, &unix.OpenHow{
		Flags:   unix.O_RDONLY | unix.O_DIRECTORY | unix.O_NOFOLLOW | unix.O_CLOEXEC,
		Resolve: unix.RESOLVE_BENEATH | unix.RESOLVE_NO_SYMLINKS | unix.RESOLVE_NO_MAGICLINKS,
	})
}

// node is a name as the merged view shows it: the top layer that has it.
type node struct {
	name  string
	layer int
	st    unix.Stat_t
	// dirs are the layers whose directory of this name merges into it,
	// top first (only for directories).
	dirs []int
}

func isWhiteout(st *unix.Stat_t) bool {
	return st.Mode&unix.S_IFMT == unix.S_IFCHR && st.Rdev == 0
}

func isDir(st *unix.Stat_t) bool { return st.Mode&unix.S_IFMT == unix.S_IFDIR }

func isOpaque(dirfd int, name string) bool {
	buf := make([]byte, 4)
	fd, err := unix.Openat(dirfd, name, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return false
	}
	defer unix.Close(fd)
	n, err := unix.Fgetxattr(fd, "trusted.overlay.opaque", buf)
	return err == nil && string(buf[:n]) == "y"
}

// list merges the directory rel of the layers dirs (top first): each name
// once, from its top layer, whiteouts dropped (when hide is true).
func (v *view) list(rel string, dirs []int, hide bool) ([]node, error) {
	type entry struct {
		st     unix.Stat_t
		opaque bool
	}
	per := make([]map[string]entry, len(dirs))
	names := map[string]bool{}
	for k, i := range dirs {
		fd, err := v.openDir(i, rel)
		if err != nil {
			if errors.Is(err, unix.ENOENT) || errors.Is(err, unix.ENOTDIR) || errors.Is(err, unix.ELOOP) {
				continue
			}
			return nil, fmt.Errorf("reading /%s: %w", rel, err)
		}
		f := os.NewFile(uintptr(fd), rel)
		ents, err := f.ReadDir(-1)
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("reading /%s: %w", rel, err)
		}
		per[k] = map[string]entry{}
		for _, de := range ents {
			var st unix.Stat_t
			if err := unix.Fstatat(fd, de.Name(), &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
				continue
			}
			per[k][de.Name()] = entry{st: st, opaque: isDir(&st) && isOpaque(fd, de.Name())}
			names[de.Name()] = true
		}
		f.Close()
	}
	var out []node
	for name := range names {
		n := node{name: name, layer: -1}
		for k, i := range dirs {
			e, ok := per[k][name]
			if !ok {
				continue
			}
			if n.layer < 0 {
				n.layer, n.st = i, e.st
				if !isDir(&e.st) {
					break
				}
				n.dirs = append(n.dirs, i)
				if e.opaque {
					break
				}
				continue
			}
			if !isDir(&e.st) || isWhiteout(&e.st) {
				break
			}
			n.dirs = append(n.dirs, i)
			if e.opaque {
				break
			}
		}
		if n.layer < 0 || hide && isWhiteout(&n.st) {
			continue
		}
		out = append(out, n)
	}
	sort.Slice(out, func(a, b int) bool { return out[a].name < out[b].name })
	return out, nil
}

// Export writes the merged file system of layers (top first) as a tar.
func Export(ctx context.Context, w io.Writer, layers []string) error {
	return ExportWith(ctx, w, layers, nil)
}

// ExportWith is Export with each header passed through owners (when not nil) with the index
// of the layer its entry comes from, to change its owners.
func ExportWith(ctx context.Context, w io.Writer, layers []string, owners func(layer int, h *tar.Header)) error {
	v, err := open(layers)
	if err != nil {
		return err
	}
	defer v.close()
	all := make([]int, len(layers))
	for i := range all {
		all[i] = i
	}
	ex := &exporter{ctx: ctx, v: v, tw: tar.NewWriter(w), links: map[[3]uint64]string{}, buf: make([]byte, 1<<20), owners: owners}
	if err := ex.dir("", all); err != nil {
		return err
	}
	return ex.tw.Close()
}

// ExportDir writes what the directory p holds in the merged file system of layers (top
// first) as a tar, names relative to p. It writes nothing when p is missing or not a
// directory (no component of p is followed through a symlink).
func ExportDir(ctx context.Context, w io.Writer, layers []string, p string) error {
	v, err := open(layers)
	if err != nil {
		return err
	}
	defer v.close()
	dirs := make([]int, len(layers))
	for i := range dirs {
		dirs[i] = i
	}
	rel := ""
	for _, name := range strings.Split(strings.Trim(path.Clean("/"+p), "/"), "/") {
		if name == "" {
			continue
		}
		nodes, err := v.list(rel, dirs, true)
		if err != nil {
			return err
		}
		i := slices.IndexFunc(nodes, func(n node) bool { return n.name == name })
		if i < 0 || !isDir(&nodes[i].st) {
			return tar.NewWriter(w).Close()
		}
		rel, dirs = path.Join(rel, name), nodes[i].dirs
	}
	ex := &exporter{ctx: ctx, v: v, tw: tar.NewWriter(w), links: map[[3]uint64]string{}, buf: make([]byte, 1<<20), strip: rel, xattrs: true}
	if err := ex.dir(rel, dirs); err != nil {
		return err
	}
	return ex.tw.Close()
}

type exporter struct {
	ctx   context.Context
	v     *view
	tw    *tar.Writer
	links map[[3]uint64]string // (layer, dev, ino) → first name
	buf   []byte
	strip string // the directory the names are relative to ("" for the root)
	// xattrs: files and directories carry their extended attributes (overlay's own left
	// out), as SCHILY.xattr PAX records.
	xattrs bool
	owners func(layer int, h *tar.Header) // nil: as on disk
}

// addXattrs records the extended attributes of name in dirfd (not followed) on hdr.
func addXattrs(hdr *tar.Header, dirfd int, name string) error {
	p := fmt.Sprintf("/proc/self/fd/%d/%s", dirfd, name)
	size, err := unix.Llistxattr(p, nil)
	if err != nil || size == 0 {
		if errors.Is(err, unix.ENOTSUP) {
			return nil
		}
		return err
	}
	list := make([]byte, size)
	if size, err = unix.Llistxattr(p, list); err != nil {
		return err
	}
	for _, k := range strings.Split(strings.TrimRight(string(list[:size]), "\x00"), "\x00") {
		if k == "" || strings.HasPrefix(k, "trusted.overlay.") {
			continue
		}
		n, err := unix.Lgetxattr(p, k, nil)
		if err != nil {
			continue // removed meanwhile
		}
		v := make([]byte, n)
		if n, err = unix.Lgetxattr(p, k, v); err != nil {
			continue
		}
		if hdr.PAXRecords == nil {
			hdr.PAXRecords = map[string]string{}
		}
		hdr.PAXRecords["SCHILY.xattr."+k] = string(v[:n])
	}
	return nil
}

func (ex *exporter) dir(rel string, dirs []int) error {
	if err := ex.ctx.Err(); err != nil {
		return err
	}
	nodes, err := ex.v.list(rel, dirs, true)
	if err != nil {
		return err
	}
	for _, n := range nodes {
		p := path.Join(rel, n.name)
		if err := ex.entry(rel, p, n); err != nil {
			return err
		}
		if isDir(&n.st) {
			if err := ex.dir(p, n.dirs); err != nil {
				return err
			}
		}
	}
	return nil
}

func (ex *exporter) entry(parent, p string, n node) error {
	st := &n.st
	name := p
	if ex.strip != "" {
		name = strings.TrimPrefix(p, ex.strip+"/")
	}
	hdr := &tar.Header{
		Name: name, Mode: int64(st.Mode & 0o7777), Uid: int(st.Uid), Gid: int(st.Gid),
		ModTime: time.Unix(st.Mtim.Sec, 0), Format: tar.FormatPAX,
	}
	if ex.owners != nil {
		ex.owners(n.layer, hdr)
	}
	dirfd, err := ex.v.openDir(n.layer, parent)
	if err != nil {
		return fmt.Errorf("reading /%s: %w", parent, err)
	}
	defer unix.Close(dirfd)
	if ex.xattrs && (isDir(st) || st.Mode&unix.S_IFMT == unix.S_IFREG) {
		if err := addXattrs(hdr, dirfd, n.name); err != nil {
			return fmt.Errorf("reading the xattrs of /%s: %w", p, err)
		}
	}
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFDIR:
		hdr.Typeflag, hdr.Name = tar.TypeDir, name+"/"
	case unix.S_IFLNK:
		buf := make([]byte, unix.PathMax)
		k, err := unix.Readlinkat(dirfd, n.name, buf)
		if err != nil {
			return fmt.Errorf("reading /%s: %w", p, err)
		}
		hdr.Typeflag, hdr.Linkname = tar.TypeSymlink, string(buf[:k])
	case unix.S_IFCHR, unix.S_IFBLK:
		hdr.Typeflag = tar.TypeChar
		if st.Mode&unix.S_IFMT == unix.S_IFBLK {
			hdr.Typeflag = tar.TypeBlock
		}
		hdr.Devmajor, hdr.Devminor = int64(unix.Major(st.Rdev)), int64(unix.Minor(st.Rdev))
	case unix.S_IFIFO:
		hdr.Typeflag = tar.TypeFifo
	case unix.S_IFREG:
		key := [3]uint64{uint64(n.layer), st.Dev, st.Ino}
		if first, ok := ex.links[key]; ok && st.Nlink > 1 {
			hdr.Typeflag, hdr.Linkname = tar.TypeLink, first
			return ex.tw.WriteHeader(hdr)
		}
		if st.Nlink > 1 {
			ex.links[key] = name
		}
		fd, err := unix.Openat(dirfd, n.name, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_CLOEXEC|unix.O_NONBLOCK, 0)
		if err != nil {
			return fmt.Errorf("reading /%s: %w", p, err)
		}
		f := os.NewFile(uintptr(fd), p)
		defer f.Close()
		var fst unix.Stat_t
		if err := unix.Fstat(fd, &fst); err != nil || fst.Mode&unix.S_IFMT != unix.S_IFREG {
			return fmt.Errorf("reading /%s: it changed while being read", p)
		}
		hdr.Typeflag, hdr.Size = tar.TypeReg, fst.Size
		if err := ex.tw.WriteHeader(hdr); err != nil {
			return err
		}
		// A file that grows meanwhile is cut at its size; one that shrinks fails.
		if _, err := io.CopyBuffer(ex.tw, io.LimitReader(f, fst.Size), ex.buf); err != nil {
			return fmt.Errorf("reading /%s: %w", p, err)
		}
		return nil
	default:
		return nil // sockets
	}
	return ex.tw.WriteHeader(hdr)
}

// Changes lists what upper changes over lowers (top first), sorted by path.
func Changes(upper string, lowers []string) ([]Change, error) {
	v, err := open(append([]string{upper}, lowers...))
	if err != nil {
		return nil, err
	}
	defer v.close()
	lowerDirs := make([]int, len(lowers))
	for i := range lowerDirs {
		lowerDirs[i] = i + 1
	}
	var out []Change
	var walk func(rel string, lower []int) error
	walk = func(rel string, lower []int) error {
		nodes, err := v.list(rel, []int{0}, false)
		if err != nil {
			return err
		}
		var below map[string]node
		if len(lower) > 0 {
			ln, err := v.list(rel, lower, true)
			if err != nil {
				return err
			}
			below = make(map[string]node, len(ln))
			for _, n := range ln {
				below[n.name] = n
			}
		}
		for _, n := range nodes {
			p := path.Join(rel, n.name)
			old, existed := below[n.name]
			switch {
			case isWhiteout(&n.st):
				if existed {
					out = append(out, Change{Deleted, "/" + p})
				}
				continue
			case existed:
				out = append(out, Change{Changed, "/" + p})
			default:
				out = append(out, Change{Added, "/" + p})
			}
			if isDir(&n.st) {
				var next []int
				if existed && isDir(&old.st) && !isOpaqueAt(v, rel, n.name) {
					next = old.dirs
				}
				if err := walk(p, next); err != nil {
					return err
				}
			}
		}
		return nil
	}
	if err := walk("", lowerDirs); err != nil {
		return nil, err
	}
	sort.Slice(out, func(a, b int) bool { return out[a].Path < out[b].Path })
	return out, nil
}

// isOpaqueAt reports whether the upper directory rel/name is opaque.
func isOpaqueAt(v *view, rel, name string) bool {
	fd, err := v.openDir(0, rel)
	if err != nil {
		return false
	}
	defer unix.Close(fd)
	return isOpaque(fd, name)
}
