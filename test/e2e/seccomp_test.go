//go:build linux

package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	mobyseccomp "github.com/moby/profiles/seccomp"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// buildProbe builds testdata/probe, static, into the test's temporary directory. It is
// only ever run inside containers (it mounts and unshares).
func buildProbe(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "probe")
	cmd := exec.Command("go", "build", "-o", bin, "./testdata/probe")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building the probe: %v %s", err, out)
	}
	return bin
}

// probeNames are the probe's system calls, in the order it prints them.
var probeNames = []string{"unshare", "keyctl", "add_key", "bpf", "perf_event_open", "personality", "mount", "open_by_handle_at", "userfaultfd"}

// probeWant is the probe's expected output: every call as in base ("allowed" or
// "denied ERRNO"), except those in diff.
func probeWant(base string, diff map[string]string) string {
	var b strings.Builder
	for _, n := range probeNames {
		r := base
		if d, ok := diff[n]; ok {
			r = d
		}
		fmt.Fprintf(&b, "%s %s\n", n, r)
	}
	return b.String()
}

// customProfile writes Docker's default profile with defaultErrnoRet EACCES, keyctl failing
// with ENOSYS and userfaultfd allowed, in Docker's JSON format.
func customProfile(t *testing.T) string {
	t.Helper()
	p := mobyseccomp.DefaultProfile()
	eacces, enosys := uint(13), uint(38)
	p.DefaultErrnoRet = &eacces
	p.Syscalls = append(p.Syscalls,
		&mobyseccomp.Syscall{LinuxSyscall: specs.LinuxSyscall{Names: []string{"keyctl"}, Action: specs.ActErrno, ErrnoRet: &enosys}},
		&mobyseccomp.Syscall{LinuxSyscall: specs.LinuxSyscall{Names: []string{"userfaultfd"}, Action: specs.ActAllow}},
	)
	b, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "custom.json")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// What Docker's profile (moby/profiles/seccomp v0.3.0) says for the probe's calls: none of
// them is allowed without capabilities beyond Docker's defaults (EPERM, its
// defaultErrnoRet); CAP_SYS_ADMIN allows unshare, mount, bpf and perf_event_open;
// CAP_DAC_READ_SEARCH allows open_by_handle_at; personality is allowed only for a few
// values, not READ_IMPLIES_EXEC.
var (
	dockerDefault = probeWant("denied EPERM", nil)
	allAllowed    = probeWant("allowed", nil)
	withSysAdmin  = probeWant("denied EPERM", map[string]string{
		"unshare": "allowed", "mount": "allowed", "bpf": "allowed", "perf_event_open": "allowed",
	})
)

func TestSeccompProfiles(t *testing.T) {
	e := newEnv(t)
	e.withBusybox()
	probe := buildProbe(t)
	custom := customProfile(t)
	for _, tc := range []struct {
		name  string
		flags []string
		want  string
	}{
		{"default", nil, dockerDefault},
		{"unconfined", []string{"--security-opt", "seccomp=unconfined"}, allAllowed},
		{"cap-add SYS_ADMIN", []string{"--cap-add", "SYS_ADMIN"}, withSysAdmin},
		{"cap-add DAC_READ_SEARCH", []string{"--cap-add", "DAC_READ_SEARCH"},
			probeWant("denied EPERM", map[string]string{"open_by_handle_at": "allowed"})},
		{"privileged", []string{"--privileged"}, allAllowed},
		{"privileged ignores the profile", []string{"--privileged", "--security-opt", "seccomp=" + custom}, allAllowed},
		{"custom profile", []string{"--security-opt", "seccomp=" + custom},
			probeWant("denied EACCES", map[string]string{"keyctl": "denied ENOSYS", "userfaultfd": "allowed"})},
		{"builtin", []string{"--security-opt", "seccomp=builtin"}, dockerDefault},
		// Installed as late as possible with no_new_privs, before the user change without.
		{"no-new-privileges", []string{"--security-opt", "no-new-privileges"}, dockerDefault},
		{"non-root user", []string{"-u", "1000:1000"}, dockerDefault},
		// The init runs under the filter, and the command it starts inherits it.
		{"init", []string{"--init"}, dockerDefault},
		{"init, no-new-privileges", []string{"--init", "--security-opt", "no-new-privileges"}, dockerDefault},
		{"init, unconfined", []string{"--init", "--security-opt", "seccomp=unconfined"}, allAllowed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"run", "--rm", "--network", "none", "-v", probe + ":/probe:ro"}, tc.flags...)
			got := e.ok(append(args, "busybox", "/probe")...)
			if got != tc.want {
				t.Errorf("probe with %v:\n%s\nwant:\n%s", tc.flags, got, tc.want)
			}
		})
	}
}

