//go:build linux

package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// frozen tells whether the kernel says the container's cgroup is frozen: freezer.state on
// cgroup v1, cgroup.freeze on v2.
func (e *env) frozen(id string) bool {
	e.t.Helper()
	if b, err := os.ReadFile(filepath.Join("/sys/fs/cgroup/freezer", e.cgroup, id, "freezer.state")); err == nil {
		return strings.TrimSpace(string(b)) == "FROZEN"
	}
	b, err := os.ReadFile(filepath.Join("/sys/fs/cgroup", e.cgroup, id, "cgroup.freeze"))
	if err != nil {
		e.t.Fatalf("the freezer of %s: %v", id[:12], err)
	}
	return strings.TrimSpace(string(b)) == "1"
}

func TestPauseUnpause(t *testing.T) {
	e := newEnv(t)
	e.withBusybox()
	// The trap shows which signal ended it: 3 for SIGTERM, 137 for SIGKILL.
	id := e.detached("--name", "pz", "busybox", "sh", "-c", `trap "exit 3" TERM; while :; do sleep 0.1; done`)

	if got := e.ok("pause", "pz"); got != "pz\n" {
		t.Errorf("pause printed %q", got)
	}
	if !e.frozen(id) {
		t.Error("pause: the cgroup is not frozen")
	}
	if got := e.inspectField("pz", "{{.State.Status}} {{.State.Running}} {{.State.Paused}}"); got != "paused true true" {
		t.Errorf("inspect after pause = %q", got)
	}
	if ps := e.ok("ps"); !strings.Contains(ps, "(Paused)") || !strings.Contains(ps, "Up ") {
		t.Errorf("ps of a paused container:\n%s", ps)
	}
	if got := e.ok("ps", "-q", "--filter", "status=paused"); got != id[:12]+"\n" {
		t.Errorf("ps --filter status=paused = %q", got)
	}
	if got := e.ok("ps", "-q", "--filter", "status=running"); got != "" {
		t.Errorf("ps --filter status=running lists a paused container: %q", got)
	}
	e.fails(1, "Container "+id+" is already paused", "pause", "pz")
	e.fails(1, "Container "+id+" is paused, unpause the container before exec", "exec", "pz", "true")
	e.fails(1, "You cannot attach to a paused container, unpause it first", "attach", "pz")
	// Another command sees it paused, not exited: its monitor runs outside the frozen cgroup.
	if got := e.inspectField("pz", "{{.State.Status}}"); got != "paused" {
		t.Errorf("a second look = %q", got)
	}

	if got := e.ok("container", "unpause", "pz"); got != "pz\n" {
		t.Errorf("unpause printed %q", got)
	}
	if e.frozen(id) {
		t.Error("unpause: the cgroup is still frozen")
	}
	if got := e.inspectField("pz", "{{.State.Status}} {{.State.Running}} {{.State.Paused}}"); got != "running true false" {
		t.Errorf("inspect after unpause = %q", got)
	}
	e.fails(1, "Container "+id+" is not paused", "unpause", "pz")
	if got := e.ok("exec", "pz", "echo", "in"); got != "in\n" {
		t.Errorf("exec after unpause = %q", got)
	}

	// start refuses a paused container; restart stops it (thawed) and starts it again.
	e.ok("pause", "pz")
	e.fails(1, "cannot start a paused container, try unpause instead", "start", "pz")
	e.ok("restart", "pz")
	if got := e.inspectField("pz", "{{.State.Status}} {{.State.Paused}}"); got != "running false" {
		t.Errorf("after restart of a paused container: %q", got)
	}
	if e.frozen(id) {
		t.Error("restart: the new cgroup is frozen")
	}

	// stop of a paused container: it is thawed and gets SIGTERM, as Docker does.
	e.ok("container", "pause", "pz")
	e.ok("stop", "pz")
	if got := e.inspectField("pz", "{{.State.Status}} {{.State.Paused}} {{.State.ExitCode}}"); got != "exited false 3" {
		t.Errorf("after stop of a paused container: %q", got)
	}
	e.fails(1, "Container "+id+" is not running", "pause", "pz")
	e.fails(1, "Container "+id+" is not paused", "unpause", "pz")
	e.fails(1, "No such container: nothing", "pause", "nothing")
}

