package monitor

import (
	"bytes"
	"context"
	"errors"
	"os/exec"
	"strings"
	"syscall"
	"time"

	"github.com/geedocker/geedocker/internal/container"
)

// Health checks. The monitor, which lives as long as the container, keeps the schedule: one
// timer, and one probe at a time, each run by the engine (Hooks that are a Prober): for the
// detached monitor the short-lived command
//
//	geedocker GLOBAL container-healthcheck ID     prints the health status after the probe
//
// which runs the check as an exec in the container, kills it when it outlives its timeout,
// and records the result in the container's record. So the monitor links nothing more and
// holds nothing between probes; a probe costs one short geedocker process. The schedule is
// Docker's: the first probe an interval after the start (the start interval while the
// container is starting within its start period), each next one an interval after the end
// of the last. The checks stop when the container's PID 1 has exited, a probe under way
// included.

// HealthcheckCommand is the hidden geedocker command that runs one probe.
const HealthcheckCommand = "container-healthcheck"

// probeGrace is how long a probe may take beyond its timeout (to start the exec and record
// the result) before the monitor kills it: Docker allows 30 seconds to start an exec.
const probeGrace = 30 * time.Second

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

// watchHealth runs the health checks of hc while the container runs; the function returned
// stops them and returns once no probe runs.
func (m *monitor) watchHealth(hc *container.HealthConfig) (stop func()) {
	p, ok := m.cfg.Hooks.(Prober)
	if !ok || !hc.Probed() {
		return func() {}
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		started := time.Now()
		status := container.HealthStarting
		t := time.NewTimer(hc.NextProbe(started, status, time.Now()))
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			pctx, pcancel := context.WithTimeout(ctx, hc.TimeoutOrDefault()+probeGrace)
			if s, err := p.Probe(pctx); err == nil && s != "" {
				status = s
			}
			pcancel()
			if ctx.Err() != nil {
				return
			}
			t.Reset(hc.NextProbe(started, status, time.Now()))
		}
	}()
	return func() {
		cancel()
		<-done
	}
}
