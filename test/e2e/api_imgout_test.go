package e2e

import (
	"encoding/base64"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/geedocker/geedocker/internal/testutil"
)

// dockerPipe runs `sh -c script` with the docker CLI pointed at the
// server (for `docker save | docker load`).
func (s *apiServer) dockerPipe(script string) (string, error) {
	cmd := exec.Command("sh", "-c", script)
	cmd.Env = append(os.Environ(), "DOCKER_HOST=unix://"+s.sock, "DOCKER_CONFIG="+s.config, "DOCKER_BUILDKIT=0")
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// TestAPIBuild builds through POST /build with the docker CLI's classic
// builder: its step lines, the tags, -q, a failing RUN and its exit code.
func TestAPIBuild(t *testing.T) {
	needDocker(t)
	e := newEnv(t)
	e.importBusybox("busybox:latest")
	s := e.serve(false)
	t.Setenv("DOCKER_BUILDKIT", "0")

	dir := t.TempDir()
	write := func(name, content string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("Dockerfile", "FROM busybox\nARG GREETING=hi\nCOPY hello.txt /hello.txt\nRUN echo \"$GREETING built\" > /built.txt\nLABEL stage=one\nCMD [\"cat\", \"/hello.txt\", \"/built.txt\"]\n")
	write("hello.txt", "hello\n")
	out := s.ok("build", "--network", "none", "--build-arg", "GREETING=hey", "--label", "by=api", "-t", "built:v1", "-t", "built:v2", dir)
	for _, want := range []string{"Step 1/6 : FROM busybox\n", "Step 3/6 : COPY hello.txt /hello.txt\n", "Step 6/6 : CMD [\"cat\", \"/hello.txt\", \"/built.txt\"]\n",
		"Successfully built ", "Successfully tagged built:v1\n", "Successfully tagged built:v2\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("docker build output lacks %q:\n%s", want, out)
		}
	}
	if got := e.ok("run", "--rm", "--network", "none", "built:v2"); got != "hello\nhey built\n" {
		t.Errorf("run of the built image: %q", got)
	}
	if got := s.ok("image", "inspect", "-f", "{{.Config.Labels.stage}} {{.Config.Labels.by}}", "built:v1"); got != "one api\n" {
		t.Errorf("labels of the built image: %q", got)
	}
	id := strings.TrimSpace(s.ok("image", "inspect", "-f", "{{.Id}}", "built:v1"))

	// Fully cached, quiet: only the ID, the same one. --iidfile is written
	// from the aux line.
	if got := s.ok("build", "-q", "--network", "none", "--build-arg", "GREETING=hey", "--label", "by=api", "-t", "built:v1", dir); got != id+"\n" {
		t.Errorf("docker build -q: %q, want %q", got, id)
	}
	iid := filepath.Join(t.TempDir(), "iid")
	s.ok("build", "--network", "none", "--build-arg", "GREETING=hey", "--label", "by=api", "--iidfile", iid, dir)
	if b, err := os.ReadFile(iid); err != nil || string(b) != id {
		t.Errorf("--iidfile: %q %v, want %q", b, err, id)
	}

	// Without DOCKER_BUILDKIT and without the buildx plugin, the docker CLI
	// 28 falls back to this builder by itself, with a warning.
	if exec.Command("docker", "buildx", "version").Run() != nil {
		os.Unsetenv("DOCKER_BUILDKIT")
		r := s.docker("build", "-q", "--network", "none", "--build-arg", "GREETING=hey", "--label", "by=api", dir)
		os.Setenv("DOCKER_BUILDKIT", "0")
		if r.Code != 0 || r.Stdout != id+"\n" || !strings.Contains(r.Stderr, "legacy builder is deprecated") {
			t.Errorf("docker build without DOCKER_BUILDKIT: exit %d, stdout %q, stderr %q", r.Code, r.Stdout, r.Stderr)
		}
	}

	// The Dockerfile from stdin: the CLI sends a context of it alone.
	out, err := s.dockerPipe("printf 'FROM busybox\\nRUN exit 7\\n' | docker build --network none -t bad -")
	if code := exitCode(err); code != 7 || !strings.Contains(out, "The command '/bin/sh -c exit 7' returned a non-zero code: 7") {
		t.Errorf("failing RUN: exit %d, output:\n%s", code, out)
	}
	s.fails(1, "No such image: bad", "image", "inspect", "bad")
	write("Dockerfile.bad", "FROM busybox\nNOPE x\n")
	r := s.docker("build", "-f", filepath.Join(dir, "Dockerfile.bad"), dir)
	if r.Code == 0 || !strings.Contains(r.Stderr, "unknown instruction: NOPE") {
		t.Errorf("unknown instruction: exit %d, stderr %q", r.Code, r.Stderr)
	}
}

// exitCode is the exit code of a finished command's error.
func exitCode(err error) int {
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode()
	}
	if err != nil {
		return -1
	}
	return 0
}

