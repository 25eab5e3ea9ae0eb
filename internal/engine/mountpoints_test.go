package engine

import (
	"archive/tar"
	"bytes"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"testing"

	"github.com/geedocker/geedocker/internal/layerfs"
)

// tree makes a directory from paths: "d/" a directory, "f" an empty file, "f=x" a file
// holding x, "l->t" a symbolic link to t.
func tree(t *testing.T, paths ...string) string {
	t.Helper()
	root := t.TempDir()
	for _, p := range paths {
		full := filepath.Join(root, p)
		var err error
		switch {
		case p[len(p)-1] == '/':
			err = os.MkdirAll(full, 0o755)
		case bytes.Contains([]byte(p), []byte("->")):
			i := bytes.Index([]byte(p), []byte("->"))
			err = os.Symlink(p[i+2:], filepath.Join(root, p[:i]))
		case bytes.Contains([]byte(p), []byte("=")):
			i := bytes.IndexByte([]byte(p), '=')
			err = os.WriteFile(filepath.Join(root, p[:i]), []byte(p[i+1:]), 0o644)
		default:
			err = os.WriteFile(full, nil, 0o644)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	return root
}

func TestMadeMountPoints(t *testing.T) {
	outside := tree(t, "etc/", "etc/hosts")
	tests := []struct {
		name         string
		upper, lower []string
		want         []string
	}{
		{"none made", []string{"etc/", "etc/passwd=x"}, []string{"etc/", "etc/passwd", "proc/"}, nil},
		{"the image lacks them", []string{"etc/", "etc/resolv.conf", "etc/hostname", "proc/", "dev/"},
			[]string{"etc/", "etc/hosts"}, []string{"dev", "etc/hostname", "etc/resolv.conf", "proc"}},
		{"the image has them", []string{"etc/", "etc/resolv.conf", "proc/"}, []string{"etc/", "etc/resolv.conf", "proc/"}, nil},
		{"written by the container", []string{"etc/", "etc/resolv.conf=nameserver 10.0.0.1\n"}, []string{"etc/"}, nil},
		{"a directory with content", []string{"dev/", "dev/null"}, []string{"etc/"}, nil},
		{"a link where a file is", []string{"etc/", "etc/hosts->/etc/hosts"}, []string{"etc/"}, nil},
		{"through a link in upper", []string{"etc->" + filepath.Join(outside, "etc")}, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			made := madeMountPoints(tree(t, tt.upper...), []string{tree(t, tt.lower...)})
			var got []string
			for m := range made {
				got = append(got, m)
			}
			sort.Strings(got)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("made = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestWithoutMountPoints(t *testing.T) {
	ch := func(kind, p string) layerfs.Change { return layerfs.Change{Kind: kind, Path: p} }
	made := map[string]bool{"etc/resolv.conf": true, "etc/hostname": true, "proc": true}
	tests := []struct {
		name     string
		in, want []layerfs.Change
		withMade map[string]bool
	}{
		{"only the mount points",
			[]layerfs.Change{ch("C", "/etc"), ch("A", "/etc/hostname"), ch("A", "/etc/resolv.conf"), ch("A", "/proc")},
			nil, made},
		{"other changes stay",
			[]layerfs.Change{ch("A", "/data"), ch("C", "/etc"), ch("C", "/etc/passwd"), ch("A", "/etc/resolv.conf"), ch("A", "/run/x")},
			[]layerfs.Change{ch("A", "/data"), ch("C", "/etc"), ch("C", "/etc/passwd"), ch("A", "/run/x")}, made},
		{"a sibling sorted between",
			[]layerfs.Change{ch("C", "/etc"), ch("A", "/etc-old"), ch("A", "/etc/resolv.conf"), ch("A", "/etc/x")},
			[]layerfs.Change{ch("C", "/etc"), ch("A", "/etc-old"), ch("A", "/etc/x")}, made},
		{"an image without /etc",
			[]layerfs.Change{ch("A", "/etc"), ch("A", "/etc/resolv.conf")}, nil, made},
		{"nothing made", []layerfs.Change{ch("C", "/etc"), ch("A", "/etc/resolv.conf")},
			[]layerfs.Change{ch("C", "/etc"), ch("A", "/etc/resolv.conf")}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := withoutMountPoints(tt.in, tt.withMade); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestCopyWithoutMountPoints(t *testing.T) {
	type entry struct{ name, body string }
	mk := func(entries ...entry) []byte {
		var b bytes.Buffer
		tw := tar.NewWriter(&b)
		for _, e := range entries {
			h := &tar.Header{Name: e.name, Mode: 0o644, Typeflag: tar.TypeReg, Size: int64(len(e.body)), Format: tar.FormatPAX}
			if e.name[len(e.name)-1] == '/' {
				h.Typeflag, h.Mode, h.Size = tar.TypeDir, 0o755, 0
			}
			if err := tw.WriteHeader(h); err != nil {
				t.Fatal(err)
			}
			io.WriteString(tw, e.body)
		}
		tw.Close()
		return b.Bytes()
	}
	made := map[string]bool{"etc/resolv.conf": true, "proc": true}
	tests := []struct {
		name string
		in   []entry
		want []entry
	}{
		{"only the mount points", []entry{{"etc/", ""}, {"etc/resolv.conf", ""}, {"proc/", ""}}, nil},
		{"other changes stay",
			[]entry{{"data/", ""}, {"data/f", "x"}, {"etc/", ""}, {"etc/passwd", "root"}, {"etc/resolv.conf", ""}, {"proc/", ""}, {"x", "y"}},
			[]entry{{"data/", ""}, {"data/f", "x"}, {"etc/", ""}, {"etc/passwd", "root"}, {"x", "y"}}},
		{"a sibling after the parent",
			[]entry{{"etc/", ""}, {"etc/resolv.conf", ""}, {"etc2/", ""}, {"etc2/f", "z"}},
			[]entry{{"etc2/", ""}, {"etc2/f", "z"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			if err := copyWithoutMountPoints(&out, bytes.NewReader(mk(tt.in...)), made); err != nil {
				t.Fatal(err)
			}
			var got []entry
			tr := tar.NewReader(&out)
			for {
				h, err := tr.Next()
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				body, _ := io.ReadAll(tr)
				got = append(got, entry{h.Name, string(body)})
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}
