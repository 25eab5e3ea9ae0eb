//go:build linux && cgo

package nsenter

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// TestMain is also the Go side of the children the tests start with Env set: the
// constructor has run by then, and the child says what it sees.
func TestMain(m *testing.M) {
	if os.Getenv(Env) != "" {
		dumpable, _ := unix.PrctlRetInt(unix.PR_GET_DUMPABLE, 0, 0, 0, 0)
		fmt.Printf("joined=%v pid=%d dumpable=%d", Joined(), os.Getpid(), dumpable)
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// child is a run of this test binary with Env set; the pidfd and the sync pipe become its
// fds 3 and 4.
type child struct {
	cmd            *exec.Cmd
	sync           *os.File
	stdout, stderr bytes.Buffer
}

func startChild(t *testing.T, value string, pidfd *os.File) *child {
	t.Helper()
	syncR, syncW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syncR.Close() })
	c := &child{sync: syncR}
	c.cmd = exec.Command("/proc/self/exe")
	c.cmd.Env = []string{Env + "=" + value}
	c.cmd.ExtraFiles = []*os.File{pidfd, syncW}
	c.cmd.Stdout, c.cmd.Stderr = &c.stdout, &c.stderr
	err = c.cmd.Start()
	syncW.Close()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// header reads what the constructor wrote first: a pid, or -1 and a message.
func (c *child) header(t *testing.T) (int32, string) {
	t.Helper()
	var pid int32
	if err := binary.Read(c.sync, binary.NativeEndian, &pid); err != nil {
		return 0, "read: " + err.Error()
	}
	if pid != -1 {
		return pid, ""
	}
	msg, _ := io.ReadAll(c.sync)
	return pid, string(msg)
}

func TestConstructorFailures(t *testing.T) {
	devNull, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer devNull.Close()

	t.Run("bad value", func(t *testing.T) {
		c := startChild(t, "3:4", devNull)
		err := c.cmd.Wait()
		if code := c.cmd.ProcessState.ExitCode(); code != 1 || !strings.Contains(c.stderr.String(), "bad value 3:4") {
			t.Errorf("exit %d (%v), stderr %q; want 1 and the bad value named", code, err, c.stderr.String())
		}
		if c.stdout.Len() != 0 {
			t.Errorf("the Go program ran: %q", c.stdout.String())
		}
	})
	t.Run("not a pidfd", func(t *testing.T) {
		c := startChild(t, Value(unix.CLONE_NEWNS, 3, 4), devNull)
		pid, msg := c.header(t)
		_ = c.cmd.Wait()
		if pid != -1 || !strings.Contains(msg, "joining the namespaces of the container process: Invalid argument") {
			t.Errorf("header %d %q; want -1 and why setns failed", pid, msg)
		}
		if code := c.cmd.ProcessState.ExitCode(); code != 1 || c.stdout.Len() != 0 {
			t.Errorf("exit %d, stdout %q; want 1 before the Go program", code, c.stdout.String())
		}
	})
}

// Joining namespaces needs CAP_SYS_ADMIN; joining our own ones changes nothing, which lets
// the protocol be tested without a container.
func TestConstructorJoins(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: setns needs CAP_SYS_ADMIN")
	}
	fd, err := unix.PidfdOpen(os.Getpid(), 0)
	if err != nil {
		t.Fatal(err)
	}
	pidfd := os.NewFile(uintptr(fd), "pidfd")
	defer pidfd.Close()

	t.Run("without a PID namespace the process goes on", func(t *testing.T) {
		c := startChild(t, Value(unix.CLONE_NEWUTS|unix.CLONE_NEWNET, 3, 4), pidfd)
		pid, msg := c.header(t)
		if err := c.cmd.Wait(); err != nil {
			t.Fatalf("child: %v, stderr %q", err, c.stderr.String())
		}
		want := fmt.Sprintf("joined=true pid=%d dumpable=0", c.cmd.Process.Pid)
		if int(pid) != c.cmd.Process.Pid || msg != "" || c.stdout.String() != want {
			t.Errorf("header %d %q, stdout %q; want pid %d and %q", pid, msg, c.stdout.String(), c.cmd.Process.Pid, want)
		}
	})
	t.Run("with a PID namespace a fork goes on, as our child", func(t *testing.T) {
		c := startChild(t, Value(unix.CLONE_NEWUTS|unix.CLONE_NEWPID, 3, 4), pidfd)
		pid, msg := c.header(t)
		if pid <= 0 || int(pid) == c.cmd.Process.Pid {
			_ = c.cmd.Wait()
			t.Fatalf("header %d %q; want the pid of a fork", pid, msg)
		}
		fork, _ := os.FindProcess(int(pid))
		st, err := fork.Wait() // fails unless it is our child
		if err != nil || !st.Success() {
			t.Errorf("waiting for the fork %d: %v %v", pid, st, err)
		}
		if err := c.cmd.Wait(); err != nil {
			t.Errorf("the fork's parent: %v, stderr %q", err, c.stderr.String())
		}
		if want := fmt.Sprintf("joined=true pid=%d dumpable=0", pid); c.stdout.String() != want {
			t.Errorf("stdout %q, want %q", c.stdout.String(), want)
		}
	})
}
