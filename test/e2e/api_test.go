package e2e

import (
	"context"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/geedocker/geedocker/internal/testutil"
)

// apiServer is a `geedocker serve` started by a test, and the docker CLI
// pointed at it.
type apiServer struct {
	e      *env
	sock   string
	cmd    *exec.Cmd
	exited chan struct{}
	config string // the docker CLI's config directory (nothing of the user's)
}

// needDocker skips a test when the docker CLI is missing.
func needDocker(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("docker"); err != nil {
		t.Skip("the docker CLI is not on PATH")
	}
}

// serve starts `geedocker serve` on a unix socket in a temp dir: in the
// test's network namespace, or with hostNet in the machine's (to reach the
// test registry on its loopback, as the harness runs pull). It is SIGKILLed
// at the end of the test unless stopped before.
func (e *env) serve(hostNet bool) *apiServer {
	e.t.Helper()
	dir := e.t.TempDir()
	s := &apiServer{e: e, sock: filepath.Join(dir, "docker.sock"), exited: make(chan struct{}), config: filepath.Join(dir, "cli")}
	args := []string{"--root", e.root, "--config-file", e.cfg, "serve", "-H", "unix://" + s.sock}
	if hostNet {
		s.cmd = exec.Command(e.bin, args...)
	} else {
		s.cmd = exec.Command("nsenter", append([]string{"--net=" + e.netns, e.bin}, args...)...)
	}
	s.cmd.Stderr = os.Stderr
	if err := s.cmd.Start(); err != nil {
		e.t.Fatal(err)
	}
	go func() { s.cmd.Wait(); close(s.exited) }()
	// Whatever a failed test left running is removed, with the CLI, before
	// the network namespace goes.
	e.t.Cleanup(e.removeAll)
	e.t.Cleanup(s.kill)
	s.awaitSocket()
	return s
}

