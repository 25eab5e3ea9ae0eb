//go:build linux

package e2e

import (
	"strings"
	"testing"
)

// The docker CLI 28 against `geedocker serve`: run's host flags reach the container and
// inspect, and `docker update` changes a running container.
func TestAPIHostFlagsAndUpdate(t *testing.T) {
	needDocker(t)
	e := newEnv(t)
	e.withBusybox()
	s := e.serve(false)

	out := s.ok("run", "--rm", "--ulimit", "nofile=1024:2048", "--shm-size", "128m", "--sysctl", "net.ipv4.ip_forward=1",
		"--group-add", "extra", "--oom-score-adj", "300", "busybox", "sh", "-c",
		"ulimit -n; df -k /dev/shm | tail -n 1 | awk '{print $2}'; cat /proc/sys/net/ipv4/ip_forward; id -G; cat /proc/self/oom_score_adj")
	if want := "1024\n131072\n1\n0 1001\n300\n"; out != want {
		t.Errorf("docker run with host flags: %q, want %q", out, want)
	}
	s.ok("run", "-d", "--name", "upd", "-m", "64m", "--memory-reservation", "32m", "--cpu-period", "50000", "--cpu-quota", "25000",
		"--ipc", "shareable", "--ulimit", "nproc=100", "busybox", "sleep", "300")
	got := s.ok("inspect", "-f", "{{.HostConfig.MemoryReservation}} {{.HostConfig.CpuPeriod}} {{.HostConfig.CpuQuota}} {{.HostConfig.IpcMode}} {{.HostConfig.ShmSize}} {{range .HostConfig.Ulimits}}{{.Name}}={{.Soft}}:{{.Hard}}{{end}}", "upd")
	if want := "33554432 50000 25000 shareable 67108864 nproc=100:100\n"; got != want {
		t.Errorf("docker inspect: %q, want %q", got, want)
	}
	if out := s.ok("update", "--cpu-quota", "40000", "-m", "128m", "--memory-swap", "256m", "--pids-limit", "40", "upd"); out != "upd\n" {
		t.Errorf("docker update printed %q", out)
	}
	got = s.ok("inspect", "-f", "{{.HostConfig.CpuQuota}} {{.HostConfig.Memory}} {{.HostConfig.MemorySwap}} {{.HostConfig.PidsLimit}}", "upd")
	if want := "40000 134217728 268435456 40\n"; got != want {
		t.Errorf("docker inspect after update: %q, want %q", got, want)
	}
	script := `if [ -f /sys/fs/cgroup/cgroup.controllers ]; then cat /sys/fs/cgroup/cpu.max /sys/fs/cgroup/memory.max /sys/fs/cgroup/pids.max
else echo "$(cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us) $(cat /sys/fs/cgroup/cpu/cpu.cfs_period_us)"; cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/pids/pids.max; fi`
	if got := s.ok("exec", "upd", "sh", "-c", script); got != "40000 50000\n134217728\n40\n" {
		t.Errorf("cgroup after docker update: %q", got)
	}
	s.fails(1, "Conflicting options: Nano CPUs and CPU Period cannot both be set", "update", "--cpus", "1", "--cpu-period", "100000", "upd")
	s.fails(1, "Memory limit should be smaller than already set memoryswap limit, update the memoryswap at the same time", "update", "-m", "1g", "upd")
	if r := s.docker("run", "--rm", "--sysctl", "net.ipv4.ip_forward=1", "--network", "host", "busybox", "true"); r.Code != 125 ||
		!strings.Contains(r.Stderr, `sysctl "net.ipv4.ip_forward" not allowed in host network namespace`) {
		t.Errorf("docker run --sysctl net.* --network host: exit %d, stderr %q", r.Code, r.Stderr)
	}
}
