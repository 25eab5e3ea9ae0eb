//go:build linux

package e2e

import (
	"archive/tar"
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/geedocker/geedocker/internal/testutil"
)

// buildCtx writes a build context: files maps paths to contents.
func buildCtx(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for p, body := range files {
		full := filepath.Join(dir, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// buildID builds dir quietly and returns the image ID.
func (e *env) buildID(dir string, flags ...string) string {
	e.t.Helper()
	out := e.ok(append(append([]string{"build", "-q"}, flags...), dir)...)
	id := strings.TrimSpace(out)
	if !strings.HasPrefix(id, "sha256:") || len(id) != 71 {
		e.t.Fatalf("build -q printed %q, want an image ID", out)
	}
	return id
}

func TestBuildRun(t *testing.T) {
	e := newEnv(t)
	e.withBusybox()
	dir := buildCtx(t, map[string]string{
		"Dockerfile": "FROM busybox\nRUN echo built > /built && rm /etc/motd 2>/dev/null; mkdir -p /var/x && echo y > /var/x/f\nCOPY hello.txt /srv/\nCMD [\"cat\", \"/built\", \"/srv/hello.txt\"]\n",
		"hello.txt":  "hello\n",
	})
	out := e.ok("build", "-t", "app:1", dir)
	for _, want := range []string{"Step 1/4 : FROM busybox\n", "Step 2/4 : RUN echo built", " ---> Running in ", "Step 3/4 : COPY hello.txt /srv/\n", "Step 4/4 : CMD [\"cat\", \"/built\", \"/srv/hello.txt\"]\n", "Successfully built ", "Successfully tagged app:1\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("build output lacks %q:\n%s", want, out)
		}
	}
	if got := e.ok("run", "--rm", "app:1"); got != "built\nhello\n" {
		t.Errorf("run app:1 = %q", got)
	}
	if got := e.ok("run", "--rm", "app:1", "cat", "/var/x/f"); got != "y\n" {
		t.Errorf("cat /var/x/f = %q", got)
	}
	// No container of the build is left.
	if got := e.ok("ps", "-aq"); got != "" {
		t.Errorf("ps -aq after build = %q", got)
	}
	e.assertNoCgroups()
}

type imageConfigDoc struct {
	ID     string `json:"Id"`
	Config struct {
		Cmd          []string
		Entrypoint   []string
		Env          []string
		WorkingDir   string
		User         string
		Labels       map[string]string
		ExposedPorts map[string]struct{}
		Volumes      map[string]struct{}
		StopSignal   string
		Shell        []string
		OnBuild      []string
		Healthcheck  *struct {
			Test     []string
			Interval int64
			Retries  int
		}
	}
}

func (e *env) imageConfig(name string) imageConfigDoc {
	e.t.Helper()
	var docs []imageConfigDoc
	out := e.ok("image", "inspect", name)
	if err := json.Unmarshal([]byte(out), &docs); err != nil || len(docs) != 1 {
		e.t.Fatalf("image inspect %s: %v\n%s", name, err, out)
	}
	return docs[0]
}

func TestBuildConfigInstructions(t *testing.T) {
	e := newEnv(t)
	e.withBusybox()
	dir := buildCtx(t, map[string]string{"Dockerfile": `ARG BASE=busybox
FROM ${BASE}
ARG GREETING=hello
ARG FROMCLI
ENV APP_HOME=/opt/app GREETING_COPY=$GREETING
WORKDIR $APP_HOME
WORKDIR sub
USER 1000:1000
LABEL org.example.name="my app" version=1
EXPOSE 80 53/udp
VOLUME ["/data"]
STOPSIGNAL SIGINT
HEALTHCHECK --interval=5s --retries=4 CMD ["true"]
ONBUILD RUN echo triggered > /tmp/onbuild
SHELL ["/bin/sh", "-ec"]
ENTRYPOINT ["/bin/echo"]
CMD ["$FROMCLI"]
RUN echo "$GREETING $FROMCLI $HTTP_PROXY" > /tmp/args
`})
	e.ok("build", "-t", "cfg", "--build-arg", "FROMCLI=cli", "--build-arg", "HTTP_PROXY=http://proxy.invalid", "--label", "extra=yes", dir)
	c := e.imageConfig("cfg").Config
	if c.WorkingDir != "/opt/app/sub" || c.User != "1000:1000" || c.StopSignal != "SIGINT" {
		t.Errorf("WorkingDir %q User %q StopSignal %q", c.WorkingDir, c.User, c.StopSignal)
	}
	env := strings.Join(c.Env, " ")
	if !strings.Contains(env, "APP_HOME=/opt/app") || !strings.Contains(env, "GREETING_COPY=hello") || strings.Contains(env, "FROMCLI") {
		t.Errorf("Env = %v", c.Env)
	}
	if c.Labels["org.example.name"] != "my app" || c.Labels["version"] != "1" || c.Labels["extra"] != "yes" {
		t.Errorf("Labels = %v", c.Labels)
	}
	for _, p := range []string{"80/tcp", "53/udp"} {
		if _, ok := c.ExposedPorts[p]; !ok {
			t.Errorf("ExposedPorts = %v, lacks %s", c.ExposedPorts, p)
		}
	}
	if _, ok := c.Volumes["/data"]; !ok {
		t.Errorf("Volumes = %v", c.Volumes)
	}
	if strings.Join(c.Shell, " ") != "/bin/sh -ec" || strings.Join(c.Entrypoint, " ") != "/bin/echo" || strings.Join(c.Cmd, " ") != "$FROMCLI" {
		t.Errorf("Shell %v Entrypoint %v Cmd %v", c.Shell, c.Entrypoint, c.Cmd)
	}
	if len(c.OnBuild) != 1 || c.OnBuild[0] != "RUN echo triggered > /tmp/onbuild" {
		t.Errorf("OnBuild = %v", c.OnBuild)
	}
	if c.Healthcheck == nil || strings.Join(c.Healthcheck.Test, " ") != "CMD true" || c.Healthcheck.Interval != 5e9 || c.Healthcheck.Retries != 4 {
		t.Errorf("Healthcheck = %+v", c.Healthcheck)
	}
	// RUN saw the ARGs (a predefined proxy arg without declaring it); the
	// working directory exists.
	if got := e.ok("run", "--rm", "--entrypoint", "cat", "cfg", "/tmp/args"); got != "hello cli http://proxy.invalid\n" {
		t.Errorf("/tmp/args = %q", got)
	}
	if got := e.ok("run", "--rm", "--entrypoint", "pwd", "cfg"); got != "/opt/app/sub\n" {
		t.Errorf("pwd = %q", got)
	}

	// ONBUILD runs when the image is used as a base, and is not inherited.
	child := buildCtx(t, map[string]string{"Dockerfile": "FROM cfg\nUSER 0\nRUN cat /tmp/onbuild\n"})
	out := e.ok("build", "-t", "child", child)
	if !strings.Contains(out, "# Executing 1 build trigger") {
		t.Errorf("child build output:\n%s", out)
	}
	if got := e.ok("run", "--rm", "--entrypoint", "cat", "child", "/tmp/onbuild"); got != "triggered\n" {
		t.Errorf("/tmp/onbuild = %q", got)
	}
	if ob := e.imageConfig("child").Config.OnBuild; len(ob) != 0 {
		t.Errorf("child OnBuild = %v", ob)
	}
}

func TestBuildRunForms(t *testing.T) {
	e := newEnv(t)
	e.withBusybox()
	dir := buildCtx(t, map[string]string{"Dockerfile": `FROM busybox
RUN ["/bin/sh", "-c", "echo exec form > /exec"]
RUN echo shell form > /shell; rm -f /bin/ping; mkdir -p /home && touch /home/keep
RUN rm -rf /home && mkdir /home && echo fresh > /home/only
SHELL ["/bin/sh", "-c", "echo from-shell-instruction > /via-shell; $0"]
RUN true
`})
	e.ok("build", "-t", "forms", dir)
	if got := e.ok("run", "--rm", "forms", "cat", "/exec", "/shell", "/via-shell"); got != "exec form\nshell form\nfrom-shell-instruction\n" {
		t.Errorf("files = %q", got)
	}
	// A removed file stays removed (a whiteout), a replaced directory is
	// opaque: nothing of the lower one shows through.
	if got := e.ok("run", "--rm", "forms", "sh", "-c", "ls /bin/ping 2>&1; ls /home"); !strings.Contains(got, "No such file") || !strings.HasSuffix(got, "only\n") {
		t.Errorf("whiteouts: %q", got)
	}
}

func TestBuildCopy(t *testing.T) {
	e := newEnv(t)
	e.withBusybox()
	dir := buildCtx(t, map[string]string{
		"Dockerfile": `FROM busybox
COPY dir /dst/
COPY dir/sub /flat
COPY a.txt /tmp
COPY a.txt /renamed.txt
COPY *.txt /globbed/
COPY --chown=1000:50 --chmod=0640 a.txt /owned
COPY --chown=nobody a.txt /byname
WORKDIR /w
COPY a.txt rel/
ADD arch.tar /unpacked/
ADD arch.tar.gz /unpacked-gz
COPY arch.tar /copied/
`,
		"a.txt":           "A\n",
		"b.txt":           "B\n",
		"dir/top":         "top\n",
		"dir/sub/deep":    "deep\n",
		"secret.key":      "no\n",
		"dir/ignored.log": "no\n",
		".dockerignore":   "*.key\n**/*.log\n",
	})
	tarOf := func(name string, gz bool) {
		args := "-cf"
		if gz {
			args = "-czf"
		}
		src := t.TempDir()
		os.MkdirAll(filepath.Join(src, "x"), 0o755)
		os.WriteFile(filepath.Join(src, "x", "inside"), []byte("in tar\n"), 0o600)
		if out, err := exec.Command("tar", args, filepath.Join(dir, name), "-C", src, "--owner=7", "--group=8", "x").CombinedOutput(); err != nil {
			t.Fatalf("tar: %v %s", err, out)
		}
	}
	tarOf("arch.tar", false)
	tarOf("arch.tar.gz", true)
	e.ok("build", "-t", "cp", dir)
	script := `cat /dst/top /dst/sub/deep /flat/deep /tmp/a.txt /renamed.txt /globbed/a.txt /globbed/b.txt /w/rel/a.txt /unpacked/x/inside /unpacked-gz/x/inside
stat -c '%u:%g %a' /owned /unpacked/x/inside
stat -c '%U %a' /byname
ls /dst; ls /copied
ls /secret.key /dst/ignored.log 2>&1 | wc -l
ls -d /tmp; stat -c %a /tmp`
	want := "top\ndeep\ndeep\nA\nA\nA\nB\nA\nin tar\nin tar\n1000:50 640\n7:8 600\nnobody 644\nsub\ntop\narch.tar\n2\n/tmp\n1777\n"
	if got := e.ok("run", "--rm", "cp", "sh", "-c", script); got != want {
		t.Errorf("copied files:\n got %q\nwant %q", got, want)
	}
}

func TestBuildMultiStage(t *testing.T) {
	e := newEnv(t)
	e.withBusybox()
	dir := buildCtx(t, map[string]string{"Dockerfile": `FROM busybox AS compile
RUN mkdir /out && echo artifact > /out/bin && echo junk > /junk
FROM busybox AS other
RUN echo other > /other
FROM busybox
COPY --from=compile /out/bin /app/bin
COPY --from=1 /other /app/
COPY --from=busybox /etc/passwd /app/passwd
`})
	e.ok("build", "-t", "multi", dir)
	if got := e.ok("run", "--rm", "multi", "sh", "-c", "cat /app/bin /app/other; test -e /junk || echo no-junk; test -s /app/passwd && echo passwd"); got != "artifact\nother\nno-junk\npasswd\n" {
		t.Errorf("final stage: %q", got)
	}
	// --target stops at a stage; the later ones are not built.
	out := e.ok("build", "--target", "compile", "-t", "stage1", dir)
	if !strings.Contains(out, "Step 1/2 : FROM busybox AS compile") || strings.Contains(out, "Step 3/") {
		t.Errorf("--target output:\n%s", out)
	}
	if got := e.ok("run", "--rm", "stage1", "cat", "/junk"); got != "junk\n" {
		t.Errorf("stage1 /junk = %q", got)
	}
	e.fails(1, "failed to reach build target nope in Dockerfile", "build", "--target", "nope", dir)

	// FROM scratch, filled from an image; a platform other than the host's is refused.
	scratch := buildCtx(t, map[string]string{"Dockerfile": "FROM scratch\nCOPY --from=busybox /bin/busybox /busybox\nENTRYPOINT [\"/busybox\"]\n"})
	e.ok("build", "-t", "fromscratch", scratch)
	if got := e.ok("run", "--rm", "fromscratch", "echo", "from scratch"); got != "from scratch\n" {
		t.Errorf("fromscratch: %q", got)
	}
	if n := len(e.inspectImage("fromscratch").RootFS.Layers); n != 1 {
		t.Errorf("fromscratch has %d layers, want 1", n)
	}
	foreign := "linux/s390x"
	if runtime.GOARCH == "s390x" {
		foreign = "linux/amd64"
	}
	other := buildCtx(t, map[string]string{"Dockerfile": "FROM --platform=" + foreign + " busybox\n"})
	e.fails(1, "only the host's platform", "build", other)
}

func TestBuildCache(t *testing.T) {
	e := newEnv(t)
	e.withBusybox()
	dir := buildCtx(t, map[string]string{
		"Dockerfile": "FROM busybox\nRUN echo one > /one\nCOPY a /a\nRUN cat /a > /a.copy\nCOPY b /b\nCMD [\"sh\"]\n",
		"a":          "a1\n",
		"b":          "b1\n",
	})
	first := e.buildID(dir)
	out := e.ok("build", dir)
	if n := strings.Count(out, "Using cache"); n != 5 {
		t.Errorf("fully cached rebuild: %d steps from cache, want 5:\n%s", n, out)
	}
	if !strings.Contains(out, "Successfully built "+first[7:19]) {
		t.Errorf("fully cached rebuild made another image, want %s:\n%s", first[7:19], out)
	}
	// A changed file invalidates its COPY and every step after it, not
	// the ones before.
	if err := os.WriteFile(filepath.Join(dir, "a"), []byte("a2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out = e.ok("build", "-t", "cached", dir)
	if n := strings.Count(out, "Using cache"); n != 1 || !strings.Contains(out, "Step 2/6 : RUN echo one > /one\n ---> Using cache") {
		t.Errorf("after a change of a: want only step 2 from cache:\n%s", out)
	}
	if got := e.ok("run", "--rm", "cached", "cat", "/a.copy"); got != "a2\n" {
		t.Errorf("/a.copy = %q", got)
	}
	// The same content again hits the cache again (keys are content).
	if err := os.WriteFile(filepath.Join(dir, "a"), []byte("a1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if id := e.buildID(dir); id != first {
		t.Errorf("rebuild with the first content: %s, want %s", id, first)
	}
	// --no-cache runs every step.
	if out := e.ok("build", "--no-cache", dir); strings.Contains(out, "Using cache") {
		t.Errorf("--no-cache used the cache:\n%s", out)
	}
	// builder prune drops the cache: the next build runs every step, and
	// the layers only the cache held are gone.
	e.ok("rmi", "cached")
	e.ok("image", "prune", "-f")
	before := len(e.entries("layers"))
	out = e.ok("builder", "prune", "-f")
	if !strings.HasPrefix(out, "Deleted build cache objects: ") || strings.HasPrefix(out, "Deleted build cache objects: 0\n") {
		t.Errorf("builder prune: %q", out)
	}
	if after := len(e.entries("layers")); after >= before || after != 1 {
		t.Errorf("layers: %d before prune, %d after, want only busybox's", before, after)
	}
	if out := e.ok("build", dir); strings.Contains(out, "Using cache") {
		t.Errorf("build after prune used the cache:\n%s", out)
	}
}

func TestBuildFailures(t *testing.T) {
	e := newEnv(t)
	e.withBusybox()
	cases := []struct {
		name, dockerfile string
		code             int
		want             string
	}{
		{"failing RUN", "FROM busybox\nRUN echo partial > /p\nRUN exit 7\n", 1, "The command '/bin/sh -c exit 7' returned a non-zero code: 7"},
		{"unknown instruction", "FROM busybox\nRUN true\nFROBNICATE x\n", 1, "dockerfile parse error on line 3: unknown instruction: FROBNICATE"},
		{"syntax error", "FROM busybox\nENV\n", 1, "line 2"},
		{"no FROM", "RUN true\n", 1, "line 1"},
		{"missing source", "FROM busybox\nCOPY nothere /x\n", 1, "file not found in build context"},
		{"unknown base", "FROM doesnotexist.invalid/nope\n", 1, "doesnotexist.invalid/nope"},
		{"missing command", "FROM busybox\nRUN [\"/nonexistent\"]\n", 1, "The command '/nonexistent' returned a non-zero code: 127"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := buildCtx(t, map[string]string{"Dockerfile": c.dockerfile})
			e.t = t
			e.fails(c.code, c.want, "build", "-t", "bad:tag", dir)
			if out := e.gd("image", "inspect", "bad:tag"); out.Code == 0 {
				t.Errorf("a failed build tagged bad:tag")
			}
			if got := e.ok("ps", "-aq"); got != "" {
				t.Errorf("containers left: %q", got)
			}
		})
	}
	e.t = t
	if got := e.ok("images", "-q"); strings.Count(got, "\n") != 2 {
		t.Errorf("images after failed builds:\n%s", got)
	}
}

func TestBuildKilled(t *testing.T) {
	e := newEnv(t)
	e.withBusybox()
	dir := buildCtx(t, map[string]string{"Dockerfile": "FROM busybox\nRUN echo started; exec sleep 300\n"})
	cmd := e.command("build", "-t", "killed", dir)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(stdout)
	for sc.Scan() && sc.Text() != "started" {
	}
	if sc.Err() != nil {
		t.Fatal(sc.Err())
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	// Listing changes nothing, but shows no container of the killed build (its RUN
	// containers are --rm ones), and no image was made.
	if got := e.ok("ps", "-aq"); got != "" {
		t.Errorf("containers after a killed build: %q", got)
	}
	if r := e.gd("image", "inspect", "killed"); r.Code == 0 {
		t.Error("a killed build tagged its image")
	}
	if got := e.ok("images", "-q"); strings.Count(got, "\n") != 2 {
		t.Errorf("images after a killed build:\n%s", got)
	}
	// The next build repairs what the killed one left, and completes.
	fixed := buildCtx(t, map[string]string{"Dockerfile": "FROM busybox\nRUN echo ok > /ok\n"})
	e.ok("build", "-t", "killed", fixed)
	if got := e.ok("ps", "-aq"); got != "" {
		t.Errorf("containers after the next build: %q", got)
	}
	e.assertNoCgroups()
}

func TestBuildParallel(t *testing.T) {
	e := newEnv(t)
	e.withBusybox()
	const n = 3
	var wg sync.WaitGroup
	results := make([]testutil.Result, n)
	for i := 0; i < n; i++ {
		dir := buildCtx(t, map[string]string{
			"Dockerfile": fmt.Sprintf("FROM busybox\nRUN echo shared > /shared\nCOPY f /f\nRUN echo %d > /own\n", i),
			"f":          "same\n",
		})
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			cmd := e.command("build", "-t", fmt.Sprintf("par:%d", i), dir)
			results[i] = testutil.Run(t, cmd.Path, cmd.Args[1:]...)
		}(i)
	}
	wg.Wait()
	for i, r := range results {
		if r.Code != 0 {
			t.Fatalf("build %d: exit %d\n%s\n%s", i, r.Code, r.Stdout, r.Stderr)
		}
		if got := e.ok("run", "--rm", fmt.Sprintf("par:%d", i), "cat", "/shared", "/f", "/own"); got != fmt.Sprintf("shared\nsame\n%d\n", i) {
			t.Errorf("par:%d: %q", i, got)
		}
	}
}

func TestBuildOptions(t *testing.T) {
	e := newEnv(t)
	e.withBusybox()
	// A context as a tar on stdin, with a Dockerfile of another name.
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for name, body := range map[string]string{"docker/Alt.Dockerfile": "FROM busybox\nCOPY data.txt /\n", "data.txt": "from stdin\n"} {
		tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(body)), Typeflag: tar.TypeReg})
		tw.Write([]byte(body))
	}
	tw.Close()
	iid := filepath.Join(t.TempDir(), "iid")
	cmd := e.command("build", "-q", "-f", "docker/Alt.Dockerfile", "--iidfile", iid, "-t", "stdin:1", "-t", "stdin:2", "-")
	cmd.Stdin = &buf
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("build -: %v %s", err, out)
	}
	id := strings.TrimSpace(string(out))
	if b, err := os.ReadFile(iid); err != nil || string(b) != id || !strings.HasPrefix(id, "sha256:") {
		t.Errorf("-q printed %q, iidfile holds %q (%v)", out, b, err)
	}
	for _, tag := range []string{"stdin:1", "stdin:2"} {
		if got := e.ok("run", "--rm", tag, "cat", "/data.txt"); got != "from stdin\n" {
			t.Errorf("%s: %q", tag, got)
		}
	}
	// -f with a directory context.
	dir := buildCtx(t, map[string]string{"Dockerfile": "FROM busybox\nRUN exit 3\n", "ok.Dockerfile": "FROM busybox\nLABEL ok=1\n"})
	out = []byte(e.ok("build", "-f", filepath.Join(dir, "ok.Dockerfile"), "--build-arg", "UNUSED=1", "--build-arg", "HTTP_PROXY=x", dir))
	if !strings.Contains(string(out), "[Warning] One or more build-args [UNUSED] were not consumed\n") {
		t.Errorf("no warning about an unused build arg (and only about it):\n%s", out)
	}
	// RUN --network none has no interface but lo.
	net := buildCtx(t, map[string]string{"Dockerfile": "FROM busybox\nRUN ls /sys/class/net > /ifaces\n"})
	e.ok("build", "--network", "none", "-t", "nonet", net)
	if got := e.ok("run", "--rm", "nonet", "cat", "/ifaces"); got != "lo\n" {
		t.Errorf("--network none: interfaces %q", got)
	}
}

