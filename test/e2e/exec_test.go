//go:build linux

package e2e

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/creack/pty"
)

func TestExec(t *testing.T) {
	e := newEnv(t)
	e.withBusybox()
	id := e.detached("--name", "box", "-h", "boxhost", "-m", "48m", "--memory-swap", "48m", "busybox", "sleep", "300")

	// In the container's PID namespace: its processes only, sleep as PID 1.
	out := e.ok("exec", "box", "ps", "-o", "pid,args")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 || !strings.Contains(lines[1], "1 sleep 300") || !strings.Contains(lines[2], "ps -o pid,args") {
		t.Errorf("ps in exec:\n%s", out)
	}
	if got := e.ok("exec", "box", "hostname"); got != "boxhost\n" {
		t.Errorf("hostname in exec: %q", got)
	}
	if got := e.ok("exec", "box", "grep", "CapEff", "/proc/self/status"); got != "CapEff:\t00000000a80425fb\n" {
		t.Errorf("capabilities in exec: %q", got)
	}
	if got := e.ok("exec", "-e", "X=1", "-w", "/tmp", "-u", "app", "box", "sh", "-c", "echo $X $(pwd) $(id -u)"); got != "1 /tmp 1000\n" {
		t.Errorf("exec -e -w -u: %q", got)
	}
	if got := e.ok("exec", "box", "sh", "-c", "ls /proc/self/fd | tr '\\n' ' '"); got != "0 1 2 3 " {
		t.Errorf("fds in exec: %q", got)
	}
	// In the container's cgroup: its memory limit counts the exec'd process.
	if got := e.ok("exec", "box", "cat", "/sys/fs/cgroup/memory/memory.limit_in_bytes"); strings.TrimSpace(got) != fmt.Sprint(48<<20) {
		if got2 := e.ok("exec", "box", "cat", "/sys/fs/cgroup/memory.max"); strings.TrimSpace(got2) != fmt.Sprint(48<<20) {
			t.Errorf("memory limit seen by exec: %q %q", got, got2)
		}
	}
	if r := e.gd("exec", "box", "sh", "-c", "tail /dev/zero"); r.Code != 137 {
		t.Errorf("exec over the memory limit: exit %d, want 137 (%s)", r.Code, r.Stderr)
	}
	// Exit codes.
	for _, c := range []struct {
		args []string
		code int
	}{
		{[]string{"exec", "box", "true"}, 0},
		{[]string{"exec", "box", "sh", "-c", "exit 3"}, 3},
		{[]string{"exec", "box", "nonexistent"}, 127},
		{[]string{"exec", "box", "/etc/passwd"}, 126},
	} {
		if r := e.gd(c.args...); r.Code != c.code {
			t.Errorf("%v: exit %d, want %d (%s)", c.args, r.Code, c.code, r.Stderr)
		}
	}
	// stdin with -i.
	cmd := e.command("exec", "-i", "box", "sh", "-c", "read x; echo got-$x")
	cmd.Stdin = strings.NewReader("hello\n")
	if got, err := cmd.Output(); err != nil || string(got) != "got-hello\n" {
		t.Errorf("exec -i: %q %v", got, err)
	}
	// A terminal.
	tcmd := e.command("exec", "-it", "box", "sh")
	ptmx, err := pty.Start(tcmd)
	if err != nil {
		t.Fatal(err)
	}
	var buf safeBuffer
	done := make(chan struct{})
	go func() { io.Copy(&buf, ptmx); close(done) }()
	fmt.Fprintf(ptmx, "tty; echo in-tty; exit 7\r")
	err = tcmd.Wait()
	ptmx.Close()
	<-done
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 7 || !strings.Contains(buf.String(), "in-tty") ||
		!strings.Contains(buf.String(), "\r\n/dev/pts/0\r\n") {
		t.Errorf("exec -it: %v, output %q", err, buf.String())
	}
	// A stopped container: Docker's words, exit 1.
	e.ok("stop", "-t", "0", "box")
	e.fails(1, "container "+id+" is not running", "exec", "box", "true")
	e.fails(1, "No such container: nothing", "exec", "nothing", "true")

}

// exec and run give the container pipes, never the caller's own files: a container cannot
// reopen them through /proc/self/fd to read or truncate what the caller redirected.
func TestStdioArePipes(t *testing.T) {
	e := newEnv(t)
	e.withBusybox()
	e.detached("--name", "box", "busybox", "sleep", "300")

	for _, args := range [][]string{
		{"exec", "box", "sh", "-c", "readlink /proc/self/fd/1; readlink /proc/self/fd/2"},
		{"exec", "-i", "box", "sh", "-c", "readlink /proc/self/fd/0; readlink /proc/self/fd/1"},
		{"run", "--rm", "-i", "busybox", "sh", "-c", "readlink /proc/self/fd/0; readlink /proc/self/fd/1"},
	} {
		cmd := e.command(args...)
		in, err := os.Open("/etc/hostname")
		if err != nil {
			t.Fatal(err)
		}
		cmd.Stdin = in
		out, err := cmd.Output()
		in.Close()
		lines := strings.Fields(string(out))
		if err != nil || len(lines) != 2 || !strings.HasPrefix(lines[0], "pipe:[") || !strings.HasPrefix(lines[1], "pipe:[") {
			t.Errorf("%v: %q %v, want two pipes", args, out, err)
		}
	}

	// The caller redirects into a file; the container tries to truncate it and to write
	// into it through /proc/self/fd/1: the file keeps what it had, plus the output.
	for _, args := range [][]string{
		{"exec", "box", "sh", "-c", ": > /proc/self/fd/1; echo after"},
		{"run", "--rm", "busybox", "sh", "-c", ": > /proc/self/fd/1; echo after"},
	} {
		path := filepath.Join(t.TempDir(), "out")
		if err := os.WriteFile(path, []byte("precious\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
		if err != nil {
			t.Fatal(err)
		}
		cmd := e.command(args...)
		cmd.Stdout = f
		err = cmd.Run()
		f.Close()
		got, _ := os.ReadFile(path)
		if err != nil || string(got) != "precious\nafter\n" {
			t.Errorf("%v: %v, the caller's file holds %q, want %q", args, err, got, "precious\nafter\n")
		}
	}

	// Nothing lost at exit, exit code unchanged; stdin ends when the caller's does.
	cmd := e.command("exec", "box", "sh", "-c", "seq 1 200000; exit 4")
	out, err := cmd.Output()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 4 {
		t.Errorf("exec exit: %v, want 4", err)
	}
	if n := strings.Count(string(out), "\n"); n != 200000 || !strings.HasSuffix(string(out), "\n200000\n") {
		t.Errorf("exec output: %d lines, want 200000", n)
	}
	cmd = e.command("exec", "-i", "box", "wc", "-c")
	cmd.Stdin = strings.NewReader(strings.Repeat("x", 100000))
	if out, err := cmd.Output(); err != nil || strings.TrimSpace(string(out)) != "100000" {
		t.Errorf("exec -i wc -c: %q %v", out, err)
	}
}
