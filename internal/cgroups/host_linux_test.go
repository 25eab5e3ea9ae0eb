package cgroups

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// These tests use the host's real cgroups (v1 here, v2 in the VM) and clean
// up every directory and process they make, even when they fail.

func needHost(t *testing.T) Mode {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root: creates cgroups under /sys/fs/cgroup and moves processes into them")
	}
	mode, err := Detect()
	if err != nil {
		t.Fatalf("Detect: %v", err)
	}
	if mode == Unavailable {
		t.Skip("needs a cgroup filesystem at /sys/fs/cgroup")
	}
	return mode
}

// testParent replaces "geedocker" in these tests, so that removing it at the
// end never races with a real container (or another package's test) that
// uses the shared parent at the same time.
var testParent = fmt.Sprintf("geedocker-test-%d", os.Getpid())

// hostCgroup returns the manager of a new cgroup on the host. Its cleanup
// kills what is left in it, removes it, and removes the test parent.
func hostCgroup(t *testing.T, mode Mode) Manager {
	t.Helper()
	name := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			return r
		}
		return '-'
	}, t.Name())
	m, err := New(mode, name, Opts{Parent: testParent})
	if err != nil {
		t.Fatal(err)
	}
	var newParents []string
	for _, d := range leafDirs(m) {
		if p := filepath.Dir(d); !exists(p) {
			newParents = append(newParents, p)
		}
	}
	t.Cleanup(func() {
		if err := m.Kill(); err != nil {
			t.Errorf("cleanup: %v", err)
		}
		if err := m.Destroy(); err != nil {
			t.Errorf("cleanup: %v", err)
		}
		for _, p := range newParents {
			if err := unix.Rmdir(p); err != nil && !errors.Is(err, unix.ENOENT) {
				t.Errorf("cleanup: removing %s: %v", p, err)
			}
		}
	})
	return m
}

// leafDirs are the directories of m's cgroup on the host.
func leafDirs(m Manager) []string {
	switch m := m.(type) {
	case *v1:
		var dirs []string
		for _, c := range m.mounted() {
			dirs = append(dirs, m.dir(c))
		}
		return dirs
	case *v2:
		return []string{m.dir()}
	}
	return nil
}

// ctrlDir is the directory holding a controller's files for m.
func ctrlDir(m Manager, ctrl string) string {
	if m, ok := m.(*v1); ok {
		return m.dir(ctrl)
	}
	return m.(*v2).dir()
}

func setTimeout(m Manager, d time.Duration) {
	switch m := m.(type) {
	case *v1:
		m.sys.timeout = d
	case *v2:
		m.sys.timeout = d
	}
}

// child starts a process held at `read go` until release is called; the
// cleanup kills it by pid and reaps it.
func child(t *testing.T, script string) (cmd *exec.Cmd, release func()) {
	t.Helper()
	cmd = exec.Command("sh", "-c", "read go; "+script)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	return cmd, func() {
		if _, err := io.WriteString(stdin, "go\n"); err != nil {
			t.Fatalf("releasing the child: %v", err)
		}
	}
}

// eventually polls cond until it holds, failing the test after 20s.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	err := await(20*time.Second, what, func() (bool, error) { return cond(), nil })
	if err != nil {
		t.Fatal(err)
	}
}

func killedBySIGKILL(err error) bool {
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		return false
	}
	ws, ok := ee.Sys().(syscall.WaitStatus)
	return ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL
}

// procCgroupPaths returns, from /proc/<pid>/cgroup, the path of each v1
// controller ("memory", "pids" ...) and of v2 (under "").
func procCgroupPaths(t *testing.T, pid int) map[string]string {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/cgroup", pid))
	if err != nil {
		t.Fatal(err)
	}
	paths := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		parts := strings.SplitN(line, ":", 3)
		if len(parts) != 3 {
			t.Fatalf("bad line %q in /proc/%d/cgroup", line, pid)
		}
		for _, c := range strings.Split(parts[1], ",") {
			paths[c] = parts[2]
		}
	}
	return paths
}

