//go:build linux

package archive

import (
	"archive/tar"
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// Helpers shared by the Linux tests: building tar streams in memory and
// inspecting what Apply left on disk.

var epoch = time.Date(2021, 3, 4, 5, 6, 7, 123456789, time.UTC)

type tarHeader = tar.Header

type tarEntry struct {
	hdr  tar.Header
	body string
}

func file(name, body string) tarEntry {
	return tarEntry{hdr: tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: 0o644, Size: int64(len(body)), ModTime: epoch}, body: body}
}

func dir(name string) tarEntry {
	return tarEntry{hdr: tar.Header{Typeflag: tar.TypeDir, Name: name, Mode: 0o755, ModTime: epoch}}
}

func symlink(name, target string) tarEntry {
	return tarEntry{hdr: tar.Header{Typeflag: tar.TypeSymlink, Name: name, Linkname: target, Mode: 0o777, ModTime: epoch}}
}

func hardlink(name, target string) tarEntry {
	return tarEntry{hdr: tar.Header{Typeflag: tar.TypeLink, Name: name, Linkname: target, Mode: 0o777, ModTime: epoch}}
}

func fifo(name string) tarEntry {
	return tarEntry{hdr: tar.Header{Typeflag: tar.TypeFifo, Name: name, Mode: 0o640, ModTime: epoch}}
}

func device(typ byte, name string, major, minor int64) tarEntry {
	return tarEntry{hdr: tar.Header{Typeflag: typ, Name: name, Mode: 0o660, Devmajor: major, Devminor: minor, ModTime: epoch}}
}

// with returns e changed by fn.
func with(e tarEntry, fn func(h *tarHeader)) tarEntry {
	fn(&e.hdr)
	return e
}

// makeTar writes entries as a PAX tar stream.
func makeTar(t testing.TB, entries ...tarEntry) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		h := e.hdr
		h.Format = tar.FormatPAX
		if err := tw.WriteHeader(&h); err != nil {
			t.Fatalf("writing tar header %q: %v", h.Name, err)
		}
		if _, err := tw.Write([]byte(e.body)); err != nil {
			t.Fatalf("writing tar entry %q: %v", h.Name, err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func lstat(t *testing.T, p string) unix.Stat_t {
	t.Helper()
	var st unix.Stat_t
	if err := unix.Lstat(p, &st); err != nil {
		t.Fatalf("lstat: %v", err)
	}
	return st
}

func fileType(st unix.Stat_t) uint32 { return st.Mode & unix.S_IFMT }

func wantContent(t *testing.T, p, want string) {
	t.Helper()
	st := lstat(t, p)
	if fileType(st) != unix.S_IFREG {
		t.Fatalf("%s: mode %o, want a regular file", p, st.Mode)
	}
	got, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != want {
		t.Errorf("%s contains %q, want %q", p, got, want)
	}
}

func wantType(t *testing.T, p string, typ uint32) unix.Stat_t {
	t.Helper()
	st := lstat(t, p)
	if fileType(st) != typ {
		t.Fatalf("%s: file type %o, want %o", p, fileType(st), typ)
	}
	return st
}

func wantMissing(t *testing.T, p string) {
	t.Helper()
	var st unix.Stat_t
	if err := unix.Lstat(p, &st); err == nil {
		t.Errorf("%s exists (mode %o), want it absent", p, st.Mode)
	}
}

func wantWhiteout(t *testing.T, p string) {
	t.Helper()
	st := wantType(t, p, unix.S_IFCHR)
	if st.Rdev != 0 {
		t.Errorf("%s: device %d:%d, want the whiteout device 0:0", p, unix.Major(st.Rdev), unix.Minor(st.Rdev))
	}
}

func xattr(t *testing.T, p, name string) (string, bool) {
	t.Helper()
	buf := make([]byte, 4096)
	n, err := unix.Lgetxattr(p, name, buf)
	if err == unix.ENODATA {
		return "", false
	}
	if err != nil {
		t.Fatalf("lgetxattr %s %s: %v", p, name, err)
	}
	return string(buf[:n]), true
}

func needRoot(t *testing.T, why string) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root: " + why)
	}
}

// snapshot describes every file below top except the subtree skip: type,
// mode, owner, size, link count, times (ctime included, so any chmod,
// chown, link or xattr change shows), content or link target, and xattrs.
func snapshot(t *testing.T, top, skip string) map[string]string {
	t.Helper()
	out := make(map[string]string)
	err := filepath.WalkDir(top, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p == skip {
			return filepath.SkipDir
		}
		var st unix.Stat_t
		if err := unix.Lstat(p, &st); err != nil {
			return err
		}
		desc := fmt.Sprintf("mode=%o uid=%d gid=%d size=%d nlink=%d mtime=%d.%d ctime=%d.%d",
			st.Mode, st.Uid, st.Gid, st.Size, st.Nlink, st.Mtim.Sec, st.Mtim.Nsec, st.Ctim.Sec, st.Ctim.Nsec)
		switch fileType(st) {
		case unix.S_IFREG:
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			desc += fmt.Sprintf(" content=%q", b)
		case unix.S_IFLNK:
			target, err := os.Readlink(p)
			if err != nil {
				return err
			}
			desc += " target=" + target
		}
		buf := make([]byte, 4096)
		n, err := unix.Llistxattr(p, buf)
		if err != nil {
			return err
		}
		names := strings.Split(strings.TrimRight(string(buf[:n]), "\x00"), "\x00")
		sort.Strings(names)
		for _, name := range names {
			if name != "" {
				v, _ := xattr(t, p, name)
				desc += fmt.Sprintf(" xattr[%s]=%q", name, v)
			}
		}
		out[p] = desc
		return nil
	})
	if err != nil {
		t.Fatalf("walking %s: %v", top, err)
	}
	return out
}

func diffSnapshots(before, after map[string]string) []string {
	var diffs []string
	for p, b := range before {
		a, ok := after[p]
		switch {
		case !ok:
			diffs = append(diffs, "removed "+p)
		case a != b:
			diffs = append(diffs, fmt.Sprintf("changed %s:\n  before %s\n  after  %s", p, b, a))
		}
	}
	for p, a := range after {
		if _, ok := before[p]; !ok {
			diffs = append(diffs, fmt.Sprintf("created %s: %s", p, a))
		}
	}
	sort.Strings(diffs)
	return diffs
}

func mustMkdir(t *testing.T, p string, mode os.FileMode) {
	t.Helper()
	if err := os.Mkdir(p, mode); err != nil {
		t.Fatal(err)
	}
}

func mustWrite(t *testing.T, p, content string, mode os.FileMode) {
	t.Helper()
	if err := os.WriteFile(p, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
}
