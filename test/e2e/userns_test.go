//go:build linux

package e2e

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// usernsUser gives a test user of its own a range of 65536 subordinate ids in /etc/subuid and
// /etc/subgid, removed after the test, and returns its name and the range's start.
func usernsUser(t *testing.T) (string, uint32) {
	t.Helper()
	name := fmt.Sprintf("gdtest%d", os.Getpid())
	start := uint32(1000000 + (os.Getpid()%1000)*65536)
	for _, f := range []string{"/etc/subuid", "/etc/subgid"} {
		orig, err := os.ReadFile(f)
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		line := fmt.Sprintf("%s:%d:65536\n", name, start)
		if err := os.WriteFile(f, append(bytes.Clone(orig), line...), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { removeLine(t, f, line) })
	}
	return name, start
}

// removeLine removes line from file f, leaving whatever else was written meanwhile.
func removeLine(t *testing.T, f, line string) {
	b, err := os.ReadFile(f)
	if err != nil {
		t.Error(err)
		return
	}
	if err := os.WriteFile(f, bytes.Replace(b, []byte(line), nil, 1), 0o644); err != nil {
		t.Error(err)
	}
}

// withUsernsRemap sets userns-remap in the env's config, and opens the path of the env's
// store to the remapped root (as /var/lib is).
func (e *env) withUsernsRemap(value string) {
	e.t.Helper()
	conf := fmt.Sprintf(`{"cgroup-parent": %q, "userns-remap": %q}`, e.cgroup, value)
	if err := os.WriteFile(e.cfg, []byte(conf), 0o644); err != nil {
		e.t.Fatal(err)
	}
	for d := filepath.Dir(e.root); d != "/"; d = filepath.Dir(d) {
		st, err := os.Stat(d)
		if err != nil {
			e.t.Fatal(err)
		}
		if st.Mode().Perm()&0o001 == 0 {
			if err := os.Chmod(d, st.Mode().Perm()|0o011); err != nil {
				e.t.Fatal(err)
			}
		}
	}
}

func TestUsernsRemap(t *testing.T) {
	e := newEnv(t)
	e.withBusybox()
	user, start := usernsUser(t)
	e.withUsernsRemap(user)

	if info := e.ok("info"); !strings.Contains(info, "  userns\n") {
		t.Errorf("info does not show userns:\n%s", info)
	}
	// Inside: root is the range start; image files root-owned; the container's layer writable.
	out := e.sh([]string{"--network", "none"}, `cat /proc/self/uid_map /proc/self/gid_map; id -u; stat -c '%u:%g' /bin/busybox /etc; echo x > /etc/new && stat -c '%u:%g' /etc/new`)
	want := fmt.Sprintf("0 %d 65536\n0 %d 65536\n0\n0:0\n0:0\n0:0\n", start, start)
	if got := strings.Join(strings.Fields(strings.ReplaceAll(out, "\n", " \n ")), " "); got != strings.Join(strings.Fields(strings.ReplaceAll(want, "\n", " \n ")), " ") {
		t.Errorf("inside a remapped container:\n%s\nwant:\n%s", out, want)
	}
	// /dev, /proc and /sys work.
	if got := e.sh([]string{"--network", "none"}, `echo x > /dev/null && head -c 4 /dev/zero | wc -c && cat /proc/1/cmdline | tr '\0' ' ' && ls /sys/class/net`); got != "4\nsh -c echo x > /dev/null && head -c 4 /dev/zero | wc -c && cat /proc/1/cmdline | tr '\\0' ' ' && ls /sys/class/net lo\n" {
		t.Errorf("/dev, /proc, /sys in a remapped container: %q", got)
	}

	// Bind mounts: a file created inside is owned by the mapped uid on the host; a root-owned
	// 0755 host directory is not writable by container root.
	shared := filepath.Join(t.TempDir(), "shared")
	locked := filepath.Join(t.TempDir(), "locked")
	for d, mode := range map[string]os.FileMode{shared: 0o777, locked: 0o755} {
		if err := os.Mkdir(d, mode); err != nil {
			t.Fatal(err)
		}
		os.Chmod(d, mode)
	}
	e.ok("run", "--rm", "--network", "none", "-v", shared+":/shared", "busybox", "touch", "/shared/made-inside")
	if got := owner(t, filepath.Join(shared, "made-inside")); got != fmt.Sprintf("%d:%d", start, start) {
		t.Errorf("a file made in a bind mount is owned by %s on the host, want %d:%d", got, start, start)
	}
	if r := e.gd("run", "--rm", "--network", "none", "-v", locked+":/locked", "busybox", "touch", "/locked/x"); r.Code != 1 || !strings.Contains(r.Stderr, "Permission denied") {
		t.Errorf("container root writing to a root-owned 0755 host directory: exit %d %q", r.Code, r.Stderr)
	}

	// Detached on the bridge, with a memory limit: networking, exec, logs, the host's view
	// of its processes, stop and rm.
	id := e.detached("--name", "remapped", "-m", "64m", "busybox", "sh", "-c", "echo started; exec sleep 300")
	e.awaitLog(id, "started")
	if got := e.ok("exec", id, "sh", "-c", "cat /proc/self/uid_map; id -u"); strings.Join(strings.Fields(got), " ") != fmt.Sprintf("0 %d 65536 0", start) {
		t.Errorf("exec in a remapped container: %q", got)
	}
	gw := strings.TrimSpace(e.ok("exec", id, "sh", "-c", `ip route | awk '/default/ {print $3}'`))
	if out := e.ok("exec", id, "ping", "-c", "1", "-W", "5", gw); !strings.Contains(out, "1 packets received") {
		t.Errorf("ping of the gateway %s from a remapped container:\n%s", gw, out)
	}
	if got := e.ok("exec", id, "sh", "-c", "cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.max"); strings.TrimSpace(got) != fmt.Sprint(64<<20) {
		t.Errorf("memory limit seen in a remapped container: %q", got)
	}
	pid, _ := strconv.Atoi(e.inspectField(id, "{{.State.Pid}}"))
	if ps, err := exec.Command("ps", "-o", "uid=", "-p", strconv.Itoa(pid)).Output(); err != nil || strings.TrimSpace(string(ps)) != fmt.Sprint(start) {
		t.Errorf("ps on the host shows the container's process under uid %q (%v), want %d", ps, err, start)
	}
	// Terminals: of the container's devpts, owned by its root (or the exec's user), of the
	// caller's size from the start, the controlling terminal of the command.
	for _, c := range []struct{ args []string }{
		{[]string{"run", "--rm", "-t", "--network", "none", "busybox"}},
		{[]string{"exec", "-t", id}},
		{[]string{"exec", "-t", "-u", "1000", id}},
	} {
		s := e.startPty(append(c.args, "sh", "-c", "tty; stat -c %u:%g $(tty); stty size; echo ctty-$((6*7)) >/dev/tty")...)
		want := "/dev/pts/0\r\n0:5\r\n30 90\r\nctty-42\r\n"
		if c.args[2] == "-u" {
			want = "/dev/pts/0\r\n1000:5\r\n30 90\r\nctty-42\r\n"
		}
		s.expect(want)
		if err := s.cmd.Wait(); err != nil {
			t.Errorf("%v: %v", c.args, err)
		}
	}
	e.ok("stop", "-t", "1", id)
	e.ok("rm", id)
	e.assertNoCgroups()
	e.assertNetworkClean()

	// --userns=host opts out; what needs the host's namespaces is refused without it.
	if got := e.sh([]string{"--network", "none", "--userns", "host"}, "cat /proc/self/uid_map"); strings.Join(strings.Fields(got), " ") != "0 0 4294967295" {
		t.Errorf("--userns=host: uid_map %q", got)
	}
	if got := e.inspectField(e.detached("--network", "none", "--userns", "host", "busybox", "true"), "{{.HostConfig.UsernsMode}}"); got != "host" {
		t.Errorf("inspect UsernsMode: %q", got)
	}
	e.fails(125, "privileged mode is incompatible with user namespaces", "run", "--rm", "--privileged", "busybox", "true")
	e.fails(125, "cannot share the host's network namespace when user namespaces are enabled", "run", "--rm", "--network", "host", "busybox", "true")
	e.fails(125, `invalid --userns: "private"`, "run", "--rm", "--userns", "private", "busybox", "true")
	if got := e.sh([]string{"--privileged", "--userns", "host", "--network", "none"}, "cat /proc/self/uid_map"); strings.Join(strings.Fields(got), " ") != "0 0 4294967295" {
		t.Errorf("--privileged --userns=host: %q", got)
	}
}

