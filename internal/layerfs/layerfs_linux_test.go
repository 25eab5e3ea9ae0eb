package layerfs

import (
	"archive/tar"
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// layer builds a layer directory from specs: "d:path" a directory, "f:path=body" a
// file, "l:path>target" a symlink, "w:path" a whiteout, "o:path" an opaque directory.
func layer(t *testing.T, specs ...string) string {
	t.Helper()
	dir := t.TempDir()
	for _, s := range specs {
		kind, rest := s[:1], s[2:]
		switch kind {
		case "d", "o":
			p := filepath.Join(dir, rest)
			if err := os.MkdirAll(p, 0o755); err != nil {
				t.Fatal(err)
			}
			if kind == "o" {
				if err := unix.Setxattr(p, "trusted.overlay.opaque", []byte("y"), 0); err != nil {
					t.Fatal(err)
				}
			}
		case "f":
			name, body, _ := strings.Cut(rest, "=")
			os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755)
			if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
		case "l":
			name, target, _ := strings.Cut(rest, ">")
			if err := os.Symlink(target, filepath.Join(dir, name)); err != nil {
				t.Fatal(err)
			}
		case "w":
			os.MkdirAll(filepath.Dir(filepath.Join(dir, rest)), 0o755)
			if err := unix.Mknod(filepath.Join(dir, rest), unix.S_IFCHR, 0); err != nil {
				t.Fatal(err)
			}
		}
	}
	return dir
}

func exported(t *testing.T, layers []string) string {
	t.Helper()
	var buf bytes.Buffer
	if err := Export(context.Background(), &buf, layers); err != nil {
		t.Fatal(err)
	}
	return tarEntries(t, &buf)
}

func tarEntries(t *testing.T, buf *bytes.Buffer) string {
	t.Helper()
	var out []string
	tr := tar.NewReader(buf)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(tr)
		e := h.Name
		if len(b) > 0 {
			e += "=" + string(b)
		}
		if h.Linkname != "" {
			e += ">" + h.Linkname
		}
		out = append(out, e)
	}
	sort.Strings(out)
	return strings.Join(out, " ")
}

func TestExportAndChanges(t *testing.T) {
	cases := []struct {
		name          string
		needRoot      bool
		upper, lowers [][]string // upper: one layer; lowers: top first
		export        string
		changes       string
	}{
		{
			name:    "added and changed",
			upper:   [][]string{{"d:etc", "f:etc/passwd=new", "f:new=n"}},
			lowers:  [][]string{{"d:etc", "f:etc/passwd=old", "f:etc/group=g", "d:bin", "f:bin/sh=sh"}},
			export:  "bin/ bin/sh=sh etc/ etc/group=g etc/passwd=new new=n",
			changes: "C /etc C /etc/passwd A /new",
		},
		{
			name:    "layers merge, top wins",
			upper:   [][]string{{}},
			lowers:  [][]string{{"d:a", "f:a/x=top"}, {"d:a", "f:a/x=bottom", "f:a/y=y", "l:link>/etc"}},
			export:  "a/ a/x=top a/y=y link>/etc",
			changes: "",
		},
		{
			name:    "a symlink in a layer is not followed",
			upper:   [][]string{{"l:a>/"}},
			lowers:  [][]string{{"d:a", "f:a/x=x"}},
			export:  "a>/",
			changes: "C /a",
		},
		{
			name:     "whiteouts and opaque directories",
			needRoot: true,
			upper:    [][]string{{"d:etc", "w:etc/group", "o:data", "f:data/b=b"}},
			lowers:   [][]string{{"w:gone"}, {"d:etc", "f:etc/group=g", "f:etc/passwd=p", "d:data", "f:data/a=a", "f:gone=x"}},
			export:   "data/ data/b=b etc/ etc/passwd=p",
			changes:  "C /data A /data/b C /etc D /etc/group",
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.needRoot && os.Geteuid() != 0 {
				t.Skip("whiteouts are device nodes and opaque directories trusted xattrs: needs root")
			}
			upper := layer(t, c.upper[0]...)
			var lowers []string
			for _, l := range c.lowers {
				lowers = append(lowers, layer(t, l...))
			}
			if got := exported(t, append([]string{upper}, lowers...)); got != c.export {
				t.Errorf("export = %q, want %q", got, c.export)
			}
			ch, err := Changes(upper, lowers)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, x := range ch {
				got = append(got, x.Kind+" "+x.Path)
			}
			if strings.Join(got, " ") != c.changes {
				t.Errorf("changes = %q, want %q", strings.Join(got, " "), c.changes)
			}
		})
	}
}

// TestExportDir: the merged view below one directory, names relative to it; a path the
// image lacks, that is a file, or that leads through a symlink gives an empty archive.
func TestExportDir(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("whiteouts and opaque directories need root")
	}
	lower := layer(t, "d:data/sub", "f:data/sub/old=o", "f:data/a=a", "f:data/gone=g", "l:link>data", "f:file=f")
	upper := layer(t, "d:data", "w:data/gone", "o:data/sub", "f:data/sub/new=n", "f:data/b=b")
	layers := []string{upper, lower}
	for _, tc := range []struct{ p, want string }{
		{"/data", "a=a b=b sub/ sub/new=n"},
		{"data/sub/", "new=n"},
		{"/", "data/ data/a=a data/b=b data/sub/ data/sub/new=n file=f link>data"},
		{"/missing", ""},
		{"/file", ""},
		{"/link", ""},
		{"/link/sub", ""},
	} {
		var buf bytes.Buffer
		if err := ExportDir(context.Background(), &buf, layers, tc.p); err != nil {
			t.Fatalf("%s: %v", tc.p, err)
		}
		if got := tarEntries(t, &buf); got != tc.want {
			t.Errorf("ExportDir(%s) = %q, want %q", tc.p, got, tc.want)
		}
	}

	// Extended attributes come along, overlay's own do not.
	if err := unix.Setxattr(filepath.Join(upper, "data", "b"), "trusted.note", []byte("kept"), 0); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := ExportDir(context.Background(), &buf, layers, "/data"); err != nil {
		t.Fatal(err)
	}
	got := map[string]map[string]string{}
	tr := tar.NewReader(&buf)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		got[h.Name] = h.PAXRecords
	}
	if got["b"]["SCHILY.xattr.trusted.note"] != "kept" {
		t.Errorf("xattrs of b: %v", got["b"])
	}
	if _, ok := got["sub/"]["SCHILY.xattr.trusted.overlay.opaque"]; ok {
		t.Errorf("the opaque marker was exported: %v", got["sub/"])
	}
}
