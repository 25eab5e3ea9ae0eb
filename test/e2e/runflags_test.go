//go:build linux

package e2e

import (
	"os"
	"strings"
	"testing"
)

// v2Host tells whether the host runs cgroup v2.
func v2Host() bool {
	_, err := os.Stat("/sys/fs/cgroup/cgroup.controllers")
	return err == nil
}

// The flags that shape the process and its namespaces, seen from inside the container.
func TestRunHostFlags(t *testing.T) {
	e := newEnv(t)
	e.withBusybox()
	hostNs := func(ns string) string {
		l, err := os.Readlink("/proc/self/ns/" + ns)
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	for _, tt := range []struct {
		name   string
		flags  []string
		script string
		want   string
	}{
		{"--ulimit nofile", []string{"--ulimit", "nofile=1024:2048"}, "ulimit -n; ulimit -Hn", "1024\n2048\n"},
		{"--ulimit twice: the last wins", []string{"--ulimit", "nofile=100", "--ulimit", "nofile=200:300", "--ulimit", "nproc=50"}, "ulimit -n; ulimit -Hn; ulimit -u", "200\n300\n50\n"},
		{"default /dev/shm is 64m", nil, "df -k /dev/shm | tail -n 1 | awk '{print $2}'", "65536\n"},
		{"--shm-size 128m", []string{"--shm-size", "128m"}, "df -k /dev/shm | tail -n 1 | awk '{print $2}'", "131072\n"},
		{"--ipc none: no /dev/shm", []string{"--ipc", "none"}, "grep -c ' /dev/shm ' /proc/mounts || true", "0\n"},
		{"--sysctl net", []string{"--sysctl", "net.ipv4.ip_forward=1"}, "cat /proc/sys/net/ipv4/ip_forward", "1\n"},
		{"--sysctl kernel.shmmax", []string{"--sysctl", "kernel.shmmax=123456"}, "cat /proc/sys/kernel/shmmax", "123456\n"},
		{"--group-add by name and number", []string{"--group-add", "extra", "--group-add", "4242"}, "id -G", "0 1001 4242\n"},
		{"--group-add with -u", []string{"-u", "1000:1000", "--group-add", "nogroup"}, "id -G", "1000 65534\n"},
		{"--oom-score-adj", []string{"--oom-score-adj", "500"}, "cat /proc/self/oom_score_adj", "500\n"},
		{"--pid host", []string{"--pid", "host"}, "readlink /proc/self/ns/pid", hostNs("pid") + "\n"},
		{"private pid", nil, "echo $$", "1\n"},
		{"--ipc host", []string{"--ipc", "host"}, "readlink /proc/self/ns/ipc", hostNs("ipc") + "\n"},
		{"--uts host", []string{"--uts", "host"}, "readlink /proc/self/ns/uts; hostname", hostNs("uts") + "\n" + hostname(t) + "\n"},
		{"--cgroupns host", []string{"--cgroupns", "host"}, "readlink /proc/self/ns/cgroup", hostNs("cgroup") + "\n"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := e.sh(tt.flags, tt.script); got != tt.want {
				t.Errorf("%v: %q, want %q", tt.flags, got, tt.want)
			}
		})
	}
	// A private cgroup namespace is another one.
	if got := e.sh([]string{"--cgroupns", "private"}, "readlink /proc/self/ns/cgroup"); got == hostNs("cgroup")+"\n" {
		t.Errorf("--cgroupns private: the host's cgroup namespace %q", got)
	}
	e.assertNoCgroups()
}

