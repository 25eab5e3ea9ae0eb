package runtime

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	goruntime "runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unsafe"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/geedocker/geedocker/internal/runtime/nsenter"
	"github.com/geedocker/geedocker/internal/seccomp"
)

// File descriptors of a re-executed child (the init, an exec child), set up by Start and Exec
// through exec.Cmd.ExtraFiles: first the caller's preserved files, 3 to 3+preservedFds-1
// (Config.PreserveFiles), which the command gets at the same numbers, as with runc's
// --preserve-fds; then the runtime's own, from ownFd(preservedFds, 0) up. A child learns preservedFds from
// its argv[1] (childArgs); the variables below are the child's numbers.
var (
	preservedFds = 0
	configFd     = 3 // read: the initConfig, as JSON, sent once the init is in its cgroup
	syncFd       = 4 // write: an initReport when the command cannot be executed; closed by execve
)

// ownFd is the number of the i-th descriptor of the runtime in a child with n preserved ones.
func ownFd(n, i int) int { return 3 + n + i }

// childArgs is the argv of a child with n preserved descriptors.
func childArgs(arg0 string, n int) []string {
	if n == 0 {
		return []string{arg0}
	}
	return []string{arg0, strconv.Itoa(n)}
}

// childFds sets the descriptor numbers of this child from its argv.
func childFds() {
	if len(os.Args) < 2 {
		return
	}
	if n, err := strconv.Atoi(os.Args[1]); err == nil && n > 0 {
		preservedFds, configFd, syncFd = n, ownFd(n, 0), ownFd(n, 1)
	}
}

// gatePassed is set in an init once it has closed its sync pipe and waited at its start gate:
// a failure after that is reported on its stderr, as its exit code (127, 126 or 1).
var gatePassed bool

// initReport is what the init writes on the sync pipe when it fails.
type initReport struct {
	Kind    string `json:"kind,omitempty"` // "notfound", "cannotinvoke" or empty
	Message string `json:"message"`
}

// initError is an error of the init that tells the parent which exit code to give.
type initError struct {
	kind string
	err  error
}

func (e *initError) Error() string { return e.err.Error() }

func init() {
	// Before main, and before the packages that this one does not import are initialized:
	// a re-executed child needs none of them, and their init functions would add to the
	// start of every container and every exec.
	Init()
}

// Init makes a re-executed child of Start or Exec do its work: when this process is a
// container's init (argv[0] "geedocker-init") or a process to run in a running container
// (argv[0] "geedocker-exec"), Init sets it up and executes its command, and never returns;
// otherwise it returns at once. The package's init function calls it, so a binary that
// imports the package needs nothing more; calling it first thing in main() too is harmless.
func Init() {
	if len(os.Args) == 0 {
		return
	}
	switch os.Args[0] {
	case initArg0:
		childFds()
		// Everything the child does to itself (namespaces, capabilities, no_new_privs, the
		// credentials that survive execve) is per thread: it stays on the main thread, the
		// one that calls execve. (During package initialization the main goroutine runs
		// there; locking it keeps it there.)
		goruntime.LockOSThread()
		runChild("container init", initContainer)
	case execArg0:
		childFds()
		goruntime.LockOSThread()
		runChild("exec", execInContainer)
	case usernsArg0:
		os.Exit(0) // its user namespace is all that is asked of it (see IdmappedOverlay)
	}
}

// runChild runs the setup of a re-executed child, which on success executes the command and
// does not return. It reports the failure on the sync pipe and exits.
func runChild(what string, setup func() error) {
	// Until execve, nothing in the container may open this process's /proc/<pid>/exe (our
	// binary) or its memory (CVE-2019-5736). execve makes the process dumpable again.
	_ = unix.Prctl(unix.PR_SET_DUMPABLE, 0, 0, 0, 0)
	// Not even a hook gets the preserved descriptors: execCommand opens them again for the
	// command, and for it alone.
	for fd := 3; fd < ownFd(preservedFds, 0); fd++ {
		unix.CloseOnExec(fd)
	}
	unix.CloseOnExec(configFd)
	unix.CloseOnExec(syncFd)
	err := func() (err error) {
		defer func() {
			if r := recover(); r != nil {
				err = fmt.Errorf("%s panicked: %v", what, r)
			}
		}()
		return setup()
	}()
	rep := initReport{Message: err.Error()}
	var ie *initError
	if errors.As(err, &ie) {
		rep.Kind = ie.kind
	}
	if gatePassed {
		// Nobody reads the sync pipe any more: the caller of Start has returned.
		_, _ = unix.Write(2, []byte(what+": "+err.Error()+"\n"))
		switch rep.Kind {
		case "notfound":
			os.Exit(127)
		case "cannotinvoke":
			os.Exit(126)
		}
		os.Exit(1)
	}
	msg, _ := json.Marshal(rep)
	_, _ = unix.Write(syncFd, msg)
	os.Exit(1)
}

