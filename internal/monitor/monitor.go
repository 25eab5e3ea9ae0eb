// Package monitor is what holds a running container: the loop that starts its PID 1 as a
// child (through package runtime), copies its output to the json-file log and to attached
// clients, serves the attach socket (input, resizes, and the control requests stop, kill
// and cancel), watches the cgroup for OOM kills as they happen, waits for the exit and
// restarts the container when the engine says so.
//
// The same loop runs in the foreground `run` (in the geedocker process) and in the
// detached monitor, the small program geedocker-monitor (cmd/geedocker-monitor), which
// lives as long as its container and therefore links only what the loop needs: no network
// code, no registry client, no CLI framework (a depcheck test holds it there). What the
// loop does not hold — the cgroup's creation and removal, the network, the restart policy,
// --rm — is the engine's, reached through Hooks: function calls in the foreground `run`,
// short-lived `geedocker container-prepare` and `geedocker container-cleanup` commands
// for the detached monitor (like conmon's --exit-command).
//
// One start, in order:
//
//	Hooks.Prepare (cgroup made, network wired)   (skipped for the first start when done already)
//	log opened; run state names the monitor; record says running
//	runtime.Start (Hooks.Created with the init's pid, for a user namespace's network)
//	run state and record get PID 1; Config.Ready told
//	output copied to the log and clients; OOM watched; control requests served
//	PID 1 reaped; log closed
//	Hooks.Exited (cgroup and network released; record says exited, restarting, or is gone)
//	restart: back-off (cut short by stop or cancel), then again from the top
package monitor

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/geedocker/geedocker/internal/attach"
	"github.com/geedocker/geedocker/internal/container"
	"github.com/geedocker/geedocker/internal/dns"
	"github.com/geedocker/geedocker/internal/events"
	"github.com/geedocker/geedocker/internal/logs"
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
	// networks, which the monitor keeps running while the container runs (dns.Watch).
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

// Exit is how one run of the container ended.
type Exit struct {
	Code      int
	OOMKilled bool
	// StartFailed: the container's command never ran; the engine releases what Prepare
	// took and leaves the record to the monitor.
	StartFailed bool
}

// Next is the engine's answer to an exit.
type Next struct {
	Restart bool
	Delay   time.Duration // the back-off before the restart
}

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

// StartError is a failure to start the container's command; Code is the exit code Docker
// gives it (125, 126 or 127).
type StartError struct {
	Code int
	Err  error
}

func (e *StartError) Error() string { return e.Err.Error() }
func (e *StartError) Unwrap() error { return e.Err }

// Config is what one monitor holds.
type Config struct {
	Store *container.Store
	ID    string
	Hooks Hooks
	// First is the first start, prepared already; nil: Hooks.Prepare.
	First *Start
	// Stdin, Stdout, Stderr: the caller's streams (the foreground run), copied through
	// pipes; nil for none. OpenStdin keeps a stdin open for attached clients instead.
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	OpenStdin      bool
	// Socket is the attach socket's path.
	Socket string
	// WaitAttach: the first start waits until a client has attached; Listening is told
	// when the socket is up.
	WaitAttach bool
	Listening  func()
	// Ready is told once whether the first start worked.
	Ready func(error)
	// Signals are forwarded to PID 1.
	Signals <-chan os.Signal
	// Events, when not nil, receives the container's start, oom and die events.
	Events *events.Journal
}

// monitor is the state of one Run.
type monitor struct {
	cfg Config
	srv *attach.Server

	before container.State // the record's state before the current start

	mu      sync.Mutex
	proc    process       // the running PID 1; nil between runs
	stopped bool          // a stop was asked for: the back-off ends, no restart
	backoff chan struct{} // during a back-off: closed to end it
}

