//go:build linux

package archive

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// diffEntry is what a test checks of one tar entry.
type diffEntry struct {
	Name     string
	Type     byte
	Mode     int64
	Linkname string
	Body     string
	Xattrs   string // "k=v,k=v", sorted
}

func readDiff(t *testing.T, b []byte) []diffEntry {
	t.Helper()
	var out []diffEntry
	tr := tar.NewReader(bytes.NewReader(b))
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(tr)
		var xs []string
		for k, v := range h.PAXRecords {
			if name, ok := strings.CutPrefix(k, paxXattrPrefix); ok {
				xs = append(xs, name+"="+v)
			}
		}
		if len(xs) > 1 {
			t.Fatalf("test helper: sort xattrs of %s", h.Name)
		}
		out = append(out, diffEntry{Name: h.Name, Type: h.Typeflag, Mode: h.Mode, Linkname: h.Linkname, Body: string(body), Xattrs: strings.Join(xs, ",")})
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestDiff(t *testing.T) {
	root := unix.Geteuid() == 0
	tests := []struct {
		name     string
		needRoot bool
		setup    func(t *testing.T, dir string)
		want     []diffEntry
		wantErr  error
	}{
		{
			name: "files, directories and links in sorted order",
			setup: func(t *testing.T, dir string) {
				must(t, os.MkdirAll(filepath.Join(dir, "b/c"), 0o750))
				must(t, os.WriteFile(filepath.Join(dir, "b/c/f"), []byte("hello"), 0o640))
				must(t, os.WriteFile(filepath.Join(dir, "a"), nil, 0o755))
				must(t, os.Symlink("../a", filepath.Join(dir, "b/l")))
				must(t, os.Link(filepath.Join(dir, "b/c/f"), filepath.Join(dir, "z")))
				must(t, unix.Mkfifo(filepath.Join(dir, "b/p"), 0o600))
				// Modes as written whatever the umask.
				for p, m := range map[string]os.FileMode{"b": 0o750, "b/c": 0o750, "b/c/f": 0o640, "a": 0o755, "b/p": 0o600} {
					must(t, os.Chmod(filepath.Join(dir, p), m))
				}
			},
			want: []diffEntry{
				{Name: "a", Type: tar.TypeReg, Mode: 0o755},
				{Name: "b/", Type: tar.TypeDir, Mode: 0o750},
				{Name: "b/c/", Type: tar.TypeDir, Mode: 0o750},
				{Name: "b/c/f", Type: tar.TypeReg, Mode: 0o640, Body: "hello"},
				{Name: "b/l", Type: tar.TypeSymlink, Mode: 0o777, Linkname: "../a"},
				{Name: "b/p", Type: tar.TypeFifo, Mode: 0o600},
				{Name: "z", Type: tar.TypeLink, Mode: 0o640, Linkname: "b/c/f"},
			},
		},
		{
			name:     "a whiteout device becomes .wh.NAME",
			needRoot: true,
			setup: func(t *testing.T, dir string) {
				must(t, os.Mkdir(filepath.Join(dir, "etc"), 0o755))
				must(t, os.Chmod(filepath.Join(dir, "etc"), 0o755))
				must(t, unix.Mknod(filepath.Join(dir, "etc/motd"), unix.S_IFCHR|0o000, 0))
			},
			want: []diffEntry{
				{Name: "etc/", Type: tar.TypeDir, Mode: 0o755},
				{Name: "etc/.wh.motd", Type: tar.TypeReg, Mode: 0o600},
			},
		},
		{
			name:     "an opaque directory gets .wh..wh..opq and loses the overlay xattr",
			needRoot: true,
			setup: func(t *testing.T, dir string) {
				must(t, os.Mkdir(filepath.Join(dir, "var"), 0o755))
				must(t, unix.Setxattr(filepath.Join(dir, "var"), opaqueXattr, []byte("y"), 0))
				must(t, os.WriteFile(filepath.Join(dir, "var/new"), []byte("n"), 0o644))
				must(t, os.Chmod(filepath.Join(dir, "var"), 0o755))
				must(t, os.Chmod(filepath.Join(dir, "var/new"), 0o644))
			},
			want: []diffEntry{
				{Name: "var/", Type: tar.TypeDir, Mode: 0o755},
				{Name: "var/.wh..wh..opq", Type: tar.TypeReg, Mode: 0o600},
				{Name: "var/new", Type: tar.TypeReg, Mode: 0o644, Body: "n"},
			},
		},
		{
			name:     "other xattrs are kept, a real device is kept",
			needRoot: true,
			setup: func(t *testing.T, dir string) {
				must(t, os.WriteFile(filepath.Join(dir, "f"), nil, 0o644))
				must(t, unix.Setxattr(filepath.Join(dir, "f"), "trusted.mark", []byte("m"), 0))
				must(t, unix.Mknod(filepath.Join(dir, "null"), unix.S_IFCHR|0o666, int(unix.Mkdev(1, 3))))
				must(t, os.Chmod(filepath.Join(dir, "f"), 0o644))
				must(t, os.Chmod(filepath.Join(dir, "null"), 0o666))
			},
			want: []diffEntry{
				{Name: "f", Type: tar.TypeReg, Mode: 0o644, Xattrs: "trusted.mark=m"},
				{Name: "null", Type: tar.TypeChar, Mode: 0o666},
			},
		},
		{
			name:     "a redirected directory is refused",
			needRoot: true,
			setup: func(t *testing.T, dir string) {
				must(t, os.Mkdir(filepath.Join(dir, "moved"), 0o755))
				must(t, unix.Setxattr(filepath.Join(dir, "moved"), redirectXattr, []byte("/old"), 0))
			},
			wantErr: errOverlayFeature,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.needRoot && !root {
				t.Skip("needs root (device nodes, trusted xattrs)")
			}
			dir := t.TempDir()
			tt.setup(t, dir)
			var buf bytes.Buffer
			err := Diff(context.Background(), dir, &buf)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("Diff: got %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := readDiff(t, buf.Bytes()); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("entries:\n got %+v\nwant %+v", got, tt.want)
			}
			// Stable: the same tree gives the same bytes.
			var again bytes.Buffer
			must(t, Diff(context.Background(), dir, &again))
			if !bytes.Equal(buf.Bytes(), again.Bytes()) {
				t.Error("two diffs of the same tree differ")
			}
		})
	}
}

