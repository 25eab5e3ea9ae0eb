package runccli_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/geedocker/geedocker/internal/testutil"
)

// A container that joins the user namespace of another by its path: with namespaces of its
// own, created in that user namespace; or with the other's network, IPC, UTS and PID
// namespaces too, as a pod's containers join those of the pod's sandbox. It sees the joined
// namespaces and their maps, and is root there.
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
	nsOf := func(name string) string {
		t.Helper()
		l, err := os.Readlink("/proc/" + pid + "/ns/" + name)
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	uidMap, err := os.ReadFile("/proc/" + pid + "/uid_map")
	if err != nil {
		t.Fatal(err)
	}
	hostNet, _ := os.Readlink("/proc/self/ns/net")

	tests := []struct {
		name string
		join []specs.LinuxNamespaceType // besides the user namespace
		// the network and PID namespaces it should see, and its pid there
		net, pidns, pid string
	}{
		{name: "namespaces of its own", net: "new", pidns: "new", pid: "1"},
		{name: "a pod's namespaces",
			join: []specs.LinuxNamespaceType{specs.NetworkNamespace, specs.IPCNamespace, specs.UTSNamespace, specs.PIDNamespace},
			net:  nsOf("net"), pidns: nsOf("pid"), pid: "not 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.t = t
			e.writeSpec(func(s *specs.Spec) {
				s.Process.Args = []string{"sh", "-c", "for ns in user net pid; do readlink /proc/self/ns/$ns; done; cat /proc/self/uid_map; id -u; echo $$"}
				for i, ns := range s.Linux.Namespaces {
					if slices.Contains(tt.join, ns.Type) {
						s.Linux.Namespaces[i].Path = "/proc/" + pid + "/ns/" + map[specs.LinuxNamespaceType]string{
							specs.NetworkNamespace: "net", specs.IPCNamespace: "ipc", specs.UTSNamespace: "uts", specs.PIDNamespace: "pid"}[ns.Type]
					}
				}
				s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: specs.UserNamespace, Path: "/proc/" + pid + "/ns/user"})
			})
			out := e.must("run", "--bundle", e.bundle, e.newID())
			lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
			if len(lines) != 6 {
				t.Fatalf("in the joining container:\n%s", out)
			}
			if lines[0] != nsOf("user") || lines[3]+"\n" != string(uidMap) || lines[4] != "0" {
				t.Errorf("in the joining container:\n%s\nwant user namespace %s, uid_map %q, uid 0", out, nsOf("user"), uidMap)
			}
			switch tt.net {
			case "new":
				if lines[1] == nsOf("net") || lines[1] == hostNet || lines[2] == nsOf("pid") || lines[5] != "1" {
					t.Errorf("the container does not have network and PID namespaces of its own:\n%s", out)
				}
			default:
				if lines[1] != tt.net || lines[2] != tt.pidns || lines[5] == "1" {
					t.Errorf("the container is not in the joined network and PID namespaces %s %s:\n%s", tt.net, tt.pidns, out)
				}
			}
		})
	}
}

