//go:build linux

package e2e

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// promptRun runs geedocker with answer on its stdin and returns stdout and
// the exit code.
func (e *env) promptRun(answer string, args ...string) (string, int) {
	e.t.Helper()
	cmd := e.command(args...)
	cmd.Stdin = strings.NewReader(answer)
	cmd.Stderr = os.Stderr
	out, _ := cmd.Output()
	return string(out), cmd.ProcessState.ExitCode()
}

// TestUsageErrorsAsDocker28: a bad flag, a wrong number of arguments, an
// unknown subcommand and several failing names print what Docker 28's CLI
// prints, with its exit codes.
func TestUsageErrorsAsDocker28(t *testing.T) {
	e := newEnv(t)
	e.withBusybox()
	for _, tt := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"run", "--foo", "busybox"}, 125, "unknown flag: --foo\n\nUsage:  geedocker run [OPTIONS] IMAGE [COMMAND] [ARG...]\n\nRun 'geedocker run --help' for more information\n"},
		{[]string{"ps", "--filter"}, 125, "flag needs an argument: --filter\n\nUsage:  geedocker ps [OPTIONS]\n\nRun 'geedocker ps --help' for more information\n"},
		{[]string{"container", "ls", "--foo"}, 125, "unknown flag: --foo\n\nUsage:  geedocker container ls [OPTIONS]\n\nRun 'geedocker container ls --help' for more information\n"},
		{[]string{"rm"}, 1, "geedocker: 'geedocker rm' requires at least 1 argument\n\nUsage:  geedocker rm [OPTIONS] CONTAINER [CONTAINER...]\n\nSee 'geedocker rm --help' for more information\n"},
		{[]string{"pull"}, 1, "geedocker: 'geedocker pull' requires 1 argument\n\nUsage:  geedocker pull [OPTIONS] NAME[:TAG|@DIGEST]\n\nRun 'geedocker pull --help' for more information\n"},
		{[]string{"ps", "x"}, 1, "geedocker: 'geedocker ps' accepts no arguments\n\nUsage:  geedocker ps [OPTIONS]\n\nRun 'geedocker ps --help' for more information\n"},
		{[]string{"network", "foo"}, 1, "geedocker: unknown command: geedocker network foo\n\nUsage:  geedocker network\n\nRun 'geedocker network --help' for more information\n"},
		{[]string{"foo"}, 1, "geedocker: unknown command: geedocker foo\n\nRun 'geedocker --help' for more information\n"},
		{[]string{"run", "--name", "x y", "busybox", "true"}, 125, "Error: Invalid container name (x y), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed\n"},
		{[]string{"rm", "nosuch1", "nosuch2"}, 1, "Error: No such container: nosuch1\nError: No such container: nosuch2\n"},
		{[]string{"stop", "nosuch1", "nosuch2"}, 1, "Error: No such container: nosuch1\nError: No such container: nosuch2\n"},
		{[]string{"rmi", "nosuch1", "nosuch2"}, 1, "Error: No such image: nosuch1:latest\nError: No such image: nosuch2:latest\n"},
	} {
		r := e.gd(tt.args...)
		if r.Code != tt.code || r.Stderr != tt.want || r.Stdout != "" {
			t.Errorf("geedocker %s: exit %d, stdout %q, stderr\n%q\nwant exit %d and stderr\n%q", strings.Join(tt.args, " "), r.Code, r.Stdout, r.Stderr, tt.code, tt.want)
		}
	}
	if out := e.ok("ps", "-aq"); out != "" {
		t.Errorf("a refused run left containers: %q", out)
	}
}

