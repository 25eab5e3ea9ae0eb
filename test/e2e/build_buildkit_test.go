//go:build linux

package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The BuildKit Dockerfile syntax that Docker 28's `docker build` accepts:
// heredocs, RUN --mount and --network, COPY --link, # syntax=.

func TestBuildHeredocs(t *testing.T) {
	e := newEnv(t)
	e.withBusybox()
	df := `# syntax=docker/dockerfile:1
FROM busybox
ARG WHO=world
RUN <<EOF
echo one > /h1
echo two >> /h1
EOF
RUN <<EOF
#!/bin/awk -f
BEGIN { print "awk ran" > "/h2" }
EOF
RUN <<EOF sh
echo via-sh > /h3
EOF
RUN cat <<A > /h4 && cat <<B >> /h4
first
A
second
B
COPY <<EOF /etc/greeting
hello $WHO
EOF
COPY --chmod=0755 --chown=1000:50 <<A <<'B' /multi/
#!/bin/sh
A
literal $WHO
B
ADD <<EOF /added
added
EOF
`
	dir := buildCtx(t, map[string]string{"Dockerfile": df})
	first := e.buildID(dir, "-t", "here")
	script := `cat /h1 /h2 /h3 /h4 /etc/greeting /multi/B /added; stat -c '%u:%g %a' /multi/A /multi/B /etc/greeting; ls /dev/pipes 2>&1 | wc -l`
	want := "one\ntwo\nawk ran\nvia-sh\nfirst\nsecond\nhello world\nliteral $WHO\nadded\n1000:50 755\n1000:50 755\n0:0 644\n1\n"
	if got := e.ok("run", "--rm", "here", "sh", "-c", script); got != want {
		t.Errorf("files:\n got %q\nwant %q", got, want)
	}
	// A fully cached rebuild gives the same image.
	out := e.ok("build", dir)
	if n := strings.Count(out, "Using cache"); n != 8 || !strings.Contains(out, "Successfully built "+first[7:19]) {
		t.Errorf("cached rebuild: %d steps from cache, want 8, and image %s:\n%s", n, first[7:19], out)
	}
	// The heredoc's content is part of the key: a changed RUN heredoc runs
	// again, and the steps after it too; an expanded one follows the
	// build argument.
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte(strings.Replace(df, "echo via-sh", "echo via-sh-2", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	out = e.ok("build", "-t", "here", dir)
	if n := strings.Count(out, "Using cache"); n != 3 {
		t.Errorf("after a change of the third RUN's heredoc: %d steps from cache, want 3:\n%s", n, out)
	}
	out = e.ok("build", "-t", "here", "--build-arg", "WHO=you", dir)
	if strings.Contains(out, "Step 7/9 : COPY <<EOF /etc/greeting\n ---> Using cache") {
		t.Errorf("COPY heredoc with another WHO came from the cache:\n%s", out)
	}
	if got := e.ok("run", "--rm", "here", "cat", "/h3", "/etc/greeting", "/multi/B"); got != "via-sh-2\nhello you\nliteral $WHO\n" {
		t.Errorf("after the changes: %q", got)
	}
}

func TestBuildRunMounts(t *testing.T) {
	e := newEnv(t)
	e.withBusybox()
	dir := buildCtx(t, map[string]string{
		"Dockerfile": `FROM busybox AS tools
RUN mkdir /t && echo tool > /t/tool
FROM busybox
WORKDIR /w
RUN --mount=type=cache,target=/cache,id=c1 echo x >> /cache/log && wc -l < /cache/log > /count
RUN --mount=type=cache,target=/c2,uid=1000,gid=50,mode=0700,sharing=locked stat -c '%u:%g %a' /c2 > /c2stat
RUN --mount=type=bind,source=data,target=/data cat /data/f > /fromctx
RUN --mount=type=bind,from=tools,source=/t,target=/tools cat /tools/tool > /fromstage
RUN --mount=type=bind,target=ctx,rw echo w > /w/ctx/written && cat /w/ctx/written > /rw && test ! -e /w/ctx/secret.key && echo hidden > /ign
RUN --mount=type=bind,target=/ctx touch /ctx/x 2>/dev/null && echo writable > /ro || echo read-only > /ro
RUN --mount=type=tmpfs,target=/scratch grep ' /scratch ' /proc/mounts | cut -d' ' -f3 > /tmpfstype && echo x > /scratch/f
`,
		"data/f":        "from context\n",
		"secret.key":    "no\n",
		".dockerignore": "*.key\n",
	})
	e.ok("build", "-t", "mnt", dir)
	// The mount points the image lacked are not left in it.
	script := `cat /count /c2stat /fromctx /fromstage /rw /ign /ro /tmpfstype; ls -d /cache /c2 /scratch /w/ctx /w 2>&1 | grep -c 'No such file'; ls -A /w`
	want := "1\n1000:50 700\nfrom context\ntool\nw\nhidden\nread-only\ntmpfs\n4\n"
	if got := e.ok("run", "--rm", "mnt", "sh", "-c", script); got != want {
		t.Errorf("files:\n got %q\nwant %q", got, want)
	}
	if _, err := os.Stat(filepath.Join(dir, "written")); err == nil {
		t.Errorf("a rw bind mount wrote into the build context")
	}
	// A rebuild is fully cached; a changed bind source runs its step again.
	out := e.ok("build", dir)
	if n := strings.Count(out, "Using cache"); n != 10 {
		t.Errorf("cached rebuild: %d steps from cache, want 10:\n%s", n, out)
	}
	if err := os.WriteFile(filepath.Join(dir, "data", "f"), []byte("changed\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out = e.ok("build", "-t", "mnt", dir)
	if !strings.Contains(out, "RUN --mount=type=bind,source=data,target=/data cat /data/f > /fromctx\n ---> Running in") {
		t.Errorf("a changed bind source did not run its step again:\n%s", out)
	}
	if got := e.ok("run", "--rm", "mnt", "cat", "/fromctx"); got != "changed\n" {
		t.Errorf("/fromctx = %q", got)
	}
	// The cache mount persists across builds, until builder prune.
	e.ok("build", "--no-cache", "-t", "mnt", dir)
	if got := e.ok("run", "--rm", "mnt", "cat", "/count"); got != "2\n" {
		t.Errorf("second build's count = %q, want 2", got)
	}
	e.ok("builder", "prune", "-f")
	if got := e.entries("build-cache-mounts"); len(got) != 0 {
		t.Errorf("cache mounts after builder prune: %v", got)
	}
	e.ok("build", "--no-cache", "-t", "mnt", dir)
	if got := e.ok("run", "--rm", "mnt", "cat", "/count"); got != "1\n" {
		t.Errorf("count after prune = %q, want 1", got)
	}
	// A source that is a symbolic link resolves inside the context: one
	// that points out of it is not found, never a host file.
	links := buildCtx(t, map[string]string{
		"Dockerfile": "FROM busybox\nRUN --mount=type=bind,source=inside,target=/in cat /in > /viainside\nRUN --mount=type=bind,source=escape,target=/out cat /out\n",
		"real":       "real\n",
	})
	for name, target := range map[string]string{"inside": "real", "escape": "/etc/hostname"} {
		if err := os.Symlink(target, filepath.Join(links, name)); err != nil {
			t.Fatal(err)
		}
	}
	e.fails(1, "source /escape: not found", "build", links)
	if err := os.WriteFile(filepath.Join(links, "Dockerfile"), []byte("FROM busybox\nRUN --mount=type=bind,source=inside,target=/in cat /in > /viainside\n"+
		"RUN --mount=type=bind,from=busybox,source=/etc,target=/be grep -c ^root: /be/passwd > /fromimage\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	e.ok("build", "-t", "links", links)
	if got := e.ok("run", "--rm", "links", "cat", "/viainside", "/fromimage"); got != "real\n1\n" {
		t.Errorf("through an inside link, from an image: %q", got)
	}
	if got := e.ok("ps", "-aq"); got != "" {
		t.Errorf("containers left: %q", got)
	}
}

func TestBuildRunNetwork(t *testing.T) {
	e := newEnv(t)
	e.withBusybox()
	dir := buildCtx(t, map[string]string{"Dockerfile": `FROM busybox
RUN ls /sys/class/net > /default
RUN --network=none ls /sys/class/net > /none
RUN --network=host ls /sys/class/net > /host
`})
	e.fails(1, "network.host is not allowed", "build", "-t", "net", dir)
	if out := e.gd("image", "inspect", "net"); out.Code == 0 {
		t.Errorf("a failed build tagged net")
	}
	e.ok("build", "--allow", "network.host", "-t", "net", dir)
	got := e.ok("run", "--rm", "net", "sh", "-c", "cat /default; echo --; cat /none; echo --; cat /host")
	parts := strings.Split(got, "--\n")
	if len(parts) != 3 || !strings.Contains(parts[0], "eth0\n") || parts[1] != "lo\n" || strings.Contains(parts[2], "eth0\n") || !strings.Contains(parts[2], "lo\n") {
		t.Errorf("interfaces seen by RUN (default -- none -- host):\n%s", got)
	}
	e.fails(125, "invalid entitlement: security.insecure", "build", "--allow", "security.insecure", dir)
}

func TestBuildSyntaxFlags(t *testing.T) {
	e := newEnv(t)
	e.withBusybox()
	cases := []struct {
		name, dockerfile string
		want             string
	}{
		{"secret not given", "FROM busybox\nRUN --mount=type=secret,id=k cat /run/secrets/k\n", "The command '/bin/sh -c cat /run/secrets/k' returned a non-zero code: 1"},
		{"heredoc fails", "FROM busybox\nRUN <<EOF\necho x\nexit 4\nEOF\n", "The command '/bin/sh -c echo x\\nexit 4\\n' returned a non-zero code: 4"},
		{"ssh mount", "FROM busybox\nRUN --mount=type=ssh true\n", "RUN: --mount=type=ssh is not supported"},
		{"bad mount type", "FROM busybox\nRUN --mount=type=nfs,target=/x true\n", "unsupported mount type"},
		{"bad network", "FROM busybox\nRUN --network=bridge true\n", "invalid network mode"},
		{"missing bind source", "FROM busybox\nRUN --mount=type=bind,source=nothere,target=/x true\n", "source /nothere: not found"},
		{"security", "FROM busybox\nRUN --security=insecure true\n", "RUN: --security is not supported"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := buildCtx(t, map[string]string{"Dockerfile": c.dockerfile})
			e.t = t
			e.fails(1, c.want, "build", "-t", "bad:tag", dir)
			if out := e.gd("image", "inspect", "bad:tag"); out.Code == 0 {
				t.Errorf("a failed build tagged bad:tag")
			}
		})
	}
	e.t = t
	// COPY --link and ADD --link give what COPY and ADD give; --exclude
	// leaves out what its patterns match below the source; --parents keeps
	// the sources' directories (after a "/./" pivot).
	dir := buildCtx(t, map[string]string{
		"Dockerfile": `# syntax=docker/dockerfile:1.7
# check=skip=all
FROM busybox
COPY --link a.txt /linked/
ADD --link --chmod=0600 a.txt /added
COPY --exclude=*.txt --exclude=sub/skip dir/ /ex/
COPY --exclude=*.md hom* /homs/
COPY --parents x/a.txt y/a.txt /parents/
COPY --parents ./x/./y/*.txt /pivot/
`,
		"a.txt":        "A\n",
		"dir/a.txt":    "",
		"dir/keep.go":  "",
		"dir/sub/skip": "",
		"dir/sub/kept": "",
		"home.md":      "",
		"home.go":      "",
		"homer.txt":    "",
		"x/a.txt":      "",
		"y/a.txt":      "",
		"x/y/b.txt":    "",
		"x/y/c.txt":    "",
	})
	e.ok("build", "-t", "link", dir)
	if got := e.ok("run", "--rm", "link", "sh", "-c", "cat /linked/a.txt /added; stat -c %a /added; find /ex /homs /parents /pivot -type f | sort"); got != "A\nA\n600\n"+
		"/ex/keep.go\n/ex/sub/kept\n/homs/home.go\n/homs/homer.txt\n/parents/x/a.txt\n/parents/y/a.txt\n/pivot/y/b.txt\n/pivot/y/c.txt\n" {
		t.Errorf("--link, --exclude, --parents files:\n%s", got)
	}
	// An excluded file's change does not touch the cache.
	if err := os.WriteFile(filepath.Join(dir, "dir", "a.txt"), []byte("changed"), 0o644); err != nil {
		t.Fatal(err)
	}
	if out := e.ok("build", dir); strings.Count(out, "Using cache") != 6 {
		t.Errorf("a change of an excluded file ran steps again:\n%s", out)
	}
	if got := e.ok("ps", "-aq"); got != "" {
		t.Errorf("containers left: %q", got)
	}
}

func TestBuildSecrets(t *testing.T) {
	e := newEnv(t)
	e.withBusybox()
	dir := buildCtx(t, map[string]string{"Dockerfile": `FROM busybox
RUN --mount=type=secret,id=tok cat /run/secrets/tok > /seen
RUN --mount=type=secret,id=tok,target=/s/t,mode=0440,uid=1000 stat -c '%u %a' /s/t > /st
RUN --mount=type=secret,id=tok,env=TOK echo "$TOK" > /envseen
RUN --mount=type=secret,id=absent test ! -e /run/secrets/absent
`})
	secret := filepath.Join(t.TempDir(), "tok")
	if err := os.WriteFile(secret, []byte("s3cr3t"), 0o600); err != nil {
		t.Fatal(err)
	}
	e.ok("build", "--secret", "id=tok,src="+secret, "-t", "sec", dir)
	got := e.ok("run", "--rm", "sec", "sh", "-c", "cat /seen; echo; cat /st /envseen; ls -d /run/secrets /s 2>&1 | grep -c 'No such file'")
	if got != "s3cr3t\n1000 440\ns3cr3t\n2\n" {
		t.Errorf("secrets seen by RUN, and what is left: %q", got)
	}
	// A required secret the build was not given fails the build.
	req := buildCtx(t, map[string]string{"Dockerfile": "FROM busybox\nRUN --mount=type=secret,id=tok,required true\n"})
	e.fails(1, "secret tok: not found", "build", req)
	e.fails(125, "failed to read secret", "build", "--secret", "id=tok,src=/nonexistent/file", req)
	e.ok("build", "--secret", "id=tok,src="+secret, req)
}

// Under userns-remap, a RUN with --mount runs in the host's user namespace:
// its cache directory is writable and its secret readable, as without.
func TestBuildMountsUsernsRemap(t *testing.T) {
	e := newEnv(t)
	e.withBusybox()
	user, _ := usernsUser(t)
	e.withUsernsRemap(user)
	dir := buildCtx(t, map[string]string{"Dockerfile": `FROM busybox
RUN --mount=type=cache,target=/c --mount=type=secret,id=tok echo x >> /c/log && cat /run/secrets/tok > /seen && stat -c %u /seen > /owner
`})
	secret := filepath.Join(t.TempDir(), "tok")
	if err := os.WriteFile(secret, []byte("s3cr3t"), 0o600); err != nil {
		t.Fatal(err)
	}
	e.ok("build", "--secret", "id=tok,src="+secret, "-t", "remapped", dir)
	if got := e.ok("run", "--rm", "--network", "none", "remapped", "cat", "/seen", "/owner"); got != "s3cr3t0\n" {
		t.Errorf("secret and owner seen: %q", got)
	}
}