// initContainer runs in the init, in the new namespaces and (already) in the container's
// cgroup. It returns only on failure: on success it becomes the container's command.
func initContainer() error {
	var cfg initConfig
	f := os.NewFile(uintptr(configFd), "init-config")
	err := json.NewDecoder(f).Decode(&cfg)
	f.Close()
	if err != nil {
		return fmt.Errorf("reading container config: %w", err)
	}
	if cfg.GateFd != 0 {
		unix.CloseOnExec(cfg.GateFd) // not even a hook of the init gets it
	}
	if cfg.Nsenter && !nsenter.Joined() {
		// Never set up the container in the host's mount or user namespace.
		return errors.New("container init is not in the namespaces to join: the nsenter constructor did not run")
	}
	// Files the init creates get exactly the modes of the spec.
	unix.Umask(0)
	for _, ns := range cfg.Join {
		err := unix.Setns(ns.Fd, int(namespaceFlags[ns.Type]))
		unix.Close(ns.Fd)
		if err != nil {
			return fmt.Errorf("joining %s namespace %s: %w", ns.Type, ns.Path, err)
		}
	}
	var cg *cgroupInfo
	if slices.ContainsFunc(cfg.Mounts, func(m specs.Mount) bool { return m.Type == "cgroup" }) {
		// Learn our cgroups while their host paths are still visible.
		if cg, err = readCgroupInfo(); err != nil {
			return fmt.Errorf("reading cgroups: %w", err)
		}
	}
	if cfg.NewCgroupNS {
		// Start put us in the container's cgroup: the new namespace is rooted there.
		if err := unix.Unshare(unix.CLONE_NEWCGROUP); err != nil {
			return fmt.Errorf("unsharing cgroup namespace: %w", err)
		}
	}
	if cfg.OOMScoreAdj != nil {
		if err := os.WriteFile("/proc/self/oom_score_adj", []byte(strconv.Itoa(*cfg.OOMScoreAdj)), 0); err != nil {
			return fmt.Errorf("setting oom_score_adj: %w", err)
		}
	}
	if err := openSelf(&cfg); err != nil {
		return err
	}
	if err := prepareRootfs(&cfg, cg); err != nil {
		return err
	}
	// From here on "/" is the container's root.
	if cfg.ReadonlyRoot {
		if err := remountRootReadonly(); err != nil {
			return err
		}
	}
	if cfg.Hostname != "" {
		if err := unix.Sethostname([]byte(cfg.Hostname)); err != nil {
			return fmt.Errorf("setting hostname: %w", err)
		}
	}
	if cfg.Domainname != "" {
		if err := unix.Setdomainname([]byte(cfg.Domainname)); err != nil {
			return fmt.Errorf("setting domainname: %w", err)
		}
	}
	return execCommand(&cfg.processConfig)
}

// openSelf opens the binary this init runs from, the sealed one, for an init that executes
// itself as the container's --init. The descriptor closes at execve.
func openSelf(cfg *initConfig) error {
	if !cfg.ExecSelf {
		return nil
	}
	fd, err := unix.Open(SelfExe, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("opening the init binary: %w", err)
	}
	cfg.selfFd = fd
	return nil
}

