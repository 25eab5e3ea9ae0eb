package engine

import (
	"fmt"

	"github.com/geedocker/geedocker/internal/attach"
)

// AttachClient is a connection to a container's monitor (package attach).
type AttachClient = attach.Client

// AttachSocket is the path of a container's attach socket.
func (e *Engine) AttachSocket(id string) (string, error) {
	cs, err := e.Containers()
	if err != nil {
		return "", err
	}
	return cs.AttachSocket(id), nil
}

// Attach connects to a running container's monitor, for its streams: an attach event.
func (e *Engine) Attach(id string) (*AttachClient, error) {
	c, err := e.Dial(id)
	if err == nil {
		e.emitContainerRef(id, "attach")
	}
	return c, err
}

// Dial connects to a running container's monitor, for a control request or a resize.
func (e *Engine) Dial(id string) (*AttachClient, error) {
	path, err := e.AttachSocket(id)
	if err != nil {
		return nil, err
	}
	c, err := attach.Dial(path)
	if err != nil {
		return nil, fmt.Errorf("cannot attach to container %s: %w", id[:12], ErrNotRunning)
	}
	return c, nil
}

// control sends a control request to a container's monitor.
func (e *Engine) control(id string, r attach.Request) error {
	c, err := e.Dial(id)
	if err != nil {
		return err
	}
	defer c.Close()
	return c.Control(r)
}
