package build

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Owner is a numeric user and group.
type Owner struct{ UID, GID int }

// Copier writes COPY and ADD sources into Dst, the directory of a new layer
// (empty at first, written only by the Copier), on top of the image whose
// layers are Below. Paths in the image are resolved through the image's
// symbolic links, so that a COPY to /var/run/x lands where /var/run points.
type Copier struct {
	Dst       string
	Below     []string     // the image's layer directories, top first
	Owner     *Owner       // --chown; nil: root
	KeepOwner bool         // the sources' own owners (an archive's entries)
	Mode      *fs.FileMode // --chmod
	buf       []byte
}

// merged is the image as the Copier has changed it so far.
func (c *Copier) merged() *LayerTree {
	return &LayerTree{Layers: append([]string{c.Dst}, c.Below...)}
}

// DestIsDir reports whether dest, a path in the image, is a directory
// there (after following symbolic links).
func (c *Copier) DestIsDir(dest string) bool {
	t := c.merged()
	r, err := resolvePath(t, dest, true)
	if err != nil {
		return false
	}
	fi, _, err := t.lstat(r)
	return err == nil && fi.IsDir()
}

// Copy copies src, an entry of t, to dest, a path in the image, as Docker
// does: a directory's contents go into dest; a file goes into dest when
// destDir (dest ends in "/", several sources) or dest is a directory, and
// becomes dest otherwise.
func (c *Copier) Copy(t Tree, src Entry, dest string, destDir bool) error {
	destRel := cleanRel(dest)
	if src.Info.IsDir() {
		target, err := c.ensureDir(destRel)
		if err != nil {
			return err
		}
		return Walk(t, src, func(rel string, e Entry) error {
			if rel == "" {
				return nil
			}
			return c.write(e, path.Join(target, rel))
		})
	}
	if destDir || c.DestIsDir(destRel) {
		target, err := c.ensureDir(destRel)
		if err != nil {
			return err
		}
		return c.write(src, path.Join(target, path.Base(src.Rel)))
	}
	parent, err := c.ensureDir(path.Dir(destRel))
	if err != nil {
		return err
	}
	return c.write(src, path.Join(parent, path.Base(destRel)))
}

// ensureDir makes the directory rel of the image exist in Dst, following
// the image's symbolic links, and returns its resolved path. Directories
// the image already has are recreated with their mode, owner and times;
// new ones are root's, 0755.
func (c *Copier) ensureDir(rel string) (string, error) {
	t := c.merged()
	r, err := resolvePath(t, rel, true)
	if err != nil {
		return "", err
	}
	cur := ""
	for _, part := range strings.Split(r, "/") {
		if part == "" {
			continue
		}
		cur = path.Join(cur, part)
		p := filepath.Join(c.Dst, cur)
		fi, err := os.Lstat(p)
		if err == nil {
			if fi.IsDir() {
				continue
			}
			return "", fmt.Errorf("cannot copy to %s: %s is not a directory", "/"+rel, "/"+cur)
		}
		below := &LayerTree{Layers: c.Below}
		mode, uid, gid, mtime := fs.FileMode(0o755), 0, 0, time.Now()
		if bi, _, err := below.lstat(cur); err == nil {
			if !bi.IsDir() {
				return "", fmt.Errorf("cannot copy to %s: %s is not a directory", "/"+rel, "/"+cur)
			}
			u, g, _ := statIDs(bi)
			mode, uid, gid, mtime = bi.Mode(), u, g, bi.ModTime()
		}
		if err := os.Mkdir(p, 0o700); err != nil {
			return "", err
		}
		if err := setMeta(p, mode, uid, gid, mtime); err != nil {
			return "", err
		}
	}
	return r, nil
}

// write makes target (a path in Dst whose parent exists there) a copy of e.
func (c *Copier) write(e Entry, target string) error {
	p := filepath.Join(c.Dst, filepath.FromSlash(target))
	if err := c.checkParents(target); err != nil {
		return err
	}
	suid, sgid, rdev := statIDs(e.Info)
	uid, gid := 0, 0
	switch {
	case c.Owner != nil:
		uid, gid = c.Owner.UID, c.Owner.GID
	case c.KeepOwner:
		uid, gid = suid, sgid
	}
	mode := e.Info.Mode()
	if c.Mode != nil && mode&fs.ModeSymlink == 0 {
		mode = mode&^(fs.ModePerm|fs.ModeSetuid|fs.ModeSetgid|fs.ModeSticky) | *c.Mode
	}
	if old, err := os.Lstat(p); err == nil {
		if old.IsDir() && e.Info.IsDir() {
			return setMeta(p, mode, uid, gid, e.Info.ModTime())
		}
		if err := os.RemoveAll(p); err != nil {
			return err
		}
	}
	switch ft := e.Info.Mode().Type(); {
	case ft == fs.ModeDir:
		if err := os.Mkdir(p, 0o700); err != nil {
			return err
		}
	case ft == 0:
		if err := c.copyFile(e.Host, p, e.Info.Size()); err != nil {
			return err
		}
	case ft == fs.ModeSymlink:
		target, err := os.Readlink(e.Host)
		if err != nil {
			return err
		}
		if err := os.Symlink(target, p); err != nil {
			return err
		}
		return setSymlinkMeta(p, uid, gid, e.Info.ModTime())
	case ft&(fs.ModeDevice|fs.ModeNamedPipe) != 0:
		if err := mknod(p, ft, rdev); err != nil {
			return err
		}
	default:
		return nil // sockets are not copied
	}
	return setMeta(p, mode, uid, gid, e.Info.ModTime())
}

