//go:build linux

package e2e

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/geedocker/geedocker/internal/testutil"
)

// TestAPIImageFilters: docker images --filter through `geedocker serve`.
func TestAPIImageFilters(t *testing.T) {
	needDocker(t)
	e := newEnv(t)
	e.withBusybox() // busybox:latest, then nocmd:latest
	tarPath := filepath.Join(t.TempDir(), "rootfs.tar")
	if err := os.WriteFile(tarPath, testutil.BusyboxRootfsTar(t), 0o644); err != nil {
		t.Fatal(err)
	}
	e.ok("import", "--change", "LABEL team=web", tarPath, "labelled:v1")
	e.ok("import", tarPath) // untagged
	s := e.serve(false)

	for _, c := range []struct {
		filter, want string
	}{
		{"dangling=true", "<none>:<none>\n"},
		{"dangling=false", "busybox:latest\nlabelled:v1\nnocmd:latest\n"},
		{"reference=busy*", "busybox:latest\n"},
		{"reference=labelled:v1", "labelled:v1\n"},
		{"label=team=web", "labelled:v1\n"},
		{"before=labelled:v1", "busybox:latest\nnocmd:latest\n"},
		{"since=nocmd", "<none>:<none>\nlabelled:v1\n"},
	} {
		out := s.ok("images", "--filter", c.filter, "--format", "{{.Repository}}:{{.Tag}}")
		if sorted := sortLines(out); sorted != c.want {
			t.Errorf("docker images --filter %s:\n%s\nwant:\n%s", c.filter, sorted, c.want)
		}
	}
	s.fails(1, "Error response from daemon: invalid filter 'dangling=maybe'", "images", "--filter", "dangling=maybe")
	s.fails(1, "Error response from daemon: No such image: nope", "images", "--filter", "since=nope")
	s.fails(1, "Error response from daemon: invalid filter 'color'", "images", "--filter", "color=red")
}

// sortLines sorts the lines of out.
func sortLines(out string) string {
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	sort.Strings(lines)
	return strings.Join(lines, "\n") + "\n"
}