// TestDiffApplyRoundTrip: what Diff writes, Apply turns back into the same
// overlay form.
func TestDiffApplyRoundTrip(t *testing.T) {
	if unix.Geteuid() != 0 {
		t.Skip("needs root (whiteouts)")
	}
	src := t.TempDir()
	must(t, os.Mkdir(filepath.Join(src, "d"), 0o755))
	must(t, unix.Setxattr(filepath.Join(src, "d"), opaqueXattr, []byte("y"), 0))
	must(t, unix.Mknod(filepath.Join(src, "gone"), unix.S_IFCHR, 0))
	must(t, os.WriteFile(filepath.Join(src, "d/f"), []byte("x"), 0o644))
	var buf bytes.Buffer
	must(t, Diff(context.Background(), src, &buf))
	dst := t.TempDir()
	if _, err := Apply(context.Background(), dst, &buf, Options{}); err != nil {
		t.Fatal(err)
	}
	var st unix.Stat_t
	must(t, unix.Lstat(filepath.Join(dst, "gone"), &st))
	if st.Mode&unix.S_IFMT != unix.S_IFCHR || st.Rdev != 0 {
		t.Errorf("gone: mode %o rdev %d, want a whiteout device", st.Mode, st.Rdev)
	}
	v := make([]byte, 8)
	n, err := unix.Getxattr(filepath.Join(dst, "d"), opaqueXattr, v)
	if err != nil || string(v[:n]) != "y" {
		t.Errorf("d: opaque xattr %q, %v", v[:n], err)
	}
	if b, err := os.ReadFile(filepath.Join(dst, "d/f")); err != nil || string(b) != "x" {
		t.Errorf("d/f: %q, %v", b, err)
	}
}

// What Diff reads is opened below the root without following a symlink, so a directory that a
// running container swaps for a symlink cannot bring a host file into the layer.
func TestDiffOpensInsideTheRoot(t *testing.T) {
	root := t.TempDir()
	must(t, os.Symlink("/etc", filepath.Join(root, "swapped")))
	must(t, os.Mkdir(filepath.Join(root, "d"), 0o755))
	must(t, os.WriteFile(filepath.Join(root, "d", "f"), []byte("x"), 0o644))
	fd, err := unix.Open(root, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	must(t, err)
	defer unix.Close(fd)
	d := &differ{root: root, rootFd: fd}
	for _, rel := range []string{"swapped/passwd", "swapped", "../../../etc/passwd"} {
		if f, err := d.open(rel, unix.O_RDONLY); err == nil {
			f.Close()
			t.Errorf("open %q succeeded, want it refused", rel)
		}
	}
	f, err := d.open("d/f", unix.O_RDONLY)
	must(t, err)
	f.Close()
}