// A container that joins the mount namespace of another by its path, as runc does it: its
// root is a path of that namespace, a tmpfs of the first container's here, which the host
// sees only through /proc/PID/root, and the runtime mounts it and pivots into it there. It
// joins the first's PID namespace too, whose /proc is the one that namespace shows.
func TestJoinMountNamespace(t *testing.T) {
	e := newEnv(t)
	e.writeSpec(func(s *specs.Spec) {
		s.Process.Args = []string{"sleep", "1000"}
		s.Mounts = append(s.Mounts, specs.Mount{Destination: "/shared", Type: "tmpfs", Source: "tmpfs", Options: []string{"nosuid", "nodev", "mode=755"}})
	})
	first := e.newID()
	e.must("create", "--bundle", e.bundle, first)
	pid := strconv.Itoa(e.state(first).Pid)
	// The second's root, in the first's tmpfs: busybox, and a file of the first.
	shared := "/proc/" + pid + "/root/shared"
	untar := exec.Command("tar", "-x", "-C", shared)
	untar.Stdin = bytes.NewReader(testutil.BusyboxRootfsTar(t))
	if out, err := untar.CombinedOutput(); err != nil {
		t.Fatalf("unpacking the rootfs into the first container: %v\n%s", err, out)
	}
	if err := os.WriteFile(shared+"/from-first", []byte("written in the first container's tmpfs\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	mntNS, err := os.Readlink("/proc/" + pid + "/ns/mnt")
	if err != nil {
		t.Fatal(err)
	}

	e.writeSpec(func(s *specs.Spec) {
		s.Root.Path = "/shared"
		// The cgroup hierarchies mounted in that namespace are the first container's
		// cgroups, which the second's is not below: no cgroup mount.
		s.Mounts = slices.DeleteFunc(s.Mounts, func(m specs.Mount) bool { return m.Type == "cgroup" })
		s.Process.Args = []string{"sh", "-c", "readlink /proc/self/ns/mnt; cat /from-first"}
		for i, ns := range s.Linux.Namespaces {
			switch ns.Type {
			case specs.MountNamespace:
				s.Linux.Namespaces[i].Path = "/proc/" + pid + "/ns/mnt"
			case specs.PIDNamespace:
				s.Linux.Namespaces[i].Path = "/proc/" + pid + "/ns/pid"
			}
		}
	})
	out := e.must("run", "--bundle", e.bundle, e.newID())
	if want := mntNS + "\nwritten in the first container's tmpfs\n"; out != want {
		t.Errorf("in the joining container:\n%s\nwant:\n%s", out, want)
	}
}

// A spec without a mount namespace: the container shares the runtime's, as with runc; its
// mounts are made there, under its root, and it is chrooted into it. Delete detaches them.
// The runtime runs in a mount namespace that the test makes (unshare -m), never the host's.
func TestNoMountNamespace(t *testing.T) {
	e := newEnv(t)
	if _, err := exec.LookPath("unshare"); err != nil {
		t.Skip("needs unshare(1)")
	}
	e.writeSpec(func(s *specs.Spec) {
		s.Process.Args = []string{"sh", "-c", "readlink /proc/self/ns/mnt; test -x /bin/busybox && echo in its root; test -e /proc/self/exe && echo its proc"}
		s.Linux.Namespaces = slices.DeleteFunc(s.Linux.Namespaces, func(ns specs.LinuxNamespace) bool { return ns.Type == specs.MountNamespace })
	})
	id := e.newID()
	// While created, the container's mounts are in the runtime's namespace; delete, or the
	// end of run, detaches them all.
	script := `readlink /proc/self/ns/mnt
		"$0" --root "$1" create --bundle "$2" "$3" && grep -c -F " $2/" /proc/self/mountinfo
		"$0" --root "$1" delete --force "$3" && grep -c -F " $2/" /proc/self/mountinfo
		"$0" --root "$1" run --bundle "$2" "$3"; echo "exit $?"
		grep -c -F " $2/" /proc/self/mountinfo`
	out, _ := exec.Command("unshare", "-m", "--propagation", "private", "sh", "-c", script, e.bin, e.root, e.bundle, id).CombinedOutput()
	l := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
	if len(l) != 8 || l[3] != l[0] || l[1] == "0" || l[2] != "0" || l[4] != "in its root" || l[5] != "its proc" || l[6] != "exit 0" || l[7] != "0" {
		t.Errorf("want: the runtime's mount namespace; mounts while created, none after delete; the same namespace, in its root, its proc, exit 0, no mount left; got:\n%s", out)
	}
}

// A namespace that cannot be joined is one clear line, and nothing is left behind. The
// runtime's own mount namespace is refused: pivot_root there would move the root of every
// process in it (the host's, often).
func TestJoinNamespaceErrors(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		name    string
		typ     specs.LinuxNamespaceType
		path    string
		wantErr string
	}{
		{"mount: the runtime's own", specs.MountNamespace, "/proc/self/ns/mnt", "joining mount namespace /proc/self/ns/mnt: it is the runtime's own"},
		{"mount: no such path", specs.MountNamespace, "/nonexistent/ns/mnt", "opening mount namespace /nonexistent/ns/mnt: no such file or directory"},
		{"mount: not a mount namespace", specs.MountNamespace, "/proc/self/ns/net", "joining the mount namespace: Invalid argument"},
		{"user: no such path", specs.UserNamespace, "/nonexistent/ns/user", "opening user namespace /nonexistent/ns/user: no such file or directory"},
		{"user: not a user namespace", specs.UserNamespace, "/proc/self/ns/net", "joining the user namespace: Invalid argument"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.t = t
			e.writeSpec(func(s *specs.Spec) {
				s.Process.Args = []string{"true"}
				i := slices.IndexFunc(s.Linux.Namespaces, func(ns specs.LinuxNamespace) bool { return ns.Type == tt.typ })
				if i < 0 {
					s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: tt.typ})
					i = len(s.Linux.Namespaces) - 1
				}
				s.Linux.Namespaces[i].Path = tt.path
			})
			id := e.newID()
			r := e.run("run", "--bundle", e.bundle, id)
			if r.code == 0 || !strings.Contains(r.stderr, tt.wantErr) || strings.Count(r.stderr, "\n") != 1 {
				t.Errorf("run: %+v, want one line with %q", r, tt.wantErr)
			}
			if _, err := os.Stat(filepath.Join(e.root, id)); !os.IsNotExist(err) {
				t.Errorf("run left its state: %v", err)
			}
		})
	}
}
