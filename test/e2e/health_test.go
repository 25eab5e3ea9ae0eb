//go:build linux

package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// health is State.Health as inspect shows it.
type health struct {
	Status        string
	FailingStreak int
	Log           []struct {
		Start, End time.Time
		ExitCode   int
		Output     string
	}
}

// health reads the container's State.Health (nil when inspect shows none).
func (e *env) health(ref string) *health {
	e.t.Helper()
	var h *health
	out := e.inspectField(ref, "{{json .State.Health}}")
	if err := json.Unmarshal([]byte(out), &h); err != nil {
		e.t.Fatalf("inspect %s: State.Health %q: %v", ref, out, err)
	}
	return h
}

// awaitHealth waits until the container's health passes ok, and returns it.
func (e *env) awaitHealth(ref, what string, ok func(*health) bool) *health {
	e.t.Helper()
	var h *health
	awaitCond(e.t, ref+" "+what, func() string {
		r := e.gd("inspect", "-f", "{{json .State.Health}}", ref)
		if r.Code != 0 {
			return r.Stderr // not created yet
		}
		h = nil
		if err := json.Unmarshal([]byte(r.Stdout), &h); err != nil {
			return "State.Health " + r.Stdout + ": " + err.Error()
		}
		if h != nil && ok(h) {
			return ""
		}
		return "State.Health is " + strings.TrimSpace(r.Stdout)
	})
	return h
}

func (e *env) awaitStatus(ref, status string) *health {
	e.t.Helper()
	return e.awaitHealth(ref, "becomes "+status, func(h *health) bool { return h.Status == status })
}

// probeProcesses are the host's processes whose command line holds all of words: the probes
// of a container (container-healthcheck ID) or what they run.
func probeProcesses(words ...string) []string {
	var found []string
	dirs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, d := range dirs {
		b, err := os.ReadFile(d)
		if err != nil || len(b) == 0 {
			continue
		}
		cmdline := strings.ReplaceAll(strings.TrimRight(string(b), "\x00"), "\x00", " ")
		all := true
		for _, w := range words {
			all = all && strings.Contains(cmdline, w)
		}
		if all {
			found = append(found, filepath.Base(filepath.Dir(d))+": "+cmdline)
		}
	}
	return found
}

// A container whose check passes becomes healthy; `ps` and its health filter show each state.
func TestHealthcheckHealthy(t *testing.T) {
	e := newEnv(t)
	e.withBusybox()
	plain := e.detached("--name", "plain", "busybox", "sleep", "300")
	// It stays starting (failures below the retries) until /tmp/ready exists.
	id := e.detached("--name", "checked", "--health-cmd", "test -e /tmp/ready && echo ready",
		"--health-interval", "200ms", "--health-retries", "1000", "busybox", "sleep", "300")
	if got := e.inspectField(id, "{{json .Config.Healthcheck}}"); got != `{"Test":["CMD-SHELL","test -e /tmp/ready && echo ready"],"Interval":200000000,"Retries":1000}` {
		t.Errorf("Config.Healthcheck = %s", got)
	}
	e.awaitHealth(id, "has failed a probe", func(h *health) bool { return len(h.Log) > 0 })
	if got := e.inspectField(id, "{{.State.Health.Status}}"); got != "starting" {
		t.Errorf("health before /tmp/ready: %q, want starting", got)
	}
	if ps := e.ok("ps", "--format", "{{.Names}} {{.Status}}", "--filter", "name=checked"); !strings.HasPrefix(ps, "checked Up ") || !strings.HasSuffix(ps, " (health: starting)\n") {
		t.Errorf("ps while starting: %q", ps)
	}
	if got := e.ok("ps", "-q", "--filter", "health=starting"); got != id[:12]+"\n" {
		t.Errorf("ps --filter health=starting: %q", got)
	}
	e.ok("exec", id, "touch", "/tmp/ready")
	h := e.awaitStatus(id, "healthy")
	last := h.Log[len(h.Log)-1]
	if h.FailingStreak != 0 || last.ExitCode != 0 || last.Output != "ready\n" || last.End.Before(last.Start) {
		t.Errorf("healthy: streak %d, last probe %+v", h.FailingStreak, last)
	}
	if len(h.Log) > 5 {
		t.Errorf("State.Health.Log has %d results, want at most 5", len(h.Log))
	}
	for _, line := range strings.Split(strings.TrimSpace(e.ok("ps", "--format", "{{.Names}} {{.Status}}")), "\n") {
		name, status, _ := strings.Cut(line, " ")
		if !strings.HasPrefix(status, "Up ") || name == "checked" && !strings.HasSuffix(status, " (healthy)") || name == "plain" && strings.Contains(status, "(") {
			t.Errorf("ps when healthy: %q", line)
		}
	}
	for filter, want := range map[string]string{
		"health=healthy": id[:12] + "\n", "health=none": plain[:12] + "\n", "health=starting": "", "health=unhealthy": "",
	} {
		if got := e.ok("ps", "-q", "--filter", filter); got != want {
			t.Errorf("ps --filter %s: %q, want %q", filter, got, want)
		}
	}
	if got := e.inspectField(plain, "{{json .State.Health}}"); got != "null" {
		t.Errorf("State.Health of a container without a check: %s", got)
	}
}

