package monitor

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/geedocker/geedocker/internal/runtime"
)

// rootfsHelperName is the argv[0] of the re-executed helper that mounts the root filesystem
// in a mount namespace of its own and executes the OCI runtime's create (see OCIRuntime).
const rootfsHelperName = "geedocker-oci-rootfs"

// rootfsEnv carries the helper's mounts: JSON of rootfsMounts.
const rootfsEnv = "_GEEDOCKER_OCI_ROOTFS"

type rootfsMounts struct {
	Root   string        `json:"root"`
	Mounts []specs.Mount `json:"mounts"`
}

// RootfsHelper is the helper's entry point, called first by the programs that run the
// monitor loop (geedocker and geedocker-monitor): in the helper it mounts the root
// filesystem and executes the runtime, and never returns; elsewhere it returns at once.
func RootfsHelper() {
	if filepath.Base(os.Args[0]) != rootfsHelperName || len(os.Args) < 2 {
		return
	}
	err := mountRootfs(os.Getenv(rootfsEnv))
	if err == nil {
		os.Unsetenv(rootfsEnv)
		err = syscall.Exec(os.Args[1], os.Args[1:], os.Environ())
	}
	fmt.Fprintf(os.Stderr, "%s: %v\n", rootfsHelperName, err)
	os.Exit(125)
}

// mountRootfs mounts the mounts described by desc on their root, in this process's own
// mount namespace (made private by the parent's Unshareflags).
func mountRootfs(desc string) error {
	var rm rootfsMounts
	if err := json.Unmarshal([]byte(desc), &rm); err != nil {
		return fmt.Errorf("reading the root filesystem's mounts: %w", err)
	}
	for _, m := range rm.Mounts {
		if err := syscall.Mount(m.Source, rm.Root, m.Type, 0, strings.Join(m.Options, ",")); err != nil {
			return fmt.Errorf("mounting %s (%s) on %s: %w", m.Source, m.Type, rm.Root, err)
		}
	}
	return nil
}

const prSetChildSubreaper = 36

// ociProcess is PID 1 started by an OCI runtime.
type ociProcess struct {
	rt      *OCIRuntime
	id      string
	pid     int
	console *os.File
	copies  sync.WaitGroup // output copied from the container's pipes

	once sync.Once
	done chan struct{}
	code int // Docker's exit code: 128+n for signal n
	err  error
}

