package engine

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"golang.org/x/sys/unix"

	"github.com/geedocker/geedocker/internal/attach"
	"github.com/geedocker/geedocker/internal/container"
	"github.com/geedocker/geedocker/internal/errdefs"
	"github.com/geedocker/geedocker/internal/events"
	"github.com/geedocker/geedocker/internal/netns"
	"github.com/geedocker/geedocker/internal/runtime"
)

// ErrNotRunning is returned by operations that need a running container.
var ErrNotRunning = errdefs.Conflict(errors.New("is not running"))

// containerUsersHooks lets rmi and GC see the containers.
func (e *Engine) containerHooks() {
	e.ImageUsers = func(id string) ([]string, error) {
		all, err := e.ListContainers()
		if err != nil {
			return nil, err
		}
		var users []string
		for _, c := range all {
			if c.Image == id {
				users = append(users, c.ID[:12])
			}
		}
		return users, nil
	}
	e.LayersInUse = func() ([]string, error) {
		cs, err := e.Containers()
		if err != nil {
			return nil, err
		}
		all, err := cs.List()
		if err != nil {
			return nil, err
		}
		var layers []string
		for _, c := range all {
			layers = append(layers, c.Layers...)
		}
		return layers, nil
	}
}

// monitorGone tells whether c is recorded as running (or restarting) but its monitor is gone
// (killed, crashed, or the host rebooted), and the exit code it is given: 137 when its PID 1
// is still alive (the repair kills it), 255 otherwise.
func (e *Engine) monitorGone(cs *container.Store, c *container.Container) (gone bool, code int) {
	if !c.State.Running && !c.State.Restarting {
		return false, 0
	}
	rs, ok := cs.ReadRunState(c.ID)
	if ok && e.procs.alive(rs.MonitorPid, rs.MonitorStart) {
		return false, 0
	}
	if ok && e.procs.alive(rs.Pid, rs.PidStart) {
		return true, 137
	}
	return true, 255
}

// markMonitorDied sets the state of a container whose monitor is gone.
func markMonitorDied(c *container.Container, code int) {
	c.State.Status, c.State.Running, c.State.Restarting, c.State.Pid = container.Exited, false, false, 0
	c.State.Paused = false
	c.State.ExitCode, c.State.FinishedAt = code, time.Now().UTC()
	c.State.Error = "the container's monitor died"
	c.NetworkSettings = container.NetworkSettings{}
}

// observe returns c as a reader sees it, changing nothing: a container whose monitor is gone
// shows as exited (a copy says so), or, with --rm, not at all (nil); its record is repaired
// by the next command that acts on it, or by Repair.
func (e *Engine) observe(cs *container.Store, c *container.Container) *container.Container {
	gone, code := e.monitorGone(cs, c)
	if !gone {
		return c
	}
	if c.HostConfig.AutoRemove {
		return nil
	}
	seen := *c
	markMonitorDied(&seen, code)
	return &seen
}

// reconcile repairs the record of a container whose monitor is gone: what is left of it is
// killed, its cgroup and network released, and it becomes exited (removed, with --rm).
// Records of healthy containers are returned as they are.
func (e *Engine) reconcile(cs *container.Store, c *container.Container) *container.Container {
	gone, code := e.monitorGone(cs, c)
	if !gone {
		return c
	}
	e.cgs.release(c.ID)
	e.net.release(cs, c, nil)
	updated, err := cs.Update(c.ID, func(c *container.Container) error {
		if !c.State.Running && !c.State.Restarting {
			return errStopped // someone else repaired it, or the monitor finished
		}
		markMonitorDied(c, code)
		return nil
	})
	e.removeRunFiles(cs, c.ID)
	if err != nil {
		if fresh, gerr := cs.Get(c.ID); gerr == nil {
			return fresh
		}
		return c
	}
	e.EmitContainer(updated, "die", "exitCode", strconv.Itoa(code)) // its monitor could not
	if updated.HostConfig.AutoRemove {
		e.deleteContainer(cs, updated, true)
	}
	return updated
}

// removeRunFiles removes what a container's monitor keeps in the run directory: its run
// state, its attach socket and its pinned network namespace. A monitor that ends removes them
// itself; one killed leaves them to the next repair or rm. Only for a container whose monitor
// is gone.
func (e *Engine) removeRunFiles(cs *container.Store, id string) {
	cs.RemoveRunState(id)
	if sock, err := e.AttachSocket(id); err == nil {
		os.Remove(sock)
	}
	netns.Remove(e.netnsPath(cs, id))
}

