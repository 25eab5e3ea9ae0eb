package cgroups

import (
	"bufio"
	"fmt"
	"io"
	"path"
	"strconv"
	"strings"
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
	var rootFS string // filesystem type of the last mount at root
	var v1, v2Below bool
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 1024*1024)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if strings.TrimSpace(line) == "" {
			continue
		}
		mountPoint, fsType, err := parseMountinfoLine(line)
		if err != nil {
			return Unavailable, fmt.Errorf("parsing mountinfo line %d %q: %w", n, line, err)
		}
		switch {
		case mountPoint == root:
			rootFS = fsType
		case strings.HasPrefix(mountPoint, root+"/"):
			switch fsType {
			case "cgroup":
				v1 = true
			case "cgroup2":
				v2Below = true
			}
		}
	}
	if err := sc.Err(); err != nil {
		return Unavailable, fmt.Errorf("reading mountinfo: %w", err)
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

// parseMountinfoLine returns the mount point and filesystem type of one line:
//
//	36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue
//
// Field 5 is the mount point; after the optional fields, "-" is followed by
// the filesystem type.
func parseMountinfoLine(line string) (mountPoint, fsType string, err error) {
	fields := strings.Fields(line)
	if len(fields) < 7 {
		return "", "", fmt.Errorf("%d fields, want at least 7", len(fields))
	}
	sep := -1
	for i := 6; i < len(fields); i++ {
		if fields[i] == "-" {
			sep = i
			break
		}
	}
	if sep < 0 || sep+1 >= len(fields) {
		return "", "", fmt.Errorf("no filesystem type after the \"-\" separator")
	}
	mountPoint, err = unescapeOctal(fields[4])
	if err != nil {
		return "", "", err
	}
	return path.Clean(mountPoint), fields[sep+1], nil
}

// unescapeOctal undoes the kernel's escaping of space, tab, newline and
// backslash in mountinfo paths (\040, \011, \012, \134).
func unescapeOctal(s string) (string, error) {
	if !strings.Contains(s, `\`) {
		return s, nil
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' {
			b.WriteByte(s[i])
			continue
		}
		if i+4 > len(s) {
			return "", fmt.Errorf("truncated escape in %q", s)
		}
		v, err := strconv.ParseUint(s[i+1:i+4], 8, 8)
		if err != nil {
			return "", fmt.Errorf("bad escape %q in %q", s[i:i+4], s)
		}
		b.WriteByte(byte(v))
		i += 3
	}
	return b.String(), nil
}
