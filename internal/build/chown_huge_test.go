package build

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// --chown reads an image's /etc/passwd a line at a time: a hostile image's huge (here
// sparse) file is not read into memory whole to find a user on its first line.
func TestParseChownHugePasswd(t *testing.T) {
	layer := t.TempDir()
	if err := os.Mkdir(filepath.Join(layer, "etc"), 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(filepath.Join(layer, "etc", "passwd"))
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("app:x:7:8::/:/bin/sh\n")
	if err := f.Truncate(512 << 20); err != nil {
		t.Fatal(err)
	}
	f.Close()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	o, err := ParseChown(&LayerTree{Layers: []string{layer}}, "app")
	runtime.ReadMemStats(&after)
	if err != nil || o.UID != 7 || o.GID != 8 {
		t.Fatalf("ParseChown(app) = %+v, %v; want 7:8", o, err)
	}
	if got := after.TotalAlloc - before.TotalAlloc; got > 64<<20 {
		t.Errorf("ParseChown allocated %d MiB for a user on the first line", got>>20)
	}
}