// TestPruneAsks: the prune commands without -f ask Docker's question on
// stdout and remove nothing unless the answer is y.
func TestPruneAsks(t *testing.T) {
	e := newEnv(t)
	e.withBusybox()
	e.ok("create", "--name", "stopped", "busybox", "true")
	e.ok("volume", "create", "vol")
	e.ok("network", "create", "net")
	t.Cleanup(func() { e.gd("rm", "-f", "stopped"); e.gd("volume", "rm", "vol"); e.gd("network", "rm", "net") })
	for _, tt := range []struct {
		args     []string
		question string
	}{
		{[]string{"container", "prune"}, "WARNING! This will remove all stopped containers."},
		{[]string{"image", "prune"}, "WARNING! This will remove all dangling images."},
		{[]string{"image", "prune", "-a"}, "WARNING! This will remove all images without at least one container associated to them."},
		{[]string{"volume", "prune"}, "WARNING! This will remove anonymous local volumes not used by at least one container."},
		{[]string{"volume", "prune", "-a"}, "WARNING! This will remove all local volumes not used by at least one container."},
		{[]string{"network", "prune"}, "WARNING! This will remove all custom networks not used by at least one container."},
	} {
		for _, answer := range []string{"n\n", ""} {
			out, code := e.promptRun(answer, tt.args...)
			if want := tt.question + "\nAre you sure you want to continue? [y/N] "; code != 0 || out != want {
				t.Errorf("geedocker %s answered %q: exit %d\n%q\nwant\n%q", strings.Join(tt.args, " "), answer, code, out, want)
			}
		}
	}
	if out := e.ok("ps", "-a", "--format", "{{.Names}}"); out != "stopped\n" {
		t.Errorf("containers after refused prunes: %q", out)
	}
	if out := e.ok("volume", "ls", "-q"); out != "vol\n" {
		t.Errorf("volumes after refused prunes: %q", out)
	}
	if out := e.ok("network", "ls", "--format", "{{.Name}}", "--filter", "name=^net$"); out != "net\n" {
		t.Errorf("networks after refused prunes: %q", out)
	}
	out, code := e.promptRun("y\n", "container", "prune")
	if code != 0 || !strings.HasPrefix(out, "WARNING! This will remove all stopped containers.\nAre you sure you want to continue? [y/N] Deleted Containers:\n") {
		t.Errorf("container prune answered y: exit %d\n%s", code, out)
	}
	if out := e.ok("ps", "-aq"); out != "" {
		t.Errorf("containers after container prune: %q", out)
	}
}

// TestPublishAllAndAliases: -P publishes the exposed ports -p does not bind
// (each once); Docker's other command names work; events ends on a signal
// with 128+signal and nothing on stderr.
func TestPublishAllAndAliases(t *testing.T) {
	e := newEnv(t)
	e.withBusybox()
	e.detached("--name", "web", "-p", "80", "-p", "127.0.0.1:8080:81", "--expose", "81", "--expose", "90", "-P", "busybox", "sleep", "1000")
	out := e.ok("port", "web")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "80/tcp -> 0.0.0.0:") || lines[1] != "81/tcp -> 127.0.0.1:8080" || !strings.HasPrefix(lines[2], "90/tcp -> 0.0.0.0:") {
		t.Errorf("port web:\n%s\nwant 80 and 90 on 0.0.0.0, 81 on 127.0.0.1:8080, each once", out)
	}
	if got := e.ok("container", "port", "web"); got != out {
		t.Errorf("container port web = %q, want %q", got, out)
	}
	for _, args := range [][]string{{"container", "list"}, {"container", "ps"}, {"container", "ls"}} {
		if got := e.ok(append(args, "--format", "{{.Names}}")...); got != "web\n" {
			t.Errorf("geedocker %s = %q", strings.Join(args, " "), got)
		}
	}
	e.fails(1, "No such image: nosuch:latest", "image", "rmi", "nosuch")
	e.fails(1, "No such image: nosuch:latest", "image", "remove", "nosuch")
	e.fails(1, "No such container: nosuch", "container", "remove", "nosuch")

	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP} {
		cmd := e.command("events", "--since", "0", "--filter", "type=image", "--format", "{{.Action}}")
		s := startEvents(t, cmd)
		s.await(t, "import")
		if code := s.interrupt(t, sig); code != 128+int(sig) {
			t.Errorf("events after %v: exit %d, want %d", sig, code, 128+int(sig))
		}
	}
}

