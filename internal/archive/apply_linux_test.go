//go:build linux

package archive

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/gzip"
	"golang.org/x/sys/unix"
)

// applyEntries applies a tar of entries to a new directory and returns it.
func applyEntries(t *testing.T, opts Options, entries ...tarEntry) (string, int64, error) {
	t.Helper()
	root := filepath.Join(t.TempDir(), "layer")
	mustMkdir(t, root, 0o700)
	t.Cleanup(func() { makeRemovable(root) })
	n, err := Apply(context.Background(), root, bytes.NewReader(makeTar(t, entries...)), opts)
	return root, n, err
}

// fileCapability is a version 2 security.capability value granting
// cap_net_bind_service, effective.
func fileCapability() string {
	b := make([]byte, 20)
	binary.LittleEndian.PutUint32(b[0:], 0x02000000|0x1) // VFS_CAP_REVISION_2 | VFS_CAP_FLAGS_EFFECTIVE
	binary.LittleEndian.PutUint32(b[4:], 1<<unix.CAP_NET_BIND_SERVICE)
	return string(b)
}

func TestApplyMetadata(t *testing.T) {
	mtime := time.Date(2019, 8, 7, 6, 5, 4, 321000000, time.UTC)
	atime := time.Date(2018, 1, 2, 3, 4, 5, 600000000, time.UTC)
	big := strings.Repeat("0123456789abcdef", 3<<16) // 3 MiB: several copy buffers

	tests := []struct {
		name    string
		root    bool
		entries []tarEntry
		check   func(t *testing.T, root string)
	}{
		{
			name:    "file content and mode",
			entries: []tarEntry{with(file("etc/motd", "hello\n"), func(h *tarHeader) { h.Mode = 0o640 })},
			check: func(t *testing.T, root string) {
				wantContent(t, filepath.Join(root, "etc/motd"), "hello\n")
				if st := lstat(t, filepath.Join(root, "etc/motd")); st.Mode&0o7777 != 0o640 {
					t.Errorf("mode %o, want 640", st.Mode&0o7777)
				}
			},
		},
		{
			name:    "large file",
			entries: []tarEntry{file("big", big)},
			check: func(t *testing.T, root string) {
				wantContent(t, filepath.Join(root, "big"), big)
			},
		},
		{
			name: "setuid, setgid and sticky bits",
			entries: []tarEntry{
				with(file("bin/su", "su"), func(h *tarHeader) { h.Mode = 0o4755 }),
				with(file("bin/wall", "wall"), func(h *tarHeader) { h.Mode = 0o2755 }),
				with(dir("tmp"), func(h *tarHeader) { h.Mode = 0o1777 }),
				with(dir("srv"), func(h *tarHeader) { h.Mode = 0o2775 }),
			},
			check: func(t *testing.T, root string) {
				for p, want := range map[string]uint32{"bin/su": 0o4755, "bin/wall": 0o2755, "tmp": 0o1777, "srv": 0o2775} {
					if st := lstat(t, filepath.Join(root, p)); st.Mode&0o7777 != want {
						t.Errorf("%s: mode %o, want %o", p, st.Mode&0o7777, want)
					}
				}
			},
		},
		{
			name: "setuid survives chown",
			root: true,
			entries: []tarEntry{
				with(file("bin/su", "su"), func(h *tarHeader) { h.Mode, h.Uid, h.Gid = 0o6755, 1000, 1000 }),
			},
			check: func(t *testing.T, root string) {
				if st := lstat(t, filepath.Join(root, "bin/su")); st.Mode&0o7777 != 0o6755 {
					t.Errorf("mode %o, want 6755", st.Mode&0o7777)
				}
			},
		},
		{
			name: "read-only directory still receives its children",
			entries: []tarEntry{
				with(dir("ro"), func(h *tarHeader) { h.Mode = 0o555 }),
				file("ro/f", "x"),
				with(dir("ro/sub"), func(h *tarHeader) { h.Mode = 0o500 }),
				file("ro/sub/g", "y"),
			},
			check: func(t *testing.T, root string) {
				wantContent(t, filepath.Join(root, "ro/sub/g"), "y")
				if st := lstat(t, filepath.Join(root, "ro")); st.Mode&0o7777 != 0o555 {
					t.Errorf("ro: mode %o, want 555", st.Mode&0o7777)
				}
				if st := lstat(t, filepath.Join(root, "ro/sub")); st.Mode&0o7777 != 0o500 {
					t.Errorf("ro/sub: mode %o, want 500", st.Mode&0o7777)
				}
			},
		},
		{
			name: "times of files, symlinks, fifos and directories",
			entries: []tarEntry{
				with(dir("d"), func(h *tarHeader) { h.ModTime, h.AccessTime = mtime, atime }),
				with(dir("d/sub"), func(h *tarHeader) { h.ModTime, h.AccessTime = mtime, atime }),
				with(file("d/sub/f", "x"), func(h *tarHeader) { h.ModTime, h.AccessTime = mtime, atime }),
				with(symlink("d/l", "sub/f"), func(h *tarHeader) { h.ModTime, h.AccessTime = mtime, atime }),
				with(fifo("d/p"), func(h *tarHeader) { h.ModTime, h.AccessTime = mtime, atime }),
				with(file("d/noatime", "x"), func(h *tarHeader) { h.ModTime = mtime }),
			},
			check: func(t *testing.T, root string) {
				for _, p := range []string{"d", "d/sub", "d/sub/f", "d/l", "d/p"} {
					st := lstat(t, filepath.Join(root, p))
					if got := time.Unix(st.Mtim.Unix()); !got.Equal(mtime) {
						t.Errorf("%s: mtime %v, want %v", p, got.UTC(), mtime)
					}
					if got := time.Unix(st.Atim.Unix()); !got.Equal(atime) {
						t.Errorf("%s: atime %v, want %v", p, got.UTC(), atime)
					}
				}
				st := lstat(t, filepath.Join(root, "d/noatime"))
				if got := time.Unix(st.Atim.Unix()); !got.Equal(mtime) {
					t.Errorf("d/noatime: atime %v, want the mtime %v", got.UTC(), mtime)
				}
			},
		},
		{
			name: "root directory entry",
			entries: []tarEntry{
				with(dir("./"), func(h *tarHeader) { h.Mode, h.ModTime = 0o751, mtime }),
				file("f", "x"),
			},
			check: func(t *testing.T, root string) {
				st := lstat(t, root)
				if st.Mode&0o7777 != 0o751 {
					t.Errorf("root mode %o, want 751", st.Mode&0o7777)
				}
				if got := time.Unix(st.Mtim.Unix()); !got.Equal(mtime) {
					t.Errorf("root mtime %v, want %v", got.UTC(), mtime)
				}
			},
		},
		{
			name: "owners",
			root: true,
			entries: []tarEntry{
				with(dir("home/u"), func(h *tarHeader) { h.Uid, h.Gid = 1001, 1002 }),
				with(file("home/u/f", "x"), func(h *tarHeader) { h.Uid, h.Gid = 1003, 1004 }),
				with(symlink("home/u/l", "f"), func(h *tarHeader) { h.Uid, h.Gid = 1005, 1006 }),
				with(fifo("home/u/p"), func(h *tarHeader) { h.Uid, h.Gid = 1007, 1008 }),
				with(device('3', "home/u/null", 1, 3), func(h *tarHeader) { h.Uid, h.Gid = 1009, 1010 }),
			},
			check: func(t *testing.T, root string) {
				for p, want := range map[string][2]uint32{
					"home/u": {1001, 1002}, "home/u/f": {1003, 1004}, "home/u/l": {1005, 1006},
					"home/u/p": {1007, 1008}, "home/u/null": {1009, 1010},
				} {
					if st := lstat(t, filepath.Join(root, p)); st.Uid != want[0] || st.Gid != want[1] {
						t.Errorf("%s: owner %d:%d, want %d:%d", p, st.Uid, st.Gid, want[0], want[1])
					}
				}
			},
		},
		{
			name: "user xattrs on a file and a directory",
			entries: []tarEntry{
				with(dir("d"), func(h *tarHeader) { h.PAXRecords = map[string]string{"SCHILY.xattr.user.color": "blue"} }),
				with(file("d/f", "x"), func(h *tarHeader) { h.PAXRecords = map[string]string{"SCHILY.xattr.user.note": "hi"} }),
			},
			check: func(t *testing.T, root string) {
				if v, _ := xattr(t, filepath.Join(root, "d"), "user.color"); v != "blue" {
					t.Errorf("d: user.color = %q, want blue", v)
				}
				if v, _ := xattr(t, filepath.Join(root, "d/f"), "user.note"); v != "hi" {
					t.Errorf("d/f: user.note = %q, want hi", v)
				}
			},
		},
		{
			name: "file capability survives chown",
			root: true,
			entries: []tarEntry{
				with(file("bin/ping", "ping"), func(h *tarHeader) {
					h.Mode, h.Uid, h.Gid = 0o755, 0, 0
					h.PAXRecords = map[string]string{"SCHILY.xattr.security.capability": fileCapability()}
				}),
			},
			check: func(t *testing.T, root string) {
				if v, _ := xattr(t, filepath.Join(root, "bin/ping"), "security.capability"); v != fileCapability() {
					t.Errorf("security.capability = %x, want %x", v, fileCapability())
				}
			},
		},
		{
			name: "xattrs on a symlink and a device",
			root: true,
			entries: []tarEntry{
				with(symlink("l", "target"), func(h *tarHeader) {
					h.PAXRecords = map[string]string{"SCHILY.xattr.trusted.mark": "link"}
				}),
				with(device('3', "null", 1, 3), func(h *tarHeader) {
					h.PAXRecords = map[string]string{"SCHILY.xattr.trusted.mark": "dev"}
				}),
			},
			check: func(t *testing.T, root string) {
				if v, _ := xattr(t, filepath.Join(root, "l"), "trusted.mark"); v != "link" {
					t.Errorf("l: trusted.mark = %q, want link", v)
				}
				if v, _ := xattr(t, filepath.Join(root, "null"), "trusted.mark"); v != "dev" {
					t.Errorf("null: trusted.mark = %q, want dev", v)
				}
			},
		},
		{
			name: "overlay xattrs from the layer are dropped",
			root: true,
			entries: []tarEntry{
				with(dir("d"), func(h *tarHeader) {
					h.PAXRecords = map[string]string{
						"SCHILY.xattr.trusted.overlay.opaque":   "y",
						"SCHILY.xattr.trusted.overlay.redirect": "/etc",
					}
				}),
			},
			check: func(t *testing.T, root string) {
				for _, name := range []string{"trusted.overlay.opaque", "trusted.overlay.redirect"} {
					if v, ok := xattr(t, filepath.Join(root, "d"), name); ok {
						t.Errorf("d: %s = %q, want it absent", name, v)
					}
				}
			},
		},
		{
			name:    "hard link",
			entries: []tarEntry{file("a/f", "shared"), hardlink("b/g", "a/f"), hardlink("b/h", "/a/f")},
			check: func(t *testing.T, root string) {
				f := lstat(t, filepath.Join(root, "a/f"))
				for _, p := range []string{"b/g", "b/h"} {
					if st := lstat(t, filepath.Join(root, p)); st.Ino != f.Ino {
						t.Errorf("%s is not a hard link of a/f", p)
					}
				}
				if f.Nlink != 3 {
					t.Errorf("a/f has %d links, want 3", f.Nlink)
				}
			},
		},
		{
			name:    "symlinks keep their targets verbatim",
			entries: []tarEntry{symlink("abs", "/etc/passwd"), symlink("rel", "../../x"), symlink("dangling", "nowhere")},
			check: func(t *testing.T, root string) {
				for p, want := range map[string]string{"abs": "/etc/passwd", "rel": "../../x", "dangling": "nowhere"} {
					if got, err := os.Readlink(filepath.Join(root, p)); err != nil || got != want {
						t.Errorf("%s -> %q (%v), want %q", p, got, err, want)
					}
				}
			},
		},
		{
			name:    "fifo",
			entries: []tarEntry{fifo("run/initctl")},
			check: func(t *testing.T, root string) {
				st := wantType(t, filepath.Join(root, "run/initctl"), unix.S_IFIFO)
				if st.Mode&0o7777 != 0o640 {
					t.Errorf("mode %o, want 640", st.Mode&0o7777)
				}
			},
		},
		{
			name:    "character and block devices",
			root:    true,
			entries: []tarEntry{device('3', "dev/null", 1, 3), device('4', "dev/loop0", 7, 0)},
			check: func(t *testing.T, root string) {
				null := wantType(t, filepath.Join(root, "dev/null"), unix.S_IFCHR)
				if unix.Major(null.Rdev) != 1 || unix.Minor(null.Rdev) != 3 || null.Mode&0o7777 != 0o660 {
					t.Errorf("dev/null: %d:%d mode %o, want 1:3 mode 660", unix.Major(null.Rdev), unix.Minor(null.Rdev), null.Mode&0o7777)
				}
				loop := wantType(t, filepath.Join(root, "dev/loop0"), unix.S_IFBLK)
				if unix.Major(loop.Rdev) != 7 || unix.Minor(loop.Rdev) != 0 {
					t.Errorf("dev/loop0: %d:%d, want 7:0", unix.Major(loop.Rdev), unix.Minor(loop.Rdev))
				}
			},
		},
		{
			name:    "implicit parent directories",
			entries: []tarEntry{file("a/b/c/f", "x")},
			check: func(t *testing.T, root string) {
				wantContent(t, filepath.Join(root, "a/b/c/f"), "x")
				if st := lstat(t, filepath.Join(root, "a/b")); st.Mode&0o7777 != 0o755 {
					t.Errorf("a/b: mode %o, want 755", st.Mode&0o7777)
				}
			},
		},
		{
			name:    "long names",
			entries: []tarEntry{file(strings.Repeat("long-directory-name/", 12)+strings.Repeat("f", 200), "x")},
			check: func(t *testing.T, root string) {
				wantContent(t, filepath.Join(root, strings.Repeat("long-directory-name/", 12)+strings.Repeat("f", 200)), "x")
			},
		},
		{
			name: "global headers and aufs metadata are skipped",
			entries: []tarEntry{
				{hdr: tar.Header{Typeflag: tar.TypeXGlobalHeader, Name: "pax_global_header", PAXRecords: map[string]string{"comment": "x"}}},
				dir(".wh..wh.plnk"),
				file(".wh..wh.plnk/1234.5678", strings.Repeat("x", (bodyChunks+2)*chunkSize)),
				dir(".wh..wh.orph/a"),
				file(".wh..wh.orph/a/b", "x"),
				file("kept", "x"),
			},
			check: func(t *testing.T, root string) {
				entries, err := os.ReadDir(root)
				if err != nil {
					t.Fatal(err)
				}
				if len(entries) != 1 || entries[0].Name() != "kept" {
					t.Errorf("root holds %v, want only kept", entries)
				}
				wantMissing(t, filepath.Join(root, ".wh..wh.orph"))
				wantMissing(t, filepath.Join(root, "pax_global_header"))
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.root {
				needRoot(t, "sets owners, devices or trusted/security xattrs")
			}
			root, _, err := applyEntries(t, Options{}, tc.entries...)
			if err != nil {
				t.Fatalf("Apply: %v", err)
			}
			tc.check(t, root)
		})
	}
}

