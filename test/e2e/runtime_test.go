//go:build linux

package e2e

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// withRuntimes rewrites the env's config with a runtimes map and a default runtime.
func (e *env) withRuntimes(runtimes map[string]map[string]any, def string) {
	e.t.Helper()
	cfg := map[string]any{"cgroup-parent": e.cgroup, "runtimes": runtimes}
	if def != "" {
		cfg["default-runtime"] = def
	}
	b, err := json.Marshal(cfg)
	if err != nil {
		e.t.Fatal(err)
	}
	if err := os.WriteFile(e.cfg, b, 0o644); err != nil {
		e.t.Fatal(err)
	}
}

// needRunc skips unless runc is installed (scripts/test-deps.sh installs it).
func needRunc(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("runc")
	if err != nil {
		t.Skip("needs runc (scripts/test-deps.sh)")
	}
	return p
}

// The same containers, run by runc and by geedocker-runc from the bundle GeeDocker writes:
// its spec is standard.
func TestRuntimeRun(t *testing.T) {
	needRunc(t)
	e := newEnv(t)
	e.withBusybox()
	gdrunc := filepath.Join(filepath.Dir(e.bin), "geedocker-runc")
	e.withRuntimes(map[string]map[string]any{"gdrunc": {"path": gdrunc}}, "")
	before := mountsUnder(t, e.root)
	cases := []struct {
		flags  []string
		script string
		code   int
		want   string
	}{
		{nil, "echo out; echo err >&2", 0, "out\n"},
		{nil, "exit 3", 3, ""},
		{[]string{"--init"}, "kill -9 $$", 137, ""},
		{[]string{"-e", "A=1"}, "echo $A $FROM_IMAGE", 0, "1 yes\n"},
		{[]string{"-w", "/var/work"}, "pwd", 0, "/var/work\n"},
		{[]string{"-u", "app"}, "id -u; id -g; id -Gn; echo $HOME", 0, "1000\n1000\napp extra\n/home/app\n"},
		{[]string{"-u", "1234:5678"}, "id -u; id -g", 0, "1234\n5678\n"},
		{[]string{"--read-only", "--tmpfs", "/scratch"}, "touch /x 2>/dev/null || echo root-ro; touch /scratch/y && echo tmpfs-rw", 0, "root-ro\ntmpfs-rw\n"},
		{[]string{"--cpus", "0.5", "-m", "64m", "--pids-limit", "20", "--cpu-shares", "512"}, cgroupScript, 0, "50000 100000\n67108864\n20\n512\n"},
		{[]string{"--network", "none"}, "ls /sys/class/net | tr '\\n' ' '", 0, "lo "},
		{[]string{"--network", "bridge"}, "ls /sys/class/net | tr '\\n' ' '", 0, "eth0 lo "},
		{[]string{"--init"}, "cat /proc/1/cmdline | tr '\\0' ' '", 0, "/sbin/docker-init -- sh"},
	}
	for _, rt := range []string{"runc", "gdrunc"} {
		if rt == "gdrunc" {
			if _, err := os.Stat(gdrunc); err != nil {
				t.Logf("no %s: skipping its runs", gdrunc)
				continue
			}
		}
		for _, c := range cases {
			args := append(append([]string{"run", "--rm", "--runtime", rt}, c.flags...), "busybox", "sh", "-c", c.script)
			r := e.gd(args...)
			if r.Code != c.code || !strings.HasPrefix(r.Stdout, c.want) {
				t.Errorf("%s: exit %d (want %d), stdout %q (want %q), stderr %q", strings.Join(args, " "), r.Code, c.code, r.Stdout, c.want, r.Stderr)
			}
		}
		r := e.gd("run", "--rm", "--runtime", rt, "busybox", "nonexistent-command")
		if r.Code != 127 || !strings.Contains(r.Stderr, "nonexistent-command") {
			t.Errorf("--runtime %s: a missing command: exit %d, stderr %q", rt, r.Code, r.Stderr)
		}
	}
	if got := e.entries("containers"); len(got) != 0 {
		t.Errorf("containers left: %v", got)
	}
	if after := mountsUnder(t, e.root); after != before {
		t.Errorf("mounts under the root: %d before, %d after", before, after)
	}
	e.assertNoCgroups()
}

// A detached container under runc: runc holds it (runc state), inspect names the runtime,
// stop, logs and rm work, and nothing is left in runc's state or the host's mounts.
func TestRuntimeDetached(t *testing.T) {
	runc := needRunc(t)
	e := newEnv(t)
	e.withBusybox()
	before := mountsUnder(t, e.root)
	e.fails(125, "unknown or invalid runtime name: nosuch", "run", "--rm", "--runtime", "nosuch", "busybox", "true")
	id := e.detached("--runtime", "runc", "--name", "held", "busybox", "sh", "-c", "echo started; exec sleep 1000")
	if got := e.inspectField("held", "{{.HostConfig.Runtime}}"); got != "runc" {
		t.Errorf("HostConfig.Runtime = %q, want runc", got)
	}
	out, err := exec.Command(runc, "state", id).Output()
	if err != nil {
		t.Fatalf("runc state %s: %v", id, err)
	}
	var st struct {
		Status string
		Pid    int
	}
	json.Unmarshal(out, &st)
	if pid := e.inspectField("held", "{{.State.Pid}}"); st.Status != "running" || pid != strconv.Itoa(st.Pid) {
		t.Errorf("runc state: %s (pid %d), inspect's pid %s", st.Status, st.Pid, pid)
	}
	e.awaitLog("held", "started")
	if out := e.ok("exec", "held", "echo", "in"); out != "in\n" {
		t.Errorf("exec: %q", out)
	}
	e.ok("stop", "-t", "1", "held")
	if code := e.inspectField("held", "{{.State.ExitCode}}"); code != "143" && code != "137" {
		t.Errorf("exit code after stop: %s", code)
	}
	if err := exec.Command(runc, "state", id).Run(); err == nil {
		t.Errorf("runc still knows %s after it stopped", id)
	}
	// A restart goes through runc again.
	e.ok("start", "held")
	if out, err := exec.Command(runc, "state", id).Output(); err != nil || !strings.Contains(string(out), `"running"`) {
		t.Errorf("runc state after start: %s, %v", out, err)
	}
	e.ok("rm", "-f", "held")
	if err := exec.Command(runc, "state", id).Run(); err == nil {
		t.Errorf("runc still knows %s after rm -f", id)
	}
	if after := mountsUnder(t, e.root); after != before {
		t.Errorf("mounts under the root: %d before, %d after", before, after)
	}
	e.assertNoCgroups()
	// default-runtime applies to containers that name none.
	e.withRuntimes(nil, "runc")
	e.ok("run", "--name", "dflt", "busybox", "true")
	if got := e.inspectField("dflt", "{{.HostConfig.Runtime}}"); got != "runc" {
		t.Errorf("with default-runtime runc: HostConfig.Runtime = %q", got)
	}
	e.ok("rm", "dflt")
}
