package testutil

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// BinEnv names the environment variable with a prebuilt geedocker binary
// that BuildGeedocker returns instead of building one.
const BinEnv = "GEEDOCKER_BIN"

// Timeouts for building geedocker and for one Run of it.
const (
	buildTimeout = 10 * time.Minute
	RunTimeout   = 5 * time.Minute
)

// binDirPrefix starts the name of the temp dirs that hold built binaries;
// the test binary's PID follows, so a later run can remove the dirs of runs
// that died without calling Main.
const binDirPrefix = "geedocker-test-bin-"

var (
	buildOnce sync.Once
	builtBin  string
	buildErr  error

	tempMu   sync.Mutex
	tempDirs []string // removed by Main
)

// BuildGeedocker returns the path of a geedocker binary: $GEEDOCKER_BIN when
// set, otherwise ./cmd/geedocker of this module built with `go build` once per
// test binary into a temp dir (call Main from TestMain to remove it).
func BuildGeedocker(t testing.TB) string {
	t.Helper()
	if bin := os.Getenv(BinEnv); bin != "" {
		info, err := os.Stat(bin)
		if err != nil || info.IsDir() || info.Mode()&0o111 == 0 {
			t.Fatalf("%s=%s is not an executable file", BinEnv, bin)
		}
		return bin
	}
	buildOnce.Do(func() { builtBin, buildErr = buildGeedocker() })
	if buildErr != nil {
		t.Fatalf("building geedocker: %v", buildErr)
	}
	return builtBin
}

func buildGeedocker() (string, error) {
	root, err := ModuleRoot()
	if err != nil {
		return "", err
	}
	sweepBinDirs()
	dir, err := os.MkdirTemp("", binDirPrefix+strconv.Itoa(os.Getpid())+"-")
	if err != nil {
		return "", fmt.Errorf("creating a dir for the binary: %w", err)
	}
	tempMu.Lock()
	tempDirs = append(tempDirs, dir)
	tempMu.Unlock()

	bin := filepath.Join(dir, "geedocker")
	ctx, cancel := context.WithTimeout(context.Background(), buildTimeout)
	defer cancel()
	// No VCS stamping: a test build needs none, and git may refuse to
	// describe a checkout owned by another user.
	// geedocker-init and geedocker-monitor next to it, where geedocker looks for them.
	for _, pkg := range []string{"geedocker", "geedocker-init", "geedocker-monitor"} {
		cmd := exec.CommandContext(ctx, "go", "build", "-buildvcs=false", "-tags", "osusergo,netgo",
			"-ldflags", "-linkmode external -extldflags -static", "-o", filepath.Join(dir, pkg), "./cmd/"+pkg)
		cmd.Dir = root
		// Static, as `make build` makes it: the binary also serves as the
		// container's --init, where no dynamic loader may exist. With cgo, for
		// the C constructor that exec needs (internal/runtime/nsenter). The
		// monitor is pure Go.
		cmd.Env = append(os.Environ(), "CGO_ENABLED=1")
		if pkg == "geedocker-monitor" {
			cmd.Args = []string{"go", "build", "-buildvcs=false", "-o", filepath.Join(dir, pkg), "./cmd/" + pkg}
			cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		}
		if out, err := cmd.CombinedOutput(); err != nil {
			return "", fmt.Errorf("go build ./cmd/%s in %s: %w\n%s", pkg, root, err, out)
		}
	}
	return bin, nil
}

// sweepBinDirs removes the binary dirs left by test binaries that are no
// longer running.
func sweepBinDirs() {
	matches, _ := filepath.Glob(filepath.Join(os.TempDir(), binDirPrefix+"*"))
	for _, dir := range matches {
		pidPart, _, _ := strings.Cut(strings.TrimPrefix(filepath.Base(dir), binDirPrefix), "-")
		pid, err := strconv.Atoi(pidPart)
		if err != nil || pid == os.Getpid() || processAlive(pid) {
			continue
		}
		_ = os.RemoveAll(dir) // best effort: a leftover of a dead run
	}
}

// Main runs the tests and then removes what BuildGeedocker built. Call it from
// TestMain: func TestMain(m *testing.M) { testutil.Main(m) }.
func Main(m interface{ Run() int }) {
	code := m.Run()
	tempMu.Lock()
	for _, dir := range tempDirs {
		if err := os.RemoveAll(dir); err != nil {
			fmt.Fprintf(os.Stderr, "testutil: removing %s: %v\n", dir, err)
		}
	}
	tempMu.Unlock()
	os.Exit(code)
}

// ModuleRoot is the directory of the go.mod above the working directory
// (a package's tests run in the package's directory).
func ModuleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("finding the module root: %w", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("finding the module root: no go.mod above the working directory")
		}
		dir = parent
	}
}

// Result is what a command printed and its exit code: the process's own, or
// 128+N when signal N killed it (as a shell reports it).
type Result struct {
	Stdout, Stderr string
	Code           int
}

// Run runs bin with args and the test's environment, and returns its output
// and exit code. A run longer than RunTimeout is killed and fails the test, as
// does a binary that cannot be started.
func Run(t testing.TB, bin string, args ...string) Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), RunTimeout)
	defer cancel()
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	// A child that keeps our pipes open must not hold Wait forever.
	cmd.WaitDelay = 10 * time.Second
	err := startProcess(cmd)
	if err == nil {
		err = cmd.Wait()
	}
	res := Result{Stdout: stdout.String(), Stderr: stderr.String()}
	if ctx.Err() != nil {
		t.Fatalf("%s %s: still running after %v, killed\nstdout:\n%s\nstderr:\n%s", bin, strings.Join(args, " "), RunTimeout, res.Stdout, res.Stderr)
	}
	var exitErr *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exitErr):
		res.Code = exitErr.ExitCode()
		if ws, ok := exitErr.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			res.Code = 128 + int(ws.Signal())
		}
	default:
		t.Fatalf("running %s %s: %v\nstdout:\n%s\nstderr:\n%s", bin, strings.Join(args, " "), err, res.Stdout, res.Stderr)
	}
	return res
}
