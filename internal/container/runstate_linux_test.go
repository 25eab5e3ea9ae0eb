package container

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// useRunRoot points RunRoot at a temp dir for the test.
func useRunRoot(t *testing.T) string {
	t.Helper()
	old := RunRoot
	RunRoot = t.TempDir()
	t.Cleanup(func() { RunRoot = old })
	return RunRoot
}

func TestRunState(t *testing.T) {
	runRoot := useRunRoot(t)
	s := newStore(t)
	id := NewID()

	if _, ok := s.ReadRunState(id); ok {
		t.Fatal("ReadRunState of a container never started: ok = true")
	}
	want := RunState{MonitorPid: 100, MonitorStart: 12345, Pid: 101, PidStart: 12346}
	if err := s.WriteRunState(id, want); err != nil {
		t.Fatalf("WriteRunState: %v", err)
	}
	if !strings.HasPrefix(s.RunDir(), runRoot+string(filepath.Separator)) {
		t.Errorf("RunDir %s is not under RunRoot %s", s.RunDir(), runRoot)
	}
	got, ok := s.ReadRunState(id)
	if !ok || got != want {
		t.Fatalf("ReadRunState = %+v, %v; want %+v", got, ok, want)
	}
	// Replacing it leaves no temp file behind.
	want.Pid = 202
	if err := s.WriteRunState(id, want); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.ReadRunState(id); got != want {
		t.Errorf("after rewrite ReadRunState = %+v, want %+v", got, want)
	}
	entries, _ := os.ReadDir(s.RunDir())
	if len(entries) != 1 || entries[0].Name() != id+".json" {
		t.Errorf("run dir holds %v, want only %s.json", entries, id)
	}

	// Another store root has its own run dir and sees nothing of this one.
	other := newStore(t)
	if other.RunDir() == s.RunDir() {
		t.Errorf("two roots share the run dir %s", s.RunDir())
	}
	if _, ok := other.ReadRunState(id); ok {
		t.Error("another root sees this root's run state")
	}

	s.RemoveRunState(id)
	if _, ok := s.ReadRunState(id); ok {
		t.Error("ReadRunState after RemoveRunState: ok = true")
	}
	s.RemoveRunState(id) // removing twice is harmless

	// A corrupt state file reads as none.
	if err := os.WriteFile(filepath.Join(s.RunDir(), id+".json"), []byte("{garbage"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, ok := s.ReadRunState(id); ok {
		t.Error("a corrupt run state reads as ok")
	}
}

func TestRunDirStable(t *testing.T) {
	useRunRoot(t)
	root := t.TempDir()
	a, _ := Open(root)
	b, _ := Open(root)
	if a.RunDir() != b.RunDir() {
		t.Errorf("the same root has two run dirs: %s, %s", a.RunDir(), b.RunDir())
	}
}

func TestProcessStartAndAlive(t *testing.T) {
	self := os.Getpid()
	start, err := ProcessStart(self)
	if err != nil || start == 0 {
		t.Fatalf("ProcessStart(self) = %d, %v", start, err)
	}
	again, _ := ProcessStart(self)
	if again != start {
		t.Errorf("ProcessStart changed: %d then %d", start, again)
	}
	tests := []struct {
		name  string
		pid   int
		start uint64
		want  bool
	}{
		{"this process", self, start, true},
		{"this pid, another start time (a reused pid)", self, start + 1, false},
		{"pid 0", 0, 0, false},
		{"negative pid", -1, start, false},
		{"no such pid", 1 << 30, start, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Alive(tt.pid, tt.start); got != tt.want {
				t.Errorf("Alive(%d, %d) = %v, want %v", tt.pid, tt.start, got, tt.want)
			}
		})
	}
	if _, err := ProcessStart(1 << 30); err == nil {
		t.Error("ProcessStart of a missing pid: no error")
	}
}

func TestAliveDeadChild(t *testing.T) {
	bin, err := exec.LookPath("true")
	if err != nil {
		t.Skip("no true(1) binary")
	}
	cmd := exec.Command(bin)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pid := cmd.Process.Pid
	// Until it is reaped, the child's /proc entry stays: read its start.
	start, err := ProcessStart(pid)
	if err != nil {
		cmd.Wait()
		t.Fatalf("ProcessStart(child): %v", err)
	}

	// Wait for the exit without reaping: the child is a zombie now.
	var info unix.Siginfo
	if err := unix.Waitid(unix.P_PID, pid, &info, unix.WEXITED|unix.WNOWAIT, nil); err != nil {
		cmd.Wait()
		t.Fatalf("waitid: %v", err)
	}
	if Alive(pid, start) {
		t.Error("Alive = true for a zombie")
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("true failed: %v", err)
	}
	if Alive(pid, start) {
		t.Error("Alive = true for a reaped child")
	}
}

func TestProcessStartOddCommandName(t *testing.T) {
	// The command name (field 2 of /proc/<pid>/stat) may hold spaces and
	// parentheses; the start time must still be field 22.
	bin, err := exec.LookPath("sleep")
	if err != nil {
		t.Skip("no sleep(1) binary")
	}
	link := filepath.Join(t.TempDir(), "a) b (c")
	if err := os.Symlink(bin, link); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(link, "1000")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(cmd.Process.Pid) + "/stat")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(stat), "(a) b (c)") {
		t.Skipf("the kernel did not name the process after the link: %s", stat)
	}
	start, err := ProcessStart(cmd.Process.Pid)
	if err != nil {
		t.Fatalf("ProcessStart: %v", err)
	}
	// Independent bounds: the child started after this process and before
	// now (the uptime, in clock ticks of 1/100 s on Linux).
	self, _ := ProcessStart(os.Getpid())
	up, err := os.ReadFile("/proc/uptime")
	if err != nil {
		t.Fatal(err)
	}
	secs, err := strconv.ParseFloat(strings.Fields(string(up))[0], 64)
	if err != nil {
		t.Fatal(err)
	}
	if now := uint64(secs*100) + 1; start < self || start > now {
		t.Errorf("ProcessStart(child) = %d, want between the parent's %d and now %d", start, self, now)
	}
	if !Alive(cmd.Process.Pid, start) {
		t.Error("Alive = false for a running child")
	}
}
