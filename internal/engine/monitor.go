package engine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/geedocker/geedocker/internal/container"
	"github.com/geedocker/geedocker/internal/runtime"
)

type runtimeExit = runtime.ExitStatus

// Detached containers are held by a monitor: a small process of their own
// (as podman has conmon) that GeeDocker starts with `container-monitor ID`.
// It starts the container as its child, writes its output to the log,
// reaps it, records the exit code and OOM kill, applies the restart policy
// and cleans up — and goes on doing so after the command that started it has
// exited. It reports the start on a pipe (fd 3) to that command: "ok", or
// "error CODE MESSAGE".

// MonitorCommand is the hidden subcommand that runs a monitor.
const MonitorCommand = "container-monitor"

// StartDetached starts a created or exited container under a new monitor
// and returns once the container's command runs (or failed to start).
// globalArgs are the flags the monitor needs to find the same store.
func (e *Engine) StartDetached(ctx context.Context, id string, globalArgs []string) error {
	_, err := e.startMonitor(id, globalArgs, false)
	return err
}

// StartAttached starts a container under a new monitor that waits for this
// process to attach before the container runs, so no output is missed.
func (e *Engine) StartAttached(ctx context.Context, id string, globalArgs []string) (*AttachClient, error) {
	return e.startMonitor(id, globalArgs, true)
}

func (e *Engine) startMonitor(id string, globalArgs []string, attach bool) (*AttachClient, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("finding the geedocker binary: %w", err)
	}
	pr, pw, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	defer pr.Close()
	args := append(append([]string{}, globalArgs...), MonitorCommand, id)
	if attach {
		args = append(args, "--wait-attach")
	}
	cmd := exec.Command(exe, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	cmd.ExtraFiles = []*os.File{pw}
	cmd.Env = append(os.Environ(), "GOGC=50", "GOMAXPROCS=1")
	if err := cmd.Start(); err != nil {
		pw.Close()
		return nil, fmt.Errorf("starting the container's monitor: %w", err)
	}
	pw.Close()
	defer cmd.Process.Release()
	var client *AttachClient
	if attach {
		// The monitor says "listening" once its socket is up.
		buf := make([]byte, len("listening"))
		if _, err := io.ReadFull(pr, buf); err != nil || string(buf) != "listening" {
			msg, _ := io.ReadAll(pr)
			return nil, parseReady(string(buf) + string(msg))
		}
		if client, err = e.Attach(id); err != nil {
			return nil, err
		}
	}
	msg, _ := io.ReadAll(pr)
	if err := parseReady(string(msg)); err != nil {
		if client != nil {
			client.Close()
		}
		return nil, err
	}
	return client, nil
}

func parseReady(msg string) error {
	switch {
	case msg == "ok":
		return nil
	case strings.HasPrefix(msg, "error "):
		codeStr, text, _ := strings.Cut(strings.TrimPrefix(msg, "error "), " ")
		code, err := strconv.Atoi(codeStr)
		if err != nil {
			code = 125
		}
		return &StartError{Code: code, Err: errors.New(text)}
	}
	return &StartError{Code: 125, Err: errors.New("the container's monitor exited before the container started")}
}

// Monitor runs the monitor of container id; ready is the pipe to report
// the start on. It returns when the container has ended for good.
func (e *Engine) Monitor(id string, ready *os.File, waitAttach bool) error {
	// The monitor lives as long as the container: keep it small.
	debug.SetGCPercent(50)
	debug.SetMemoryLimit(4 << 20)
	signal := make(chan os.Signal, 1)
	ignoreHangup(signal)
	cs, err := e.Containers()
	if err != nil {
		reportReady(ready, err)
		return err
	}
	c, err := cs.Get(id)
	if err != nil {
		reportReady(ready, err)
		return err
	}
	os.MkdirAll(cs.RunDir(), 0o700)
	sock, err := e.AttachSocket(id)
	if err != nil {
		reportReady(ready, err)
		return err
	}
	srv, err := listenAttach(sock)
	if err != nil {
		reportReady(ready, err)
		return err
	}
	defer srv.close()
	if waitAttach {
		ready.WriteString("listening")
		<-srv.first
	}
	for {
		// -i: stdin stays open (and empty) while the monitor lives; -t: the
		// terminal's output goes to the log.
		var stdin io.Reader
		var stdinW *os.File
		if c.Config.OpenStdin && !c.Config.Tty {
			pr, pw, err := os.Pipe()
			if err != nil {
				reportReady(ready, err)
				return err
			}
			stdin, stdinW = pr, pw
		}
		r, err := e.start(context.Background(), c, stdin, srv.writer(frameStdout), srv.writer(frameStderr))
		if stdin != nil {
			stdin.(*os.File).Close()
		}
		var consoleDone chan struct{}
		if err == nil && r.Process.Console != nil {
			srv.setIO(r.Process.Console, r.Process.Console, nil)
			consoleDone = make(chan struct{})
			go func() {
				io.Copy(io.MultiWriter(r.Output(), srv.writer(frameStdout)), r.Process.Console)
				close(consoleDone)
			}()
		} else if stdinW != nil {
			w := stdinW
			srv.setIO(w, nil, func() { w.Close() })
		}
		if ready != nil {
			reportReady(ready, err)
			ready = nil
		}
		if err == nil {
			trimMemory()
		}
		if err != nil {
			if r != nil && r.Process != nil {
				r.Finish(mustWait(r))
			}
			return err
		}
		st := mustWait(r)
		if consoleDone != nil {
			<-consoleDone
			r.Process.Console.Close()
		}
		if stdinW != nil {
			stdinW.Close()
		}
		srv.setIO(nil, nil, nil)
		res := r.Finish(st)
		c, err = cs.Get(id)
		if err != nil {
			srv.finish(res.Code)
			return nil // removed (--rm)
		}
		if !shouldRestart(c.HostConfig.RestartPolicy, res.Code, c.RestartCount, c.ManualStop) {
			srv.finish(res.Code)
			return nil
		}
		// Docker's back-off: 100 ms, doubling, at most a minute. Meanwhile
		// the record says restarting and the run state names this monitor, so
		// that wait, stop and rm see it.
		cs.Update(id, func(c *container.Container) error {
			c.State.Status, c.State.Restarting = container.Restarting, true
			return nil
		})
		rs := container.RunState{MonitorPid: os.Getpid()}
		rs.MonitorStart, _ = container.ProcessStart(rs.MonitorPid)
		cs.WriteRunState(id, rs)
		delay := 100 * time.Millisecond << min(c.RestartCount, 10)
		time.Sleep(min(delay, time.Minute))
		c, err = cs.Update(id, func(c *container.Container) error {
			c.State.Restarting = false
			if c.ManualStop {
				c.State.Status = container.Exited
				return nil
			}
			c.RestartCount++
			return nil
		})
		if err != nil || c.ManualStop {
			cs.RemoveRunState(id)
			return nil
		}
	}
}

var errStopped = errors.New("stopped")

func mustWait(r *Running) (st runtimeExit) {
	st, err := r.Process.Wait()
	if err != nil {
		st.Code = 255
	}
	return st
}

func reportReady(ready *os.File, err error) {
	if ready == nil {
		return
	}
	msg := "ok"
	if err != nil {
		code := 125
		var se *StartError
		if errors.As(err, &se) {
			code = se.Code
		}
		msg = fmt.Sprintf("error %d %s", code, err.Error())
	}
	ready.WriteString(msg)
	ready.Close()
}
