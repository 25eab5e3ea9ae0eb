//go:build linux

package build

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func TestCopierSemantics(t *testing.T) {
	if unix.Geteuid() != 0 {
		t.Skip("needs root (owners)")
	}
	src := t.TempDir()
	writeFiles(t, src, map[string]string{"f": "file", "dir/a": "A", "dir/sub/b": "B"})
	tests := []struct {
		name    string
		below   map[string]string // the image
		src     string
		dest    string
		destDir bool
		want    []string // files that must exist in the new layer
	}{
		{"a directory's contents go into dest", nil, "dir", "/out", false, []string{"out/a", "out/sub/b"}},
		{"a file into a dest ending in /", nil, "f", "/out/", true, []string{"out/f"}},
		{"a file becomes dest", nil, "f", "/renamed", false, []string{"renamed"}},
		{"a file into a directory of the image", map[string]string{"tmp/": ""}, "f", "/tmp", false, []string{"tmp/f"}},
		{"through a symbolic link of the image", map[string]string{"real/": "", "var/run": "->/real"}, "f", "/var/run/", true, []string{"real/f"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			below := t.TempDir()
			writeFiles(t, below, tt.below)
			dst := t.TempDir()
			c := &Copier{Dst: dst, Below: []string{below}}
			tree := &DirTree{Dir: src}
			e, err := Resolve(tree, tt.src)
			mustDo(t, err)
			mustDo(t, c.Copy(tree, e, tt.dest, tt.destDir))
			for _, p := range tt.want {
				if fi, err := os.Lstat(filepath.Join(dst, p)); err != nil || !fi.Mode().IsRegular() {
					t.Errorf("%s: %v", p, err)
				}
			}
		})
	}
}

func TestCopierKeepsParentMetadata(t *testing.T) {
	if unix.Geteuid() != 0 {
		t.Skip("needs root (owners)")
	}
	below := t.TempDir()
	mustDo(t, os.Mkdir(filepath.Join(below, "tmp"), 0o755))
	mustDo(t, os.Chmod(filepath.Join(below, "tmp"), 0o777|os.ModeSticky))
	mustDo(t, os.Chown(filepath.Join(below, "tmp"), 5, 6))
	src := t.TempDir()
	writeFiles(t, src, map[string]string{"f": "x"})
	dst := t.TempDir()
	c := &Copier{Dst: dst, Below: []string{below}, Owner: &Owner{UID: 7, GID: 8}}
	tree := &DirTree{Dir: src}
	e, _ := Resolve(tree, "f")
	mustDo(t, c.Copy(tree, e, "/tmp/sub/f", false))
	var st unix.Stat_t
	mustDo(t, unix.Lstat(filepath.Join(dst, "tmp"), &st))
	if st.Mode&0o7777 != 0o1777 || st.Uid != 5 || st.Gid != 6 {
		t.Errorf("tmp: mode %o owner %d:%d, want the image's 1777 5:6", st.Mode&0o7777, st.Uid, st.Gid)
	}
	mustDo(t, unix.Lstat(filepath.Join(dst, "tmp/sub/f"), &st))
	if st.Uid != 7 || st.Gid != 8 {
		t.Errorf("f: owner %d:%d, want --chown's 7:8", st.Uid, st.Gid)
	}
}

// TestCopierNeverWritesThroughLinks: a source that plants a symbolic link
// and another that writes below it cannot reach outside the layer.
func TestCopierNeverWritesThroughLinks(t *testing.T) {
	outside := t.TempDir()
	one, two := t.TempDir(), t.TempDir()
	writeFiles(t, one, map[string]string{"x": "->" + outside})
	writeFiles(t, two, map[string]string{"x/evil": "pwned"})
	dst := t.TempDir()
	c := &Copier{Dst: dst}
	for _, src := range []string{one, two} {
		tree := &DirTree{Dir: src}
		root, _ := Resolve(tree, "")
		c.Copy(tree, root, "/", true)
	}
	if _, err := os.Lstat(filepath.Join(outside, "evil")); err == nil {
		t.Fatal("a copy wrote through a symbolic link out of the layer")
	}
}

func TestHashSources(t *testing.T) {
	src := t.TempDir()
	writeFiles(t, src, map[string]string{"d/a": "1", "d/b": "2"})
	tree := &DirTree{Dir: src}
	hash := func() string {
		e, err := Resolve(tree, "d")
		mustDo(t, err)
		h, err := HashSources(tree, []Entry{e})
		mustDo(t, err)
		return h
	}
	first := hash()
	if hash() != first {
		t.Fatal("the same files hash differently")
	}
	changes := []func(){
		func() { os.WriteFile(filepath.Join(src, "d/a"), []byte("changed"), 0o644) },
		func() { os.Chmod(filepath.Join(src, "d/a"), 0o600) },
		func() { os.WriteFile(filepath.Join(src, "d/c"), nil, 0o644) },
		func() { os.Rename(filepath.Join(src, "d/b"), filepath.Join(src, "d/bb")) },
	}
	prev := first
	for i, change := range changes {
		change()
		if h := hash(); h == prev {
			t.Errorf("change %d did not change the hash", i)
		} else {
			prev = h
		}
	}
	// Times are not part of it.
	os.Chtimes(filepath.Join(src, "d/a"), time0, time0)
	if hash() != prev {
		t.Error("a new modification time changed the hash")
	}
}

var time0 = time.Unix(1, 0)
