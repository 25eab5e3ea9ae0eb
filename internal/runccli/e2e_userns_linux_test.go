package runccli_test

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// A container that joins the user namespace of another by its path, as a pod's containers do
// with the pod's sandbox: it sees that namespace, and its maps.
func TestJoinUserNamespace(t *testing.T) {
	e := newEnv(t)
	// The user namespace's root (100000 on the host) walks to the rootfs.
	for dir := e.bundle; dir != os.TempDir(); dir = filepath.Dir(dir) {
		if err := os.Chmod(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	e.writeSpec(func(s *specs.Spec) {
		s.Process.Args = []string{"sleep", "1000"}
		s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: specs.UserNamespace})
		s.Linux.UIDMappings = []specs.LinuxIDMapping{{ContainerID: 0, HostID: 100000, Size: 65536}}
		s.Linux.GIDMappings = []specs.LinuxIDMapping{{ContainerID: 0, HostID: 100000, Size: 65536}}
	})
	first := e.newID()
	e.must("create", "--bundle", e.bundle, first)
	e.must("start", first)
	pid := strconv.Itoa(e.state(first).Pid)
	wantNS, err := os.Readlink("/proc/" + pid + "/ns/user")
	if err != nil {
		t.Fatal(err)
	}
	wantMap, err := os.ReadFile("/proc/" + pid + "/uid_map")
	if err != nil {
		t.Fatal(err)
	}

	e.writeSpec(func(s *specs.Spec) {
		s.Process.Args = []string{"sh", "-c", "readlink /proc/self/ns/user; cat /proc/self/uid_map; id -u; echo $$"}
		s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: specs.UserNamespace, Path: "/proc/" + pid + "/ns/user"})
	})
	second := e.newID()
	out := e.must("run", "--bundle", e.bundle, second)
	if want := wantNS + "\n" + string(wantMap) + "0\n1\n"; out != want {
		t.Errorf("in the joining container:\n%s\nwant:\n%s", out, want)
	}
	// Not the host's.
	host, _ := os.Readlink("/proc/self/ns/user")
	if strings.Contains(out, host) {
		t.Errorf("the joining container is in the host's user namespace %s", host)
	}
}

// Joining a mount namespace stays refused: the runtime would build the container's root in
// a namespace other processes share.
func TestJoinMountNamespaceRefused(t *testing.T) {
	e := newEnv(t)
	e.writeSpec(func(s *specs.Spec) {
		s.Process.Args = []string{"true"}
		for i, ns := range s.Linux.Namespaces {
			if ns.Type == specs.MountNamespace {
				s.Linux.Namespaces[i].Path = "/proc/self/ns/mnt"
			}
		}
	})
	id := e.newID()
	r := e.run("run", "--bundle", e.bundle, id)
	if r.code == 0 || !strings.Contains(r.stderr, "joining an existing mount namespace (/proc/self/ns/mnt) is not supported") {
		t.Errorf("run: %+v, want a refusal", r)
	}
}
