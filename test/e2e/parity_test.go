//go:build linux

package e2e

import (
	"archive/tar"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/geedocker/geedocker/internal/testutil"
)

// TestFormatNumbersAndTemplates: inspect templates print numbers as
// integers, MemorySwap defaults to twice the memory, and --format takes
// `table …`, `\t` and Docker's template functions on every listing.
func TestFormatNumbersAndTemplates(t *testing.T) {
	e := newEnv(t)
	e.withBusybox()
	id := e.detached("--name", "mem", "-m", "64m", "busybox", "sleep", "300")

	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"inspect", "-f", "{{.HostConfig.Memory}} {{.HostConfig.MemorySwap}}", "mem"}, "67108864 134217728\n"},
		{[]string{"inspect", "-f", "{{.ID}} {{.State.Pid | printf \"%T\"}}", "mem"}, id + " int\n"},
		{[]string{"inspect", "-f", "{{.Id}} {{.HostConfig.CpuShares}} {{.HostConfig.Memory}}", "mem"}, id + " 0 67108864\n"},
		{[]string{"inspect", "-f", "{{.Name}} {{json .HostConfig.Memory}}", "mem"}, "/mem 67108864\n"},
		{[]string{"container", "inspect", "--format", "{{upper .Config.Image}}", "mem"}, "BUSYBOX\n"},
		{[]string{"ps", "--format", `{{.Names}}\t{{upper .Image}}`}, "mem\tBUSYBOX\n"},
		{[]string{"ps", "--format", `table {{.Names}}\t{{.Image}}`}, "NAMES     IMAGE\nmem       busybox\n"},
		{[]string{"ps", "--format", `{{truncate .ID 4}}|{{pad .Names 1 1}}|{{title .State}}`}, id[:4] + "| mem |Running\n"},
		{[]string{"ps", "--format", "json", "--filter", "name=nosuch"}, ""},
		{[]string{"images", "--format", `table {{.Repository}}\t{{.Tag}}`, "busybox"}, "REPOSITORY   TAG\nbusybox      latest\n"},
		{[]string{"images", "--format", `{{join (split .Repository "y") "-"}}`, "busybox"}, "bus-box\n"},
		{[]string{"network", "ls", "--format", `table {{.Name}}\t{{.Driver}}`}, "NAME      DRIVER\nbridge    bridge\nhost      host\nnone      null\n"},
		{[]string{"network", "ls", "--format", "{{.Name}}", "--no-trunc"}, "bridge\nhost\nnone\n"},
		{[]string{"network", "inspect", "-f", "{{.Name}} {{.Driver}} {{len .Containers}}", "bridge"}, "bridge bridge 1\n"},
	} {
		if got := e.ok(tt.args...); got != tt.want {
			t.Errorf("geedocker %s =\n%q\nwant\n%q", strings.Join(tt.args, " "), got, tt.want)
		}
	}
	// A size is an integer, not 4.2e+06.
	if size := e.ok("image", "inspect", "-f", "{{.Size}}", "busybox"); strings.ContainsAny(size, "e.") || len(size) < 5 {
		t.Errorf("image inspect {{.Size}} = %q, want an integer", size)
	}
	// A field no document has: Docker's error, exit 1.
	e.fails(1, `template parsing error`, "inspect", "-f", "{{.Nope}}", "mem")
	e.fails(1, `template parsing error`, "ps", "--format", "{{.ID")
}

