package dns

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/geedocker/geedocker/internal/container"
	"github.com/geedocker/geedocker/internal/lockfile"
)

// How long a writer waits for the resolver to start, and to load what it
// wrote.
const resolverWait = 5 * time.Second

// ErrResolver wraps the failures of the resolver to start or to load the
// records.
var ErrResolver = errors.New("the DNS resolver")

// lock takes dir's lock (made when missing); the kernel frees it when its
// holder dies.
func lock(dir string) (unlock func(), err error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	l, err := lockfile.Acquire(filepath.Join(dir, lockFile), lockfile.Exclusive)
	if err != nil {
		return nil, err
	}
	return func() { l.Unlock() }, nil
}

// Publish records container id on network (replacing what it had there)
// and returns once the resolver of dir answers for it: the resolver is
// started when none runs, else told to reload.
func Publish(dir, network, id string, r Record) error {
	return change(dir, network, func(rs *Records) { rs.Containers[id] = r }, id)
}

// Unpublish removes container id from network's records; it returns once
// the resolver no longer answers that name there.
func Unpublish(dir, network, id string) error {
	return change(dir, network, func(rs *Records) { delete(rs.Containers, id) }, "")
}

// Forget removes container id from every network's records; for a
// container that stopped. Idempotent.
func Forget(dir, id string) error {
	if _, err := os.Stat(dir); errors.Is(err, os.ErrNotExist) {
		return nil // no container was ever published
	}
	unlock, err := lock(dir)
	if err != nil {
		return err
	}
	des, err := os.ReadDir(dir)
	if err != nil {
		unlock()
		return err
	}
	changed := false
	for _, d := range des {
		name, ok := strings.CutPrefix(d.Name(), recordsPrefix)
		if name, ok2 := strings.CutSuffix(name, recordsSuffix); ok && ok2 {
			rs, err := readRecords(dir, name)
			if err != nil {
				continue // a broken file is rewritten by the next Publish
			}
			if _, ok := rs.Containers[id]; ok {
				delete(rs.Containers, id)
				if err := writeRecords(dir, rs); err != nil {
					unlock()
					return err
				}
				changed = true
			}
		}
	}
	if !changed {
		unlock()
		return nil
	}
	return commit(dir, unlock, "")
}

// change applies fn to network's records under the lock, then commits; with
// id set, it also checks that the resolver listens for that container.
func change(dir, network string, fn func(*Records), id string) error {
	if err := validNetworkName(network); err != nil {
		return err
	}
	unlock, err := lock(dir)
	if err != nil {
		return err
	}
	rs, err := readRecords(dir, network)
	if err != nil {
		rs = Records{Network: network, Containers: map[string]Record{}} // rewritten whole
	}
	before := maps.Clone(rs.Containers)
	fn(&rs)
	if err == nil && maps.EqualFunc(before, rs.Containers, sameRecord) && id == "" {
		unlock()
		return nil
	}
	if err := writeRecords(dir, rs); err != nil {
		unlock()
		return err
	}
	return commit(dir, unlock, id)
}

func sameRecord(a, b Record) bool {
	return fmt.Sprint(a) == fmt.Sprint(b)
}

// commit raises the serial, makes sure a resolver runs and reloads, and
// releases the lock; it returns once the resolver has loaded this change
// (and, with id set, listens for id), so that what a command changed is
// what containers resolve when it returns.
func commit(dir string, unlock func(), id string) error {
	serial, err := bumpSerial(dir)
	if err != nil {
		unlock()
		return err
	}
	pid, started, err := ensureLocked(dir)
	if err == nil && pid > 0 && !started {
		err = unix.Kill(pid, unix.SIGHUP)
	}
	unlock()
	if err != nil || pid == 0 {
		return err
	}
	return awaitLoad(dir, pid, serial, id)
}

