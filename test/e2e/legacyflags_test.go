//go:build linux

package e2e

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func TestRunExpose(t *testing.T) {
	e := newEnv(t)
	e.withBusybox()
	e.detached("--name", "ex", "--expose", "5432", "--expose", "7000-7002/udp", "-p", "8080:80", "busybox", "sleep", "300")
	if got := e.ok("ps", "--format", "{{.Ports}}"); got != "5432/tcp, 7000-7002/udp, 0.0.0.0:8080->80/tcp\n" {
		t.Errorf("ps PORTS = %q", got)
	}
	got := e.inspectField("ex", "{{json .Config.ExposedPorts}}")
	for _, p := range []string{`"5432/tcp":{}`, `"7000/udp":{}`, `"7002/udp":{}`, `"80/tcp":{}`} {
		if !strings.Contains(got, p) {
			t.Errorf("Config.ExposedPorts = %s, lacks %s", got, p)
		}
	}
	if got := e.ok("ps", "-q", "--filter", "expose=7001/udp"); strings.TrimSpace(got) == "" {
		t.Error("ps --filter expose=7001/udp lists nothing")
	}
	// -P publishes what --expose adds.
	e.detached("--name", "pub", "--expose", "9000", "-P", "busybox", "sleep", "300")
	if got := e.ok("port", "pub"); !regexp.MustCompile(`^9000/tcp -> 0\.0\.0\.0:\d+\n$`).MatchString(got) {
		t.Errorf("port of --expose 9000 -P = %q", got)
	}

	e.fails(125, `invalid range format for --expose: abc, error: strconv.ParseUint: parsing "abc": invalid syntax`, "run", "--expose", "abc", "busybox", "true")
	e.fails(125, "invalid port format for --expose: 80:90", "run", "--expose", "80:90", "busybox", "true")
	e.fails(125, "invalid range format for --expose: 90-80, error: invalid range specified for port: 90-80", "run", "--expose", "90-80", "busybox", "true")
	if got := e.ok("ps", "-aq"); len(strings.Fields(got)) != 2 {
		t.Errorf("refused runs left containers: %q", got)
	}
}

func TestRunMacAddress(t *testing.T) {
	e := newEnv(t)
	e.withBusybox()
	const mac = "92:d0:c6:0a:29:33"
	e.detached("--name", "mac", "--mac-address", mac, "busybox", "sleep", "300")
	if got := e.ok("exec", "mac", "cat", "/sys/class/net/eth0/address"); got != mac+"\n" {
		t.Errorf("eth0 address = %q, want %s", got, mac)
	}
	if got := e.inspectField("mac", "{{.NetworkSettings.MacAddress}} {{.NetworkSettings.Networks.bridge.MacAddress}}"); got != mac+" "+mac {
		t.Errorf("inspect MacAddress = %q", got)
	}
	// On a user network too.
	e.ok("network", "create", "macnet")
	t.Cleanup(func() { e.gd("network", "rm", "macnet") })
	out := e.ok("run", "--rm", "--network", "macnet", "--mac-address", "02:42:ac:11:00:99", "busybox", "cat", "/sys/class/net/eth0/address")
	if out != "02:42:ac:11:00:99\n" {
		t.Errorf("eth0 address on a user network = %q", out)
	}

	e.fails(125, "zz is not a valid mac address", "run", "--mac-address", "zz", "busybox", "true")
	e.fails(125, "conflicting options: mac-address and the network mode", "run", "--network", "none", "--mac-address", mac, "busybox", "true")
	if got := e.ok("ps", "-aq"); len(strings.Fields(got)) != 1 {
		t.Errorf("refused runs left containers: %q", got)
	}
}

