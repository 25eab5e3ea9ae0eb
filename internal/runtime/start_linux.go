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
	"path/filepath"
	goruntime "runtime"
	"slices"
	"syscall"

	"github.com/creack/pty"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/geedocker/geedocker/internal/runtime/nsenter"
)

// Start starts the container's init and returns once the init has executed the spec's
// command, which then runs as the container's PID 1; or, when that failed, an error (wrapping
// ErrNotFound or ErrCannotInvoke when the command is to blame). Cancelling ctx stops a start
// under way; it does nothing to a started container.
func Start(ctx context.Context, c Config) (*Process, error) {
	if c.Spec == nil || c.Spec.Root == nil {
		return nil, fmt.Errorf("checking container spec: spec needs process and root")
	}
	rootfs, err := filepath.Abs(c.Spec.Root.Path)
	if err != nil {
		return nil, fmt.Errorf("finding rootfs: %w", err)
	}
	cfg, cloneFlags, err := newInitConfig(c.Spec, rootfs, c.RootfsMounts, c.SeccompCacheDir)
	if err != nil {
		return nil, fmt.Errorf("checking container spec: %w", err)
	}
	if h := c.ContainerHooks; h != nil {
		cfg.CreateHooks, cfg.StartHooks = h.Create, h.Start
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	// The namespaces to join, opened before the init joins a mount namespace, in which
	// their paths may name nothing (runc opens them all first too); the PID namespace apart
	// (startInPIDNamespace).
	nsFiles, err := openNamespaces(&cfg)
	if err != nil {
		return nil, err
	}
	defer nsFiles.close()
	// The preserved files first (fds 3…), then the runtime's: at most six (below), and the
	// namespaces.
	nPreserve := len(c.PreserveFiles)
	self, doneSelf, err := sealedExePathFor(nPreserve + maxOwnFiles + nsFiles.count())
	if err != nil {
		return nil, err
	}
	defer doneSelf()

	// The two pipes to the init; the ends the init gets become its configFd and syncFd.
	configR, configW, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("creating config pipe: %w", err)
	}
	defer configW.Close()
	syncR, syncW, err := os.Pipe()
	if err != nil {
		configR.Close()
		return nil, fmt.Errorf("creating sync pipe: %w", err)
	}
	defer syncR.Close()

	// A user namespace of its own: Go writes the maps, and the init starts as its root.
	var rootfsSock, rootfsSockChild *os.File
	userns := cloneFlags&unix.CLONE_NEWUSER != 0
	if cfg.RootfsFromParent {
		fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			configR.Close()
			syncW.Close()
			return nil, fmt.Errorf("creating rootfs socket: %w", err)
		}
		rootfsSock, rootfsSockChild = os.NewFile(uintptr(fds[0]), "rootfs-sock"), os.NewFile(uintptr(fds[1]), "rootfs-sock")
		defer rootfsSock.Close()
	}
	cmd := &exec.Cmd{
		Path: self, // the sealed binary, never the host's file
		Args: childArgs(initArg0, nPreserve),
		// The init lives for milliseconds: no garbage collector and one P
		// spare it threads and page faults. Its environment is not the
		// container's (the command gets the spec's).
		Env:        initEnv,
		ExtraFiles: append(slices.Clone(c.PreserveFiles), configR, syncW),
		SysProcAttr: &syscall.SysProcAttr{
			Cloneflags: cloneFlags,
			Setsid:     true,
		},
	}
	if cfg.Nsenter {
		// The mount and user namespaces are joined by the init's nsenter constructor, which
		// then creates the new namespaces (cloneFlags): the clone creates none.
		cmd.SysProcAttr.Cloneflags = 0
	}
	if userns {
		cmd.SysProcAttr.UidMappings = idMappings(c.Spec.Linux.UIDMappings)
		cmd.SysProcAttr.GidMappings = idMappings(c.Spec.Linux.GIDMappings)
		cmd.SysProcAttr.GidMappingsEnableSetgroups = true
		cmd.SysProcAttr.Credential = &syscall.Credential{Uid: 0, Gid: 0}
	}
	if rootfsSockChild != nil {
		cmd.ExtraFiles = append(cmd.ExtraFiles, rootfsSockChild) // fd rootfsSockFd()
	}
	if c.StartGate != nil {
		cfg.GateFd = 3 + len(cmd.ExtraFiles)
		cmd.ExtraFiles = append(cmd.ExtraFiles, c.StartGate)
	}
	// The terminal: allocated by the init in the container's devpts and received on a
	// socket (console_linux.go), or, without a devpts, one of the host's.
	var console, slave, consoleSock, consoleSockChild *os.File
	if cfg.OwnConsole {
		fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			configR.Close()
			syncW.Close()
			closeFile(rootfsSockChild)
			return nil, fmt.Errorf("creating console socket: %w", err)
		}
		consoleSock, consoleSockChild = os.NewFile(uintptr(fds[0]), "console-sock"), os.NewFile(uintptr(fds[1]), "console-sock")
		defer consoleSock.Close()
		cfg.ConsoleSocket = 3 + len(cmd.ExtraFiles)
		cmd.ExtraFiles = append(cmd.ExtraFiles, consoleSockChild)
	} else if c.Spec.Process.Terminal {
		if console, slave, err = pty.Open(); err != nil {
			configR.Close()
			syncW.Close()
			closeFile(rootfsSockChild)
			return nil, fmt.Errorf("allocating terminal: %w", err)
		}
		if sz := c.Spec.Process.ConsoleSize; sz != nil {
			_ = pty.Setsize(console, &pty.Winsize{Rows: uint16(sz.Height), Cols: uint16(sz.Width)})
		}
		cmd.Stdin, cmd.Stdout, cmd.Stderr = slave, slave, slave
		cmd.SysProcAttr.Setctty = true
		cmd.SysProcAttr.Ctty = 0
	} else {
		cmd.Stdin, cmd.Stdout, cmd.Stderr = c.Stdin, c.Stdout, c.Stderr
	}
	for i, f := range nsFiles.join {
		cfg.Join[i].Fd = 3 + len(cmd.ExtraFiles)
		cmd.ExtraFiles = append(cmd.ExtraFiles, f)
	}
	if cfg.Nsenter {
		// The last of the init's descriptors: the constructor closes them.
		mntFd, userFd := -1, -1
		if nsFiles.mount != nil {
			mntFd = 3 + len(cmd.ExtraFiles)
			cmd.ExtraFiles = append(cmd.ExtraFiles, nsFiles.mount)
		}
		if nsFiles.user != nil {
			userFd = 3 + len(cmd.ExtraFiles)
			cmd.ExtraFiles = append(cmd.ExtraFiles, nsFiles.user)
		}
		cmd.Env = append(slices.Clone(initEnv), nsenter.InitEnv+"="+nsenter.InitValue(cloneFlags, mntFd, userFd, 3+nPreserve+1))
	}
	config, err := json.Marshal(cfg)
	switch {
	case err != nil:
		err = fmt.Errorf("encoding container config: %w", err)
	case cfg.pidPath != "":
		err = startInPIDNamespace(cmd, cfg.pidPath)
	default:
		err = cmd.Start()
	}
	configR.Close()
	syncW.Close()
	closeFile(rootfsSockChild)
	closeFile(consoleSockChild)
	closeFile(slave)
	if err != nil {
		if console != nil {
			console.Close()
		}
		return nil, fmt.Errorf("starting container init: %w", err)
	}
	p := &Process{Pid: cmd.Process.Pid, Console: console, cmd: cmd}
	fail := func(err error) (*Process, error) {
		_ = cmd.Process.Kill()
		if p.proc != nil {
			_ = p.proc.Kill()
		}
		_, _ = p.Wait()
		if console != nil {
			console.Close()
		}
		return nil, err
	}
	nsFiles.close()
	if cfg.Nsenter {
		if err := joinedInit(ctx, p, syncR, cloneFlags&unix.CLONE_NEWPID != 0); err != nil {
			return fail(err)
		}
	}

	// The init waits for its config: only once it is in the cgroup does it do anything.
	if c.Cgroup != nil {
		if err := c.Cgroup.Add(p.Pid); err != nil {
			return fail(fmt.Errorf("adding container init to its cgroup: %w", err))
		}
	}
	if c.Created != nil {
		if err := c.Created(p.Pid); err != nil {
			return fail(err)
		}
	}
	if rootfsSock != nil {
		mnt, err := idmappedRootfs(p.Pid, c.RootfsMounts)
		if err != nil {
			return fail(fmt.Errorf("building the container's root: %w", err))
		}
		err = sendFd(int(rootfsSock.Fd()), mnt)
		unix.Close(mnt)
		if err != nil {
			return fail(fmt.Errorf("sending the container's root: %w", err))
		}
	}
	if h := c.ContainerHooks; h != nil && h.State != nil && len(h.Create)+len(h.Start) > 0 {
		// The state names the init's pid, known only now: the config is encoded again.
		if cfg.HookState, err = h.State(p.Pid); err != nil {
			return fail(err)
		}
		if config, err = json.Marshal(cfg); err != nil {
			return fail(fmt.Errorf("encoding container config: %w", err))
		}
	}
	if _, err := configW.Write(config); err != nil {
		return fail(fmt.Errorf("sending config to container init: %w", err))
	}
	configW.Close()

	// The init sends the terminal once the container's devpts is mounted, or closes the
	// socket when it fails before. Then the sync pipe closes without a word when execve
	// succeeds (it is close-on-exec), or carries the report of what failed.
	stop := context.AfterFunc(ctx, func() { _ = p.Signal(unix.SIGKILL) })
	var consoleErr error
	if consoleSock != nil {
		console, consoleErr = receiveConsole(consoleSock)
		p.Console = console
	}
	msg, err := io.ReadAll(syncR)
	if !stop() {
		return fail(ctx.Err())
	}
	if err != nil {
		return fail(fmt.Errorf("waiting for container init: %w", err))
	}
	if len(msg) > 0 {
		return fail(reportError("container init", msg))
	}
	if consoleErr != nil {
		return fail(fmt.Errorf("receiving the container's terminal: %w", consoleErr))
	}
	if consoleSock != nil && console == nil {
		return fail(fmt.Errorf("receiving the container's terminal: the init sent none"))
	}
	return p, nil
}

