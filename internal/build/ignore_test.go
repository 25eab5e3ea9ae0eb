package build

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

func TestIgnore(t *testing.T) {
	tests := []struct {
		name     string
		patterns []string
		path     string
		excluded bool
	}{
		{"no patterns", nil, "a", false},
		{"plain name", []string{"secret"}, "secret", true},
		{"a parent is excluded", []string{"build"}, "build/out/x", true},
		{"glob at the root only", []string{"*.log"}, "sub/x.log", false},
		{"double star", []string{"**/*.log"}, "sub/deep/x.log", true},
		{"exception", []string{"*.md", "!README.md"}, "README.md", false},
		{"exception does not cover others", []string{"*.md", "!README.md"}, "NOTES.md", true},
		{"root is never excluded", []string{"*"}, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ig, err := NewIgnore(tt.patterns)
			if err != nil {
				t.Fatal(err)
			}
			if got := ig.Excluded(tt.path); got != tt.excluded {
				t.Errorf("Excluded(%q) with %q = %v, want %v", tt.path, tt.patterns, got, tt.excluded)
			}
		})
	}
}

func TestReadIgnore(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, ".dockerignore"), []byte("# comment\n*.key\n\n!keep.key\n/tmp/./x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ig, err := ReadIgnore(dir)
	if err != nil {
		t.Fatal(err)
	}
	for p, want := range map[string]bool{"a.key": true, "keep.key": false, "a.txt": false, "tmp/x": true} {
		if got := ig.Excluded(p); got != want {
			t.Errorf("Excluded(%q) = %v, want %v", p, got, want)
		}
	}
	// No .dockerignore excludes nothing.
	ig, err = ReadIgnore(t.TempDir())
	if err != nil || ig.Excluded("anything") {
		t.Errorf("without .dockerignore: %v, %v", ig.Excluded("anything"), err)
	}
}

// A .dockerignore that is a symbolic link is followed inside the context
// only: a link to a host file reads nothing of the host, a link inside the
// context is read, and a FIFO is refused rather than waited on.
func TestReadIgnoreLinks(t *testing.T) {
	outside := filepath.Join(t.TempDir(), "host-file")
	if err := os.WriteFile(outside, []byte("*\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Run("link out of the context", func(t *testing.T) {
		dir := t.TempDir()
		if err := os.Symlink(outside, filepath.Join(dir, ".dockerignore")); err != nil {
			t.Fatal(err)
		}
		ig, err := ReadIgnore(dir)
		if err != nil {
			t.Fatal(err)
		}
		if ig.Excluded("x") {
			t.Errorf("the patterns of %s, a host file, were read", outside)
		}
	})
	t.Run("link inside the context", func(t *testing.T) {
		dir := t.TempDir()
		os.WriteFile(filepath.Join(dir, "ignore"), []byte("x\n"), 0o644)
		os.Symlink("ignore", filepath.Join(dir, ".dockerignore"))
		ig, err := ReadIgnore(dir)
		if err != nil || !ig.Excluded("x") {
			t.Errorf("ReadIgnore: %v; want x excluded", err)
		}
	})
	t.Run("fifo", func(t *testing.T) {
		dir := t.TempDir()
		if err := syscall.Mkfifo(filepath.Join(dir, "fifo"), 0o644); err != nil {
			t.Skip(err)
		}
		os.Symlink("/fifo", filepath.Join(dir, ".dockerignore"))
		if _, err := ReadIgnore(dir); err == nil || err.Error() != "reading .dockerignore: not a regular file" {
			t.Errorf("ReadIgnore: %v", err)
		}
	})
}
