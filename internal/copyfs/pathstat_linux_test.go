package copyfs

import (
	"archive/tar"
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

func TestPathStat(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "d", "sub"), 0o755)
	os.WriteFile(filepath.Join(dir, "d", "f"), []byte("hello"), 0o640)
	os.Symlink("/d", filepath.Join(dir, "abs"))
	os.Symlink("d/f", filepath.Join(dir, "rel"))
	os.Symlink("/../../../etc", filepath.Join(dir, "out"))
	r, err := OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	for _, tc := range []struct {
		path, name string
		exists     bool
		mode       os.FileMode
		size       int64
		link       string
	}{
		{path: "/d/f", name: "f", exists: true, mode: 0o640, size: 5},
		{path: "d", name: "d", exists: true, mode: os.ModeDir | 0o755},
		{path: "/d/", name: "d", exists: true, mode: os.ModeDir | 0o755},
		{path: "/d/.", name: ".", exists: true, mode: os.ModeDir | 0o755},
		{path: "/", name: "/", exists: true, mode: os.ModeDir},
		{path: "/abs", name: "abs", exists: true, mode: os.ModeSymlink | 0o777, link: "/d"},
		{path: "/rel", name: "rel", exists: true, mode: os.ModeSymlink | 0o777, link: "/d/f"},
		{path: "/out", name: "out", exists: true, mode: os.ModeSymlink | 0o777}, // resolved inside the root: no /etc there
		{path: "/abs/f", name: "f", exists: true, mode: 0o640, size: 5},
		{path: "/nope", exists: false},
		{path: "/d/f/x", exists: false},
	} {
		st, ok, err := r.PathStat(tc.path)
		if err != nil || ok != tc.exists {
			t.Errorf("PathStat(%q): exists %v, %v; want %v", tc.path, ok, err, tc.exists)
			continue
		}
		if !ok {
			continue
		}
		if tc.path == "/" { // the temp dir's own permissions
			st.Mode &^= os.ModePerm
		}
		if st.Name != tc.name || st.Mode != tc.mode || (tc.size != 0 && st.Size != tc.size) {
			t.Errorf("PathStat(%q) = %+v; want name %q mode %v size %d", tc.path, st, tc.name, tc.mode, tc.size)
		}
		if tc.path != "/out" && st.LinkTarget != tc.link {
			t.Errorf("PathStat(%q).LinkTarget = %q, want %q", tc.path, st.LinkTarget, tc.link)
		}
		if tc.path == "/out" && strings.HasPrefix(st.LinkTarget, "/etc") && st.LinkTarget != "/../../../etc" {
			t.Errorf("PathStat(/out).LinkTarget = %q: resolved outside the root", st.LinkTarget)
		}
	}
}

func TestExtractNoOverwriteDirNonDir(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("the unpacker sets owners: needs root")
	}
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "d"), 0o755)
	os.WriteFile(filepath.Join(dir, "f"), nil, 0o644)
	r, err := OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	tarOf := func(hs ...*tar.Header) *bytes.Buffer {
		var b bytes.Buffer
		tw := tar.NewWriter(&b)
		for _, h := range hs {
			tw.WriteHeader(h)
		}
		tw.Close()
		return &b
	}
	for _, tc := range []struct {
		name string
		h    *tar.Header
		want string
	}{
		{"file over directory", &tar.Header{Name: "d", Typeflag: tar.TypeReg, Mode: 0o644}, "cannot overwrite directory"},
		{"directory over file", &tar.Header{Name: "f/", Typeflag: tar.TypeDir, Mode: 0o755}, "cannot overwrite non-directory"},
		{"new file", &tar.Header{Name: "./new", Typeflag: tar.TypeReg, Mode: 0o644, Uid: 1234}, ""},
		{"directory over directory", &tar.Header{Name: "d/", Typeflag: tar.TypeDir, Mode: 0o755}, ""},
	} {
		err := r.ExtractWith(context.Background(), "/", tarOf(tc.h), ExtractOptions{NoOverwriteDirNonDir: true, RootOwned: true})
		if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
		}
	}
	if st, err := os.Stat(filepath.Join(dir, "new")); err != nil || st.Sys().(*syscall.Stat_t).Uid != 0 {
		t.Errorf("new: %v, want it root's (the tar says 1234)", err)
	}
	if fi, err := os.Stat(filepath.Join(dir, "d")); err != nil || !fi.IsDir() {
		t.Errorf("d is no longer a directory: %v", err)
	}
}
