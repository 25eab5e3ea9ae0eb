package engine

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/geedocker/geedocker/internal/network"
)

// A network reference is a name, never a path: a crafted network file
// outside the networks directory (one a container wrote in a volume, say)
// is not found through "../", by lookup, inspect or rm.
func TestNetworkReferenceIsNotAPath(t *testing.T) {
	root := t.TempDir()
	e, err := New(root, Config{})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(e.networksDir(), 0o700); err != nil {
		t.Fatal(err)
	}
	evil := network.Network{Name: "../evil", ID: "abcdef", Bridge: "gdevil0"}
	b, _ := json.Marshal(evil)
	if err := os.WriteFile(filepath.Join(root, "evil.json"), b, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, ref := range []string{"../evil", "../../" + filepath.Base(root) + "/evil", filepath.Join(root, "evil")} {
		if n, err := e.Network(ref); !errors.Is(err, ErrNoSuchNetwork) {
			// rm would go on to the host's links and rules: not tried.
			t.Errorf("Network(%q) = %+v, %v; want no such network", ref, n, err)
			continue
		}
		if err := e.RemoveNetwork(ref); !errors.Is(err, ErrNoSuchNetwork) {
			t.Errorf("RemoveNetwork(%q): %v; want no such network", ref, err)
		}
	}
	if _, err := os.Stat(filepath.Join(root, "evil.json")); err != nil {
		t.Errorf("the file outside the networks directory: %v", err)
	}
}
