//go:build linux

package e2e

import (
	"encoding/json"
	"os/exec"
	"strings"
	"testing"

	"github.com/geedocker/geedocker/internal/spec"
)

// envLines splits the output of `env` (through a terminal or not) into its lines.
func envLines(out string) []string {
	return strings.Split(strings.TrimSpace(strings.ReplaceAll(out, "\r\n", "\n")), "\n")
}

// TestConfigEnv: as in Docker, a container's Config.Env (inspect, the API, commit) is the
// image's variables with the user's -e, while each of its processes, PID 1 and exec, also
// gets PATH, HOSTNAME and, when that process has a terminal, TERM=xterm.
func TestConfigEnv(t *testing.T) {
	e := newEnv(t)
	e.withBusybox()
	var imageEnv []string
	if err := json.Unmarshal([]byte(e.inspectField("busybox", "{{json .Config.Env}}")), &imageEnv); err != nil {
		t.Fatal(err)
	}
	if strings.Join(imageEnv, ",") != "FROM_IMAGE=yes" {
		t.Fatalf("busybox's Env = %q, want [FROM_IMAGE=yes]", imageEnv)
	}
	path := "PATH=" + spec.DefaultPathEnv

	// run: the process's environment, with and without a terminal.
	out := envLines(e.ok("run", "--rm", "busybox", "env"))
	if len(out) != 4 || out[0] != path || !strings.HasPrefix(out[1], "HOSTNAME=") || len(out[1]) != len("HOSTNAME=")+12 ||
		out[2] != "FROM_IMAGE=yes" || out[3] != "HOME=/root" {
		t.Errorf("run --rm busybox env:\n%s", strings.Join(out, "\n"))
	}
	out = envLines(e.ok("run", "--rm", "-t", "-h", "tty", "busybox", "env"))
	if want := []string{path, "HOSTNAME=tty", "TERM=xterm", "FROM_IMAGE=yes", "HOME=/root"}; strings.Join(out, "\n") != strings.Join(want, "\n") {
		t.Errorf("run --rm -t busybox env:\n%s\nwant:\n%s", strings.Join(out, "\n"), strings.Join(want, "\n"))
	}

	// inspect: the user's and the image's variables only, the user's first.
	id := e.detached("-t", "-h", "envbox", "-e", "A=1", "-e", "FROM_IMAGE=user", "-e", "B=2", "busybox", "sleep", "300")
	wantConfig := `["A=1","FROM_IMAGE=user","B=2"]`
	if got := e.inspectField(id, "{{json .Config.Env}}"); got != wantConfig {
		t.Errorf("inspect .Config.Env = %s, want %s", got, wantConfig)
	}
	// PID 1 has HOSTNAME and TERM (it has a terminal).
	pid1 := []string{path, "HOSTNAME=envbox", "TERM=xterm", "A=1", "FROM_IMAGE=user", "B=2", "HOME=/root"}
	if got := envLines(e.ok("exec", id, "sh", "-c", "tr '\\0' '\\n' < /proc/1/environ")); strings.Join(got, ",") != strings.Join(pid1, ",") {
		t.Errorf("PID 1's environment = %q, want %q", got, pid1)
	}
	// exec: TERM only with the exec's own -t; -e replaces a variable where it stands.
	execEnv := []string{path, "HOSTNAME=envbox", "A=1", "FROM_IMAGE=user", "B=2", "HOME=/root"}
	if got := envLines(e.ok("exec", id, "env")); strings.Join(got, ",") != strings.Join(execEnv, ",") {
		t.Errorf("exec env = %q, want %q", got, execEnv)
	}
	execTty := []string{path, "HOSTNAME=envbox", "TERM=xterm", "A=x", "FROM_IMAGE=user", "B=2", "C=3", "HOME=/root"}
	if got := envLines(e.ok("exec", "-t", "-e", "A=x", "-e", "C=3", id, "env")); strings.Join(got, ",") != strings.Join(execTty, ",") {
		t.Errorf("exec -t -e A=x -e C=3 env = %q, want %q", got, execTty)
	}

	// The Engine API (docker inspect) says the same.
	if _, err := exec.LookPath("docker"); err == nil {
		s := e.serve(false)
		if got := strings.TrimSpace(s.ok("inspect", "-f", "{{json .Config.Env}}", id)); got != wantConfig {
			t.Errorf("docker inspect .Config.Env = %s, want %s", got, wantConfig)
		}
	}

	// commit: the image gets Config.Env, no HOSTNAME nor TERM.
	e.ok("commit", id, "envcommitted:v1")
	if got := e.inspectField("envcommitted:v1", "{{json .Config.Env}}"); got != wantConfig {
		t.Errorf("committed image's Env = %s, want %s", got, wantConfig)
	}
	out = envLines(e.ok("run", "--rm", "-h", "fromcommit", "envcommitted:v1", "env"))
	if want := []string{path, "HOSTNAME=fromcommit", "A=1", "FROM_IMAGE=user", "B=2", "HOME=/root"}; strings.Join(out, ",") != strings.Join(want, ",") {
		t.Errorf("run of the committed image: env = %q, want %q", out, want)
	}

	// restart: PID 1 gets the same environment again.
	e.ok("restart", "-t", "0", id)
	if got := envLines(e.ok("exec", id, "sh", "-c", "tr '\\0' '\\n' < /proc/1/environ")); strings.Join(got, ",") != strings.Join(pid1, ",") {
		t.Errorf("PID 1's environment after restart = %q, want %q", got, pid1)
	}
	if got := e.inspectField(id, "{{json .Config.Env}}"); got != wantConfig {
		t.Errorf("inspect .Config.Env after restart = %s, want %s", got, wantConfig)
	}
}
