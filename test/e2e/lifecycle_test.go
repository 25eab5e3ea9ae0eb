//go:build linux

package e2e

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// detached starts `run -d` and returns the container ID, removing the
// container at the end of the test.
func (e *env) detached(args ...string) string {
	e.t.Helper()
	out := e.ok(append([]string{"run", "-d"}, args...)...)
	id := strings.TrimSpace(out)
	if len(id) != 64 {
		e.t.Fatalf("run -d printed %q, want a 64-character ID", out)
	}
	e.t.Cleanup(func() { e.gd("rm", "-f", id) })
	return id
}

// inspectField reads one field of `inspect` through a Go template.
func (e *env) inspectField(ref, tmpl string) string {
	e.t.Helper()
	return strings.TrimSpace(e.ok("inspect", "-f", tmpl, ref))
}

// awaitLog waits until the container's logs contain want.
func (e *env) awaitLog(ref, want string) {
	e.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		r := e.gd("logs", ref)
		if strings.Contains(r.Stdout+r.Stderr, want) {
			return
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("logs of %s never showed %q:\n%s%s", ref, want, r.Stdout, r.Stderr)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestDetachedLifecycle(t *testing.T) {
	e := newEnv(t)
	e.withBusybox()
	id := e.detached("--name", "sleeper", "busybox", "sleep", "300")
	ps := e.ok("ps")
	if !strings.HasPrefix(ps, "CONTAINER ID") || !strings.Contains(ps, id[:12]) || !strings.Contains(ps, "sleeper") || !strings.Contains(ps, "Up ") {
		t.Errorf("ps:\n%s", ps)
	}
	if !strings.Contains(ps, `"sleep 300"`) {
		t.Errorf("ps COMMAND column:\n%s", ps)
	}
	if got := e.ok("ps", "-q"); got != id[:12]+"\n" {
		t.Errorf("ps -q = %q", got)
	}
	if got := e.ok("ps", "-q", "--no-trunc", "--filter", "name=sleep"); got != id+"\n" {
		t.Errorf("ps --filter name=sleep = %q", got)
	}
	if got := e.inspectField("sleeper", "{{.State.Status}} {{.State.Running}} {{.Name}}"); got != "running true /sleeper" {
		t.Errorf("inspect = %q", got)
	}
	// By ID prefix, name, full ID.
	for _, ref := range []string{id[:5], "sleeper", id} {
		if got := e.inspectField(ref, "{{.Id}}"); got != id {
			t.Errorf("inspect %s = %q", ref, got)
		}
	}
	// top shows the process as the host sees it.
	if top := e.ok("top", "sleeper"); !strings.Contains(top, "sleep 300") {
		t.Errorf("top:\n%s", top)
	}
	if stats := e.ok("stats", "--no-stream", "sleeper"); !strings.Contains(stats, "sleeper") || !strings.Contains(stats, "iB / ") || !strings.HasSuffix(stats, "1\n") {
		t.Errorf("stats:\n%s", stats)
	}
	// A running container is not removed without -f; the name is taken.
	e.fails(1, "container is running", "rm", "sleeper")
	e.fails(125, "is already in use", "run", "-d", "--name", "sleeper", "busybox", "true")
	if got := e.ok("stop", "-t", "5", "sleeper"); got != "sleeper\n" {
		t.Errorf("stop printed %q", got)
	}
	// sleep as PID 1 has no SIGTERM handler: the kernel ignores it, so stop
	// kills it at the deadline.
	if got := e.inspectField(id, "{{.State.Status}} {{.State.ExitCode}}"); got != "exited 137" {
		t.Errorf("after stop: %q", got)
	}
	ps = e.ok("ps", "-a")
	if !strings.Contains(ps, "Exited (137)") {
		t.Errorf("ps -a after stop:\n%s", ps)
	}
	if got := e.ok("ps", "-q"); got != "" {
		t.Errorf("ps after stop lists %q", got)
	}
	if got := e.ok("wait", id); got != "137\n" {
		t.Errorf("wait = %q", got)
	}
	// An image that a container uses, even a stopped one, is kept.
	e.fails(1, "image is being used by container "+id[:12], "rmi", "busybox")
	e.ok("rm", "sleeper")
	e.fails(1, "No such container: sleeper", "inspect", "--type", "container", "sleeper")
	if out := e.ok("rmi", "busybox"); !strings.Contains(out, "Untagged: busybox:latest") {
		t.Errorf("rmi once the container is gone: %q", out)
	}
	e.fails(1, "No such container: nothing", "stop", "nothing")
}

func TestLogs(t *testing.T) {
	e := newEnv(t)
	e.withBusybox()
	id := e.detached("busybox", "sh", "-c", "echo out1; echo err1 >&2; sleep 300")
	e.awaitLog(id, "err1")
	r := e.gd("logs", id)
	if r.Stdout != "out1\n" || r.Stderr != "err1\n" {
		t.Errorf("logs: stdout %q stderr %q", r.Stdout, r.Stderr)
	}
	// (stdout and stderr are two pipes: their relative order is not
	// defined, so --tail is checked on one stream.)
	seq := e.detached("busybox", "sh", "-c", "echo a; echo b; echo c; sleep 300")
	e.awaitLog(seq, "c")
	if got := e.ok("logs", "--tail", "2", seq); got != "b\nc\n" {
		t.Errorf("logs --tail 2: %q", got)
	}
	r = e.gd("logs", "-t", id)
	if !strings.Contains(r.Stdout, "Z out1") && !strings.Contains(r.Stdout, " out1") {
		t.Errorf("logs -t: %q", r.Stdout)
	}
	// A foreground container's output is logged too.
	e.ok("run", "--name", "fg", "busybox", "sh", "-c", "echo foreground")
	if got := e.ok("logs", "fg"); got != "foreground\n" {
		t.Errorf("logs of a foreground container: %q", got)
	}
	// logs -f follows new lines until the container exits.
	f := e.detached("busybox", "sh", "-c", "for i in 1 2 3; do echo line$i; sleep 0.2; done")
	cmd := e.command("logs", "-f", f)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(out)
	var lines []string
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	if err := cmd.Wait(); err != nil {
		t.Errorf("logs -f: %v", err)
	}
	if strings.Join(lines, ",") != "line1,line2,line3" {
		t.Errorf("logs -f saw %v", lines)
	}
}

func TestSignalsAndRestart(t *testing.T) {
	e := newEnv(t)
	e.withBusybox()
	// kill -s USR1 reaches a trap in the container.
	id := e.detached("busybox", "sh", "-c", "trap 'echo got-usr1' USR1; echo ready; while :; do sleep 0.1; done")
	e.awaitLog(id, "ready")
	e.ok("kill", "-s", "USR1", id)
	e.awaitLog(id, "got-usr1")
	// stop with the default signal: sh traps nothing here, so SIGTERM is
	// ignored by PID 1 and the deadline kills it.
	start := time.Now()
	e.ok("stop", "-t", "1", id)
	if got := e.inspectField(id, "{{.State.ExitCode}}"); got != "137" {
		t.Errorf("exit after stop -t 1: %s", got)
	}
	t.Logf("stop -t 1 took %v", time.Since(start))
	// A handler for SIGTERM ends it at once with its own code.
	id2 := e.detached("busybox", "sh", "-c", "trap 'exit 42' TERM; echo ready; while :; do sleep 0.1; done")
	e.awaitLog(id2, "ready")
	e.ok("stop", id2)
	if got := e.inspectField(id2, "{{.State.ExitCode}}"); got != "42" {
		t.Errorf("exit after a handled SIGTERM: %s", got)
	}
	// start keeps the container's files.
	id3 := e.detached("busybox", "sh", "-c", "echo run >> /runs; cat /runs | wc -l")
	if got := e.ok("wait", id3); got != "0\n" {
		t.Errorf("wait: %q", got)
	}
	e.ok("start", id3)
	e.ok("wait", id3)
	if got := e.ok("logs", id3); got != "1\n2\n" {
		t.Errorf("logs after start of an exited container: %q", got)
	}
	// --restart on-failure:2 retries twice, then stays exited.
	id4 := e.detached("--restart", "on-failure:2", "busybox", "sh", "-c", "echo try; exit 3")
	if got := e.ok("wait", id4); got != "3\n" {
		t.Errorf("wait after retries: %q", got)
	}
	if got := e.inspectField(id4, "{{.RestartCount}} {{.State.Status}}"); got != "2 exited" {
		t.Errorf("restart count: %q", got)
	}
	if got := e.ok("logs", id4); got != "try\ntry\ntry\n" {
		t.Errorf("logs of a restarted container: %q", got)
	}
	e.fails(125, "invalid restart policy", "run", "-d", "--restart", "sometimes", "busybox", "true")
}

func TestOOMInspect(t *testing.T) {
	e := newEnv(t)
	e.withBusybox()
	id := e.detached("--memory", "32m", "--memory-swap", "32m", "busybox", "sh", "-c", "tail /dev/zero")
	if got := e.ok("wait", id); got != "137\n" {
		t.Errorf("wait: %q", got)
	}
	var docs []map[string]any
	if err := json.Unmarshal([]byte(e.ok("inspect", id)), &docs); err != nil || len(docs) != 1 {
		t.Fatalf("inspect: %v", err)
	}
	st := docs[0]["State"].(map[string]any)
	if st["OOMKilled"] != true || st["ExitCode"] != float64(137) || st["Status"] != "exited" {
		t.Errorf("State after an OOM kill: %v", st)
	}
	hc := docs[0]["HostConfig"].(map[string]any)
	if hc["Memory"] != float64(32<<20) {
		t.Errorf("HostConfig.Memory = %v", hc["Memory"])
	}
}

// A monitor killed with SIGKILL leaves a container that the next command
// repairs: ps shows it exited, rm removes it, nothing is left.
func TestMonitorKilled(t *testing.T) {
	e := newEnv(t)
	e.withBusybox()
	id := e.detached("busybox", "sleep", "300")
	pid, _ := strconv.Atoi(e.inspectField(id, "{{.State.Pid}}"))
	monitor := parentOf(t, pid)
	if err := syscall.Kill(monitor, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	waitProcessGone(t, monitor)
	if got := e.inspectField(id, "{{.State.Status}}"); got != "exited" {
		t.Errorf("after the monitor was killed: %s", got)
	}
	if _, err := os.Stat(fmt.Sprintf("/proc/%d", pid)); err == nil {
		if st, _ := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid)); !strings.Contains(string(st), ") Z") {
			t.Errorf("the container's process %d still runs", pid)
		}
	}
	e.ok("rm", id)
	e.assertNoCgroups()
}

func parentOf(t *testing.T, pid int) int {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	ppid, _ := strconv.Atoi(f[1])
	return ppid
}

func waitProcessGone(t *testing.T, pid int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil || strings.Contains(string(b), ") Z") {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("process %d did not end", pid)
}

func TestParallelRunAndRemove(t *testing.T) {
	e := newEnv(t)
	e.withBusybox()
	before := mountsUnder(t, e.root)
	var wg sync.WaitGroup
	errs := make(chan string, 20)
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if r := e.gd("run", "-d", "busybox", "sleep", "300"); r.Code != 0 {
				errs <- r.Stderr
			}
		}()
	}
	// ps in a loop meanwhile.
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; i < 10; i++ {
			if r := e.gd("ps", "-a"); r.Code != 0 {
				errs <- "ps: " + r.Stderr
			}
		}
	}()
	wg.Wait()
	close(errs)
	for s := range errs {
		t.Error(s)
	}
	if n := mountsUnder(t, e.root); n != 0 {
		t.Errorf("%d mounts of running containers are visible on the host", n)
	}
	ids := strings.Fields(e.ok("ps", "-aq"))
	if len(ids) != 20 {
		t.Fatalf("ps -aq lists %d containers, want 20", len(ids))
	}
	names := map[string]bool{}
	for _, n := range strings.Fields(e.ok("ps", "-a", "--format", "{{.Names}}")) {
		names[n] = true
	}
	if len(names) != 20 {
		t.Errorf("%d distinct names for 20 containers", len(names))
	}
	e.ok(append([]string{"rm", "-f"}, ids...)...)
	if got := e.ok("ps", "-aq"); got != "" {
		t.Errorf("after rm -f: %q", got)
	}
	if got := e.entries("containers"); len(got) != 0 {
		t.Errorf("containers/ holds %v", got)
	}
	if after := mountsUnder(t, e.root); after != before {
		t.Errorf("mounts: %d before, %d after", before, after)
	}
	e.assertNoCgroups()
	// An ambiguous prefix is refused.
	a := e.detached("busybox", "true")
	b := e.detached("busybox", "true")
	for n := 1; n < 64 && a[:n] == b[:n]; n++ {
		e.fails(1, "multiple containers found with provided prefix", "inspect", "--type", "container", a[:n])
	}

}