// startOCI creates and starts the container of st with its OCI runtime.
func startOCI(ctx context.Context, st *Start, id string, rc runtime.Config) (*ociProcess, error) {
	rt := st.Runtime
	if st.Spec == nil || st.Spec.Root == nil || st.Spec.Process == nil {
		return nil, errors.New("the container's spec has no root or process")
	}
	// PID 1 is the runtime's grandchild: reparented to this process once `create` exits.
	if _, _, e := syscall.RawSyscall(syscall.SYS_PRCTL, prSetChildSubreaper, 1, 0); e != 0 {
		return nil, fmt.Errorf("becoming a child subreaper: %w", e)
	}
	rt.command("delete", "--force", id).Run() // what a crashed monitor left, if anything
	pidFile := filepath.Join(st.Bundle, "init.pid")
	os.Remove(pidFile)
	args := []string{"create", "--bundle", st.Bundle, "--pid-file", pidFile}
	p := &ociProcess{rt: rt, id: id, done: make(chan struct{})}
	var closeAfter []*os.File // our copies of the container's ends
	defer func() {
		for _, f := range closeAfter {
			f.Close()
		}
	}()
	var consoleSock *net.UnixListener
	var stdin io.Reader = rc.Stdin
	var stdout, stderr *os.File
	if st.Spec.Process.Terminal {
		dir, err := os.MkdirTemp("", "geedocker-console-")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(dir)
		sock := filepath.Join(dir, "console.sock")
		if consoleSock, err = net.ListenUnix("unix", &net.UnixAddr{Name: sock, Net: "unix"}); err != nil {
			return nil, fmt.Errorf("listening for the container's console: %w", err)
		}
		defer consoleSock.Close()
		args = append(args, "--console-socket", sock)
		stdin = nil
	} else {
		for _, out := range []struct {
			w   io.Writer
			dst **os.File
		}{{rc.Stdout, &stdout}, {rc.Stderr, &stderr}} {
			if out.w == nil {
				continue
			}
			if f, ok := out.w.(*os.File); ok {
				*out.dst = f // the monitor's pipe: the container writes to it directly
				continue
			}
			r, w, err := os.Pipe()
			if err != nil {
				return nil, err
			}
			closeAfter = append(closeAfter, w)
			*out.dst = w
			p.copies.Add(1)
			go func(w io.Writer) {
				defer p.copies.Done()
				io.Copy(w, r)
				r.Close()
			}(out.w)
		}
	}
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	desc, err := json.Marshal(rootfsMounts{Root: st.Spec.Root.Path, Mounts: st.RootfsMounts})
	if err != nil {
		return nil, err
	}
	create := rt.command(append(args, id)...)
	create.Path = self
	create.Args = append([]string{rootfsHelperName, rt.Path}, create.Args[1:]...)
	create.Env = append(os.Environ(), rootfsEnv+"="+string(desc))
	create.SysProcAttr = &syscall.SysProcAttr{Unshareflags: syscall.CLONE_NEWNS}
	create.Dir = st.Bundle
	var diag bytes.Buffer // the runtime's own words, when the container has no stderr
	create.Stdin = stdin
	if stdout != nil {
		create.Stdout = stdout
	}
	if stderr != nil {
		create.Stderr = stderr // a file: the container's own, not a copy the runtime's exit waits for
	} else {
		create.Stderr = &diag
	}
	// The runtime's error, in --log: its last line names the failure.
	logFile := filepath.Join(st.Bundle, "runtime.log")
	os.Remove(logFile)
	create.Args = append([]string{create.Args[0], create.Args[1], "--log", logFile, "--log-format", "json"}, create.Args[2:]...)
	var consoleDone chan error
	if consoleSock != nil {
		consoleDone = make(chan error, 1)
		go func() {
			f, err := receiveConsole(consoleSock)
			p.console = f
			consoleDone <- err
		}()
	}
	if err := create.Run(); err != nil {
		if consoleSock != nil {
			consoleSock.Close()
			<-consoleDone
			if p.console != nil {
				p.console.Close()
			}
		}
		for _, f := range closeAfter {
			f.Close()
		}
		closeAfter = nil
		p.copies.Wait()
		rt.command("delete", "--force", id).Run()
		return nil, createError(rt, err, logFile, diag.String())
	}
	for _, f := range closeAfter {
		f.Close()
	}
	closeAfter = nil
	if consoleDone != nil {
		if err := <-consoleDone; err != nil {
			p.abort()
			return nil, fmt.Errorf("receiving the container's console: %w", err)
		}
	}
	b, err := os.ReadFile(pidFile)
	if err == nil {
		p.pid, err = strconv.Atoi(strings.TrimSpace(string(b)))
	}
	if err != nil || p.pid <= 0 {
		p.abort()
		return nil, fmt.Errorf("%s create: reading the pid file: %v", rt.Name, err)
	}
	if rc.Created != nil {
		if err := rc.Created(p.pid); err != nil {
			p.abort()
			return nil, err
		}
	}
	if out, err := rt.command("start", id).CombinedOutput(); err != nil {
		p.abort()
		return nil, fmt.Errorf("%s start: %v: %s", rt.Name, err, strings.TrimSpace(string(out)))
	}
	return p, nil
}

// abort ends a container that was created but will not run.
func (p *ociProcess) abort() {
	p.rt.command("kill", p.id, "KILL").Run()
	if p.pid > 0 {
		syscall.Kill(p.pid, syscall.SIGKILL)
	}
	p.Wait()
	if p.console != nil {
		p.console.Close()
	}
}

