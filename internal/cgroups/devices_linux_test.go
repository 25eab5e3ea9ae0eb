package cgroups

import (
	"bytes"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/cilium/ebpf"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// The kernel's verifier accepts every program DeviceProgram makes.
func TestHostDeviceProgramLoads(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: loads eBPF programs (BPF_PROG_LOAD)")
	}
	for _, tt := range filterCases {
		t.Run(tt.name, func(t *testing.T) {
			f, err := NewDeviceFilter(tt.rules)
			if err != nil {
				t.Fatal(err)
			}
			insns := DeviceProgram(f)
			if insns == nil {
				if !f.AllowsAll() {
					t.Fatal("no program for a filter that refuses something")
				}
				return
			}
			prog, err := loadDeviceProgram(insns)
			if err != nil {
				t.Fatalf("%v\nprogram:\n%v", err, insns)
			}
			prog.Close()
		})
	}
}

// The v1 kernel holds what NewDeviceFilter computes: the v1 manager writes
// each case's rules to a new cgroup and devices.list shows the filter.
func TestHostDeviceFilterMatchesV1(t *testing.T) {
	mode := needHost(t)
	if mode == Unified || !exists(filepath.Join(DefaultRoot, "devices")) {
		t.Skip("needs the v1 devices controller at /sys/fs/cgroup/devices")
	}
	for _, tt := range filterCases {
		t.Run(tt.name, func(t *testing.T) {
			m := hostCgroup(t, Legacy)
			if err := m.Create(&specs.LinuxResources{Devices: tt.rules}); err != nil {
				t.Fatal(err)
			}
			got, err := os.ReadFile(filepath.Join(ctrlDir(m, "devices"), "devices.list"))
			if err != nil {
				t.Fatal(err)
			}
			want := tt.list
			if strings.HasPrefix(want, "a *:* rwm\n") {
				want = "a *:* rwm\n" // devices.list hides a default-allow list's exceptions
			}
			if string(got) != want {
				t.Errorf("devices.list:\n%s\nwant:\n%s", got, want)
			}
		})
	}
}

