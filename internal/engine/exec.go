package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/geedocker/geedocker/internal/container"
	"github.com/geedocker/geedocker/internal/errdefs"
	"github.com/geedocker/geedocker/internal/runtime"
	"github.com/geedocker/geedocker/internal/spec"
)

// ExecOptions are `exec`'s flags.
type ExecOptions struct {
	Cmd        []string
	Env        []string // KEY=VAL, over the container's environment
	WorkingDir string
	User       string
	Tty        bool
	// ConsoleSize is the size of the terminal (with Tty) when the process starts; nil:
	// unknown.
	ConsoleSize *specs.Box
	Privileged  bool
	Stdin       io.Reader
	Stdout      io.Writer
	Stderr      io.Writer
	// ID is the exec's ID in its events (NewExecID); Created: its exec_create is recorded
	// already (the API records it at create), else Exec records it.
	ID      string
	Created bool
}

// Exec runs a process in a running container: in its namespaces and
// cgroup, with its capabilities, environment, user and working directory
// unless overridden.
func (e *Engine) Exec(ctx context.Context, ref string, o ExecOptions) (*runtime.Process, error) {
	if len(o.Cmd) == 0 {
		return nil, fmt.Errorf("no command specified")
	}
	c, err := e.Container(ref)
	if err != nil {
		return nil, err
	}
	if !c.State.Running {
		return nil, fmt.Errorf("container %s %w", c.ID, ErrNotRunning)
	}
	if c.State.Paused {
		return nil, errdefs.Conflict(fmt.Errorf("Container %s is paused, unpause the container before exec", c.ID))
	}
	cs, err := e.Containers()
	if err != nil {
		return nil, err
	}
	rs, ok := cs.ReadRunState(c.ID)
	if !ok || !container.Alive(rs.Pid, rs.PidStart) {
		return nil, fmt.Errorf("container %s %w", c.ID, ErrNotRunning)
	}
	var s specs.Spec
	if err := json.Unmarshal(c.Spec, &s); err != nil {
		return nil, fmt.Errorf("container %s: reading its spec: %w", c.ID[:12], err)
	}
	p := *s.Process
	p.Args = o.Cmd
	p.Terminal = o.Tty
	p.ConsoleSize = nil
	if o.Tty {
		p.ConsoleSize = o.ConsoleSize
	}
	// Docker's: PATH, HOSTNAME and TERM (for the exec's terminal) under the
	// container's variables, the exec's -e over them; not PID 1's environment.
	p.Env = spec.ExecEnv(c.Config.Hostname, o.Tty, c.Config.Env, o.Env)
	if o.WorkingDir != "" {
		p.Cwd = o.WorkingDir
	}
	if o.User != "" {
		p.User = specs.User{Username: o.User}
	}
	if o.Privileged {
		all := append([]string{}, spec.AllCapabilities...)
		p.Capabilities = &specs.LinuxCapabilities{Bounding: all, Effective: all, Permitted: all}
		ps := &specs.Spec{Process: &p}
		boundCapabilities(ps)
	}
	cg, err := e.cgroup(c.ID)
	if err != nil {
		return nil, err
	}
	// Pipes, never the caller's own files (see stdio.go).
	var stdin io.Reader
	if o.Stdin != nil && !o.Tty {
		pr, started, err := stdinPipe(o.Stdin)
		if err != nil {
			return nil, fmt.Errorf("creating the stdin pipe: %w", err)
		}
		defer started()
		stdin = pr
	}
	// The container's filter, also with --privileged (as in Docker).
	proc, err := runtime.Exec(ctx, runtime.ExecConfig{
		Pid: rs.Pid, Process: &p, Cgroup: cg, Seccomp: s.Linux.Seccomp, SeccompCacheDir: seccompCacheDir(cs),
		Stdin: stdin, Stdout: pipedWriter(o.Stdout), Stderr: pipedWriter(o.Stderr),
	})
	if err != nil {
		code := 126
		switch {
		case errors.Is(err, runtime.ErrNotFound):
			code = 127
		case errors.Is(err, runtime.ErrCannotInvoke):
		default:
			code = 125
		}
		return nil, &StartError{Code: code, Err: err}
	}
	if !o.Created {
		e.ExecCreated(c, o.ID, o.Cmd)
	}
	e.EmitContainer(c, "exec_start: "+strings.Join(o.Cmd, " "), "execID", o.ID)
	return proc, nil
}
