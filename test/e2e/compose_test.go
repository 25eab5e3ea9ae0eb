//go:build linux

package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/geedocker/geedocker/internal/testutil"
)

// composeFile is a two-service application: db serves a page written to a
// named volume from its environment, app fetches it from db by service name
// over a user network and serves it again on a port published on 127.0.0.1.
// Both are on a second network too, joined after their creation (network
// connect), where db has an alias.
const composeFile = `version: "3.8"
services:
  db:
    image: busybox
    command: ["sh", "-c", "echo \"$$GREETING from db\" > /data/index.html; echo db ready; exec httpd -f -p 80 -h /data"]
    environment:
      GREETING: hello
    volumes:
      - dbdata:/data
    networks:
      backend:
      extra:
        aliases: [database]
    labels:
      com.example.role: database
  app:
    image: busybox
    command: ["sh", "-c", "until wget -q -O /tmp/index.html http://db/index.html; do sleep 0.1; done; echo \"app ($$MODE) fetched $$(cat /tmp/index.html)\"; exec httpd -f -p 8000 -h /tmp"]
    depends_on: [db]
    environment:
      - MODE=test
    ports:
      - "127.0.0.1:18000:8000"
    networks: [backend, extra]
networks:
  backend:
  extra:
volumes:
  dbdata:
`

// needCompose skips a test when docker-compose is missing
// (scripts/test-deps.sh installs Debian's docker-compose 1.29.2).
func needCompose(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("docker-compose"); err != nil {
		if os.Getenv("GEEDOCKER_REQUIRE_ROOT_TESTS") == "1" {
			t.Fatal("docker-compose is not on PATH (scripts/test-deps.sh installs it)")
		}
		t.Skip("docker-compose is not on PATH")
	}
}

// compose runs docker-compose on the project in dir against the server.
func (s *apiServer) compose(dir string, args ...string) testutil.Result {
	s.e.t.Helper()
	env := []string{"DOCKER_HOST=unix://" + s.sock, "DOCKER_CONFIG=" + s.config, "COMPOSE_PROJECT_NAME=gdc",
		"COMPOSE_FILE=" + filepath.Join(dir, "docker-compose.yml"), "COMPOSE_INTERACTIVE_NO_CLI=1"}
	return testutil.Run(s.e.t, "env", append(append(env, "docker-compose", "--ansi", "never"), args...)...)
}