func TestSeccompExec(t *testing.T) {
	e := newEnv(t)
	e.withBusybox()
	probe := buildProbe(t)
	mount := probe + ":/probe:ro"
	e.detached("--name", "confined", "--network", "none", "-v", mount, "busybox", "sleep", "300")
	e.detached("--name", "free", "--network", "none", "-v", mount, "--security-opt", "seccomp=unconfined", "busybox", "sleep", "300")
	e.detached("--name", "admin", "--network", "none", "-v", mount, "--cap-add", "SYS_ADMIN", "busybox", "sleep", "300")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"exec", "confined", "/probe"}, dockerDefault},
		// --privileged gives the exec'd process every capability, not another filter (Docker).
		{[]string{"exec", "--privileged", "confined", "/probe"}, dockerDefault},
		{[]string{"exec", "-u", "1000", "confined", "/probe"}, dockerDefault},
		{[]string{"exec", "free", "/probe"}, allAllowed},
		{[]string{"exec", "admin", "/probe"}, withSysAdmin},
	} {
		if got := e.ok(tc.args...); got != tc.want {
			t.Errorf("%v:\n%s\nwant:\n%s", tc.args, got, tc.want)
		}
	}
	// A restart keeps the container's profile.
	e.ok("restart", "-t", "0", "free")
	if got := e.ok("exec", "free", "/probe"); got != allAllowed {
		t.Errorf("exec after restart of an unconfined container:\n%s", got)
	}
}

func TestSeccompBadProfile(t *testing.T) {
	e := newEnv(t)
	e.withBusybox()
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	before := mountsUnder(t, e.root)
	for _, tc := range []struct {
		name, path, want string
	}{
		{"missing file", filepath.Join(dir, "missing.json"), "opening seccomp profile"},
		{"directory", dir, "opening seccomp profile"},
		{"not JSON", write("garbage.json", "{not json"), "compacting json for seccomp profile"},
		{"unknown action", write("action.json", `{"defaultAction":"SCMP_ACT_NOPE","syscalls":[]}`), "unknown action"},
		{"unknown operator", write("op.json", `{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["keyctl"],"action":"SCMP_ACT_ERRNO","args":[{"index":0,"value":1,"op":"SCMP_CMP_ALMOST"}]}]}`), "unknown operator"},
		{"unknown architecture", write("arch.json", `{"defaultAction":"SCMP_ACT_ALLOW","architectures":["SCMP_ARCH_Z80"],"syscalls":[]}`), "unknown architecture"},
		{"bad kernel version", write("kernel.json", `{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["keyctl"],"action":"SCMP_ACT_ERRNO","includes":{"minKernel":"x"}}]}`), "invalid kernel version"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, args := range [][]string{
				{"run", "--rm", "--network", "none", "--security-opt", "seccomp=" + tc.path, "busybox", "true"},
				{"run", "-d", "--network", "none", "--security-opt", "seccomp=" + tc.path, "busybox", "true"},
			} {
				r := e.fails(125, tc.want, args...)
				if !strings.Contains(r.Stderr, tc.path) {
					t.Errorf("%v: the error does not name %s: %s", args, tc.path, r.Stderr)
				}
			}
			if got := e.entries("containers"); len(got) != 0 {
				t.Errorf("a bad profile left containers %v", got)
			}
			e.assertNoCgroups()
			if after := mountsUnder(t, e.root); after != before {
				t.Errorf("mounts: %d before, %d after", before, after)
			}
		})
	}
}

