package monitor

import (
	"bytes"
	"context"
	"errors"
	"os/exec"
	"strings"
	"syscall"
	"time"

	"github.com/geedocker/geedocker/internal/holder"
)

// Health checks: the loop keeps the schedule (see package holder); each probe is the
// engine's, the short-lived command
//
//	geedocker GLOBAL container-healthcheck ID     prints the health status after the probe
//
// which runs the check as an exec in the container, kills it when it outlives its timeout,
// and records the result in the container's record.

// HealthcheckCommand is the hidden geedocker command that runs one probe.
const HealthcheckCommand = holder.HealthcheckCommand

// Prober is implemented by Hooks that run health checks.
type Prober interface {
	// Probe runs the container's health check once, records the result and returns the
	// health status after it. Cancelling ctx stops the probe.
	Probe(ctx context.Context) (string, error)
}

// Probe runs container-healthcheck. A cancel asks it to stop with SIGTERM (it kills its
// probe), then kills it.
func (h ExecHooks) Probe(ctx context.Context) (string, error) {
	cmd := exec.CommandContext(ctx, h.Engine, append(append([]string{}, h.Global...), HealthcheckCommand, h.ID)...)
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = 2 * time.Second
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		if msg := strings.TrimSpace(stderr.String()); msg != "" {
			return "", errors.New(msg)
		}
		return "", err
	}
	return strings.TrimSpace(string(out)), nil
}