// execCommand turns the calling process, already inside the container (its root is the
// container's), into the command of pc: limits, user, privileges, working directory, execve.
// It returns only on failure.
func execCommand(cfg *processConfig) error {
	for _, l := range cfg.Rlimits {
		// syscall.Setrlimit, not unix: it also stops Go from restoring its own RLIMIT_NOFILE at execve.
		if err := syscall.Setrlimit(l.Resource, &syscall.Rlimit{Cur: l.Soft, Max: l.Hard}); err != nil {
			return fmt.Errorf("setting rlimit %d: %w", l.Resource, err)
		}
	}
	user, env, err := processUser(cfg.User, cfg.Env)
	if err != nil {
		return err
	}
	if cfg.Terminal {
		if err := chownTerminal(user.UID); err != nil {
			return err
		}
	}
	if cfg.NoNewPrivileges {
		if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
			return fmt.Errorf("setting no_new_privs: %w", err)
		}
	}
	// No descriptor of the engine reaches the command (CVE-2024-21626): the init's own are
	// closed as soon as they are used; whatever else is open above 2 closes at execve,
	if err := closeOnExecFrom(3); err != nil {
		return err
	}
	// but the preserved ones (Config.PreserveFiles), which the command gets at their numbers.
	for fd := 3; fd < ownFd(preservedFds, 0); fd++ {
		if _, err := unix.FcntlInt(uintptr(fd), unix.F_SETFD, 0); err != nil {
			return fmt.Errorf("passing preserved descriptor %d: %w", fd, err)
		}
	}
	// Installing a filter needs no_new_privs or CAP_SYS_ADMIN. Without no_new_privs the
	// filter goes in while the capabilities are still there; so every system call from here
	// to execve must be one the profile allows, as with runc.
	if !cfg.NoNewPrivileges {
		if err := seccomp.Install(cfg.Seccomp); err != nil {
			return err
		}
	}
	if cfg.AppArmor != "" {
		// Takes effect at execve.
		if err := os.WriteFile("/proc/thread-self/attr/exec", []byte("exec "+cfg.AppArmor), 0); err != nil {
			return fmt.Errorf("applying AppArmor profile %q: %w", cfg.AppArmor, err)
		}
	}
	if err := setIdentity(user, cfg.Caps); err != nil {
		return err
	}
	// As the user, so the permissions of the user apply.
	if err := unix.Chdir(cfg.Cwd); err != nil {
		return fmt.Errorf("changing to working directory %s: %w", cfg.Cwd, err)
	}
	if wd, err := unix.Getwd(); err != nil || !strings.HasPrefix(wd, "/") {
		return fmt.Errorf("working directory %s is outside the container", cfg.Cwd)
	}
	if cfg.ExecSelf {
		// The container's --init is this sealed binary: executed from its descriptor, it is
		// never mounted in the container, and its /proc/1/exe cannot be written.
		unix.Umask(cfg.Umask)
		if err := waitAtGate(cfg); err != nil {
			return err
		}
		if err := installLateSeccomp(cfg); err != nil {
			return err
		}
		return execError(cfg.Args[0], execveat(cfg.selfFd, cfg.Args, env))
	}
	name, err := lookPath(cfg.Args[0], env)
	if err != nil {
		return err
	}
	unix.Umask(cfg.Umask)
	if err := waitAtGate(cfg); err != nil {
		return err
	}
	if err := installLateSeccomp(cfg); err != nil {
		return err
	}
	err = unix.Exec(name, cfg.Args, env)
	return execError(cfg.Args[0], err)
}

// waitAtGate, for an init with a start gate, tells Start that the container is created (the
// sync pipe closes) and waits until one byte comes through the gate (ReleaseStartGate). As
// with runc's exec.fifo, everything but execve and the late seccomp filter is done by then.
func waitAtGate(cfg *processConfig) error {
	if cfg.GateFd == 0 {
		return runHooks("startContainer", cfg.StartHooks, cfg.HookState)
	}
	if err := unix.Close(syncFd); err != nil {
		return fmt.Errorf("closing sync pipe: %w", err)
	}
	gatePassed = true
	var b [1]byte
	for {
		n, err := unix.Read(cfg.GateFd, b[:])
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return fmt.Errorf("waiting at the start gate: %w", err)
		}
		if n == 1 {
			return runHooks("startContainer", cfg.StartHooks, cfg.HookState)
		}
	}
}

