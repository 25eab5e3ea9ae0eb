package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// procStat is the state and parent of a process, from /proc/PID/stat.
func procStat(pid int) (state string, ppid int, ok bool) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return "", 0, false
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(f) < 2 {
		return "", 0, false
	}
	ppid, _ = strconv.Atoi(f[1])
	return f[0], ppid, true
}

// childrenOf lists the processes whose parent is pid, with their states.
func childrenOf(pid int) map[int]string {
	out := map[int]string{}
	dirs, _ := os.ReadDir("/proc")
	for _, d := range dirs {
		p, err := strconv.Atoi(d.Name())
		if err != nil {
			continue
		}
		if state, ppid, ok := procStat(p); ok && ppid == pid {
			out[p] = state
		}
	}
	return out
}

// A detached container's PID 1 is the child of its own geedocker-monitor, the small program
// installed next to geedocker (not geedocker-init, which started it and is gone).
func TestMonitorHoldsPID1(t *testing.T) {
	e := newEnv(t)
	e.withBusybox()
	id := e.detached("--network", "none", "busybox", "sleep", "300")
	pid, err := strconv.Atoi(e.inspectField(id, "{{.State.Pid}}"))
	if err != nil {
		t.Fatal(err)
	}
	_, mon, ok := procStat(pid)
	if !ok {
		t.Fatalf("PID 1 (%d) is gone", pid)
	}
	exe, _ := os.Readlink(fmt.Sprintf("/proc/%d/exe", mon))
	cmdline, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", mon))
	if filepath.Base(exe) != "geedocker-monitor" || !strings.Contains(string(cmdline), "container-monitor\x00"+id) {
		t.Errorf("PID 1's parent (%d) is %s %q, want geedocker-monitor … container-monitor %s", mon, exe, cmdline, id)
	}
	if kids := childrenOf(mon); len(kids) != 1 {
		t.Errorf("the monitor's children: %v, want PID 1 (%d) alone", kids, pid)
	}
	e.ok("stop", "-t", "1", id)
	if got := e.inspectField(id, "{{.State.Status}} {{.State.ExitCode}}"); got != "exited 143" && got != "exited 137" {
		t.Errorf("after stop: %q", got)
	}
}

// Without a PID namespace of its own, what a container's processes leave behind is the
// monitor's to reap (a child subreaper): no zombie piles up under it while the container
// runs, and a process that outlives PID 1 (holding the output open) does not keep the exit
// from being recorded.
func TestMonitorReapsOrphans(t *testing.T) {
	e := newEnv(t)
	e.withBusybox()
	id := e.detached("--network", "none", "--pid", "host", "busybox", "sh", "-c",
		"for i in 1 2 3 4 5; do (sleep 0.05 &); done; echo spawned; sleep 300")
	e.awaitLog(id, "spawned")
	pid, err := strconv.Atoi(e.inspectField(id, "{{.State.Pid}}"))
	if err != nil {
		t.Fatal(err)
	}
	_, mon, _ := procStat(pid)
	awaitCond(t, "the orphans reaped", func() string {
		kids := childrenOf(mon)
		if len(kids) != 1 {
			return fmt.Sprintf("the monitor's children: %v, want PID 1 (%d) alone", kids, pid)
		}
		return ""
	})
	e.ok("rm", "-f", id)

	id = e.detached("--network", "none", "--pid", "host", "busybox", "sh", "-c", "sleep 300 & echo bye; exit 3")
	if got := e.ok("wait", id); got != "3\n" {
		t.Errorf("wait: %q, want 3", got)
	}
	if got := e.ok("logs", id); got != "bye\n" {
		t.Errorf("logs: %q", got)
	}
	e.ok("rm", id)
	e.assertNoCgroups()
}