// TestPsFiltersAndColumns: ps filters by network, label, port, volume and
// creation order, -n/-l/-s, and shows unpublished EXPOSE ports.
func TestPsFiltersAndColumns(t *testing.T) {
	e := newEnv(t)
	e.withBusybox()
	tarPath := filepath.Join(t.TempDir(), "rootfs.tar")
	if err := os.WriteFile(tarPath, testutil.BusyboxRootfsTar(t), 0o644); err != nil {
		t.Fatal(err)
	}
	e.ok("import", "--change", `CMD ["sh"]`, "--change", "EXPOSE 5432", "--change", "LABEL tier=db", tarPath, "db:latest")
	e.ok("network", "create", "shop")
	t.Cleanup(func() { e.gd("network", "rm", "shop") })
	vol := t.TempDir()

	e.ok("run", "--name", "done", "busybox", "true")
	t.Cleanup(func() { e.gd("rm", "-f", "done") })
	pg := e.detached("--name", "pg", "--network", "shop", "db", "sleep", "300")
	web := e.detached("--name", "web", "-p", "8080:80", "-v", vol+":/data", "busybox", "sh", "-c", "echo hello > /written; echo ready; sleep 300")

	ids := func(args ...string) string { return e.ok(append([]string{"ps", "--format", "{{.Names}}"}, args...)...) }
	for _, tt := range []struct {
		args []string
		want string
	}{
		{nil, "web\npg\n"},
		{[]string{"-a"}, "web\npg\ndone\n"},
		{[]string{"--filter", "network=shop"}, "pg\n"},
		{[]string{"--filter", "network=bridge"}, "web\n"},
		{[]string{"--filter", "label=tier"}, "pg\n"},
		{[]string{"--filter", "label=tier=db"}, "pg\n"},
		{[]string{"--filter", "label=tier=web"}, ""},
		{[]string{"--filter", "publish=80"}, "web\n"},
		{[]string{"--filter", "publish=5432"}, ""},
		{[]string{"--filter", "expose=5432/tcp"}, "pg\n"},
		{[]string{"--filter", "expose=1-1000"}, "web\n"},
		{[]string{"--filter", "volume=/data"}, "web\n"},
		{[]string{"--filter", "volume=" + vol}, "web\n"},
		{[]string{"--filter", "since=done"}, "web\npg\n"},
		{[]string{"-a", "--filter", "before=web"}, "pg\ndone\n"},
		{[]string{"--filter", "name=web", "--filter", "name=pg"}, "web\npg\n"},
		{[]string{"--filter", "status=exited"}, "done\n"},
		{[]string{"--filter", "health=none"}, "web\npg\n"},
		{[]string{"--filter", "health=healthy"}, ""},
		{[]string{"--filter", "is-task=true"}, ""},
		{[]string{"-n", "2"}, "web\npg\n"},
		{[]string{"-n", "3"}, "web\npg\ndone\n"},
		{[]string{"-l"}, "web\n"},
	} {
		if got := ids(tt.args...); got != tt.want {
			t.Errorf("ps %s = %q, want %q", strings.Join(tt.args, " "), got, tt.want)
		}
	}
	if got := e.ok("ps", "-q", "--no-trunc", "--filter", "network=shop"); got != pg+"\n" {
		t.Errorf("ps -q --filter network=shop = %q, want %s", got, pg)
	}
	if got := e.ok("ps", "-a", "--format", "{{.Names}}|{{.Ports}}|{{.Labels}}|{{.Networks}}"); got != "web|0.0.0.0:8080->80/tcp||bridge\npg|5432/tcp|tier=db|shop\ndone|||bridge\n" {
		t.Errorf("ps PORTS, LABELS, NETWORKS:\n%s", got)
	}
	if got := e.ok("ps", "--format", `table {{.Names}}\t{{.Label "tier"}}`); got != "NAMES     tier\nweb       \npg        db\n" {
		t.Errorf("ps --format with .Label:\n%q", got)
	}
	ps := e.ok("ps", "-a")
	if !strings.Contains(ps, "   5432/tcp   ") || !strings.Contains(ps, "   0.0.0.0:8080->80/tcp   ") {
		t.Errorf("ps:\n%s", ps)
	}
	e.fails(1, "No such container: nosuch", "ps", "--filter", "before=nosuch")
	e.fails(125, "Unrecognised filter value for health: sick", "ps", "--filter", "health=sick")

	// -s: the bytes the container wrote, and those plus the image's.
	e.awaitLog(web, "ready")
	sizeRe := regexp.MustCompile(`^[0-9.]+[kMG]?B \(virtual [0-9.]+[kMG]?B\)$`)
	lines := strings.Split(strings.TrimSpace(e.ok("ps", "-s")), "\n")
	if len(lines) != 3 || !strings.HasSuffix(lines[0], "   SIZE") {
		t.Fatalf("ps -s:\n%s", strings.Join(lines, "\n"))
	}
	for _, name := range []string{"web", "pg"} {
		size := strings.TrimSpace(e.ok("ps", "--filter", "name="+name, "--format", "{{.Size}}"))
		if !sizeRe.MatchString(size) {
			t.Errorf("ps {{.Size}} of %s = %q", name, size)
		}
	}
	if size := e.ok("ps", "--filter", "name=web", "--format", "{{.Size}}"); strings.HasPrefix(size, "0B") {
		t.Errorf("ps {{.Size}} of web = %q, want the 6 bytes it wrote counted", size)
	}
}