// TestPrivilegedGetsHostDevices: --privileged gives the host's device nodes
// (not only the default ones), as Docker does.
func TestPrivilegedGetsHostDevices(t *testing.T) {
	e := newEnv(t)
	e.withBusybox()
	var node string
	for _, p := range []string{"/dev/kmsg", "/dev/loop-control", "/dev/fuse", "/dev/net/tun", "/dev/mem"} {
		if fi, err := os.Stat(p); err == nil && fi.Mode()&os.ModeDevice != 0 {
			node = p
			break
		}
	}
	if node == "" {
		t.Skip("no host device beyond Docker's default ones to look for")
	}
	if out := e.sh([]string{"--privileged"}, "test -e "+node+" && echo yes"); out != "yes\n" {
		t.Errorf("--privileged: %s missing (%q)", node, out)
	}
	if out := e.sh(nil, "test -e "+node+" || echo no"); out != "no\n" {
		t.Errorf("unprivileged: %s present (%q)", node, out)
	}
}

// TestInspectJSONInDockerOrder: `inspect -f '{{json …}}'` of the common
// parts prints Docker's keys in Docker's order.
func TestInspectJSONInDockerOrder(t *testing.T) {
	e := newEnv(t)
	e.withBusybox()
	id := e.detached("--name", "cfg", "--ulimit", "nofile=100:200", "--health-cmd", "true", "--health-interval", "1h",
		"-p", "127.0.0.1:8081:80", "-l", "a=b", "busybox", "sleep", "1000")
	for _, tt := range []struct{ field, want string }{
		{".HostConfig.Ulimits", `[{"Name":"nofile","Hard":200,"Soft":100}]`},
		{".Config", `{"Hostname":"` + id[:12] + `","Domainname":"","User":"","AttachStdin":false,"AttachStdout":false,"AttachStderr":false,` +
			`"ExposedPorts":{"80/tcp":{}},"Tty":false,"OpenStdin":false,"StdinOnce":false,` +
			`"Env":["FROM_IMAGE=yes"],"Cmd":["sleep","1000"],` +
			`"Healthcheck":{"Test":["CMD-SHELL","true"],"Interval":3600000000000},"Image":"busybox","Volumes":null,"WorkingDir":"/",` +
			`"Entrypoint":null,"OnBuild":null,"Labels":{"a":"b"}}`},
		{".State.Health", `{"Status":"starting","FailingStreak":0,"Log":[]}`},
		{".NetworkSettings.Ports", `{"80/tcp":[{"HostIp":"127.0.0.1","HostPort":"8081"}]}`},
		{".HostConfig.PortBindings", `{"80/tcp":[{"HostIp":"127.0.0.1","HostPort":"8081"}]}`},
	} {
		got := strings.TrimSpace(e.ok("inspect", "-f", "{{json "+tt.field+"}}", "cfg"))
		if got != tt.want {
			t.Errorf("inspect -f '{{json %s}}' =\n%s\nwant\n%s", tt.field, got, tt.want)
		}
	}
	ep := e.ok("inspect", "-f", "{{json .NetworkSettings.Networks.bridge}}", "cfg")
	if !strings.HasPrefix(ep, `{"IPAMConfig":null,"Links":null,"Aliases":["`+id[:12]+`"],"MacAddress":"`) ||
		!strings.Contains(ep, `,"DriverOpts":null,"GwPriority":0,"NetworkID":"`) || !strings.HasSuffix(ep, `"GlobalIPv6PrefixLen":0,"DNSNames":null}`+"\n") {
		t.Errorf("inspect -f '{{json .NetworkSettings.Networks.bridge}}' = %s, not in Docker's order", ep)
	}
	if got := e.ok("inspect", "-f", `{{.NetworkSettings.IPAddress}} {{range .NetworkSettings.Networks}}{{.IPPrefixLen}}{{end}}`, "cfg"); !strings.HasPrefix(got, "172.") || !strings.HasSuffix(got, " 16\n") {
		t.Errorf("inspect network fields: %q", got)
	}
}