// userns-remap "default" makes the geedocker user and its ranges when they are missing.
func TestUsernsRemapDefault(t *testing.T) {
	e := newEnv(t)
	e.withBusybox()
	before := map[string][]byte{}
	for _, f := range []string{"/etc/passwd", "/etc/group", "/etc/shadow", "/etc/gshadow", "/etc/subuid", "/etc/subgid"} {
		b, err := os.ReadFile(f)
		if err == nil {
			before[f] = b
		}
	}
	_, hadUser := lookupUser("geedocker")
	if !hadUser {
		// Put the machine back as it was: the user and its ranges are the test's.
		t.Cleanup(func() {
			exec.Command("userdel", "geedocker").Run()
			exec.Command("groupdel", "geedocker").Run()
			for f, b := range before {
				os.WriteFile(f, b, 0o644)
			}
		})
	}
	e.withUsernsRemap("default")
	out := e.sh([]string{"--network", "none"}, "cat /proc/self/uid_map")
	uid, ok := lookupUser("geedocker")
	if !ok {
		t.Fatal("userns-remap default made no geedocker user")
	}
	sub, _ := os.ReadFile("/etc/subuid")
	var start string
	for _, l := range strings.Split(string(sub), "\n") {
		if f := strings.Split(l, ":"); len(f) == 3 && (f[0] == "geedocker" || f[0] == uid) {
			start = f[1]
			if f[2] != "65536" {
				t.Errorf("subuid range of geedocker: %q, want 65536 ids", l)
			}
		}
	}
	if start == "" || strings.Join(strings.Fields(out), " ") != "0 "+start+" 65536" {
		t.Errorf("uid_map %q, /etc/subuid:\n%s", out, sub)
	}
}

// lookupUser returns the uid of name in /etc/passwd.
func lookupUser(name string) (string, bool) {
	b, _ := os.ReadFile("/etc/passwd")
	for _, l := range strings.Split(string(b), "\n") {
		if f := strings.Split(l, ":"); len(f) > 2 && f[0] == name {
			return f[2], true
		}
	}
	return "", false
}

func owner(t *testing.T, p string) string {
	t.Helper()
	out, err := exec.Command("stat", "-c", "%u:%g", p).Output()
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(out))
}
