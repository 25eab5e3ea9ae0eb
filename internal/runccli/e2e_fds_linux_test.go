package runccli_test

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// openFiles writes each content to a file and opens it for reading.
func openFiles(t *testing.T, contents ...string) []*os.File {
	t.Helper()
	var files []*os.File
	for i, c := range contents {
		p := filepath.Join(t.TempDir(), "fd"+strconv.Itoa(i))
		if err := os.WriteFile(p, []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
		f, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { f.Close() })
		files = append(files, f)
	}
	return files
}

// fdsOf waits until pid runs command and returns its open descriptors, with their targets.
func fdsOf(t *testing.T, pid int, command string) map[int]string {
	t.Helper()
	for i := 0; ; i++ {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
		if err != nil {
			t.Fatalf("process %d: %v", pid, err)
		}
		if strings.HasPrefix(string(b), command+"\x00") {
			break
		}
		if i == 10000 {
			t.Fatalf("process %d never ran %s: %q", pid, command, b)
		}
		unix.Nanosleep(&unix.Timespec{Nsec: 1e6}, nil)
	}
	dir := fmt.Sprintf("/proc/%d/fd", pid)
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	fds := map[int]string{}
	for _, e := range entries {
		n, _ := strconv.Atoi(e.Name())
		fds[n], _ = os.Readlink(filepath.Join(dir, e.Name()))
	}
	return fds
}

func keys(m map[int]string) []int {
	var k []int
	for n := range m {
		k = append(k, n)
	}
	slices.Sort(k)
	return k
}

// As runc: --preserve-fds N gives the container's process the caller's descriptors 3 to
// 3+N-1 at the same numbers, and nothing else of the runtime.
func TestPreserveFds(t *testing.T) {
	e := newEnv(t)
	files := openFiles(t, "three\n", "four\n", "five\n")

	e.writeSpec(func(s *specs.Spec) { s.Process.Args = []string{"sh", "-c", "cat <&3; cat <&4"} })
	id := e.newID()
	if r := e.runFiles(files[:2], "run", "--preserve-fds", "2", id); r.code != 0 || r.stdout != "three\nfour\n" {
		t.Errorf("run --preserve-fds 2: %+v", r)
	}
	// More than the runtime's own descriptors: the child is executed from a copy of the
	// sealed binary above them all.
	var many []string
	for i := 3; i < 15; i++ {
		many = append(many, "fd"+strconv.Itoa(i)+"\n")
	}
	e.writeSpec(func(s *specs.Spec) { s.Process.Args = []string{"sh", "-c", "cat <&3; cat <&14"} })
	if r := e.runFiles(openFiles(t, many...), "run", "--preserve-fds", "12", e.newID()); r.code != 0 || r.stdout != "fd3\nfd14\n" {
		t.Errorf("run --preserve-fds 12: %+v", r)
	}
	// (Go's runtime may have opened a descriptor of its own where the caller left a gap, as
	// runc's does: runc passes whatever is there.)
	if r := e.runFiles(files[:1], "run", "--preserve-fds", "8", e.newID()); r.code != 1 || !strings.Contains(r.stderr, "is not open") {
		t.Errorf("run --preserve-fds 8 with only fd 3 open: %+v", r)
	}

	e.writeSpec(func(s *specs.Spec) { s.Process.Args = []string{"sleep", "1000"} })
	id = e.newID()
	pidFile := filepath.Join(t.TempDir(), "pid")
	e.mustFiles(files[:1], "create", "--preserve-fds", "1", "--pid-file", pidFile, id)
	e.must("start", id)
	pid := e.state(id).Pid
	fds := fdsOf(t, pid, "sleep")
	if !slices.Equal(keys(fds), []int{0, 1, 2, 3}) || fds[3] != files[0].Name() {
		t.Errorf("descriptors of the container's process after create --preserve-fds 1: %v", fds)
	}

	execPid := filepath.Join(t.TempDir(), "exec.pid")
	e.mustFiles(files[1:], "exec", "-d", "--preserve-fds", "2", "--pid-file", execPid, id, "sleep", "1001")
	b, err := os.ReadFile(execPid)
	if err != nil {
		t.Fatal(err)
	}
	other, _ := strconv.Atoi(string(b))
	fds = fdsOf(t, other, "sleep")
	if !slices.Equal(keys(fds), []int{0, 1, 2, 3, 4}) || fds[3] != files[1].Name() || fds[4] != files[2].Name() {
		t.Errorf("descriptors of exec -d --preserve-fds 2: %v", fds)
	}
	if out := e.mustFiles(files[2:], "exec", "--preserve-fds", "1", id, "cat", "/proc/self/fd/3"); out != "five\n" {
		t.Errorf("exec --preserve-fds 1 printed %q", out)
	}

	e.must("kill", "--all", id, "KILL")
	_, _ = unix.Wait4(other, nil, 0, nil)
	_, _ = unix.Wait4(pid, nil, 0, nil)
	e.must("delete", id)
}

// Without --preserve-fds, no descriptor of the caller or of the runtime reaches the container.
func TestNoDescriptorLeaks(t *testing.T) {
	e := newEnv(t)
	files := openFiles(t, "three\n")
	e.writeSpec(func(s *specs.Spec) { s.Process.Args = []string{"sleep", "1000"} })
	id := e.newID()
	e.mustFiles(files, "create", id)
	e.must("start", id)
	pid := e.state(id).Pid
	if fds := fdsOf(t, pid, "sleep"); !slices.Equal(keys(fds), []int{0, 1, 2}) {
		t.Errorf("descriptors of the container's process: %v", fds)
	}
	execPid := filepath.Join(t.TempDir(), "exec.pid")
	e.mustFiles(files, "exec", "-d", "--pid-file", execPid, id, "sleep", "1001")
	b, err := os.ReadFile(execPid)
	if err != nil {
		t.Fatal(err)
	}
	other, _ := strconv.Atoi(string(b))
	if fds := fdsOf(t, other, "sleep"); !slices.Equal(keys(fds), []int{0, 1, 2}) {
		t.Errorf("descriptors of an exec'd process: %v", fds)
	}
	e.must("kill", "--all", id, "KILL")
	_, _ = unix.Wait4(other, nil, 0, nil)
	_, _ = unix.Wait4(pid, nil, 0, nil)
	e.must("delete", id)
}
