package cgroups

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// A fake cgroup tree is a temp dir with the directories and files the kernel
// would have made. Its "kernel" is the fakeSys below: kill drops the pid from
// every cgroup.procs, rmdir removes a directory with its files.

// absent marks a file that must not exist in tree comparisons.
const absent = "<absent>"

// writeTree creates files (slash paths relative to root) with their parents.
func writeTree(t *testing.T, root string, files map[string]string) {
	t.Helper()
	for rel, content := range files {
		p := filepath.Join(root, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// checkTree compares files under root with want (absent: must not exist).
func checkTree(t *testing.T, root string, want map[string]string) {
	t.Helper()
	for _, rel := range sortedKeys(want) {
		b, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(rel)))
		got := string(b)
		if errors.Is(err, fs.ErrNotExist) {
			got = absent
		} else if err != nil {
			t.Fatal(err)
		}
		if got != want[rel] {
			t.Errorf("%s = %q, want %q", rel, got, want[rel])
		}
	}
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// fakeKernel records what a manager asked for.
type fakeKernel struct {
	root   string
	mu     sync.Mutex
	killed []int
	// onKill, when set, runs for each pid before it leaves the tree; keep
	// is true for a process that does not die.
	onKill func(pid int) (keep bool)
	// busy counts the EBUSY answers rmdir still gives per directory.
	busy map[string]int
	// filters are the device filters set, by cgroup directory.
	filters map[string]DeviceFilter
}

func newFakeKernel(root string) *fakeKernel {
	return &fakeKernel{root: root, busy: map[string]int{}, filters: map[string]DeviceFilter{}}
}

func (k *fakeKernel) sys() sys {
	return sys{kill: k.kill, rmdir: k.rmdir, timeout: 5 * time.Second, devices: k.setDevices}
}

func (k *fakeKernel) setDevices(dir string, f DeviceFilter) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.filters[dir] = f
	return nil
}

func (k *fakeKernel) kill(pid int) error {
	k.mu.Lock()
	k.killed = append(k.killed, pid)
	onKill := k.onKill
	k.mu.Unlock()
	if onKill != nil && onKill(pid) {
		return nil
	}
	return removePid(k.root, pid)
}

// removePid drops pid from every cgroup.procs under root, as its exit would.
func removePid(root string, pid int) error {
	return filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.Name() != "cgroup.procs" {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		var keep []string
		for _, f := range strings.Fields(string(b)) {
			if f != strconv.Itoa(pid) {
				keep = append(keep, f)
			}
		}
		return os.WriteFile(p, []byte(strings.Join(keep, "\n")), 0o644)
	})
}

func (k *fakeKernel) rmdir(dir string) error {
	if _, err := os.Stat(dir); err != nil {
		return err
	}
	k.mu.Lock()
	busy := k.busy[dir]
	if busy > 0 {
		k.busy[dir] = busy - 1
	}
	k.mu.Unlock()
	if busy != 0 {
		return unix.EBUSY
	}
	return os.RemoveAll(dir)
}

func (k *fakeKernel) killedPids() []int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return slices.Clone(k.killed)
}

// fakeKillFile makes dir/cgroup.kill a FIFO read by a goroutine that, like
// the kernel, empties dir/cgroup.procs when "1" is written to it. It returns
// a function reporting how many times "1" was written.
func fakeKillFile(t *testing.T, dir string) (writes func() int) {
	t.Helper()
	fifo := filepath.Join(dir, "cgroup.kill")
	_ = os.Remove(fifo)
	if err := unix.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	n := 0
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			f, err := os.Open(fifo) // blocks until a writer opens it
			if err != nil {
				return
			}
			b, _ := io.ReadAll(f)
			f.Close()
			switch string(b) {
			case "stop":
				return
			case "1": // count first: Kill may return as soon as procs is empty
				mu.Lock()
				n++
				mu.Unlock()
				if err := os.WriteFile(filepath.Join(dir, "cgroup.procs"), nil, 0o644); err != nil {
					return
				}
			}
		}
	}()
	t.Cleanup(func() {
		go func() { _ = os.WriteFile(fifo, []byte("stop"), 0) }()
		<-done
	})
	return func() int {
		mu.Lock()
		defer mu.Unlock()
		return n
	}
}
