package build

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
)

// Tree is a file tree that COPY and ADD read from: a build context or the
// layers of an image. Paths are slash-separated, relative to the tree's
// root ("" is the root); they are resolved by Resolve, never by the host.
type Tree interface {
	// lstat returns the entry at rel, whose parents are known to be
	// directories of the tree, and the host path holding it.
	lstat(rel string) (fs.FileInfo, string, error)
	// readDir returns the names in the directory rel, sorted.
	readDir(rel string) ([]string, error)
}

// DirTree is a build context: a directory less what Ignore excludes.
type DirTree struct {
	Dir    string
	Ignore *Ignore
}

func (t *DirTree) lstat(rel string) (fs.FileInfo, string, error) {
	p := filepath.Join(t.Dir, filepath.FromSlash(rel))
	if t.Ignore.Excluded(rel) {
		// An excluded directory may still hold paths a "!" pattern
		// brings back: it is walked, its children filtered.
		if fi, err := os.Lstat(p); err == nil && fi.IsDir() && t.Ignore.MayInclude() {
			return fi, p, nil
		}
		return nil, "", fs.ErrNotExist
	}
	fi, err := os.Lstat(p)
	return fi, p, err
}

func (t *DirTree) readDir(rel string) ([]string, error) {
	f, err := os.Open(filepath.Join(t.Dir, filepath.FromSlash(rel)))
	if err != nil {
		return nil, err
	}
	names, err := f.Readdirnames(-1)
	f.Close()
	if err != nil {
		return nil, err
	}
	out := names[:0]
	for _, n := range names {
		if !t.Ignore.Excluded(path.Join(rel, n)) {
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out, nil
}

// LayerTree is the merged view of overlay layer directories, top first, as
// a container of the image would see them: whiteouts hide, opaque
// directories hide the layers below.
type LayerTree struct {
	Layers []string
}

// isWhiteout reports whether fi is an overlay whiteout (a 0/0 char device).
func isWhiteout(fi fs.FileInfo) bool {
	_, _, rdev := statIDs(fi)
	return fi.Mode()&fs.ModeCharDevice != 0 && rdev == 0
}

// layerAncestors checks in one layer the parents of rel: it reports whether
// the layer may hold rel (every parent it has is a directory, not a
// whiteout) and whether the layers below are hidden (a parent, or rel, is
// opaque or not a directory).
func layerAncestors(layer, rel string) (holds, hidesBelow bool) {
	if rel == "" {
		return true, false
	}
	parts := strings.Split(rel, "/")
	cur := layer
	for _, p := range parts[:len(parts)-1] {
		cur = filepath.Join(cur, p)
		fi, err := os.Lstat(cur)
		if err != nil {
			return false, false // this layer has nothing there
		}
		if !fi.IsDir() {
			return false, true // a file or whiteout hides what lies below
		}
		if isOpaque(cur) {
			hidesBelow = true
		}
	}
	return true, hidesBelow
}

func (t *LayerTree) lstat(rel string) (fs.FileInfo, string, error) {
	for _, l := range t.Layers {
		holds, hides := layerAncestors(l, rel)
		if holds {
			p := filepath.Join(l, filepath.FromSlash(rel))
			fi, err := os.Lstat(p)
			if err == nil {
				if isWhiteout(fi) {
					return nil, "", fs.ErrNotExist
				}
				return fi, p, nil
			}
		}
		if hides {
			break
		}
	}
	return nil, "", fs.ErrNotExist
}

func (t *LayerTree) readDir(rel string) ([]string, error) {
	seen := map[string]bool{}
	var out []string
	found := false
	for _, l := range t.Layers {
		holds, hides := layerAncestors(l, rel)
		if holds {
			p := filepath.Join(l, filepath.FromSlash(rel))
			fi, err := os.Lstat(p)
			if err == nil {
				if !fi.IsDir() {
					break // a file or whiteout hides the directories below
				}
				found = true
				f, err := os.Open(p)
				if err != nil {
					return nil, err
				}
				names, err := f.Readdirnames(-1)
				f.Close()
				if err != nil {
					return nil, err
				}
				for _, n := range names {
					if seen[n] {
						continue
					}
					seen[n] = true
					if ci, err := os.Lstat(filepath.Join(p, n)); err == nil && isWhiteout(ci) {
						continue
					}
					out = append(out, n)
				}
				if isOpaque(p) {
					break
				}
			}
		}
		if hides {
			break
		}
	}
	if !found {
		return nil, fs.ErrNotExist
	}
	sort.Strings(out)
	return out, nil
}

// Entry is a path of a tree resolved: its parents hold no symbolic link.
type Entry struct {
	Rel  string      // path in the tree
	Host string      // host path of the file holding it
	Info fs.FileInfo // not following a final symbolic link
}

const maxLinkHops = 40

// Resolve finds rel in t, following symbolic links among its parents inside
// the tree (an absolute target starts at the tree's root, ".." stops at
// it), but not a final one.
func Resolve(t Tree, rel string) (Entry, error) {
	r, err := resolvePath(t, rel, false)
	if err != nil {
		return Entry{}, err
	}
	fi, host, err := t.lstat(r)
	if err != nil {
		return Entry{}, err
	}
	return Entry{Rel: r, Host: host, Info: fi}, nil
}

// resolvePath resolves the symbolic links of rel in t (the final one too
// with followLast). A missing component ends the resolution: the rest is
// kept as it is.
func resolvePath(t Tree, rel string, followLast bool) (string, error) {
	hops := 0
	done, rest := "", cleanRel(rel)
	for rest != "" {
		var part string
		part, rest, _ = strings.Cut(rest, "/")
		cur := path.Join(done, part)
		fi, host, err := t.lstat(cur)
		if err != nil {
			return path.Join(cur, rest), nil
		}
		if fi.Mode()&fs.ModeSymlink == 0 || (rest == "" && !followLast) {
			if rest != "" && !fi.IsDir() {
				return "", fmt.Errorf("%s: not a directory", cur)
			}
			done = cur
			continue
		}
		hops++
		if hops > maxLinkHops {
			return "", fmt.Errorf("%s: too many levels of symbolic links", rel)
		}
		target, err := os.Readlink(host)
		if err != nil {
			return "", err
		}
		if !strings.HasPrefix(target, "/") {
			target = path.Join(done, target)
		}
		done, rest = "", cleanRel(path.Join(target, rest))
	}
	return done, nil
}

// cleanRel cleans p into a path relative to the root that never climbs
// above it.
func cleanRel(p string) string {
	p = path.Clean("/" + p)
	return strings.TrimPrefix(p, "/")
}

// HasMeta reports whether a source names a glob.
func HasMeta(p string) bool { return strings.ContainsAny(p, `*?[\`) }

// Glob returns the entries of t that pattern matches, sorted; a pattern
// without meta characters names one path. A pattern that matches nothing
// is an error, as in Docker.
func Glob(t Tree, pattern string) ([]Entry, error) {
	pattern = cleanRel(pattern)
	if !HasMeta(pattern) {
		e, err := Resolve(t, pattern)
		if err != nil {
			return nil, err
		}
		return []Entry{e}, nil
	}
	if _, err := path.Match(pattern, ""); err != nil {
		return nil, fmt.Errorf("bad pattern %q: %w", pattern, err)
	}
	parts := strings.Split(pattern, "/")
	cands := []string{""}
	for _, part := range parts {
		var next []string
		for _, dir := range cands {
			if !HasMeta(part) {
				next = append(next, path.Join(dir, part))
				continue
			}
			d, err := Resolve(t, dir)
			if err != nil || !d.Info.IsDir() {
				continue
			}
			names, err := t.readDir(d.Rel)
			if err != nil {
				continue
			}
			for _, n := range names {
				if ok, _ := path.Match(part, n); ok {
					next = append(next, path.Join(dir, n))
				}
			}
		}
		cands = next
	}
	var out []Entry
	for _, c := range cands {
		if e, err := Resolve(t, c); err == nil {
			out = append(out, e)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no source files were specified: %q matches nothing: %w", pattern, fs.ErrNotExist)
	}
	return out, nil
}

// Walk calls fn for e and, when it is a directory, for everything below it,
// depth first in sorted order. rel passed to fn is relative to e.
func Walk(t Tree, e Entry, fn func(rel string, e Entry) error) error {
	return walk(t, e, "", fn)
}

func walk(t Tree, e Entry, rel string, fn func(string, Entry) error) error {
	if err := fn(rel, e); err != nil {
		return err
	}
	if !e.Info.IsDir() {
		return nil
	}
	names, err := t.readDir(e.Rel)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		return err
	}
	for _, n := range names {
		cr := path.Join(e.Rel, n)
		fi, host, err := t.lstat(cr)
		if err != nil {
			continue // excluded, or a whiteout
		}
		if err := walk(t, Entry{Rel: cr, Host: host, Info: fi}, path.Join(rel, n), fn); err != nil {
			return err
		}
	}
	return nil
}
