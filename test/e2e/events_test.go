package e2e

import (
	"bufio"
	"encoding/json"
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

// eventStream is a following `events` command and its output, line by line.
type eventStream struct {
	cmd   *exec.Cmd
	lines chan string
	done  chan struct{}
}

func startEvents(t *testing.T, cmd *exec.Cmd) *eventStream {
	t.Helper()
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &eventStream{cmd: cmd, lines: make(chan string, 1000), done: make(chan struct{})}
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			s.lines <- sc.Text()
		}
		close(s.lines)
	}()
	t.Cleanup(func() {
		select {
		case <-s.done:
		default:
			cmd.Process.Kill()
			cmd.Wait()
		}
	})
	return s
}

// await returns the lines read until one equals want (that one included).
func (s *eventStream) await(t *testing.T, want string) []string {
	t.Helper()
	var got []string
	timeout := time.After(testutil.RunTimeout)
	for {
		select {
		case l, ok := <-s.lines:
			if !ok {
				t.Fatalf("events ended before %q; read %q", want, got)
			}
			got = append(got, l)
			if l == want {
				return got
			}
		case <-timeout:
			t.Fatalf("events: no %q in time; read %q", want, got)
		}
	}
}

// interrupt sends sig to the follower and returns its exit code.
func (s *eventStream) interrupt(t *testing.T, sig syscall.Signal) int {
	t.Helper()
	s.cmd.Process.Signal(sig)
	for range s.lines {
	}
	s.cmd.Wait()
	close(s.done)
	return s.cmd.ProcessState.ExitCode()
}

func unixArg(t time.Time) string { return fmt.Sprintf("%d.%09d", t.Unix(), t.Nanosecond()) }

