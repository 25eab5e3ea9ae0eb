package copyfs

import (
	"errors"
	"testing"
)

func TestPlan(t *testing.T) {
	file := func(p string) Endpoint { return Endpoint{Path: p, Exists: true} }
	dir := func(p string) Endpoint { return Endpoint{Path: p, Exists: true, IsDir: true} }
	none := func(p string) Endpoint { return Endpoint{Path: p} }
	cases := []struct {
		name      string
		src, dst  Endpoint
		dir, base string
		err       error
	}{
		{"file to new name", file("/a/f"), none("/h/g"), "/h", "g", nil},
		{"file to new name in missing dir", file("/a/f"), none("/h/g/"), "", "", ErrNoDestDir},
		{"file over file", file("/a/f"), file("/h/g"), "/h", "g", nil},
		{"file into dir", file("/a/f"), dir("/h"), "/h", "f", nil},
		{"file with a slash", file("/a/f/"), dir("/h"), "", "", ErrNotDir},
		{"file with slash dot", file("/a/f/."), dir("/h"), "", "", ErrNotDir},
		{"file to a file with a slash", file("/a/f"), file("/h/g/"), "", "", ErrNotDir},
		{"dir to new name", dir("/a/d"), none("/h/n"), "/h", "n", nil},
		{"dir to new name with slash", dir("/a/d"), none("/h/n/"), "/h", "n", nil},
		{"dir into dir", dir("/a/d"), dir("/h"), "/h", "d", nil},
		{"dir contents into dir", dir("/a/d/."), dir("/h"), "/h", "", nil},
		{"dir with slash into dir", dir("/a/d/"), dir("/h/"), "/h", "d", nil},
		{"dir to file", dir("/a/d"), file("/h/g"), "", "", ErrDirToFile},
		{"missing source", none("/a/x"), dir("/h"), "", "", ErrSourceGone},
		{"root contents", dir("/."), dir("/h"), "/h", "", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d, b, err := Plan(c.src, c.dst)
			if c.err != nil {
				if !errors.Is(err, c.err) {
					t.Fatalf("Plan = %q %q %v, want error %v", d, b, err, c.err)
				}
				return
			}
			if err != nil || d != c.dir || b != c.base {
				t.Fatalf("Plan = %q %q %v, want %q %q", d, b, err, c.dir, c.base)
			}
		})
	}
}
