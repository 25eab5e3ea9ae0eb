package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"

	"github.com/geedocker/geedocker/internal/container"
	"github.com/geedocker/geedocker/internal/holder"
	"github.com/geedocker/geedocker/internal/monitor"
)

// Detached containers are held by a monitor: geedocker-monitor, a small program of its own
// installed next to geedocker (as podman has conmon), which runs the loop of package holder.
// The command that starts the container prepares the first start itself (cgroup, network),
// starts the monitor in a session of its own with that start on its stdin, and waits on a
// pipe (the monitor's fd 3) for the outcome. The monitor reaches the rest through
// short-lived commands: geedocker-init's (package monitor) to start the container and record
// what happens to it, which run geedocker's container-prepare before a restart and
// container-cleanup when the container exits.

// MonitorBinary is the name of the monitor program, found next to geedocker; InitBinary,
// next to it too, is the container's init and the monitor's hooks (package monitor).
const (
	MonitorBinary = "geedocker-monitor"
	InitBinary    = "geedocker-init"
)

// monitorPath is the monitor next to this binary, and this binary.
func monitorPath() (mon, self string, err error) {
	self, err = os.Executable()
	if err != nil {
		return "", "", fmt.Errorf("finding the geedocker binary: %w", err)
	}
	mon = filepath.Join(filepath.Dir(self), MonitorBinary)
	if _, err := os.Stat(mon); err != nil {
		return "", "", fmt.Errorf("the container monitor %s is missing (it is installed next to geedocker): %w", mon, err)
	}
	return mon, self, nil
}

// StartDetached starts a created or exited container under a new monitor
// and returns once the container's command runs (or failed to start).
// globalArgs are the flags the monitor needs to find the same store.
func (e *Engine) StartDetached(ctx context.Context, id string, globalArgs []string) error {
	_, err := e.startMonitor(ctx, id, globalArgs, false, false)
	return err
}

// StartAttached starts a container under a new monitor that waits for this
// process to attach before the container runs, so no output is missed.
// It records an attach event: the caller is a user's attach (run -t, start -a).
func (e *Engine) StartAttached(ctx context.Context, id string, globalArgs []string) (*AttachClient, error) {
	return e.startMonitor(ctx, id, globalArgs, true, true)
}

// StartHeld is StartAttached for a caller that holds the container's streams for clients of
// its own (serve), whose attaches are the events.
func (e *Engine) StartHeld(ctx context.Context, id string, globalArgs []string) (*AttachClient, error) {
	return e.startMonitor(ctx, id, globalArgs, true, false)
}

func (e *Engine) startMonitor(ctx context.Context, id string, globalArgs []string, attach, attachEvent bool) (*AttachClient, error) {
	mon, self, err := e.mons.locate()
	if err != nil {
		return nil, err
	}
	cs, err := e.Containers()
	if err != nil {
		return nil, err
	}
	c, err := cs.Get(id)
	if err != nil {
		return nil, err
	}
	st, err := e.prepare(cs, c)
	if err != nil {
		e.startFailed(cs, id, err)
		return nil, &StartError{Code: 125, Err: err}
	}
	client, err := e.mons.launch(monitorLaunch{cs: cs, c: c, st: st, mon: mon, self: self,
		globalArgs: globalArgs, attach: attach, attachEvent: attachEvent})
	var se *StartError
	if err != nil && (!errors.As(err, &se) || errors.Is(err, holder.ErrMonitorDied)) {
		e.startFailed(cs, id, err) // no monitor holds the start
	}
	return client, err
}

// startFailed releases what prepare took for a start that no monitor holds and records the
// failure as Docker shows it: the container stays created, with the error, and without the
// network settings of the start (as the monitor records a start of its own that failed).
func (e *Engine) startFailed(cs *container.Store, id string, err error) {
	e.cleanup(cs, id, monitor.Exit{StartFailed: true}, false)
	cs.Update(id, func(c *container.Container) error {
		c.State.Error, c.State.ExitCode = err.Error(), 125
		c.NetworkSettings = container.NetworkSettings{}
		return nil
	})
}