// TestTopUserNames: top names users from the container's /etc/passwd,
// followed inside the container's root (an absolute symlink does not lead
// to the host's), and shows a uid without an entry as a number.
func TestTopUserNames(t *testing.T) {
	e := newEnv(t)
	e.withBusybox()
	boss := e.detached("busybox", "sh", "-c",
		"echo 'boss:x:0:0::/:/bin/sh' > /passwd.real; rm /etc/passwd; ln -s /passwd.real /etc/passwd; echo ready; exec sleep 300")
	e.awaitLog(boss, "ready")
	anon := e.detached("--user", "4242", "busybox", "sleep", "300")
	for _, tt := range []struct{ id, want string }{{boss, "boss"}, {anon, "4242"}} {
		lines := strings.Split(strings.TrimSpace(e.ok("top", tt.id)), "\n")
		if len(lines) != 2 || !strings.HasPrefix(lines[0], "UID ") {
			t.Fatalf("top:\n%s", strings.Join(lines, "\n"))
		}
		if f := strings.Fields(lines[1]); f[0] != tt.want || f[len(f)-2] != "sleep" {
			t.Errorf("top row %q, want user %s running sleep", lines[1], tt.want)
		}
	}
}

// background starts geedocker args with its output in buffers; the caller
// ends it (ended waits for it).
type background struct {
	t              *testing.T
	cmd            *exec.Cmd
	stdout, stderr safeBuffer
	done           chan struct{}
}

func (e *env) background(args ...string) *background {
	e.t.Helper()
	b := &background{t: e.t, cmd: e.command(args...), done: make(chan struct{})}
	b.cmd.Stdout, b.cmd.Stderr = &b.stdout, &b.stderr
	if err := b.cmd.Start(); err != nil {
		e.t.Fatal(err)
	}
	go func() { b.cmd.Wait(); close(b.done) }()
	e.t.Cleanup(func() { b.cmd.Process.Kill(); <-b.done })
	return b
}

