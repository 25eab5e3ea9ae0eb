package runc

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/geedocker/geedocker/internal/cgroups"
	"github.com/geedocker/geedocker/internal/runtime"
)

// CreateOpts says which bundle to create a container from, and how.
type CreateOpts struct {
	ID     string
	Bundle string // directory of config.json; the working directory when empty
	// PidFile, when set, receives the pid of the init.
	PidFile string
	// ConsoleSocket is the path of a Unix socket that receives the master of the container's
	// terminal (SCM_RIGHTS), when the spec asks for a terminal.
	ConsoleSocket string
	// NoGate starts the command at once (run) instead of waiting for Start (create).
	NoGate bool
	// Stdin, Stdout and Stderr of the init; *os.File are handed over as they are.
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	// PreserveFiles become the command's descriptors 3, 4, … (--preserve-fds).
	PreserveFiles []*os.File
}

// Create makes a container from a bundle and returns its init: waiting at its start gate, or
// (NoGate) running the command. With a terminal and no console socket, the caller gets the
// master in Process.Console.
func (s Store) Create(ctx context.Context, o CreateOpts) (p *runtime.Process, err error) {
	if err := CheckID(o.ID); err != nil {
		return nil, err
	}
	bundle := o.Bundle
	if bundle == "" {
		bundle = "."
	}
	if bundle, err = filepath.Abs(bundle); err != nil {
		return nil, fmt.Errorf("finding the bundle: %w", err)
	}
	spec, err := LoadSpec(bundle)
	if err != nil {
		return nil, err
	}
	if spec.Process.Terminal && o.ConsoleSocket == "" && !o.NoGate {
		return nil, fmt.Errorf("cannot allocate a terminal without --console-socket when the container is detached")
	}
	rootfs := spec.Root.Path
	if !filepath.IsAbs(rootfs) {
		rootfs = filepath.Join(bundle, rootfs)
	}
	spec.Root.Path = rootfs
	if spec.Linux == nil {
		spec.Linux = &specs.Linux{}
	}
	if (spec.Process.SelinuxLabel != "" || spec.Linux.MountLabel != "") && selinuxEnabled() {
		// Ignoring them is right only where SELinux would not confine the container anyway.
		return nil, fmt.Errorf("SELinux labels are not supported, and this host has SELinux")
	}
	addDefaultDevices(spec.Linux)
	checkCapabilities(spec.Process, runtime.Capabilities())
	if err := os.MkdirAll(s.Root, 0o711); err != nil {
		return nil, fmt.Errorf("creating the runtime root: %w", err)
	}
	dir := s.dir(o.ID)
	if err := os.Mkdir(dir, 0o711); errors.Is(err, os.ErrExist) {
		return nil, fmt.Errorf("container %s: %w", o.ID, ErrExist)
	} else if err != nil {
		return nil, fmt.Errorf("creating the container's state directory: %w", err)
	}
	var cg cgroups.Manager
	sharedMountNS := !slices.ContainsFunc(spec.Linux.Namespaces, func(ns specs.LinuxNamespace) bool {
		return ns.Type == specs.MountNamespace
	})
	defer func() {
		if err == nil {
			return
		}
		if p != nil {
			_ = p.Signal(unix.SIGKILL)
			_, _ = p.Wait()
			p = nil
		}
		if cg != nil {
			_ = cg.Kill()
			_ = cg.Destroy()
		}
		if sharedMountNS {
			_ = runtime.DetachSharedRootfs(rootfs)
		}
		os.RemoveAll(dir)
	}()

	rec := &Record{ID: o.ID, Bundle: bundle, Rootfs: rootfs, Created: time.Now().UTC(),
		Annotations: spec.Annotations, Hooks: spec.Hooks, SharedMountNS: sharedMountNS}
	cgPath := spec.Linux.CgroupsPath
	if cgPath == "" {
		cgPath = "/" + o.ID
	}
	cfg := runtime.Config{Spec: spec, Stdin: o.Stdin, Stdout: o.Stdout, Stderr: o.Stderr, PreserveFiles: o.PreserveFiles}
	var apply cgroups.Manager // the container's cgroup, for the device rules
	if mode, _ := cgroups.Detect(); mode != cgroups.Unavailable {
		m, err := cgroups.NewPath(mode, cgPath, cgroups.Opts{})
		if err != nil {
			return nil, fmt.Errorf("cgroup: %w", err)
		}
		// The device rules go in once the init has made the devices (below), as runc does.
		var early *specs.LinuxResources
		if r := spec.Linux.Resources; r != nil {
			c := *r
			c.Devices = nil
			early = &c
		}
		// A cgroup that exists already (a parent shared with others) is joined, and on failure
		// left as it was: only one made here is emptied and removed.
		existed := cgroupExists(mode, cgPath)
		if err := m.Create(early); err != nil {
			return nil, err
		}
		if !existed {
			cg = m
		}
		if mode != cgroups.Unified {
			for _, set := range extraV1Settings(spec.Linux.Resources) {
				p := filepath.Join(cgroups.DefaultRoot, set.Controller, cgPath, set.File)
				if err := os.WriteFile(p, []byte(set.Value), 0); err != nil {
					return nil, fmt.Errorf("setting %s of cgroup %s: %w", set.File, cgPath, err)
				}
			}
		}
		rec.CgroupPath = cgPath
		cfg.Cgroup, apply = m, m
	}
	// Even run stops the init at the gate: the device rules apply before the command runs.
	gate, err := runtime.OpenStartGate(s.gatePath(o.ID))
	if err != nil {
		return nil, err
	}
	defer gate.Close()
	cfg.StartGate = gate
	if h := spec.Hooks; h != nil && len(h.CreateContainer)+len(h.StartContainer) > 0 {
		cfg.ContainerHooks = &runtime.ContainerHooks{Create: h.CreateContainer, Start: h.StartContainer,
			State: func(pid int) ([]byte, error) { return hookState(rec.State(Created)) }}
	}
	cfg.Created = func(pid int) error {
		start, err := startTime(pid)
		if err != nil {
			return err
		}
		rec.Pid, rec.StartTime = pid, start
		if err := s.Save(rec); err != nil {
			return err
		}
		if h := spec.Hooks; h != nil {
			// The container exists, its init waits: runtime-tools expects "created" here.
			st := rec.State(Created)
			if err := runHooks(ctx, "prestart", h.Prestart, st); err != nil { //nolint:staticcheck // deprecated, still honoured
				return err
			}
			if err := runHooks(ctx, "createRuntime", h.CreateRuntime, st); err != nil {
				return err
			}
		}
		return nil
	}
	if p, err = runtime.Start(ctx, cfg); err != nil {
		return nil, err
	}
	if apply != nil && spec.Linux.Resources != nil && len(spec.Linux.Resources.Devices) > 0 {
		if err := apply.Create(spec.Linux.Resources); err != nil {
			return p, err
		}
	}
	if o.NoGate {
		if err := runtime.ReleaseStartGate(s.gatePath(o.ID)); err != nil {
			return p, err
		}
	}
	if err := handOver(p, o.ConsoleSocket, o.PidFile); err != nil {
		return p, err
	}
	if o.NoGate {
		s.poststart(ctx, rec)
	}
	return p, nil
}