// awaitSocket returns once the server accepts connections.
func (s *apiServer) awaitSocket() {
	s.e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testutil.RunTimeout)
	defer cancel()
	for {
		if c, err := net.Dial("unix", s.sock); err == nil {
			c.Close()
			return
		}
		select {
		case <-s.exited:
			s.e.t.Fatalf("geedocker serve exited: %v", s.cmd.ProcessState)
		case <-ctx.Done():
			s.e.t.Fatal("geedocker serve did not listen")
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// removeAll removes every container of the env.
func (e *env) removeAll() {
	if ids := strings.Fields(e.gd("ps", "-aq", "--no-trunc").Stdout); len(ids) > 0 {
		e.gd(append([]string{"rm", "-f"}, ids...)...)
	}
}

// kill SIGKILLs the server (its containers stay with their monitors).
func (s *apiServer) kill() {
	s.cmd.Process.Signal(syscall.SIGKILL)
	<-s.exited
}

// docker runs the docker CLI against the server.
func (s *apiServer) docker(args ...string) testutil.Result {
	s.e.t.Helper()
	os.Setenv("DOCKER_HOST", "unix://"+s.sock)
	os.Setenv("DOCKER_CONFIG", s.config)
	defer os.Unsetenv("DOCKER_HOST")
	defer os.Unsetenv("DOCKER_CONFIG")
	return testutil.Run(s.e.t, "docker", args...)
}

// ok runs docker and fails the test unless it exits 0.
func (s *apiServer) ok(args ...string) string {
	s.e.t.Helper()
	r := s.docker(args...)
	if r.Code != 0 {
		s.e.t.Fatalf("docker %s: exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), r.Code, r.Stdout, r.Stderr)
	}
	return r.Stdout
}

// fails runs docker and checks its exit code and stderr.
func (s *apiServer) fails(code int, want string, args ...string) {
	s.e.t.Helper()
	r := s.docker(args...)
	if r.Code != code || !strings.Contains(r.Stderr, want) {
		s.e.t.Fatalf("docker %s: exit %d, stderr %q; want exit %d and %q", strings.Join(args, " "), r.Code, r.Stderr, code, want)
	}
}

func TestAPISystemAndImages(t *testing.T) {
	needDocker(t)
	e := newEnv(t)
	reg := testutil.StartRegistry(t, testutil.RegistryOptions{})
	testutil.Push(t, testutil.BusyboxImage(t), reg.Addr+"/busybox:latest")
	s := e.serve(false)

	out := s.ok("version", "--format", "{{.Server.APIVersion}} {{.Server.MinAPIVersion}} {{.Client.APIVersion}}")
	if f := strings.Fields(out); len(f) != 3 || f[0] != "1.57" || f[1] != "1.24" {
		t.Errorf("docker version: %q, want server API 1.57, minimum 1.24", out)
	}
	out = s.ok("info", "--format", "{{.Driver}} {{.OSType}} {{.Images}} {{.DockerRootDir}}")
	if want := "overlay linux 0 " + e.root + "\n"; out != want {
		t.Errorf("docker info: %q, want %q", out, want)
	}

	// The registry is on the machine's loopback: a second server, over the
	// same store, pulls there (as the harness runs pull).
	host := e.serve(true)
	out = host.ok("pull", reg.Addr+"/busybox")
	for _, want := range []string{"latest: Pulling from busybox", "Digest: sha256:", "Status: Downloaded newer image for " + reg.Addr + "/busybox:latest"} {
		if !strings.Contains(out, want) {
			t.Errorf("docker pull output lacks %q:\n%s", want, out)
		}
	}
	host.kill()
	// The other server sees it at once, and so does the CLI.
	s.ok("tag", reg.Addr+"/busybox", "busybox:1")
	out = s.ok("images", "--format", "{{.Repository}}:{{.Tag}}")
	lines := strings.Fields(out)
	sort.Strings(lines)
	if want := []string{reg.Addr + "/busybox:latest", "busybox:1"}; strings.Join(lines, " ") != strings.Join(want, " ") {
		t.Errorf("docker images:\n%s\nwant %v", out, want)
	}
	if out := e.ok("images", "--format", "{{.Repository}}:{{.Tag}}"); !strings.Contains(out, "busybox:1\n") {
		t.Errorf("geedocker images does not show the API's tag:\n%s", out)
	}
	id := strings.TrimSpace(s.ok("image", "inspect", "-f", "{{.Id}}", "busybox:1"))
	if !strings.HasPrefix(id, "sha256:") {
		t.Errorf("image inspect -f {{.Id}}: %q", id)
	}
	if out := s.ok("history", "--format", "{{.ID}}", "busybox:1"); !strings.HasPrefix(out, strings.TrimPrefix(id, "sha256:")[:12]) {
		t.Errorf("docker history: %q, want the image ID %s first", out, id)
	}
	s.ok("rmi", "busybox:1")
	if out := s.ok("images", "-q"); strings.Count(out, "\n") != 1 {
		t.Errorf("images -q after rmi of one tag:\n%s", out)
	}

	s.fails(1, "Error response from daemon: No such image: nope", "image", "inspect", "nope")
	s.fails(1, "No such object: nope", "inspect", "nope")
	s.fails(1, "Error response from daemon: No such container: nope", "rm", "nope")
	s.fails(1, "Error response from daemon: No such image: nope:latest", "rmi", "nope")
}

func TestAPIContainers(t *testing.T) {
	needDocker(t)
	e := newEnv(t)
	e.withBusybox()
	s := e.serve(false)

	// create + attach + start + wait, output and exit code.
	r := s.docker("run", "--rm", "busybox", "sh", "-c", "echo hi; echo err >&2; exit 3")
	if r.Code != 3 || r.Stdout != "hi\n" || r.Stderr != "err\n" {
		t.Errorf("docker run --rm: exit %d, stdout %q, stderr %q; want 3, \"hi\\n\", \"err\\n\"", r.Code, r.Stdout, r.Stderr)
	}
	if out := s.ok("ps", "-aq"); out != "" {
		t.Errorf("ps -aq after run --rm: %q", out)
	}
	// stdin piped with -i.
	cmd := exec.Command("docker", "run", "--rm", "-i", "busybox", "tr", "a-z", "A-Z")
	cmd.Env = append(os.Environ(), "DOCKER_HOST=unix://"+s.sock, "DOCKER_CONFIG="+s.config)
	cmd.Stdin = strings.NewReader("piped\n")
	if out, err := cmd.Output(); err != nil || string(out) != "PIPED\n" {
		t.Errorf("docker run -i with stdin: %q, %v", out, err)
	}

	id := strings.TrimSpace(s.ok("run", "-d", "--name", "web", "busybox", "sh", "-c", "echo started; exec sleep 1000"))
	if len(id) != 64 {
		t.Fatalf("run -d printed %q", id)
	}
	// The API and the CLI see the same containers at once.
	if out := s.ok("ps", "--format", "{{.Names}} {{.State}}"); out != "web running\n" {
		t.Errorf("docker ps: %q", out)
	}
	if out := e.ok("ps", "--format", "{{.Names}} {{.State}}"); out != "web running\n" {
		t.Errorf("geedocker ps: %q", out)
	}
	e.ok("run", "-d", "--name", "cli", "busybox", "sleep", "1000")
	if out := s.ok("ps", "--format", "{{.Names}}", "--filter", "name=cli"); out != "cli\n" {
		t.Errorf("docker ps --filter name=cli: %q", out)
	}
	if out := s.ok("logs", "web"); out != "started\n" {
		t.Errorf("docker logs: %q", out)
	}
	if out := s.ok("logs", "-t", "web"); !strings.HasSuffix(out, "Z started\n") {
		t.Errorf("docker logs -t: %q", out)
	}
	if out := s.ok("exec", "web", "sh", "-c", "echo in; echo err >&2"); out != "in\n" {
		t.Errorf("docker exec: %q", out)
	}
	if r := s.docker("exec", "web", "sh", "-c", "exit 7"); r.Code != 7 {
		t.Errorf("docker exec exit 7: %d %q", r.Code, r.Stderr)
	}
	if out := s.ok("stats", "--no-stream", "--format", "{{.Name}} {{.PIDs}}", "web"); out != "web 1\n" {
		t.Errorf("docker stats --no-stream: %q", out)
	}
	if out := s.ok("top", "web"); !strings.Contains(out, "sleep 1000") {
		t.Errorf("docker top:\n%s", out)
	}
	if out := s.ok("inspect", "-f", "{{.State.Status}} {{.Name}} {{.Config.Image}}", "web"); out != "running /web busybox\n" {
		t.Errorf("docker inspect: %q", out)
	}
	s.fails(125, "Error response from daemon: Conflict. The container name \"/web\" is already in use", "run", "-d", "--name", "web", "busybox", "true")
	s.fails(1, "container is running", "rm", "web")

	// The server SIGKILLed: the containers run on, a new server sees them.
	s.kill()
	s = e.serve(false)
	if out := s.ok("ps", "--format", "{{.Names}}"); out != "cli\nweb\n" {
		t.Errorf("docker ps after the server's restart: %q", out)
	}
	s.ok("stop", "-t", "1", "web")
	if out := s.ok("inspect", "-f", "{{.State.Status}} {{.State.ExitCode}}", "web"); out != "exited 137\n" && out != "exited 143\n" {
		t.Errorf("inspect after stop: %q", out)
	}
	if out := s.ok("wait", "web"); out != "137\n" && out != "143\n" {
		t.Errorf("docker wait: %q", out)
	}
	s.ok("rm", "-f", "cli", "web")
	if out := e.ok("ps", "-aq"); out != "" {
		t.Errorf("geedocker ps -aq after docker rm -f: %q", out)
	}
	e.assertNoCgroups()
}

func TestAPINetworks(t *testing.T) {
	needDocker(t)
	e := newEnv(t)
	s := e.serve(false)
	id := strings.TrimSpace(s.ok("network", "create", "--subnet", "10.77.0.0/24", "appnet"))
	if len(id) != 64 {
		t.Fatalf("network create printed %q", id)
	}
	if out := s.ok("network", "ls", "--format", "{{.Name}} {{.Driver}}"); !strings.Contains(out, "appnet bridge\n") {
		t.Errorf("network ls:\n%s", out)
	}
	if out := s.ok("network", "inspect", "-f", "{{range .IPAM.Config}}{{.Subnet}}{{end}}", "appnet"); out != "10.77.0.0/24\n" {
		t.Errorf("network inspect: %q", out)
	}
	if out := e.ok("network", "ls", "--format", "{{.Name}}"); !strings.Contains(out, "appnet\n") {
		t.Errorf("geedocker network ls does not show the API's network:\n%s", out)
	}
	s.fails(1, "already exists", "network", "create", "appnet")
	s.ok("network", "rm", "appnet")
	s.fails(1, "Error response from daemon: network not found: appnet", "network", "rm", "appnet")
}

func TestAPISocketAndHosts(t *testing.T) {
	needDocker(t)
	e := newEnv(t)
	s := e.serve(false)
	st, err := os.Stat(s.sock)
	if err != nil {
		t.Fatal(err)
	}
	sys := st.Sys().(*syscall.Stat_t)
	if st.Mode().Perm() != 0o660 || st.Mode()&os.ModeSocket == 0 || sys.Uid != 0 || sys.Gid != 0 {
		t.Errorf("socket %s: mode %v, owner %d:%d; want a socket, 0660, root:root", s.sock, st.Mode(), sys.Uid, sys.Gid)
	}
	// A user who is not in the group cannot connect.
	os.Chmod(filepath.Dir(s.sock), 0o755)
	cmd := exec.Command("docker", "version")
	cmd.Env = append(os.Environ(), "DOCKER_HOST=unix://"+s.sock, "DOCKER_CONFIG="+t.TempDir(), "HOME=/nonexistent")
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "permission denied") {
		t.Errorf("docker version as nobody: %v\n%s", err, out)
	}

	// TCP only on loopback; anything else is refused with one line.
	r := e.gd("serve", "-H", "tcp://0.0.0.0:2375")
	if r.Code != 125 || strings.Count(strings.TrimSpace(r.Stderr), "\n") != 0 || !strings.Contains(r.Stderr, "only on a loopback address") {
		t.Errorf("serve -H tcp://0.0.0.0:2375: exit %d, stderr %q", r.Code, r.Stderr)
	}
	// A second server on a live socket is refused, and the first one goes on.
	r = e.gd("serve", "-H", "unix://"+s.sock)
	if r.Code != 1 || !strings.Contains(r.Stderr, "another server is listening") {
		t.Errorf("second serve on the same socket: exit %d, stderr %q", r.Code, r.Stderr)
	}
	s.ok("version")
}

func TestAPIRunExitCodes(t *testing.T) {
	needDocker(t)
	e := newEnv(t)
	e.withBusybox()
	s := e.serve(false)
	// Without --rm the CLI waits for the next exit.
	if r := s.docker("run", "--name", "two", "busybox", "sh", "-c", "echo out; exit 2"); r.Code != 2 || r.Stdout != "out\n" {
		t.Errorf("docker run exit 2: %d %q %q", r.Code, r.Stdout, r.Stderr)
	}
	if out := s.ok("ps", "-a", "--format", "{{.Names}} {{.Status}}"); !strings.HasPrefix(out, "two Exited (2)") {
		t.Errorf("ps -a: %q", out)
	}
	if out := s.ok("wait", "two"); out != "2\n" {
		t.Errorf("docker wait on an exited container: %q", out)
	}
	// start again, attached.
	if r := s.docker("start", "-a", "two"); r.Code != 2 || r.Stdout != "out\n" {
		t.Errorf("docker start -a: %d %q %q", r.Code, r.Stdout, r.Stderr)
	}
	if out := s.ok("logs", "--tail", "1", "two"); out != "out\n" {
		t.Errorf("docker logs --tail 1: %q", out)
	}
	if r := s.docker("run", "--rm", "busybox", "nonexistent-command"); r.Code != 127 {
		t.Errorf("docker run of a missing command: exit %d, %q", r.Code, r.Stderr)
	}
	s.ok("rm", "two")
	if out := e.ok("ps", "-aq"); out != "" {
		t.Errorf("containers left: %q", out)
	}
}

func TestAPIStreams(t *testing.T) {
	needDocker(t)
	if _, err := exec.LookPath("script"); err != nil {
		t.Skip("script (util-linux) is needed for a terminal")
	}
	e := newEnv(t)
	e.withBusybox()
	s := e.serve(false)
	// -t: the raw stream of a terminal; script gives the CLI one.
	cmd := exec.Command("script", "-qec", "docker run --rm -t busybox tty", "/dev/null")
	cmd.Env = append(os.Environ(), "DOCKER_HOST=unix://"+s.sock, "DOCKER_CONFIG="+s.config)
	out, err := cmd.Output()
	if err != nil || !strings.HasPrefix(string(out), "/dev/pts/") {
		t.Errorf("docker run -t busybox tty: %q, %v", out, err)
	}
	s.ok("run", "-d", "--name", "app", "busybox", "sh", "-c", "echo one; exec sleep 1000")
	// exec -i with stdin piped.
	cmd = exec.Command("docker", "exec", "-i", "app", "sh", "-c", "cat; echo done")
	cmd.Env = append(os.Environ(), "DOCKER_HOST=unix://"+s.sock, "DOCKER_CONFIG="+s.config)
	cmd.Stdin = strings.NewReader("to exec\n")
	if out, err := cmd.Output(); err != nil || string(out) != "to exec\ndone\n" {
		t.Errorf("docker exec -i: %q, %v", out, err)
	}
	// Two clients at once: logs -f follows while the CLI's ps lists.
	follow := exec.Command("docker", "logs", "-f", "app")
	follow.Env = cmd.Env
	stdout, err := follow.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := follow.Start(); err != nil {
		t.Fatal(err)
	}
	defer follow.Process.Kill()
	if out := e.ok("ps", "--format", "{{.Names}}"); out != "app\n" {
		t.Errorf("geedocker ps while docker logs -f runs: %q", out)
	}
	buf := make([]byte, len("one\n"))
	if _, err := io.ReadFull(stdout, buf); err != nil || string(buf) != "one\n" {
		t.Errorf("docker logs -f: %q, %v", buf, err)
	}
	s.ok("rm", "-f", "app")
	// logs -f ends when its container is gone.
	rest, _ := io.ReadAll(stdout)
	if err := follow.Wait(); err != nil || len(rest) != 0 {
		t.Errorf("docker logs -f after rm -f: %v, more output %q", err, rest)
	}
}

func TestAPINetworkConnect(t *testing.T) {
	needDocker(t)
	e := newEnv(t)
	e.withBusybox()
	s := e.serve(false)
	s.ok("network", "create", "--subnet", "10.78.0.0/24", "n1")
	s.ok("run", "-d", "--name", "c1", "--network", "n1", "--network-alias", "db", "busybox", "sleep", "1000")
	if out := s.ok("inspect", "-f", "{{range $k, $v := .NetworkSettings.Networks}}{{$k}} {{$v.IPAddress}} {{end}}", "c1"); !strings.HasPrefix(out, "n1 10.78.0.") {
		t.Errorf("inspect networks: %q", out)
	}
	if out := s.ok("exec", "c1", "nslookup", "db", "127.0.0.11"); !strings.Contains(out, "10.78.0.") {
		t.Errorf("the alias from NetworkingConfig does not resolve:\n%s", out)
	}
	s.ok("run", "-d", "--name", "c2", "busybox", "sleep", "1000")
	s.ok("network", "connect", "n1", "c2")
	if out := s.ok("network", "inspect", "-f", "{{len .Containers}}", "n1"); out != "2\n" {
		t.Errorf("containers on n1 after connect: %q", out)
	}
	s.ok("network", "disconnect", "n1", "c2")
	if out := s.ok("network", "inspect", "-f", "{{len .Containers}}", "n1"); out != "1\n" {
		t.Errorf("containers on n1 after disconnect: %q", out)
	}
	s.fails(1, "Error response from daemon:", "network", "rm", "n1")
	s.ok("rm", "-f", "c1", "c2")
	s.ok("network", "rm", "n1")
}

func TestAPIRestartAndPrune(t *testing.T) {
	needDocker(t)
	e := newEnv(t)
	e.withBusybox()
	s := e.serve(false)
	s.ok("run", "-d", "--name", "rr", "busybox", "sh", "-c", "echo start; exec sleep 1000")
	first := s.ok("inspect", "-f", "{{.State.Pid}}", "rr")
	s.ok("restart", "-t", "1", "rr")
	if out := s.ok("inspect", "-f", "{{.State.Status}}", "rr"); out != "running\n" {
		t.Errorf("after restart: %q", out)
	}
	if again := s.ok("inspect", "-f", "{{.State.Pid}}", "rr"); again == first {
		t.Errorf("restart kept PID %s", first)
	}
	if out := s.ok("logs", "rr"); out != "start\nstart\n" {
		t.Errorf("logs after restart: %q", out)
	}
	s.ok("run", "--name", "done", "busybox", "true")
	out := s.ok("container", "prune", "-f")
	if !strings.Contains(out, "Deleted Containers:") || strings.Count(out, "\n") < 2 {
		t.Errorf("container prune:\n%s", out)
	}
	if out := s.ok("ps", "-a", "--format", "{{.Names}}"); out != "rr\n" {
		t.Errorf("ps -a after prune: %q", out)
	}
	s.ok("network", "create", "unused")
	if out := s.ok("network", "prune", "-f"); !strings.Contains(out, "unused") {
		t.Errorf("network prune:\n%s", out)
	}
	s.ok("rm", "-f", "rr")
}