// defaultACL is a system.posix_acl_default value that leaves new files
// only their owner's permissions: u::rwx g::--- o::---.
func defaultACL() string {
	b := binary.LittleEndian.AppendUint32(nil, 2)    // POSIX_ACL_XATTR_VERSION
	for _, tag := range []uint16{0x01, 0x04, 0x20} { // ACL_USER_OBJ, ACL_GROUP_OBJ, ACL_OTHER
		perm := uint16(0)
		if tag == 0x01 {
			perm = 7
		}
		b = binary.LittleEndian.AppendUint16(b, tag)
		b = binary.LittleEndian.AppendUint16(b, perm)
		b = binary.LittleEndian.AppendUint32(b, 0xffffffff)
	}
	return string(b)
}

// Apply spares the chown and chmod of a new file when creating it already
// gave the right owner and mode; these cases must not be fooled.
func TestApplyCreationDefaults(t *testing.T) {
	tests := []struct {
		name    string
		root    bool
		umask   int
		prepare func(t *testing.T, root string)
		entries []tarEntry
		want    map[string][3]uint32 // path: mode, uid, gid
	}{
		{
			name:  "modes the umask would strip",
			umask: 0o022,
			entries: []tarEntry{
				with(file("a", "x"), func(h *tarHeader) { h.Mode = 0o664 }),
				with(file("b", "x"), func(h *tarHeader) { h.Mode = 0o777 }),
				with(file("c", "x"), func(h *tarHeader) { h.Mode = 0o600 }),
				with(file("d", "x"), func(h *tarHeader) { h.Mode = 0o000 }),
				with(file("e", "x"), func(h *tarHeader) { h.Mode = 0o444 }),
			},
			want: map[string][3]uint32{"a": {0o664}, "b": {0o777}, "c": {0o600}, "d": {0}, "e": {0o444}},
		},
		{
			name:  "a strict umask",
			umask: 0o077,
			entries: []tarEntry{
				with(file("a", "x"), func(h *tarHeader) { h.Mode = 0o644 }),
				with(file("b", "x"), func(h *tarHeader) { h.Mode = 0o755 }),
			},
			want: map[string][3]uint32{"a": {0o644}, "b": {0o755}},
		},
		{
			name:  "no umask",
			umask: 0,
			entries: []tarEntry{
				with(file("a", "x"), func(h *tarHeader) { h.Mode = 0o640 }),
				with(file("b", "x"), func(h *tarHeader) { h.Mode = 0o4755 }),
			},
			want: map[string][3]uint32{"a": {0o640}, "b": {0o4755}},
		},
		{
			name:  "default ACL on the layer directory",
			umask: 0o022,
			prepare: func(t *testing.T, root string) {
				if err := unix.Setxattr(root, defaultACLXattr, []byte(defaultACL()), 0); err != nil {
					t.Skipf("cannot set a default ACL here: %v", err)
				}
			},
			entries: []tarEntry{with(file("a", "x"), func(h *tarHeader) { h.Mode = 0o644 })},
			want:    map[string][3]uint32{"a": {0o644}},
		},
		{
			name:  "default ACL from the layer",
			umask: 0o022,
			entries: []tarEntry{
				with(dir("acl"), func(h *tarHeader) {
					h.PAXRecords = map[string]string{"SCHILY.xattr." + defaultACLXattr: defaultACL()}
				}),
				with(file("acl/a", "x"), func(h *tarHeader) { h.Mode = 0o644 }),
			},
			want: map[string][3]uint32{"acl/a": {0o644}},
		},
		{
			name:  "setgid layer directory",
			root:  true,
			umask: 0o022,
			prepare: func(t *testing.T, root string) {
				if err := os.Chown(root, 0, 50); err != nil {
					t.Fatal(err)
				}
				if err := unix.Chmod(root, 0o2755); err != nil {
					t.Fatal(err)
				}
			},
			entries: []tarEntry{
				file("f", "x"),
				dir("d"),
				file("d/f", "x"),
				symlink("l", "f"),
				file("implicit/f", "x"),
			},
			want: map[string][3]uint32{
				"f": {0o644, 0, 0}, "d": {0o755, 0, 0}, "d/f": {0o644, 0, 0},
				"l": {0o777, 0, 0}, "implicit/f": {0o644, 0, 0},
			},
		},
		{
			name:  "directory entry repeated with another owner",
			root:  true,
			umask: 0o022,
			entries: []tarEntry{
				with(dir("d"), func(h *tarHeader) { h.Uid, h.Gid = 1000, 1000 }),
				dir("d"),
			},
			want: map[string][3]uint32{"d": {0o755, 0, 0}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.root {
				needRoot(t, "sets owners")
			}
			old := unix.Umask(tc.umask)
			t.Cleanup(func() { unix.Umask(old) })
			root := filepath.Join(t.TempDir(), "layer")
			mustMkdir(t, root, 0o755)
			if tc.prepare != nil {
				tc.prepare(t, root)
			}
			if _, err := Apply(context.Background(), root, bytes.NewReader(makeTar(t, tc.entries...)), Options{}); err != nil {
				t.Fatalf("Apply: %v", err)
			}
			for p, want := range tc.want {
				st := lstat(t, filepath.Join(root, p))
				if st.Mode&0o7777 != want[0] {
					t.Errorf("%s: mode %o, want %o", p, st.Mode&0o7777, want[0])
				}
				if tc.root && (st.Uid != want[1] || st.Gid != want[2]) {
					t.Errorf("%s: owner %d:%d, want %d:%d", p, st.Uid, st.Gid, want[1], want[2])
				}
			}
		})
	}
}