// runHooks runs OCI hooks from the init, in its namespaces, each with state on its stdin,
// and stops at the first that fails or outlives its timeout. The hook is forked from this
// (locked) thread, so it is in every namespace the init joined.
func runHooks(kind string, hooks []specs.Hook, state []byte) error {
	for i, h := range hooks {
		args := h.Args
		if len(args) == 0 {
			args = []string{h.Path}
		}
		cmd := &exec.Cmd{Path: h.Path, Args: args, Env: h.Env, Stdin: bytes.NewReader(state)}
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			return fmt.Errorf("%s hook #%d (%s): %w", kind, i, h.Path, err)
		}
		var timer *time.Timer
		if h.Timeout != nil && *h.Timeout > 0 {
			timer = time.AfterFunc(time.Duration(*h.Timeout)*time.Second, func() { _ = cmd.Process.Kill() })
		}
		err := cmd.Wait()
		if timer != nil {
			timer.Stop()
		}
		if err != nil {
			return fmt.Errorf("%s hook #%d (%s): %w: %s", kind, i, h.Path, err, bytes.TrimSpace(stderr.Bytes()))
		}
	}
	return nil
}

// installLateSeccomp installs the filter with no_new_privs, as late as possible: only execve
// (or execveat) runs under it before the command. (Without no_new_privs it is in already.)
func installLateSeccomp(cfg *processConfig) error {
	if !cfg.NoNewPrivileges {
		return nil
	}
	return seccomp.Install(cfg.Seccomp)
}

// execveat executes the file open as fd, with argv and env.
func execveat(fd int, argv, env []string) error {
	argvp, err := syscall.SlicePtrFromStrings(argv)
	if err != nil {
		return err
	}
	envp, err := syscall.SlicePtrFromStrings(env)
	if err != nil {
		return err
	}
	empty, _ := unix.BytePtrFromString("")
	_, _, errno := unix.Syscall6(unix.SYS_EXECVEAT, uintptr(fd), uintptr(unsafe.Pointer(empty)),
		uintptr(unsafe.Pointer(&argvp[0])), uintptr(unsafe.Pointer(&envp[0])), unix.AT_EMPTY_PATH, 0)
	return errno
}

// prepareRootfs builds the container's file system tree in the init's mount namespace and
// makes it the root. Every path is resolved inside the rootfs (see root).
//
// Without a mount namespace of its own (SharedMountNS) the init works in the runtime's, as
// runc's does, and chroots instead of pivot_root; the propagation of that namespace's / is
// left as it is (runc makes it a slave): the root, bound on itself, is made private, so that
// nothing mounted in it reaches another namespace, and DetachSharedRootfs takes it away.
func prepareRootfs(cfg *initConfig, cg *cgroupInfo) (err error) {
	rootfs := cfg.Rootfs
	// Nothing mounted from now on may propagate to the host.
	prop := uintptr(unix.MS_REC | unix.MS_PRIVATE)
	switch cfg.Propagation {
	case "slave", "rslave", "shared", "rshared":
		prop = unix.MS_REC | unix.MS_SLAVE
	}
	if cfg.SharedMountNS {
		prop = 0
	}
	if prop != 0 {
		if err := unix.Mount("", "/", "", prop, ""); err != nil {
			return fmt.Errorf("making / private: %w", err)
		}
	}
	if cfg.RootfsFromParent {
		if err := receiveRootfs(rootfs); err != nil {
			return err
		}
		cfg.RootfsMounts = nil
	}
	for _, m := range cfg.RootfsMounts {
		o := parseMountOptions(m)
		flags := o.flags
		if o.bind {
			flags |= unix.MS_BIND
			if o.recursive {
				flags |= unix.MS_REC
			}
		}
		if err := unix.Mount(m.Source, rootfs, m.Type, flags, o.data); err != nil {
			return fmt.Errorf("mounting %s (%s) on %s: %w", m.Source, m.Type, rootfs, err)
		}
	}
	// pivot_root needs the new root to be a mount point.
	if err := unix.Mount(rootfs, rootfs, "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
		return fmt.Errorf("bind mounting rootfs %s on itself: %w", rootfs, err)
	}
	if cfg.SharedMountNS {
		defer func() {
			if err != nil {
				_ = unix.Unmount(rootfs, unix.MNT_DETACH)
			}
		}()
		if err := unix.Mount("", rootfs, "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
			return fmt.Errorf("making rootfs %s private: %w", rootfs, err)
		}
	}
	fd, err := unix.Open(rootfs, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("opening rootfs: %w", err)
	}
	r := root{fd: fd}
	err = r.populate(cfg, cg)
	unix.Close(fd)
	if err != nil {
		return err
	}
	if err := runHooks("createContainer", cfg.CreateHooks, cfg.HookState); err != nil {
		return err
	}
	if cfg.SharedMountNS {
		err = chrootInto(rootfs)
	} else {
		err = pivotRoot(rootfs)
	}
	if err != nil {
		return err
	}
	switch cfg.Propagation {
	case "shared", "rshared":
		if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_SHARED, ""); err != nil {
			return fmt.Errorf("making / shared: %w", err)
		}
	case "unbindable", "runbindable":
		if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_UNBINDABLE, ""); err != nil {
			return fmt.Errorf("making / unbindable: %w", err)
		}
	}
	return nil
}

