package archive

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
)

// With Options.Files an archive is of files, not a layer: whiteout names
// and the aufs metadata directories are ordinary names, and a directory
// already holding a file of the hidden name keeps it.
func TestApplyFilesKeepsWhiteoutNames(t *testing.T) {
	root := t.TempDir()
	if err := os.WriteFile(filepath.Join(root, "passwd"), []byte("host"), 0o600); err != nil {
		t.Fatal(err)
	}
	entries := []tarEntry{file(".wh.passwd", "a"), file(".wh..wh..opq", "b"), dir(".wh..wh.plnk"), file(".wh..wh.plnk/x", "c"), file("d/.wh.e", "d")}
	if _, err := Apply(context.Background(), root, bytes.NewReader(writeTar(entries)), Options{Files: true}); err != nil {
		t.Fatalf("Apply: %v", err)
	}
	for name, want := range map[string]string{"passwd": "host", ".wh.passwd": "a", ".wh..wh..opq": "b", ".wh..wh.plnk/x": "c", "d/.wh.e": "d"} {
		if got, err := os.ReadFile(filepath.Join(root, name)); err != nil || string(got) != want {
			t.Errorf("%s: %q, %v; want %q", name, got, err, want)
		}
	}
}
