package engine

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"syscall"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/geedocker/geedocker/internal/container"
	"github.com/geedocker/geedocker/internal/errdefs"
	"github.com/geedocker/geedocker/internal/runtime"
)

// Health checks: the container's monitor schedules the probes (package monitor, whose
// Hooks.Probe comes here: a function call in the foreground run, the short-lived
// `geedocker container-healthcheck ID` for a detached container); HealthCheck runs one probe
// as an exec in the container, as Docker does, and records its result.

// mergeHealthcheck is the container's health check: the image's, overridden field by field by
// what the --health-* flags set (Docker's merge of the user's config with the image's);
// --no-healthcheck (Test ["NONE"]) disables the image's.
func mergeHealthcheck(user *container.HealthConfig, image *v1.HealthConfig) *container.HealthConfig {
	if image == nil {
		return user
	}
	img := &container.HealthConfig{
		Test: image.Test, Interval: image.Interval, Timeout: image.Timeout, StartPeriod: image.StartPeriod,
		Retries: image.Retries,
	}
	if user == nil {
		return img
	}
	m := *user
	if len(m.Test) == 0 {
		m.Test = img.Test
	}
	if m.Interval == 0 {
		m.Interval = img.Interval
	}
	if m.Timeout == 0 {
		m.Timeout = img.Timeout
	}
	if m.StartPeriod == 0 {
		m.StartPeriod = img.StartPeriod
	}
	if m.Retries == 0 {
		m.Retries = img.Retries
	}
	return &m
}

// validateHealthcheck refuses what Docker's daemon refuses in a health check.
func validateHealthcheck(h *container.HealthConfig) error {
	if h == nil {
		return nil
	}
	for _, d := range []struct {
		name string
		d    time.Duration
	}{{"Interval", h.Interval}, {"Timeout", h.Timeout}, {"StartPeriod", h.StartPeriod}, {"StartInterval", h.StartInterval}} {
		if d.d != 0 && d.d < time.Millisecond {
			return errdefs.InvalidArgument(fmt.Errorf("%s in Healthcheck cannot be less than 1ms", d.name))
		}
	}
	if h.Retries < 0 {
		return errdefs.InvalidArgument(errors.New("Retries in Healthcheck cannot be negative"))
	}
	return nil
}

// errProbeCancelled: the probe was stopped (the container stops), its result is not recorded.
var errProbeCancelled = errors.New("health check cancelled")

// HealthCheck runs the health check of the running container id once and records the result;
// it returns the container's health status after it. A probe cancelled through ctx (the
// container stops) is killed and not recorded.
func (e *Engine) HealthCheck(ctx context.Context, id string) (string, error) {
	cs, err := e.Containers()
	if err != nil {
		return "", err
	}
	c, err := cs.Get(id)
	if err != nil {
		return "", err
	}
	hc := c.Config.Healthcheck
	if !hc.Probed() {
		return container.NoHealthcheck, nil
	}
	if !c.State.Running || c.State.Paused {
		return c.State.HealthStatus(), nil
	}
	started := c.State.StartedAt
	r, err := e.probe(ctx, c, hc)
	if err != nil {
		return c.State.HealthStatus(), err
	}
	return e.recordHealth(cs, id, started, r)
}

// recordHealth records the result r of a probe of the run of container id that started at
// started; a result that comes after that run has ended is dropped. Every change of the
// health status passes here.
func (e *Engine) recordHealth(cs *container.Store, id string, started time.Time, r container.HealthResult) (string, error) {
	var before, after string
	_, err := cs.Update(id, func(c *container.Container) error {
		if !c.State.Running || !c.State.StartedAt.Equal(started) || c.State.Health == nil {
			after = c.State.HealthStatus()
			return errStaleProbe
		}
		before = c.State.Health.Status
		c.State.Health.Apply(c.Config.Healthcheck, started, r)
		after = c.State.Health.Status
		return nil
	})
	if errors.Is(err, errStaleProbe) {
		return after, nil
	}
	if err != nil {
		return "", err
	}
	if after != before {
		if c, err := cs.Get(id); err == nil {
			e.EmitContainer(c, "health_status: "+after)
		}
	}
	return after, nil
}

var errStaleProbe = errors.New("the probe's run of the container has ended")

// probe runs the health check's command in the container once, its output (stdout and
// stderr) kept up to Docker's limit; one that outlives the timeout is killed, with its
// process group, and counts as failed (exit code -1), as does one that could not start.
func (e *Engine) probe(ctx context.Context, c *container.Container, hc *container.HealthConfig) (container.HealthResult, error) {
	r := container.HealthResult{Start: time.Now().UTC()}
	out := &probeOutput{}
	proc, err := e.Exec(ctx, c.ID, ExecOptions{Cmd: hc.ProbeArgs(), Stdout: out, Stderr: out})
	if err != nil {
		if ctx.Err() != nil || errors.Is(err, ErrNotRunning) {
			return r, errProbeCancelled // the container stops
		}
		r.End, r.ExitCode, r.Output = time.Now().UTC(), -1, err.Error()
		return r, nil
	}
	type waited struct {
		st  runtime.ExitStatus
		err error
	}
	done := make(chan waited, 1)
	go func() {
		st, err := proc.Wait()
		done <- waited{st, err}
	}()
	timeout := hc.TimeoutOrDefault()
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case w := <-done:
		r.End, r.Output = time.Now().UTC(), out.String()
		r.ExitCode = w.st.Code
		if w.err != nil {
			r.ExitCode, r.Output = -1, w.err.Error()
		}
		return r, nil
	case <-t.C:
		killProbe(proc)
		<-done
		r.End, r.ExitCode = time.Now().UTC(), -1
		r.Output = fmt.Sprintf("Health check exceeded timeout (%v)", timeout)
		if o := out.String(); o != "" {
			r.Output += ": " + o
		}
		return r, nil
	case <-ctx.Done():
		killProbe(proc)
		<-done
		return r, errProbeCancelled
	}
}

// killProbe kills a probe and what it started in its session (an exec leads a session of its
// own, so its process group is its pid).
func killProbe(p *runtime.Process) {
	syscall.Kill(-p.Pid, syscall.SIGKILL)
	p.Signal(syscall.SIGKILL)
}

// probeOutput keeps the first bytes of a probe's output, as many as Docker keeps, and marks
// what it dropped with "...".
type probeOutput struct {
	mu        sync.Mutex
	buf       []byte
	truncated bool
}

const maxProbeOutput = 4096

func (o *probeOutput) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	keep := min(maxProbeOutput-len(o.buf), len(p))
	o.buf = append(o.buf, p[:keep]...)
	if keep < len(p) {
		o.truncated = true
	}
	return len(p), nil
}

func (o *probeOutput) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.truncated {
		return string(o.buf) + "..."
	}
	return string(o.buf)
}

// Probe runs one health check for the monitor of a foreground run.
func (h engineHooks) Probe(ctx context.Context) (string, error) {
	return h.e.HealthCheck(ctx, h.id)
}
