//go:build linux

package archive

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

// openat2 with RESOLVE_IN_ROOT fails with EAGAIN when a rename or mount
// anywhere on the host races with the resolution of a ".." (here, in a
// symbolic link's target); Apply retries instead of failing the layer.
func TestApplyRetriesEAGAIN(t *testing.T) {
	layer := makeTar(t, dir("d"), symlink("l", "../../../../d"), file("l/x/f", "x"))
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // renames, to make the kernel's rename sequence move
		defer wg.Done()
		d := t.TempDir()
		a, b := filepath.Join(d, "a"), filepath.Join(d, "b")
		if err := os.WriteFile(a, nil, 0o644); err != nil {
			t.Error(err)
			return
		}
		for {
			select {
			case <-stop:
				return
			default:
			}
			os.Rename(a, b)
			os.Rename(b, a)
		}
	}()
	defer func() { close(stop); wg.Wait() }()
	for i := range 100 {
		root := t.TempDir()
		if _, err := Apply(context.Background(), root, bytes.NewReader(layer), Options{}); err != nil {
			t.Fatalf("Apply, try %d: %v", i, err)
		}
	}
}
