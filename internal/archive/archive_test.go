package archive

import (
	"archive/tar"
	"bytes"
	"errors"
	"io"
	"maps"
	"strings"
	"testing"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

func TestCleanName(t *testing.T) {
	tests := []struct {
		name    string
		want    string
		wantErr error
	}{
		{name: "etc/passwd", want: "etc/passwd"},
		{name: "./etc/passwd", want: "etc/passwd"},
		{name: "etc/", want: "etc"},
		{name: "a//b/./c/", want: "a/b/c"},
		{name: "a/../b", want: "b"},
		{name: "/etc/x", want: "etc/x"},
		{name: "//etc/x", want: "etc/x"},
		{name: "/../x", want: "x"},
		{name: "/../../../x", want: "x"},
		{name: "/a/../../x", want: "x"},
		{name: "./", want: ""},
		{name: ".", want: ""},
		{name: "/", want: ""},
		{name: "a/..", want: ""},
		{name: "..x", want: "..x"},
		{name: "x..", want: "x.."},
		{name: "", wantErr: errEmptyName},
		{name: "..", wantErr: errEscape},
		{name: "../", wantErr: errEscape},
		{name: "../x", wantErr: errEscape},
		{name: "./../x", wantErr: errEscape},
		{name: "a/../../x", wantErr: errEscape},
		{name: "a/b/../../../x", wantErr: errEscape},
		{name: "a/./../b/../../../x", wantErr: errEscape},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := cleanName(tt.name)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("cleanName(%q) error = %v, want %v", tt.name, err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("cleanName(%q) = %q, want %q", tt.name, got, tt.want)
			}
		})
	}
}

func TestSplitPath(t *testing.T) {
	tests := []struct{ in, parent, base string }{
		{"a", "", "a"},
		{"a/b", "a", "b"},
		{"a/b/c", "a/b", "c"},
	}
	for _, tt := range tests {
		parent, base := splitPath(tt.in)
		if parent != tt.parent || base != tt.base {
			t.Errorf("splitPath(%q) = %q, %q; want %q, %q", tt.in, parent, base, tt.parent, tt.base)
		}
	}
}

func TestClassifyWhiteout(t *testing.T) {
	tests := []struct {
		base    string
		kind    whiteoutKind
		hidden  string
		wantErr error
	}{
		{base: "passwd", kind: notWhiteout},
		{base: ".whatever", kind: notWhiteout},
		{base: "wh.x", kind: notWhiteout},
		{base: ".wh.passwd", kind: whiteoutFile, hidden: "passwd"},
		{base: ".wh..bashrc", kind: whiteoutFile, hidden: ".bashrc"},
		{base: ".wh....", kind: whiteoutFile, hidden: "..."},
		{base: ".wh..wh..opq", kind: whiteoutDir},
		{base: ".wh..wh.plnk", kind: whiteoutMeta},
		{base: ".wh..wh..plnk", kind: whiteoutMeta},
		{base: ".wh.", wantErr: errBadWhiteout},
		{base: ".wh..", wantErr: errBadWhiteout},
		{base: ".wh...", wantErr: errBadWhiteout},
	}
	for _, tt := range tests {
		t.Run(tt.base, func(t *testing.T) {
			kind, hidden, err := classifyWhiteout(tt.base)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("error = %v, want %v", err, tt.wantErr)
			}
			if kind != tt.kind || hidden != tt.hidden {
				t.Errorf("classifyWhiteout(%q) = %v, %q; want %v, %q", tt.base, kind, hidden, tt.kind, tt.hidden)
			}
		})
	}
}

func TestInAufsMetaDir(t *testing.T) {
	tests := map[string]bool{
		"":                   false,
		"etc":                false,
		"etc/.wh..wh.plnk":   false,
		".wh.etc":            false,
		".wh..wh.plnk":       true,
		".wh..wh.plnk/sub":   true,
		".wh..wh.orph/a/b/c": true,
	}
	for parent, want := range tests {
		if got := inAufsMetaDir(parent); got != want {
			t.Errorf("inAufsMetaDir(%q) = %v, want %v", parent, got, want)
		}
	}
}