// Run holds the container until it has ended for good and returns its last exit. A failure
// of the first start is returned (a *StartError, Config.Ready told as well); a later one
// ends the loop with its exit code.
func Run(ctx context.Context, cfg Config) (Exit, error) {
	m := &monitor{cfg: cfg}
	ready := cfg.Ready
	tell := func(err error) {
		if ready != nil {
			ready(err)
			ready = nil
		}
	}
	srv, err := attach.Listen(cfg.Socket, m.control)
	if err != nil {
		tell(err)
		return Exit{}, err
	}
	m.srv = srv
	defer srv.Close()
	if cfg.Listening != nil {
		cfg.Listening()
	}
	if cfg.WaitAttach {
		select {
		case <-srv.First():
		case <-ctx.Done():
			tell(ctx.Err())
			return Exit{}, ctx.Err()
		}
	}
	if cfg.Signals != nil {
		go func() {
			for sig := range cfg.Signals {
				m.mu.Lock()
				if m.proc != nil {
					m.proc.Signal(sig)
				}
				m.mu.Unlock()
			}
		}()
	}
	st := cfg.First
	m.cfg.First = nil // the spec is large: hold it no longer than the start
	restarts := 0
	for {
		if st == nil {
			if st, err = cfg.Hooks.Prepare(ctx); err != nil {
				m.restoreRecord(err, 125)
				cfg.Hooks.Exited(Exit{Code: 125, StartFailed: true})
				tell(err)
				srv.Finish(125)
				return Exit{Code: 125}, err
			}
		}
		exit, err := m.runOnce(ctx, st, tell, restarts > 0)
		st = nil
		restarts++
		if errors.Is(err, errStoppedBeforeRestart) {
			srv.Finish(exit.Code)
			return exit, nil
		}
		if err != nil {
			srv.Finish(exit.Code)
			return exit, err
		}
		next, err := cfg.Hooks.Exited(exit)
		if err != nil || !next.Restart {
			srv.Finish(exit.Code)
			return exit, err
		}
		if !m.waitBackoff(ctx, next.Delay) {
			srv.Finish(exit.Code)
			return exit, nil
		}
	}
}

// errStoppedBeforeRestart ends the loop: a stop came while a restart was being prepared.
var errStoppedBeforeRestart = errors.New("stopped before the restart")

