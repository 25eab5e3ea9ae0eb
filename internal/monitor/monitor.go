// Package monitor is the engine's side of the loop that holds a running container (package
// holder): the Starter starts PID 1 once (through package runtime, or an external OCI
// runtime) and keeps the container's record, run state and events as it starts, hits an
// OOM kill, exits and restarts. It is that loop's Hooks.
//
// The loop runs in two places. The foreground `run` runs it in the geedocker process
// (Run), with the Starter's methods called directly. A detached container is held by the
// small program geedocker-monitor (cmd/geedocker-monitor), which lives as long as its
// container and so links package holder alone; it runs the Starter's methods as the
// short-lived commands of geedocker-init (cmd/geedocker-init, Command), which links this
// package and is also the container's init. What neither holds — the cgroup's creation
// and removal, the network, the restart policy, --rm — is the engine's, reached through
// Hooks: function calls in the foreground `run`, the short-lived `geedocker
// container-prepare` and `geedocker container-cleanup` commands otherwise.
//
// One start, by the Starter:
//
//	Hooks.Prepare (cgroup made, network wired)   (skipped for the first start when done already)
//	log opened; run state names the monitor; record says running
//	runtime.Start (Hooks.Created with the init's pid, for a user namespace's network)
//	run state and record get PID 1; start event
package monitor

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"syscall"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/geedocker/geedocker/internal/container"
	"github.com/geedocker/geedocker/internal/dns"
	"github.com/geedocker/geedocker/internal/events"
	"github.com/geedocker/geedocker/internal/holder"
	"github.com/geedocker/geedocker/internal/logs"
	"github.com/geedocker/geedocker/internal/oom"
	"github.com/geedocker/geedocker/internal/runtime"
)

// Start is how to start the container once: prepared by the engine (Hooks.Prepare).
type Start struct {
	Spec         *specs.Spec
	RootfsMounts []specs.Mount
	Cgroup       Cgroup
	// Runtime, when not nil, is the external OCI runtime that runs the container from the
	// bundle directory Bundle (see OCIRuntime); nil: package runtime, built in.
	Runtime *OCIRuntime `json:",omitempty"`
	Bundle  string      `json:",omitempty"`
	// SeccompCacheDir is where the engine keeps the compiled seccomp filters.
	SeccompCacheDir string
	LogPath         string
	LogOptions      logs.Options
	// WireAfterCreate: the network is wired by Hooks.Created once the init exists (a
	// container with a user namespace of its own).
	WireAfterCreate bool
	// DNSDir, when not empty, is the records directory of the DNS resolver of user
	// networks, which the monitor keeps running while the container runs.
	DNSDir string
}

// Cgroup is where the container's cgroup is, as the engine made it.
type Cgroup struct {
	// Dirs receive the PID of the init in their cgroup.procs: one directory on cgroup v2,
	// one per controller on v1.
	Dirs []string
	// Memory is the directory of the memory controller ("" when none); V2 tells which
	// files it has (memory.events, or memory.oom_control).
	Memory string
	V2     bool
}

// Exit, Next and StartError are the loop's (package holder).
type (
	Exit       = holder.Exit
	Next       = holder.Next
	StartError = holder.StartError
)

// ParseNext, ReadyMessage and ParseReady are the loop's.
var (
	ParseNext    = holder.ParseNext
	ReadyMessage = holder.ReadyMessage
	ParseReady   = holder.ParseReady
)

// Hooks are the engine's part of the container's life.
type Hooks interface {
	// Prepare makes the cgroup and wires the network of the next start.
	Prepare(ctx context.Context) (*Start, error)
	// Created wires the network of a container with a user namespace, whose init is pid.
	Created(pid int) error
	// Exited releases the cgroup and the network, records the exit (or removes the
	// container) and says whether to restart.
	Exited(e Exit) (Next, error)
}

// Starter is the loop's Hooks for one container: it starts it, and records what happens
// to it.
type Starter struct {
	Store *container.Store
	ID    string
	Hooks Hooks
	// First is the first start, prepared already; nil: Hooks.Prepare.
	First *Start
	// Events, when not nil, receives the container's start, oom and die events.
	Events *events.Journal
	// MonitorPid is the process that holds the container, its PID 1's parent: the run
	// state names it.
	MonitorPid int

	before container.State // the record's state before the current start
	oci    *ociProcess     // the current start's, with an OCI runtime
}