// joinedInit reads the report of the nsenter constructor of an init that joins a mount or
// user namespace: the pid of the process that goes on. When the init forked into a new PID
// namespace (forked), that is a sibling of cmd's process (which exits at once); otherwise it
// is cmd's process, as the init's own PID namespace numbers it (a joined one, maybe), and p
// keeps cmd's pid.
func joinedInit(ctx context.Context, p *Process, syncR io.Reader, forked bool) error {
	stop := context.AfterFunc(ctx, func() { _ = p.cmd.Process.Kill() })
	var pid int32
	err := binary.Read(syncR, binary.NativeEndian, &pid)
	cancelled := !stop()
	if err == nil && pid > 0 && forked {
		// A child of ours too (CLONE_PARENT). On Linux FindProcess does not fail.
		p.proc, _ = os.FindProcess(int(pid))
	}
	switch {
	case cancelled:
		return ctx.Err()
	case err != nil:
		return fmt.Errorf("container init ended before joining its namespaces: %w", err)
	case pid == -1:
		msg, _ := io.ReadAll(io.LimitReader(syncR, 4096))
		return fmt.Errorf("container init: %s", msg)
	case pid <= 0:
		return fmt.Errorf("container init: bad pid %d", pid)
	}
	if forked {
		p.Pid = int(pid)
	}
	return nil
}