// Wait reaps PID 1 (once; every caller gets the same status), waits for its output and
// deletes the container from the runtime.
func (p *ociProcess) Wait() (int, error) {
	p.once.Do(func() {
		if p.pid > 0 {
			var ws syscall.WaitStatus
			for {
				_, err := syscall.Wait4(p.pid, &ws, 0, nil)
				if err == syscall.EINTR {
					continue
				}
				if err != nil {
					p.err = fmt.Errorf("waiting for the container's init: %w", err)
				}
				break
			}
			if p.err == nil {
				if ws.Signaled() {
					p.code = 128 + int(ws.Signal())
				} else {
					p.code = ws.ExitStatus()
				}
			}
		}
		p.copies.Wait()
		p.rt.command("delete", "--force", p.id).Run()
		close(p.done)
	})
	<-p.done
	return p.code, p.err
}

// Signal sends sig to PID 1 through the runtime; directly when the runtime cannot (the
// pid is this process's unreaped child: it names no other process until Wait).
func (p *ociProcess) Signal(sig os.Signal) error {
	s, ok := sig.(syscall.Signal)
	if !ok {
		return fmt.Errorf("unsupported signal %v", sig)
	}
	select {
	case <-p.done:
		return nil
	default:
	}
	if err := p.rt.command("kill", p.id, strconv.Itoa(int(s))).Run(); err == nil {
		return nil
	}
	select {
	case <-p.done:
		return nil
	default:
	}
	return syscall.Kill(p.pid, s)
}

// receiveConsole accepts the runtime's connection and receives the pty master it sends
// (SCM_RIGHTS), as containerd's shim does.
func receiveConsole(l *net.UnixListener) (*os.File, error) {
	conn, err := l.AcceptUnix()
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	buf := make([]byte, 4096)
	oob := make([]byte, syscall.CmsgSpace(4))
	_, oobn, _, _, err := conn.ReadMsgUnix(buf, oob)
	if err != nil {
		return nil, err
	}
	msgs, err := syscall.ParseSocketControlMessage(oob[:oobn])
	if err != nil {
		return nil, err
	}
	for _, m := range msgs {
		fds, err := syscall.ParseUnixRights(&m)
		if err != nil {
			return nil, err
		}
		for i, fd := range fds {
			if i > 0 {
				syscall.Close(fd)
			}
		}
		if len(fds) > 0 {
			return os.NewFile(uintptr(fds[0]), "console"), nil
		}
	}
	return nil, errors.New("no file descriptor in the console message")
}

// createError is the failure of `create`, with the runtime's last words; a command that is
// not found or cannot be executed wraps runtime.ErrNotFound or ErrCannotInvoke (Docker's 127
// and 126).
func createError(rt *OCIRuntime, err error, logFile, diag string) error {
	msg := strings.TrimSpace(diag)
	if b, rerr := os.ReadFile(logFile); rerr == nil {
		lines := strings.Split(strings.TrimSpace(string(b)), "\n")
		for i := len(lines) - 1; i >= 0; i-- {
			var l struct{ Level, Msg string }
			if json.Unmarshal([]byte(lines[i]), &l) == nil && (l.Level == "error" || l.Level == "fatal") && l.Msg != "" {
				msg = l.Msg
				break
			}
		}
	}
	if msg == "" {
		msg = err.Error()
	}
	e := fmt.Errorf("%s create: %s", rt.Name, msg)
	low := strings.ToLower(msg)
	switch {
	case strings.Contains(low, "executable file not found"), strings.Contains(low, "no such file or directory"):
		return fmt.Errorf("%w: %w", runtime.ErrNotFound, e)
	case strings.Contains(low, "permission denied"), strings.Contains(low, "is a directory"):
		return fmt.Errorf("%w: %w", runtime.ErrCannotInvoke, e)
	}
	return e
}
