//go:build linux

package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/geedocker/geedocker/internal/testutil"
)

// TestVolumeCommands: create, ls (filters, -q, --format), inspect, rm (refused while a
// container uses the volume), prune, as a user sees them.
func TestVolumeCommands(t *testing.T) {
	e := newEnv(t)
	e.withBusybox()

	if out := e.ok("volume", "create", "--label", "team=a", "data"); out != "data\n" {
		t.Fatalf("volume create printed %q", out)
	}
	e.ok("volume", "create", "other")
	anon := strings.TrimSpace(e.ok("volume", "create"))
	if len(anon) != 64 {
		t.Fatalf("volume create without a name printed %q", anon)
	}
	// Creating an existing volume is no error, as Docker.
	e.ok("volume", "create", "data")
	e.fails(1, `create a/b: "a/b" includes invalid characters for a local volume name`, "volume", "create", "a/b")
	if got := e.entries("volumes"); len(got) != 3 {
		t.Errorf("volumes on disk: %v", got)
	}

	ls := e.ok("volume", "ls")
	if !strings.HasPrefix(ls, "DRIVER    VOLUME NAME\n") || !strings.Contains(ls, "local     data\n") {
		t.Errorf("volume ls:\n%s", ls)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"volume", "ls", "-q", "--filter", "label=team=a"}, "data\n"},
		{[]string{"volume", "ls", "-q", "--filter", "name=oth"}, "other\n"},
		{[]string{"volume", "ls", "--format", "{{.Name}} {{.Driver}} {{.Labels}}", "--filter", "label=team"}, "data local team=a\n"},
	} {
		if got := e.ok(tc.args...); got != tc.want {
			t.Errorf("%s: %q, want %q", strings.Join(tc.args, " "), got, tc.want)
		}
	}
	if got := e.ok("volume", "inspect", "-f", "{{.Name}} {{.Driver}} {{.Mountpoint}} {{.Labels.team}}", "data"); got != "data local "+filepath.Join(e.root, "volumes", "data", "_data")+" a\n" {
		t.Errorf("volume inspect: %q", got)
	}
	e.fails(1, "no such volume", "volume", "inspect", "nope")

	// In use (even by a stopped container), the volume stays.
	id := strings.TrimSpace(e.ok("run", "-d", "-v", "data:/data", "busybox", "true"))
	e.ok("wait", id)
	if got := e.ok("volume", "ls", "-q", "--filter", "dangling=false"); got != "data\n" {
		t.Errorf("dangling=false: %q", got)
	}
	e.fails(1, "remove data: volume is in use - ["+id+"]", "volume", "rm", "data")
	e.ok("rm", id)
	if out := e.ok("volume", "rm", "data"); out != "data\n" {
		t.Errorf("volume rm printed %q", out)
	}
	e.fails(1, "no such volume", "volume", "rm", "data")
	e.ok("volume", "rm", "-f", "data")

	// prune: the anonymous ones; with --all the named ones too.
	os.WriteFile(filepath.Join(e.root, "volumes", "other", "_data", "f"), []byte("12345"), 0o644)
	if out := e.ok("volume", "prune", "-f"); out != "Total reclaimed space: 0B\n" {
		t.Errorf("volume prune: %q", out)
	}
	if out := e.ok("volume", "prune", "-f", "--all"); out != "Deleted Volumes:\n"+anon+"\nother\n\nTotal reclaimed space: 5B\n" {
		t.Errorf("volume prune --all: %q", out)
	}
	if got := e.entries("volumes"); len(got) != 0 {
		t.Errorf("volumes left: %v", got)
	}
}

