//go:build !linux

package holder

import (
	"context"
	"errors"
)

var errNotLinux = errors.New("the container monitor needs Linux")

// ExecHooks need Linux.
type ExecHooks struct {
	Init, Engine string
	Global       []string
	ID           string
	Prepared     bool
}

// NewExecHooks needs Linux.
func NewExecHooks(h ExecHooks) (*ExecHooks, error) { return nil, errNotLinux }

func (h *ExecHooks) Start(context.Context, bool, StartIO) (*Started, error) { return nil, errNotLinux }
func (h *ExecHooks) OOM()                                                   {}
func (h *ExecHooks) Exited(Exit) (Next, error)                              { return Next{}, errNotLinux }
func (h *ExecHooks) Stopped()                                               {}
func (h *ExecHooks) Probe(context.Context) (string, error)                  { return "", errNotLinux }
func (h *ExecHooks) EnsureDNS(string) (int, error)                          { return 0, errNotLinux }
