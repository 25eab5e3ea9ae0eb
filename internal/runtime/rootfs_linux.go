package runtime

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/moby/sys/mountinfo"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// A root is the container's root directory as seen before pivot_root: an O_PATH file
// descriptor. Every path of the container (mount targets, devices, masked paths, the working
// directory) is resolved below it with openat2(RESOLVE_IN_ROOT), so a symlink planted by an
// image (/proc -> /host, /dev -> ../../..) is followed as if the root were "/" and can never
// lead out. Mounts are then made on the resolved file descriptor through /proc/self/fd/N,
// which the kernel follows to exactly the file that was resolved.
type root struct {
	fd int
}

// fdPath names a file descriptor for mount(2).
func fdPath(fd int) string { return "/proc/self/fd/" + strconv.Itoa(fd) }

// open resolves p inside the root and returns an O_PATH descriptor of it (flags may add
// O_DIRECTORY or O_NOFOLLOW).
func (r root) open(p string, flags uint64) (int, error) {
	how := unix.OpenHow{
		Flags:   unix.O_PATH | unix.O_CLOEXEC | flags,
		Resolve: unix.RESOLVE_IN_ROOT | unix.RESOLVE_NO_MAGICLINKS,
	}
	rel := strings.TrimPrefix(p, "/")
	if rel == "" {
		rel = "."
	}
	for i := 0; ; i++ {
		fd, err := unix.Openat2(r.fd, rel, &how)
		// EAGAIN: a rename raced with the lookup; the kernel asks us to retry.
		if (err == unix.EAGAIN || err == unix.EINTR) && i < 32 {
			continue
		}
		if err != nil {
			return -1, &os.PathError{Op: "openat2", Path: p, Err: err}
		}
		return fd, nil
	}
}

// mkdirAll makes directory p (and its parents) inside the root and returns an O_PATH
// descriptor of it. A symlink on the way is followed inside the root, also when it dangles:
// then its target is created, inside the root.
func (r root) mkdirAll(p string, depth int) (int, error) {
	fd, err := r.open(p, unix.O_DIRECTORY)
	if !errors.Is(err, unix.ENOENT) {
		return fd, err
	}
	if depth > 40 {
		return -1, &os.PathError{Op: "mkdir", Path: p, Err: unix.ELOOP}
	}
	parent, name := splitPath(p)
	pfd, err := r.mkdirAll(parent, depth+1)
	if err != nil {
		return -1, err
	}
	defer unix.Close(pfd)
	err = unix.Mkdirat(pfd, name, 0o755)
	if err == unix.EEXIST {
		if target, ok := readlinkat(pfd, name); ok {
			return r.mkdirAll(joinLink(parent, target), depth+1)
		}
	} else if err != nil {
		return -1, &os.PathError{Op: "mkdir", Path: p, Err: err}
	}
	return r.open(p, unix.O_DIRECTORY)
}

// mkfileAll makes an empty file p inside the root when it does not exist (creating its
// parents) and returns an O_PATH descriptor of what is there.
func (r root) mkfileAll(p string, depth int) (int, error) {
	fd, err := r.open(p, 0)
	if !errors.Is(err, unix.ENOENT) {
		return fd, err
	}
	if depth > 40 {
		return -1, &os.PathError{Op: "create", Path: p, Err: unix.ELOOP}
	}
	parent, name := splitPath(p)
	pfd, err := r.mkdirAll(parent, depth+1)
	if err != nil {
		return -1, err
	}
	defer unix.Close(pfd)
	f, err := unix.Openat(pfd, name, unix.O_CREAT|unix.O_EXCL|unix.O_WRONLY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o644)
	if err == unix.EEXIST {
		if target, ok := readlinkat(pfd, name); ok {
			return r.mkfileAll(joinLink(parent, target), depth+1)
		}
	} else if err != nil {
		return -1, &os.PathError{Op: "create", Path: p, Err: err}
	} else {
		unix.Close(f)
	}
	return r.open(p, 0)
}

// splitPath splits a path inside the root into its directory and last element without
// cleaning it: ".." must be resolved by the kernel, through symlinks, not lexically.
func splitPath(p string) (dir, name string) {
	p = strings.TrimRight(p, "/")
	i := strings.LastIndex(p, "/")
	if i < 0 {
		return "/", p
	}
	if i == 0 {
		return "/", p[1:]
	}
	return p[:i], p[i+1:]
}

// joinLink is where a symlink found in dir points to, as a path inside the root.
func joinLink(dir, target string) string {
	if strings.HasPrefix(target, "/") {
		return target
	}
	return dir + "/" + target
}

func readlinkat(dirfd int, name string) (string, bool) {
	buf := make([]byte, unix.PathMax)
	n, err := unix.Readlinkat(dirfd, name, buf)
	if err != nil {
		return "", false
	}
	return string(buf[:n]), true
}

