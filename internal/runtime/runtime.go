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

// initArg0 is argv[0] of the re-executed binary when it is to become a container's init.
const initArg0 = "geedocker-init"

var (
	// ErrNotFound is returned (wrapped, naming the command) by Start when the container's command
	// does not exist: not in the container's $PATH, or an explicit path that does not exist.
	// The CLI maps it to exit code 127.
	ErrNotFound = errors.New("command not found")
	// ErrCannotInvoke is returned (wrapped, naming the command) by Start when the command exists
	// but cannot be executed: a directory, a file without execute permission, an exec format
	// error. The CLI maps it to exit code 126.
	ErrCannotInvoke = errors.New("command cannot be invoked")
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

	// RootfsMounts are mounted, in order, on Spec.Root.Path inside the container's new mount
	// namespace before anything else, e.g. the overlay of the image layers:
	//	{Type: "overlay", Source: "overlay", Options: []string{"lowerdir=...", "upperdir=...", "workdir=..."}}
	// Their Destination is ignored. Nothing of the container is ever mounted in the host's
	// mount namespace, so everything disappears when the container's last process dies.
	RootfsMounts []specs.Mount

	// Cgroup, when not nil, receives the pid of the container's init before the init reads
	// its configuration, so every process of the container runs inside it.
	Cgroup Cgroup

	// Stdin, Stdout and Stderr of the container's process. An *os.File is handed to the
	// container as it is; any other reader or writer is copied through a pipe, and Wait
	// returns once the copy is done. Nil means /dev/null.
	//
	// They are ignored when Spec.Process.Terminal is set: then the runtime allocates a
	// pseudo-terminal whose slave becomes the container's stdio, controlling terminal and
	// /dev/console, and returns the master in Process.Console.
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
}

// Process is a started container process: the command of the spec, running as PID 1 of its
// PID namespace (when the spec asks for one).
type Process struct {
	// Pid is the process id in the caller's PID namespace.
	Pid int
	// Console is the master side of the container's terminal when Spec.Process.Terminal is
	// set, nil otherwise. The caller copies to and from it, resizes it
	// (github.com/creack/pty.Setsize) and closes it.
	Console *os.File

	cmd      *exec.Cmd
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