// ListContainers returns every container, newest first, as a reader sees it: listing changes
// no container (see observe); it only removes what a killed create left, a directory without
// a record. Commands whose decisions rest on the list call Repair first.
func (e *Engine) ListContainers() ([]*container.Container, error) {
	cs, err := e.Containers()
	if err != nil {
		return nil, err
	}
	cs.SweepIncomplete() // what a killed create left: no record, nothing a user sees or names
	all, err := cs.List()
	if err != nil {
		return nil, err
	}
	out := all[:0]
	for _, c := range all {
		if c = e.observe(cs, c); c != nil {
			out = append(out, c)
		}
	}
	return out, nil
}

// Repair makes the records true again after a crash: what a killed create left is removed,
// and every container whose monitor is gone is repaired (see reconcile). Idempotent, and
// safe alongside other commands.
func (e *Engine) Repair() error {
	cs, err := e.Containers()
	if err != nil {
		return err
	}
	cs.SweepIncomplete()
	all, err := cs.List()
	if err != nil {
		return err
	}
	for _, c := range all {
		e.reconcile(cs, c)
	}
	return nil
}

// Container finds a container by name, ID or unique ID prefix.
func (e *Engine) Container(ref string) (*container.Container, error) {
	cs, err := e.Containers()
	if err != nil {
		return nil, err
	}
	c, err := cs.Lookup(ref)
	if err != nil {
		return nil, err
	}
	return e.reconcile(cs, c), nil
}

// ParseSignal reads "TERM", "SIGTERM", "15", "sigusr1".
func ParseSignal(s string) (unix.Signal, error) {
	if sig, ok := runtime.ParseSignal(s); ok {
		return sig, nil
	}
	return 0, fmt.Errorf("invalid signal: %s", s)
}

// Kill sends a signal to a running container's main process.
func (e *Engine) Kill(ref, signal string) error {
	sig := unix.SIGKILL
	if signal != "" {
		var err error
		if sig, err = ParseSignal(signal); err != nil {
			return err
		}
	}
	c, err := e.Container(ref)
	if err != nil {
		return err
	}
	if !c.State.Running {
		return fmt.Errorf("cannot kill container: %s: container %s %w", ref, c.ID, ErrNotRunning)
	}
	cs, _ := e.Containers()
	if _, ok := cs.ReadRunState(c.ID); !ok {
		return fmt.Errorf("cannot kill container: %s: container %s %w", ref, c.ID, ErrNotRunning)
	}
	stops := sig == unix.SIGKILL || sig == unix.SIGTERM || sig == unix.SIGINT
	if stops {
		cs.Update(c.ID, func(c *container.Container) error { c.ManualStop = true; return nil })
	}
	// Read after the stop is recorded: a start under way that has no process yet sees it.
	rs, ok := cs.ReadRunState(c.ID)
	if ok && rs.Pid == 0 && stops {
		return e.awaitKilled(cs, c, rs, sig)
	}
	if !ok || rs.Pid == 0 {
		return fmt.Errorf("cannot kill container: %s: container %s %w", ref, c.ID, ErrNotRunning)
	}
	e.EmitContainer(c, "kill", "signal", strconv.Itoa(int(sig))) // before the monitor's die
	if err := signalProcess(rs.Pid, rs.PidStart, sig); err != nil {
		return fmt.Errorf("cannot kill container %s: %w", ref, err)
	}
	if unpausesOnSignal(c, sig) {
		// The signal waits in the frozen process: thawing delivers it.
		if err := e.thaw(c.ID); err != nil {
			return fmt.Errorf("cannot kill container %s: unpausing it: %w", ref, err)
		}
	}
	return e.awaitKilled(cs, c, rs, sig)
}

// awaitKilled returns, after a SIGKILL, once the container's monitor has recorded the exit
// (as Docker's kill waits for the container to stop), so that `kill C && rm C` finds it
// exited. Other signals return at once: the container may handle them and keep running.
func (e *Engine) awaitKilled(cs *container.Store, c *container.Container, rs container.RunState, sig unix.Signal) error {
	if sig != unix.SIGKILL {
		return nil
	}
	if !waitGone(rs.MonitorPid, rs.MonitorStart, 30*time.Second) {
		return fmt.Errorf("container %s: its monitor did not finish", c.ID[:12])
	}
	if fresh, err := cs.Get(c.ID); err == nil {
		e.reconcile(cs, fresh) // a monitor killed meanwhile left the record running
	}
	return nil
}