// Start starts the container once (holder.Hooks).
func (s *Starter) Start(ctx context.Context, restart bool, sio holder.StartIO) (*holder.Started, error) {
	cs, id := s.Store, s.ID
	st := s.First
	s.First = nil // the spec is large: hold it no longer than the start
	if st == nil {
		var err error
		if st, err = s.Hooks.Prepare(ctx); err != nil {
			s.restoreRecord(err, startCode(err))
			s.Hooks.Exited(Exit{Code: 125, StartFailed: true})
			return nil, &StartError{Code: startCode(err), Err: err}
		}
	}
	c, err := cs.Get(id)
	if err != nil {
		s.Hooks.Exited(Exit{Code: 125, StartFailed: true})
		return nil, &StartError{Code: 125, Err: err}
	}
	fail := func(err error, code int, restore bool) (*holder.Started, error) {
		if restore {
			s.restoreRecord(err, code)
		}
		cs.RemoveRunState(id)
		s.Hooks.Exited(Exit{Code: code, StartFailed: true})
		return nil, &StartError{Code: code, Err: err}
	}
	// The log can be written: the loop opens it again, for the container's output.
	lw, err := logs.NewWriter(st.LogPath, st.LogOptions)
	if err != nil {
		return fail(fmt.Errorf("opening the container's log: %w", err), 125, false)
	}
	lw.Close()
	// The record says running before the container's first process exists, so that no
	// reader ever sees it created (or exited) while a process of it runs; the run state
	// names the monitor first, so that a repair does not take the start for the work of a
	// dead monitor.
	rs := container.RunState{MonitorPid: s.MonitorPid}
	rs.MonitorStart, _ = container.ProcessStart(rs.MonitorPid)
	if err := cs.WriteRunState(id, rs); err != nil {
		return fail(fmt.Errorf("recording the container's state: %w", err), 125, false)
	}
	if _, err := cs.Update(id, func(c *container.Container) error {
		if restart {
			if c.ManualStop {
				return holder.ErrStopped
			}
			c.RestartCount++
		}
		s.before = c.State
		c.State = container.State{Status: container.Running, Running: true, StartedAt: time.Now().UTC(),
			Health: c.State.Health.Restarted(c.Config.Healthcheck)}
		c.ManualStop = false
		return nil
	}); err != nil {
		if errors.Is(err, holder.ErrStopped) {
			s.Hooks.Exited(Exit{StartFailed: true})
			s.Stopped()
			return nil, err
		}
		return fail(err, 125, false) // removed meanwhile
	}
	if st.Spec == nil && st.Bundle != "" {
		// The built-in runtime's spec is the bundle's config.json, as an OCI runtime's.
		if st.Spec, err = readBundleSpec(st.Bundle); err != nil {
			return fail(err, 125, true)
		}
	}
	rc := runtime.Config{
		Spec: st.Spec, RootfsMounts: st.RootfsMounts, Cgroup: cgroupProcs(st.Cgroup.Dirs),
		SeccompCacheDir: st.SeccompCacheDir,
		Stdout:          sio.Stdout, Stderr: sio.Stderr,
	}
	if sio.Stdin != nil && !c.Config.Tty {
		rc.Stdin = sio.Stdin
	}
	if st.WireAfterCreate {
		rc.Created = s.Hooks.Created
	}
	var proc holder.Process
	var pid int
	var console *os.File
	if st.Runtime != nil {
		var op *ociProcess
		op, err = startOCI(ctx, st, id, rc)
		if err == nil {
			s.oci, proc, pid, console = op, op, op.pid, op.console
		}
	} else {
		var rp *runtime.Process
		rp, err = runtime.Start(ctx, rc)
		if err == nil {
			proc, pid, console = runtimeProcess{rp}, rp.Pid, rp.Console
		}
	}
	if err != nil {
		code := 125
		switch {
		case errors.Is(err, runtime.ErrNotFound):
			code = 127
		case errors.Is(err, runtime.ErrCannotInvoke):
			code = 126
		}
		return fail(err, code, true)
	}
	rs.Pid = pid
	rs.PidStart, _ = container.ProcessStart(pid)
	startErr := cs.WriteRunState(id, rs)
	if startErr == nil {
		_, startErr = cs.Update(id, func(c *container.Container) error {
			if c.ManualStop {
				// Stopped or killed while it started: they saw no process to signal.
				return fmt.Errorf("container %s was stopped while it started", c.ID[:12])
			}
			c.State.Pid = pid
			return nil
		})
	}
	if startErr != nil {
		proc.Signal(syscall.SIGKILL) // removed (rm -f), stopped or killed while it started
	} else {
		s.event(c, "start")
	}
	started := &holder.Started{
		Process: proc, Console: console, LogPath: st.LogPath, Log: st.LogOptions,
		OOM: oom.Cgroup{Dir: st.Cgroup.Memory, V2: st.Cgroup.V2}, DNSDir: st.DNSDir, Refused: startErr,
	}
	if _, ok := s.Hooks.(Prober); ok {
		started.Health = healthSchedule(c.Config.Healthcheck)
	}
	return started, nil
}

// healthSchedule is the schedule of hc's probes, Docker's defaults filled in; nil for none.
func healthSchedule(hc *container.HealthConfig) *holder.Health {
	if !hc.Probed() {
		return nil
	}
	orDefault := func(d, def time.Duration) time.Duration {
		if d <= 0 {
			return def
		}
		return d
	}
	return &holder.Health{
		Interval:      orDefault(hc.Interval, container.DefaultHealthInterval),
		Timeout:       hc.TimeoutOrDefault(),
		StartPeriod:   hc.StartPeriod,
		StartInterval: orDefault(hc.StartInterval, container.DefaultHealthStartInterval),
	}
}