func TestApplyReplaces(t *testing.T) {
	tests := []struct {
		name    string
		entries []tarEntry
		check   func(t *testing.T, root string)
	}{
		{
			name:    "file replaces file",
			entries: []tarEntry{file("f", "old content"), file("f", "new")},
			check:   func(t *testing.T, root string) { wantContent(t, filepath.Join(root, "f"), "new") },
		},
		{
			name:    "file replaces directory tree",
			entries: []tarEntry{dir("d/sub"), file("d/sub/f", "x"), symlink("d/l", "/"), file("d", "file now")},
			check:   func(t *testing.T, root string) { wantContent(t, filepath.Join(root, "d"), "file now") },
		},
		{
			name:    "directory replaces file",
			entries: []tarEntry{file("d", "x"), dir("d"), file("d/f", "y")},
			check:   func(t *testing.T, root string) { wantContent(t, filepath.Join(root, "d/f"), "y") },
		},
		{
			name: "directory over directory keeps its children and takes the new mode",
			entries: []tarEntry{
				dir("d"), file("d/f", "kept"),
				with(dir("d"), func(h *tarHeader) { h.Mode = 0o700 }),
			},
			check: func(t *testing.T, root string) {
				wantContent(t, filepath.Join(root, "d/f"), "kept")
				if st := lstat(t, filepath.Join(root, "d")); st.Mode&0o7777 != 0o700 {
					t.Errorf("d: mode %o, want 700", st.Mode&0o7777)
				}
			},
		},
		{
			name:    "symlink replaces file",
			entries: []tarEntry{file("l", "x"), symlink("l", "target")},
			check:   func(t *testing.T, root string) { wantType(t, filepath.Join(root, "l"), unix.S_IFLNK) },
		},
		{
			name:    "symlink replaces symlink",
			entries: []tarEntry{symlink("l", "one"), symlink("l", "two")},
			check: func(t *testing.T, root string) {
				if got, _ := os.Readlink(filepath.Join(root, "l")); got != "two" {
					t.Errorf("l -> %q, want two", got)
				}
			},
		},
		{
			name:    "hard link replaces file",
			entries: []tarEntry{file("a", "a"), file("b", "b"), hardlink("b", "a")},
			check:   func(t *testing.T, root string) { wantContent(t, filepath.Join(root, "b"), "a") },
		},
		{
			name:    "fifo replaces directory",
			entries: []tarEntry{dir("p/q"), fifo("p")},
			check:   func(t *testing.T, root string) { wantType(t, filepath.Join(root, "p"), unix.S_IFIFO) },
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			root, _, err := applyEntries(t, Options{}, tc.entries...)
			if err != nil {
				t.Fatalf("Apply: %v", err)
			}
			tc.check(t, root)
		})
	}
}