// Stop sends the container's stop signal, waits up to timeout for it to
// end, then kills it. A container that is not running is left alone.
func (e *Engine) Stop(ref string, timeout time.Duration) error { return e.stop(ref, 0, timeout) }

// stop is Stop with the signal to send (0: the container's StopSignal, else SIGTERM).
func (e *Engine) stop(ref string, signal unix.Signal, timeout time.Duration) error {
	c, err := e.Container(ref)
	if err != nil {
		return err
	}
	if !c.State.Running && !c.State.Restarting {
		return nil
	}
	cs, _ := e.Containers()
	if _, ok := cs.ReadRunState(c.ID); !ok {
		return nil
	}
	cs.Update(c.ID, func(c *container.Container) error { c.ManualStop = true; return nil })
	if c.State.Paused {
		// A frozen process gets no signal: it runs again to receive the stop signal (Docker
		// resumes it too).
		if err := e.thaw(c.ID); err != nil {
			return fmt.Errorf("cannot stop container %s: unpausing it: %w", ref, err)
		}
	}
	// Read after the stop is recorded: a start under way that has no process yet sees it
	// and ends, and Pid 0 signals nothing.
	rs, ok := cs.ReadRunState(c.ID)
	if !ok {
		return nil
	}
	sig := unix.SIGTERM
	if c.Config.StopSignal != "" {
		if s, err := ParseSignal(c.Config.StopSignal); err == nil {
			sig = s
		}
	}
	if signal != 0 {
		sig = signal
	}
	e.EmitContainer(c, "kill", "signal", strconv.Itoa(int(sig)))
	// The monitor sends the signal and SIGKILL at the deadline, or ends a restart back-off
	// at once; then it records the exit.
	if err := e.control(c.ID, attach.Request{Op: "stop", Signal: sig, Timeout: timeout}); err == nil {
		if !waitGone(rs.MonitorPid, rs.MonitorStart, timeout+30*time.Second) {
			return fmt.Errorf("container %s: its monitor did not finish", ref)
		}
		e.reconcile(cs, c)
		e.EmitContainer(c, "stop")
		return nil
	}
	// No answer on the socket: signal PID 1 directly.
	if !c.State.Running { // between restarts: the monitor sees ManualStop and ends
		waitGone(rs.MonitorPid, rs.MonitorStart, 2*time.Minute)
		e.EmitContainer(c, "stop")
		return nil
	}
	if err := signalProcess(rs.Pid, rs.PidStart, sig); err == nil && !waitGone(rs.Pid, rs.PidStart, timeout) {
		signalProcess(rs.Pid, rs.PidStart, unix.SIGKILL)
	}
	// The monitor records the exit; wait for it (bounded: a dead monitor is
	// repaired by reconcile).
	if !waitGone(rs.MonitorPid, rs.MonitorStart, 30*time.Second) {
		return fmt.Errorf("container %s: its monitor did not finish", ref)
	}
	e.reconcile(cs, c)
	e.EmitContainer(c, "stop")
	return nil
}

// Wait blocks until the container is not running and returns its exit code.
func (e *Engine) Wait(ctx context.Context, ref string) (int, error) {
	c, err := e.Container(ref)
	if err != nil {
		return 0, err
	}
	cs, _ := e.Containers()
	if c.State.Running || c.State.Restarting {
		if err := awaitMonitor(ctx, cs, c.ID); err != nil {
			return 0, err
		}
	}
	c, err = cs.Get(c.ID)
	if err != nil {
		return 0, err
	}
	return e.reconcile(cs, c).State.ExitCode, nil
}

