package build

import (
	"errors"
	"fmt"
	"os"

	"github.com/moby/patternmatcher"
	"github.com/moby/patternmatcher/ignorefile"
)

// Ignore is the .dockerignore of a context: paths it excludes are not part
// of the context. The Dockerfile and .dockerignore themselves are always
// read, as Docker does, but can be excluded from COPY.
type Ignore struct {
	pm *patternmatcher.PatternMatcher
}

// ReadIgnore reads dir/.dockerignore; a missing file excludes nothing. A
// symbolic link is followed inside dir only, as every path of a context
// is: a context (a stranger's tar, for the API) never makes the engine read
// a file of the host, nor wait on a FIFO or a device.
func ReadIgnore(dir string) (*Ignore, error) {
	t := &DirTree{Dir: dir}
	rel, err := resolvePath(t, ".dockerignore", true)
	if err != nil {
		return nil, fmt.Errorf("reading .dockerignore: %w", err)
	}
	fi, p, err := t.lstat(rel)
	if errors.Is(err, os.ErrNotExist) {
		return &Ignore{}, nil
	}
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, errors.New("reading .dockerignore: not a regular file")
	}
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	patterns, err := ignorefile.ReadAll(f)
	if err != nil {
		return nil, fmt.Errorf("reading .dockerignore: %w", err)
	}
	return NewIgnore(patterns)
}

// NewIgnore makes an Ignore of patterns in .dockerignore syntax.
func NewIgnore(patterns []string) (*Ignore, error) {
	if len(patterns) == 0 {
		return &Ignore{}, nil
	}
	pm, err := patternmatcher.New(patterns)
	if err != nil {
		return nil, fmt.Errorf(".dockerignore: %w", err)
	}
	return &Ignore{pm: pm}, nil
}

// Excluded reports whether rel, a slash-separated path relative to the
// context root, is excluded (itself or through a parent directory).
func (ig *Ignore) Excluded(rel string) bool {
	if ig == nil || ig.pm == nil || rel == "" || rel == "." {
		return false
	}
	m, err := ig.pm.MatchesOrParentMatches(rel)
	return err == nil && m
}

// MayInclude reports whether a directory that is excluded may still hold
// included paths (a "!" pattern below it): then it must be walked.
func (ig *Ignore) MayInclude() bool {
	return ig != nil && ig.pm != nil && ig.pm.Exclusions()
}
