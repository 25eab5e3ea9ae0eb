package cgroups

import (
	"fmt"
	"io"
	"path"
	"strings"

	"github.com/moby/sys/mountinfo"
)

// ParseMountinfo tells the cgroup mode from the text of a /proc/<pid>/mountinfo
// file, looking at the cgroup filesystems mounted at or under root
// (DefaultRoot when empty):
//
//   - cgroup2 mounted at root itself: Unified;
//   - v1 hierarchies under root and a cgroup2 under root too (typically
//     root/unified): Hybrid;
//   - v1 hierarchies under root only: Legacy;
//   - none of these: Unavailable.
//
// When several filesystems are mounted at root, the last one wins, as it
// hides the others.
func ParseMountinfo(r io.Reader, root string) (Mode, error) {
	if root == "" {
		root = DefaultRoot
	}
	root = path.Clean(root)
	mounts, err := mountinfo.GetMountsFromReader(r, nil)
	if err != nil {
		return Unavailable, fmt.Errorf("parsing mountinfo: %w", err)
	}
	var rootFS string // filesystem type of the last mount at root
	var v1, v2Below bool
	for _, m := range mounts {
		mountPoint := path.Clean(m.Mountpoint)
		switch {
		case mountPoint == root:
			rootFS = m.FSType
		case strings.HasPrefix(mountPoint, root+"/"):
			switch m.FSType {
			case "cgroup":
				v1 = true
			case "cgroup2":
				v2Below = true
			}
		}
	}
	switch {
	case rootFS == "cgroup2":
		return Unified, nil
	case v1 && v2Below:
		return Hybrid, nil
	case v1:
		return Legacy, nil
	default:
		return Unavailable, nil
	}
}