// launchMonitor starts the monitor program mon for the prepared start st of container c and
// waits for it to say the container runs, or why not (see monitors).
func (e *Engine) launchMonitor(cs *container.Store, c *container.Container, id string, st *monitor.Start, mon, self string, globalArgs []string, attach, attachEvent bool) (*AttachClient, error) {
	startJSON, err := json.Marshal(st)
	if err != nil {
		return nil, err
	}
	os.MkdirAll(cs.RunDir(), 0o700)
	pr, pw, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	defer pr.Close()
	args := append([]string{"--engine", self}, globalArgs...)
	args = append(args, "--socket", cs.AttachSocket(id), "--prepared")
	if attach {
		args = append(args, "--wait-attach")
	}
	if c.Config.OpenStdin {
		args = append(args, "--open-stdin")
	}
	args = append(args, "container-monitor", id)
	cmd := exec.Command(mon, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	cmd.ExtraFiles = []*os.File{pw}
	// The monitor lives as long as the container: a soft limit keeps a chatty container's
	// from growing its heap to the collector's usual goal (megabytes). Its hooks do without.
	cmd.Env = append(os.Environ(), "GOGC=50", "GOMAXPROCS=1", "GOMEMLIMIT=3MiB", "GODEBUG=memprofilerate=0")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		pw.Close()
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		pw.Close()
		e.cleanup(cs, id, monitor.Exit{StartFailed: true}, false)
		return nil, fmt.Errorf("starting the container's monitor: %w", err)
	}
	pw.Close()
	stdin.Write(startJSON)
	stdin.Close()
	if e.ReapMonitors {
		// A long-lived caller (serve) reaps its monitors, or each would stay a
		// zombie that looks alive to wait and stop.
		go cmd.Wait()
	} else {
		defer cmd.Process.Release()
	}
	var client *AttachClient
	if attach {
		// The monitor says "listening" once its socket is up.
		buf := make([]byte, len("listening"))
		if _, err := io.ReadFull(pr, buf); err != nil || string(buf) != "listening" {
			msg, _ := io.ReadAll(pr)
			return nil, monitor.ParseReady(string(buf) + string(msg))
		}
		if client, err = e.Dial(id); err != nil {
			return nil, err
		}
		if attachEvent {
			e.emitContainerRef(id, "attach") // before the monitor's start: it waits for this client
		}
	}
	msg, _ := io.ReadAll(pr)
	if err := monitor.ParseReady(string(msg)); err != nil {
		if client != nil {
			client.Close()
		}
		return nil, err
	}
	return client, nil
}

// StartError is a failure to start the container's command; Code is the exit code Docker
// gives it (125, 126 or 127).
type StartError = monitor.StartError

// Prepare readies the next start of a container, for its monitor (container-prepare): with
// networkPid 0 it makes the cgroup and wires the network and returns the start; otherwise it
// wires the network of the container with a user namespace whose init is networkPid.
func (e *Engine) Prepare(id string, networkPid int) (*monitor.Start, error) {
	cs, err := e.Containers()
	if err != nil {
		return nil, err
	}
	c, err := cs.Get(id)
	if err != nil {
		return nil, err
	}
	if networkPid > 0 {
		return nil, e.wireNetwork(cs, c, nil, networkPid)
	}
	return e.prepare(cs, c)
}

// Cleanup is what happens when a container's command ends (container-cleanup): the cgroup
// and the network are released; unless the start failed, the exit is recorded (or the --rm
// container removed) and the restart policy applied.
func (e *Engine) Cleanup(id string, ex monitor.Exit) (monitor.Next, error) {
	cs, err := e.Containers()
	if err != nil {
		return monitor.Next{}, err
	}
	return e.cleanup(cs, id, ex, true)
}

// engineHooks are the hooks of the monitor loop run in this process (the foreground run).
type engineHooks struct {
	e      *Engine
	cs     *container.Store
	id     string
	exited func(id string, code int) // RunOptions.Exited
}

func (h engineHooks) Prepare(ctx context.Context) (*monitor.Start, error) {
	c, err := h.cs.Get(h.id)
	if err != nil {
		return nil, err
	}
	return h.e.prepare(h.cs, c)
}

func (h engineHooks) Created(pid int) error {
	c, err := h.cs.Get(h.id)
	if err != nil {
		return err
	}
	return h.e.wireNetwork(h.cs, c, nil, pid)
}

// Exited never restarts: a foreground run ends with its container's first exit.
func (h engineHooks) Exited(ex monitor.Exit) (monitor.Next, error) {
	if h.exited != nil && !ex.StartFailed {
		h.exited(h.id, ex.Code)
	}
	return h.e.cleanup(h.cs, h.id, ex, false)
}

var errStopped = errors.New("stopped")