// composeOK runs docker-compose and fails the test unless it exits 0; it
// returns stdout and stderr (docker-compose reports progress on stderr).
func (s *apiServer) composeOK(dir string, args ...string) (string, string) {
	s.e.t.Helper()
	r := s.compose(dir, args...)
	if r.Code != 0 {
		s.e.t.Fatalf("docker-compose %s: exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), r.Code, r.Stdout, r.Stderr)
	}
	return r.Stdout, r.Stderr
}

func TestCompose(t *testing.T) {
	needDocker(t)
	needCompose(t)
	e := newEnv(t)
	e.withBusybox()
	s := e.serve(false)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "docker-compose.yml"), []byte(composeFile), 0o644); err != nil {
		t.Fatal(err)
	}
	// Whatever a failed test left is taken down (the server outlives this cleanup).
	t.Cleanup(func() { s.compose(dir, "down", "-v", "-t", "1") })

	_, progress := s.composeOK(dir, "up", "-d")
	for _, want := range []string{
		`Creating network "gdc_backend" with the default driver`, `Creating network "gdc_extra" with the default driver`,
		`Creating volume "gdc_dbdata" with default driver`,
		"Creating gdc_db_1 ... done", "Creating gdc_app_1 ... done",
	} {
		if !strings.Contains(progress, want) {
			t.Errorf("docker-compose up -d lacks %q:\n%s", want, progress)
		}
	}
	// depends_on: db was created and started before app.
	if strings.Index(progress, "Creating gdc_db_1") > strings.Index(progress, "Creating gdc_app_1") {
		t.Errorf("app was created before db:\n%s", progress)
	}

	// The network and volume carry compose's labels.
	if out := s.ok("network", "ls", "--filter", "label=com.docker.compose.project=gdc", "--format", "{{.Name}} {{.Driver}}"); out != "gdc_backend bridge\ngdc_extra bridge\n" {
		t.Errorf("docker network ls --filter label=com.docker.compose.project=gdc: %q", out)
	}
	if out := s.ok("volume", "ls", "--filter", "label=com.docker.compose.volume=dbdata", "-q"); out != "gdc_dbdata\n" {
		t.Errorf("docker volume ls --filter label=com.docker.compose.volume=dbdata: %q", out)
	}
	// A second up finds everything as the file says.
	if _, progress := s.composeOK(dir, "up", "-d"); !strings.Contains(progress, "gdc_db_1 is up-to-date") || !strings.Contains(progress, "gdc_app_1 is up-to-date") {
		t.Errorf("a second docker-compose up -d:\n%s", progress)
	}

	// --force-recreate replaces both containers (rename, create, start, rm).
	_, progress = s.composeOK(dir, "up", "-d", "--force-recreate", "-t", "1")
	for _, want := range []string{"Recreating gdc_db_1 ... done", "Recreating gdc_app_1 ... done"} {
		if !strings.Contains(progress, want) {
			t.Errorf("docker-compose up -d --force-recreate lacks %q:\n%s", want, progress)
		}
	}
	if out := e.ok("ps", "-a", "--format", "{{.Names}}"); out != "gdc_app_1\ngdc_db_1\n" && out != "gdc_db_1\ngdc_app_1\n" {
		t.Errorf("containers after --force-recreate: %q", out)
	}

	// app reaches db by its service name; its log says so.
	deadline := time.Now().Add(30 * time.Second)
	for {
		out, _ := s.composeOK(dir, "logs", "--no-color", "app")
		if strings.Contains(out, "app_1  | app (test) fetched hello from db\n") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("docker-compose logs app never showed the page from db:\n%s", out)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if out, _ := s.composeOK(dir, "logs", "--no-color", "db"); !strings.Contains(out, "db_1   | db ready\n") {
		t.Errorf("docker-compose logs db:\n%s", out)
	}
	// The published port, on 127.0.0.1 of the engine's namespace.
	if out, err := httpGet(t, e.netns, "http://127.0.0.1:18000/index.html"); err != nil || out != "hello from db\n" {
		t.Errorf("GET the published port: %q %v", out, err)
	}

	out, _ := s.composeOK(dir, "ps")
	for _, want := range []string{"gdc_app_1", "Up", "127.0.0.1:18000->8000/tcp", "gdc_db_1"} {
		if !strings.Contains(out, want) {
			t.Errorf("docker-compose ps lacks %q:\n%s", want, out)
		}
	}
	if out, _ := s.composeOK(dir, "ps", "--services"); out != "app\ndb\n" && out != "db\napp\n" {
		t.Errorf("docker-compose ps --services: %q", out)
	}
	// pause and unpause (the cgroup freezer), as ps shows them.
	s.composeOK(dir, "pause", "db")
	if out, _ := s.composeOK(dir, "ps", "db"); !strings.Contains(out, "Paused") {
		t.Errorf("docker-compose ps db after pause:\n%s", out)
	}
	s.composeOK(dir, "unpause", "db")
	if out, _ := s.composeOK(dir, "ps", "db"); strings.Contains(out, "Paused") || !strings.Contains(out, "Up") {
		t.Errorf("docker-compose ps db after unpause:\n%s", out)
	}
	// exec -T: no terminal, the service's environment, the volume's content.
	if out, _ := s.composeOK(dir, "exec", "-T", "db", "sh", "-c", "echo $GREETING; cat /data/index.html"); out != "hello\nhello from db\n" {
		t.Errorf("docker-compose exec -T db: %q", out)
	}
	// The alias on the network joined after the creation.
	if out, _ := s.composeOK(dir, "exec", "-T", "app", "wget", "-q", "-O-", "http://database/index.html"); out != "hello from db\n" {
		t.Errorf("app fetching db by its alias on the second network: %q", out)
	}
	if r := s.compose(dir, "exec", "-T", "db", "sh", "-c", "exit 3"); r.Code != 3 {
		t.Errorf("docker-compose exec -T exit 3: %d %q", r.Code, r.Stderr)
	}
	// A one-off container of a service, removed after; its exit code is the
	// command's. (docker-compose 1.29.2 attaches to a one-off container only
	// after starting it, dockerpty's sockets being a lazy map on Python 3:
	// its first output can be lost with any engine, so the exit codes tell.)
	if r := s.compose(dir, "run", "--rm", "-T", "app", "sh", "-c", `[ "$MODE" = test ] && wget -q -O- http://db/index.html | grep -qx "hello from db"`); r.Code != 0 {
		t.Errorf("docker-compose run --rm -T app (env, db by name): exit %d, %q %q", r.Code, r.Stdout, r.Stderr)
	}
	if r := s.compose(dir, "run", "--rm", "-T", "db", "sh", "-c", "exit 5"); r.Code != 5 {
		t.Errorf("docker-compose run --rm -T db exit 5: exit %d, %q", r.Code, r.Stderr)
	}
	// The labels of the file and compose's own, as the docker CLI sees them.
	if out := s.ok("inspect", "-f", `{{index .Config.Labels "com.example.role"}} {{index .Config.Labels "com.docker.compose.service"}}`, "gdc_db_1"); out != "database db\n" {
		t.Errorf("labels of gdc_db_1: %q", out)
	}
	if out := s.ok("ps", "--filter", "label=com.docker.compose.project=gdc", "--format", "{{.Names}}"); out != "gdc_app_1\ngdc_db_1\n" {
		t.Errorf("docker ps --filter label=com.docker.compose.project=gdc: %q", out)
	}

	_, progress = s.composeOK(dir, "stop", "-t", "1")
	for _, want := range []string{"Stopping gdc_app_1 ... done", "Stopping gdc_db_1  ... done"} {
		if !strings.Contains(progress, want) {
			t.Errorf("docker-compose stop lacks %q:\n%s", want, progress)
		}
	}
	if out := e.ok("ps", "-a", "--format", "{{.Names}} {{.State}}"); out != "gdc_app_1 exited\ngdc_db_1 exited\n" {
		t.Errorf("geedocker ps -a after docker-compose stop: %q", out)
	}

	_, progress = s.composeOK(dir, "down", "-v")
	for _, want := range []string{"Removing gdc_app_1 ... done", "Removing gdc_db_1  ... done", "Removing network gdc_backend", "Removing network gdc_extra", "Removing volume gdc_dbdata"} {
		if !strings.Contains(progress, want) {
			t.Errorf("docker-compose down -v lacks %q:\n%s", want, progress)
		}
	}
	// Nothing is left: containers, the network, the volume.
	if out := e.ok("ps", "-aq"); out != "" {
		t.Errorf("containers left: %q", out)
	}
	if out := e.ok("network", "ls", "--format", "{{.Name}}"); strings.Contains(out, "gdc_") {
		t.Errorf("network left:\n%s", out)
	}
	if out := e.ok("volume", "ls", "-q"); out != "" {
		t.Errorf("volumes left: %q", out)
	}
	if out, _ := s.composeOK(dir, "ps", "-q"); out != "" {
		t.Errorf("docker-compose ps -q after down: %q", out)
	}
	e.assertNoCgroups()
}