// await waits until the output holds want.
func (b *background) await(want string) {
	b.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(b.stdout.String(), want) {
		if time.Now().After(deadline) {
			b.t.Fatalf("no %q in the output of %v:\n%s%s", want, b.cmd.Args, b.stdout.String(), b.stderr.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// ended waits for the command to end (failing the test after a minute: the
// bug this guards against is a command that never ends) and returns its
// exit code.
func (b *background) ended() int {
	b.t.Helper()
	select {
	case <-b.done:
	case <-time.After(time.Minute):
		b.t.Fatalf("%v still runs", b.cmd.Args)
	}
	return b.cmd.ProcessState.ExitCode()
}

// TestStats: Docker's eight columns with network and block I/O, --format,
// --no-stream, a redraw in place on a terminal.
func TestStats(t *testing.T) {
	e := newEnv(t)
	e.withBusybox()
	net := e.detached("--name", "talker", "busybox", "sh", "-c",
		"gw=$(ip route | awk '/default/ {print $3}'); for i in 1 2 3; do echo hello | nc -u -w 1 $gw 9; done; echo sent; exec sleep 300")
	e.detached("--name", "quiet", "--network", "none", "busybox", "sleep", "300")
	e.awaitLog(net, "sent")

	out := e.ok("stats", "--no-stream")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 || regexp.MustCompile(`\s{3,}`).ReplaceAllString(lines[0], "|") != "CONTAINER ID|NAME|CPU %|MEM USAGE / LIMIT|MEM %|NET I/O|BLOCK I/O|PIDS" {
		t.Fatalf("stats --no-stream:\n%s", out)
	}
	row := regexp.MustCompile(`^[0-9a-f]{12}\s+(talker|quiet)\s+[0-9.]+%\s+[0-9.]+[KMG]?i?B / [0-9.]+[KMG]iB\s+[0-9.]+%\s+[0-9.]+[kMG]?B / [0-9.]+[kMG]?B\s+[0-9.]+[kMG]?B / [0-9.]+[kMG]?B\s+1$`)
	for _, l := range lines[1:] {
		if !row.MatchString(l) {
			t.Errorf("stats row %q", l)
		}
	}
	stat := func(name, field string) string {
		return strings.TrimSpace(e.ok("stats", "--no-stream", "--format", field, name))
	}
	if got := stat("quiet", "{{.NetIO}}"); got != "0B / 0B" {
		t.Errorf("NET I/O of a container without a network = %q", got)
	}
	if got := stat("talker", "{{.NetIO}}"); strings.HasSuffix(got, " / 0B") {
		t.Errorf("NET I/O of a container that sent packets = %q", got)
	}
	if got := stat("talker", "{{.Name}} {{.Container}} {{.PIDs}}"); got != "talker talker 1" {
		t.Errorf("stats --format = %q", got)
	}
	if got := stat(net[:8], "table {{.ID}}\t{{.PIDs}}"); got != "CONTAINER ID   PIDS\n"+net[:12]+"   1" {
		t.Errorf("stats --format table = %q", got)
	}
	e.fails(1, "No such container: nosuch", "stats", "--no-stream", "nosuch")

	// On a terminal, each frame is drawn over the last.
	s := e.startPty("stats", "talker")
	s.expect("\033[2J\033[HCONTAINER ID")
	s.expect("\033[J\033[HCONTAINER ID")
}

// TestLongRunningCommandsEnd: stats, logs -f and wait end on SIGINT,
// SIGTERM and SIGHUP, quietly with 128+signal, and when their container is
// removed.
func TestLongRunningCommandsEnd(t *testing.T) {
	e := newEnv(t)
	e.withBusybox()
	id := e.detached("--name", "svc", "busybox", "sh", "-c", "echo up; exec sleep 300")
	e.awaitLog(id, "up")
	for _, tt := range []struct {
		args  []string
		ready string
	}{
		{[]string{"stats"}, "CONTAINER ID"},
		{[]string{"stats", "svc"}, "CONTAINER ID"},
		{[]string{"logs", "-f", "svc"}, "up"},
		{[]string{"wait", "svc"}, ""},
	} {
		for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP} {
			b := e.background(tt.args...)
			b.await(tt.ready)
			if tt.ready == "" {
				awaitWaiting(t, b.cmd.Process.Pid)
			}
			b.cmd.Process.Signal(sig)
			if code := b.ended(); code != 128+int(sig) || b.stderr.String() != "" {
				t.Errorf("%s after %v: exit %d, want %d; stderr %q", strings.Join(tt.args, " "), sig, code, 128+int(sig), b.stderr.String())
			}
		}
	}
	// Removing the container ends them.
	stats, logs, wait := e.background("stats", "svc"), e.background("logs", "-f", "svc"), e.background("wait", "svc")
	stats.await("svc")
	logs.await("up")
	awaitWaiting(t, wait.cmd.Process.Pid)
	e.ok("rm", "-f", "svc")
	for name, b := range map[string]*background{"stats": stats, "logs -f": logs, "wait": wait} {
		if code := b.ended(); code != 0 {
			t.Errorf("%s after rm -f: exit %d; stderr %q", name, code, b.stderr.String())
		}
	}
}

// awaitWaiting waits until process pid (geedocker wait) holds a pidfd: it
// waits for the container's monitor, its signal handling set up before.
func awaitWaiting(t *testing.T, pid int) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		fds, _ := filepath.Glob(fmt.Sprintf("/proc/%d/fd/*", pid))
		for _, fd := range fds {
			if l, _ := os.Readlink(fd); l == "anon_inode:[pidfd]" {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("process %d never waited", pid)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestTTYNeedsATerminal: run -it and exec -it with an input that is not a
// terminal fail at once, as Docker's; on a terminal exec -it shows the
// prompt with nothing before it (no ^@).
func TestTTYNeedsATerminal(t *testing.T) {
	e := newEnv(t)
	e.withBusybox()
	id := e.detached("busybox", "sleep", "300")
	for _, args := range [][]string{
		{"run", "-it", "--rm", "busybox", "true"},
		{"run", "-ti", "--name", "never", "busybox", "true"},
		{"exec", "-it", id, "sh"},
	} {
		cmd := e.command(args...)
		cmd.Stdin = strings.NewReader("echo hi\n")
		var stderr strings.Builder
		cmd.Stderr = &stderr
		done := make(chan error, 1)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		go func() { done <- cmd.Wait() }()
		select {
		case <-done:
		case <-time.After(time.Minute):
			cmd.Process.Kill()
			t.Fatalf("%s with a pipe for input still runs", strings.Join(args, " "))
		}
		if code := cmd.ProcessState.ExitCode(); code != 1 || strings.TrimSpace(stderr.String()) != "Error: the input device is not a TTY" {
			t.Errorf("%s: exit %d, stderr %q", strings.Join(args, " "), code, stderr.String())
		}
	}
	if got := e.ok("ps", "-aq"); strings.Count(got, "\n") != 1 {
		t.Errorf("a refused run left a container:\n%s", got)
	}
	// -d, or -t without -i, needs no terminal.
	e.ok("run", "-t", "--rm", "busybox", "true")
	e.ok("exec", "-t", id, "true")

	s := e.startPty("exec", "-it", id, "sh")
	s.expect("# ")
	if out := s.buf.String(); strings.ContainsAny(out, "\x00") || strings.Contains(out, "^@") {
		t.Errorf("exec -it output before the prompt: %q", out)
	}
	s.ptmx.Write([]byte("exit\r"))
	s.cmd.Wait()
}

// TestPruneReclaimedSpace: prune reports the space it freed.
func TestPruneReclaimedSpace(t *testing.T) {
	e := newEnv(t)
	e.withBusybox()
	e.ok("run", "--name", "writer", "busybox", "sh", "-c", "head -c 5000 /dev/zero > /data")
	e.ok("run", "--name", "idle", "busybox", "true")
	if got := e.ok("container", "prune", "-f"); !strings.HasSuffix(got, "\n\nTotal reclaimed space: 5kB\n") || !strings.HasPrefix(got, "Deleted Containers:\n") {
		t.Errorf("container prune:\n%s", got)
	}
	if got := e.ok("container", "prune", "-f"); got != "Total reclaimed space: 0B\n" {
		t.Errorf("container prune with nothing to prune:\n%s", got)
	}

	// An untagged image whose one layer holds 12345 bytes.
	var tarball bytes.Buffer
	tw := tar.NewWriter(&tarball)
	tw.WriteHeader(&tar.Header{Name: "blob", Mode: 0o644, Size: 12345, Typeflag: tar.TypeReg})
	tw.Write(bytes.Repeat([]byte("x"), 12345))
	tw.Close()
	path := filepath.Join(t.TempDir(), "junk.tar")
	if err := os.WriteFile(path, tarball.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	id := strings.TrimSpace(e.ok("import", path))
	got := e.ok("image", "prune", "-f")
	if want := "Deleted Images:\ndeleted: " + id + "\n\nTotal reclaimed space: 12.3kB\n"; got != want {
		t.Errorf("image prune:\n%s\nwant\n%s", got, want)
	}
	if got := e.ok("image", "prune", "-f"); got != "Total reclaimed space: 0B\n" {
		t.Errorf("image prune with nothing to prune:\n%s", got)
	}
}

// TestNetworkContainer: --network container:NAME|ID joins the network
// namespace of a running container, with its names.
func TestNetworkContainer(t *testing.T) {
	e := newEnv(t)
	e.withBusybox()
	id := e.detached("--name", "web", "busybox", "sleep", "300")
	ip := e.inspectField("web", "{{.NetworkSettings.IPAddress}}")
	if ip == "" {
		t.Fatal("web has no address")
	}
	for _, ref := range []string{"web", id, id[:12]} {
		out := e.sh([]string{"--network", "container:" + ref}, "ip -4 -o addr show eth0; hostname; cat /etc/resolv.conf")
		if !strings.Contains(out, " "+ip+"/") || !strings.Contains(out, "\n"+id[:12]+"\n") {
			t.Errorf("--network container:%s:\n%s", ref, out)
		}
	}
	joiner := e.detached("--network", "container:web", "busybox", "sleep", "300")
	if got := e.inspectField(joiner, "{{.HostConfig.NetworkMode}}"); got != "container:"+id {
		t.Errorf("NetworkMode = %q, want container:%s", got, id)
	}
	e.fails(125, "No such container: nosuch", "run", "--rm", "--network", "container:nosuch", "busybox", "true")
	e.fails(125, "conflicting options: hostname and the network mode", "run", "--rm", "-h", "x", "--network", "container:web", "busybox", "true")
	e.ok("run", "--name", "stopped", "busybox", "true")
	t.Cleanup(func() { e.gd("rm", "stopped") })
	e.fails(125, "cannot join network of a non running container: stopped", "run", "--rm", "--network", "container:stopped", "busybox", "true")
}
