package runtime

import (
	"errors"
	"io"
	"os"
	"os/exec"
	"sync"
	"syscall"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// argv[0] of the re-executed binary: initArg0 to become a container's init (Start), execArg0
// to become a process in a running container (Exec).
// SelfExe is the path, inside a re-executed init, of the sealed binary it runs from (see
// sealedExe); as the source of the --init bind mount it gives the container that binary,
// never the host's file.
const SelfExe = "/proc/self/exe"

const (
	initArg0 = "geedocker-init"
	execArg0 = "geedocker-exec"
)

var (
	// ErrNotFound is returned (wrapped, naming the command) by Start and Exec when the command
	// does not exist: not in the container's $PATH, or an explicit path that does not exist.
	// The CLI maps it to exit code 127.
	ErrNotFound = errors.New("command not found")
	// ErrCannotInvoke is returned (wrapped, naming the command) by Start and Exec when the command exists
	// but cannot be executed: a directory, a file without execute permission, an exec format
	// error. The CLI maps it to exit code 126.
	ErrCannotInvoke = errors.New("command cannot be invoked")
	// ErrNoCgo is returned by Exec when this binary was built without cgo: entering a running
	// container needs the C constructor of package runtime/nsenter.
	ErrNoCgo = errors.New("exec needs a binary built with cgo")
)

// Cgroup is the part of a cgroup manager the runtime needs: it puts the container's init
// into the container's cgroup before the init does anything.
type Cgroup interface {
	Add(pid int) error
}

// Config says what to run and where.
type Config struct {
	// Spec is the OCI runtime configuration. Spec.Root.Path must exist; it is where the
	// root filesystem is (or, with RootfsMounts, where it gets mounted).
	//
	// Our extension: Spec.Process.User.Username, when set, is resolved against the container's
	// /etc/passwd and /etc/group like `docker run --user`: "name", "uid", "name:group",
	// "uid:gid". UID and GID are then ignored; AdditionalGids are still added.
	Spec *specs.Spec

	// RootfsMounts are mounted, in order, on Spec.Root.Path inside the container's mount
	// namespace before anything else, e.g. the overlay of the image layers (with a user
	// namespace, one overlay, built by the parent with idmapped layers):
	//	{Type: "overlay", Source: "overlay", Options: []string{"lowerdir=...", "upperdir=...", "workdir=..."}}
	// Their Destination is ignored. Nothing of the container is mounted in the runtime's
	// mount namespace (which cannot be joined), so everything disappears when the container's
	// last process dies, or, in a joined mount namespace, when that one's does; unless the
	// spec has no mount namespace at all (see DetachSharedRootfs).
	RootfsMounts []specs.Mount

	// Cgroup, when not nil, receives the pid of the container's init before the init reads
	// its configuration, so every process of the container runs inside it.
	Cgroup Cgroup

	// Created, when not nil, is called with the pid of the init once it exists in its new
	// namespaces (and its cgroup), before it does anything: for what needs those namespaces,
	// such as wiring the network namespace of a container with a user namespace, which can
	// join no namespace made before it. An error stops the start.
	Created func(pid int) error

	// ContainerHooks run inside the container's namespaces, from the init: the spec's
	// createContainer hooks once the mounts are made, before pivot_root (their paths resolve
	// in the runtime's root), and its startContainer hooks right before the command is
	// executed, after the start gate (paths in the container's root, as the container's
	// user). Each gets HookState(pid of the init) on its stdin. Only for Start.
	ContainerHooks *ContainerHooks

	// StartGate, when not nil, makes a container that is created but not started, as runc's
	// create does: a FIFO open for reading and writing (see OpenStartGate). The init does all
	// its setup, Start returns, and the init waits, reading the gate, until one byte comes
	// (ReleaseStartGate, from any process); then it executes the command. A failure after
	// that point is written on the command's stderr and becomes the init's exit code (127
	// not found, 126 cannot invoke, 1 otherwise). The caller may close it once Start returned.
	StartGate *os.File

	// SeccompCacheDir, when not empty, is a directory where the seccomp filter is kept once
	// compiled (see seccomp.CompileCached): compiling Docker's profile takes tens of
	// milliseconds, reading it back microseconds.
	SeccompCacheDir string

	// Stdin, Stdout and Stderr of the container's process. An *os.File is handed to the
	// container as it is; any other reader or writer is copied through a pipe, and Wait
	// returns once the copy is done. Nil means /dev/null.
	//
	// They are ignored when Spec.Process.Terminal is set: then the runtime allocates a
	// pseudo-terminal, in the container's own devpts when the spec mounts one at /dev/pts,
	// of Spec.Process.ConsoleSize; its slave becomes the container's stdio, controlling
	// terminal and /dev/console, and the master is returned in Process.Console.
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer

	// PreserveFiles become descriptors 3, 4, … of the container's command, in order, as with
	// runc's --preserve-fds (socket activation's LISTEN_FDS). No other descriptor of the
	// runtime reaches the command.
	PreserveFiles []*os.File
}

// ContainerHooks are the hooks the init runs itself; see Config.ContainerHooks.
type ContainerHooks struct {
	Create, Start []specs.Hook
	// State returns what the hooks read on stdin (the OCI state), given the init's pid.
	State func(pid int) ([]byte, error)
}

// ExecConfig says what to run in a running container, and where its stdio goes.
type ExecConfig struct {
	// Pid is the container's PID 1 (or any process of the container) in the caller's PID
	// namespace. The new process joins every namespace of it that differs from the caller's
	// (user, mount, PID, UTS, IPC, network, cgroup; not time); the mount namespace must
	// differ.
	Pid int

	// Process is what to run: Args, Env (used as it is: the caller merges the container's),
	// Cwd (default "/", must exist), User (with Username resolved in the container's
	// /etc/passwd and /etc/group as for Start), Capabilities (nil: none), NoNewPrivileges,
	// Rlimits, User.Umask, Terminal and ConsoleSize. Other fields are ignored.
	Process *specs.Process

	// Cgroup, when not nil, receives the pid of the new process before it reads its
	// configuration, so the container's limits count it. Normally the container's cgroup.
	Cgroup Cgroup

	// Seccomp is the seccomp profile of the process, normally the container's (its spec's
	// Linux.Seccomp); nil for none.
	Seccomp *specs.LinuxSeccomp

	// SeccompCacheDir, when not empty, is a directory where the seccomp filter is kept once
	// compiled (see seccomp.CompileCached): compiling Docker's profile takes tens of
	// milliseconds, reading it back microseconds.
	SeccompCacheDir string

	// Stdin, Stdout and Stderr as in Config; ignored when Process.Terminal is set.
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer

	// PreserveFiles as in Config.
	PreserveFiles []*os.File
}

// Process is a started container process: the command of the spec, running as PID 1 of its
// PID namespace (when the spec asks for one), or a command started in a running container by
// Exec.
type Process struct {
	// Pid is the process id in the caller's PID namespace.
	Pid int
	// Console is the master side of the process's terminal when Process.Terminal is set, nil
	// otherwise. The caller copies to and from it, resizes it
	// (github.com/creack/pty.Setsize) and closes it.
	Console *os.File

	cmd *exec.Cmd
	// proc, when not nil, is the process to wait for and signal instead of cmd.Process: the
	// one Exec's child forked into the container's PID namespace, a sibling of cmd's process
	// (which exits at once).
	proc     *os.Process
	waitOnce sync.Once
	status   ExitStatus
	waitErr  error
}

// ExitStatus is how a container process ended.
type ExitStatus struct {
	// Code is the exit code, or 128+N when the process was killed by signal N (as a shell
	// reports it and as `docker run` exits).
	Code int
	// Signal is the signal that killed the process, 0 when it exited.
	Signal syscall.Signal
}

// startError is an error the container's init reported before it could execute the command.
type startError struct {
	msg  string
	kind error // ErrNotFound, ErrCannotInvoke or nil
}

func (e *startError) Error() string { return e.msg }
func (e *startError) Unwrap() error { return e.kind }