// poststart runs the poststart hooks. Their failure does not stop the container (the spec
// asks for a warning only).
func (s Store) poststart(ctx context.Context, rec *Record) {
	if rec.Hooks != nil {
		_ = runHooks(ctx, "poststart", rec.Hooks.Poststart, rec.State(Running))
	}
}

// Start lets a created container's init execute its command.
func (s Store) Start(ctx context.Context, id string) error {
	rec, err := s.Load(id)
	if err != nil {
		return err
	}
	st, err := s.Status(rec)
	if err != nil {
		return err
	}
	if st != Created {
		return fmt.Errorf("cannot start a container that is %s: %w", st, ErrBadStatus)
	}
	if err := runtime.ReleaseStartGate(s.gatePath(id)); err != nil {
		return fmt.Errorf("starting container %s: %w", id, err)
	}
	s.poststart(ctx, rec)
	return nil
}

// Status reads the status of the container of rec from the system.
func (s Store) Status(rec *Record) (Status, error) {
	if !alive(rec.Pid, rec.StartTime) {
		return Stopped, nil
	}
	if _, err := os.Lstat(s.gatePath(rec.ID)); err == nil {
		return Created, nil
	}
	if cg := s.cgroup(rec); cg != nil {
		if frozen, err := cg.Frozen(); err == nil && frozen {
			return Paused, nil
		}
	}
	return Running, nil
}

// State returns runc's state of container id.
func (s Store) State(id string) (State, error) {
	rec, err := s.Load(id)
	if err != nil {
		return State{}, err
	}
	st, err := s.Status(rec)
	if err != nil {
		return State{}, err
	}
	return rec.State(st), nil
}