func TestApplyWhiteouts(t *testing.T) {
	needRoot(t, "whiteouts are character devices and trusted.* xattrs")
	tests := []struct {
		name    string
		entries []tarEntry
		check   func(t *testing.T, root string)
	}{
		{
			name:    "file whiteout",
			entries: []tarEntry{dir("etc"), file("etc/.wh.passwd", "")},
			check: func(t *testing.T, root string) {
				wantWhiteout(t, filepath.Join(root, "etc/passwd"))
				wantMissing(t, filepath.Join(root, "etc/.wh.passwd"))
			},
		},
		{
			name:    "whiteout at the root with an implicit parent",
			entries: []tarEntry{file(".wh.opt", ""), file("var/lib/.wh.dpkg", "")},
			check: func(t *testing.T, root string) {
				wantWhiteout(t, filepath.Join(root, "opt"))
				wantWhiteout(t, filepath.Join(root, "var/lib/dpkg"))
			},
		},
		{
			name:    "whiteout of a dot file",
			entries: []tarEntry{file("root/.wh..bashrc", "")},
			check:   func(t *testing.T, root string) { wantWhiteout(t, filepath.Join(root, "root/.bashrc")) },
		},
		{
			name:    "whiteout replaces an entry of the same layer",
			entries: []tarEntry{dir("d/sub"), file("d/sub/f", "x"), file(".wh.d", "")},
			check:   func(t *testing.T, root string) { wantWhiteout(t, filepath.Join(root, "d")) },
		},
		{
			name:    "whiteout keeps the owner",
			entries: []tarEntry{with(file(".wh.x", ""), func(h *tarHeader) { h.Uid, h.Gid = 33, 34 })},
			check: func(t *testing.T, root string) {
				if st := lstat(t, filepath.Join(root, "x")); st.Uid != 33 || st.Gid != 34 {
					t.Errorf("owner %d:%d, want 33:34", st.Uid, st.Gid)
				}
			},
		},
		{
			name:    "opaque directory",
			entries: []tarEntry{dir("usr/share"), file("usr/share/.wh..wh..opq", ""), file("usr/share/new", "x")},
			check: func(t *testing.T, root string) {
				if v, ok := xattr(t, filepath.Join(root, "usr/share"), opaqueXattr); !ok || v != "y" {
					t.Errorf("usr/share: %s = %q (set %v), want y", opaqueXattr, v, ok)
				}
				if _, ok := xattr(t, filepath.Join(root, "usr"), opaqueXattr); ok {
					t.Errorf("usr is opaque, want only usr/share")
				}
				wantMissing(t, filepath.Join(root, "usr/share/.wh..wh..opq"))
				wantContent(t, filepath.Join(root, "usr/share/new"), "x")
			},
		},
		{
			name:    "opaque marker before its directory entry",
			entries: []tarEntry{file("a/.wh..wh..opq", ""), with(dir("a"), func(h *tarHeader) { h.Mode = 0o750 })},
			check: func(t *testing.T, root string) {
				if v, _ := xattr(t, filepath.Join(root, "a"), opaqueXattr); v != "y" {
					t.Errorf("a: %s = %q, want y", opaqueXattr, v)
				}
				if st := lstat(t, filepath.Join(root, "a")); st.Mode&0o7777 != 0o750 {
					t.Errorf("a: mode %o, want 750", st.Mode&0o7777)
				}
			},
		},
		{
			name:    "whiteout under a directory whose name starts like one",
			entries: []tarEntry{file(".wh.etc/somefile", "x")},
			check:   func(t *testing.T, root string) { wantContent(t, filepath.Join(root, ".wh.etc/somefile"), "x") },
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			root, _, err := applyEntries(t, Options{}, tc.entries...)
			if err != nil {
				t.Fatalf("Apply: %v", err)
			}
			tc.check(t, root)
		})
	}
}

