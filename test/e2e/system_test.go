package e2e

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/geedocker/geedocker/internal/testutil"
)

// systemPrune runs `system prune` with answer on its stdin.
func (e *env) systemPrune(answer string, args ...string) (string, int) {
	e.t.Helper()
	cmd := e.command(append([]string{"system", "prune"}, args...)...)
	cmd.Stdin = strings.NewReader(answer)
	cmd.Stderr = os.Stderr
	out, _ := cmd.Output()
	return string(out), cmd.ProcessState.ExitCode()
}

func TestSystemDfAndPrune(t *testing.T) {
	e := newEnv(t)
	e.withBusybox()
	e.ok("run", "-d", "--name", "up", "busybox", "sleep", "1000")
	e.ok("run", "--name", "done", "busybox", "sh", "-c", "head -c 5000 /dev/zero > /file")
	doneID := strings.TrimSpace(e.ok("inspect", "-f", "{{.Id}}", "done"))
	e.ok("volume", "create", "named")
	e.ok("run", "--rm", "-v", "named:/data", "busybox", "sh", "-c", "head -c 3000 /dev/zero > /data/f")
	e.ok("run", "--name", "anon", "-v", "/data", "busybox", "true")
	anon := strings.TrimSpace(e.ok("inspect", "-f", "{{range .Mounts}}{{.Name}}{{end}}", "anon"))

	out := e.ok("system", "df")
	lines := strings.Split(out, "\n")
	if lines[0] != "TYPE            TOTAL     ACTIVE    SIZE      RECLAIMABLE" {
		t.Errorf("system df header: %q", lines[0])
	}
	if out := e.ok("system", "df", "--format", "{{.Type}}:{{.TotalCount}}:{{.Active}}"); out != "Images:2:1\nContainers:3:1\nLocal Volumes:2:1\nBuild Cache:0:0\n" {
		t.Errorf("system df counts:\n%s", out)
	}
	// The exited containers' writable layers can be reclaimed; the named volume's 3kB too
	// (no container uses it), the anonymous one's not (anon holds it).
	if out := e.ok("system", "df", "--format", "{{.Type}}: {{.Reclaimable}}"); !regexp.MustCompile(`Containers: 5(\.\d+)?kB \(\d+%\)\nLocal Volumes: 3kB \(100%\)\n`).MatchString(out) {
		t.Errorf("system df reclaimable:\n%s", out)
	}
	out = e.ok("system", "df", "-v")
	for _, want := range []string{"Images space usage:\n\nREPOSITORY   TAG       IMAGE ID       CREATED", "SHARED SIZE   UNIQUE SIZE   CONTAINERS\n",
		"\nContainers space usage:\n\nCONTAINER ID   IMAGE     COMMAND", "\nLocal Volumes space usage:\n\nVOLUME NAME", "\nBuild cache usage: 0B\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("system df -v lacks %q", want)
		}
	}
	if !regexp.MustCompile(`(?m)^named +0 +3kB$`).MatchString(out) || !regexp.MustCompile(`(?m)^`+anon+` +1 +0B$`).MatchString(out) {
		t.Errorf("system df -v volumes:\n%s", out)
	}

	// The prompt; anything but y keeps everything.
	out, code := e.systemPrune("n\n")
	if want := "WARNING! This will remove:\n  - all stopped containers\n  - all networks not used by at least one container\n  - all dangling images\n  - unused build cache\n\nAre you sure you want to continue? [y/N] "; out != want || code != 0 {
		t.Errorf("system prune answered n: exit %d\n%q\nwant\n%q", code, out, want)
	}
	if out := e.ok("ps", "-aq"); strings.Count(out, "\n") != 3 {
		t.Errorf("ps -aq after a refused prune:\n%s", out)
	}
	out, code = e.systemPrune("", "-a", "--volumes")
	if !strings.Contains(out, "  - all anonymous volumes not used by at least one container\n  - all images without at least one container associated to them\n  - all build cache\n") || code != 0 {
		t.Errorf("system prune -a --volumes prompt: exit %d\n%s", code, out)
	}
	out, code = e.systemPrune("y\n")
	if code != 0 || !strings.Contains(out, "[y/N] Deleted Containers:\n") || !strings.Contains(out, doneID+"\n") ||
		!regexp.MustCompile(`\n\nTotal reclaimed space: 5(\.\d+)?kB\n$`).MatchString(out) {
		t.Errorf("system prune answered y: exit %d\n%s", code, out)
	}
	if out := e.ok("ps", "-a", "--format", "{{.Names}}"); out != "up\n" {
		t.Errorf("containers after system prune: %q", out)
	}
	// The anonymous volume is free now: --volumes removes it, not the named one.
	out = e.ok("system", "prune", "-f", "--volumes")
	if !strings.Contains(out, "Deleted Volumes:\n"+anon+"\n\n") {
		t.Errorf("system prune -f --volumes:\n%s", out)
	}
	if out := e.ok("volume", "ls", "-q"); out != "named\n" {
		t.Errorf("volumes after prune --volumes: %q", out)
	}
	// -a: every image no container uses.
	out = e.ok("system", "prune", "-af")
	if !strings.Contains(out, "Deleted Images:\nuntagged: nocmd:latest\ndeleted: sha256:") || strings.Contains(out, "busybox") {
		t.Errorf("system prune -af:\n%s", out)
	}
	if out := e.ok("images", "--format", "{{.Repository}}"); out != "busybox\n" {
		t.Errorf("images after prune -a: %q", out)
	}
	e.ok("rm", "-f", "up")
	e.ok("volume", "rm", "named")
	e.fails(1, "invalid filter 'colour'", "system", "prune", "-f", "--filter", "colour=a")
	e.fails(125, "bad format of filter", "system", "prune", "-f", "--filter", "nope")
	e.fails(1, `ERROR: The "until" filter is not supported with "--volumes"`, "system", "prune", "-f", "--volumes", "--filter", "until=1h")
}

