package spec

import (
	"strings"
	"testing"
)

func TestHostDevices(t *testing.T) {
	devs := HostDevices()
	paths := map[string]bool{}
	for _, d := range devs {
		paths[d.Path] = true
		if strings.HasPrefix(d.Path, "/dev/pts/") || strings.HasPrefix(d.Path, "/dev/shm/") || d.Path == "/dev/console" {
			t.Errorf("HostDevices lists %s, which a privileged container must not get from the host", d.Path)
		}
		if d.Type != "c" && d.Type != "b" {
			t.Errorf("%s: type %q", d.Path, d.Type)
		}
	}
	if !paths["/dev/zero"] {
		t.Errorf("HostDevices lacks /dev/zero: %v", paths)
	}
}

func TestHostDevicesSkipsOtherFiles(t *testing.T) {
	dir := t.TempDir()
	if got := hostDevicesUnder(dir); len(got) != 0 {
		t.Errorf("an empty directory gives %v", got)
	}
	if got := hostDevicesUnder(dir + "/missing"); got != nil {
		t.Errorf("a missing directory gives %v", got)
	}
}
