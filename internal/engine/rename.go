package engine

import (
	"github.com/geedocker/geedocker/internal/dns"
	"github.com/geedocker/geedocker/internal/network"
)

// Rename gives a container a new name (rename). A running container on a user network
// answers to the new name there at once, and no longer to the old one.
func (e *Engine) Rename(ref, newName string) error {
	c, err := e.Container(ref)
	if err != nil {
		return err
	}
	cs, err := e.Containers()
	if err != nil {
		return err
	}
	updated, err := cs.Rename(c.ID, newName)
	if err != nil {
		return err
	}
	e.EmitContainer(updated, "rename", "oldName", "/"+c.Name)
	if !updated.State.Running {
		return nil // the records are written at the next start
	}
	for name, ep := range updated.NetworkSettings.Networks {
		if name == network.DefaultName {
			continue
		}
		if err := dns.Publish(dnsDir(cs), name, updated.ID, dnsRecord(updated, ep, e.netnsPath(cs, updated.ID))); err != nil {
			return err
		}
	}
	return nil
}
