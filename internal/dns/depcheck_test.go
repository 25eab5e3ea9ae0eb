package dns

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDependencies holds the resolver small: it lives as long as any
// container on a user network, and links only this package's needs.
func TestDependencies(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").CombinedOutput()
	if err != nil {
		t.Skipf("go list: %v %s", err, out)
	}
	for _, dep := range strings.Fields(string(out)) {
		for _, banned := range []string{
			"github.com/spf13/cobra", "github.com/google/go-containerregistry", "github.com/vbauerster/mpb",
			"github.com/vishvananda/netlink", "github.com/google/nftables",
			"github.com/geedocker/geedocker/internal/network", "github.com/geedocker/geedocker/internal/engine",
			"github.com/geedocker/geedocker/internal/cli", "github.com/geedocker/geedocker/internal/runtime",
		} {
			if strings.HasPrefix(dep, banned) {
				t.Errorf("internal/dns depends on %s", dep)
			}
		}
	}
}