// namespaceFiles are the namespaces an init joins, open in the parent.
type namespaceFiles struct {
	mount, user *os.File   // joined by the init's nsenter constructor, or nil
	join        []*os.File // those of initConfig.Join, in its order
}

// openNamespaces opens the namespaces cfg joins, but the PID namespace. A mount namespace
// that is the caller's own is refused: the init would make its mounts, then pivot_root, in
// the namespace of the runtime (the host's, often), moving the root of every process in it.
func openNamespaces(cfg *initConfig) (f namespaceFiles, err error) {
	defer func() {
		if err != nil {
			f.close()
		}
	}()
	open := func(typ specs.LinuxNamespaceType, path string) (*os.File, error) {
		fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			return nil, fmt.Errorf("opening %s namespace %s: %w", typ, path, err)
		}
		return os.NewFile(uintptr(fd), path), nil
	}
	for _, j := range cfg.Join {
		file, err := open(j.Type, j.Path)
		if err != nil {
			return f, err
		}
		f.join = append(f.join, file)
	}
	if cfg.mountPath != "" {
		if f.mount, err = open(specs.MountNamespace, cfg.mountPath); err != nil {
			return f, err
		}
		var own, other unix.Stat_t
		if err := unix.Stat("/proc/self/ns/mnt", &own); err != nil {
			return f, fmt.Errorf("reading our mount namespace: %w", err)
		}
		if err := unix.Fstat(int(f.mount.Fd()), &other); err != nil {
			return f, fmt.Errorf("reading mount namespace %s: %w", cfg.mountPath, err)
		}
		if own.Dev == other.Dev && own.Ino == other.Ino {
			return f, fmt.Errorf("joining mount namespace %s: it is the runtime's own, where pivot_root would move the root of every process", cfg.mountPath)
		}
	}
	if cfg.userPath != "" {
		if f.user, err = open(specs.UserNamespace, cfg.userPath); err != nil {
			return f, err
		}
	}
	return f, nil
}

