//go:build linux

package build

import (
	"reflect"
	"testing"
)

func TestExcludeAndParents(t *testing.T) {
	root := t.TempDir()
	writeFiles(t, root, map[string]string{
		"dir/a.txt": "", "dir/keep.go": "", "dir/sub/skip": "", "dir/sub/kept": "",
		"home.md": "", "home.go": "", "x/y/b.txt": "", "link": "->/dir",
	})
	ctx := &DirTree{Dir: root}
	for _, c := range []struct {
		src, base string
		exclude   []string
		want      []string // what a Walk of the matches lists
	}{
		{"dir", "dir", []string{"*.txt", "sub/skip"}, []string{"dir", "dir/keep.go", "dir/sub", "dir/sub/kept"}},
		{"dir/", "dir", []string{"sub"}, []string{"dir", "dir/a.txt", "dir/keep.go"}},
		{"hom*", "", []string{"*.md"}, []string{"home.go"}},
		{"dir/keep.go", "dir", []string{"*.txt"}, []string{"dir/keep.go"}},
		{"dir/*", "dir", []string{"keep.go"}, []string{"dir/a.txt", "dir/sub", "dir/sub/kept", "dir/sub/skip"}},
	} {
		if got := SourceBase(ctx, c.src); got != c.base {
			t.Errorf("SourceBase(%q) = %q, want %q", c.src, got, c.base)
		}
		tree, err := Exclude(ctx, c.base, c.exclude)
		if err != nil {
			t.Fatal(err)
		}
		entries, err := Glob(tree, c.src)
		if err != nil {
			t.Fatalf("Glob(%q): %v", c.src, err)
		}
		var got []string
		for _, e := range entries {
			mustDo(t, Walk(tree, e, func(rel string, _ Entry) error {
				p := e.Rel
				if rel != "" {
					p += "/" + rel
				}
				got = append(got, p)
				return nil
			}))
		}
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("COPY --exclude=%v %s: %q, want %q", c.exclude, c.src, got, c.want)
		}
	}
	for _, c := range []struct{ src, rel, dest, want string }{
		{"x/y/b.txt", "x/y/b.txt", "/p", "/p/x/y/"},
		{"./x/./y/*.txt", "x/y/b.txt", "/p/", "/p/y/"},
		{"x/./y", "x/y", "/p", "/p/y"},
		{"/x/y/b.txt", "x/y/b.txt", "/p", "/p/x/y/"},
	} {
		e, err := Resolve(ctx, c.rel)
		mustDo(t, err)
		if got := ParentsDest(c.src, e, c.dest); got != c.want {
			t.Errorf("ParentsDest(%q, %s, %q) = %q, want %q", c.src, c.rel, c.dest, got, c.want)
		}
	}
}
