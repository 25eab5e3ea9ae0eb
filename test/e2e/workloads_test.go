//go:build linux

package e2e

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/geedocker/geedocker/internal/testutil"
)

// WorkloadsEnv names the root file system tarball of the real-workload tests, made by
// scripts/workloads-rootfs.sh (Debian bookworm with nginx-light, postgresql-15 and
// redis-server). Without it TestWorkloads is skipped: `make test-workloads` sets it.
const workloadsEnv = "GEEDOCKER_WORKLOADS_ROOTFS"

// The images of the workloads, built on the imported Debian root with `geedocker build`.
var workloadImages = map[string]string{
	// nginx in the foreground, its logs to the container's output, stopped gracefully.
	"workloads-nginx": `FROM workloads-base
RUN ln -sf /dev/stdout /var/log/nginx/access.log && ln -sf /dev/stderr /var/log/nginx/error.log
EXPOSE 80
STOPSIGNAL SIGQUIT
CMD ["nginx", "-g", "daemon off;"]
`,
	// The cluster Debian's postinst made, listening on the network, trusting it. The psql
	// client is in the same image: it is also the app.
	"workloads-postgres": `FROM workloads-base
RUN echo "listen_addresses = '*'" >> /etc/postgresql/15/main/postgresql.conf && \
    echo "host all all all trust" >> /etc/postgresql/15/main/pg_hba.conf
USER postgres
EXPOSE 5432
STOPSIGNAL SIGINT
CMD ["/usr/lib/postgresql/15/bin/postgres", "-D", "/var/lib/postgresql/15/main", "-c", "config_file=/etc/postgresql/15/main/postgresql.conf"]
`,
	// redis in the foreground, no persistence, DEBUG allowed from the network (to fill it).
	"workloads-redis": `FROM workloads-base
USER redis
WORKDIR /var/lib/redis
EXPOSE 6379
CMD ["redis-server", "--bind", "0.0.0.0", "--protected-mode", "no", "--save", "", "--appendonly", "no", "--enable-debug-command", "yes"]
`,
}

// TestWorkloads runs real programs from Debian as a user would: nginx serving a bind mount
// on a published port, postgres on a named volume reached by name from an app container
// and surviving kill -9, redis OOM-killed under -m. One store for all: the Debian root is
// imported and the images built once.
func TestWorkloads(t *testing.T) {
	rootfs := os.Getenv(workloadsEnv)
	if rootfs == "" {
		t.Skipf("%s is not set: `make test-workloads` makes the Debian root and runs these", workloadsEnv)
	}
	e := newEnv(t)
	start := time.Now()
	e.ok("import", "--change", "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", rootfs, "workloads-base")
	t.Logf("import of %s: %v", filepath.Base(rootfs), time.Since(start).Round(time.Millisecond))
	for name, dockerfile := range workloadImages {
		start := time.Now()
		e.buildID(buildCtx(t, map[string]string{"Dockerfile": dockerfile}), "-t", name)
		t.Logf("build of %s: %v", name, time.Since(start).Round(time.Millisecond))
	}
	t.Run("nginx", func(t *testing.T) { workloadNginx(e.forTest(t)) })
	t.Run("postgres", func(t *testing.T) { workloadPostgres(e.forTest(t)) })
	t.Run("redis-oom", func(t *testing.T) { workloadRedisOOM(e.forTest(t)) })
	if got := e.ok("ps", "-aq"); got != "" {
		t.Errorf("ps -aq after the workloads = %q", got)
	}
	e.assertNoCgroups()
	e.assertNetworkClean()
}

// forTest is the same installation driven from a subtest.
func (e *env) forTest(t *testing.T) *env {
	c := *e
	c.t = t
	return &c
}

