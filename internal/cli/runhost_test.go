package cli

import (
	"reflect"
	"testing"

	"github.com/geedocker/geedocker/internal/spec"
)

func TestUlimitFlag(t *testing.T) {
	var u ulimitFlag
	for _, v := range []string{"nofile=100", "nproc=10:20", "nofile=200:300"} {
		if err := u.Set(v); err != nil {
			t.Fatal(err)
		}
	}
	want := []spec.Ulimit{{Name: "nofile", Soft: 200, Hard: 300}, {Name: "nproc", Soft: 10, Hard: 20}}
	if !reflect.DeepEqual(u.list, want) {
		t.Errorf("--ulimit list %+v, want %+v (a later value replaces the same name)", u.list, want)
	}
	if err := u.Set("nofile=3:2"); err == nil || err.Error() != "ulimit soft limit must be less than or equal to hard limit: 3 > 2" {
		t.Errorf("bad --ulimit: %v", err)
	}
}

func TestHostOptions(t *testing.T) {
	o := runFlags{sysctls: []string{"net.core.somaxconn=1024", "kernel.sem=1 2 3 4"}, pid: "host", ipc: "shareable", oomScoreAdj: 7, cpuQuota: 5000, blkioWeight: 300}
	var so spec.Options
	o.hostOptions(&so)
	if want := map[string]string{"net.core.somaxconn": "1024", "kernel.sem": "1 2 3 4"}; !reflect.DeepEqual(so.Sysctls, want) {
		t.Errorf("Sysctls %v", so.Sysctls)
	}
	if so.PidMode != "host" || so.IpcMode != "shareable" || so.OomScoreAdj != 7 || so.Resources.CPUQuota != 5000 || so.Resources.BlkioWeight != 300 {
		t.Errorf("options %+v", so)
	}
	for _, tt := range []struct {
		o    runFlags
		want string
	}{
		{runFlags{pid: "foo"}, "--pid: invalid PID mode"},
		{runFlags{uts: "private"}, "--uts: invalid UTS mode"},
		{runFlags{cgroupns: "x"}, "--cgroupns: invalid CGROUP mode"},
		{runFlags{pid: "container:x", uts: "host", cgroupns: "private"}, ""},
	} {
		err := tt.o.checkNamespaceFlags()
		if (tt.want == "" && err != nil) || (tt.want != "" && (err == nil || err.Error() != tt.want)) {
			t.Errorf("checkNamespaceFlags(%+v) = %v, want %q", tt.o, err, tt.want)
		}
	}
}