func TestSeccompInfoInspect(t *testing.T) {
	e := newEnv(t)
	e.withBusybox()
	probe := buildProbe(t)
	if out := e.ok("info"); !strings.Contains(out, "\n Security Options:\n  seccomp\n   Profile: builtin\n") {
		t.Errorf("info lacks the seccomp profile:\n%s", out)
	}
	custom := customProfile(t)
	raw, err := os.ReadFile(custom)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		flags []string
		want  []string
	}{
		{nil, nil},
		{[]string{"--privileged"}, nil},
		{[]string{"--security-opt", "seccomp=unconfined"}, []string{"seccomp=unconfined"}},
		{[]string{"--security-opt", "no-new-privileges", "--security-opt", "seccomp=unconfined"}, []string{"no-new-privileges", "seccomp=unconfined"}},
		{[]string{"--security-opt", "seccomp=" + custom}, []string{"seccomp=" + compactJSON(t, raw)}},
	} {
		id := e.detached(append(append([]string{"--network", "none"}, tc.flags...), "busybox", "true")...)
		var got []string
		if err := json.Unmarshal([]byte(e.inspectField(id, "{{json .HostConfig.SecurityOpt}}")), &got); err != nil {
			t.Fatal(err)
		}
		if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
			t.Errorf("%v: HostConfig.SecurityOpt = %q, want %q", tc.flags, got, tc.want)
		}
	}

	// The config file's seccomp-profile, like dockerd's: for containers that name none.
	cfg, err := os.ReadFile(e.cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		profile, info, want string
		flags               []string
	}{
		{"unconfined", "unconfined", allAllowed, nil},
		{"unconfined", "unconfined", dockerDefault, []string{"--security-opt", "seccomp=builtin"}},
		{custom, custom, probeWant("denied EACCES", map[string]string{"keyctl": "denied ENOSYS", "userfaultfd": "allowed"}), nil},
		{"builtin", "builtin", dockerDefault, nil},
	} {
		conf := strings.TrimSuffix(strings.TrimSpace(string(cfg)), "}") + fmt.Sprintf(`, "seccomp-profile": %q}`, tc.profile)
		if err := os.WriteFile(e.cfg, []byte(conf), 0o644); err != nil {
			t.Fatal(err)
		}
		if out := e.ok("info"); !strings.Contains(out, "\n Security Options:\n  seccomp\n   Profile: "+tc.info+"\n") {
			t.Errorf("info with seccomp-profile %s:\n%s", tc.profile, out)
		}
		args := append(append([]string{"run", "--rm", "--network", "none", "-v", probe + ":/probe:ro"}, tc.flags...), "busybox", "/probe")
		if got := e.ok(args...); got != tc.want {
			t.Errorf("probe with seccomp-profile %s and %v:\n%s\nwant:\n%s", tc.profile, tc.flags, got, tc.want)
		}
	}
	missing := filepath.Join(t.TempDir(), "missing.json")
	conf := strings.TrimSuffix(strings.TrimSpace(string(cfg)), "}") + fmt.Sprintf(`, "seccomp-profile": %q}`, missing)
	if err := os.WriteFile(e.cfg, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	before := len(e.entries("containers"))
	e.fails(125, "opening seccomp profile ("+missing+") failed", "run", "--rm", "--network", "none", "busybox", "true")
	if got := e.entries("containers"); len(got) != before {
		t.Errorf("a missing seccomp-profile left a container: %d before, %v after", before, got)
	}
}

// compactJSON is b compacted, as the CLI sends a profile file (and Docker records it).
func compactJSON(t *testing.T, b []byte) string {
	t.Helper()
	var buf bytes.Buffer
	if err := json.Compact(&buf, b); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}
