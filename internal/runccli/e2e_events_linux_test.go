package runccli_test

import (
	"bufio"
	"context"
	"encoding/json"
	"os/exec"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// As runc: `events` streams stats every --interval and an oom event as soon as the kernel
// OOM-kills a process of the container, and ends when the container stops.
func TestEventsOOM(t *testing.T) {
	e := newEnv(t)
	limit := int64(16 << 20)
	e.writeSpec(func(s *specs.Spec) {
		s.Process.Args = []string{"sleep", "1000"}
		s.Linux.Resources = &specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: &limit}}
	})
	id := e.newID()
	e.must("create", id)
	e.must("start", id)
	pid := e.state(id).Pid
	cmd, lines := e.events(id, "1h")
	next := func() (ev struct{ Type, ID string }) {
		t.Helper()
		if !lines.Scan() {
			t.Fatalf("events ended: %v", lines.Err())
		}
		if err := json.Unmarshal(lines.Bytes(), &ev); err != nil {
			t.Fatalf("not an event: %q", lines.Text())
		}
		return ev
	}
	// (The first stats come after one interval, as with runc.)
	// tail keeps what it reads of a file without newlines: it grows until it is killed.
	if r := e.run("exec", id, "tail", "/dev/zero"); r.code != 137 {
		t.Errorf("exec of a process beyond the limit: %+v, want exit 137", r)
	}
	if ev := next(); ev.Type != "oom" || ev.ID != id {
		t.Errorf("event %+v, want oom of %s", ev, id)
	}
	e.must("kill", id, "KILL")
	_, _ = unix.Wait4(pid, nil, 0, nil)
	if lines.Scan() {
		t.Errorf("events printed %q after the OOM", lines.Text())
	}
	if err := cmd.Wait(); err != nil {
		t.Errorf("events once the container stopped: %v", err)
	}
	e.must("delete", id)
	if r := e.run("events", id); r.code != 1 {
		t.Errorf("events of a deleted container: %+v", r)
	}
}

func TestEventsStatsInterval(t *testing.T) {
	e := newEnv(t)
	e.writeSpec(func(s *specs.Spec) { s.Process.Args = []string{"sleep", "1000"} })
	id := e.newID()
	e.must("create", id)
	e.must("start", id)
	pid := e.state(id).Pid
	cmd, lines := e.events(id, "10ms")
	for i := 0; i < 2; i++ {
		var ev struct{ Type, ID string }
		if !lines.Scan() || json.Unmarshal(lines.Bytes(), &ev) != nil || ev.Type != "stats" || ev.ID != id {
			t.Fatalf("event %d: %q, want the stats of %s", i, lines.Text(), id)
		}
	}
	e.must("kill", id, "KILL")
	_, _ = unix.Wait4(pid, nil, 0, nil)
	for lines.Scan() { // the stats of an interval may still come
	}
	if err := cmd.Wait(); err != nil {
		t.Errorf("events once the container stopped: %v", err)
	}
	e.must("delete", id)
}

// events runs `events --interval INTERVAL ID` for at most a minute (waited for at the end of
// the test) and returns it and its output's lines.
func (e *env) events(id, interval string) (*exec.Cmd, *bufio.Scanner) {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	cmd := exec.CommandContext(ctx, e.bin, "--root", e.root, "events", "--interval", interval, id)
	out, err := cmd.StdoutPipe()
	if err != nil {
		cancel()
		e.t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		cancel()
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { _ = cmd.Wait(); cancel() })
	return cmd, bufio.NewScanner(out)
}