// checkParents refuses a target whose parents in Dst are not all real
// directories: nothing is ever written through a symbolic link.
func (c *Copier) checkParents(target string) error {
	cur := c.Dst
	parts := strings.Split(target, "/")
	for _, part := range parts[:len(parts)-1] {
		cur = filepath.Join(cur, part)
		fi, err := os.Lstat(cur)
		if err != nil {
			return err
		}
		if !fi.IsDir() {
			return fmt.Errorf("cannot copy to /%s: a parent is not a directory", target)
		}
	}
	return nil
}

func (c *Copier) copyFile(src, dst string, size int64) error {
	if c.buf == nil {
		c.buf = make([]byte, 256<<10)
	}
	return copyRegular(src, dst, size, c.buf)
}

// HashSources digests what COPY or ADD would copy from t: every path below
// each source, its type, permissions, link target and content. Owners and
// times are left out, so that a fresh checkout of the same files hits the
// cache.
func HashSources(t Tree, srcs []Entry) (string, error) {
	h := sha256.New()
	buf := make([]byte, 64<<10)
	for _, s := range srcs {
		fmt.Fprintf(h, "source %s\x00", s.Rel)
		err := Walk(t, s, func(rel string, e Entry) error {
			fmt.Fprintf(h, "%s\x00%o\x00", rel, uint32(e.Info.Mode()))
			switch e.Info.Mode().Type() {
			case fs.ModeSymlink:
				target, err := os.Readlink(e.Host)
				if err != nil {
					return err
				}
				fmt.Fprintf(h, "%s\x00", target)
			case 0:
				if err := hashFile(h, e.Host, e.Info.Size(), buf); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return "", err
		}
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil)), nil
}

// hashFile adds the content of the regular file p, of size bytes when it
// was listed, to h.
func hashFile(h hash.Hash, p string, size int64, buf []byte) error {
	n, err := readFile(p, size, buf, func(b []byte) { h.Write(b) })
	fmt.Fprintf(h, "\x00%d\x00", n)
	return err
}

// ParseChmod reads --chmod: octal permission bits.
func ParseChmod(s string) (*fs.FileMode, error) {
	if s == "" {
		return nil, nil
	}
	v, err := strconv.ParseUint(s, 8, 32)
	if err != nil || v > 0o7777 {
		return nil, fmt.Errorf("invalid --chmod %q: an octal mode is expected", s)
	}
	m := fs.FileMode(v & 0o777)
	if v&0o4000 != 0 {
		m |= fs.ModeSetuid
	}
	if v&0o2000 != 0 {
		m |= fs.ModeSetgid
	}
	if v&0o1000 != 0 {
		m |= fs.ModeSticky
	}
	return &m, nil
}

// ParseChown reads --chown user[:group], names looked up in the image's
// /etc/passwd and /etc/group (in t). A user without a group gets the
// user's primary group for a name, the same number for a number.
func ParseChown(t Tree, s string) (*Owner, error) {
	if s == "" {
		return nil, nil
	}
	user, group, hasGroup := strings.Cut(s, ":")
	o := &Owner{}
	var primary int = -1
	if n, err := strconv.Atoi(user); err == nil {
		o.UID, primary = n, n
	} else {
		uid, gid, ok := lookupDB(t, "etc/passwd", user)
		if !ok {
			return nil, fmt.Errorf("unable to convert uid/gid chown string to host mapping: can't find uid for user %s: no such user: %s", user, user)
		}
		o.UID, primary = uid, gid
	}
	switch {
	case !hasGroup:
		o.GID = primary
	default:
		if n, err := strconv.Atoi(group); err == nil {
			o.GID = n
		} else {
			gid, _, ok := lookupDB(t, "etc/group", group)
			if !ok {
				return nil, fmt.Errorf("unable to convert uid/gid chown string to host mapping: can't find gid for group %s: no such group: %s", group, group)
			}
			o.GID = gid
		}
	}
	return o, nil
}

// lookupDB finds name in a passwd or group file of t and returns its third
// and fourth fields as numbers.
func lookupDB(t Tree, file, name string) (int, int, bool) {
	e, err := Resolve(t, file)
	if err != nil || e.Info.Mode().Type() != 0 {
		return 0, 0, false
	}
	// Read line by line: an image's file may be huge, and only one line is wanted.
	fh, err := os.Open(e.Host)
	if err != nil {
		return 0, 0, false
	}
	defer fh.Close()
	sc := bufio.NewScanner(fh)
	for sc.Scan() {
		f := strings.Split(sc.Text(), ":")
		if len(f) < 3 || f[0] != name {
			continue
		}
		id, err := strconv.Atoi(f[2])
		if err != nil {
			return 0, 0, false
		}
		second := id
		if len(f) > 3 {
			if n, err := strconv.Atoi(f[3]); err == nil {
				second = n
			}
		}
		return id, second, true
	}
	return 0, 0, false
}

// IsNotExist reports whether err says a source is missing.
func IsNotExist(err error) bool { return errors.Is(err, fs.ErrNotExist) }

// Exists reports whether rel is a path of the image (Below, and Dst when
// set), not following a final symbolic link.
func (c *Copier) Exists(rel string) bool {
	t := &LayerTree{Layers: c.Below}
	if c.Dst != "" {
		t = c.merged()
	}
	_, err := Resolve(t, rel)
	return err == nil
}

// MakeDir makes the directory rel (and its parents) in Dst, as WORKDIR
// does when the image lacks it.
func (c *Copier) MakeDir(rel string) error {
	_, err := c.ensureDir(cleanRel(rel))
	return err
}