// TestVolumeRun: data in a named volume outlives its containers; an empty volume is filled
// from the image (owners, modes, links; no file an upper layer deleted); -v /path and the
// image's VOLUME give anonymous volumes that rm -v and --rm remove.
func TestVolumeRun(t *testing.T) {
	e := newEnv(t)
	e.withBusybox()
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte(`FROM busybox
RUN mkdir -p /seed/sub && echo hello > /seed/f && chown 7:8 /seed/f && chmod 640 /seed/f && ln -s f /seed/link && echo gone > /seed/gone
RUN rm /seed/gone && mkdir /seed/again && touch /seed/again/old
RUN rm -r /seed/again && mkdir /seed/again && touch /seed/again/new
VOLUME /image-vol
`), 0o644)
	e.ok("build", "--network", "none", "-t", "seeded", dir)

	e.ok("run", "--rm", "-v", "data:/data", "busybox", "sh", "-c", "echo kept > /data/file")
	if got := e.ok("run", "--rm", "-v", "data:/data:ro", "busybox", "cat", "/data/file"); got != "kept\n" {
		t.Errorf("data across containers: %q", got)
	}
	e.fails(1, "", "run", "--rm", "-v", "data:/data:ro", "busybox", "touch", "/data/x")

	got := e.ok("run", "--rm", "-v", "seed:/seed", "seeded", "sh", "-c", "stat -c '%n %u:%g %a' /seed/f; readlink /seed/link; ls /seed /seed/again")
	if got != "/seed/f 7:8 640\nf\n/seed:\nagain\nf\nlink\nsub\n\n/seed/again:\nnew\n" {
		t.Errorf("copy-up:\n%s", got)
	}
	// A volume that has content is not filled again.
	e.ok("run", "--rm", "-v", "seed:/seed", "busybox", "rm", "/seed/f")
	if got := e.ok("run", "--rm", "-v", "seed:/seed", "seeded", "ls", "/seed"); got != "again\nlink\nsub\n" {
		t.Errorf("second use: %q", got)
	}

	// Anonymous volumes: -v /path and the image's VOLUME, both in .Mounts.
	id := strings.TrimSpace(e.ok("run", "-d", "-v", "/anon", "-v", "named:/named", "seeded", "true"))
	e.ok("wait", id)
	mounts := e.ok("inspect", "-f", `{{range .Mounts}}{{.Type}} {{.Destination}} {{.Driver}} {{.Mode}} {{.RW}} {{len .Name}}{{"\n"}}{{end}}`, id)
	want := "volume /anon local  true 64\nvolume /named local z true 5\nvolume /image-vol local  true 64\n\n"
	if mounts != want {
		t.Errorf(".Mounts:\n%s\nwant:\n%s", mounts, want)
	}
	if n := len(e.entries("volumes")); n != 5 { // data, seed, named and two anonymous
		t.Errorf("%d volumes, want 5: %v", n, e.entries("volumes"))
	}
	e.ok("rm", "-v", id)
	if got := strings.Join(e.entries("volumes"), " "); got != "data named seed" {
		t.Errorf("after rm -v: %s", got)
	}
	e.ok("run", "--rm", "-v", "/anon", "seeded", "true")
	if got := strings.Join(e.entries("volumes"), " "); got != "data named seed" {
		t.Errorf("after run --rm: %s", got)
	}
	// Without -v, rm keeps the anonymous volumes.
	id = strings.TrimSpace(e.ok("run", "-d", "seeded", "true"))
	e.ok("wait", id)
	e.ok("rm", id)
	if n := len(e.entries("volumes")); n != 4 {
		t.Errorf("after rm: %v", e.entries("volumes"))
	}

	// Bad input leaves nothing.
	e.fails(125, `includes invalid characters for a local volume name`, "run", "--rm", "-v", "./rel:/x", "busybox", "true")
	e.fails(125, `mount path must be absolute`, "run", "--rm", "-v", "rel", "busybox", "true")
	if n := len(e.entries("volumes")); n != 4 {
		t.Errorf("after bad input: %v", e.entries("volumes"))
	}
}

// TestVolumeMountFlag: --mount of each type, its errors, -v creating a missing host
// directory, and --volumes-from.
func TestVolumeMountFlag(t *testing.T) {
	e := newEnv(t)
	e.withBusybox()
	host := t.TempDir()
	os.WriteFile(filepath.Join(host, "f"), []byte("from host\n"), 0o644)

	for _, tc := range []struct {
		flags  []string
		script string
		want   string
	}{
		{[]string{"--mount", "type=bind,source=" + host + ",target=/h,readonly"}, "cat /h/f; touch /h/x 2>/dev/null || echo ro", "from host\nro\n"},
		{[]string{"--mount", "type=volume,source=mvol,target=/v"}, "echo in > /v/f; cat /v/f", "in\n"},
		{[]string{"--mount", "src=mvol,dst=/v,ro"}, "cat /v/f; touch /v/x 2>/dev/null || echo ro", "in\nro\n"},
		{[]string{"--mount", "type=tmpfs,target=/t,tmpfs-size=1m"}, "grep ' /t ' /proc/mounts | grep -o 'size=1024k'", "size=1024k\n"},
	} {
		if got := e.sh(tc.flags, tc.script); got != tc.want {
			t.Errorf("%v: %q, want %q", tc.flags, got, tc.want)
		}
	}

	for _, tc := range []struct {
		mount, err string
	}{
		{"type=bind,source=" + host + "/missing,target=/x", `invalid mount config for type "bind": bind source path does not exist: ` + host + "/missing"},
		{"type=bind,source=rel,target=/x", `invalid mount config for type "bind": invalid mount path: 'rel' mount path must be absolute`},
		{"type=tmpfs,source=/x,target=/x", `invalid mount config for type "tmpfs": field Source must not be specified`},
		{"type=volume,source=vx", `invalid mount config for type "volume": field Target must not be empty`},
	} {
		e.fails(125, tc.err, "run", "--rm", "--mount", tc.mount, "busybox", "true")
	}
	if _, err := os.Stat(filepath.Join(host, "missing")); err == nil {
		t.Error("--mount created the missing bind source")
	}
	if got := strings.Join(e.entries("volumes"), " "); got != "mvol" {
		t.Errorf("volumes after the refused mounts: %s", got)
	}

	// -v creates a missing host directory, as Docker does.
	e.sh([]string{"-v", host + "/made/here:/m"}, "echo x > /m/f")
	if b, err := os.ReadFile(filepath.Join(host, "made", "here", "f")); err != nil || string(b) != "x\n" {
		t.Errorf("-v with a missing source: %q %v", b, err)
	}

	// --volumes-from: the other container's volumes and binds at the same paths.
	src := strings.TrimSpace(e.ok("run", "-d", "--name", "src", "-v", "shared:/shared", "-v", host+":/h", "busybox", "sh", "-c", "echo hi > /shared/f"))
	e.ok("wait", src)
	if got := e.sh([]string{"--volumes-from", "src"}, "cat /shared/f /h/f"); got != "hi\nfrom host\n" {
		t.Errorf("--volumes-from: %q", got)
	}
	if got := e.sh([]string{"--volumes-from", "src:ro"}, "touch /shared/x 2>/dev/null || echo ro"); got != "ro\n" {
		t.Errorf("--volumes-from :ro: %q", got)
	}
	e.fails(125, "No such container: nope", "run", "--rm", "--volumes-from", "nope", "busybox", "true")
	e.fails(125, "invalid mode: rx", "run", "--rm", "--volumes-from", "src:rx", "busybox", "true")
}

