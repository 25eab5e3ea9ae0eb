//go:build linux

package e2e

import (
	"crypto/sha256"
	"fmt"
	"io"
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

var (
	exeattackOnce sync.Once
	exeattackBin  string
	exeattackErr  error
)

// buildExeattack builds testdata/exeattack static, to be bind-mounted into containers.
func buildExeattack(t *testing.T) string {
	t.Helper()
	exeattackOnce.Do(func() {
		dir, err := os.MkdirTemp("", "geedocker-exeattack-")
		if err != nil {
			exeattackErr = err
			return
		}
		exeattackBin = filepath.Join(dir, "exeattack")
		cmd := exec.Command("go", "build", "-o", exeattackBin, "./testdata/exeattack")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			exeattackErr = fmt.Errorf("%v %s", err, out)
		}
	})
	if exeattackErr != nil {
		t.Fatalf("building exeattack: %v", exeattackErr)
	}
	return exeattackBin
}

// attackEnv is an env whose engine binaries (geedocker and, next to it, geedocker-init, the
// containers' init, and geedocker-monitor) are private copies, which the test may "upgrade", plus a
// results directory the attacker writes to.
type attackEnv struct {
	*env
	res  string
	bins []engineBinary
}

// engineBinary is one of the engine's binaries: its path, its content's hash, and its
// original inode, kept open to check it after an upgrade.
type engineBinary struct {
	path, hash string
	old        *os.File
}

func newAttackEnv(t *testing.T) *attackEnv {
	e := newEnv(t)
	e.withBusybox()
	dir := t.TempDir()
	a := &attackEnv{env: e, res: filepath.Join(dir, "res")}
	for _, name := range []string{"geedocker", "geedocker-init", "geedocker-monitor"} {
		p := filepath.Join(dir, name)
		copyFile(t, filepath.Join(filepath.Dir(e.bin), name), p, 0o755)
		f, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { f.Close() })
		a.bins = append(a.bins, engineBinary{path: p, hash: fileHash(t, p), old: f})
	}
	e.bin = a.bins[0].path
	if err := os.Mkdir(a.res, 0o777); err != nil {
		t.Fatal(err)
	}
	return a
}

// upgrade replaces every engine binary as a package manager does: a copy, then a rename.
func (a *attackEnv) upgrade() {
	a.t.Helper()
	for _, b := range a.bins {
		copyFile(a.t, b.path, b.path+".new", 0o755)
		if err := os.Rename(b.path+".new", b.path); err != nil {
			a.t.Fatal(err)
		}
	}
}

func copyFile(t *testing.T, from, to string, mode os.FileMode) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, mode); err != nil {
		t.Fatal(err)
	}
}

func fileHash(t *testing.T, p string) string {
	t.Helper()
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	return readerHash(t, f)
}

func readerHash(t *testing.T, r io.ReaderAt) string {
	t.Helper()
	h := sha256.New()
	if _, err := io.Copy(h, io.NewSectionReader(r, 0, 1<<40)); err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%x", h.Sum(nil))
}

// attacker starts the attacker in a container and returns its ID.
func (a *attackEnv) attacker(flags []string, args ...string) string {
	run := append([]string{"--network", "none", "-v", buildExeattack(a.t) + ":/exeattack:ro", "-v", a.res + ":/res"}, flags...)
	return a.detached(append(append(run, "busybox", "/exeattack"), args...)...)
}

// awaitFile waits for the attacker to write name in the results directory.
func (a *attackEnv) awaitFile(name string, poke func()) string {
	a.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		if b, err := os.ReadFile(filepath.Join(a.res, name)); err == nil {
			return string(b)
		}
		if time.Now().After(deadline) {
			a.t.Fatalf("the attacker never wrote %s", name)
		}
		if poke != nil {
			poke()
		} else {
			time.Sleep(5 * time.Millisecond)
		}
	}
}

// grabEngine makes the engine run /bin/evil in container id until the attacker holds the
// /proc/PID/exe of one of those runs.
func (a *attackEnv) grabEngine(id string) {
	a.t.Helper()
	tries := 0
	a.awaitFile("grabbed", func() {
		tries++
		if tries > 300 {
			a.t.Fatalf("the attacker never caught the engine running in the container")
		}
		a.gd("exec", id, "/bin/evil")
	})
}

// assertUnharmed checks the attacker's results and that the engine's binary, on disk and
// the inode the test started with, is unchanged.
func (a *attackEnv) assertUnharmed(result string) {
	a.t.Helper()
	for _, line := range strings.Split(strings.TrimSpace(result), "\n") {
		if line == "written" {
			a.t.Errorf("the container reopened the engine's binary for writing: %q", line)
		}
	}
	for _, b := range a.bins {
		if got := fileHash(a.t, b.path); got != b.hash {
			a.t.Errorf("%s on disk changed", b.path)
		}
		if got := readerHash(a.t, b.old); got != b.hash {
			a.t.Errorf("the original inode of %s changed", b.path)
		}
	}
}

// The CVE-2019-5736 chain: the engine executes #!/proc/self/exe in the container, the
// container holds that process's /proc/PID/exe, the binary is upgraded (cp then mv), and the
// container writes through the held descriptor.
func TestSealedBinaryExecAndUpgrade(t *testing.T) {
	a := newAttackEnv(t)
	id := a.attacker(nil)
	a.grabEngine(id)
	a.upgrade()
	res := a.awaitFile("result", nil)
	if !strings.Contains(res, "read-only file system") && !strings.Contains(res, "operation not permitted") {
		t.Errorf("write through the held descriptor: %q, want it refused", res)
	}
	a.assertUnharmed(res)
}

// The same, then the container's monitor is killed: nothing runs the old binary any more.
func TestSealedBinaryMonitorKilled(t *testing.T) {
	a := newAttackEnv(t)
	id := a.attacker(nil)
	a.grabEngine(id)
	res := a.awaitFile("result", nil) // refused at once: nothing to wait for
	pid, _ := strconv.Atoi(a.inspectField(id, "{{.State.Pid}}"))
	monitor := parentOf(t, pid)
	if err := syscall.Kill(monitor, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	waitProcessGone(t, monitor)
	a.assertUnharmed(res)
}

// --init: the container's PID 1 is the engine's binary; its child holds /proc/1/exe.
func TestSealedBinaryInit(t *testing.T) {
	a := newAttackEnv(t)
	id := a.attacker([]string{"--init"})
	res := a.awaitFile("result", nil)
	if !strings.Contains(res, "read-only file system") {
		t.Errorf("write through /proc/1/exe of --init: %q, want EROFS", res)
	}
	if got := a.ok("exec", id, "cat", "/proc/1/cmdline"); !strings.HasPrefix(got, "/sbin/docker-init\x00") {
		t.Errorf("PID 1 under --init: %q", got)
	}
	a.assertUnharmed(res)
}

// A container holds a descriptor on every foreign /proc/PID/exe it can open during 60 execs,
// then writes through each.
func TestSealedBinarySixtyExecs(t *testing.T) {
	a := newAttackEnv(t)
	id := a.attacker(nil, "-all")
	for i := 0; i < 60; i++ {
		if i%2 == 0 {
			a.ok("exec", id, "true")
		} else {
			a.gd("exec", id, "/bin/evil")
		}
	}
	if err := os.WriteFile(filepath.Join(a.res, "go"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	res := a.awaitFile("result", nil)
	t.Logf("descriptors held: %s", a.awaitFile("grabbed", nil))
	a.assertUnharmed(res)
}
