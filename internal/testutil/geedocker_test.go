package testutil

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

func TestRun(t *testing.T) {
	if _, err := os.Stat("/bin/sh"); err != nil {
		t.Skip("no /bin/sh")
	}
	tests := []struct {
		script string
		want   Result
	}{
		{"true", Result{}},
		{"echo out; echo err >&2; exit 3", Result{Stdout: "out\n", Stderr: "err\n", Code: 3}},
		{"kill -TERM $$", Result{Code: 143}},
		{"kill -KILL $$", Result{Code: 137}},
	}
	for _, tt := range tests {
		t.Run(tt.script, func(t *testing.T) {
			if got := Run(t, "/bin/sh", "-c", tt.script); got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}

	f := runFake(t, func(tb testing.TB) { Run(tb, filepath.Join(t.TempDir(), "missing")) })
	if !f.failed {
		t.Error("running a missing binary did not fail the test")
	}
}

func TestModuleRoot(t *testing.T) {
	root, err := ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil || !strings.Contains(string(b), "module github.com/geedocker/geedocker\n") {
		t.Fatalf("%s/go.mod: %v, is not GeeDocker's", root, err)
	}
}

func TestBuildGeedockerFromEnv(t *testing.T) {
	t.Setenv(BinEnv, "/bin/sh")
	if got := BuildGeedocker(t); got != "/bin/sh" {
		t.Errorf("BuildGeedocker with %s=/bin/sh = %q", BinEnv, got)
	}
	for _, bad := range []string{filepath.Join(t.TempDir(), "missing"), t.TempDir()} {
		t.Setenv(BinEnv, bad)
		f := runFake(t, func(tb testing.TB) { BuildGeedocker(tb) })
		if !f.failed {
			t.Errorf("%s=%s did not fail the test", BinEnv, bad)
		}
	}
}

func TestBuildGeedocker(t *testing.T) {
	root, err := ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	if srcs, _ := filepath.Glob(filepath.Join(root, "cmd", "geedocker", "*.go")); len(srcs) == 0 {
		t.Skip("cmd/geedocker has no Go files yet")
	}
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command in PATH")
	}
	t.Setenv(BinEnv, "")
	bin := BuildGeedocker(t)
	info, err := os.Stat(bin)
	if err != nil || info.Mode()&0o111 == 0 {
		t.Fatalf("built binary %s: %v, mode %v", bin, err, info.Mode())
	}
	if again := BuildGeedocker(t); again != bin {
		t.Errorf("second call built again: %s, then %s", bin, again)
	}
}

func TestSweepBinDirs(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("processAlive only knows PIDs on Linux")
	}
	// A PID that is surely dead: a process that has been waited for.
	cmd := exec.Command("/bin/sh", "-c", "exit 0")
	if err := cmd.Run(); err != nil {
		t.Skipf("cannot run /bin/sh: %v", err)
	}
	dead := cmd.Process.Pid
	mk := func(pid int) string {
		dir, err := os.MkdirTemp("", binDirPrefix+strconv.Itoa(pid)+"-")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.RemoveAll(dir) })
		return dir
	}
	deadDir, liveDir := mk(dead), mk(os.Getpid())

	sweepBinDirs()
	if _, err := os.Stat(deadDir); !os.IsNotExist(err) {
		t.Errorf("dir of dead PID %d: %v, want it removed", dead, err)
	}
	if _, err := os.Stat(liveDir); err != nil {
		t.Errorf("dir of this test binary: %v, want it kept", err)
	}
}