// runOnce starts the container and waits for its PID 1.
func (m *monitor) runOnce(ctx context.Context, st *Start, tell func(error), restart bool) (Exit, error) {
	cs, id := m.cfg.Store, m.cfg.ID
	c, err := cs.Get(id)
	if err != nil {
		m.cfg.Hooks.Exited(Exit{Code: 125, StartFailed: true})
		tell(err)
		return Exit{Code: 125}, err
	}
	lw, err := logs.NewWriter(st.LogPath, st.LogOptions)
	if err != nil {
		err = fmt.Errorf("opening the container's log: %w", err)
		m.cfg.Hooks.Exited(Exit{Code: 125, StartFailed: true})
		tell(err)
		return Exit{Code: 125}, err
	}
	outW := io.MultiWriter(lw.Stream("stdout"), m.srv.Writer(attach.FrameStdout))
	errW := io.MultiWriter(lw.Stream("stderr"), m.srv.Writer(attach.FrameStderr))
	if m.cfg.Stdout != nil {
		outW = io.MultiWriter(m.cfg.Stdout, outW)
	}
	if m.cfg.Stderr != nil {
		errW = io.MultiWriter(m.cfg.Stderr, errW)
	}
	// stdin: the caller's (copied through a pipe), or one held open for clients.
	var stdin *os.File
	var stdinW *os.File
	if !c.Config.Tty && (m.cfg.Stdin != nil || m.cfg.OpenStdin) {
		if stdin, stdinW, err = os.Pipe(); err != nil {
			lw.Close()
			m.cfg.Hooks.Exited(Exit{Code: 125, StartFailed: true})
			tell(err)
			return Exit{Code: 125}, err
		}
		if m.cfg.Stdin != nil {
			go func(w *os.File) {
				io.Copy(w, m.cfg.Stdin)
				w.Close()
			}(stdinW)
			stdinW = nil
		}
	}
	// The record says running before the container's first process exists, so that no
	// reader ever sees it created (or exited) while a process of it runs; the run state
	// names this monitor first, so that a repair does not take the start for the work of a
	// dead monitor.
	rs := container.RunState{MonitorPid: os.Getpid()}
	rs.MonitorStart, _ = container.ProcessStart(rs.MonitorPid)
	fail := func(err error, code int, restore bool) (Exit, error) {
		if stdin != nil {
			stdin.Close()
		}
		if stdinW != nil {
			stdinW.Close()
		}
		lw.Close()
		if restore {
			m.restoreRecord(err, code)
		}
		cs.RemoveRunState(id)
		m.cfg.Hooks.Exited(Exit{Code: code, StartFailed: true})
		err = &StartError{Code: code, Err: err}
		tell(err)
		return Exit{Code: code}, err
	}
	if err := cs.WriteRunState(id, rs); err != nil {
		return fail(fmt.Errorf("recording the container's state: %w", err), 125, false)
	}
	if _, err := cs.Update(id, func(c *container.Container) error {
		if restart {
			m.mu.Lock()
			stopped := m.stopped
			m.mu.Unlock()
			if stopped || c.ManualStop {
				return errStoppedBeforeRestart
			}
		}
		m.before = c.State
		c.State = container.State{Status: container.Running, Running: true, StartedAt: time.Now().UTC(),
			Health: c.State.Health.Restarted(c.Config.Healthcheck)}
		c.ManualStop = false
		return nil
	}); err != nil {
		if errors.Is(err, errStoppedBeforeRestart) {
			lw.Close()
			if stdin != nil {
				stdin.Close()
			}
			if stdinW != nil {
				stdinW.Close()
			}
			m.cfg.Hooks.Exited(Exit{StartFailed: true})
			cs.Update(id, func(c *container.Container) error {
				c.State.Status, c.State.Restarting = container.Exited, false
				return nil
			})
			cs.RemoveRunState(id)
			return Exit{Code: c.State.ExitCode}, err
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
		Stdout:          outW, Stderr: errW,
	}
	if stdin != nil {
		rc.Stdin = stdin
	}
	if st.WireAfterCreate {
		rc.Created = m.cfg.Hooks.Created
	}
	var proc process
	var pid int
	var console *os.File
	if st.Runtime != nil {
		var op *ociProcess
		op, err = startOCI(ctx, st, m.cfg.ID, rc)
		if err == nil {
			proc, pid, console = op, op.pid, op.console
		}
	} else {
		var rp *runtime.Process
		onFreshStack(func() { rp, err = runtime.Start(ctx, rc) })
		if err == nil {
			proc, pid, console = rp, rp.Pid, rp.Console
		}
	}
	rc, st.Spec, st.RootfsMounts = runtime.Config{}, nil, nil // no longer needed: let them go
	if stdin != nil {
		stdin.Close()
		stdin = nil
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
	m.mu.Lock()
	m.proc = proc
	m.mu.Unlock()
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
		m.event(c, "start")
	}
	startedAt := time.Now()
	// Client input goes to the container before anyone hears that it started.
	var consoleDone chan struct{}
	if console != nil {
		m.srv.SetIO(console, console, nil)
		consoleDone = make(chan struct{})
		go func() {
			io.Copy(outW, console) // ends with EIO when the container's side closes
			close(consoleDone)
		}()
	} else if stdinW != nil {
		w := stdinW
		m.srv.SetIO(w, nil, func() { w.Close() })
	}
	tell(startErr)
	stopHealth := m.watchHealth(c.Config.Healthcheck)
	if st.DNSDir != "" {
		watchCtx, stopDNS := context.WithCancel(context.Background())
		dnsDone := make(chan struct{})
		go func() {
			dns.Watch(watchCtx, st.DNSDir)
			close(dnsDone)
		}()
		defer func() { stopDNS(); <-dnsDone }()
	}
	var oomSent atomic.Bool
	stopWatch := watchOOM(st.Cgroup, func() {
		cs.Update(id, func(c *container.Container) error { c.State.OOMKilled = true; return nil })
		if !oomSent.Swap(true) {
			m.event(c, "oom")
		}
	})
	// Waited for on a goroutine of its own: a goroutine blocked in a system call keeps its
	// stack, and this one's grew while it started the container; parked on a channel, the
	// collector can shrink it.
	var ps runtime.ExitStatus
	waited := make(chan struct{})
	go func() {
		var err error
		if ps, err = proc.Wait(); err != nil {
			ps.Code = 255
		}
		close(waited)
	}()
	go trimMemory() // once this goroutine is parked, with one P: its stack shrinks too
	<-waited
	stopHealth()
	m.mu.Lock()
	m.proc = nil
	m.mu.Unlock()
	if consoleDone != nil {
		<-consoleDone
		console.Close()
	}
	if stdinW != nil {
		stdinW.Close()
	}
	m.srv.SetIO(nil, nil, nil)
	stopWatch()
	lw.Close()
	oom, _ := oomKilled(st.Cgroup)
	if fresh, err := cs.Get(id); err == nil {
		oom = oom || fresh.State.OOMKilled
		c = fresh // renamed meanwhile: the events say its name now
	}
	if oom && !oomSent.Swap(true) {
		m.event(c, "oom")
	}
	m.event(c, "die", "exitCode", strconv.Itoa(ps.Code),
		"execDuration", strconv.Itoa(int(time.Since(startedAt).Seconds())))
	return Exit{Code: ps.Code, OOMKilled: oom}, nil
}

// event records an event of the container c, when the monitor records events.
func (m *monitor) event(c *container.Container, action string, extra ...string) {
	if m.cfg.Events != nil {
		m.cfg.Events.Record(events.Container, action, c.ID,
			events.ContainerAttributes(c.Name, c.Config.Image, c.Config.Labels, extra...))
	}
}

// restoreRecord puts back the record's state of before a start that failed, with the error.
func (m *monitor) restoreRecord(err error, code int) {
	m.cfg.Store.Update(m.cfg.ID, func(c *container.Container) error {
		if c.State.Running {
			c.State = m.before
		}
		if c.State.Restarting || c.State.Status == container.Restarting {
			c.State.Status, c.State.Restarting = container.Exited, false // no restart after this
		}
		c.State.Error, c.State.ExitCode = err.Error(), code
		c.NetworkSettings = container.NetworkSettings{}
		return nil
	})
}

// waitBackoff waits out the back-off before a restart and tells whether to restart: not when
// a stop or a cancel came meanwhile, or the record says stopped. The record says
// restarting meanwhile (Hooks.Exited wrote it) and the run state names this monitor, so that
// wait, stop and rm see it.
func (m *monitor) waitBackoff(ctx context.Context, d time.Duration) bool {
	cs, id := m.cfg.Store, m.cfg.ID
	rs := container.RunState{MonitorPid: os.Getpid()}
	rs.MonitorStart, _ = container.ProcessStart(rs.MonitorPid)
	cs.WriteRunState(id, rs)
	m.mu.Lock()
	cancel := make(chan struct{})
	if m.stopped {
		close(cancel)
	}
	m.backoff = cancel
	m.mu.Unlock()
	t := time.NewTimer(d)
	select {
	case <-t.C:
	case <-cancel:
	case <-ctx.Done():
	}
	t.Stop()
	m.mu.Lock()
	m.backoff = nil
	stopped := m.stopped || ctx.Err() != nil
	m.mu.Unlock()
	c, err := cs.Update(id, func(c *container.Container) error {
		if c.ManualStop || stopped {
			c.State.Status, c.State.Restarting = container.Exited, false
			return nil
		}
		// Still restarting until the start records running.
		c.RestartCount++
		return nil
	})
	if err != nil || c.ManualStop || stopped {
		cs.RemoveRunState(id)
		return false
	}
	return true
}

// control serves the control requests of the attach socket.
func (m *monitor) control(r attach.Request) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	switch r.Op {
	case "cancel", "stop":
		if r.Op == "stop" {
			m.stopped = true
		}
		if m.backoff != nil {
			close(m.backoff) // ends the back-off at once
			m.backoff = nil
			return nil
		}
		if r.Op == "cancel" || m.proc == nil {
			return nil
		}
		p := m.proc
		if err := p.Signal(r.Signal); err != nil {
			return err
		}
		go func() {
			done := make(chan struct{})
			go func() { p.Wait(); close(done) }()
			t := time.NewTimer(r.Timeout)
			defer t.Stop()
			select {
			case <-t.C:
				p.Signal(syscall.SIGKILL)
			case <-done:
			}
		}()
		return nil
	case "kill":
		if m.proc == nil {
			return errors.New("the container is not running")
		}
		return m.proc.Signal(r.Signal)
	}
	return fmt.Errorf("unknown control request %q", r.Op)
}

// onFreshStack runs f on a goroutine of its own and waits for it: the stack f grows (the
// start encodes and decodes JSON, execs, seals the binary) goes away with that goroutine,
// instead of staying with the one that then waits for the container for days.
func onFreshStack(f func()) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		f()
	}()
	<-done
}