// system prune --filter: label, label! and until, as dockerd reads them.
func TestSystemPruneFilters(t *testing.T) {
	e := newEnv(t)
	e.withBusybox()
	tarPath := filepath.Join(t.TempDir(), "rootfs.tar")
	if err := os.WriteFile(tarPath, testutil.BusyboxRootfsTar(t), 0o644); err != nil {
		t.Fatal(err)
	}
	e.ok("import", "--change", "LABEL tier=front", tarPath, "labelled")
	e.ok("run", "--name", "plain", "busybox", "true")
	e.ok("run", "--name", "front", "labelled", "true")

	out, code := e.systemPrune("n\n", "--filter", "label=tier=front", "--filter", "until=1h")
	if want := "  - unused build cache\n\n  Items to be pruned will be filtered with:\n  - label=tier=front\n  - until=1h\n\nAre you sure you want to continue? [y/N] "; code != 0 || !strings.HasSuffix(out, want) {
		t.Errorf("system prune prompt with filters: exit %d\n%q\nwant its end\n%q", code, out, want)
	}
	// Created within the hour: until=1h keeps them.
	if out := e.ok("system", "prune", "-f", "--filter", "until=1h"); out != "Total reclaimed space: 0B\n" {
		t.Errorf("system prune --filter until=1h:\n%s", out)
	}
	out = e.ok("system", "prune", "-f", "--filter", "label!=tier")
	if !strings.Contains(out, "Deleted Containers:\n") || strings.Count(out, "\n") != 4 {
		t.Errorf("system prune --filter label!=tier:\n%s", out)
	}
	if out := e.ok("ps", "-a", "--format", "{{.Names}}"); out != "front\n" {
		t.Errorf("containers after pruning label!=tier: %q", out)
	}
	e.ok("system", "prune", "-f", "--filter", "label=tier=front")
	if out := e.ok("ps", "-aq"); out != "" {
		t.Errorf("containers after pruning label=tier=front: %q", out)
	}
	// -a with a label: only the labelled image goes.
	out = e.ok("system", "prune", "-af", "--filter", "label=tier")
	if !strings.Contains(out, "untagged: labelled:latest\n") || strings.Contains(out, "busybox") {
		t.Errorf("system prune -a --filter label=tier:\n%s", out)
	}
}

// docker system df and docker system prune against `geedocker serve`.
func TestAPISystemDfAndPrune(t *testing.T) {
	needDocker(t)
	e := newEnv(t)
	e.withBusybox()
	s := e.serve(false)
	s.ok("run", "-d", "--name", "up", "busybox", "sleep", "1000")
	s.ok("run", "--name", "done", "busybox", "sh", "-c", "head -c 5000 /dev/zero > /file")
	if out := s.ok("system", "df", "--format", "{{.Type}}:{{.TotalCount}}:{{.Active}}"); out != "Images:2:1\nContainers:2:1\nLocal Volumes:0:0\nBuild Cache:0:0\n" {
		t.Errorf("docker system df:\n%s", out)
	}
	if gd, dk := e.ok("system", "df"), s.ok("system", "df"); gd != dk {
		t.Errorf("system df: geedocker says\n%s\ndocker says\n%s", gd, dk)
	}
	if out := s.ok("system", "df", "-v"); !strings.Contains(out, "Images space usage:") || !strings.Contains(out, "done\n") {
		t.Errorf("docker system df -v:\n%s", out)
	}
	out := s.ok("system", "prune", "-af")
	if !strings.Contains(out, "Deleted Containers:\n") || !strings.Contains(out, "untagged: nocmd:latest") || !strings.Contains(out, "Total reclaimed space: ") {
		t.Errorf("docker system prune -af:\n%s", out)
	}
	if out := s.ok("ps", "-a", "--format", "{{.Names}}"); out != "up\n" {
		t.Errorf("containers after docker system prune: %q", out)
	}
	s.ok("rm", "-f", "up")
}
