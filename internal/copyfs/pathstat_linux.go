package copyfs

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// PathStat stats p in the root without following a final symbolic link;
// exists is false when there is nothing at p.
func (r *Root) PathStat(p string) (st PathStat, exists bool, err error) {
	fd, err := r.resolve(p, false)
	if errors.Is(err, unix.ENOENT) || errors.Is(err, unix.ENOTDIR) {
		return st, false, nil
	}
	if err != nil {
		return st, false, fmt.Errorf("%s: %w", p, err)
	}
	defer unix.Close(fd)
	var s unix.Stat_t
	if err := unix.Fstat(fd, &s); err != nil {
		return st, false, err
	}
	st = PathStat{Name: baseName(p), Size: s.Size, Mode: fileMode(s.Mode), Mtime: time.Unix(s.Mtim.Sec, s.Mtim.Nsec)}
	if st.Mode&os.ModeSymlink != 0 {
		st.LinkTarget = r.linkTarget(p)
	}
	return st, true, nil
}

// baseName is the name Docker gives a path: its last element, "." for
// "DIR/.", "/" for the root.
func baseName(p string) string {
	if strings.HasSuffix(p, "/.") || p == "." {
		return "."
	}
	return path.Base("/" + p)
}

// linkTarget is where the link at p leads, as a path in the root: the
// link followed to its end, or its text when that cannot be said.
func (r *Root) linkTarget(p string) string {
	if fd, err := r.resolve(p, true); err == nil {
		defer unix.Close(fd)
		root, err1 := os.Readlink(fmt.Sprintf("/proc/self/fd/%d", r.fd))
		full, err2 := os.Readlink(fmt.Sprintf("/proc/self/fd/%d", fd))
		if err1 == nil && err2 == nil {
			if root == "/" {
				return full
			}
			if rest, ok := strings.CutPrefix(full, root); ok && (rest == "" || rest[0] == '/') {
				return "/" + strings.TrimPrefix(rest, "/")
			}
		}
	}
	lfd, err := r.resolve(path.Dir(path.Clean("/"+p)), true)
	if err != nil {
		return ""
	}
	defer unix.Close(lfd)
	buf := make([]byte, unix.PathMax)
	n, err := unix.Readlinkat(lfd, path.Base(path.Clean("/"+p)), buf)
	if err != nil {
		return ""
	}
	return string(buf[:n])
}

// fileMode converts a stat mode to Go's, as os.Lstat does.
func fileMode(m uint32) os.FileMode {
	mode := os.FileMode(m & 0o777)
	switch m & unix.S_IFMT {
	case unix.S_IFBLK:
		mode |= os.ModeDevice
	case unix.S_IFCHR:
		mode |= os.ModeDevice | os.ModeCharDevice
	case unix.S_IFDIR:
		mode |= os.ModeDir
	case unix.S_IFIFO:
		mode |= os.ModeNamedPipe
	case unix.S_IFLNK:
		mode |= os.ModeSymlink
	case unix.S_IFSOCK:
		mode |= os.ModeSocket
	}
	if m&unix.S_ISUID != 0 {
		mode |= os.ModeSetuid
	}
	if m&unix.S_ISGID != 0 {
		mode |= os.ModeSetgid
	}
	if m&unix.S_ISVTX != 0 {
		mode |= os.ModeSticky
	}
	return mode
}

// ExtractWith is Extract with Docker's options of an upload: every header
// is checked (and its owner rewritten) before the unpacker sees it.
func (r *Root) ExtractWith(ctx context.Context, dir string, tr io.Reader, o ExtractOptions) error {
	if !o.NoOverwriteDirNonDir && !o.RootOwned {
		return r.Extract(ctx, dir, tr)
	}
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		err := r.filter(tr, pw, dir, o)
		pw.CloseWithError(err)
		done <- err
	}()
	err := r.Extract(ctx, dir, pr)
	pr.CloseWithError(errors.New("extraction stopped"))
	if ferr := <-done; ferr != nil {
		return ferr
	}
	return err
}

// filter copies the tar stream in to out, refusing what o forbids.
func (r *Root) filter(in io.Reader, out io.Writer, dir string, o ExtractOptions) error {
	tin, tout := tar.NewReader(in), tar.NewWriter(out)
	for {
		h, err := tin.Next()
		if err == io.EOF {
			return tout.Close()
		}
		if err != nil {
			return err
		}
		if o.NoOverwriteDirNonDir {
			if err := r.checkOverwrite(dir, h); err != nil {
				return err
			}
		}
		if o.RootOwned {
			h.Uid, h.Gid, h.Uname, h.Gname = 0, 0, "", ""
		}
		if err := tout.WriteHeader(h); err != nil {
			return err
		}
		if _, err := io.Copy(tout, tin); err != nil {
			return err
		}
	}
}

// checkOverwrite refuses an entry that would replace a directory of dir
// with a non-directory or the reverse, in Docker's words.
func (r *Root) checkOverwrite(dir string, h *tar.Header) error {
	name := path.Clean("/" + h.Name)
	if name == "/" {
		return nil
	}
	target := path.Join(dir, name)
	fd, err := r.resolve(target, false)
	if err != nil {
		return nil // nothing there, or the unpacker's own checks decide
	}
	defer unix.Close(fd)
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return nil
	}
	isDir := st.Mode&unix.S_IFMT == unix.S_IFDIR
	switch {
	case isDir && h.Typeflag != tar.TypeDir:
		return fmt.Errorf("cannot overwrite directory %q with non-directory %q", target, strings.TrimPrefix(name, "/"))
	case !isDir && h.Typeflag == tar.TypeDir:
		return fmt.Errorf("cannot overwrite non-directory %q with directory %q", target, strings.TrimPrefix(name, "/"))
	}
	return nil
}