// Without root, device nodes and opaque directories cannot be made: Apply
// says so. (Whiteout devices 0/0 need no privilege since Linux 5.8.)
func TestApplyWithoutRoot(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("checks the errors seen without root; running as root")
	}
	tests := []struct {
		name    string
		entries []tarEntry
		wantErr string
	}{
		{name: "char device", entries: []tarEntry{device('3', "dev/null", 1, 3)}, wantErr: `layer entry "dev/null": creating a device node needs root`},
		{name: "block device", entries: []tarEntry{device('4', "dev/sda", 8, 0)}, wantErr: `layer entry "dev/sda": creating a device node needs root`},
		{name: "opaque", entries: []tarEntry{dir("d"), file("d/.wh..wh..opq", "")}, wantErr: `layer entry "d/.wh..wh..opq": marking a directory opaque needs root`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := applyEntries(t, Options{}, tc.entries...)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("Apply error = %v, want one containing %q", err, tc.wantErr)
			}
		})
	}
}

func TestApplyLimits(t *testing.T) {
	six := []tarEntry{dir("d"), file("d/1", "x"), file("d/2", "x"), file("d/3", "x"), file("d/4", "x"), symlink("d/5", "1")}
	tests := []struct {
		name     string
		opts     Options
		entries  []tarEntry
		wantSize int64
		wantErr  string
	}{
		{
			name:     "size within the limit",
			opts:     Options{MaxSize: 1200},
			entries:  []tarEntry{file("a", strings.Repeat("a", 600)), file("b", strings.Repeat("b", 600))},
			wantSize: 1200,
		},
		{
			name:    "size over the limit",
			opts:    Options{MaxSize: 1000},
			entries: []tarEntry{file("a", strings.Repeat("a", 600)), file("b", strings.Repeat("b", 600))},
			wantErr: `layer entry "b": layer content exceeds the size limit (1000 bytes)`,
		},
		{
			name:     "hard links do not count",
			opts:     Options{MaxSize: 600},
			entries:  []tarEntry{file("a", strings.Repeat("a", 600)), hardlink("b", "a"), hardlink("c", "a")},
			wantSize: 600,
		},
		{
			name:     "entries within the limit",
			opts:     Options{MaxEntries: 6},
			entries:  six,
			wantSize: 4,
		},
		{
			name:    "entries over the limit",
			opts:    Options{MaxEntries: 5},
			entries: six,
			wantErr: `layer entry "d/5": layer exceeds the entry limit (5 entries)`,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			root, size, err := applyEntries(t, tc.opts, tc.entries...)
			if tc.wantErr != "" {
				if err == nil || err.Error() != tc.wantErr {
					t.Fatalf("Apply error = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Apply: %v", err)
			}
			if size != tc.wantSize {
				t.Errorf("Apply returned size %d, want %d", size, tc.wantSize)
			}
			if _, err := os.Stat(root); err != nil {
				t.Error(err)
			}
		})
	}
}