// awaitMonitor waits until the monitor named by the container's run state (if any) has
// ended, or ctx ends.
func awaitMonitor(ctx context.Context, cs *container.Store, id string) error {
	rs, ok := cs.ReadRunState(id)
	if !ok {
		return nil
	}
	done := make(chan struct{})
	go func() { waitGone(rs.MonitorPid, rs.MonitorStart, -1); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Remove deletes a container; a running one only with force (it is killed).
func (e *Engine) Remove(ref string, force bool) error { return e.RemoveWithVolumes(ref, force, false) }

// RemoveWithVolumes is Remove that, with volumes (rm -v), also removes the container's
// anonymous volumes no other container uses.
func (e *Engine) RemoveWithVolumes(ref string, force, volumes bool) error {
	c, err := e.Container(ref)
	if err != nil {
		return err
	}
	cs, _ := e.Containers()
	if c.State.Running || c.State.Restarting {
		if !force {
			return errdefs.Conflict(fmt.Errorf("cannot remove container \"/%s\": container is running: stop the container before removing or force remove", c.Name))
		}
		if _, ok := cs.ReadRunState(c.ID); ok {
			cs.Update(c.ID, func(c *container.Container) error { c.ManualStop = true; return nil })
			// Read after the stop is recorded: a start under way that has no process yet
			// sees it and ends.
			if rs, ok := cs.ReadRunState(c.ID); ok {
				e.EmitContainer(c, "kill", "signal", "9") // before the monitor's die
				signalProcess(rs.Pid, rs.PidStart, unix.SIGKILL)
				if c.State.Paused {
					e.thaw(c.ID) // a frozen process dies of SIGKILL only once thawed (v1)
				}
				waitGone(rs.MonitorPid, rs.MonitorStart, 30*time.Second)
			}
		}
	}
	e.cgs.release(c.ID)
	e.net.release(cs, c, nil)
	e.removeRunFiles(cs, c.ID)
	return e.deleteContainer(cs, c, volumes)
}

// StartExisting starts a created or exited container again, under a new
// monitor, with the same configuration and file system.
func (e *Engine) StartExisting(ctx context.Context, ref string, globalArgs []string) (*container.Container, error) {
	c, err := e.Container(ref)
	if err != nil {
		return nil, err
	}
	if c.State.Paused {
		return nil, errdefs.Conflict(errors.New("cannot start a paused container, try unpause instead"))
	}
	if c.State.Running {
		return c, nil
	}
	return c, e.StartDetached(ctx, c.ID, globalArgs)
}

// PruneContainers removes every stopped container and returns their IDs.
func (e *Engine) PruneContainers() ([]string, int64, error) {
	return e.PruneContainersFiltered(PruneFilter{})
}

// PruneContainersFiltered is PruneContainers for the containers f matches.
func (e *Engine) PruneContainersFiltered(f PruneFilter) ([]string, int64, error) {
	if err := e.Repair(); err != nil {
		return nil, 0, err
	}
	all, err := e.ListContainers()
	if err != nil {
		return nil, 0, err
	}
	var removed []string
	var reclaimed int64
	for _, c := range all {
		if c.State.Running || !f.Match(c.Created, c.Config.Labels) {
			continue
		}
		rw, _, _ := e.ContainerSize(c)
		if err := e.Remove(c.ID, false); err == nil {
			removed = append(removed, c.ID)
			reclaimed += rw
		}
	}
	e.Emit(events.Container, "prune", "", map[string]string{"reclaimed": strconv.FormatInt(reclaimed, 10)})
	return removed, reclaimed, nil
}

// Procs lists the host PIDs of a running container's processes.
func (e *Engine) Procs(c *container.Container) ([]int, error) {
	if !c.State.Running {
		return nil, fmt.Errorf("container %s %w", c.ID, ErrNotRunning)
	}
	cg, err := e.cgroup(c.ID)
	if err != nil {
		return nil, err
	}
	pids, err := cg.Procs()
	if err == nil {
		e.EmitContainer(c, "top") // Procs is top's
	}
	return pids, err
}

// Exited returns a channel closed when the container's monitor is gone
// (closed at once when the container is not running).
func (e *Engine) Exited(c *container.Container) <-chan struct{} {
	done := make(chan struct{})
	cs, err := e.Containers()
	rs, ok := container.RunState{}, false
	if err == nil && (c.State.Running || c.State.Restarting) {
		rs, ok = cs.ReadRunState(c.ID)
	}
	if !ok {
		close(done)
		return done
	}
	go func() {
		waitGone(rs.MonitorPid, rs.MonitorStart, -1)
		close(done)
	}()
	return done
}

// ContainerSize is what `ps -s` shows: the bytes the container wrote (its
// upper directory) and those plus its image's.
func (e *Engine) ContainerSize(c *container.Container) (rw, virtual int64, err error) {
	cs, err := e.Containers()
	if err != nil {
		return 0, 0, err
	}
	err = filepath.WalkDir(filepath.Join(cs.Dir(c.ID), "upper"), func(_ string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil // a file removed meanwhile: not counted
		}
		if !d.IsDir() {
			if fi, err := d.Info(); err == nil {
				rw += fi.Size()
			}
		}
		return nil
	})
	virtual = rw
	if im, err := e.Store.Image(c.Image); err == nil {
		virtual += im.Size
	}
	return rw, virtual, err
}