// mountFlagsOf returns the per-mount flags of the mount fd is on, to keep them when the
// mount is remounted read-only.
func mountFlagsOf(fd int) (uintptr, error) {
	var st unix.Statfs_t
	if err := unix.Fstatfs(fd, &st); err != nil {
		return 0, err
	}
	var flags uintptr
	for _, f := range []struct{ st, ms uintptr }{
		{unix.ST_RDONLY, unix.MS_RDONLY}, {unix.ST_NOSUID, unix.MS_NOSUID}, {unix.ST_NODEV, unix.MS_NODEV},
		{unix.ST_NOEXEC, unix.MS_NOEXEC}, {unix.ST_SYNCHRONOUS, unix.MS_SYNCHRONOUS},
		{unix.ST_MANDLOCK, unix.MS_MANDLOCK}, {unix.ST_NOATIME, unix.MS_NOATIME},
		{unix.ST_NODIRATIME, unix.MS_NODIRATIME}, {unix.ST_RELATIME, unix.MS_RELATIME},
	} {
		if uintptr(st.Flags)&f.st != 0 {
			flags |= f.ms
		}
	}
	return flags, nil
}

// remount changes the flags or propagation of the mount now on top of p. It resolves p again:
// the descriptor used to make the mount still names the directory underneath it.
func (r root) remount(p string, flags uintptr, keep bool) error {
	fd, err := r.open(p, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	if keep {
		cur, err := mountFlagsOf(fd)
		if err != nil {
			return fmt.Errorf("reading mount flags of %s: %w", p, err)
		}
		flags |= cur
	}
	if err := unix.Mount("", fdPath(fd), "", flags, ""); err != nil {
		return fmt.Errorf("remounting %s: %w", p, err)
	}
	return nil
}

// mountSpec mounts one entry of Spec.Mounts inside the root.
func (r root) mountSpec(m specs.Mount, cg *cgroupInfo) error {
	dest := cleanInRoot(m.Destination)
	if m.Type == "cgroup" {
		return r.mountCgroups(dest, parseMountOptions(m), cg)
	}
	o := parseMountOptions(m)
	var fd int
	var err error
	if st, serr := os.Stat(m.Source); o.bind && serr == nil && !st.IsDir() {
		fd, err = r.mkfileAll(dest, 0)
	} else {
		fd, err = r.mkdirAll(dest, 0)
	}
	if err != nil {
		return fmt.Errorf("making mount target: %w", err)
	}
	defer unix.Close(fd)
	if err := r.checkResolved(dest, fd); err != nil {
		return err
	}
	if o.bind {
		flags := uintptr(unix.MS_BIND)
		if o.recursive {
			flags |= unix.MS_REC
		}
		if err := unix.Mount(m.Source, fdPath(fd), "", flags, ""); err != nil {
			return fmt.Errorf("bind mounting %s on %s: %w", m.Source, dest, err)
		}
		if o.flags != 0 {
			// Keep the flags of the source mount: a bind is never less restricted than its source.
			if err := r.remount(dest, unix.MS_BIND|unix.MS_REMOUNT|o.flags, true); err != nil {
				return err
			}
		}
	} else if err := unix.Mount(m.Source, fdPath(fd), m.Type, o.flags, o.data); err != nil {
		return fmt.Errorf("mounting %s (%s) on %s: %w", m.Source, m.Type, dest, err)
	}
	if o.propagation != 0 {
		return r.remount(dest, o.propagation, false)
	}
	return nil
}

// checkResolved refuses a mount target that a symlink of the image leads into /proc or /sys:
// the spec's destinations are checked as written (no mount over /proc/sys, /sys/fs/cgroup …),
// and a planted "/data -> /proc/sys" must not get around that, as runc checks the resolved
// path. fd is the target, resolved inside the root.
func (r root) checkResolved(dest string, fd int) error {
	rootPath, err := os.Readlink(fdPath(r.fd))
	if err != nil {
		return fmt.Errorf("reading the root's path: %w", err)
	}
	target, err := os.Readlink(fdPath(fd))
	if err != nil {
		return fmt.Errorf("reading the path of mount target %s: %w", dest, err)
	}
	rel, ok := strings.CutPrefix(target, strings.TrimSuffix(rootPath, "/"))
	if !ok || rel == "" || rel[0] != '/' || rel == dest {
		// Not below the root's path as the kernel names it (openat2 kept it inside the
		// root: a path that cannot be named, e.g. another mount namespace's), or no symlink.
		return nil
	}
	for _, kernel := range []string{"/proc", "/sys"} {
		if rel == kernel || strings.HasPrefix(rel, kernel+"/") {
			return fmt.Errorf("mount destination %q resolves to %q through a symlink: it cannot be mounted inside %s", dest, rel, kernel)
		}
	}
	return nil
}

// createDevices makes the device nodes of the spec, bind mounting the host's node instead
// when mknod is not allowed.
func (r root) createDevices(devices []specs.LinuxDevice) error {
	for _, d := range devices {
		if err := r.createDevice(d); err != nil {
			return fmt.Errorf("creating device %s: %w", d.Path, err)
		}
	}
	return nil
}

func (r root) createDevice(d specs.LinuxDevice) error {
	var mode uint32
	switch d.Type {
	case "c", "u":
		mode = unix.S_IFCHR
	case "b":
		mode = unix.S_IFBLK
	case "p":
		mode = unix.S_IFIFO
	default:
		return fmt.Errorf("unknown device type %q", d.Type)
	}
	perm := uint32(0o666)
	if d.FileMode != nil {
		perm = uint32(d.FileMode.Perm())
	}
	dest := cleanInRoot(d.Path)
	parent, name := splitPath(dest)
	if !strings.HasPrefix(dest, "/dev/") {
		return fmt.Errorf("device path is not below /dev")
	}
	pfd, err := r.mkdirAll(parent, 0)
	if err != nil {
		return err
	}
	defer unix.Close(pfd)
	dev := int(unix.Mkdev(uint32(d.Major), uint32(d.Minor)))
	err = unix.Mknodat(pfd, name, mode|perm, dev)
	if err == unix.EEXIST {
		// The image ships a file there: replace it.
		if err = unix.Unlinkat(pfd, name, 0); err == nil {
			err = unix.Mknodat(pfd, name, mode|perm, dev)
		}
	}
	if err == unix.EPERM {
		return r.bindHostDevice(dest, d.Path)
	}
	if err != nil {
		return err
	}
	uid, gid := -1, -1
	if d.UID != nil {
		uid = int(*d.UID)
	}
	if d.GID != nil {
		gid = int(*d.GID)
	}
	if uid != -1 || gid != -1 {
		return unix.Fchownat(pfd, name, uid, gid, unix.AT_SYMLINK_NOFOLLOW)
	}
	return nil
}

func (r root) bindHostDevice(dest, host string) error {
	fd, err := r.mkfileAll(dest, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	return unix.Mount(host, fdPath(fd), "", unix.MS_BIND, "")
}

// setupDevLinks makes the symlinks every /dev has: fd, stdin, stdout, stderr, core and (when
// the spec has no ptmx device) ptmx pointing into the container's devpts.
func (r root) setupDevLinks(devices []specs.LinuxDevice) error {
	fd, err := r.mkdirAll("/dev", 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	links := [][2]string{
		{"/proc/self/fd", "fd"}, {"/proc/self/fd/0", "stdin"}, {"/proc/self/fd/1", "stdout"},
		{"/proc/self/fd/2", "stderr"},
	}
	if _, err := os.Stat("/proc/kcore"); err == nil {
		links = append(links, [2]string{"/proc/kcore", "core"})
	}
	hasPtmx := false
	for _, d := range devices {
		hasPtmx = hasPtmx || cleanInRoot(d.Path) == "/dev/ptmx"
	}
	if !hasPtmx {
		if err := unix.Unlinkat(fd, "ptmx", 0); err != nil && err != unix.ENOENT {
			return fmt.Errorf("removing /dev/ptmx: %w", err)
		}
		links = append(links, [2]string{"pts/ptmx", "ptmx"})
	}
	for _, l := range links {
		if err := unix.Symlinkat(l[0], fd, l[1]); err != nil && err != unix.EEXIST {
			return fmt.Errorf("creating /dev/%s: %w", l[1], err)
		}
	}
	return nil
}

// setupConsole bind mounts the terminal on fd 0 (the pty slave) at /dev/console. The slave
// was opened in the host's mount namespace, so it is bound by its path in this namespace's
// copy of the host's devpts, checked to be the very same terminal.
func (r root) setupConsole() error {
	slave, err := os.Readlink(fdPath(0))
	if err != nil {
		return fmt.Errorf("finding the terminal: %w", err)
	}
	var want, got unix.Stat_t
	if err := unix.Fstat(0, &want); err != nil {
		return fmt.Errorf("finding the terminal: %w", err)
	}
	if err := unix.Stat(slave, &got); err != nil || got.Rdev != want.Rdev || got.Dev != want.Dev || want.Mode&unix.S_IFMT != unix.S_IFCHR {
		return fmt.Errorf("stdin is not the terminal %s", slave)
	}
	fd, err := r.mkfileAll("/dev/console", 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	if err := unix.Mount(slave, fdPath(fd), "", unix.MS_BIND, ""); err != nil {
		return fmt.Errorf("bind mounting the terminal %s on /dev/console: %w", slave, err)
	}
	return nil
}

// readonlyPath bind mounts p on itself read-only. A missing path is not an error.
func (r root) readonlyPath(p string) error {
	p = cleanInRoot(p)
	fd, err := r.open(p, 0)
	if errors.Is(err, unix.ENOENT) {
		return nil
	}
	if err != nil {
		return err
	}
	err = unix.Mount(fdPath(fd), fdPath(fd), "", unix.MS_BIND|unix.MS_REC, "")
	unix.Close(fd)
	if err != nil {
		return fmt.Errorf("bind mounting %s on itself: %w", p, err)
	}
	return r.remount(p, unix.MS_BIND|unix.MS_REMOUNT|unix.MS_RDONLY, true)
}

// maskPath hides p: /dev/null over a file, an empty read-only tmpfs over a directory. A
// missing path is not an error.
func (r root) maskPath(p string) error {
	p = cleanInRoot(p)
	fd, err := r.open(p, 0)
	if errors.Is(err, unix.ENOENT) {
		return nil
	}
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return err
	}
	if st.Mode&unix.S_IFMT == unix.S_IFDIR {
		err = unix.Mount("tmpfs", fdPath(fd), "tmpfs", unix.MS_RDONLY|unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, "")
	} else {
		err = unix.Mount("/dev/null", fdPath(fd), "", unix.MS_BIND, "")
	}
	if err != nil {
		return fmt.Errorf("masking %s: %w", p, err)
	}
	return nil
}

// pivotRoot makes dir the root of the mount namespace and detaches the old root, so no host
// mount stays reachable (or busy) from the container.
func pivotRoot(dir string) error {
	if err := unix.Chdir(dir); err != nil {
		return fmt.Errorf("entering rootfs: %w", err)
	}
	// Stack the old root on top of the new one, then take it away: no directory is needed for it.
	if err := unix.PivotRoot(".", "."); err != nil {
		return fmt.Errorf("pivot_root: %w", err)
	}
	// The old root must not pass its unmount on to the host's mounts.
	if err := unix.Mount("", ".", "", unix.MS_SLAVE|unix.MS_REC, ""); err != nil {
		return fmt.Errorf("making old root a slave: %w", err)
	}
	if err := unix.Unmount(".", unix.MNT_DETACH); err != nil {
		return fmt.Errorf("detaching old root: %w", err)
	}
	return unix.Chdir("/")
}

// chrootInto makes dir the root of this process, for a container without a mount namespace of
// its own (pivot_root would change the root of every process of the runtime's).
func chrootInto(dir string) error {
	if err := unix.Chdir(dir); err != nil {
		return fmt.Errorf("entering rootfs: %w", err)
	}
	if err := unix.Chroot("."); err != nil {
		return fmt.Errorf("chroot: %w", err)
	}
	return unix.Chdir("/")
}

// DetachSharedRootfs takes away what the init of a container without a mount namespace of its
// own left mounted in the caller's namespace: the bind of the root on itself, and with it
// every mount of the container below it. It does nothing when the top mount at rootfs is not
// a bind of that directory on itself (the init did not get that far, or it is gone), so that
// a mount the caller made there (containerd's overlay, say) stays.
func DetachSharedRootfs(rootfs string) error {
	dir, err := filepath.EvalSymlinks(rootfs)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("resolving rootfs %s: %w", rootfs, err)
	}
	mounts, err := mountinfo.GetMounts(nil)
	if err != nil {
		return fmt.Errorf("reading mounts: %w", err)
	}
	if !topIsSelfBind(mounts, dir) {
		return nil
	}
	if err := unix.Unmount(dir, unix.MNT_DETACH); err != nil {
		return fmt.Errorf("detaching the container's root %s: %w", dir, err)
	}
	return nil
}

// topIsSelfBind says whether the top mount of those stacked on dir is a bind of dir on itself:
// of the file system of the mount below it, and of the directory dir is in that mount.
func topIsSelfBind(mounts []*mountinfo.Info, dir string) bool {
	byID := map[int]*mountinfo.Info{}
	var at []*mountinfo.Info // the mounts stacked on dir
	for _, m := range mounts {
		byID[m.ID] = m
		if m.Mountpoint == dir {
			at = append(at, m)
		}
	}
	var top *mountinfo.Info
	for _, m := range at {
		if !slices.ContainsFunc(at, func(o *mountinfo.Info) bool { return o.Parent == m.ID }) {
			top = m
		}
	}
	if top == nil {
		return false
	}
	parent := byID[top.Parent]
	if parent == nil || parent.Major != top.Major || parent.Minor != top.Minor {
		return false
	}
	rel, err := filepath.Rel(parent.Mountpoint, dir)
	if err != nil || rel == ".." || strings.HasPrefix(rel, "../") {
		return false
	}
	return filepath.Join(parent.Root, rel) == top.Root
}
