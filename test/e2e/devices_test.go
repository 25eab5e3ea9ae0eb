//go:build linux

package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// noDriverMajor is a character device major no driver registers: opening
// such a node fails with ENXIO once the device cgroup lets it through, so a
// test sees the cgroup's answer (EPERM or not) without touching hardware.
const noDriverMajor = 4000

// mknodHost makes a device node on the host, in a temp dir of the test.
func mknodHost(t *testing.T, p string, mode uint32, major, minor uint32) {
	t.Helper()
	if err := unix.Mknod(p, mode|0o666, int(unix.Mkdev(major, minor))); err != nil {
		t.Fatal(err)
	}
}

// The device cgroup of a container (v1 devices.allow/deny here, the eBPF
// program on v2, see test/cgroupv2/checks.sh) with the default rules,
// --device, --device-cgroup-rule and --privileged.
func TestRunDevices(t *testing.T) {
	e := newEnv(t)
	e.withBusybox()
	if _, err := os.Stat("/sys/dev/block/8:0"); err == nil {
		t.Skip("the host has a disk at 8:0; these tests open b 8:0 for reading once allowed")
	}
	dir := t.TempDir()
	nodrv := filepath.Join(dir, "nodrv")
	mknodHost(t, nodrv, unix.S_IFCHR, noDriverMajor, 0)
	devdir := filepath.Join(dir, "devdir")
	if err := os.MkdirAll(filepath.Join(devdir, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	mknodHost(t, filepath.Join(devdir, "null"), unix.S_IFCHR, 1, 3)
	mknodHost(t, filepath.Join(devdir, "sub", "nodrv1"), unix.S_IFCHR, noDriverMajor, 1)
	if err := os.WriteFile(filepath.Join(devdir, "not-a-device"), nil, 0o644); err != nil {
		t.Fatal(err)
	}

	const (
		eperm = "Operation not permitted"
		enxio = "No such device or address"
	)
	// readSda makes /dev/sda and reads it; its output is mknod's word, then
	// head's error.
	const readSda = "mknod /dev/sda b 8 0 && echo made; head -c 1 /dev/sda 2>&1 >/dev/null"
	for _, tt := range []struct {
		name   string
		flags  []string
		script string
		want   []string // in the output, in order
		not    []string
	}{
		{"default: mknod passes, reading the disk does not", nil, readSda,
			[]string{"made", "head: /dev/sda: " + eperm}, nil},
		{"default: the default devices work", nil,
			"echo x > /dev/null && head -c 3 /dev/zero | wc -c && head -c 3 /dev/urandom | wc -c",
			[]string{"3\n3\n"}, []string{eperm}},
		{"--device under another name: the host's node, read and write", []string{"--device", "/dev/null:/dev/mynull"},
			"ls -l /dev/mynull; echo hi > /dev/mynull && head -c 1 /dev/mynull | wc -c",
			[]string{"crw-rw-rw-", "1,   3", "/dev/mynull", "\n0\n"}, []string{eperm}},
		{"--device :r reads", []string{"--device", "/dev/zero:/dev/z:r"}, "head -c 4 /dev/z | wc -c",
			[]string{"4\n"}, nil},
		// As in Docker, a device already allowed rwm by the default rules
		// (c 1:5 is /dev/zero) stays writable: rules add, they never take
		// away. The r-only permission shows on a device the defaults do not
		// name, below.
		{"--device :r of a default device stays writable", []string{"--device", "/dev/zero:/dev/z:r"},
			"echo x > /dev/z && echo written", []string{"written"}, nil},
		{"--device :r refuses writing", []string{"--device", nodrv + ":/dev/nodrv:r"},
			"head -c 1 /dev/nodrv 2>&1; echo x 2>&1 > /dev/nodrv",
			[]string{"head: /dev/nodrv: " + enxio, "can't create /dev/nodrv: " + eperm}, nil},
		{"--device :w refuses reading", []string{"--device", nodrv + ":/dev/nodrv:w"},
			"head -c 1 /dev/nodrv 2>&1; echo x 2>&1 > /dev/nodrv",
			[]string{"head: /dev/nodrv: " + eperm, "can't create /dev/nodrv: " + enxio}, nil},
		{"without --device the same node is refused", nil,
			"mknod /dev/nodrv c 4000 0 && echo made; head -c 1 /dev/nodrv 2>&1",
			[]string{"made", "head: /dev/nodrv: " + eperm}, nil},
		{"--device of a directory: every node below", []string{"--device", devdir + ":/dev/mydir"},
			"ls /dev/mydir /dev/mydir/sub; echo x > /dev/mydir/null && echo null-ok; head -c 1 /dev/mydir/sub/nodrv1 2>&1",
			[]string{"null\nsub\n", "nodrv1\n", "null-ok", "head: /dev/mydir/sub/nodrv1: " + enxio},
			[]string{"not-a-device", eperm}},
		{"--device-cgroup-rule 'b 8:0 r' lets the open through", []string{"--device-cgroup-rule", "b 8:0 r"}, readSda,
			[]string{"made", "head: /dev/sda: " + enxio}, []string{eperm}},
		{"--device-cgroup-rule of several devices", []string{"--device-cgroup-rule", "c 4000:* rw"},
			"mknod /dev/a c 4000 0; mknod /dev/b c 4000 9; head -c 1 /dev/a 2>&1; head -c 1 /dev/b 2>&1",
			[]string{"head: /dev/a: " + enxio, "head: /dev/b: " + enxio}, []string{eperm}},
		{"--privileged allows all", []string{"--privileged"}, readSda,
			[]string{"made", "head: /dev/sda: " + enxio}, []string{eperm}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			args := append(append([]string{"run", "--rm", "--network", "none"}, tt.flags...), "busybox", "sh", "-c", "exec 2>&1; "+tt.script)
			r := e.gd(args...)
			out := r.Stdout + r.Stderr
			rest := out
			for _, w := range tt.want {
				i := strings.Index(rest, w)
				if i < 0 {
					t.Errorf("output %q: want %q (in this order: %q)", out, w, tt.want)
					break
				}
				rest = rest[i+len(w):]
			}
			for _, n := range tt.not {
				if strings.Contains(out, n) {
					t.Errorf("output %q holds %q", out, n)
				}
			}
		})
	}
	e.assertNoCgroups()
	if got := e.entries("containers"); len(got) != 0 {
		t.Errorf("containers left: %v", got)
	}
}

// Bad --device and --device-cgroup-rule values: exit 125, one line naming
// the flag or the device, and nothing left behind.
func TestRunDevicesBadValues(t *testing.T) {
	e := newEnv(t)
	e.withBusybox()
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		flags []string
		want  string
	}{
		{[]string{"--device", "/dev/zero:/dev/z:rwx"}, `invalid argument "/dev/zero:/dev/z:rwx" for "--device" flag: bad mode specified: rwx`},
		{[]string{"--device", "/dev/a:/dev/b:r:w"}, `invalid argument "/dev/a:/dev/b:r:w" for "--device" flag: bad format for path: /dev/a:/dev/b:r:w`},
		{[]string{"--device", "/dev/zero:z"}, `invalid argument "/dev/zero:z" for "--device" flag: z is not an absolute path`},
		{[]string{"--device", "/dev/nope"}, `error gathering device information while adding custom device "/dev/nope": no such file or directory`},
		{[]string{"--device", file}, `error gathering device information while adding custom device "` + file + `": not a device node`},
		{[]string{"--device", "/dev/zero:/z"}, "invalid device /dev/zero: the path in the container, /z, is not below /dev"},
		{[]string{"--device-cgroup-rule", "c 1:3"}, `invalid argument "c 1:3" for "--device-cgroup-rule" flag: invalid device cgroup format 'c 1:3'`},
		{[]string{"--device-cgroup-rule", "x *:* rwm"}, `invalid argument "x *:* rwm" for "--device-cgroup-rule" flag: invalid device cgroup format 'x *:* rwm'`},
	} {
		args := append(append([]string{"run", "--rm", "--network", "none"}, tt.flags...), "busybox", "true")
		e.fails(125, tt.want, args...)
	}
	if got := e.entries("containers"); len(got) != 0 {
		t.Errorf("containers left: %v", got)
	}
	e.assertNoCgroups()
}

// inspect shows the devices as Docker does: [] and null when there are none.
func TestInspectDevices(t *testing.T) {
	e := newEnv(t)
	e.withBusybox()
	e.ok("run", "--name", "devs", "--network", "none", "--device", "/dev/zero:/dev/z:r", "--device", "/dev/null",
		"--device-cgroup-rule", "b 8:0 r", "--device-cgroup-rule", "c *:* m", "busybox", "true")
	e.ok("run", "--name", "plain", "--network", "none", "busybox", "true")
	for name, want := range map[string]string{
		// In Docker's field order: templates render the typed document.
		"devs": `[{"PathOnHost":"/dev/zero","PathInContainer":"/dev/z","CgroupPermissions":"r"},` +
			`{"PathOnHost":"/dev/null","PathInContainer":"/dev/null","CgroupPermissions":"rwm"}] ["b 8:0 r","c *:* m"]`,
		"plain": `[] null`,
	} {
		got := strings.TrimSpace(e.ok("inspect", "-f", "{{json .HostConfig.Devices}} {{json .HostConfig.DeviceCgroupRules}}", name))
		if got != want {
			t.Errorf("inspect %s: %s\nwant %s", name, got, want)
		}
	}
	e.ok("rm", "devs", "plain")
}