// An OOM kill is recorded when it happens: a child of PID 1 killed by the OOM killer shows
// as OOMKilled while the container still runs (the monitor watches the cgroup).
func TestOOMRecordedLive(t *testing.T) {
	e := newEnv(t)
	e.withBusybox()
	id := e.detached("--memory", "32m", "--memory-swap", "32m", "busybox", "sh", "-c", "tail /dev/zero; echo survived; sleep 300")
	e.awaitLog(id, "survived")
	deadline := time.Now().Add(30 * time.Second)
	for {
		got := e.inspectField(id, "{{.State.Status}} {{.State.OOMKilled}}")
		if got == "running true" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after an OOM kill inside the running container, inspect says %q, want \"running true\"", got)
		}
		time.Sleep(20 * time.Millisecond)
	}
	e.ok("rm", "-f", id)
	e.assertNoCgroups()
}

// stop during a restart back-off returns at once: before the back-off would have ended,
// with the container exited and not restarted again.
func TestMonitorStopDuringBackoff(t *testing.T) {
	e := newEnv(t)
	e.withBusybox()
	id := e.detached("--restart", "always", "busybox", "false")
	// Back-offs double from 100 ms: after 4 restarts the next one lasts 1.6 s.
	const restarts = 4
	deadline := time.Now().Add(60 * time.Second)
	var finished time.Time
	for {
		got := strings.Fields(e.inspectField(id, "{{.State.Status}} {{.RestartCount}} {{.State.FinishedAt}}"))
		if len(got) == 3 && got[0] == "restarting" {
			if n, _ := strconv.Atoi(got[1]); n >= restarts {
				var err error
				if finished, err = time.Parse(time.RFC3339Nano, got[2]); err != nil {
					t.Fatal(err)
				}
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("never saw %d restarts: %v", restarts, got)
		}
		time.Sleep(10 * time.Millisecond)
	}
	count := e.inspectField(id, "{{.RestartCount}}")
	n, _ := strconv.Atoi(count)
	backoffEnd := finished.Add(100 * time.Millisecond << n)
	e.ok("stop", "-t", "1", id)
	if now := time.Now(); !now.Before(backoffEnd) {
		t.Errorf("stop returned at %v, after the back-off ended (%v): it was not cut short", now, backoffEnd)
	}
	if got := e.inspectField(id, "{{.State.Status}} {{.RestartCount}}"); got != "exited "+count {
		t.Errorf("after stop during the back-off: %q, want \"exited %s\"", got, count)
	}
	// The last exit, `false`'s 1. (The record also says restarting in the instant between a
	// back-off's end and the next start; a stop that lands there stops that start, with
	// SIGKILL's 137, as Docker's would.)
	if got := e.ok("wait", id); got != "1\n" && got != "137\n" {
		t.Errorf("wait: %q", got)
	}
}

// An attach client that stops reading while the container writes 100 MB: the container
// finishes and its log holds everything (the monitor drops the client, it never waits).
func TestAttachStalledClient(t *testing.T) {
	e := newEnv(t)
	e.withBusybox()
	id := e.detached("-i", "busybox", "sh", "-c", "read x; head -c 100000000 /dev/zero | tr '\\0' a; echo; echo done")
	conn, err := net.Dial("unix", filepath.Join(runDir(e.root), id[:12]+".sock"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// One input frame (type 'i', big-endian length, payload) lets the container go on; then
	// this client never reads.
	line := []byte("go\n")
	frame := append([]byte{'i', 0, 0, 0, byte(len(line))}, line...)
	if _, err := conn.Write(frame); err != nil {
		t.Fatal(err)
	}
	if got := e.ok("wait", id); got != "0\n" {
		t.Fatalf("wait: %q", got)
	}
	out := e.ok("logs", id)
	if want := 100000000 + len("\ndone\n"); len(out) != want || !strings.HasSuffix(out, "a\ndone\n") {
		t.Errorf("logs: %d bytes ending %q, want %d ending \"a\\ndone\\n\"", len(out), out[max(0, len(out)-10):], want)
	}
}