// nginx serves a directory of the host, bind-mounted read-only, on a port published on
// 127.0.0.1 only; it is fetched over the loopback of the engine's network namespace.
func workloadNginx(e *env) {
	t := e.t
	site := t.TempDir()
	index := filepath.Join(site, "index.html")
	if err := os.WriteFile(index, []byte("hello from the host\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	outside := e.outsideWorld()
	e.detached("--name", "web", "-p", "127.0.0.1:8080:80", "-v", site+":/var/www/html:ro", "workloads-nginx")
	url := "http://127.0.0.1:8080/index.html"
	awaitCond(t, "nginx answering on "+url, func() string {
		if out, err := httpGet(t, e.netns, url); err != nil || out != "hello from the host\n" {
			return "GET " + url + ": " + out + " " + errString(err)
		}
		return ""
	})
	// The bind mount is live: a change on the host is served at once.
	if err := os.WriteFile(index, []byte("changed on the host\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := httpGet(t, e.netns, url); err != nil || out != "changed on the host\n" {
		t.Errorf("GET %s after the host's change: %q %v", url, out, err)
	}
	// Published on 127.0.0.1 only: not on the host's other addresses.
	if out, err := httpGet(t, e.netns, "http://198.51.100.1:8080/index.html"); err == nil {
		t.Errorf("a port published on 127.0.0.1 answers on the host's address 198.51.100.1: %q", out)
	}
	if out, err := httpGet(t, outside, "http://198.51.100.1:8080/index.html"); err == nil {
		t.Errorf("a port published on 127.0.0.1 answers from outside: %q", out)
	}
	if got := e.ok("port", "web"); got != "80/tcp -> 127.0.0.1:8080\n" {
		t.Errorf("port web = %q", got)
	}
	if ps := e.ok("ps", "--format", "{{.Names}} {{.Ports}}"); ps != "web 127.0.0.1:8080->80/tcp\n" {
		t.Errorf("ps PORTS = %q", ps)
	}
	// The access log goes to the container's output.
	e.awaitLog("web", `"GET /index.html HTTP/1.1" 200`)
	// A read-only bind: nginx's root cannot write into the host's directory.
	if r := e.gd("exec", "web", "touch", "/var/www/html/x"); r.Code == 0 {
		t.Errorf("touch in a :ro bind mount succeeded")
	}
	// STOPSIGNAL SIGQUIT: nginx finishes gracefully, exit 0.
	e.ok("stop", "web")
	if got := e.inspectField("web", "{{.State.Status}} {{.State.ExitCode}} {{.State.OOMKilled}}"); got != "exited 0 false" {
		t.Errorf("after stop: %q, want exited 0 false", got)
	}
	if out, err := httpGet(t, e.netns, url); err == nil {
		t.Errorf("GET %s after stop: %q", url, out)
	}
	e.ok("rm", "web")
	if entries, _ := os.ReadDir(site); len(entries) != 1 {
		t.Errorf("the bind source holds %d entries after rm, want index.html alone", len(entries))
	}
}

// postgres keeps its cluster on a named volume (filled from the image at first use); an
// app container on the same user network reaches it by name. kill -9 of its main process
// from the host: the restart policy brings it back, then (no policy) `start` does; each
// time after crash recovery with the committed rows there.
func workloadPostgres(e *env) {
	t := e.t
	t.Cleanup(func() {
		e.gd("rm", "-f", "db")
		e.gd("volume", "rm", "-f", "pgdata")
		e.gd("network", "rm", "appnet")
	})
	e.ok("network", "create", "appnet")
	psql := func(sql string) string {
		t.Helper()
		return e.ok("run", "--rm", "--network", "appnet", "workloads-postgres",
			"psql", "-h", "db", "-U", "postgres", "-v", "ON_ERROR_STOP=1", "-tAc", sql)
	}
	db := e.detached("--name", "db", "--network", "appnet", "--restart", "on-failure",
		"-v", "pgdata:/var/lib/postgresql", "workloads-postgres")
	e.awaitReady("db", "database system is ready to accept connections", 1)
	psql("CREATE TABLE visits (n int); INSERT INTO visits VALUES (42);")
	if got := e.ok("volume", "ls", "-q"); got != "pgdata\n" {
		t.Errorf("volume ls -q = %q, want pgdata alone", got)
	}
	mp := e.ok("volume", "inspect", "-f", "{{.Mountpoint}}", "pgdata")
	if _, err := os.Stat(filepath.Join(strings.TrimSpace(mp), "15", "main", "PG_VERSION")); err != nil {
		t.Errorf("the cluster is not on the volume: %v", err)
	}

	// kill -9 from the host; on-failure restarts it.
	pid := e.killMain("db")
	awaitCond(t, "db restarted by its policy", func() string {
		got := e.inspectField("db", "{{.RestartCount}} {{.State.Running}} {{.State.Pid}}")
		if f := strings.Fields(got); len(f) == 3 && f[0] == "1" && f[1] == "true" && f[2] != "0" && f[2] != strconv.Itoa(pid) {
			return ""
		}
		return "RestartCount, Running, Pid: " + got
	})
	e.awaitReady("db", "database system is ready to accept connections", 2)
	e.awaitLog("db", "automatic recovery in progress")
	if got := psql("SELECT n FROM visits"); got != "42\n" {
		t.Errorf("after kill -9 and the restart policy: SELECT = %q, want 42", got)
	}
	e.ok("rm", "-f", db)

	// A new container on the same volume, no restart policy: kill -9, then start.
	e.detached("--name", "db", "--network", "appnet", "-v", "pgdata:/var/lib/postgresql", "workloads-postgres")
	e.awaitReady("db", "database system is ready to accept connections", 1)
	psql("INSERT INTO visits VALUES (43);")
	e.killMain("db")
	if got := e.ok("wait", "db"); got != "137\n" {
		t.Errorf("wait db after kill -9 = %q, want 137", got)
	}
	if got := e.inspectField("db", "{{.State.Status}} {{.State.ExitCode}} {{.State.OOMKilled}} {{.RestartCount}}"); got != "exited 137 false 0" {
		t.Errorf("after kill -9: %q, want exited 137 false 0", got)
	}
	e.ok("start", "db")
	e.awaitReady("db", "database system is ready to accept connections", 2)
	if got := psql("SELECT n FROM visits ORDER BY n"); got != "42\n43\n" {
		t.Errorf("after kill -9 and start: SELECT = %q, want 42 and 43", got)
	}
	// STOPSIGNAL SIGINT: a fast shutdown, exit 0.
	e.ok("stop", "db")
	if got := e.inspectField("db", "{{.State.ExitCode}}"); got != "0" {
		t.Errorf("exit code after stop = %s, want 0", got)
	}
	e.ok("rm", "db")
	e.ok("volume", "rm", "pgdata")
	e.ok("network", "rm", "appnet")
}

// redis under -m 32m is filled past its limit by an app container: the kernel kills it,
// and inspect says so.
func workloadRedisOOM(e *env) {
	t := e.t
	t.Cleanup(func() {
		e.gd("rm", "-f", "cache")
		e.gd("network", "rm", "cachenet")
	})
	e.ok("network", "create", "cachenet")
	cli := func(args ...string) testutil.Result {
		t.Helper()
		return e.gd(append([]string{"run", "--rm", "--network", "cachenet", "workloads-redis", "redis-cli", "-h", "cache"}, args...)...)
	}
	e.detached("--name", "cache", "--network", "cachenet", "-m", "32m", "workloads-redis")
	e.awaitReady("cache", "Ready to accept connections", 1)
	if r := cli("SET", "greeting", "hello"); r.Code != 0 || r.Stdout != "OK\n" {
		t.Fatalf("SET: exit %d %q %q", r.Code, r.Stdout, r.Stderr)
	}
	if r := cli("GET", "greeting"); r.Code != 0 || r.Stdout != "hello\n" {
		t.Errorf("GET: exit %d %q %q", r.Code, r.Stdout, r.Stderr)
	}
	// About 400 MB of keys; the kernel ends it at 32.
	cli("DEBUG", "POPULATE", "2000000", "key", "100")
	if got := e.ok("wait", "cache"); got != "137\n" {
		t.Errorf("wait cache = %q, want 137", got)
	}
	if got := e.inspectField("cache", "{{.State.Status}} {{.State.OOMKilled}} {{.State.ExitCode}} {{.HostConfig.Memory}}"); got != "exited true 137 33554432" {
		t.Errorf("inspect cache = %q, want exited true 137 33554432", got)
	}
	if ps := e.ok("ps", "-a", "--format", "{{.Names}} {{.Status}}"); !strings.HasPrefix(ps, "cache Exited (137) ") {
		t.Errorf("ps -a = %q, want cache Exited (137) …", ps)
	}
	e.ok("rm", "cache")
	e.ok("network", "rm", "cachenet")
}

// awaitReady waits until the container's logs hold want at least n times.
func (e *env) awaitReady(ref, want string, n int) {
	e.t.Helper()
	awaitCond(e.t, ref+" ready", func() string {
		r := e.gd("logs", ref)
		if got := strings.Count(r.Stdout+r.Stderr, want); got < n {
			return "logs show " + strconv.Quote(want) + " " + strconv.Itoa(got) + " times, want " + strconv.Itoa(n) + ":\n" + r.Stdout + r.Stderr
		}
		return ""
	})
}

// killMain sends SIGKILL from the host to the container's main process, found by its host
// PID in inspect, and returns that PID.
func (e *env) killMain(ref string) int {
	e.t.Helper()
	pid, err := strconv.Atoi(e.inspectField(ref, "{{.State.Pid}}"))
	if err != nil || pid <= 1 {
		e.t.Fatalf("State.Pid of %s: %d %v", ref, pid, err)
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		e.t.Fatalf("kill -9 %d: %v", pid, err)
	}
	return pid
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
