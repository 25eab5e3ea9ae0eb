package build

import (
	"io/fs"
	"path"
	"strings"
)

// Exclude returns t less the paths below base that one of patterns
// (.dockerignore syntax, relative to base) matches: a COPY --exclude of a
// source whose fixed part is base. A match hides a path from Glob, Walk and
// the copy alike.
func Exclude(t Tree, base string, patterns []string) (Tree, error) {
	ig, err := NewIgnore(patterns)
	if err != nil {
		return nil, err
	}
	return &excludeTree{t: t, base: cleanRel(base), ig: ig}, nil
}

type excludeTree struct {
	t    Tree
	base string
	ig   *Ignore
}

func (x *excludeTree) hidden(rel string) bool {
	r := rel
	if x.base != "" {
		if !strings.HasPrefix(rel, x.base+"/") {
			return false
		}
		r = strings.TrimPrefix(rel, x.base+"/")
	}
	return r != "" && x.ig.Excluded(r)
}

func (x *excludeTree) lstat(rel string) (fs.FileInfo, string, error) {
	if x.hidden(rel) {
		return nil, "", fs.ErrNotExist
	}
	return x.t.lstat(rel)
}

func (x *excludeTree) readDir(rel string) ([]string, error) {
	names, err := x.t.readDir(rel)
	if err != nil {
		return nil, err
	}
	out := names[:0]
	for _, n := range names {
		if !x.hidden(path.Join(rel, n)) {
			out = append(out, n)
		}
	}
	return out, nil
}

// SourceBase is the fixed part of a COPY source: the directories before its
// first glob, or, without a glob, the source itself when it is a directory
// of t and its parent otherwise. --exclude patterns are relative to it.
func SourceBase(t Tree, src string) string {
	src = cleanRel(src)
	if !HasMeta(src) {
		if e, err := Resolve(t, src); err == nil && e.Info.IsDir() {
			return src
		}
		if d := path.Dir(src); d != "." {
			return d
		}
		return ""
	}
	var fixed []string
	for _, part := range strings.Split(src, "/") {
		if HasMeta(part) {
			break
		}
		fixed = append(fixed, part)
	}
	return strings.Join(fixed, "/")
}

// ParentsDest is where COPY --parents puts the entry e of the source src
// under dest (a directory): dest joined with e's path, less what precedes
// a "/./" pivot in src. For a directory, its contents go there; for a
// file, the returned directory (ending in "/") holds it.
func ParentsDest(src string, e Entry, dest string) string {
	rel := e.Rel
	for strings.HasPrefix(src, "./") || strings.HasPrefix(src, "/") {
		src = strings.TrimPrefix(strings.TrimPrefix(src, "./"), "/")
	}
	if i := strings.Index(src, "/./"); i >= 0 {
		pivot := cleanRel(src[:i])
		if pivot != "" && strings.HasPrefix(rel, pivot+"/") {
			rel = strings.TrimPrefix(rel, pivot+"/")
		}
	}
	if e.Info.IsDir() {
		return path.Join(dest, rel)
	}
	return path.Join(dest, path.Dir(rel)) + "/"
}