func hostname(t *testing.T) string {
	h, err := os.Hostname()
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// --pid container:NAME and --ipc container:NAME join a running container's namespaces.
func TestRunJoinNamespaces(t *testing.T) {
	e := newEnv(t)
	e.withBusybox()
	t.Cleanup(func() { e.gd("rm", "-f", "donor", "private") })
	e.ok("run", "-d", "--name", "donor", "--ipc", "shareable", "busybox", "sleep", "300")
	// The donor's sleep is seen from the other container, which is in its IPC namespace.
	out := e.sh([]string{"--pid", "container:donor", "--ipc", "container:donor"}, "ps -o comm | grep -c sleep; readlink /proc/self/ns/ipc")
	donorIpc := e.ok("exec", "donor", "readlink", "/proc/self/ns/ipc")
	if want := "1\n" + donorIpc; out != want {
		t.Errorf("joined: %q, want %q", out, want)
	}
	if got := e.ok("inspect", "-f", "{{.HostConfig.IpcMode}}", "donor"); got != "shareable\n" {
		t.Errorf("donor IpcMode %q", got)
	}
	// A container with the default (private) IPC cannot be joined, as in Docker.
	e.ok("run", "-d", "--name", "private", "busybox", "sleep", "300")
	e.fails(125, "container private: non-shareable IPC (hint: use IpcMode:shareable for the donor container)",
		"run", "--rm", "--ipc", "container:private", "busybox", "true")
	e.fails(125, "No such container: nosuch", "run", "--rm", "--pid", "container:nosuch", "busybox", "true")
}

// What inspect shows of the flags, with Docker's names and defaults.
func TestInspectHostFlags(t *testing.T) {
	e := newEnv(t)
	e.withBusybox()
	t.Cleanup(func() { e.gd("rm", "-f", "plain", "flags") })
	e.ok("run", "--name", "plain", "busybox", "true")
	cgroupns := "host"
	if v2Host() {
		cgroupns = "private"
	}
	got := e.ok("inspect", "-f", "{{.HostConfig.ShmSize}} {{.HostConfig.IpcMode}} {{.HostConfig.CgroupnsMode}} {{.HostConfig.PidMode}}|{{.HostConfig.Ulimits}} {{.HostConfig.OomScoreAdj}} {{.HostConfig.CpuQuota}}", "plain")
	if want := "67108864 private " + cgroupns + " |[] 0 0\n"; got != want {
		t.Errorf("defaults: %q, want %q", got, want)
	}
	e.ok("run", "--name", "flags", "--ulimit", "nofile=1024:2048", "--shm-size", "1g", "--sysctl", "net.core.somaxconn=1024",
		"--group-add", "extra", "--pid", "host", "--uts", "host", "--ipc", "shareable", "--cgroupns", "private",
		"--memory-reservation", "32m", "-m", "64m", "--cpu-quota", "50000", "--cpu-period", "100000", "--oom-score-adj", "100",
		"busybox", "true")
	got = e.ok("inspect", "-f", `{{range .HostConfig.Ulimits}}{{.Name}}={{.Soft}}:{{.Hard}}{{end}} {{.HostConfig.ShmSize}} {{json .HostConfig.Sysctls}} {{json .HostConfig.GroupAdd}} {{.HostConfig.PidMode}} {{.HostConfig.UTSMode}} {{.HostConfig.IpcMode}} {{.HostConfig.CgroupnsMode}} {{.HostConfig.MemoryReservation}} {{.HostConfig.CpuQuota}} {{.HostConfig.CpuPeriod}} {{.HostConfig.OomScoreAdj}}`, "flags")
	want := `nofile=1024:2048 1073741824 {"net.core.somaxconn":"1024"} ["extra"] host host shareable private 33554432 50000 100000 100` + "\n"
	if got != want {
		t.Errorf("inspect:\n got %s want %s", got, want)
	}
}

// The cgroup settings of run, seen in the container's cgroup files.
func TestRunCgroupFlags(t *testing.T) {
	e := newEnv(t)
	e.withBusybox()
	flags := []string{"-m", "64m", "--memory-reservation", "32m", "--cpu-period", "50000", "--cpu-quota", "25000"}
	script := `if [ -f /sys/fs/cgroup/cgroup.controllers ]; then cat /sys/fs/cgroup/cpu.max /sys/fs/cgroup/memory.low
else echo "$(cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us) $(cat /sys/fs/cgroup/cpu/cpu.cfs_period_us)"; cat /sys/fs/cgroup/memory/memory.soft_limit_in_bytes; fi`
	if got := e.sh(flags, script); got != "25000 50000\n33554432\n" {
		t.Errorf("cpu and memory reservation: %q", got)
	}
	if !v2Host() {
		if got := e.sh([]string{"-m", "64m", "--oom-kill-disable"}, "grep oom_kill_disable /sys/fs/cgroup/memory/memory.oom_control"); got != "oom_kill_disable 1\n" {
			t.Errorf("--oom-kill-disable: %q", got)
		}
	}
	// --blkio-weight: applied where the kernel has a weight, else dropped with Docker's warning.
	r := e.gd("run", "--rm", "--blkio-weight", "300", "busybox", "true")
	if r.Code != 0 {
		t.Fatalf("--blkio-weight 300: exit %d: %s", r.Code, r.Stderr)
	}
	_, e1 := os.Stat("/sys/fs/cgroup/blkio/blkio.weight")
	_, e2 := os.Stat("/sys/fs/cgroup/blkio/blkio.bfq.weight")
	if !v2Host() && e1 != nil && e2 != nil {
		if want := "WARNING: Your kernel does not support Block I/O weight or the cgroup is not mounted. Weight discarded.\n"; r.Stderr != want {
			t.Errorf("--blkio-weight without blkio.weight: stderr %q, want %q", r.Stderr, want)
		}
	}
	// --oom-kill-disable without -m: Docker's warning.
	r = e.gd("run", "--rm", "--oom-kill-disable", "busybox", "true")
	want := "WARNING: OOM killer is disabled for the container, but no memory limit is set, this can result in the system running out of resources.\n"
	if v2Host() {
		want = "WARNING: Your kernel does not support OomKillDisable. OomKillDisable discarded.\n"
	}
	if r.Code != 0 || r.Stderr != want {
		t.Errorf("--oom-kill-disable: exit %d, stderr %q, want %q", r.Code, r.Stderr, want)
	}
	e.assertNoCgroups()
}

// Bad values: exit 125, Docker's words, nothing created.
func TestRunHostFlagsBadValues(t *testing.T) {
	e := newEnv(t)
	e.withBusybox()
	for _, tt := range []struct {
		flags []string
		want  string
	}{
		{[]string{"--ulimit", "nofile=1024:512"}, `invalid argument "nofile=1024:512" for "--ulimit" flag: ulimit soft limit must be less than or equal to hard limit: 1024 > 512`},
		{[]string{"--ulimit", "foo=1"}, "invalid ulimit type: foo"},
		{[]string{"--ulimit", "nofile"}, "invalid ulimit argument: nofile"},
		{[]string{"--sysctl", "kernel.foo=1"}, `invalid argument "kernel.foo=1" for "--sysctl" flag: sysctl 'kernel.foo=1' is not allowed`},
		{[]string{"--sysctl", "net.ipv4.ip_forward=1", "--network", "host"}, `sysctl "net.ipv4.ip_forward" not allowed in host network namespace`},
		{[]string{"--sysctl", "kernel.shmmax=1", "--ipc", "host"}, `sysctl "kernel.shmmax" is not allowed in the hosts ipc namespace`},
		{[]string{"--shm-size", "10XB"}, "invalid size: '10XB'"},
		{[]string{"--pid", "foo"}, "--pid: invalid PID mode"},
		{[]string{"--uts", "foo"}, "--uts: invalid UTS mode"},
		{[]string{"--cgroupns", "foo"}, "--cgroupns: invalid CGROUP mode"},
		{[]string{"--ipc", "foo"}, "invalid IPC mode: foo"},
		{[]string{"--uts", "host", "-h", "x"}, "conflicting options: hostname and the UTS mode"},
		{[]string{"--oom-score-adj", "2000"}, "Invalid value 2000, range for oom score adj is [-1000, 1000]"},
		{[]string{"--cpu-period", "10"}, "CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)"},
		{[]string{"--cpu-quota", "10"}, "CPU cfs quota can not be less than 1ms (i.e. 1000)"},
		{[]string{"--cpus", "1", "--cpu-quota", "50000"}, "Conflicting options: Nano CPUs and CPU Quota cannot both be set"},
		{[]string{"--memory-reservation", "1k"}, "Minimum memory reservation allowed is 6MB"},
		{[]string{"-m", "16m", "--memory-reservation", "32m"}, "Minimum memory limit can not be less than memory reservation limit, see usage"},
		{[]string{"--group-add", "nosuchgroup"}, "Unable to find group nosuchgroup: no matching entries in group file"},
	} {
		args := append(append([]string{"run", "--rm"}, tt.flags...), "busybox", "true")
		r := e.gd(args...)
		if r.Code != 125 || !strings.Contains(r.Stderr, tt.want) {
			t.Errorf("%v: exit %d, stderr %q, want 125 and %q", tt.flags, r.Code, r.Stderr, tt.want)
		}
	}
	if got := e.entries("containers"); len(got) != 0 {
		t.Errorf("bad values left containers %v", got)
	}
	e.assertNoCgroups()
}

// update on a running container: the cgroup files change, inspect shows the new values,
// and they stay for the next start.
func TestUpdateRunning(t *testing.T) {
	e := newEnv(t)
	e.withBusybox()
	t.Cleanup(func() { e.gd("rm", "-f", "upd", "rmme") })
	id := strings.TrimSpace(e.ok("run", "-d", "--name", "upd", "-m", "64m", "busybox", "sleep", "300"))
	if out := e.ok("update", "--cpus", "0.5", "--cpu-shares", "512", "-m", "96m", "--memory-swap", "192m", "--memory-reservation", "32m", "--pids-limit", "30", "--restart", "on-failure:3", "upd"); out != "upd\n" {
		t.Errorf("update prints %q, want the name", out)
	}
	script := `if [ -f /sys/fs/cgroup/cgroup.controllers ]; then cat /sys/fs/cgroup/cpu.max /sys/fs/cgroup/memory.max /sys/fs/cgroup/memory.low /sys/fs/cgroup/pids.max /sys/fs/cgroup/cpu.weight
else echo "$(cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us) $(cat /sys/fs/cgroup/cpu/cpu.cfs_period_us)"; cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/memory/memory.soft_limit_in_bytes /sys/fs/cgroup/pids/pids.max /sys/fs/cgroup/cpu/cpu.shares; fi`
	want := "50000 100000\n100663296\n33554432\n30\n512\n"
	if v2Host() {
		want = "50000 100000\n100663296\n33554432\n30\n20\n"
	}
	if got := e.ok("exec", "upd", "sh", "-c", script); got != want {
		t.Errorf("cgroup after update: %q, want %q", got, want)
	}
	insp := `{{.HostConfig.NanoCpus}} {{.HostConfig.CpuShares}} {{.HostConfig.Memory}} {{.HostConfig.MemorySwap}} {{.HostConfig.MemoryReservation}} {{.HostConfig.PidsLimit}} {{.HostConfig.RestartPolicy.Name}}:{{.HostConfig.RestartPolicy.MaximumRetryCount}}`
	wantInsp := "500000000 512 100663296 201326592 33554432 30 on-failure:3\n"
	if got := e.ok("inspect", "-f", insp, "upd"); got != wantInsp {
		t.Errorf("inspect after update: %q, want %q", got, wantInsp)
	}
	// The next start keeps them.
	e.ok("restart", "-t", "0", "upd")
	if got := e.ok("exec", "upd", "sh", "-c", script); got != want {
		t.Errorf("cgroup after a restart: %q, want %q", got, want)
	}
	// Docker's errors: exit 1, the container unchanged.
	e.fails(1, "Cannot update container "+id+": Conflicting options: CPU Quota cannot be updated as NanoCPUs has already been set", "update", "--cpu-quota", "20000", "upd")
	e.fails(1, "Minimum memoryswap limit should be larger than memory limit, see usage", "update", "-m", "100m", "--memory-swap", "50m", "upd")
	e.fails(1, "Cannot update container "+id+": Memory limit should be smaller than already set memoryswap limit, update the memoryswap at the same time", "update", "-m", "1g", "upd")
	// 20 MiB in /dev/shm (memory of the container that cannot be reclaimed) is above 6m.
	e.ok("exec", "upd", "sh", "-c", "head -c 20971520 /dev/zero > /dev/shm/fill")
	e.fails(1, "Cannot update container "+id+": unable to set memory limit to 6291456 (current usage: ", "update", "-m", "6m", "--memory-swap", "6m", "--memory-reservation", "6m", "upd")
	e.fails(1, "you must provide one or more flags when using this command", "update", "upd")
	e.fails(1, "No such container: nosuch", "update", "-m", "64m", "nosuch")
	if got := e.ok("inspect", "-f", insp, "upd"); got != wantInsp {
		t.Errorf("inspect after failed updates: %q, want %q", got, wantInsp)
	}
	// A setting the kernel cannot apply: dropped, Docker's warning after the name, on stdout.
	_, e1 := os.Stat("/sys/fs/cgroup/blkio/blkio.weight")
	_, e2 := os.Stat("/sys/fs/cgroup/blkio/blkio.bfq.weight")
	if !v2Host() && e1 != nil && e2 != nil {
		want := "upd\nYour kernel does not support Block I/O weight or the cgroup is not mounted. Weight discarded.\n"
		if out := e.ok("update", "--blkio-weight", "300", "upd"); out != want {
			t.Errorf("update --blkio-weight without blkio.weight: %q, want %q", out, want)
		}
	}
	// --restart on a --rm container is refused.
	rmID := strings.TrimSpace(e.ok("run", "-d", "--rm", "--name", "rmme", "busybox", "sleep", "300"))
	e.fails(1, "Cannot update container "+rmID+": Restart policy cannot be updated because AutoRemove is enabled for the container", "update", "--restart", "always", "rmme")
}