func TestEvents(t *testing.T) {
	e := newEnv(t)
	start := time.Now()
	e.withBusybox()
	// An image with a label: its containers' events carry it.
	tarPath := filepath.Join(t.TempDir(), "rootfs.tar")
	if err := os.WriteFile(tarPath, testutil.BusyboxRootfsTar(t), 0o644); err != nil {
		t.Fatal(err)
	}
	e.ok("import", "--change", "LABEL tier=front", tarPath, "labelled")
	// Followed from the start (the journal replays what came before the follower opened it).
	follow := startEvents(t, e.command("events", "--since", start.Format(time.RFC3339Nano),
		"--filter", "type=container", "--format", "{{.Action}} {{.Actor.Attributes.name}}"))

	e.ok("run", "-d", "--name", "web", "labelled", "sleep", "1000")
	e.ok("kill", "web")
	e.ok("wait", "web")
	e.ok("rm", "web")
	got := follow.await(t, "destroy web")
	if want := []string{"create web", "start web", "kill web", "die web", "destroy web"}; strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("events of run -d, kill, rm:\n%q\nwant %q", got, want)
	}
	e.ok("run", "-d", "--name", "st", "busybox", "sh", "-c", "trap 'exit 0' TERM; while :; do sleep 0.1; done")
	e.ok("stop", "st")
	e.ok("start", "st")
	e.ok("exec", "st", "true")
	e.ok("restart", "st")
	e.ok("rm", "-f", "st")
	got = follow.await(t, "destroy st")
	want := []string{"create st", "start st", "kill st", "die st", "stop st", "start st",
		"exec_create: true st", "exec_start: true st", "exec_die st",
		"kill st", "die st", "stop st", "start st", "restart st", "kill st", "die st", "destroy st"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("events of stop, start, exec, restart, rm -f:\n%q\nwant %q", got, want)
	}
	if code := e.gd("run", "--rm", "--name", "three", "busybox", "sh", "-c", "exit 3").Code; code != 3 {
		t.Errorf("run exit 3: %d", code)
	}
	if got := follow.await(t, "destroy three"); strings.Join(got, "|") != "create three|attach three|start three|die three|destroy three" {
		t.Errorf("events of run --rm: %q", got)
	}
	// Ended by a signal: quietly, with 128+signal, as Docker 28's CLI.
	if code := follow.interrupt(t, syscall.SIGINT); code != 130 {
		t.Errorf("events after SIGINT: exit %d, want 130", code)
	}

	e.ok("tag", "busybox", "busybox:v2")
	e.ok("rmi", "busybox:v2")
	e.ok("network", "create", "--subnet", "10.79.0.0/24", "evnet")
	e.ok("network", "rm", "evnet")
	e.ok("volume", "create", "evvol")
	e.ok("run", "--rm", "--name", "vol", "-v", "evvol:/data:ro", "busybox", "true")
	e.ok("volume", "rm", "evvol")
	e.ok("run", "-d", "--name", "cm", "busybox", "sleep", "1000")
	e.ok("top", "cm")
	e.ok("commit", "-m", "snap", "cm", "cmimg:1")
	e.ok("export", "-o", filepath.Join(t.TempDir(), "cm.tar"), "cm")
	e.ok("rm", "-f", "cm")
	e.ok("rmi", "cmimg:1")
	end := time.Now()

	// History: --since and --until, in Docker's time formats; it returns by itself.
	since, until := unixArg(start), unixArg(end)
	out := e.ok("events", "--since", since, "--until", until, "--filter", "container=web", "--filter", "event=create")
	line := regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}(Z|[+-]\d\d:\d\d) container create [0-9a-f]{64} \(image=labelled, name=web, tier=front\)\n$`)
	if !line.MatchString(out) {
		t.Errorf("events (default format) of web's create:\n%q", out)
	}
	if out := e.ok("events", "--since", "10m", "--until", until, "--filter", "event=die", "--format", "{{.Actor.Attributes.name}}={{.Actor.Attributes.exitCode}}"); out != "web=137\nst=0\nst=0\nst=137\nthree=3\nvol=0\ncm=137\n" {
		t.Errorf("exit codes of die events: %q", out)
	}
	if out := e.ok("events", "--since", since, "--until", end.Format(time.RFC3339Nano), "--filter", "label=tier=front", "--format", "{{.Action}}"); out != "create\nstart\nkill\ndie\ndestroy\n" {
		t.Errorf("events with label tier=front: %q", out)
	}
	if out := e.ok("events", "--since", since, "--until", until, "--filter", "type=container", "--filter", "event=kill", "--format", "{{.Actor.Attributes.signal}}"); out != "9\n15\n15\n9\n9\n" {
		t.Errorf("signals of kill events: %q", out)
	}
	out = e.ok("events", "--since", since, "--until", until, "--filter", "type=image", "--filter", "type=network", "--filter", "type=volume",
		"--format", "{{.Type}} {{.Action}} {{.Actor.ID}} {{.Actor.Attributes.name}}")
	for _, want := range []string{"image import sha256:", " busybox:v2\n", "image untag sha256:", "network create ",
		" evnet\n", "volume create evvol <no value>\n", "volume mount evvol <no value>\n", "volume unmount evvol <no value>\nvolume destroy evvol <no value>\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("image, network and volume events lack %q:\n%s", want, out)
		}
	}
	out = e.ok("events", "--since", since, "--until", until, "--filter", "container=cm", "--format", "{{.Action}} {{.Actor.Attributes.comment}} {{.Actor.Attributes.imageRef}}")
	if want := "create <no value> <no value>\nstart <no value> <no value>\ntop <no value> <no value>\ncommit snap cmimg:1\nexport <no value> <no value>\nkill <no value> <no value>\ndie <no value> <no value>\ndestroy <no value> <no value>\n"; out != want {
		t.Errorf("events of top, commit, export:\n%s\nwant\n%s", out, want)
	}
	// Each start connects the container to its network, each exit disconnects it.
	out = e.ok("events", "--since", since, "--until", until, "--filter", "type=network", "--filter", "network=bridge", "--format", "{{.Action}} {{.Actor.Attributes.name}} {{.Actor.Attributes.container}}")
	if !regexp.MustCompile(`^(connect bridge [0-9a-f]{64}\ndisconnect bridge [0-9a-f]{64}\n){7}$`).MatchString(out) {
		t.Errorf("network events of the default bridge, want a connect and a disconnect for each of 7 runs:\n%s", out)
	}
	out = e.ok("events", "--since", since, "--until", until, "--filter", "volume=evvol", "--filter", "event=mount",
		"--format", `{{.Actor.Attributes.destination}} {{index .Actor.Attributes "read/write"}} {{.Actor.Attributes.container}}`)
	if !regexp.MustCompile(`^/data false [0-9a-f]{64}\n$`).MatchString(out) {
		t.Errorf("volume mount event: %q", out)
	}
	// {{json .}}: Docker's event shape.
	out = e.ok("events", "--since", since, "--until", until, "--filter", "event=start", "--filter", "container=three", "--format", "{{json .}}")
	var m struct {
		Type, Action string
		Actor        struct {
			ID         string
			Attributes map[string]string
		}
		Scope    string `json:"scope"`
		Time     int64  `json:"time"`
		TimeNano int64  `json:"timeNano"`
	}
	if err := json.Unmarshal([]byte(out), &m); err != nil || m.Type != "container" || m.Action != "start" || len(m.Actor.ID) != 64 ||
		m.Actor.Attributes["name"] != "three" || m.Scope != "local" || m.Time != m.TimeNano/1e9 || m.Time < start.Unix() {
		t.Errorf("events --format '{{json .}}': %q (%v)", out, err)
	}
	// A window before anything happened: nothing, at once.
	if out := e.ok("events", "--since", "2001-01-01", "--until", "2001-01-02T00:00:00Z"); out != "" {
		t.Errorf("events of 2001: %q", out)
	}
	// system events is the same command; --until in the future streams until then.
	if out := e.ok("system", "events", "--since", since, "--until", unixArg(time.Now().Add(300*time.Millisecond)), "--filter", "event=destroy", "--filter", "type=container", "--format", "{{.Actor.Attributes.name}}"); out != "web\nst\nthree\nvol\ncm\n" {
		t.Errorf("system events: %q", out)
	}

	e.fails(125, "bad format of filter (expected name=value): nope", "events", "--filter", "nope")
	e.fails(1, "invalid filter 'foo'", "events", "--filter", "foo=bar")
	e.fails(1, "cannot be after `until` time", "events", "--since", "5m", "--until", "10m")
	e.fails(64, "Error parsing format", "events", "--format", "{{.Nope}}")
}

// The monitor records an OOM kill as it happens, then the container's death.
func TestEventsOOM(t *testing.T) {
	e := newEnv(t)
	e.withBusybox()
	start := unixArg(time.Now())
	id := e.detached("--memory", "32m", "--memory-swap", "32m", "busybox", "sh", "-c", "tail /dev/zero")
	if got := e.ok("wait", id); got != "137\n" {
		t.Errorf("wait: %q", got)
	}
	out := e.ok("events", "--since", start, "--until", unixArg(time.Now()), "--filter", "container="+id[:12],
		"--format", "{{.Action}} {{.Actor.Attributes.exitCode}}")
	if !strings.HasSuffix(out, "start <no value>\noom <no value>\ndie 137\n") {
		t.Errorf("events of an OOM-killed container:\n%s", out)
	}
	e.ok("rm", id)
}

// docker events against `geedocker serve`: a window of the past, and a follow that sees a
// start made by geedocker's own CLI.
func TestAPIEvents(t *testing.T) {
	needDocker(t)
	e := newEnv(t)
	e.withBusybox()
	start := time.Now()
	s := e.serve(false)
	s.ok("run", "--rm", "--name", "once", "busybox", "true")
	out := s.ok("events", "--since", unixArg(start), "--until", unixArg(time.Now()), "--filter", "container=once",
		"--format", "{{.Type}} {{.Action}} {{.Actor.Attributes.name}} {{.Actor.Attributes.image}}")
	if want := "container create once busybox\ncontainer attach once busybox\ncontainer start once busybox\ncontainer die once busybox\ncontainer destroy once busybox\n"; out != want {
		t.Errorf("docker events --since --until:\n%s\nwant\n%s", out, want)
	}

	// Detached: nobody attaches.
	s.ok("run", "-d", "--name", "bg", "busybox", "true")
	s.ok("wait", "bg")
	s.ok("rm", "bg")
	out = s.ok("events", "--since", unixArg(start), "--until", unixArg(time.Now()), "--filter", "container=bg", "--format", "{{.Action}}")
	if out != "create\nstart\ndie\ndestroy\n" {
		t.Errorf("docker events of run -d, wait, rm:\n%s", out)
	}

	cmd := exec.Command("docker", "events", "--since", unixArg(start), "--filter", "event=start", "--format", "{{.Action}} {{.Actor.Attributes.name}}")
	cmd.Env = append(os.Environ(), "DOCKER_HOST=unix://"+s.sock, "DOCKER_CONFIG="+s.config)
	follow := startEvents(t, cmd)
	follow.await(t, "start once")
	e.ok("run", "-d", "--name", "later", "busybox", "sleep", "1000")
	follow.await(t, "start later")
	if code := follow.interrupt(t, syscall.SIGTERM); code != 0 && code != 130 && code != 143 {
		t.Errorf("docker events after SIGTERM: exit %d", code)
	}
	e.ok("rm", "-f", "later")

	s.fails(1, "invalid filter 'bogus'", "events", "--filter", "bogus=1", "--until", "0s")
}

// TestEventsRenameUpdateHealth: rename (with the old name), update, pause, unpause and the
// changes of the health status are recorded, as Docker's.
func TestEventsRenameUpdateHealth(t *testing.T) {
	e := newEnv(t)
	start := time.Now()
	e.withBusybox()
	follow := startEvents(t, e.command("events", "--since", start.Format(time.RFC3339Nano),
		"--filter", "type=container", "--format", "{{.Action}} {{.Actor.Attributes.name}} {{.Actor.Attributes.oldName}}"))
	e.ok("run", "-d", "--name", "before", "--health-cmd", "true", "--health-interval", "200ms", "busybox", "sleep", "1000")
	e.ok("rename", "before", "after")
	e.ok("update", "--pids-limit", "64", "after")
	e.ok("pause", "after")
	e.ok("unpause", "after")
	// The probes run alongside: their execs (with their events, as Docker's) and the
	// health_status event come at any point after the start.
	var got []string
	healthy := false
	for _, ev := range follow.await(t, "unpause after <no value>") {
		switch {
		case strings.HasPrefix(ev, "health_status: healthy "):
			healthy = true
		case !strings.HasPrefix(ev, "exec_"):
			got = append(got, ev)
		}
	}
	want := []string{"create before <no value>", "start before <no value>", "rename after /before",
		"update after <no value>", "pause after <no value>", "unpause after <no value>"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("events of rename, update, pause, unpause:\n%q\nwant %q", got, want)
	}
	if !healthy {
		follow.await(t, "health_status: healthy after <no value>")
	}
	follow.interrupt(t, syscall.SIGINT)
	e.ok("rm", "-f", "after")
}

// TestEventsOOMChild: a child of PID 1 OOM-killed while PID 1 survives gives an `oom` event
// as it happens, and the container keeps running.
func TestEventsOOMChild(t *testing.T) {
	e := newEnv(t)
	e.withBusybox()
	start := time.Now()
	follow := startEvents(t, e.command("events", "--since", start.Format(time.RFC3339Nano),
		"--filter", "event=oom", "--format", "{{.Action}} {{.Actor.Attributes.name}}"))
	id := e.detached("--name", "hog", "--memory", "32m", "--memory-swap", "32m", "busybox", "sh", "-c",
		"tail /dev/zero; echo survived; exec sleep 1000")
	follow.await(t, "oom hog")
	if got := e.inspectField(id, "{{.State.Status}}"); got != "running" {
		t.Errorf("after its child's OOM kill, the container is %s", got)
	}
	logs := startEvents(t, e.command("logs", "-f", id)) // a reader of lines, as the events'
	logs.await(t, "survived")                           // PID 1 goes on
	logs.interrupt(t, syscall.SIGINT)
	follow.interrupt(t, syscall.SIGINT)
	e.ok("rm", "-f", id)
}