func TestApplyDecompressionBomb(t *testing.T) {
	// 1 GiB of zeros compresses to about a megabyte; the limit stops
	// Apply at the header, before anything is written.
	pr, pw := io.Pipe()
	go func() {
		zw := gzip.NewWriter(pw)
		tw := tar.NewWriter(zw)
		err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: "zeros", Mode: 0o644, Size: 1 << 30})
		if err == nil {
			_, err = io.CopyN(tw, zeroReader{}, 1<<30)
		}
		if err == nil {
			err = tw.Close()
		}
		if err == nil {
			err = zw.Close()
		}
		pw.CloseWithError(err)
	}()
	defer pr.Close()

	rc, err := Decompress(pr)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	root := t.TempDir()
	_, err = Apply(context.Background(), root, rc, Options{MaxSize: 1 << 20})
	if err == nil || !strings.Contains(err.Error(), `layer entry "zeros": layer content exceeds the size limit`) {
		t.Fatalf("Apply error = %v, want the size limit", err)
	}
	wantMissing(t, filepath.Join(root, "zeros"))
}

func TestApplyTrailingData(t *testing.T) {
	layer := makeTar(t, file("f", "x"))
	tests := []struct {
		name    string
		trailer []byte
		opts    Options
		wantErr string
	}{
		{name: "record padding is consumed", trailer: make([]byte, 9*512)},
		{name: "any trailing bytes are consumed", trailer: []byte("trailing")},
		{
			name:    "trailing data beyond the limit",
			trailer: make([]byte, 4096),
			opts:    Options{MaxSize: 1024},
			wantErr: "data after the end of the layer archive: layer content exceeds the size limit (1024 bytes)",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := bytes.NewReader(append(append([]byte{}, layer...), tc.trailer...))
			_, err := Apply(context.Background(), t.TempDir(), r, tc.opts)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("Apply error = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Apply: %v", err)
			}
			if r.Len() != 0 {
				t.Errorf("Apply left %d bytes of the stream unread", r.Len())
			}
		})
	}
}

