package engine

import (
	"crypto/rand"
	"encoding/hex"
	"sort"
	"strconv"
	"strings"

	"github.com/geedocker/geedocker/internal/container"
	"github.com/geedocker/geedocker/internal/events"
	"github.com/geedocker/geedocker/internal/network"
)

// Events is the event journal of the engine's store (package events).
func (e *Engine) Events() *events.Journal { return events.Open(e.Store.Root()) }

// Emit records one of Docker's events: typ is events.Container, events.Image,
// events.Network, events.Volume or events.Builder; id the actor's ID; attrs its
// attributes as Docker gives them (name, …). An event that cannot be recorded is dropped:
// it never fails the use case that caused it.
func (e *Engine) Emit(typ, action, id string, attrs map[string]string) {
	e.Events().Record(typ, action, id, attrs)
}

// EmitContainer records an event of container c with Docker's container attributes (its
// labels, image and name) and extra key-value pairs, such as "signal", "15".
func (e *Engine) EmitContainer(c *container.Container, action string, extra ...string) {
	e.Emit(events.Container, action, c.ID, events.ContainerAttributes(c.Name, c.Config.Image, c.Config.Labels, extra...))
}

// emitImage records an event of an image: id is its ID or reference, name the reference
// it was known by.
func (e *Engine) emitImage(action, id, name string) {
	e.Emit(events.Image, action, id, map[string]string{"name": name})
}

// NewExecID is a fresh ID for an exec, as Docker's.
func NewExecID() string {
	b := make([]byte, 32)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// ExecCreated records exec_create for an exec of c, whose command is cmd.
func (e *Engine) ExecCreated(c *container.Container, execID string, cmd []string) {
	e.EmitContainer(c, "exec_create: "+strings.Join(cmd, " "), "execID", execID)
}

// ExecDied records exec_die for an exec that ended with code.
func (e *Engine) ExecDied(ref, execID string, code int) {
	if c, err := e.Container(ref); err == nil {
		e.EmitContainer(c, "exec_die", "execID", execID, "exitCode", strconv.Itoa(code))
	}
}

// emitContainerRef is EmitContainer for a container known by reference.
func (e *Engine) emitContainerRef(ref, action string, extra ...string) {
	if c, err := e.Container(ref); err == nil {
		e.EmitContainer(c, action, extra...)
	}
}

// emitNetwork records an event of network n; containerID is the container that connects
// or disconnects ("" for others).
func (e *Engine) emitNetwork(n network.Network, action, containerID string) {
	attrs := map[string]string{"name": n.Name, "type": "bridge"}
	if containerID != "" {
		attrs["container"] = containerID
	}
	e.Emit(events.Network, action, n.ID, attrs)
}

// emitVolume records an event of the local volume name.
func (e *Engine) emitVolume(action, name string) {
	e.Emit(events.Volume, action, name, map[string]string{"driver": "local"})
}

// emitEndpoints records action (connect, disconnect) for each network c is on, as dockerd
// does when a container starts and stops.
func (e *Engine) emitEndpoints(c *container.Container, action string) {
	names := make([]string, 0, len(c.NetworkSettings.Networks))
	for name := range c.NetworkSettings.Networks {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		attrs := map[string]string{"container": c.ID, "name": name, "type": "bridge"}
		e.Emit(events.Network, action, c.NetworkSettings.Networks[name].NetworkID, attrs)
	}
}

// emitMounts records action (mount, unmount) for each volume of c, as dockerd does when a
// container starts and stops.
func (e *Engine) emitMounts(c *container.Container, action string) {
	for _, m := range c.Mounts {
		if m.Type != "volume" {
			continue
		}
		attrs := map[string]string{"driver": "local", "container": c.ID}
		if action == "mount" {
			attrs["destination"], attrs["read/write"], attrs["propagation"] = m.Destination, strconv.FormatBool(m.RW), m.Propagation
		}
		e.Emit(events.Volume, action, m.Name, attrs)
	}
}
