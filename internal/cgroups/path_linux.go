package cgroups

import (
	"fmt"
	"path"
	"path/filepath"
	"strings"
)

// NewPath returns the manager of the cgroup at p, a path from the hierarchy root such as an
// OCI spec's linux.cgroupsPath ("/a/b/c"): the parent may have several levels, which Create
// makes as needed. opts.Parent is ignored.
func NewPath(mode Mode, p string, opts Opts) (Manager, error) {
	clean := strings.Trim(path.Clean("/"+p), "/")
	if clean == "" {
		return nil, fmt.Errorf("cgroup path %q names the root", p)
	}
	elems := strings.Split(clean, "/")
	for _, e := range elems {
		if err := checkName("path element", e); err != nil {
			return nil, err
		}
	}
	parent := strings.Join(elems[:len(elems)-1], "/")
	if parent == "" {
		parent = "."
	}
	opts.Parent = "x" // checked by resolve; replaced below
	root, _, err := resolve(elems[len(elems)-1], opts)
	if err != nil {
		return nil, err
	}
	name := elems[len(elems)-1]
	switch mode {
	case Legacy, Hybrid:
		return &v1{root: root, parent: parent, name: name, sys: hostSys()}, nil
	case Unified:
		return &v2{root: root, parent: parent, name: name, sys: hostSys()}, nil
	default:
		return nil, fmt.Errorf("cgroup manager for %q: %w", p, ErrUnavailable)
	}
}

// mkdirParents makes the levels of parent (slash-separated) under base; with cpuset, each new
// level gets the cpus and mems of the one above, as a v1 cpuset refuses tasks without them.
func mkdirParents(base, parent string, cpuset bool) error {
	dir := base
	for _, elem := range strings.Split(parent, "/") {
		if elem == "" || elem == "." {
			continue
		}
		up := dir
		dir = filepath.Join(dir, elem)
		if _, err := mkdir(dir); err != nil {
			return err
		}
		if cpuset {
			if err := copyCpuset(up, dir); err != nil {
				return err
			}
		}
	}
	return nil
}