// TestTopPsOptions: `top CONTAINER [ps OPTIONS]` runs ps with those options
// and keeps the container's processes, as Docker's.
func TestTopPsOptions(t *testing.T) {
	e := newEnv(t)
	e.withBusybox()
	e.detached("--name", "tp", "-u", "65534", "busybox", "sleep", "1000")
	out := e.ok("top", "tp", "-eo", "pid,user,args")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 || strings.Join(strings.Fields(lines[0]), " ") != "PID USER COMMAND" ||
		strings.Join(strings.Fields(lines[1])[1:], " ") != "nobody sleep 1000" {
		t.Errorf("top tp -eo pid,user,args:\n%s", out)
	}
	if out := e.ok("top", "tp"); !strings.Contains(out, "nobody") || !strings.HasPrefix(out, "UID ") {
		t.Errorf("top tp:\n%s", out)
	}
	e.fails(1, "Couldn't find PID field in ps output", "top", "tp", "-o", "comm")
}

// TestSystemDfVerboseSizes: `system df -v` prints SIZE with three digits and
// SHARED and UNIQUE SIZE with four, as Docker's formatter.
func TestSystemDfVerboseSizes(t *testing.T) {
	e := newEnv(t)
	e.withBusybox()
	size, err := strconv.ParseFloat(strings.TrimSpace(e.ok("image", "inspect", "-f", "{{.Size}}", "busybox")), 64)
	if err != nil || size < 1e6 || size >= 1e7 {
		t.Fatalf("busybox size %v %v: the test expects a few MB", size, err)
	}
	// busybox and nocmd share their one layer.
	want := fmt.Sprintf("%.3gMB %.4gMB 0B", size/1e6, size/1e6)
	out := e.ok("system", "df", "-v")
	for _, l := range strings.Split(out, "\n") {
		if f := strings.Fields(l); len(f) >= 8 && f[0] == "busybox" {
			if got := strings.Join(f[len(f)-4:len(f)-1], " "); got != want {
				t.Errorf("system df -v busybox SIZE, SHARED SIZE, UNIQUE SIZE: %q, want %q", got, want)
			}
			return
		}
	}
	t.Errorf("system df -v: no busybox line:\n%s", out)
}

// TestAPIInspectMountsAndPortBindings: the docker CLI through `serve` sees
// the container's mounts and its -p bindings, the same as `inspect` here.
func TestAPIInspectMountsAndPortBindings(t *testing.T) {
	needDocker(t)
	e := newEnv(t)
	e.withBusybox()
	s := e.serve(false)
	dir := t.TempDir()
	e.detached("--name", "mp", "-v", dir+":/hosttmp:ro", "-v", "data:/data", "-p", "127.0.0.1:8082:80", "-p", "81", "busybox", "sleep", "1000")
	t.Cleanup(func() { e.gd("volume", "rm", "data") })
	for _, f := range []string{"{{json .HostConfig.PortBindings}}", "{{range .Mounts}}{{.Type}} {{.Name}} {{.Destination}} {{.RW}};{{end}}"} {
		want := e.ok("inspect", "-f", f, "mp")
		if got := s.ok("inspect", "-f", f, "mp"); got != want {
			t.Errorf("docker inspect -f '%s' = %q, geedocker's %q", f, got, want)
		}
	}
	if got := e.ok("inspect", "-f", "{{json .HostConfig.PortBindings}}", "mp"); got != `{"80/tcp":[{"HostIp":"127.0.0.1","HostPort":"8082"}],"81/tcp":[{"HostIp":"","HostPort":""}]}`+"\n" {
		t.Errorf("inspect PortBindings = %s", got)
	}
	if got := e.ok("inspect", "-f", "{{range .Mounts}}{{.Type}} {{.Name}} {{.Destination}} {{.RW}};{{end}}", "mp"); got != "bind  /hosttmp false;volume data /data true;\n" {
		t.Errorf("inspect Mounts = %q", got)
	}
}
