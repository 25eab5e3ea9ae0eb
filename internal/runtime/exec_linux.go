package runtime

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"

	"github.com/creack/pty"
	"golang.org/x/sys/unix"

	"github.com/geedocker/geedocker/internal/runtime/nsenter"
	"github.com/geedocker/geedocker/internal/seccomp"
)

// The runtime's descriptors in an exec child with n preserved ones: configFd and syncFd as for
// the init, then a pidfd of the container's process, for the constructor of package nsenter.
func execChildFds(n int) (config, sync, pidfd int) { return ownFd(n, 0), ownFd(n, 1), ownFd(n, 2) }

// execNamespaces are the namespaces Exec joins when they differ from the caller's, by the
// name of their file in /proc/<pid>/ns.
var execNamespaces = []struct {
	name string
	flag uintptr
}{
	{"user", unix.CLONE_NEWUSER},
	{"ipc", unix.CLONE_NEWIPC},
	{"uts", unix.CLONE_NEWUTS},
	{"net", unix.CLONE_NEWNET},
	{"pid", unix.CLONE_NEWPID},
	{"mnt", unix.CLONE_NEWNS},
	{"cgroup", unix.CLONE_NEWCGROUP},
}

// Exec starts c.Process in the running container of c.Pid and returns once the command runs;
// or, when that failed, an error: wrapping ErrNotFound or ErrCannotInvoke when the command is
// to blame, os.ErrProcessDone when the container's process no longer exists, ErrNoCgo when
// this binary cannot enter a container. Cancelling ctx stops an exec under way; it does
// nothing to a started process. The process is a child of the caller: Wait for it.
func Exec(ctx context.Context, c ExecConfig) (*Process, error) {
	if !nsenter.Available {
		return nil, ErrNoCgo
	}
	pc, err := newProcessConfig(c.Process)
	if err != nil {
		return nil, fmt.Errorf("checking exec process: %w", err)
	}
	if c.Pid <= 0 {
		return nil, fmt.Errorf("checking exec process: container pid %d is not valid", c.Pid)
	}
	if pc.Seccomp, err = seccomp.CompileCached(c.SeccompCacheDir, c.Seccomp); err != nil {
		return nil, fmt.Errorf("checking exec process: seccomp: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	config, err := json.Marshal(pc)
	if err != nil {
		return nil, fmt.Errorf("encoding exec config: %w", err)
	}
	nPreserve := len(c.PreserveFiles)
	self, doneSelf, err := sealedExePathFor(nPreserve + 3)
	if err != nil {
		return nil, err
	}
	defer doneSelf()

	// From here on c.Pid is the process of the pidfd: it cannot be reused while we look at it.
	pidfd, err := unix.PidfdOpen(c.Pid, 0)
	if err == unix.ESRCH {
		return nil, fmt.Errorf("entering container process %d: %w", c.Pid, os.ErrProcessDone)
	}
	if err != nil {
		return nil, fmt.Errorf("opening container process %d: %w", c.Pid, err)
	}
	pidFile := os.NewFile(uintptr(pidfd), "pidfd:"+strconv.Itoa(c.Pid))
	defer pidFile.Close()
	flags, err := namespacesToJoin(c.Pid)
	if err != nil {
		return nil, err
	}
	var console, slave *os.File
	if pc.Terminal {
		var own bool
		if console, slave, own, err = openConsole(c.Pid); err != nil {
			return nil, err
		}
		defer slave.Close()
		if own && flags&unix.CLONE_NEWUSER != 0 {
			// Opened by us, the slave is owned by our root, which the container's user
			// namespace does not map: give it to the container's root, as if the
			// container had opened it (the process then gives it to its user). Not one of
			// the host's devpts, though.
			if err := chownToContainerRoot(slave, c.Pid); err != nil {
				console.Close()
				return nil, err
			}
		}
		if sz := c.Process.ConsoleSize; sz != nil {
			_ = pty.Setsize(console, &pty.Winsize{Rows: uint16(sz.Height), Cols: uint16(sz.Width)})
		}
	}
	closeConsole := func() {
		if console != nil {
			console.Close()
		}
	}
	// What was read under /proc/<pid> belongs to the pidfd's process only if it still exists.
	if err := unix.PidfdSendSignal(pidfd, 0, nil, 0); err != nil {
		closeConsole()
		return nil, fmt.Errorf("entering container process %d: %w", c.Pid, os.ErrProcessDone)
	}

	// The preserved files, then the pipes to the exec child and the pidfd (execChildFds).
	configR, configW, err := os.Pipe()
	if err != nil {
		closeConsole()
		return nil, fmt.Errorf("creating config pipe: %w", err)
	}
	defer configW.Close()
	syncR, syncW, err := os.Pipe()
	if err != nil {
		configR.Close()
		closeConsole()
		return nil, fmt.Errorf("creating sync pipe: %w", err)
	}
	defer syncR.Close()
	_, childSync, childPidfd := execChildFds(nPreserve)
	cmd := &exec.Cmd{
		Path:       self, // the sealed binary, never the host's file
		Args:       childArgs(execArg0, nPreserve),
		Env:        []string{nsenter.Env + "=" + nsenter.Value(flags, childPidfd, childSync)},
		ExtraFiles: append(slices.Clone(c.PreserveFiles), configR, syncW, pidFile),
	}
	if console != nil {
		// The child makes it its controlling terminal, in a session of its own.
		cmd.Stdin, cmd.Stdout, cmd.Stderr = slave, slave, slave
	} else {
		cmd.Stdin, cmd.Stdout, cmd.Stderr = c.Stdin, c.Stdout, c.Stderr
	}
	err = cmd.Start()
	configR.Close()
	syncW.Close()
	if err != nil {
		closeConsole()
		return nil, fmt.Errorf("starting exec child: %w", err)
	}

	// The constructor of package nsenter joins the namespaces, forks into the PID namespace
	// and says which process goes on.
	stop := context.AfterFunc(ctx, func() { _ = cmd.Process.Kill() })
	var pid int32
	err = binary.Read(syncR, binary.NativeEndian, &pid)
	cancelled := !stop()
	p := &Process{Pid: cmd.Process.Pid, Console: console, cmd: cmd}
	if err == nil && pid > 0 && int(pid) != cmd.Process.Pid {
		// Forked into the PID namespace: a child of ours too (CLONE_PARENT). On Linux
		// FindProcess does not fail.
		p.proc, _ = os.FindProcess(int(pid))
	}
	fail := func(err error) (*Process, error) {
		_ = cmd.Process.Kill()
		if p.proc != nil {
			_ = p.proc.Kill()
		}
		_, _ = p.Wait()
		closeConsole()
		return nil, err
	}
	switch {
	case cancelled:
		return fail(ctx.Err())
	case err != nil:
		return fail(fmt.Errorf("exec child ended before entering the container: %w", err))
	case pid == -1:
		msg, _ := io.ReadAll(io.LimitReader(syncR, 4096))
		return fail(fmt.Errorf("exec: %s", msg))
	case pid <= 0:
		return fail(fmt.Errorf("exec child: bad pid %d", pid))
	}
	p.Pid = int(pid)

	// The process waits for its config: only once it is in the cgroup does it do anything.
	if c.Cgroup != nil {
		if err := c.Cgroup.Add(p.Pid); err != nil {
			return fail(fmt.Errorf("adding exec process to the container's cgroup: %w", err))
		}
	}
	if _, err := configW.Write(config); err != nil {
		return fail(fmt.Errorf("sending config to exec process: %w", err))
	}
	configW.Close()

	// As for Start: nothing on the sync pipe until it closes at execve, or a report.
	stop = context.AfterFunc(ctx, func() { _ = p.Signal(unix.SIGKILL) })
	msg, err := io.ReadAll(syncR)
	if !stop() {
		return fail(ctx.Err())
	}
	if err != nil {
		return fail(fmt.Errorf("waiting for exec process: %w", err))
	}
	if len(msg) > 0 {
		return fail(reportError("exec", msg))
	}
	return p, nil
}

// namespacesToJoin returns the CLONE_NEW* flags of the namespaces of pid that differ from the
// caller's. The mount namespace must differ: a process that shares ours is not in a container.
func namespacesToJoin(pid int) (uintptr, error) {
	var flags uintptr
	for _, ns := range execNamespaces {
		var ours, theirs unix.Stat_t
		if err := unix.Stat("/proc/self/ns/"+ns.name, &ours); err == unix.ENOENT {
			continue // a namespace this kernel does not have
		} else if err != nil {
			return 0, fmt.Errorf("reading our %s namespace: %w", ns.name, err)
		}
		err := unix.Stat("/proc/"+strconv.Itoa(pid)+"/ns/"+ns.name, &theirs)
		if err == unix.ENOENT || err == unix.ESRCH {
			// Gone, or a zombie: it has no namespaces any more.
			return 0, fmt.Errorf("entering container process %d: %w", pid, os.ErrProcessDone)
		}
		if err != nil {
			return 0, fmt.Errorf("reading %s namespace of container process %d: %w", ns.name, pid, err)
		}
		if ours.Dev != theirs.Dev || ours.Ino != theirs.Ino {
			flags |= ns.flag
		}
	}
	if flags&unix.CLONE_NEWNS == 0 {
		return 0, fmt.Errorf("process %d shares our mount namespace: it is not in a container", pid)
	}
	return flags, nil
}

// openConsole allocates the terminal of an exec'd process in the container's own devpts, as
// Docker does, so that the process sees it under /dev/pts (tty, ttyname); when the container
// has no devpts, on the host's. It returns the master and the slave, and whether they are of
// the container's devpts.
func openConsole(pid int) (master, slave *os.File, own bool, err error) {
	root, err := unix.Open("/proc/"+strconv.Itoa(pid)+"/root", unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, nil, false, fmt.Errorf("opening root of container process %d: %w", pid, err)
	}
	defer unix.Close(root)
	// The container owns its /dev: the path is resolved inside its root, and what it leads to
	// must be the ptmx of a devpts.
	m, s, err := openPty(root)
	if errors.Is(err, unix.ENOENT) {
		if master, slave, err = pty.Open(); err != nil {
			return nil, nil, false, fmt.Errorf("allocating terminal: %w", err)
		}
		return master, slave, false, nil
	}
	if err != nil {
		return nil, nil, false, err
	}
	return os.NewFile(uintptr(m), "/dev/pts/ptmx"), os.NewFile(uintptr(s), "pts"), true, nil
}

// chownToContainerRoot makes the container's root (uid 0 in the user namespace of process
// pid) the owner of f.
func chownToContainerRoot(f *os.File, pid int) error {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/uid_map")
	if err != nil {
		return fmt.Errorf("reading the uid map of container process %d: %w", pid, err)
	}
	uid, ok := mapToHost(string(b), 0)
	if !ok {
		return fmt.Errorf("the container's user namespace does not map its root")
	}
	if err := f.Chown(int(uid), -1); err != nil {
		return fmt.Errorf("giving the terminal to the container's root: %w", err)
	}
	return nil
}

// mapToHost maps id through an id map as /proc/<pid>/uid_map shows it (lines of "inside
// outside count").
func mapToHost(idMap string, id uint32) (uint32, bool) {
	for _, line := range strings.Split(idMap, "\n") {
		var inside, outside, count uint32
		if n, _ := fmt.Sscan(line, &inside, &outside, &count); n != 3 {
			continue
		}
		if id >= inside && id-inside < count {
			return outside + (id - inside), true
		}
	}
	return 0, false
}
