// Package copyfs copies files in and out of a root directory — a
// container's root file system — for `cp`. Every path is resolved with
// openat2(RESOLVE_IN_ROOT), the root acting as "/" for every symbolic link
// on the way, and everything below a resolved directory is opened relative
// to it without following links, so that links planted in a container
// never lead a read or a write outside its root.
//
// Plan holds Docker's rules for where a copy lands; it is pure.
package copyfs

import (
	"errors"
	"fmt"
	"path"
	"strings"
)

// Endpoint describes one side of a copy as the user named it.
type Endpoint struct {
	Path   string // as typed: a trailing "/" or "/." matters
	Exists bool
	IsDir  bool
}

// Errors of Docker's copy rules.
var (
	ErrNotDir      = errors.New("not a directory")
	ErrDirToFile   = errors.New("cannot copy a directory to a file")
	ErrNoDestDir   = errors.New("destination directory must exist")
	ErrSourceGone  = errors.New("no such file or directory")
	errBadDestBase = errors.New("invalid destination")
)

// Plan applies Docker's rules: it returns the directory to extract into and
// the name the source takes there; an empty name means the source
// directory's contents go straight into dir ("SRC/.").
func Plan(src, dst Endpoint) (dir, name string, err error) {
	if !src.Exists {
		return "", "", fmt.Errorf("%s: %w", src.Path, ErrSourceGone)
	}
	srcDot := strings.HasSuffix(src.Path, "/.") || src.Path == "."
	if !src.IsDir && (strings.HasSuffix(src.Path, "/") || srcDot) {
		return "", "", fmt.Errorf("%s: %w", src.Path, ErrNotDir)
	}
	base := path.Base(path.Clean(src.Path))
	dstSlash := strings.HasSuffix(dst.Path, "/") || strings.HasSuffix(dst.Path, "/.")
	clean := path.Clean(dst.Path)
	switch {
	case dst.Exists && dst.IsDir:
		if src.IsDir && srcDot {
			return clean, "", nil
		}
		return clean, base, nil
	case dst.Exists:
		if src.IsDir {
			return "", "", fmt.Errorf("%s: %w", dst.Path, ErrDirToFile)
		}
		if dstSlash {
			return "", "", fmt.Errorf("%s: %w", dst.Path, ErrNotDir)
		}
		return path.Dir(clean), path.Base(clean), nil
	default:
		if dstSlash && !src.IsDir {
			return "", "", fmt.Errorf("%s: %w", dst.Path, ErrNoDestDir)
		}
		b := path.Base(clean)
		if b == "/" || b == "." || b == ".." {
			return "", "", fmt.Errorf("%s: %w", dst.Path, errBadDestBase)
		}
		return path.Dir(clean), b, nil
	}
}
