package runtime

import (
	"fmt"
	"strconv"
	"strings"
	"syscall"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// A container with a user namespace of its own (dockerd's userns-remap) is cloned into it with
// every other namespace, so that they all belong to it. Its root filesystem cannot be mounted
// by the init, which has no privilege over the host's files any more; the parent builds it
// instead, as a detached overlay mount whose image layers are idmapped to the container's user
// namespace (mount_setattr MOUNT_ATTR_IDMAP): the layers stay as they are on disk, shared with
// every other container, and their root-owned files appear root-owned inside. The upper
// directory is not idmapped: what the container writes is owned on disk by its host ids. The
// parent passes the mount over a socket (fd rootfsSockFd of the init), and the init moves it
// onto its root.

// rootfsSockFd is the init's end of the socket on which the parent sends its root mount: its
// third descriptor of the runtime, after configFd and syncFd.
func rootfsSockFd() int { return ownFd(preservedFds, 2) }

// idMappings turns the spec's id mappings into those of os/exec.
func idMappings(m []specs.LinuxIDMapping) []syscall.SysProcIDMap {
	out := make([]syscall.SysProcIDMap, len(m))
	for i, e := range m {
		out[i] = syscall.SysProcIDMap{ContainerID: int(e.ContainerID), HostID: int(e.HostID), Size: int(e.Size)}
	}
	return out
}

// idmappedRootfs builds the overlay of mounts (one overlay entry: lowerdir, upperdir, workdir)
// as a detached mount whose lower layers are idmapped to the user namespace of process pid.
func idmappedRootfs(pid int, mounts []specs.Mount) (int, error) {
	if len(mounts) != 1 || mounts[0].Type != "overlay" {
		return -1, fmt.Errorf("a container with a user namespace needs an overlay root")
	}
	var lower []string
	var upper, work string
	for _, o := range mounts[0].Options {
		k, v, _ := strings.Cut(o, "=")
		switch k {
		case "lowerdir":
			lower = strings.Split(v, ":")
		case "upperdir":
			upper = v
		case "workdir":
			work = v
		default:
			return -1, fmt.Errorf("overlay option %q is not supported with a user namespace", o)
		}
	}
	userns, err := unix.Open("/proc/"+strconv.Itoa(pid)+"/ns/user", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return -1, fmt.Errorf("opening the container's user namespace: %w", err)
	}
	defer unix.Close(userns)
	var layers []int
	defer func() {
		for _, fd := range layers {
			unix.Close(fd)
		}
	}()
	for _, dir := range lower {
		fd, err := unix.OpenTree(unix.AT_FDCWD, dir, unix.OPEN_TREE_CLONE|unix.OPEN_TREE_CLOEXEC)
		if err != nil {
			return -1, fmt.Errorf("cloning layer %s: %w", dir, err)
		}
		layers = append(layers, fd)
		attr := unix.MountAttr{Attr_set: unix.MOUNT_ATTR_IDMAP | unix.MOUNT_ATTR_RDONLY, Userns_fd: uint64(userns)}
		if err := unix.MountSetattr(fd, "", unix.AT_EMPTY_PATH, &attr); err != nil {
			return -1, fmt.Errorf("idmapping layer %s: %w", dir, err)
		}
	}
	return detachedMount("overlay", func(ctx int) error {
		for i, fd := range layers {
			if err := unix.FsconfigSetFd(ctx, "lowerdir+", fd); err != nil {
				return fmt.Errorf("lowerdir+ %s: %w", lower[i], err)
			}
		}
		if upper != "" {
			if err := unix.FsconfigSetString(ctx, "upperdir", upper); err != nil {
				return fmt.Errorf("upperdir %s: %w", upper, err)
			}
			if err := unix.FsconfigSetString(ctx, "workdir", work); err != nil {
				return fmt.Errorf("workdir %s: %w", work, err)
			}
		}
		return nil
	}, 0)
}

// sendFd sends fd on the unix socket sock.
func sendFd(sock, fd int) error {
	return unix.Sendmsg(sock, []byte{0}, unix.UnixRights(fd), nil, 0)
}

// receiveFd receives one descriptor (close-on-exec) sent by sendFd on sock. It returns -1 and
// no error when the peer closed the socket without sending one.
func receiveFd(sock int) (int, error) {
	buf, oob := make([]byte, 1), make([]byte, unix.CmsgSpace(4))
	for {
		n, oobn, _, _, err := unix.Recvmsg(sock, buf, oob, unix.MSG_CMSG_CLOEXEC)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return -1, err
		}
		if n == 0 && oobn == 0 {
			return -1, nil
		}
		msgs, err := unix.ParseSocketControlMessage(oob[:oobn])
		if err != nil || len(msgs) != 1 {
			return -1, fmt.Errorf("no descriptor in the message")
		}
		fds, err := unix.ParseUnixRights(&msgs[0])
		if err != nil || len(fds) != 1 {
			for _, fd := range fds {
				unix.Close(fd)
			}
			return -1, fmt.Errorf("no descriptor in the message")
		}
		return fds[0], nil
	}
}

// receiveRootfs takes the root mount the parent sent on rootfsSockFd and moves it onto rootfs.
func receiveRootfs(rootfs string) error {
	fd, err := receiveFd(rootfsSockFd())
	unix.Close(rootfsSockFd())
	if err == nil && fd < 0 {
		err = fmt.Errorf("no descriptor")
	}
	if err != nil {
		return fmt.Errorf("receiving the root mount: %w", err)
	}
	defer unix.Close(fd)
	if err := unix.MoveMount(fd, "", unix.AT_FDCWD, rootfs, unix.MOVE_MOUNT_F_EMPTY_PATH); err != nil {
		return fmt.Errorf("attaching the root mount on %s: %w", rootfs, err)
	}
	return nil
}