func startCode(err error) int {
	var se *StartError
	if errors.As(err, &se) {
		return se.Code
	}
	return 125
}

// runtimeProcess is PID 1 started by package runtime.
type runtimeProcess struct{ p *runtime.Process }

func (r runtimeProcess) Signal(sig os.Signal) error { return r.p.Signal(sig) }
func (r runtimeProcess) Wait() (int, error) {
	st, err := r.p.Wait()
	return st.Code, err
}

// OOM records an OOM kill as it happens (holder.Hooks).
func (s *Starter) OOM() {
	c, err := s.Store.Update(s.ID, func(c *container.Container) error { c.State.OOMKilled = true; return nil })
	if err == nil {
		s.event(c, "oom")
	}
}

// Exited records the exit's events and lets the engine release, record and decide
// (holder.Hooks). During a back-off the run state names the monitor, so that wait, stop
// and rm see it.
func (s *Starter) Exited(e Exit) (Next, error) {
	if e.StartFailed {
		return s.Hooks.Exited(e) // nothing ran: no event
	}
	cs, id := s.Store, s.ID
	if c, err := cs.Get(id); err == nil {
		e.OOMKilled = e.OOMKilled || c.State.OOMKilled
		if e.OOMKilled && !e.OOMReported {
			s.event(c, "oom")
		}
		s.event(c, "die", "exitCode", strconv.Itoa(e.Code),
			"execDuration", strconv.Itoa(int(time.Since(c.State.StartedAt).Seconds())))
	}
	next, err := s.Hooks.Exited(e)
	if err == nil && next.Restart {
		rs := container.RunState{MonitorPid: s.MonitorPid}
		rs.MonitorStart, _ = container.ProcessStart(rs.MonitorPid)
		cs.WriteRunState(id, rs)
	}
	return next, err
}

// Stopped records the end of a back-off by a stop (holder.Hooks).
func (s *Starter) Stopped() {
	s.Store.Update(s.ID, func(c *container.Container) error {
		c.State.Status, c.State.Restarting = container.Exited, false
		return nil
	})
	s.Store.RemoveRunState(s.ID)
}

// Probe runs the health check, when the engine's hooks can (holder.Hooks).
func (s *Starter) Probe(ctx context.Context) (string, error) {
	if p, ok := s.Hooks.(Prober); ok {
		return p.Probe(ctx)
	}
	return "", errors.New("no health checks here")
}

// EnsureDNS keeps the resolver of user networks running (holder.Hooks).
func (s *Starter) EnsureDNS(dir string) (int, error) { return dns.Ensure(dir) }

// event records an event of the container c, when the monitor records events.
func (s *Starter) event(c *container.Container, action string, extra ...string) {
	if s.Events != nil {
		s.Events.Record(events.Container, action, c.ID,
			events.ContainerAttributes(c.Name, c.Config.Image, c.Config.Labels, extra...))
	}
}

// restoreRecord puts back the record's state of before a start that failed, with the error.
func (s *Starter) restoreRecord(err error, code int) {
	s.Store.Update(s.ID, func(c *container.Container) error {
		if c.State.Running {
			c.State = s.before
		}
		if c.State.Restarting || c.State.Status == container.Restarting {
			c.State.Status, c.State.Restarting = container.Exited, false // no restart after this
		}
		c.State.Error, c.State.ExitCode = err.Error(), code
		c.NetworkSettings = container.NetworkSettings{}
		return nil
	})
}

// Config is what the foreground run's loop holds.
type Config struct {
	Store *container.Store
	ID    string
	Hooks Hooks
	// First is the first start, prepared already; nil: Hooks.Prepare.
	First *Start
	// Stdin, Stdout, Stderr: the caller's streams, copied through pipes; nil for none.
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	// Socket is the attach socket's path.
	Socket string
	// Signals are forwarded to PID 1.
	Signals <-chan os.Signal
	// Events, when not nil, receives the container's start, oom and die events.
	Events *events.Journal
}

// Run holds the container in this process until it has ended for good, and returns its
// last exit; a failure to start is a *StartError.
func Run(ctx context.Context, cfg Config) (Exit, error) {
	s := &Starter{Store: cfg.Store, ID: cfg.ID, Hooks: cfg.Hooks, First: cfg.First, Events: cfg.Events,
		MonitorPid: os.Getpid()}
	hc := holder.Config{Hooks: s, Socket: cfg.Socket, Signals: cfg.Signals}
	if cfg.Stdin != nil {
		hc.Stdin = cfg.Stdin
	}
	if cfg.Stdout != nil {
		hc.Stdout = cfg.Stdout
	}
	if cfg.Stderr != nil {
		hc.Stderr = cfg.Stderr
	}
	return holder.Run(ctx, hc)
}