// kill and rm -f of a paused container, and the repair of a paused container whose monitor died.
func TestPausedKillRemoveRepair(t *testing.T) {
	e := newEnv(t)
	e.withBusybox()
	e.detached("--name", "kz", "busybox", "sleep", "300")
	e.ok("pause", "kz")
	e.ok("kill", "kz")
	if got := e.ok("wait", "kz"); got != "137\n" {
		t.Errorf("wait after kill of a paused container = %q", got)
	}
	if got := e.inspectField("kz", "{{.State.Status}} {{.State.Paused}} {{.State.ExitCode}}"); got != "exited false 137" {
		t.Errorf("after kill of a paused container: %q", got)
	}

	e.detached("--name", "rz", "busybox", "sleep", "300")
	e.ok("pause", "rz")
	e.ok("rm", "-f", "rz")
	if got := e.ok("ps", "-aq", "--filter", "name=rz"); got != "" {
		t.Errorf("rm -f of a paused container left %q", got)
	}

	// A paused container whose monitor is SIGKILLed: the next command repairs it (what is
	// left in its frozen cgroup is killed, the cgroup removed) and it shows as exited.
	m := e.detached("--name", "mz", "busybox", "sleep", "300")
	e.ok("pause", "mz")
	b, err := os.ReadFile(filepath.Join(runDir(e.root), m+".json"))
	if err != nil {
		t.Fatal(err)
	}
	var rs struct {
		MonitorPid int `json:"monitorPid"`
	}
	if err := json.Unmarshal(b, &rs); err != nil || rs.MonitorPid == 0 {
		t.Fatalf("run state %s: %v", b, err)
	}
	syscall.Kill(rs.MonitorPid, syscall.SIGKILL)
	deadline := time.Now().Add(30 * time.Second)
	for processLives(rs.MonitorPid) && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if got := e.inspectField("mz", "{{.State.Status}} {{.State.Paused}} {{.State.ExitCode}}"); got != "exited false 137" {
		t.Errorf("a paused container whose monitor died: %q", got)
	}
	e.ok("rm", "kz", "mz")
	e.assertNoCgroups()
}

// processLives tells whether pid runs: it exists and is no zombie.
func processLives(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i > 0 && i+2 < len(s) && s[i+2] != 'Z'
}

// pause and unpause through the Engine API, with the docker CLI.
func TestAPIPause(t *testing.T) {
	needDocker(t)
	e := newEnv(t)
	e.withBusybox()
	s := e.serve(false)
	id := strings.TrimSpace(s.ok("run", "-d", "--name", "pz", "busybox", "sleep", "300"))
	if got := s.ok("pause", "pz"); got != "pz\n" {
		t.Errorf("docker pause printed %q", got)
	}
	if got := s.ok("inspect", "-f", "{{.State.Status}} {{.State.Paused}}", "pz"); got != "paused true\n" {
		t.Errorf("docker inspect after pause = %q", got)
	}
	if ps := s.ok("ps"); !strings.Contains(ps, "(Paused)") {
		t.Errorf("docker ps of a paused container:\n%s", ps)
	}
	// The CLI sees what the API did.
	if got := e.inspectField("pz", "{{.State.Paused}}"); got != "true" {
		t.Errorf("geedocker inspect of a container paused through the API = %q", got)
	}
	s.fails(1, "Error response from daemon: Container "+id+" is already paused", "pause", "pz")
	s.fails(1, "Error response from daemon: Container "+id+" is paused, unpause the container before exec", "exec", "pz", "true")
	s.fails(1, "cannot start a paused container, try unpause instead", "start", "pz")
	s.ok("unpause", "pz")
	s.fails(1, "Error response from daemon: Container "+id+" is not paused", "unpause", "pz")
	if got := s.ok("inspect", "-f", "{{.State.Status}} {{.State.Paused}}", "pz"); got != "running false\n" {
		t.Errorf("docker inspect after unpause = %q", got)
	}
	s.ok("rm", "-f", "pz")
}