// List returns the state of every container, sorted by ID.
func (s Store) List() ([]State, error) {
	ids, err := s.IDs()
	if err != nil {
		return nil, err
	}
	var out []State
	for _, id := range ids {
		st, err := s.State(id)
		if errors.Is(err, ErrNotExist) {
			continue // deleted meanwhile
		}
		if err != nil {
			return nil, err
		}
		out = append(out, st)
	}
	return out, nil
}

// Kill sends sig to the container's init, or with all to every process of its cgroup.
func (s Store) Kill(id string, sig unix.Signal, all bool) error {
	rec, err := s.Load(id)
	if err != nil {
		return err
	}
	st, err := s.Status(rec)
	if err != nil {
		return err
	}
	if all {
		// As runc: the processes left in the cgroup of a stopped init (a container that
		// shares its pod's PID namespace keeps its children when the init exits) are
		// signalled too; with no cgroup left there is nothing to signal.
		pids, err := s.Pids(id)
		if st == Stopped && errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil {
			return err
		}
		for _, pid := range pids {
			if err := unix.Kill(pid, sig); err != nil && err != unix.ESRCH {
				return fmt.Errorf("signalling process %d: %w", pid, err)
			}
		}
		// As runc, which thaws the cgroup once it has signalled all its processes.
		return s.thawPaused(rec, st)
	}
	if st == Stopped {
		return fmt.Errorf("container %s: %w", id, ErrNotRunning)
	}
	if err := signalInit(rec, sig); err != nil {
		return err
	}
	// A frozen process dies of SIGKILL only once thawed on cgroup v1: as runc, thaw it.
	if sig == unix.SIGKILL {
		return s.thawPaused(rec, st)
	}
	return nil
}

// thawPaused thaws the cgroup of a container that was paused.
func (s Store) thawPaused(rec *Record, st Status) error {
	if st != Paused {
		return nil
	}
	if cg := s.cgroup(rec); cg != nil {
		if err := cg.Thaw(); err != nil {
			return fmt.Errorf("thawing container %s: %w", rec.ID, err)
		}
	}
	return nil
}

// signalInit signals the init through a pidfd, so a reused pid is never signalled.
func signalInit(rec *Record, sig unix.Signal) error {
	fd, err := unix.PidfdOpen(rec.Pid, 0)
	if err == unix.ESRCH {
		return fmt.Errorf("container %s: %w", rec.ID, ErrNotRunning)
	}
	if err != nil {
		return fmt.Errorf("opening the init of %s: %w", rec.ID, err)
	}
	defer unix.Close(fd)
	if !alive(rec.Pid, rec.StartTime) {
		return fmt.Errorf("container %s: %w", rec.ID, ErrNotRunning)
	}
	if err := unix.PidfdSendSignal(fd, sig, nil, 0); err != nil {
		return fmt.Errorf("signalling the init of %s: %w", rec.ID, err)
	}
	return nil
}

// Delete removes a stopped or created container: its processes, cgroup and state; with force
// a running or paused one too. Poststop hooks run last. With force, an unknown id is no error.
func (s Store) Delete(ctx context.Context, id string, force bool) error {
	rec, err := s.Load(id)
	if errors.Is(err, ErrNotExist) && force {
		if CheckID(id) == nil {
			os.RemoveAll(s.dir(id))
		}
		return nil
	}
	if err != nil {
		return err
	}
	st, err := s.Status(rec)
	if err != nil {
		return err
	}
	switch st {
	case Running, Paused:
		if !force {
			return fmt.Errorf("cannot delete container %s that is not stopped: %s: %w", id, st, ErrBadStatus)
		}
	}
	if st != Stopped {
		if cg := s.cgroup(rec); st == Paused && cg != nil {
			_ = cg.Thaw()
		}
		if err := killAndWait(rec); err != nil {
			return err
		}
	}
	if cg := s.cgroup(rec); cg != nil {
		_ = cg.Kill()
		if err := cg.Destroy(); err != nil {
			return fmt.Errorf("removing the cgroup of %s: %w", id, err)
		}
	}
	if rec.SharedMountNS {
		if err := runtime.DetachSharedRootfs(rec.Rootfs); err != nil {
			return err
		}
	}
	var hookErr error
	if rec.Hooks != nil {
		hookErr = runHooks(ctx, "poststop", rec.Hooks.Poststop, rec.State(Stopped))
	}
	if err := os.RemoveAll(s.dir(id)); err != nil {
		return fmt.Errorf("removing the state of %s: %w", id, err)
	}
	return hookErr
}