func TestBuildAddURL(t *testing.T) {
	e := newEnv(t)
	e.withBusybox()
	// An HTTP server inside the test's network namespace, where the build runs.
	www := t.TempDir()
	if err := os.WriteFile(filepath.Join(www, "file.txt"), []byte("downloaded\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	srv := exec.Command("nsenter", "--net="+e.netns, "busybox", "httpd", "-f", "-p", "127.0.0.1:8099", "-h", www)
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Process.Kill(); srv.Wait() })
	// Wait until it answers.
	for i := 0; ; i++ {
		probe := exec.Command("nsenter", "--net="+e.netns, "busybox", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:8099/file.txt")
		if probe.Run() == nil {
			break
		}
		if i > 200 {
			t.Fatal("httpd in the test namespace does not answer")
		}
		runtime.Gosched()
	}
	dir := buildCtx(t, map[string]string{"Dockerfile": "FROM busybox\nADD http://127.0.0.1:8099/file.txt /dl/\nADD http://127.0.0.1:8099/file.txt /named\n"})
	e.ok("build", "-t", "url", dir)
	if got := e.ok("run", "--rm", "url", "sh", "-c", "cat /dl/file.txt /named; stat -c %a /named"); got != "downloaded\ndownloaded\n600\n" {
		t.Errorf("ADD URL: %q", got)
	}
	e.fails(1, "404", "build", buildCtx(t, map[string]string{"Dockerfile": "FROM busybox\nADD http://127.0.0.1:8099/missing /x\n"}))
}

// What a build makes goes out like any image: build, push, pull into another store, run; and
// save, load into another store, run.
func TestBuildPushSaveLoad(t *testing.T) {
	e := newEnv(t)
	e.withBusybox()
	reg := testutil.StartRegistry(t, testutil.RegistryOptions{})
	dir := buildCtx(t, map[string]string{
		"Dockerfile": "FROM busybox\nRUN echo ran > /ran\nCOPY data/ /data/\nCMD [\"sh\", \"-c\", \"cat /ran /data/a/b\"]\n",
		"data/a/b":   "copied\n",
	})
	ref := reg.Addr + "/built:1"
	e.ok("build", "-q", "-t", ref, dir)
	e.ok("push", ref)
	pulled := newEnv(t)
	pulled.ok("pull", ref)
	if got := pulled.ok("run", "--rm", "--network", "none", ref); got != "ran\ncopied\n" {
		t.Errorf("run of the pushed build: %q", got)
	}
	archive := filepath.Join(t.TempDir(), "built.tar")
	e.ok("save", "-o", archive, ref)
	loaded := newEnv(t)
	loaded.ok("load", "-i", archive)
	if got := loaded.ok("run", "--rm", "--network", "none", ref); got != "ran\ncopied\n" {
		t.Errorf("run of the loaded build: %q", got)
	}
	if a, b := e.inspectImage(ref).ID, loaded.inspectImage(ref).ID; a != b {
		t.Errorf("saved %s, loaded %s", a, b)
	}
}