// populate makes the mounts, devices and masks of the spec inside the root, in runc's order.
func (r root) populate(cfg *initConfig, cg *cgroupInfo) error {
	devBound := false
	for _, m := range cfg.Mounts {
		if err := r.mountSpec(m, cg); err != nil {
			return err
		}
		if cleanInRoot(m.Destination) == "/dev" {
			devBound = parseMountOptions(m).bind
		}
	}
	if !devBound {
		if err := r.createDevices(cfg.Devices); err != nil {
			return err
		}
		if err := r.setupDevLinks(cfg.Devices); err != nil {
			return err
		}
	}
	switch {
	case cfg.OwnConsole:
		if err := r.setupOwnConsole(cfg.ConsoleSocket, cfg.ConsoleSize); err != nil {
			return err
		}
	case cfg.Terminal:
		if err := r.setupConsole(); err != nil {
			return err
		}
	}
	fd, err := r.mkdirAll(cleanInRoot(cfg.Cwd), 0)
	if err != nil {
		return fmt.Errorf("creating working directory: %w", err)
	}
	unix.Close(fd)
	for key, value := range cfg.Sysctl {
		// Written by this thread, the value lands in this thread's namespaces.
		p := "/proc/sys/" + strings.ReplaceAll(key, ".", "/")
		if err := os.WriteFile(p, []byte(value), 0); err != nil {
			return fmt.Errorf("setting sysctl %s: %w", key, err)
		}
	}
	for _, p := range cfg.ReadonlyPaths {
		if err := r.readonlyPath(p); err != nil {
			return fmt.Errorf("making %s read-only: %w", p, err)
		}
	}
	for _, p := range cfg.MaskedPaths {
		if err := r.maskPath(p); err != nil {
			return err
		}
	}
	return nil
}

func remountRootReadonly() error {
	fd, err := unix.Open("/", unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	flags, err := mountFlagsOf(fd)
	if err != nil {
		return fmt.Errorf("reading root mount flags: %w", err)
	}
	if err := unix.Mount("", "/", "", unix.MS_BIND|unix.MS_REMOUNT|unix.MS_RDONLY|flags, ""); err != nil {
		return fmt.Errorf("remounting root read-only: %w", err)
	}
	return nil
}

// processUser resolves the user of the process inside the container (after pivot_root) and
// returns the environment with HOME set when the spec has none.
func processUser(su specs.User, env []string) (execUser, []string, error) {
	u := execUser{UID: su.UID, GID: su.GID, Home: "/"}
	_, hasHome := getenv(env, "HOME")
	if su.Username != "" {
		passwd, group := readEtc("/etc/passwd"), readEtc("/etc/group")
		var err error
		if u, err = resolveUser(su.Username, passwd, group); err != nil {
			return u, nil, err
		}
	} else if !hasHome {
		u.Home = homeOf(u.UID, readEtc("/etc/passwd"))
	}
	for _, g := range su.AdditionalGids {
		if !slices.Contains(u.Groups, g) {
			u.Groups = append(u.Groups, g)
		}
	}
	if !hasHome {
		env = append(slices.Clip(env), "HOME="+u.Home)
	}
	return u, env, nil
}

// readEtc reads a small file of the image, nil when it is missing or not a regular file (an
// image could put a FIFO or a device there to hang or flood the init).
func readEtc(p string) io.Reader {
	f, err := os.OpenFile(p, os.O_RDONLY|unix.O_NONBLOCK, 0)
	if err != nil {
		return nil
	}
	defer f.Close()
	if st, err := f.Stat(); err != nil || !st.Mode().IsRegular() {
		return nil
	}
	b, err := io.ReadAll(io.LimitReader(f, 4<<20))
	if err != nil {
		return nil
	}
	return strings.NewReader(string(b))
}

// closeOnExecFrom marks every descriptor from fd up close-on-exec.
func closeOnExecFrom(fd int) error {
	err := unix.CloseRange(uint(fd), math.MaxUint32, unix.CLOSE_RANGE_CLOEXEC)
	if err == nil {
		return nil
	}
	if err != unix.ENOSYS && err != unix.EINVAL {
		return fmt.Errorf("close_range: %w", err)
	}
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return fmt.Errorf("listing open files: %w", err)
	}
	for _, e := range entries {
		if n, err := strconv.Atoi(e.Name()); err == nil && n >= fd {
			unix.CloseOnExec(n)
		}
	}
	return nil
}