// The v2 manager's device program refuses and allows real opens and
// mknods, is replaced by a second Create, and is freed when the cgroup is
// destroyed. On cgroup v2 (the VM test runs it there), and on a hybrid host,
// whose cgroup2 hierarchy at /sys/fs/cgroup/unified has no controllers but
// whose device programs are enforced too (as well as the v1 devices
// controller, which allows everything at the test's cgroup).
func TestHostDeviceProgramEnforced(t *testing.T) {
	mode := needHost(t)
	unified := DefaultRoot
	if mode != Unified {
		unified = filepath.Join(DefaultRoot, "unified")
		var st unix.Statfs_t
		if mode != Hybrid || unix.Statfs(unified, &st) != nil || st.Type != unix.CGROUP2_SUPER_MAGIC {
			t.Skip("needs cgroup v2, or a hybrid host with cgroup2 at /sys/fs/cgroup/unified (the VM test runs it on v2)")
		}
	}
	dir := t.TempDir()
	nodes := []struct {
		name         string
		mode         uint32
		major, minor uint32
	}{
		{"null", unix.S_IFCHR, 1, 3},
		{"zero", unix.S_IFCHR, 1, 5},
		{"mem", unix.S_IFCHR, 1, 1}, // only ever opened for reading, and refused
		{"sda", unix.S_IFBLK, 8, 0}, // no such disk here: ENXIO once allowed
	}
	for _, n := range nodes {
		if err := unix.Mknod(filepath.Join(dir, n.name), n.mode|0o666, int(unix.Mkdev(n.major, n.minor))); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "byte"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := os.ReadFile("/sys/block/sda/dev"); err == nil {
		t.Skip("the host has a disk at 8:0; this test does not open real disks")
	}
	read := "dd if=%s of=out count=1 status=none"
	write := "dd if=byte of=%s count=1 conv=notrunc status=none"
	const eperm = "Operation not permitted"
	for _, tt := range []struct {
		name  string
		rules []specs.LinuxDeviceCgroup
		ops   map[string]string // shell command (%s: the node) -> "ok" or part of its error
	}{
		{"container", containerRules, map[string]string{
			"read null": "ok", "write null": "ok", "read zero": "ok",
			"read mem": eperm, "read sda": eperm, "write sda": eperm,
			"mknod b 8 0": "ok", "mknod c 1 1": "ok",
		}},
		{"--device-cgroup-rule 'b 8:0 r'", append(slices.Clone(containerRules), allow("b 8:0 r")), map[string]string{
			"read sda": "No such device or address", "write sda": eperm,
		}},
		{"read-only null, no mknod", []specs.LinuxDeviceCgroup{deny("a"), allow("c 1:3 r")}, map[string]string{
			"read null": "ok", "write null": eperm, "read zero": eperm, "mknod c 1 3": eperm,
		}},
		{"privileged", []specs.LinuxDeviceCgroup{{Allow: true, Access: "rwm"}}, map[string]string{
			"read null": "ok", "write null": "ok", "read sda": "No such device or address", "mknod b 8 0": "ok",
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			mm, err := New(Unified, "devices", Opts{Root: unified, Parent: testParent})
			if err != nil {
				t.Fatal(err)
			}
			m := mm.(*v2)
			t.Cleanup(func() {
				if err := m.Kill(); err != nil {
					t.Errorf("cleanup: %v", err)
				}
				if err := m.Destroy(); err != nil {
					t.Errorf("cleanup: %v", err)
				}
				if err := unix.Rmdir(filepath.Join(unified, testParent)); err != nil && !errors.Is(err, unix.ENOENT) {
					t.Errorf("cleanup: %v", err)
				}
			})
			res := &specs.LinuxResources{Devices: tt.rules}
			for range 2 { // the second Create replaces the program
				if err := m.Create(res); err != nil {
					t.Fatal(err)
				}
			}
			ids, err := deviceProgramIDs(m.dir())
			if err != nil {
				t.Fatal(err)
			}
			f, _ := NewDeviceFilter(tt.rules)
			if want := map[bool]int{true: 0, false: 1}[f.AllowsAll()]; len(ids) != want {
				t.Fatalf("%d device programs attached after two Creates, want %d", len(ids), want)
			}
			for _, op := range sortedKeys(tt.ops) {
				want := tt.ops[op]
				verb, rest, _ := strings.Cut(op, " ")
				var script string
				switch verb {
				case "read":
					script = strings.Replace(read, "%s", rest, 1)
				case "write":
					script = strings.Replace(write, "%s", rest, 1)
				case "mknod":
					script = "rm -f new && mknod new " + rest + " && rm new"
				}
				out := runInCgroup(t, m, dir, script)
				if want == "ok" && out != "" || want != "ok" && !strings.Contains(out, want) {
					t.Errorf("%s (%s): output %q, want %s", op, script, out, want)
				}
			}
			if err := m.Destroy(); err != nil {
				t.Fatal(err)
			}
			for _, id := range ids {
				eventually(t, "the device program to be freed with its cgroup", func() bool {
					p, err := ebpf.NewProgramFromID(id)
					if err == nil {
						p.Close()
					}
					return errors.Is(err, unix.ENOENT)
				})
			}
		})
	}
}

// runInCgroup runs the shell script in dir, in the cgroup of m, and returns
// its output ("" when it succeeded silently, else the output and the error).
func runInCgroup(t *testing.T, m Manager, dir, script string) string {
	t.Helper()
	cmd := exec.Command("sh", "-c", "read go; "+script)
	cmd.Dir = dir
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	if err := m.Add(cmd.Process.Pid); err != nil {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatal(err)
	}
	io.WriteString(stdin, "go\n")
	stdin.Close()
	if err := cmd.Wait(); err != nil {
		return strings.TrimSpace(out.String()) + " (" + err.Error() + ")"
	}
	return strings.TrimSpace(out.String())
}
