package holder

import (
	"context"
	"time"
)

// Health checks. The loop, which lives as long as the container, keeps the schedule: one
// timer, and one probe at a time, each run by Hooks.Probe (for the detached monitor the
// short-lived `geedocker container-healthcheck ID`, which runs the check as an exec in the
// container, kills it when it outlives its timeout and records the result). The schedule is
// Docker's: the first probe an interval after the start (the start interval while the
// container is starting within its start period), each next one an interval after the end
// of the last. The checks stop when the container's PID 1 has exited, a probe under way
// included.

// Health is the schedule of a container's health check, Docker's defaults filled in.
type Health struct {
	Interval, Timeout, StartPeriod, StartInterval time.Duration
}

// HealthStarting is the status of a container whose health is not known yet.
const HealthStarting = "starting"

// probeGrace is how long a probe may take beyond its timeout (to start the exec and record
// the result) before the loop kills it: Docker allows 30 seconds to start an exec.
const probeGrace = 30 * time.Second

// NextProbe is the wait before the next probe, from the end of the last one: Interval, or
// StartInterval while the container is still starting within its start period; never past
// the end of the start period. started is when the container started, status its health.
func (h *Health) NextProbe(started time.Time, status string, now time.Time) time.Duration {
	elapsed := now.Sub(started)
	if elapsed >= h.StartPeriod {
		return h.Interval
	}
	if rest := h.StartPeriod - elapsed; rest < h.Interval {
		return rest
	}
	if status == HealthStarting {
		return h.StartInterval
	}
	return h.Interval
}

// watchHealth runs the health checks of hc while the container runs; the function returned
// stops them and returns once no probe runs.
func (h *holder) watchHealth(hc *Health, started time.Time) (stop func()) {
	if hc == nil {
		return func() {}
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		status := HealthStarting
		t := time.NewTimer(hc.NextProbe(started, status, time.Now()))
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			pctx, pcancel := context.WithTimeout(ctx, hc.Timeout+probeGrace)
			if s, err := h.cfg.Hooks.Probe(pctx); err == nil && s != "" {
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