func TestHostLifecycle(t *testing.T) {
	mode := needHost(t)
	m := hostCgroup(t, mode)
	res := &specs.LinuxResources{ // docker run -m 32m --memory-swap 64m --pids-limit 10 --cpus 0.5 --cpuset-cpus 0
		Memory: &specs.LinuxMemory{Limit: i64(32 * mib), Swap: i64(64 * mib)},
		Pids:   &specs.LinuxPids{Limit: i64(10)},
		CPU:    &specs.LinuxCPU{Quota: i64(50000), Period: u64(100000), Cpus: "0"},
	}
	for i := range 2 { // idempotent
		if err := m.Create(res); err != nil {
			t.Fatalf("Create #%d: %v", i+1, err)
		}
	}

	want := map[string]string{ // file in its controller's directory -> content
		"pids/pids.max":      "10",
		"cpuset/cpuset.cpus": "0",
	}
	if mode == Unified {
		want["memory/memory.max"] = "33554432"
		want["memory/memory.swap.max"] = "33554432"
		want["cpu/cpu.max"] = "50000 100000"
	} else {
		want["memory/memory.limit_in_bytes"] = "33554432"
		want["memory/memory.memsw.limit_in_bytes"] = "67108864"
		want["cpu/cpu.cfs_quota_us"] = "50000"
		want["cpu/cpu.cfs_period_us"] = "100000"
	}
	for _, k := range sortedKeys(want) {
		ctrl, file, _ := strings.Cut(k, "/")
		got, err := readFile(ctrlDir(m, ctrl), file)
		if errors.Is(err, os.ErrNotExist) && strings.Contains(file, "swap") {
			t.Logf("%s: no swap accounting on this kernel", file)
			continue
		}
		if err != nil || got != want[k] {
			t.Errorf("%s = %q, %v; want %q", filepath.Join(ctrlDir(m, ctrl), file), got, err, want[k])
		}
	}

	cmd, _ := child(t, "exec sleep 1000")
	pid := cmd.Process.Pid
	if err := m.Add(pid); err != nil {
		t.Fatalf("Add: %v", err)
	}
	paths := procCgroupPaths(t, pid)
	if mode == Unified {
		if paths[""] != m.Path() {
			t.Errorf("/proc/%d/cgroup shows %q for v2, want %q", pid, paths[""], m.Path())
		}
	} else {
		for _, c := range m.(*v1).mounted() {
			if paths[c] != m.Path() {
				t.Errorf("/proc/%d/cgroup shows %q for %s, want %q", pid, paths[c], c, m.Path())
			}
		}
	}
	if procs, err := m.Procs(); err != nil || !reflect.DeepEqual(procs, []int{pid}) {
		t.Errorf("Procs = %v, %v; want [%d]", procs, err, pid)
	}
	st, err := m.Stats()
	if err != nil {
		t.Fatalf("Stats: %v", err)
	}
	if st.MemoryLimit != 32*mib || st.Pids != 1 {
		t.Errorf("Stats = %+v, want MemoryLimit %d and Pids 1", st, 32*mib)
	}
	if oom, err := m.OOMKilled(); err != nil || oom {
		t.Errorf("OOMKilled = %v, %v; want false", oom, err)
	}

	// While a process lives in it, the kernel refuses to remove the cgroup.
	setTimeout(m, 100*time.Millisecond)
	if err := m.Destroy(); err == nil || !strings.Contains(err.Error(), "removable") {
		t.Errorf("Destroy of a busy cgroup: error = %v, want a timeout waiting for it to be removable", err)
	}
	setTimeout(m, 10*time.Second)
	if procs, err := m.Procs(); err != nil || len(procs) != 1 {
		t.Fatalf("after the refused Destroy, Procs = %v, %v; want the child still there", procs, err)
	}

	if err := m.Kill(); err != nil {
		t.Fatalf("Kill: %v", err)
	}
	if procs, err := m.Procs(); err != nil || len(procs) != 0 {
		t.Errorf("after Kill, Procs = %v, %v; want none", procs, err)
	}
	if err := cmd.Wait(); !killedBySIGKILL(err) {
		t.Errorf("child ended with %v, want killed by SIGKILL", err)
	}
	if err := m.Destroy(); err != nil {
		t.Fatalf("Destroy: %v", err)
	}
	for _, d := range leafDirs(m) {
		if _, err := os.Stat(d); !os.IsNotExist(err) {
			t.Errorf("%s still exists after Destroy (stat: %v)", d, err)
		}
	}
	if err := m.Destroy(); err != nil {
		t.Errorf("second Destroy: %v", err)
	}
	if err := m.Kill(); err != nil {
		t.Errorf("Kill after Destroy: %v", err)
	}
}