func TestApplyBadInput(t *testing.T) {
	a, b := file("a", "x"), file("b", strings.Repeat("y", 2000))
	good := makeTar(t, a, b)
	bStart := len(makeTar(t, a)) - 1024 // less the end-of-archive marker
	bigLayer := makeTar(t, file("big", strings.Repeat("z", 3*chunkSize+10)))
	tests := []struct {
		name    string
		in      []byte
		wantErr string
	}{
		{name: "garbage", in: bytes.Repeat([]byte("garbage!"), 200), wantErr: "reading layer: archive/tar: invalid tar header"},
		{name: "truncated in a file", in: good[:len(good)-1024-1000], wantErr: `layer entry "b": reading content: unexpected EOF`},
		{name: "truncated in a large file", in: bigLayer[:len(bigLayer)-1024-5000], wantErr: `layer entry "big": writing file: unexpected EOF`},
		{name: "truncated in a header", in: good[:bStart+100], wantErr: `reading layer after entry "a": unexpected EOF`},
		{name: "unknown entry type", in: makeTar(t, tarEntry{hdr: tar.Header{Typeflag: 'Z', Name: "z", ModTime: epoch}}), wantErr: `layer entry "z": unsupported entry type 'Z'`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Apply(context.Background(), t.TempDir(), bytes.NewReader(tc.in), Options{})
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("Apply error = %v, want %q", err, tc.wantErr)
			}
		})
	}
	t.Run("missing directory", func(t *testing.T) {
		_, err := Apply(context.Background(), filepath.Join(t.TempDir(), "missing"), bytes.NewReader(good), Options{})
		if err == nil || !strings.Contains(err.Error(), "opening layer directory") {
			t.Fatalf("Apply error = %v, want it to name the layer directory", err)
		}
	})
}