// TestVolumePsFilter: ps --filter volume= finds containers by volume name and mount point.
func TestVolumePsFilter(t *testing.T) {
	e := newEnv(t)
	e.withBusybox()
	id := strings.TrimSpace(e.ok("run", "-d", "--name", "user", "-v", "psvol:/data", "busybox", "true"))
	e.ok("wait", id)
	e.ok("run", "-d", "--name", "other", "busybox", "true")
	for _, v := range []string{"psvol", "/data"} {
		if got := e.ok("ps", "-a", "--filter", "volume="+v, "--format", "{{.Names}}"); got != "user\n" {
			t.Errorf("ps --filter volume=%s: %q", v, got)
		}
	}
}

// TestVolumeUsernsRemap: with userns-remap, a new volume, and what it gets from the image,
// belong to the remapped root: container root writes to it and sees the image's owners.
func TestVolumeUsernsRemap(t *testing.T) {
	e := newEnv(t)
	e.withBusybox()
	user, start := usernsUser(t)
	e.withUsernsRemap(user)
	got := e.sh([]string{"--network", "none", "-v", "remapped:/etc", "-v", "fresh:/fresh"},
		"stat -c '%u:%g' /etc /etc/passwd /fresh; echo x > /fresh/f && echo x > /etc/new && echo written")
	if got != "0:0\n0:0\n0:0\nwritten\n" {
		t.Errorf("inside: %q", got)
	}
	for _, p := range []string{"remapped/_data/passwd", "fresh/_data", "fresh/_data/f"} {
		var st syscall.Stat_t
		if err := syscall.Lstat(filepath.Join(e.root, "volumes", p), &st); err != nil || st.Uid != start || st.Gid != start {
			t.Errorf("%s on the host: %d:%d (%v), want %d:%d", p, st.Uid, st.Gid, err, start, start)
		}
	}
}

// TestVolumeRemoveWhileCreating: `volume rm` racing a run that uses the volume never
// removes it under the new container. Whichever comes first, a container that exists has
// its volume, and a refused rm says the volume is in use.
func TestVolumeRemoveWhileCreating(t *testing.T) {
	e := newEnv(t)
	e.withBusybox()
	for i := 0; i < 8; i++ {
		e.ok("volume", "create", "racy")
		var run, rm testutil.Result
		var wg sync.WaitGroup
		wg.Add(2)
		go func() { defer wg.Done(); run = e.gd("run", "-d", "-v", "racy:/data", "busybox", "sleep", "300") }()
		go func() { defer wg.Done(); rm = e.gd("volume", "rm", "racy") }()
		wg.Wait()
		if run.Code != 0 {
			t.Fatalf("run: exit %d: %s", run.Code, run.Stderr)
		}
		id := strings.TrimSpace(run.Stdout)
		if rm.Code != 0 && !strings.Contains(rm.Stderr, "volume is in use") {
			t.Errorf("volume rm: exit %d: %s", rm.Code, rm.Stderr)
		}
		// run -v creates a volume it does not find: after either order, the volume is there.
		if r := e.gd("volume", "inspect", "racy"); r.Code != 0 {
			t.Errorf("round %d: the running container's volume is gone (rm exit %d)", i, rm.Code)
		}
		if got := e.ok("exec", id, "sh", "-c", "echo ok > /data/f && cat /data/f"); got != "ok\n" {
			t.Errorf("round %d: writing the volume: %q", i, got)
		}
		e.ok("rm", "-f", id)
		e.ok("volume", "rm", "racy")
	}
}
