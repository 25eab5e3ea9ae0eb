package runccli_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/geedocker/geedocker/internal/runc"
)

// As runc: SIGKILL reaches the init of a paused container (the cgroup is thawed for it), and
// kill --all thaws the cgroup once it has signalled every process.
func TestKillPaused(t *testing.T) {
	e := newEnv(t)
	e.writeSpec(func(s *specs.Spec) { s.Process.Args = []string{"sleep", "1000"} })
	id := e.newID()
	e.must("create", id)
	e.must("start", id)
	pid := e.state(id).Pid

	// ps passes its arguments after the ID to ps(1), as runc; "--" too, which ps refuses.
	if out := e.must("ps", id, "-o", "pid,comm"); !strings.HasPrefix(strings.TrimSpace(out), "PID COMMAND") {
		t.Errorf("ps -o pid,comm:\n%s", out)
	}
	if r := e.run("ps", id, "--", "-o", "pid"); r.code != 1 || strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 {
		t.Errorf("ps ID -- -o pid: %+v, want one line and exit 1", r)
	}

	e.must("pause", id)
	e.must("kill", "--all", id, "CONT") // PID 1 of its namespace ignores it
	if st := e.state(id); st.Status != runc.Running {
		t.Errorf("after kill --all of a paused container: %s, want running", st.Status)
	}
	e.must("pause", id)
	e.must("kill", id, "KILL")
	var ws unix.WaitStatus
	if _, err := unix.Wait4(pid, &ws, 0, nil); err != nil || !ws.Signaled() || ws.Signal() != unix.SIGKILL {
		t.Errorf("the init of a paused container after kill KILL: %v, %v", ws, err)
	}
	if st := e.state(id); st.Status != runc.Stopped {
		t.Errorf("after kill KILL of a paused container: %s", st.Status)
	}
	e.must("delete", id)
}

// As runc: list shows the owner of each container (the owner of its state directory), state
// an empty one; the annotations come before it.
func TestListOwner(t *testing.T) {
	e := newEnv(t)
	e.writeSpec(func(s *specs.Spec) {
		s.Process.Args = []string{"true"}
		s.Annotations = map[string]string{"a": "b"}
	})
	id := e.newID()
	e.must("create", id)
	pid := e.state(id).Pid
	var list []runc.State
	if err := json.Unmarshal([]byte(e.must("list", "--format", "json")), &list); err != nil || len(list) != 1 || list[0].Owner != "root" {
		t.Errorf("list --format json: %+v, %v; want owner root", list, err)
	}
	if out := e.must("list"); !strings.Contains(out, "OWNER") || !strings.HasSuffix(strings.TrimSpace(out), "root") {
		t.Errorf("list:\n%s", out)
	}
	out := e.must("state", id)
	if !strings.Contains(out, `"owner": ""`) || strings.Index(out, `"annotations"`) > strings.Index(out, `"owner"`) {
		t.Errorf("state:\n%s", out)
	}
	e.must("delete", id)
	_, _ = unix.Wait4(pid, nil, 0, nil)
}

// As runc: delete of a created container (never started) runs the poststop hooks, with the
// OCI state on stdin; the startContainer hooks never run.
func TestDeleteCreatedRunsPoststop(t *testing.T) {
	e := newEnv(t)
	out := filepath.Join(t.TempDir(), "hooks")
	e.writeSpec(func(s *specs.Spec) {
		s.Process.Args = []string{"true"}
		s.Annotations = map[string]string{"a": "b"}
		s.Hooks = &specs.Hooks{
			StartContainer: []specs.Hook{{Path: "/bin/sh", Args: []string{"sh", "-c", "echo started > /started"}}},
			Poststop:       []specs.Hook{{Path: "/bin/sh", Args: []string{"sh", "-c", "cat > " + out}}},
		}
	})
	id := e.newID()
	e.must("create", id)
	pid := e.state(id).Pid
	e.must("delete", id)
	_, _ = unix.Wait4(pid, nil, 0, nil)
	b, err := os.ReadFile(out)
	var st map[string]any
	if err != nil || json.Unmarshal(b, &st) != nil {
		t.Fatalf("poststop read %q (%v)", b, err)
	}
	want := map[string]any{"ociVersion": st["ociVersion"], "id": id, "status": "stopped", "bundle": e.bundle,
		"annotations": map[string]any{"a": "b"}}
	if !reflect.DeepEqual(st, want) {
		t.Errorf("poststop read %s, want %v", b, want)
	}
	if _, err := os.Stat(filepath.Join(e.bundle, "rootfs/started")); !os.IsNotExist(err) {
		t.Errorf("startContainer ran for a container never started: %v", err)
	}
}