func TestLayerXattrs(t *testing.T) {
	pax := map[string]string{
		"SCHILY.xattr.security.capability":      "\x01\x00\x00\x02",
		"SCHILY.xattr.user.note":                "hello",
		"SCHILY.xattr.trusted.overlay.opaque":   "y",
		"SCHILY.xattr.trusted.overlay.redirect": "/elsewhere",
		"SCHILY.xattr.":                         "nameless",
		"atime":                                 "1.5",
		"LIBARCHIVE.xattr.user.other":           "ignored",
	}
	want := map[string]string{
		"security.capability": "\x01\x00\x00\x02",
		"user.note":           "hello",
	}
	if got := layerXattrs(pax); !maps.Equal(got, want) {
		t.Errorf("layerXattrs = %q, want %q", got, want)
	}
	if got := layerXattrs(nil); len(got) != 0 {
		t.Errorf("layerXattrs(nil) = %q, want none", got)
	}
}

func TestDecompress(t *testing.T) {
	plain := tarBytes(t, tar.FormatPAX)
	gnu := tarBytes(t, tar.FormatGNU)
	ustar := tarBytes(t, tar.FormatUSTAR)

	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(plain)
	zw.Close()

	var zs bytes.Buffer
	sw, err := zstd.NewWriter(&zs)
	if err != nil {
		t.Fatal(err)
	}
	sw.Write(plain)
	sw.Close()

	tests := []struct {
		name    string
		in      []byte
		want    []byte // the uncompressed stream
		wantErr string // substring of the error from Decompress
	}{
		{name: "gzip", in: gz.Bytes(), want: plain},
		{name: "zstd", in: zs.Bytes(), want: plain},
		{name: "plain pax tar", in: plain, want: plain},
		{name: "plain gnu tar", in: gnu, want: gnu},
		{name: "plain ustar tar", in: ustar, want: ustar},
		{name: "empty archive", in: make([]byte, 1024), want: make([]byte, 1024)},
		{name: "no bytes", in: nil, want: nil},
		{name: "garbage", in: bytes.Repeat([]byte("not a layer "), 100), wantErr: "unrecognized layer format"},
		{name: "short garbage", in: []byte("abc"), wantErr: "unrecognized layer format"},
		{name: "json", in: []byte(`{"schemaVersion": 2}`), wantErr: "unrecognized layer format"},
		{name: "xz", in: []byte{0xfd, '7', 'z', 'X', 'Z', 0x00, 0, 0}, wantErr: "xz-compressed layers are not supported"},
		{name: "bzip2", in: []byte("BZh91AY&SY"), wantErr: "bzip2-compressed layers are not supported"},
		{name: "gzip with a broken header", in: []byte{0x1f, 0x8b, 0xff, 0xff}, wantErr: "opening gzip layer"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rc, err := Decompress(bytes.NewReader(tt.in))
			if tt.wantErr != "" {
				if err == nil {
					rc.Close()
					t.Fatalf("Decompress succeeded, want error containing %q", tt.wantErr)
				}
				if !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Decompress error = %q, want it to contain %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Decompress: %v", err)
			}
			defer rc.Close()
			got, err := io.ReadAll(rc)
			if err != nil {
				t.Fatalf("reading: %v", err)
			}
			if !bytes.Equal(got, tt.want) {
				t.Errorf("got %d bytes, want the %d bytes of the tar stream", len(got), len(tt.want))
			}
		})
	}
}

func TestDecompressTruncated(t *testing.T) {
	plain := tarBytes(t, tar.FormatPAX)
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(plain)
	zw.Close()
	var zs bytes.Buffer
	sw, _ := zstd.NewWriter(&zs)
	sw.Write(plain)
	sw.Close()

	for name, blob := range map[string][]byte{"gzip": gz.Bytes(), "zstd": zs.Bytes()} {
		t.Run(name, func(t *testing.T) {
			rc, err := Decompress(bytes.NewReader(blob[:len(blob)-6]))
			if err != nil {
				t.Fatalf("Decompress: %v", err)
			}
			defer rc.Close()
			if _, err := io.ReadAll(rc); err == nil {
				t.Error("reading a truncated stream succeeded, want an error")
			}
		})
	}
}

// tarBytes returns a small tar archive in the given format.
func tarBytes(t *testing.T, format tar.Format) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	body := strings.Repeat("hello layer\n", 500)
	hdrs := []*tar.Header{
		{Name: "etc/", Typeflag: tar.TypeDir, Mode: 0o755, Format: format},
		{Name: "etc/motd", Typeflag: tar.TypeReg, Mode: 0o644, Size: int64(len(body)), Format: format},
	}
	for _, h := range hdrs {
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if h.Size > 0 {
			tw.Write([]byte(body))
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