func TestRunLogDriver(t *testing.T) {
	e := newEnv(t)
	e.withBusybox()
	// none: the output still reaches the terminal of run, but no log is kept.
	if got := e.ok("run", "--name", "quiet", "--log-driver", "none", "busybox", "echo", "hi"); got != "hi\n" {
		t.Errorf("run --log-driver none printed %q", got)
	}
	t.Cleanup(func() { e.gd("rm", "-f", "quiet") })
	e.fails(1, "configured logging driver does not support reading", "logs", "quiet")
	if got := e.inspectField("quiet", "{{.HostConfig.LogConfig.Type}}|{{.LogPath}}"); got != "none|" {
		t.Errorf("inspect of a none container = %q", got)
	}
	id := e.inspectField("quiet", "{{.Id}}")
	if logs, _ := filepath.Glob(filepath.Join(e.root, "containers", id, "*log*")); len(logs) != 0 {
		t.Errorf("--log-driver none wrote %v", logs)
	}

	// local: Docker's file, read back by logs.
	e.detached("--name", "loc", "--log-driver", "local", "busybox", "sh", "-c", "echo one; echo two >&2; printf three")
	e.ok("wait", "loc")
	r := e.gd("logs", "loc")
	if r.Code != 0 || r.Stdout != "one\nthree" || r.Stderr != "two\n" {
		t.Errorf("logs of a local container: exit %d, stdout %q, stderr %q", r.Code, r.Stdout, r.Stderr)
	}
	if got := e.ok("logs", "--tail", "1", "loc"); got != "three" {
		t.Errorf("logs --tail 1 = %q", got)
	}
	// logs -f follows a local log until the container exits.
	e.detached("--name", "fol", "--log-driver", "local", "busybox", "sh", "-c", "echo a; sleep 1; echo b")
	if got := e.ok("logs", "-f", "fol"); got != "a\nb\n" {
		t.Errorf("logs -f of a local container = %q", got)
	}
	locID := e.inspectField("loc", "{{.Id}}")
	if got := e.inspectField("loc", "{{.HostConfig.LogConfig.Type}}|{{.LogPath}}"); got != "local|" {
		t.Errorf("inspect of a local container = %q", got)
	}
	if _, err := os.Stat(filepath.Join(e.root, "containers", locID, "local-logs", "container.log")); err != nil {
		t.Errorf("the local driver's file: %v", err)
	}

	// local rotates at max-size and keeps max-file files.
	e.detached("--name", "rot", "--log-driver", "local", "--log-opt", "max-size=1k", "--log-opt", "max-file=2",
		"busybox", "sh", "-c", "for i in $(seq 200); do echo line $i; done")
	e.ok("wait", "rot")
	rotID := e.inspectField("rot", "{{.Id}}")
	files, _ := filepath.Glob(filepath.Join(e.root, "containers", rotID, "local-logs", "container.log*"))
	if len(files) != 2 {
		t.Errorf("max-file=2 kept %v", files)
	}
	if got := e.ok("logs", "rot"); !strings.HasSuffix(got, "line 199\nline 200\n") || strings.HasPrefix(got, "line 1\n") {
		t.Errorf("logs after rotation: %q", got)
	}

	e.fails(125, "logger: no log driver named 'syslog' is registered", "run", "--log-driver", "syslog", "busybox", "true")
	e.fails(125, "unknown log opt 'labels' for log driver local", "run", "--log-driver", "local", "--log-opt", "labels=a", "busybox", "true")
}

func TestRunLink(t *testing.T) {
	e := newEnv(t)
	e.withBusybox()
	e.detached("--name", "db", "busybox", "sleep", "300")
	ip := e.inspectField("db", "{{.NetworkSettings.IPAddress}}")
	host := e.inspectField("db", "{{.Config.Hostname}}")
	hosts := e.ok("run", "--rm", "--link", "db:database", "busybox", "cat", "/etc/hosts")
	if want := ip + "\tdatabase " + host + " db\n"; !strings.Contains(hosts, want) {
		t.Errorf("/etc/hosts lacks %q:\n%s", want, hosts)
	}
	if out := e.ok("run", "--rm", "--link", "db", "busybox", "ping", "-c", "1", "-W", "5", "db"); !strings.Contains(out, "1 packets received") {
		t.Errorf("ping of a linked container by name:\n%s", out)
	}
	e.detached("--name", "app", "--link", "db:database", "busybox", "sleep", "300")
	if got := e.inspectField("app", "{{json .HostConfig.Links}}"); got != `["/db:/app/database"]` {
		t.Errorf("HostConfig.Links = %s", got)
	}

	e.fails(125, "bad format for links: a:b:c", "run", "--link", "a:b:c", "busybox", "true")
	e.fails(125, "could not get container for nothing", "run", "--link", "nothing:x", "busybox", "true")
	e.ok("stop", "-t", "0", "db")
	e.fails(125, "Cannot link to a non running container: /db AS /lnk/x", "run", "--name", "lnk", "--link", "db:x", "busybox", "true")
	e.gd("rm", "-f", "lnk")
}

// The same flags through the Engine API's create, with the docker CLI.
func TestAPIRunFlags(t *testing.T) {
	needDocker(t)
	e := newEnv(t)
	e.withBusybox()
	s := e.serve(false)
	const mac = "92:d0:c6:0a:29:34"
	s.ok("run", "-d", "--name", "db", "busybox", "sleep", "300")
	s.ok("run", "-d", "--name", "app", "--expose", "5432", "--mac-address", mac, "--log-driver", "local",
		"--link", "db:database", "busybox", "sh", "-c", "echo started; cat /etc/hosts; sleep 300")
	got := s.ok("inspect", "-f", "{{json .Config.ExposedPorts}}|{{.HostConfig.LogConfig.Type}}|{{json .HostConfig.Links}}|{{.NetworkSettings.Networks.bridge.MacAddress}}", "app")
	if want := `{"5432/tcp":{}}|local|["/db:/app/database"]|` + mac + "\n"; got != want {
		t.Errorf("docker inspect = %q, want %q", got, want)
	}
	if ps := s.ok("ps", "--filter", "name=app", "--format", "{{.Ports}}"); ps != "5432/tcp\n" {
		t.Errorf("docker ps PORTS = %q", ps)
	}
	e.awaitLog("app", "database")
	if out := s.ok("logs", "app"); !strings.HasPrefix(out, "started\n") || !strings.Contains(out, "\tdatabase ") {
		t.Errorf("docker logs of a local container:\n%s", out)
	}
	s.ok("run", "-d", "--name", "quiet", "--log-driver", "none", "busybox", "sleep", "300")
	s.fails(1, "Error response from daemon: configured logging driver does not support reading", "logs", "quiet")
	s.fails(125, "logger: no log driver named 'syslog' is registered", "run", "--log-driver", "syslog", "busybox", "true")
	s.ok("rm", "-f", "app", "db", "quiet")
}