// awaitLoad waits until the resolver pid says it loaded serial or later,
// and fails if it could not listen for id (when set); while it tries id
// again, it waits for that.
func awaitLoad(dir string, pid int, serial uint64, id string) error {
	deadline := time.Now().Add(resolverWait)
	retrying := ""
	for {
		if s, ok := readStatus(dir); ok && s.Serial >= serial {
			if msg, bad := s.Errors[id]; bad && id != "" {
				return fmt.Errorf("%w: %s", ErrResolver, msg)
			}
			msg, again := s.Retrying[id]
			if !again || id == "" {
				return nil
			}
			retrying = msg
		}
		if time.Now().After(deadline) {
			if retrying != "" {
				return fmt.Errorf("%w: %s", ErrResolver, retrying)
			}
			return fmt.Errorf("%w did not load the records within %s", ErrResolver, resolverWait)
		}
		if !processAlive(pid) {
			// Killed meanwhile, or exited with the last record: the next one,
			// if any is needed, loads everything.
			p, err := Ensure(dir)
			if err != nil || p == 0 {
				return err
			}
			pid = p
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// Ensure makes sure a resolver serves dir when a network has records
// there, and returns its PID (0 when none is needed).
func Ensure(dir string) (int, error) {
	unlock, err := lock(dir)
	if err != nil {
		return 0, err
	}
	defer unlock()
	pid, _, err := ensureLocked(dir)
	return pid, err
}

// readPid returns the resolver's PID when its pid file names a live
// process (with the start time written there).
func readPid(dir string) (int, bool) {
	b, err := os.ReadFile(filepath.Join(dir, pidFile))
	if err != nil {
		return 0, false
	}
	f := strings.Fields(string(b))
	if len(f) != 2 {
		return 0, false
	}
	pid, err1 := strconv.Atoi(f[0])
	start, err2 := strconv.ParseUint(f[1], 10, 64)
	if err1 != nil || err2 != nil || !container.Alive(pid, start) || !processAlive(pid) {
		return 0, false
	}
	return pid, true
}

// processAlive tells whether pid runs (a zombie does not).
func processAlive(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i >= 0 && len(s) > i+2 && s[i+2] != 'Z' && s[i+2] != 'X'
}

func writePid(dir string, pid int) error {
	start, err := container.ProcessStart(pid)
	if err != nil {
		return err
	}
	return writeFile(filepath.Join(dir, pidFile), []byte(fmt.Sprintf("%d %d\n", pid, start)))
}

// ensureLocked is Ensure with the lock held; started says the resolver was
// started now (it loads everything by itself: no need to signal it).
func ensureLocked(dir string) (pid int, started bool, err error) {
	if pid, ok := readPid(dir); ok {
		return pid, false, nil
	}
	if !hasRecords(dir) {
		return 0, false, nil
	}
	cmd := &exec.Cmd{Path: Program, Args: []string{ResolverName, dir}, Dir: "/"}
	// A session of its own: no terminal's signals reach it, and it outlives
	// the command that started it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	// Nothing but stdin, stdout and stderr (/dev/null): a descriptor this
	// process inherited without close-on-exec (a monitor's start pipe, whose
	// reader waits for EOF) must not live on in the resolver.
	closeOnExecAll()
	cmd.Env = append(os.Environ(), "GOMAXPROCS=2", "GOGC=50")
	if err := cmd.Start(); err != nil {
		return 0, false, fmt.Errorf("%w: starting it: %v", ErrResolver, err)
	}
	pid = cmd.Process.Pid
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }() // reaped by whoever started it, while that lives
	// It writes the pid file once it handles SIGHUP.
	deadline := time.Now().Add(resolverWait)
	for {
		if p, ok := readPid(dir); ok && p == pid {
			return pid, true, nil
		}
		select {
		case <-exited:
			return 0, false, fmt.Errorf("%w exited at its start: %v", ErrResolver, cmd.ProcessState)
		default:
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			return 0, false, fmt.Errorf("%w did not start within %s", ErrResolver, resolverWait)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// Watch restarts the resolver of dir whenever it dies while records need
// it, until ctx is done: a long-lived process (a container's monitor)
// runs it, so that names resolve again at once after the resolver is
// killed. It waits on a pidfd while a resolver runs, and looks again every
// second while none does (a container of the default network may be
// connected to a user network by another command meanwhile).
func Watch(ctx context.Context, dir string) {
	cancel, closeCancel, err := cancelFd(ctx)
	if err != nil {
		return
	}
	defer closeCancel()
	for ctx.Err() == nil {
		pid, ok := readPid(dir)
		var err error
		if !ok && hasRecords(dir) {
			pid, err = Ensure(dir)
		}
		timeout := -1
		fds := []unix.PollFd{{Fd: int32(cancel), Events: unix.POLLIN}}
		if err == nil && pid > 0 {
			pidfd, perr := unix.PidfdOpen(pid, 0)
			if perr == nil {
				fds = append(fds, unix.PollFd{Fd: int32(pidfd), Events: unix.POLLIN})
				if p, ok := readPid(dir); !ok || p != pid {
					timeout = 0 // gone or replaced since
				}
			} else if perr == unix.ESRCH {
				timeout = 0 // gone since: look again now
			} else {
				timeout = 1000 // no pidfd (an old kernel): look every second
			}
		} else {
			timeout = 1000
		}
		for {
			_, err := unix.Poll(fds, timeout)
			if err != unix.EINTR {
				break
			}
		}
		if len(fds) > 1 {
			unix.Close(int(fds[1].Fd))
		}
	}
}

// cancelFd returns a file descriptor that becomes readable when ctx is
// done, and the function that closes it.
func cancelFd(ctx context.Context) (int, func(), error) {
	fd, err := unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK)
	if err != nil {
		return -1, nil, err
	}
	var mu sync.Mutex
	closed := false
	stop := context.AfterFunc(ctx, func() {
		mu.Lock()
		defer mu.Unlock()
		if !closed {
			unix.Write(fd, []byte{1, 0, 0, 0, 0, 0, 0, 0})
		}
	})
	return fd, func() {
		stop()
		mu.Lock()
		defer mu.Unlock()
		closed = true
		unix.Close(fd)
	}, nil
}

// closeOnExecAll marks every descriptor above stderr close-on-exec. Go
// opens its own so; only inherited ones change, and os/exec passes what a
// child is given (ExtraFiles) by dup2, whatever their flag.
func closeOnExecAll() {
	des, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return
	}
	for _, d := range des {
		if fd, err := strconv.Atoi(d.Name()); err == nil && fd > 2 {
			unix.CloseOnExec(fd)
		}
	}
}
