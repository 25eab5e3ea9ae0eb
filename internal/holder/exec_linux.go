package holder

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// ExecHooks are the hooks of the detached monitor: short-lived commands, of geedocker-init
// (which links the runtime and the records) and, for probes, of geedocker, so that the
// monitor itself holds none of their code. The monitor is a child subreaper: PID 1, the
// start command's child, becomes its child when that command exits. It reaps every child
// itself (one SIGCHLD loop), orphans of the container included.
type ExecHooks struct {
	Init   string   // geedocker-init
	Engine string   // geedocker
	Global []string // the global flags of both (--root, --config-file)
	ID     string
	// Prepared: the first start is prepared, its description on this process's stdin.
	Prepared bool

	r        *reaper
	exitArgs []string // the last start's
}

// NewExecHooks makes this process a child subreaper that reaps its children, and returns
// the hooks.
func NewExecHooks(h ExecHooks) (*ExecHooks, error) {
	if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
		return nil, errors.New("becoming a child subreaper: " + err.Error())
	}
	h.r = newReaper()
	return &h, nil
}

func (h *ExecHooks) initArgs(cmd string, args ...string) []string {
	a := append([]string{h.Init, "--engine", h.Engine}, h.Global...)
	return append(append(a, cmd, h.ID), args...)
}

// Start runs container-start and takes PID 1 over.
func (h *ExecHooks) Start(ctx context.Context, restart bool, sio StartIO) (*Started, error) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, &StartError{Code: 125, Err: errors.New("making the start's socket: " + err.Error())}
	}
	unix.SetNonblock(fds[0], true) // ours: read through the poller
	ours, theirs := os.NewFile(uintptr(fds[0]), "report"), os.NewFile(uintptr(fds[1]), "report")
	defer ours.Close()
	devnull, err := os.Open(os.DevNull)
	if err != nil {
		theirs.Close()
		return nil, &StartError{Code: 125, Err: err}
	}
	defer devnull.Close()
	var args []string
	stdin := devnull
	if h.Prepared && !restart {
		args = append(args, "--prepared")
		stdin = os.Stdin
	}
	if restart {
		args = append(args, "--restart")
	}
	files := []*os.File{stdin, devnull, os.Stderr, theirs, sio.Stdout, sio.Stderr}
	if sio.Stdin != nil {
		files = append(files, sio.Stdin)
	}
	w, err := h.r.start(h.initArgs(StartCommand, args...), files)
	theirs.Close()
	if err != nil {
		return nil, &StartError{Code: 125, Err: errors.New("running the container's start: " + err.Error())}
	}
	data, console, rerr := readReport(ours)
	var rep *Report
	if rerr == nil {
		rep, rerr = ParseReport(data)
	}
	var pid1 *waiter
	if rerr == nil && rep.Err == nil {
		// Known now: PID 1 may become this process's child.
		h.r.mu.Lock()
		pid1 = h.r.add(rep.Pid)
		h.r.mu.Unlock()
	}
	ours.Write([]byte{1})
	<-w.done
	if rerr != nil {
		if console != nil {
			console.Close()
		}
		if w.code != 0 {
			rerr = errors.New("the container's start command failed (exit status " + strconv.Itoa(w.code) + ")")
		}
		// It may have died half-way: the record and what was prepared are put right.
		h.run(context.Background(), h.initArgs(ExitedCommand, "--start-failed", "--exit-code", "125", "--error", rerr.Error()))
		return nil, &StartError{Code: 125, Err: rerr}
	}
	if rep.Err != nil {
		if console != nil {
			console.Close()
		}
		return nil, rep.Err
	}
	h.exitArgs = rep.ExitArgs
	return &Started{
		Process: &reapedProcess{r: h.r, w: pid1}, Console: console,
		LogPath: rep.LogPath, Log: rep.Log, OOM: rep.OOM, Health: rep.Health, DNSDir: rep.DNSDir,
		Refused: rep.Refused,
	}, nil
}