// setIdentity drops the capabilities to those of the plan and switches to the user, on the
// calling thread: the one that calls execve.
func setIdentity(u execUser, caps capSets) error {
	if err := dropBoundingSet(caps.Bounding); err != nil {
		return err
	}
	// Keep the permitted set across the change of uid; it is narrowed right after.
	if err := unix.Prctl(unix.PR_SET_KEEPCAPS, 1, 0, 0, 0); err != nil {
		return fmt.Errorf("setting keepcaps: %w", err)
	}
	if err := setThreadCredentials(u); err != nil {
		return err
	}
	if err := unix.Prctl(unix.PR_SET_KEEPCAPS, 0, 0, 0, 0); err != nil {
		return fmt.Errorf("clearing keepcaps: %w", err)
	}
	return applyCapabilities(caps)
}

// lookPath finds the command in the container (after pivot_root) like a shell does: a name
// with a slash is used as it is, any other is looked up in $PATH of the container's env.
func lookPath(file string, env []string) (string, error) {
	if strings.Contains(file, "/") {
		return file, checkExecutable(file)
	}
	pathEnv, ok := getenv(env, "PATH")
	if !ok {
		pathEnv = defaultPath
	}
	for _, dir := range strings.Split(pathEnv, ":") {
		if dir == "" {
			dir = "."
		}
		p := dir + "/" + file
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() && st.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return "", &initError{kind: "notfound", err: fmt.Errorf("exec: %q: executable file not found in $PATH", file)}
}

func checkExecutable(p string) error {
	st, err := os.Stat(p)
	switch {
	case errors.Is(err, unix.ENOENT) || errors.Is(err, unix.ENOTDIR):
		return &initError{kind: "notfound", err: fmt.Errorf("exec: %q: no such file or directory", p)}
	case err != nil:
		return &initError{kind: "cannotinvoke", err: fmt.Errorf("exec: %w", err)}
	case st.IsDir():
		return &initError{kind: "cannotinvoke", err: fmt.Errorf("exec: %q: is a directory", p)}
	case st.Mode()&0o111 == 0:
		return &initError{kind: "cannotinvoke", err: fmt.Errorf("exec: %q: permission denied", p)}
	}
	return nil
}

// execError classifies a failed execve like a shell: 127 for a missing file (or interpreter),
// 126 for anything that exists but cannot run.
func execError(name string, err error) error {
	switch {
	case errors.Is(err, unix.ENOENT):
		return &initError{kind: "notfound", err: fmt.Errorf("exec: %q: %w", name, err)}
	case errors.Is(err, unix.EACCES), errors.Is(err, unix.ENOEXEC), errors.Is(err, unix.EISDIR),
		errors.Is(err, unix.EPERM), errors.Is(err, unix.ETXTBSY):
		return &initError{kind: "cannotinvoke", err: fmt.Errorf("exec: %q: %w", name, err)}
	}
	return fmt.Errorf("exec: %q: %w", name, err)
}
