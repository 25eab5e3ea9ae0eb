package engine

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/geedocker/geedocker/internal/errdefs"
)

// Wait conditions, as Docker's API names them.
const (
	WaitNotRunning = "not-running"
	WaitNextExit   = "next-exit"
	WaitRemoved    = "removed"
)

// WaitCondition blocks until the condition holds for the container and returns its exit
// code: not-running (as Wait), next-exit (a container that does not run is waited for to
// start, then to exit) or removed (not running, then its record gone).
func (e *Engine) WaitCondition(ctx context.Context, ref, condition string) (int, error) {
	switch condition {
	case "", WaitNotRunning:
		return e.Wait(ctx, ref)
	case WaitNextExit, WaitRemoved:
	default:
		return 0, errdefs.InvalidArgument(fmt.Errorf("invalid condition: %q", condition))
	}
	c, err := e.Container(ref)
	if err != nil {
		return 0, err
	}
	cs, err := e.Containers()
	if err != nil {
		return 0, err
	}
	if condition == WaitNextExit && !c.State.Running && !c.State.Restarting {
		// The monitor of the next start writes the run state first.
		if err := os.MkdirAll(cs.RunDir(), 0o700); err != nil {
			return 0, err
		}
		if err := awaitPath(ctx, cs.RunDir(), c.ID+".json", true); err != nil {
			return 0, err
		}
		// The record may not say running yet: the run state's monitor is what is waited for.
		if err := awaitMonitor(ctx, cs, c.ID); err != nil {
			return 0, err
		}
	}
	code, err := e.Wait(ctx, c.ID)
	if err != nil {
		if condition == WaitRemoved && !cs.Exists(c.ID) {
			return code, nil // removed as it ended (--rm)
		}
		return code, err
	}
	if condition == WaitRemoved {
		if err := awaitPath(ctx, filepath.Dir(cs.Dir(c.ID)), c.ID, false); err != nil {
			return 0, err
		}
	}
	return code, nil
}