// killAndWait kills the init with SIGKILL and waits until it has exited.
func killAndWait(rec *Record) error {
	fd, err := unix.PidfdOpen(rec.Pid, 0)
	if err == unix.ESRCH {
		return nil
	}
	if err != nil {
		return fmt.Errorf("opening the init of %s: %w", rec.ID, err)
	}
	defer unix.Close(fd)
	if !alive(rec.Pid, rec.StartTime) {
		return nil
	}
	if err := unix.PidfdSendSignal(fd, unix.SIGKILL, nil, 0); err != nil && err != unix.ESRCH {
		return fmt.Errorf("killing the init of %s: %w", rec.ID, err)
	}
	// A pidfd becomes readable when its process exits.
	fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
	for {
		_, err := unix.Poll(fds, 10_000)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return fmt.Errorf("waiting for the init of %s: %w", rec.ID, err)
		}
		if fds[0].Revents != 0 {
			return nil
		}
		return fmt.Errorf("the init of %s did not exit within 10s of SIGKILL", rec.ID)
	}
}

// Pids lists the processes of the container's cgroup.
func (s Store) Pids(id string) ([]int, error) {
	rec, err := s.Load(id)
	if err != nil {
		return nil, err
	}
	cg := s.cgroup(rec)
	if cg == nil {
		if alive(rec.Pid, rec.StartTime) {
			return []int{rec.Pid}, nil
		}
		return nil, nil
	}
	return cg.Procs()
}

// Pause freezes every process of the container; Resume thaws them.
func (s Store) Pause(id string) error  { return s.freeze(id, true) }
func (s Store) Resume(id string) error { return s.freeze(id, false) }

func (s Store) freeze(id string, on bool) error {
	rec, err := s.Load(id)
	if err != nil {
		return err
	}
	st, err := s.Status(rec)
	if err != nil {
		return err
	}
	switch {
	case on && st != Running:
		return fmt.Errorf("cannot pause container %s that is %s: %w", id, st, ErrBadStatus)
	case !on && st != Paused:
		return fmt.Errorf("cannot resume container %s that is %s: %w", id, st, ErrBadStatus)
	}
	cg := s.cgroup(rec)
	if cg == nil {
		return fmt.Errorf("container %s has no cgroup", id)
	}
	if on {
		return cg.Freeze()
	}
	return cg.Thaw()
}

func (s Store) cgroup(rec *Record) cgroups.Manager {
	if rec.CgroupPath == "" {
		return nil
	}
	mode, _ := cgroups.Detect()
	m, err := cgroups.NewPath(mode, rec.CgroupPath, cgroups.Opts{})
	if err != nil {
		return nil
	}
	return m
}

// ExecOpts says what to run in a running container.
type ExecOpts struct {
	ID            string
	Process       *specs.Process
	ConsoleSocket string
	PidFile       string
	Stdin         io.Reader
	Stdout        io.Writer
	Stderr        io.Writer
	PreserveFiles []*os.File // as in CreateOpts
}

// Exec starts a process in the running container id. With a terminal and a console socket,
// the master goes to the socket; without, the caller gets it in Process.Console.
func (s Store) Exec(ctx context.Context, o ExecOpts) (*runtime.Process, error) {
	rec, err := s.Load(o.ID)
	if err != nil {
		return nil, err
	}
	st, err := s.Status(rec)
	if err != nil {
		return nil, err
	}
	if st != Running && st != Created {
		return nil, fmt.Errorf("cannot exec in container %s that is %s: %w", o.ID, st, ErrBadStatus)
	}
	spec, err := LoadSpec(rec.Bundle)
	if err != nil {
		return nil, err
	}
	cfg := runtime.ExecConfig{Pid: rec.Pid, Process: o.Process, Stdin: o.Stdin, Stdout: o.Stdout, Stderr: o.Stderr,
		PreserveFiles: o.PreserveFiles}
	if spec.Linux != nil {
		cfg.Seccomp = spec.Linux.Seccomp
	}
	if cg := s.cgroup(rec); cg != nil {
		cfg.Cgroup = cg
	}
	p, err := runtime.Exec(ctx, cfg)
	if err != nil {
		return nil, err
	}
	if err := handOver(p, o.ConsoleSocket, o.PidFile); err != nil {
		_ = p.Signal(unix.SIGKILL)
		_, _ = p.Wait()
		return nil, err
	}
	return p, nil
}

