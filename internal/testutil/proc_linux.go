package testutil

import (
	"errors"
	"os/exec"
	"runtime"
	"sync"
	"syscall"
)

// Linux delivers a parent-death signal when the *thread* that forked the child
// exits, not the process. Go may end a thread (a goroutine that exits while
// locked to it), so children are forked from one goroutine that stays locked
// to its thread for the life of the test binary.
type spawnRequest struct {
	cmd  *exec.Cmd
	done chan error
}

var (
	spawnOnce sync.Once
	spawnCh   chan spawnRequest
)

// startProcess starts cmd so that the kernel kills it with SIGKILL when the
// test binary dies, even if no t.Cleanup gets to run (a -timeout panic).
func startProcess(cmd *exec.Cmd) error {
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Pdeathsig = syscall.SIGKILL
	spawnOnce.Do(func() {
		spawnCh = make(chan spawnRequest)
		go func() {
			runtime.LockOSThread() // never unlocked: this thread lives as long as the process
			for req := range spawnCh {
				req.done <- req.cmd.Start()
			}
		}()
	})
	req := spawnRequest{cmd: cmd, done: make(chan error, 1)}
	spawnCh <- req
	return <-req.done
}

// processAlive reports whether a process with this PID exists.
func processAlive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