// readReport reads the start command's report up to its "end" line, and the terminal
// passed with it. f is nonblocking: the wait is the runtime poller's, not a thread's.
func readReport(f *os.File) ([]byte, *os.File, error) {
	rc, err := f.SyscallConn()
	if err != nil {
		return nil, nil, err
	}
	var data []byte
	var console *os.File
	buf := make([]byte, 4096)
	oob := make([]byte, unix.CmsgSpace(4*4))
	for !bytes.HasSuffix(data, []byte("end\n")) {
		var n, oobn int
		var rerr error
		err := rc.Read(func(fd uintptr) bool {
			n, oobn, _, _, rerr = unix.Recvmsg(int(fd), buf, oob, unix.MSG_CMSG_CLOEXEC)
			return rerr != unix.EAGAIN && rerr != unix.EINTR
		})
		if err == nil {
			err = rerr
		}
		if err != nil {
			return nil, console, errors.New("reading the start's report: " + err.Error())
		}
		if n == 0 && oobn == 0 {
			break
		}
		data = append(data, buf[:n]...)
		if oobn == 0 {
			continue
		}
		msgs, err := unix.ParseSocketControlMessage(oob[:oobn])
		if err != nil {
			continue
		}
		for _, m := range msgs {
			fds, err := unix.ParseUnixRights(&m)
			if err != nil {
				continue
			}
			for _, fd := range fds {
				if console == nil {
					console = os.NewFile(uintptr(fd), "console")
				} else {
					unix.Close(fd)
				}
			}
		}
	}
	return data, console, nil
}

// OOM runs container-oom.
func (h *ExecHooks) OOM() { h.run(context.Background(), h.initArgs(OOMCommand)) }

// Exited runs container-exited.
func (h *ExecHooks) Exited(e Exit) (Next, error) {
	if e.StartFailed {
		h.run(context.Background(), h.initArgs(ExitedCommand, "--start-failed", "--exit-code", strconv.Itoa(e.Code),
			"--error", "the container's monitor failed before the start"))
		return Next{}, nil
	}
	args := []string{"--exit-code", strconv.Itoa(e.Code)}
	if e.OOMKilled {
		args = append(args, "--oom")
	}
	if e.OOMReported {
		args = append(args, "--oom-reported")
	}
	out, err := h.run(context.Background(), h.initArgs(ExitedCommand, append(args, h.exitArgs...)...))
	if err != nil {
		return Next{}, err
	}
	return ParseNext(string(out))
}

// Stopped runs container-stopped.
func (h *ExecHooks) Stopped() { h.run(context.Background(), h.initArgs(StoppedCommand)) }

// Probe runs geedocker's container-healthcheck. A cancel asks it to stop with SIGTERM (it
// kills its probe), then kills it.
func (h *ExecHooks) Probe(ctx context.Context) (string, error) {
	args := append(append([]string{h.Engine}, h.Global...), HealthcheckCommand, h.ID)
	out, err := h.run(ctx, args)
	return strings.TrimSpace(string(out)), err
}

// EnsureDNS runs container-dns.
func (h *ExecHooks) EnsureDNS(dir string) (int, error) {
	a := append([]string{h.Init, "--engine", h.Engine}, h.Global...)
	out, err := h.run(context.Background(), append(a, DNSCommand, dir))
	if err != nil {
		return 0, err
	}
	return strconv.Atoi(strings.TrimSpace(string(out)))
}

