//go:build linux

package build

import (
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

func mustDo(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func writeFiles(t *testing.T, root string, files map[string]string) {
	t.Helper()
	for p, body := range files {
		full := filepath.Join(root, p)
		mustDo(t, os.MkdirAll(filepath.Dir(full), 0o755))
		switch {
		case strings.HasPrefix(body, "->"):
			mustDo(t, os.Symlink(strings.TrimPrefix(body, "->"), full))
		case strings.HasSuffix(p, "/"):
			mustDo(t, os.MkdirAll(full, 0o755))
		default:
			mustDo(t, os.WriteFile(full, []byte(body), 0o644))
		}
	}
}

// TestLayerTree: the merged view of layers, as overlay shows it.
func TestLayerTree(t *testing.T) {
	if unix.Geteuid() != 0 {
		t.Skip("needs root (whiteout devices, trusted xattrs)")
	}
	lower, upper := t.TempDir(), t.TempDir()
	writeFiles(t, lower, map[string]string{"a": "lower a", "gone": "x", "d/old": "old", "keep/k": "k"})
	writeFiles(t, upper, map[string]string{"a": "upper a", "d/new": "new", "keep/u": "u"})
	mustDo(t, unix.Mknod(filepath.Join(upper, "gone"), unix.S_IFCHR, 0))
	mustDo(t, unix.Setxattr(filepath.Join(upper, "d"), "trusted.overlay.opaque", []byte("y"), 0))
	tree := &LayerTree{Layers: []string{upper, lower}}

	tests := []struct {
		path   string
		exists bool
		body   string
	}{
		{"a", true, "upper a"},
		{"gone", false, ""},
		{"d/old", false, ""}, // below an opaque directory
		{"d/new", true, "new"},
		{"keep/k", true, "k"},
		{"keep/u", true, "u"},
	}
	for _, tt := range tests {
		e, err := Resolve(tree, tt.path)
		if (err == nil) != tt.exists {
			t.Errorf("Resolve(%q): %v, want exists=%v", tt.path, err, tt.exists)
			continue
		}
		if tt.exists {
			if b, _ := os.ReadFile(e.Host); string(b) != tt.body {
				t.Errorf("%s reads %q, want %q", tt.path, b, tt.body)
			}
		}
	}
	for dir, want := range map[string]string{"": "a d keep", "d": "new", "keep": "k u"} {
		names, err := tree.readDir(dir)
		mustDo(t, err)
		sort.Strings(names)
		if strings.Join(names, " ") != want {
			t.Errorf("readDir(%q) = %v, want %s", dir, names, want)
		}
	}
}

// TestResolveStaysInside: symbolic links are followed inside the tree only.
func TestResolveStaysInside(t *testing.T) {
	root := t.TempDir()
	writeFiles(t, root, map[string]string{
		"etc/passwd":   "inside",
		"abs":          "->/etc",
		"rel":          "->../../../etc",
		"loop":         "->loop",
		"file":         "f",
		"dir/":         "",
		"dir/up":       "->..",
		"dir/finallnk": "->/etc/passwd",
	})
	tree := &DirTree{Dir: root}
	for _, p := range []string{"abs/passwd", "rel/passwd", "dir/up/etc/passwd"} {
		e, err := Resolve(tree, p)
		if err != nil {
			t.Errorf("Resolve(%q): %v", p, err)
			continue
		}
		if e.Host != filepath.Join(root, "etc/passwd") {
			t.Errorf("Resolve(%q) = %s, want the tree's etc/passwd", p, e.Host)
		}
	}
	// A final link is not followed.
	if e, err := Resolve(tree, "dir/finallnk"); err != nil || e.Info.Mode()&fs.ModeSymlink == 0 {
		t.Errorf("final link: %v %v", e.Info, err)
	}
	for _, p := range []string{"loop/x", "file/x", "nothere"} {
		if _, err := Resolve(tree, p); err == nil {
			t.Errorf("Resolve(%q) succeeded", p)
		}
	}
}

func TestGlob(t *testing.T) {
	root := t.TempDir()
	writeFiles(t, root, map[string]string{"a.txt": "", "b.txt": "", "c.md": "", "sub/d.txt": "", "x.key": ""})
	ig, _ := NewIgnore([]string{"b.txt"})
	tree := &DirTree{Dir: root, Ignore: ig}
	tests := []struct {
		pattern string
		want    string
	}{
		{"*.txt", "a.txt"},
		{"*/*.txt", "sub/d.txt"},
		{"?.md", "c.md"},
		{"/sub/../a.txt", "a.txt"},
		{"[ax].*", "a.txt x.key"},
	}
	for _, tt := range tests {
		es, err := Glob(tree, tt.pattern)
		if err != nil {
			t.Errorf("Glob(%q): %v", tt.pattern, err)
			continue
		}
		var got []string
		for _, e := range es {
			got = append(got, e.Rel)
		}
		if strings.Join(got, " ") != tt.want {
			t.Errorf("Glob(%q) = %v, want %s", tt.pattern, got, tt.want)
		}
	}
	for _, p := range []string{"*.none", "b.txt"} {
		if _, err := Glob(tree, p); !IsNotExist(err) {
			t.Errorf("Glob(%q): %v, want not found", p, err)
		}
	}
}
