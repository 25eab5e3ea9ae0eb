package spec

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// devicesFromPath returns the device node at hostPath (a symlink to one is
// followed, as /dev/disk/by-id/… are), with Path set to ctrPath; or, when
// hostPath is a directory, every node below it, at the same place below
// ctrPath, the way Docker's --device does. Other files below a directory
// are skipped; a hostPath that is neither a node nor a directory holding
// one is an error.
func devicesFromPath(hostPath, ctrPath string) ([]specs.LinuxDevice, error) {
	resolved := hostPath
	if fi, err := os.Lstat(hostPath); err == nil && fi.Mode()&fs.ModeSymlink != 0 {
		if p, err := filepath.EvalSymlinks(hostPath); err == nil {
			resolved = p
		}
	}
	d, err := deviceNode(resolved)
	if err == nil {
		d.Path = ctrPath
		return []specs.LinuxDevice{d}, nil
	}
	if err != errNotDevice {
		return nil, err
	}
	if fi, serr := os.Stat(resolved); serr != nil || !fi.IsDir() {
		return nil, err
	}
	var devs []specs.LinuxDevice
	werr := filepath.WalkDir(resolved, func(p string, _ fs.DirEntry, err error) error {
		if err != nil {
			return nil // unreadable: skipped, as Docker does
		}
		d, err := deviceNode(p)
		if err != nil {
			return nil
		}
		d.Path = filepath.Join(ctrPath, strings.TrimPrefix(p, resolved))
		devs = append(devs, d)
		return nil
	})
	if werr != nil {
		return nil, werr
	}
	if len(devs) == 0 {
		return nil, errNotDevice
	}
	return devs, nil
}

// deviceNode describes the block or character device at p (not following
// a symlink): type, numbers, permission bits and owner.
func deviceNode(p string) (specs.LinuxDevice, error) {
	var st unix.Stat_t
	if err := unix.Lstat(p, &st); err != nil {
		return specs.LinuxDevice{}, err // Docker's words: "no such file or directory"
	}
	var typ string
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFBLK:
		typ = "b"
	case unix.S_IFCHR:
		typ = "c"
	default:
		return specs.LinuxDevice{}, errNotDevice
	}
	mode := os.FileMode(st.Mode & 0o777)
	uid, gid := st.Uid, st.Gid
	return specs.LinuxDevice{
		Type: typ, Major: int64(unix.Major(uint64(st.Rdev))), Minor: int64(unix.Minor(uint64(st.Rdev))),
		FileMode: &mode, UID: &uid, GID: &gid,
	}, nil
}

// HostDevices lists the host's device nodes under /dev, for a privileged
// container (Options.HostDevices), as runc's and Docker's: the directories
// of other mounts (pts, shm, mqueue, fd …) and /dev/console are skipped,
// and so is what cannot be read.
func HostDevices() []specs.LinuxDevice {
	return hostDevicesUnder("/dev")
}

func hostDevicesUnder(dir string) []specs.LinuxDevice {
	des, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	var devs []specs.LinuxDevice
	for _, de := range des {
		p := filepath.Join(dir, de.Name())
		if de.IsDir() {
			switch de.Name() {
			case "pts", "shm", "fd", "mqueue", ".lxc", ".lxd-mounts", ".udev":
			default:
				devs = append(devs, hostDevicesUnder(p)...)
			}
			continue
		}
		if de.Name() == "console" {
			continue
		}
		d, err := deviceNode(p)
		if err != nil {
			continue
		}
		d.Path = p
		devs = append(devs, d)
	}
	return devs
}