// count is the number of files of f.
func (f *namespaceFiles) count() int {
	n := len(f.join)
	if f.mount != nil {
		n++
	}
	if f.user != nil {
		n++
	}
	return n
}

// close closes the files of f; it may be called more than once.
func (f *namespaceFiles) close() {
	for _, file := range f.join {
		closeFile(file)
	}
	closeFile(f.mount)
	closeFile(f.user)
}

// closeFile closes f when it is not nil.
func closeFile(f *os.File) {
	if f != nil {
		f.Close()
	}
}

// reportError turns the report a child wrote on its sync pipe into an error.
func reportError(child string, msg []byte) error {
	var rep initReport
	if err := json.Unmarshal(msg, &rep); err != nil {
		return fmt.Errorf("%s: bad report %q", child, msg)
	}
	se := &startError{msg: rep.Message}
	switch rep.Kind {
	case "notfound":
		se.kind = ErrNotFound
	case "cannotinvoke":
		se.kind = ErrCannotInvoke
	}
	return se
}

// Wait waits for the container's process to end, reaps it, and returns how it ended. It may
// be called more than once and from several goroutines.
func (p *Process) Wait() (ExitStatus, error) {
	p.waitOnce.Do(func() {
		var state *os.ProcessState
		var err error
		if p.proc != nil {
			state, err = p.proc.Wait()
			// Then reap cmd's process, long gone, and let the stdio copies finish.
			var exitErr *exec.ExitError
			if cmdErr := p.cmd.Wait(); err == nil && cmdErr != nil && !errors.As(cmdErr, &exitErr) {
				err = cmdErr
			}
		} else {
			var exitErr *exec.ExitError
			if err = p.cmd.Wait(); errors.As(err, &exitErr) {
				err = nil
			}
			state = p.cmd.ProcessState
		}
		if err != nil {
			p.waitErr = fmt.Errorf("waiting for container process %d: %w", p.Pid, err)
		}
		if state == nil {
			return
		}
		ws, ok := state.Sys().(syscall.WaitStatus)
		switch {
		case !ok:
			p.status.Code = state.ExitCode()
		case ws.Signaled():
			p.status = ExitStatus{Code: 128 + int(ws.Signal()), Signal: ws.Signal()}
		default:
			p.status.Code = ws.ExitStatus()
		}
	})
	return p.status, p.waitErr
}

// Signal sends sig to the container's process. As PID 1 of its namespace, the process gets
// only the signals it handles, and SIGKILL.
func (p *Process) Signal(sig os.Signal) error {
	proc := p.cmd.Process
	if p.proc != nil {
		proc = p.proc
	}
	if err := proc.Signal(sig); err != nil {
		return fmt.Errorf("signalling container process %d: %w", p.Pid, err)
	}
	return nil
}

// initEnv is the environment of the re-executed init.
var initEnv = []string{"GOGC=off", "GOMAXPROCS=1"}

// startInPIDNamespace starts cmd as a member of the existing PID namespace at path: the
// parent's thread that forks it enters the namespace (for its children) first. That thread
// stays locked and is thrown away with its goroutine.
func startInPIDNamespace(cmd *exec.Cmd, path string) error {
	done := make(chan error, 1)
	go func() {
		goruntime.LockOSThread() // never unlocked: the thread dies with the goroutine
		fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			done <- fmt.Errorf("opening pid namespace: %w", err)
			return
		}
		err = unix.Setns(fd, unix.CLONE_NEWPID)
		unix.Close(fd)
		if err != nil {
			done <- fmt.Errorf("joining pid namespace %s: %w", path, err)
			return
		}
		done <- cmd.Start()
	}()
	return <-done
}