// handOver gives a started process's terminal to the console socket (when both exist) and
// writes its pid file (when asked), as runc does after create, run and exec.
func handOver(p *runtime.Process, consoleSocket, pidFile string) error {
	if p.Console != nil && consoleSocket != "" {
		err := sendConsole(consoleSocket, p.Console)
		p.Console.Close()
		p.Console = nil
		if err != nil {
			return err
		}
	}
	if pidFile != "" {
		return writePidFile(pidFile, p.Pid)
	}
	return nil
}

// sendConsole sends the terminal's master to the Unix socket at path, as runc does.
func sendConsole(path string, master *os.File) error {
	conn, err := net.Dial("unix", path)
	if err != nil {
		return fmt.Errorf("connecting to the console socket: %w", err)
	}
	defer conn.Close()
	uc, ok := conn.(*net.UnixConn)
	if !ok {
		return fmt.Errorf("console socket %s is not a Unix socket", path)
	}
	name := []byte(master.Name())
	if _, _, err := uc.WriteMsgUnix(name, unix.UnixRights(int(master.Fd())), nil); err != nil {
		return fmt.Errorf("sending the terminal to the console socket: %w", err)
	}
	return nil
}

func writePidFile(path string, pid int) error {
	abs, err := filepath.Abs(path)
	if err != nil {
		return err
	}
	return writeFileAtomic(abs, []byte(strconv.Itoa(pid)), 0o644)
}

// startTime reads the start time of pid (field 22 of /proc/<pid>/stat), with which a pid that
// was reused is told from the init.
func startTime(pid int) (uint64, error) {
	st, _, err := procStat(pid)
	return st, err
}

func procStat(pid int) (start uint64, state byte, err error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, 0, err
	}
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, 0, fmt.Errorf("parsing /proc/%d/stat", pid)
	}
	f := strings.Fields(string(b[i+1:]))
	// f[0] is field 3 (state); field 22 is f[19].
	if len(f) < 20 || len(f[0]) != 1 {
		return 0, 0, fmt.Errorf("parsing /proc/%d/stat", pid)
	}
	start, err = strconv.ParseUint(f[19], 10, 64)
	return start, f[0][0], err
}

// alive says whether pid is still the process that started at start, and not a zombie.
func alive(pid int, start uint64) bool {
	if pid <= 0 {
		return false
	}
	st, state, err := procStat(pid)
	return err == nil && st == start && state != 'Z' && state != 'X'
}

// Update changes the cgroup limits of a running, created or paused container.
func (s Store) Update(id string, res *specs.LinuxResources) error {
	rec, err := s.Load(id)
	if err != nil {
		return err
	}
	st, err := s.Status(rec)
	if err != nil {
		return err
	}
	if st == Stopped {
		return fmt.Errorf("container %s: %w", id, ErrNotRunning)
	}
	cg := s.cgroup(rec)
	if cg == nil {
		return fmt.Errorf("container %s has no cgroup", id)
	}
	if err := cg.Create(res); err != nil {
		return err
	}
	if mode, _ := cgroups.Detect(); mode != cgroups.Unified {
		for _, set := range extraV1Settings(res) {
			p := filepath.Join(cgroups.DefaultRoot, set.Controller, rec.CgroupPath, set.File)
			if err := os.WriteFile(p, []byte(set.Value), 0); err != nil {
				return fmt.Errorf("setting %s of cgroup %s: %w", set.File, rec.CgroupPath, err)
			}
		}
	}
	return nil
}

// Stats reads the usage of the container's cgroup.
func (s Store) Stats(id string) (cgroups.Stats, error) {
	rec, err := s.Load(id)
	if err != nil {
		return cgroups.Stats{}, err
	}
	cg := s.cgroup(rec)
	if cg == nil {
		return cgroups.Stats{}, fmt.Errorf("container %s has no cgroup", id)
	}
	return cg.Stats()
}

// cgroupExists says whether the cgroup at path exists already (in the pids or memory
// hierarchy on v1, in the tree on v2).
func cgroupExists(mode cgroups.Mode, path string) bool {
	dirs := []string{filepath.Join(cgroups.DefaultRoot, path)}
	if mode != cgroups.Unified {
		dirs = []string{filepath.Join(cgroups.DefaultRoot, "pids", path), filepath.Join(cgroups.DefaultRoot, "memory", path)}
	}
	for _, d := range dirs {
		if _, err := os.Stat(d); err == nil {
			return true
		}
	}
	return false
}

// selinuxEnabled says whether the host has SELinux (its filesystem is mounted).
func selinuxEnabled() bool {
	_, err := os.Stat("/sys/fs/selinux/enforce")
	return err == nil
}