func TestApplyCancel(t *testing.T) {
	layer := makeTar(t, file("a", "x"), file("big", strings.Repeat("z", 8<<20)), file("c", "x"))
	t.Run("before", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		root := t.TempDir()
		_, err := Apply(ctx, root, bytes.NewReader(layer), Options{})
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("Apply error = %v, want context.Canceled", err)
		}
		wantMissing(t, filepath.Join(root, "a"))
	})
	t.Run("while reading", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		root := t.TempDir()
		r := &cancelAfter{r: bytes.NewReader(layer), n: 3 << 20, cancel: cancel}
		_, err := Apply(ctx, root, r, Options{})
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("Apply error = %v, want context.Canceled", err)
		}
		wantMissing(t, filepath.Join(root, "c"))
	})
}

func TestApplyDecompressed(t *testing.T) {
	layer := makeTar(t, dir("etc"), file("etc/hostname", "box\n"))
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(layer)
	zw.Close()

	rc, err := Decompress(&gz)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	root := t.TempDir()
	n, err := Apply(context.Background(), root, rc, Options{})
	if err != nil {
		t.Fatalf("Apply: %v", err)
	}
	if n != 4 {
		t.Errorf("Apply returned %d, want 4", n)
	}
	wantContent(t, filepath.Join(root, "etc/hostname"), "box\n")
}

// The directory cache holds a bounded number of descriptors; a layer with
// more directories than that still unpacks, and leaks none.
func TestApplyManyDirectories(t *testing.T) {
	saved := maxCachedDirs
	maxCachedDirs = 8
	t.Cleanup(func() { maxCachedDirs = saved })
	var entries []tarEntry
	for i := range 100 {
		d := filepath.Join("d", string(rune('a'+i%5)), strings.Repeat("x", 1+i/5))
		entries = append(entries, dir(d), file(d+"/f", "x"))
	}
	before := openFDs(t)
	root, _, err := applyEntries(t, Options{}, entries...)
	if err != nil {
		t.Fatalf("Apply: %v", err)
	}
	if after := openFDs(t); after != before {
		t.Errorf("%d descriptors open after Apply, %d before", after, before)
	}
	last := entries[len(entries)-1].hdr.Name
	wantContent(t, filepath.Join(root, last), "x")
}

// Apply ends its reading goroutine before it returns, also when it fails
// in the middle of a large file.
func TestApplyLeavesNoGoroutine(t *testing.T) {
	layer := makeTar(t, file("a", "x"), file("big", strings.Repeat("z", 6*chunkSize)), file("c", "x"))
	tests := []struct {
		name string
		opts Options
		dir  string
	}{
		{name: "success"},
		{name: "size limit at a large file", opts: Options{MaxSize: chunkSize}},
		{name: "entry limit", opts: Options{MaxEntries: 1}},
		{name: "missing directory", dir: "missing"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			Apply(context.Background(), filepath.Join(t.TempDir(), tc.dir), bytes.NewReader(layer), tc.opts)
			// Apply joins what it starts: no goroutine of this package outlives it. (Counting
			// all goroutines would also count those of other tests ending meanwhile.)
			if left := archiveGoroutines(); len(left) > 0 {
				t.Errorf("%d goroutines of the unpacker after Apply:\n%s", len(left), strings.Join(left, "\n\n"))
			}
		})
	}
}

// archiveGoroutines returns the stacks of the goroutines running code of this package, other
// than the tests'. A goroutine whose function has returned (only runtime.goexit left on its
// stack) is not one, even if it was created here.
func archiveGoroutines() []string {
	buf := make([]byte, 1<<22)
	buf = buf[:runtime.Stack(buf, true)]
	var out []string
	for _, g := range strings.Split(string(buf), "\n\n") {
		// Its frames, without the "created by" line that names its creator.
		frames, _, _ := strings.Cut(g, "\ncreated by ")
		if strings.Contains(frames, "internal/archive.") && !strings.Contains(frames, "internal/archive.Test") &&
			!strings.Contains(frames, "internal/archive.Fuzz") {
			out = append(out, g)
		}
	}
	return out
}

// makeRemovable gives the owner full access to every directory below
// root, so that the test's cleanup can remove read-only directories
// without root.
func makeRemovable(root string) {
	filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err == nil && d.IsDir() {
			os.Chmod(p, 0o700)
		}
		return nil
	})
}

func openFDs(t *testing.T) int {
	t.Helper()
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	return len(entries)
}

type zeroReader struct{}

func (zeroReader) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// cancelAfter calls cancel once n bytes have been read.
type cancelAfter struct {
	r      io.Reader
	n      int
	cancel func()
}

func (c *cancelAfter) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n -= n
	if c.n <= 0 {
		c.cancel()
	}
	return n, err
}