// A failing check makes the container unhealthy after --health-retries failures in a row; the
// log keeps the last five probes.
func TestHealthcheckUnhealthy(t *testing.T) {
	e := newEnv(t)
	e.withBusybox()
	id := e.detached("--health-cmd", "echo failing >&2; exit 1", "--health-interval", "200ms", "--health-retries", "2",
		"busybox", "sleep", "300")
	h := e.awaitStatus(id, "unhealthy")
	if h.FailingStreak < 2 {
		t.Errorf("unhealthy with a failing streak of %d, want 2 or more", h.FailingStreak)
	}
	for _, r := range h.Log {
		if r.ExitCode != 1 || r.Output != "failing\n" {
			t.Errorf("probe %+v, want exit 1 and \"failing\\n\"", r)
		}
	}
	if ps := e.ok("ps", "--format", "{{.Status}}"); !strings.HasSuffix(ps, " (unhealthy)\n") {
		t.Errorf("ps: %q", ps)
	}
	if got := e.ok("ps", "-q", "--filter", "health=unhealthy"); got != id[:12]+"\n" {
		t.Errorf("ps --filter health=unhealthy: %q", got)
	}
	h = e.awaitHealth(id, "has failed 6 times", func(h *health) bool { return h.FailingStreak >= 6 })
	if len(h.Log) != 5 {
		t.Errorf("State.Health.Log has %d results after %d probes, want 5", len(h.Log), h.FailingStreak)
	}
}

// A probe that outlives --health-timeout is killed and fails with Docker's message.
func TestHealthcheckTimeout(t *testing.T) {
	e := newEnv(t)
	e.withBusybox()
	id := e.detached("--health-cmd", "echo begun; sleep 1234", "--health-timeout", "300ms", "--health-interval", "200ms",
		"--health-retries", "2", "busybox", "sleep", "300")
	h := e.awaitStatus(id, "unhealthy")
	for _, r := range h.Log {
		if r.ExitCode != -1 || r.Output != "Health check exceeded timeout (300ms): begun\n" {
			t.Errorf("probe %+v, want exit -1 and Docker's timeout message", r)
		}
	}
	// Each probe was killed before the next began: one at most runs.
	n := 0
	for _, line := range strings.Split(e.ok("exec", id, "ps", "-o", "args"), "\n") {
		if strings.TrimSpace(line) == "sleep 1234" {
			n++
		}
	}
	if n > 1 {
		t.Errorf("%d probes run in the container after %d timeouts, want 1 at most", n, h.FailingStreak)
	}
}

// The image's HEALTHCHECK runs unless --no-healthcheck; the flags override it field by field.
func TestHealthcheckImage(t *testing.T) {
	e := newEnv(t)
	e.withBusybox()
	e.ok("build", "-q", "-t", "checked", buildCtx(t, map[string]string{"Dockerfile": "FROM busybox\nHEALTHCHECK --interval=200ms --retries=7 CMD [\"true\"]\n"}))
	t.Cleanup(func() { e.gd("rmi", "-f", "checked") })

	id := e.detached("checked", "sleep", "300")
	if got := e.inspectField(id, "{{json .Config.Healthcheck}}"); got != `{"Test":["CMD","true"],"Interval":200000000,"Retries":7}` {
		t.Errorf("Config.Healthcheck from the image = %s", got)
	}
	e.awaitStatus(id, "healthy")

	over := e.detached("--health-retries", "1", "--health-cmd", "exit 1", "checked", "sleep", "300")
	if got := e.inspectField(over, "{{json .Config.Healthcheck}}"); got != `{"Test":["CMD-SHELL","exit 1"],"Interval":200000000,"Retries":1}` {
		t.Errorf("Config.Healthcheck with flags over the image's = %s", got)
	}
	e.awaitStatus(over, "unhealthy")

	none := e.detached("--no-healthcheck", "checked", "sleep", "300")
	if got := e.inspectField(none, "{{json .Config.Healthcheck.Test}} {{json .State.Health}}"); got != `["NONE"] null` {
		t.Errorf("--no-healthcheck: Config.Healthcheck.Test State.Health = %s", got)
	}
	if got := e.ok("ps", "-q", "--filter", "health=none"); got != none[:12]+"\n" {
		t.Errorf("ps --filter health=none: %q", got)
	}

	e.fails(125, "--no-healthcheck conflicts with --health-* options", "run", "-d", "--no-healthcheck", "--health-cmd", "true", "checked")
	e.fails(125, "--health-retries cannot be negative", "run", "-d", "--health-retries", "-1", "checked")
	e.fails(125, "Interval in Healthcheck cannot be less than 1ms", "run", "-d", "--health-interval", "1us", "checked")
	if got := e.ok("ps", "-aq"); strings.Count(got, "\n") != 3 {
		t.Errorf("refused runs left containers:\n%s", got)
	}
}

