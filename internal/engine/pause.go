package engine

import (
	"errors"
	"fmt"

	"golang.org/x/sys/unix"

	"github.com/geedocker/geedocker/internal/container"
	"github.com/geedocker/geedocker/internal/errdefs"
)

// Pause and unpause freeze a container's cgroup (freezer.state on v1, cgroup.freeze on v2),
// through the same cgroups.Manager that kills and commits use. The record and the freezer are
// kept so that the record says paused whenever the cgroup may be frozen: Pause records the
// pause before it freezes (and takes it back when the freeze fails), Unpause thaws before it
// records. A command killed between the two leaves a record that says paused over a thawed
// cgroup, which the next unpause mends; never a frozen container that passes for a running one.
// A frozen container's monitor is outside its cgroup and keeps running, so the repair of a
// dead monitor (reconcile) never mistakes a paused container for an exited one.

// pauseConflict is a state error of pause and unpause: a conflict, as Docker's.
func pauseConflict(format string, args ...any) error {
	return errdefs.Conflict(fmt.Errorf(format, args...))
}

// Pause freezes every process of a running container.
func (e *Engine) Pause(ref string) error {
	c, err := e.Container(ref)
	if err != nil {
		return err
	}
	cs, err := e.Containers()
	if err != nil {
		return err
	}
	if _, err := cs.Update(c.ID, func(c *container.Container) error {
		switch {
		case c.State.Paused:
			return pauseConflict("Container %s is already paused", c.ID)
		case c.State.Restarting:
			return pauseConflict("Container %s is restarting, wait until the container is running", c.ID)
		case !c.State.Running:
			return pauseConflict("Container %s is not running", c.ID)
		}
		if rs, ok := cs.ReadRunState(c.ID); !ok || rs.Pid == 0 || !container.Alive(rs.Pid, rs.PidStart) {
			return pauseConflict("Container %s is not running", c.ID)
		}
		c.State.Paused, c.State.Status = true, container.Paused
		return nil
	}); err != nil {
		return err
	}
	cg, err := e.cgroup(c.ID)
	if err == nil {
		err = cg.Freeze()
	}
	if err != nil {
		if cg != nil {
			cg.Thaw()
		}
		cs.Update(c.ID, func(c *container.Container) error {
			if c.State.Paused {
				c.State.Paused, c.State.Status = false, container.Running
			}
			return nil
		})
		return fmt.Errorf("Cannot pause container %s: %w", c.ID, err)
	}
	e.EmitContainer(c, "pause")
	return nil
}

// Unpause thaws a paused container.
func (e *Engine) Unpause(ref string) error {
	c, err := e.Container(ref)
	if err != nil {
		return err
	}
	if !c.State.Paused {
		return pauseConflict("Container %s is not paused", c.ID)
	}
	if err := e.thaw(c.ID); err != nil {
		return fmt.Errorf("Cannot unpause container %s: %w", c.ID, err)
	}
	e.EmitContainer(c, "unpause")
	return nil
}

// thaw lets a paused container run again and records it; nil when it is not paused.
func (e *Engine) thaw(id string) error {
	cg, err := e.cgroup(id)
	if err != nil {
		return err
	}
	if err := cg.Thaw(); err != nil {
		return err
	}
	cs, err := e.Containers()
	if err != nil {
		return err
	}
	_, err = cs.Update(id, func(c *container.Container) error {
		if !c.State.Paused {
			return errNotPaused
		}
		c.State.Paused = false
		if c.State.Running {
			c.State.Status = container.Running
		}
		return nil
	})
	if errors.Is(err, errNotPaused) {
		return nil
	}
	return err
}

var errNotPaused = errors.New("not paused")

// unpausesOnSignal says whether sending sig to a paused container thaws it, as Docker's kill
// does: the signal is sent while the container is frozen, then the container is resumed so
// that it is delivered, when the signal is SIGKILL or the container's stop signal (any signal
// when the container names none).
func unpausesOnSignal(c *container.Container, sig unix.Signal) bool {
	if !c.State.Paused {
		return false
	}
	if sig == unix.SIGKILL || c.Config.StopSignal == "" {
		return true
	}
	stop, err := ParseSignal(c.Config.StopSignal)
	return err == nil && stop == sig
}
