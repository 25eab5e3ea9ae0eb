package layerstream

import (
	"archive/tar"
	"bytes"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

type entry struct {
	name, body, link string
	typ              byte
}

func makeTar(t *testing.T, entries []entry, trailer int) []byte {
	t.Helper()
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	for _, e := range entries {
		h := &tar.Header{Name: e.name, Typeflag: e.typ, Linkname: e.link, Mode: 0o644, Size: int64(len(e.body))}
		if e.typ != tar.TypeReg {
			h.Size = 0
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		io.WriteString(tw, e.body)
	}
	tw.Close()
	b.Write(make([]byte, trailer))
	return b.Bytes()
}

// record runs the stream through Record and returns the metadata.
func record(t *testing.T, stream []byte) []byte {
	t.Helper()
	var meta bytes.Buffer
	rec, err := Record(bytes.NewReader(stream), &meta)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(rec)
	if err != nil {
		t.Fatal(err)
	}
	if err := rec.Finish(); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, stream) {
		t.Fatal("Record changed the stream")
	}
	return meta.Bytes()
}

// extract writes the regular files of entries below dir, as an unpacker would.
func extract(t *testing.T, dir string, entries []entry) {
	t.Helper()
	for _, e := range entries {
		p := filepath.Join(dir, e.name)
		switch e.typ {
		case tar.TypeDir:
			os.MkdirAll(p, 0o755)
		case tar.TypeReg:
			os.MkdirAll(filepath.Dir(p), 0o755)
			if err := os.WriteFile(p, []byte(e.body), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}

func TestRoundTrip(t *testing.T) {
	long := strings.Repeat("d/", 80) + "file"
	cases := []struct {
		name    string
		entries []entry
		trailer int
	}{
		{"empty", nil, 0},
		{"files and dirs", []entry{{name: "etc/", typ: tar.TypeDir}, {name: "etc/passwd", body: "root:x:0:0\n", typ: tar.TypeReg}, {name: "big", body: strings.Repeat("x", 3<<20), typ: tar.TypeReg}}, 0},
		{"links and whiteouts", []entry{{name: "a", body: "a", typ: tar.TypeReg}, {name: "l", link: "a", typ: tar.TypeSymlink}, {name: "h", link: "a", typ: tar.TypeLink}, {name: ".wh.gone", typ: tar.TypeReg}}, 0},
		{"long names", []entry{{name: long, body: "deep", typ: tar.TypeReg}}, 0},
		{"absolute names", []entry{{name: "/abs", body: "abs", typ: tar.TypeReg}, {name: "./dot", body: "dot", typ: tar.TypeReg}}, 0},
		{"padding after the end", []entry{{name: "f", body: "f", typ: tar.TypeReg}}, 10240},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			stream := makeTar(t, c.entries, c.trailer)
			meta := record(t, stream)
			dir := t.TempDir()
			extract(t, dir, c.entries)
			size, err := Size(bytes.NewReader(meta))
			if err != nil || size != int64(len(stream)) {
				t.Fatalf("Size = %d, %v; want %d", size, err, len(stream))
			}
			var out bytes.Buffer
			if err := Assemble(&out, bytes.NewReader(meta), dir); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(out.Bytes(), stream) {
				t.Fatalf("rebuilt stream differs (%d bytes, want %d)", out.Len(), len(stream))
			}
		})
	}
}

// TestAssembleConfined: a symbolic link planted in the layer directory never
// leads a read outside it.
func TestAssembleConfined(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("confinement needs openat2")
	}
	outside := t.TempDir()
	if err := os.WriteFile(filepath.Join(outside, "secret"), []byte("TOPSECRET!"), 0o644); err != nil {
		t.Fatal(err)
	}
	meta := record(t, makeTar(t, []entry{{name: "a/secret", body: "public....", typ: tar.TypeReg}}, 0))
	cases := []struct{ name, target string }{
		{"absolute", outside},
		{"relative", "../../../../../../../../" + outside},
		{"dotdot", ".."},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.Symlink(c.target, filepath.Join(dir, "a")); err != nil {
				t.Fatal(err)
			}
			var out bytes.Buffer
			err := Assemble(&out, bytes.NewReader(meta), dir)
			if err == nil || strings.Contains(out.String(), "TOPSECRET") {
				t.Fatalf("Assemble through a symlink to %q: err %v", c.target, err)
			}
		})
	}
	// A file whose size changed on disk is refused.
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "a"), 0o755)
	os.WriteFile(filepath.Join(dir, "a/secret"), []byte("pub"), 0o644)
	if err := Assemble(io.Discard, bytes.NewReader(meta), dir); err == nil || !strings.Contains(err.Error(), "has 3 bytes, the layer says 10") {
		t.Errorf("short file: %v", err)
	}
}
