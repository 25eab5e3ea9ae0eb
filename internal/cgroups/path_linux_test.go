package cgroups

import (
	"os"
	"path/filepath"
	"testing"
)

func TestNewPath(t *testing.T) {
	tests := []struct {
		path       string
		wantParent string
		wantName   string
		wantErr    bool
	}{
		{"/a", ".", "a", false},
		{"/k8s/pod1/c1", "k8s/pod1", "c1", false},
		{"relative/x", "relative", "x", false},
		{"/a/../b", ".", "b", false}, // cleaned: nothing climbs out of the root
		{"/", "", "", true},
		{"", "", "", true},
		{"/a/.hidden", "", "", true},
		{"/a/b c", "", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			for _, mode := range []Mode{Legacy, Unified} {
				m, err := NewPath(mode, tt.path, Opts{Root: "/r"})
				if tt.wantErr {
					if err == nil {
						t.Fatalf("NewPath(%q) made %v", tt.path, m)
					}
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				var parent, name string
				switch m := m.(type) {
				case *v1:
					parent, name = m.parent, m.name
				case *v2:
					parent, name = m.parent, m.name
				}
				if parent != tt.wantParent || name != tt.wantName {
					t.Errorf("NewPath(%v, %q): parent %q name %q, want %q %q", mode, tt.path, parent, name, tt.wantParent, tt.wantName)
				}
			}
		})
	}
	if _, err := NewPath(Unavailable, "/a", Opts{}); err == nil {
		t.Error("no error without cgroups")
	}
}

func TestMkdirParents(t *testing.T) {
	base := t.TempDir()
	if err := os.WriteFile(filepath.Join(base, "cpuset.cpus"), []byte("0-1"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(base, "cpuset.mems"), []byte("0"), 0o644); err != nil {
		t.Fatal(err)
	}
	// A real cgroupfs fills a new directory with empty files; here the test does.
	mkdirHook := func(dir string) {
		for _, f := range []string{"cpuset.cpus", "cpuset.mems"} {
			_ = os.WriteFile(filepath.Join(dir, f), nil, 0o644)
		}
	}
	if err := os.MkdirAll(filepath.Join(base, "a"), 0o755); err != nil {
		t.Fatal(err)
	}
	mkdirHook(filepath.Join(base, "a"))
	if err := os.MkdirAll(filepath.Join(base, "a", "b"), 0o755); err != nil {
		t.Fatal(err)
	}
	mkdirHook(filepath.Join(base, "a", "b"))
	if err := mkdirParents(base, "a/b", true); err != nil {
		t.Fatal(err)
	}
	for _, dir := range []string{"a", "a/b"} {
		b, _ := os.ReadFile(filepath.Join(base, dir, "cpuset.cpus"))
		if string(b) != "0-1" {
			t.Errorf("%s/cpuset.cpus = %q, want the root's", dir, b)
		}
	}
	if err := mkdirParents(base, ".", true); err != nil {
		t.Errorf("no levels: %v", err)
	}
}