// docker run -m 32m --memory-swap 32m: a process that keeps growing is
// OOM-killed by the kernel, and the cgroup says so.
func TestHostOOMKill(t *testing.T) {
	mode := needHost(t)
	m := hostCgroup(t, mode)
	if err := m.Create(mem(32*mib, 32*mib)); err != nil {
		t.Fatalf("Create: %v", err)
	}
	// tail buffers the one endless line of /dev/zero.
	cmd, release := child(t, "exec tail /dev/zero")
	if err := m.Add(cmd.Process.Pid); err != nil {
		t.Fatalf("Add: %v", err)
	}
	if oom, err := m.OOMKilled(); err != nil || oom {
		t.Fatalf("before growing, OOMKilled = %v, %v; want false", oom, err)
	}
	release()
	if err := cmd.Wait(); !killedBySIGKILL(err) {
		t.Fatalf("child ended with %v, want killed by SIGKILL", err)
	}
	if oom, err := m.OOMKilled(); err != nil || !oom {
		t.Errorf("OOMKilled = %v, %v; want true", oom, err)
	}
}

// docker run --pids-limit 10 with a shell forking 30 sleeps: forks fail
// beyond 10 tasks, and the cgroup can still be emptied.
func TestHostPidsLimit(t *testing.T) {
	mode := needHost(t)
	m := hostCgroup(t, mode)
	if err := m.Create(&specs.LinuxResources{Pids: &specs.LinuxPids{Limit: i64(10)}}); err != nil {
		t.Fatalf("Create: %v", err)
	}
	cmd, release := child(t, "i=0; while [ $i -lt 30 ]; do sleep 1000 & i=$((i+1)); done; wait")
	if err := m.Add(cmd.Process.Pid); err != nil {
		t.Fatalf("Add: %v", err)
	}
	release()
	pidsDir := ctrlDir(m, "pids")
	eventually(t, "a fork refused by pids.max", func() bool {
		n, _, err := readKey(pidsDir, "pids.events", "max")
		return err == nil && n > 0
	})
	procs, err := m.Procs()
	if err != nil || len(procs) > 10 {
		t.Errorf("Procs = %d pids, %v; want at most 10", len(procs), err)
	}
	if st, err := m.Stats(); err != nil || st.Pids > 10 || st.Pids == 0 {
		t.Errorf("Stats pids = %d, %v; want 1..10", st.Pids, err)
	}
	if err := m.Kill(); err != nil {
		t.Fatalf("Kill: %v", err)
	}
	if procs, err := m.Procs(); err != nil || len(procs) != 0 {
		t.Errorf("after Kill, Procs = %v, %v; want none", procs, err)
	}
	_ = cmd.Wait()
	if err := m.Destroy(); err != nil {
		t.Fatalf("Destroy: %v", err)
	}
}

// docker run --cpus 0.5 with a busy loop: the kernel throttles the cgroup
// and Stats counts its CPU time.
func TestHostCPUQuota(t *testing.T) {
	mode := needHost(t)
	m := hostCgroup(t, mode)
	if err := m.Create(&specs.LinuxResources{CPU: &specs.LinuxCPU{Quota: i64(50000), Period: u64(100000)}}); err != nil {
		t.Fatalf("Create: %v", err)
	}
	cmd, release := child(t, "while :; do :; done")
	if err := m.Add(cmd.Process.Pid); err != nil {
		t.Fatalf("Add: %v", err)
	}
	release()
	cpuDir := ctrlDir(m, "cpu")
	eventually(t, "the busy loop to be throttled", func() bool {
		n, _, err := readKey(cpuDir, "cpu.stat", "nr_throttled")
		return err == nil && n > 0
	})
	if st, err := m.Stats(); err != nil || st.CPUUsage == 0 {
		t.Errorf("Stats = %+v, %v; want some CPU usage", st, err)
	}
	if err := m.Kill(); err != nil {
		t.Fatalf("Kill: %v", err)
	}
	if err := cmd.Wait(); !killedBySIGKILL(err) {
		t.Errorf("child ended with %v, want killed by SIGKILL", err)
	}
}

