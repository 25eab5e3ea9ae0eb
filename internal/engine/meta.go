package engine

import (
	"fmt"
	"maps"
	"time"

	"golang.org/x/sys/unix"

	"github.com/geedocker/geedocker/internal/container"
	"github.com/geedocker/geedocker/internal/errdefs"
)

// DefaultStopTimeout is how long stop waits before SIGKILL when neither the command nor the
// container (--stop-timeout) says.
const DefaultStopTimeout = 10 * time.Second

// mergeLabels is a container's Config.Labels, as Docker makes them: the image's, with the
// user's (--label, --label-file) over them.
func mergeLabels(image, user map[string]string) map[string]string {
	if len(user) == 0 {
		return image
	}
	out := maps.Clone(image)
	if out == nil {
		out = map[string]string{}
	}
	maps.Copy(out, user)
	return out
}

// checkStopSignal refuses a --stop-signal that names no signal, in Docker's words.
func checkStopSignal(sig string) error {
	if sig == "" {
		return nil
	}
	if _, err := ParseSignal(sig); err != nil {
		return errdefs.InvalidArgument(fmt.Errorf("Invalid signal: %s", sig))
	}
	return nil
}

// StopTimeout is how long stop waits for a container before SIGKILL: seconds when the
// caller gives them (stop -t), else the container's --stop-timeout, else 10 seconds.
func StopTimeout(c *container.Container, seconds *int) time.Duration {
	switch {
	case seconds != nil:
		return time.Duration(*seconds) * time.Second
	case c.Config.StopTimeout != nil:
		return time.Duration(*c.Config.StopTimeout) * time.Second
	}
	return DefaultStopTimeout
}

// StopOptions are stop's and restart's: the signal ("": the container's --stop-signal or
// the image's STOPSIGNAL, else SIGTERM) and the seconds to wait before SIGKILL (nil: the
// container's --stop-timeout, else 10).
type StopOptions struct {
	Signal  string
	Timeout *int
}

// StopWith stops a container as Stop does, with the options' signal and timeout.
func (e *Engine) StopWith(ref string, o StopOptions) error {
	var sig unix.Signal
	if o.Signal != "" {
		s, err := ParseSignal(o.Signal)
		if err != nil {
			return errdefs.InvalidArgument(fmt.Errorf("Invalid signal: %s", o.Signal))
		}
		sig = s
	}
	c, err := e.Container(ref)
	if err != nil {
		return err
	}
	return e.stop(ref, sig, StopTimeout(c, o.Timeout))
}