// Stopping a container stops its probes, one under way included; a restart starts them again
// from "starting".
func TestHealthcheckStopRestart(t *testing.T) {
	e := newEnv(t)
	e.withBusybox()
	// A probe that lasts: one is under way at the stop.
	slow := e.detached("--health-cmd", "sleep 1234", "--health-interval", "200ms", "--health-timeout", "1m",
		"busybox", "sleep", "300")
	awaitCond(t, "a probe runs", func() string {
		if len(probeProcesses("container-healthcheck", slow)) == 0 {
			return "no container-healthcheck " + slow[:12] + " process"
		}
		return ""
	})
	e.ok("stop", "-t", "1", slow)
	if left := probeProcesses("container-healthcheck", slow); len(left) > 0 {
		t.Errorf("probes left after stop: %q", left)
	}
	if left := probeProcesses("sleep 1234"); len(left) > 0 {
		t.Errorf("probe commands left after stop: %q", left)
	}
	if got := e.inspectField(slow, "{{.State.Status}} {{.State.Health.Status}}"); got != "exited starting" {
		t.Errorf("after stop: %q", got)
	}

	// /run is a tmpfs: the file that makes it healthy is gone after a restart.
	id := e.detached("--tmpfs", "/run", "--health-cmd", "test -e /run/ready", "--health-interval", "200ms",
		"--health-retries", "1000", "busybox", "sleep", "300")
	e.ok("exec", id, "touch", "/run/ready")
	before := e.awaitStatus(id, "healthy")
	e.ok("restart", "-t", "1", id)
	h := e.health(id)
	if h == nil || h.Status != "starting" || h.FailingStreak != 0 || len(h.Log) < len(before.Log) {
		t.Errorf("after restart: %+v, want starting with the log kept", h)
	}
	e.ok("exec", id, "touch", "/run/ready")
	e.awaitStatus(id, "healthy")
	e.ok("rm", "-f", id)
	if left := probeProcesses("container-healthcheck", id); len(left) > 0 {
		t.Errorf("probes left after rm -f: %q", left)
	}
}

// Through the API, with the docker CLI: create takes Config.Healthcheck, inspect and ps show
// the health as moby does.
func TestAPIHealthcheck(t *testing.T) {
	needDocker(t)
	e := newEnv(t)
	e.withBusybox()
	s := e.serve(false)
	id := strings.TrimSpace(s.ok("run", "-d", "--name", "hc", "--health-cmd", "echo ok", "--health-interval", "200ms",
		"--health-start-interval", "100ms", "--health-start-period", "1s", "busybox", "sleep", "300"))
	t.Cleanup(func() { e.gd("rm", "-f", id) })
	if out := s.ok("inspect", "-f", "{{json .Config.Healthcheck}}", "hc"); out != `{"Test":["CMD-SHELL","echo ok"],"Interval":200000000,"StartPeriod":1000000000,"StartInterval":100000000}`+"\n" {
		t.Errorf("docker inspect Config.Healthcheck: %s", out)
	}
	awaitCond(t, "docker inspect shows healthy", func() string {
		if out := s.ok("inspect", "-f", "{{.State.Health.Status}}", "hc"); out != "healthy\n" {
			return "State.Health.Status is " + out
		}
		return ""
	})
	if out := s.ok("inspect", "-f", "{{(index .State.Health.Log 0).ExitCode}} {{(index .State.Health.Log 0).Output}}", "hc"); out != "0 ok\n\n" {
		t.Errorf("docker inspect State.Health.Log[0]: %q", out)
	}
	if out := s.ok("ps", "--format", "{{.Status}}", "--filter", "health=healthy"); !strings.HasPrefix(out, "Up ") || !strings.HasSuffix(out, " (healthy)\n") {
		t.Errorf("docker ps --filter health=healthy: %q", out)
	}
	if out := s.ok("ps", "-q", "--filter", "health=unhealthy"); out != "" {
		t.Errorf("docker ps --filter health=unhealthy: %q", out)
	}
	s.fails(125, "Interval in Healthcheck cannot be less than 1ms", "run", "-d", "--health-interval", "1us", "busybox")
}

// A foreground run checks its container's health too.
func TestHealthcheckForeground(t *testing.T) {
	e := newEnv(t)
	e.withBusybox()
	cmd := e.command("run", "--rm", "--name", "fg", "--health-cmd", "echo ok", "--health-interval", "200ms",
		"busybox", "sleep", "300")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		cmd.Wait()
		close(done)
	}()
	t.Cleanup(func() {
		e.gd("rm", "-f", "fg")
		cmd.Process.Kill()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Errorf("the foreground run did not end: %q", probeProcesses("--name fg"))
		}
	})
	e.awaitStatus("fg", "healthy")
	e.ok("stop", "-t", "1", "fg")
	<-done
	if got := e.ok("ps", "-aq"); got != "" {
		t.Errorf("ps -aq after the --rm run: %q", got)
	}
}