// Detect agrees with what statfs says is mounted at /sys/fs/cgroup.
func TestHostDetect(t *testing.T) {
	mode, err := Detect()
	if err != nil {
		t.Fatalf("Detect: %v", err)
	}
	fsType := func(p string) int64 {
		var st unix.Statfs_t
		if err := unix.Statfs(p, &st); err != nil {
			return 0
		}
		return int64(st.Type)
	}
	var want Mode
	switch {
	case fsType(DefaultRoot) == unix.CGROUP2_SUPER_MAGIC:
		want = Unified
	case slices.ContainsFunc([]string{"memory", "cpu", "pids"}, func(c string) bool {
		return fsType(filepath.Join(DefaultRoot, c)) == unix.CGROUP_SUPER_MAGIC
	}):
		want = Legacy
		if fsType(filepath.Join(DefaultRoot, "unified")) == unix.CGROUP2_SUPER_MAGIC {
			want = Hybrid
		}
	default:
		want = Unavailable
	}
	if mode != want {
		t.Errorf("Detect = %v (%d), statfs says %v (%d)", mode, mode, want, want)
	}
}

// On a hybrid host the cgroup2 mount at /sys/fs/cgroup/unified has no
// resource controllers, but its core files are real: the v2 manager's
// create, add, list, kill (cgroup.kill, and freeze + SIGKILL) and destroy
// run against the kernel there.
func TestHostV2CoreOnHybrid(t *testing.T) {
	mode := needHost(t)
	unified := filepath.Join(DefaultRoot, "unified")
	var st unix.Statfs_t
	if mode != Hybrid || unix.Statfs(unified, &st) != nil || st.Type != unix.CGROUP2_SUPER_MAGIC {
		t.Skip("needs a hybrid host with cgroup2 at /sys/fs/cgroup/unified")
	}
	for _, useKillFile := range []bool{true, false} {
		t.Run(fmt.Sprintf("cgroup.kill=%v", useKillFile), func(t *testing.T) {
			name := fmt.Sprintf("v2core-%v", useKillFile)
			mm, err := New(Unified, name, Opts{Root: unified, Parent: testParent})
			if err != nil {
				t.Fatal(err)
			}
			m := mm.(*v2)
			t.Cleanup(func() {
				if err := m.Kill(); err != nil {
					t.Errorf("cleanup: %v", err)
				}
				if err := m.Destroy(); err != nil {
					t.Errorf("cleanup: %v", err)
				}
				err := unix.Rmdir(filepath.Join(unified, testParent))
				if err != nil && !errors.Is(err, unix.ENOENT) {
					t.Errorf("cleanup: %v", err)
				}
			})
			if err := m.Create(nil); err != nil {
				t.Fatalf("Create: %v", err)
			}
			if err := m.Create(&specs.LinuxResources{Pids: &specs.LinuxPids{Limit: i64(10)}}); err == nil ||
				!strings.Contains(err.Error(), "needs the pids controller") {
				t.Errorf("Create with a pids limit where pids is not offered: error = %v", err)
			}
			var cmds []*exec.Cmd
			for range 3 {
				cmd, _ := child(t, "exec sleep 1000")
				if err := m.Add(cmd.Process.Pid); err != nil {
					t.Fatalf("Add: %v", err)
				}
				if got := procCgroupPaths(t, cmd.Process.Pid)[""]; got != m.Path() {
					t.Errorf("/proc/%d/cgroup shows %q for v2, want %q", cmd.Process.Pid, got, m.Path())
				}
				cmds = append(cmds, cmd)
			}
			if procs, err := m.Procs(); err != nil || len(procs) != 3 {
				t.Fatalf("Procs = %v, %v; want 3 pids", procs, err)
			}
			if err := m.kill(useKillFile); err != nil {
				t.Fatalf("Kill: %v", err)
			}
			for _, cmd := range cmds {
				if err := cmd.Wait(); !killedBySIGKILL(err) {
					t.Errorf("child ended with %v, want killed by SIGKILL", err)
				}
			}
			if got, err := readFile(m.dir(), "cgroup.freeze"); err != nil || got != "0" {
				t.Errorf("cgroup.freeze = %q, %v; want 0 (thawed)", got, err)
			}
			if err := m.Destroy(); err != nil {
				t.Fatalf("Destroy: %v", err)
			}
			if exists(m.dir()) {
				t.Errorf("%s still exists after Destroy", m.dir())
			}
		})
	}
}