// run runs argv and returns what it printed; a failure is one line: what it said on
// stderr. A cancel of ctx sends SIGTERM, then SIGKILL two seconds later.
func (h *ExecHooks) run(ctx context.Context, argv []string) ([]byte, error) {
	var files []*os.File // every end: the child's are closed once it has them
	defer func() {
		for _, f := range files {
			f.Close()
		}
	}()
	outR, outW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	files = append(files, outR, outW)
	errR, errW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	files = append(files, errR, errW)
	devnull, err := os.Open(os.DevNull)
	if err != nil {
		return nil, err
	}
	files = append(files, devnull)
	w, err := h.r.start(argv, []*os.File{devnull, outW, errW})
	devnull.Close()
	outW.Close()
	errW.Close()
	if err != nil {
		return nil, err
	}
	var stderr []byte
	errDone := make(chan struct{})
	go func() {
		stderr, _ = io.ReadAll(io.LimitReader(errR, 64<<10))
		io.Copy(io.Discard, errR)
		errR.Close()
		close(errDone)
	}()
	stop := context.AfterFunc(ctx, func() {
		h.r.signal(w, syscall.SIGTERM)
		t := time.AfterFunc(2*time.Second, func() { h.r.signal(w, syscall.SIGKILL) })
		go func() { <-w.done; t.Stop() }()
	})
	out, _ := io.ReadAll(outR)
	outR.Close()
	<-errDone
	<-w.done
	stop()
	if w.code != 0 {
		msg := strings.TrimPrefix(strings.TrimSpace(string(stderr)), "Error: ")
		if msg == "" {
			msg = argv[0] + ": exit status " + strconv.Itoa(w.code)
		}
		code := 125
		if w.code == 126 || w.code == 127 {
			code = w.code
		}
		return out, &StartError{Code: code, Err: errors.New(msg)}
	}
	return out, nil
}

// hookEnv is the environment of the hooks: this one's, without the monitor's memory limit
// (it would slow a start).
func hookEnv() []string {
	env := os.Environ()
	out := env[:0]
	for _, kv := range env {
		if !strings.HasPrefix(kv, "GOMEMLIMIT=") {
			out = append(out, kv)
		}
	}
	return out
}

// reaper reaps every child of this process (a child subreaper: the container's orphans
// come here too) and tells the waiter of each it started or adopted.
type reaper struct {
	mu      sync.Mutex // held while a child starts, is signalled or reaped
	waiters map[int]*waiter
}

type waiter struct {
	pid  int
	done chan struct{} // closed once reaped
	code int           // then: the exit code, 128+n for signal n
}

func newReaper() *reaper {
	r := &reaper{waiters: map[int]*waiter{}}
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGCHLD)
	go func() {
		for range sigs {
			r.reap()
		}
	}()
	return r
}

// add waits for pid, a child now or later (mu held).
func (r *reaper) add(pid int) *waiter {
	w := &waiter{pid: pid, done: make(chan struct{})}
	r.waiters[pid] = w
	return w
}

// start starts argv with files as its fds 0, 1, 2, …
func (r *reaper) start(argv []string, files []*os.File) (*waiter, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	p, err := os.StartProcess(argv[0], argv, &os.ProcAttr{Files: files, Env: hookEnv()})
	if err != nil {
		return nil, err
	}
	w := r.add(p.Pid)
	p.Release()
	return w, nil
}

// reap reaps every child that has ended.
func (r *reaper) reap() {
	r.mu.Lock()
	defer r.mu.Unlock()
	for {
		var ws unix.WaitStatus
		pid, err := unix.Wait4(-1, &ws, unix.WNOHANG, nil)
		if err == unix.EINTR {
			continue
		}
		if err != nil || pid <= 0 {
			return
		}
		w := r.waiters[pid]
		if w == nil {
			continue // an orphan of the container
		}
		delete(r.waiters, pid)
		if ws.Signaled() {
			w.code = 128 + int(ws.Signal())
		} else {
			w.code = ws.ExitStatus()
		}
		close(w.done)
	}
}

// signal sends sig to w's process unless it has been reaped (then its pid may name
// another process).
func (r *reaper) signal(w *waiter, sig syscall.Signal) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	select {
	case <-w.done:
		return nil
	default:
	}
	return unix.Kill(w.pid, sig)
}

// reapedProcess is PID 1, the reaper's.
type reapedProcess struct {
	r *reaper
	w *waiter
}

func (p *reapedProcess) Signal(sig os.Signal) error {
	s, ok := sig.(syscall.Signal)
	if !ok {
		return errors.New("unsupported signal " + sig.String())
	}
	if err := p.r.signal(p.w, s); err != nil {
		return errors.New("signalling container process " + strconv.Itoa(p.w.pid) + ": " + err.Error())
	}
	return nil
}

func (p *reapedProcess) Wait() (int, error) {
	<-p.w.done
	return p.w.code, nil
}