// TestAPIImagesOut: commit, diff, export, save | load into another store,
// and push (with X-Registry-Auth) then pull elsewhere, all with the docker
// CLI.
func TestAPIImagesOut(t *testing.T) {
	needDocker(t)
	e := newEnv(t)
	e.importBusybox("busybox:latest")
	s := e.serve(false)

	s.ok("run", "--network", "none", "--name", "c1", "busybox", "sh", "-c", "echo x > /new.txt && mkdir /d && echo y > /d/f && rm /bin/ls")
	if got, want := s.ok("diff", "c1"), e.ok("diff", "c1"); got != want || !strings.Contains(got, "A /new.txt\n") || !strings.Contains(got, "D /bin/ls\n") {
		t.Errorf("docker diff:\n%s\ngeedocker diff:\n%s", got, want)
	}
	id := strings.TrimSpace(s.ok("commit", "-c", `CMD ["cat", "/new.txt"]`, "-m", "by the api", "-a", "me", "c1", "committed:v1"))
	if !strings.HasPrefix(id, "sha256:") {
		t.Errorf("docker commit printed %q", id)
	}
	if got := e.ok("run", "--rm", "--network", "none", "committed:v1"); got != "x\n" {
		t.Errorf("run of the committed image: %q", got)
	}
	if got := s.ok("image", "inspect", "-f", "{{.Comment}} {{.Author}}", "committed:v1"); got != "by the api me\n" {
		t.Errorf("committed image: %q", got)
	}
	s.fails(1, "Error response from daemon: No such container: nope", "commit", "nope")
	s.fails(1, "Error response from daemon: No such container: nope", "diff", "nope")

	exported := filepath.Join(t.TempDir(), "c1.tar")
	s.ok("export", "-o", exported, "c1")
	names := " " + strings.Join(tarNames(t, exported), " ") + " "
	if !strings.Contains(names, " new.txt ") || !strings.Contains(names, " d/f ") || strings.Contains(names, " bin/ls ") {
		t.Errorf("export of c1: %s", names)
	}

	// save | load into another store, through another server.
	archive := filepath.Join(t.TempDir(), "images.tar")
	s.ok("save", "-o", archive, "committed:v1", "busybox")
	if n := " " + strings.Join(tarNames(t, archive), " ") + " "; !strings.Contains(n, " manifest.json ") || !strings.Contains(n, " index.json ") {
		t.Errorf("docker save archive: %s", n)
	}
	e2 := newEnv(t)
	s2 := e2.serve(false)
	if out := s2.ok("load", "-i", archive); out != "Loaded image: committed:v1\nLoaded image: busybox:latest\n" {
		t.Errorf("docker load -i: %q", out)
	}
	if got := e2.ok("run", "--rm", "--network", "none", "committed:v1"); got != "x\n" {
		t.Errorf("run of the loaded image: %q", got)
	}
	s2.ok("rmi", "committed:v1")
	out, err := s.dockerPipe("docker save committed:v1 | DOCKER_HOST=unix://" + s2.sock + " docker load")
	if err != nil || out != "Loaded image: committed:v1\n" {
		t.Errorf("docker save | docker load: %v %q", err, out)
	}
	if e2.inspectImage("committed:v1").ID != id {
		t.Errorf("loaded with another ID than %s", id)
	}
	s.fails(1, "Error response from daemon: No such image: nope", "save", "nope")
	s2.fails(1, "Error response from daemon: ", "load", "-i", exported)
	if out := e2.ok("images", "-q"); strings.Count(out, "\n") != 2 {
		t.Errorf("a refused load added images:\n%s", out)
	}

	// push, with the credentials the docker CLI sends (X-Registry-Auth):
	// the server has none of its own.
	reg := testutil.StartRegistry(t, testutil.RegistryOptions{User: "alice", Password: "wonderland"})
	host := e.serve(true)
	host.ok("tag", "committed:v1", reg.Addr+"/committed:v1")
	host.fails(1, "denied", "push", reg.Addr+"/committed:v1")
	cfg := fmt.Sprintf(`{"auths": {%q: {"auth": %q}}}`, reg.Addr, base64.StdEncoding.EncodeToString([]byte("alice:wonderland")))
	if err := os.MkdirAll(host.config, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(host.config, "config.json"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	out = host.ok("push", reg.Addr+"/committed:v1")
	for _, want := range []string{"The push refers to repository [" + reg.Addr + "/committed]\n", ": Pushed\n", "v1: digest: sha256:"} {
		if !strings.Contains(out, want) {
			t.Errorf("docker push output lacks %q:\n%s", want, out)
		}
	}
	if out := host.ok("push", reg.Addr+"/committed:v1"); !strings.Contains(out, ": Layer already exists\n") {
		t.Errorf("second push:\n%s", out)
	}
	host.fails(1, "An image does not exist locally with the tag: "+reg.Addr+"/nothing", "push", reg.Addr+"/nothing")
	host.kill()
	t.Setenv("DOCKER_CONFIG", host.config)
	e3 := newEnv(t)
	e3.ok("pull", reg.Addr+"/committed:v1")
	if got := e3.ok("run", "--rm", "--network", "none", reg.Addr+"/committed:v1"); got != "x\n" {
		t.Errorf("run of the pushed image: %q", got)
	}
}

// TestAPICopy is `docker cp` both ways, into a stopped and a running
// container: HEAD, GET and PUT of /containers/{id}/archive.
func TestAPICopy(t *testing.T) {
	needDocker(t)
	e := newEnv(t)
	e.importBusybox("busybox:latest")
	s := e.serve(false)
	host := t.TempDir()
	mk := func(name, content string) string {
		p := filepath.Join(host, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	mk("hd/a", "a\n")
	mk("hd/sub/b", "b\n")
	file := mk("file.txt", "file\n")
	if err := os.Chown(file, 1234, 1234); err != nil {
		t.Fatal(err)
	}

	s.ok("run", "--network", "none", "--name", "stopped", "busybox", "sh", "-c", "mkdir /d && echo y > /d/f && ln -s /d /lnk")
	s.ok("run", "-d", "--network", "none", "--name", "running", "busybox", "sleep", "1000")
	s.ok("exec", "running", "sh", "-c", "mkdir /d && echo y > /d/f && ln -s /d /lnk")
	conflict := mk("conflict/d", "z\n")
	for _, c := range []string{"stopped", "running"} {
		t.Run(c, func(t *testing.T) {
			s.ok("cp", filepath.Join(host, "hd"), c+":/newdir")              // a directory, to a new name
			s.ok("cp", filepath.Join(host, "hd")+"/.", c+":/tmp")            // its contents, into a directory
			s.ok("cp", file, c+":/tmp/")                                     // a file, into a directory: root's without -a
			s.ok("cp", "-a", file, c+":/tmp/kept.txt")                       // -a keeps the owner
			s.ok("cp", file, c+":/lnk")                                      // through a link to a directory
			s.fails(1, "cannot overwrite directory", "cp", conflict, c+":/") // a file over a directory
			out := filepath.Join(t.TempDir(), "out")
			s.ok("cp", c+":/newdir", out)
			for p, want := range map[string]string{"a": "a\n", "sub/b": "b\n"} {
				if b, err := os.ReadFile(filepath.Join(out, p)); err != nil || string(b) != want {
					t.Errorf("cp %s:/newdir: %s: %q %v", c, p, b, err)
				}
			}
			s.ok("cp", c+":/tmp/.", out)
			for p, want := range map[string]string{"a": "a\n", "sub/b": "b\n", "file.txt": "file\n"} {
				if b, err := os.ReadFile(filepath.Join(out, p)); err != nil || string(b) != want {
					t.Errorf("cp %s:/tmp/.: %s: %q %v", c, p, b, err)
				}
			}
			s.ok("cp", c+":/d/file.txt", filepath.Join(out, "through-link.txt"))
			if b, err := os.ReadFile(filepath.Join(out, "through-link.txt")); err != nil || string(b) != "file\n" {
				t.Errorf("cp through /lnk: %q %v", b, err)
			}
			s.ok("cp", c+":/lnk", filepath.Join(out, "lnk"))
			if l, err := os.Readlink(filepath.Join(out, "lnk")); err != nil || l != "/d" {
				t.Errorf("cp of a link: %q %v, want the link itself", l, err)
			}
			r := s.docker("cp", c+":/tmp/kept.txt", "-")
			if r.Code != 0 || !strings.Contains(r.Stdout, "file\n") {
				t.Errorf("cp to stdout: exit %d %q", r.Code, r.Stderr)
			}
			s.fails(1, "Could not find the file /nope in container "+c, "cp", c+":/nope", out)
		})
	}
	// Without -a the files copied in are root's, with -a they keep their owner.
	if got := s.ok("exec", "running", "stat", "-c", "%u:%g", "/tmp/file.txt", "/tmp/kept.txt"); got != "0:0\n1234:1234\n" {
		t.Errorf("owners of copied files: %q", got)
	}
}
