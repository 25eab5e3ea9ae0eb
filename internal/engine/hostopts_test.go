package engine

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/geedocker/geedocker/internal/cgroups"
	"github.com/geedocker/geedocker/internal/container"
	"github.com/geedocker/geedocker/internal/spec"
)

func TestAdaptResources(t *testing.T) {
	v1 := cgroupSupport{mode: cgroups.Legacy, oomKillDisable: true}
	v2 := cgroupSupport{mode: cgroups.Unified, blkioWeight: true}
	f, tr := false, true
	tests := []struct {
		name     string
		sup      cgroupSupport
		r        spec.Resources
		wantR    spec.Resources
		wantOOM  *bool
		warnings []string
	}{
		{name: "v1 without blkio.weight", sup: v1, r: spec.Resources{BlkioWeight: 300}, wantOOM: &f,
			warnings: []string{"Your kernel does not support Block I/O weight or the cgroup is not mounted. Weight discarded."}},
		{name: "v1 oom-kill-disable with memory", sup: v1, r: spec.Resources{Memory: 64 << 20, OomKillDisable: true},
			wantR: spec.Resources{Memory: 64 << 20, OomKillDisable: true}, wantOOM: &tr},
		{name: "v1 oom-kill-disable without memory", sup: v1, r: spec.Resources{OomKillDisable: true},
			wantR: spec.Resources{OomKillDisable: true}, wantOOM: &tr,
			warnings: []string{"OOM killer is disabled for the container, but no memory limit is set, this can result in the system running out of resources."}},
		{name: "v2 weight kept, oom-kill-disable dropped", sup: v2, r: spec.Resources{BlkioWeight: 300, OomKillDisable: true},
			wantR:    spec.Resources{BlkioWeight: 300},
			warnings: []string{"Your kernel does not support OomKillDisable. OomKillDisable discarded."}},
		{name: "v2 nothing asked", sup: v2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := tt.r
			oom, warnings := adaptResources(tt.sup, &r)
			if r != tt.wantR || !reflect.DeepEqual(oom, tt.wantOOM) || !reflect.DeepEqual(warnings, tt.warnings) {
				t.Errorf("adaptResources = %+v, %v, %q; want %+v, %v, %q", r, oom, warnings, tt.wantR, tt.wantOOM, tt.warnings)
			}
		})
	}
	if defaultCgroupnsMode(cgroups.Unified) != "private" || defaultCgroupnsMode(cgroups.Legacy) != "host" || defaultCgroupnsMode(cgroups.Hybrid) != "host" {
		t.Error("default cgroupns: private on v2, host on v1")
	}
}

func TestResolveGroupAdd(t *testing.T) {
	top, bottom, wh := t.TempDir(), t.TempDir(), t.TempDir()
	write := func(dir, rel, content string) {
		p := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(bottom, "etc/group", "root:x:0:\naudio:x:29:\nstaff:x:50:\n")
	write(top, "etc/group", "root:x:0:\naudio:x:63:\n# comment\nbad line\n123:x:7:\n")
	write(wh, "etc/.wh.group", "")
	tests := []struct {
		name    string
		dirs    []string
		groups  []string
		want    []uint32
		wantErr string
	}{
		{name: "top layer wins", dirs: []string{top, bottom}, groups: []string{"audio", "4242"}, want: []uint32{63, 4242}},
		{name: "a name that is a number", dirs: []string{top}, groups: []string{"123"}, want: []uint32{7}},
		{name: "only in a lower layer's file", dirs: []string{top, bottom}, groups: []string{"staff"},
			wantErr: "Unable to find group staff: no matching entries in group file"},
		{name: "from the lower layer", dirs: []string{t.TempDir(), bottom}, groups: []string{"staff"}, want: []uint32{50}},
		{name: "whited out", dirs: []string{wh, bottom}, groups: []string{"audio"},
			wantErr: "Unable to find group audio: no matching entries in group file"},
		{name: "no file, numbers only", dirs: []string{t.TempDir()}, groups: []string{"10"}, want: []uint32{10}},
		{name: "too large", dirs: []string{t.TempDir()}, groups: []string{"4294967296"},
			wantErr: "Unable to find group 4294967296: no matching entries in group file"},
		{name: "none", dirs: []string{top}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := resolveGroupAdd(tt.dirs, tt.groups)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("resolveGroupAdd = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tt.want) {
				t.Errorf("resolveGroupAdd = %v, %v; want %v", got, err, tt.want)
			}
		})
	}
	// A symlink planted as /etc/group is not followed.
	link := t.TempDir()
	os.MkdirAll(filepath.Join(link, "etc"), 0o755)
	os.Symlink(filepath.Join(bottom, "etc/group"), filepath.Join(link, "etc/group"))
	if _, err := resolveGroupAdd([]string{link}, []string{"audio"}); err == nil {
		t.Error("a symlinked /etc/group was read")
	}
}

func TestMergeUpdate(t *testing.T) {
	base := container.HostConfig{Memory: 64 << 20, MemorySwap: 128 << 20, NanoCpus: 5e8, RestartPolicy: container.RestartPolicy{Name: "no"}}
	pids := int64(0)
	tests := []struct {
		name    string
		hc      container.HostConfig
		r       spec.Resources
		pids    *int64
		policy  *container.RestartPolicy
		check   func(container.HostConfig) bool
		wantErr string
	}{
		{name: "memory below swap", hc: base, r: spec.Resources{Memory: 100 << 20},
			check: func(h container.HostConfig) bool { return h.Memory == 100<<20 && h.MemorySwap == 128<<20 }},
		{name: "memory above swap", hc: base, r: spec.Resources{Memory: 200 << 20},
			wantErr: "Memory limit should be smaller than already set memoryswap limit, update the memoryswap at the same time"},
		{name: "memory and swap", hc: base, r: spec.Resources{Memory: 200 << 20, MemorySwap: -1},
			check: func(h container.HostConfig) bool { return h.Memory == 200<<20 && h.MemorySwap == -1 }},
		{name: "no memory before: as Docker, a swap limit is needed", hc: container.HostConfig{}, r: spec.Resources{Memory: 64 << 20},
			wantErr: "Memory limit should be smaller than already set memoryswap limit, update the memoryswap at the same time"},
		{name: "quota with cpus set", hc: base, r: spec.Resources{CPUQuota: 50000},
			wantErr: "Conflicting options: CPU Quota cannot be updated as NanoCPUs has already been set"},
		{name: "period with cpus set", hc: base, r: spec.Resources{CPUPeriod: 50000},
			wantErr: "Conflicting options: CPU Period cannot be updated as NanoCPUs has already been set"},
		{name: "cpus with a quota set", hc: container.HostConfig{CPUQuota: 50000}, r: spec.Resources{NanoCPUs: 1e9},
			wantErr: "Conflicting options: CPU Quota cannot be updated as NanoCPUs has already been set"},
		{name: "pids 0 is unlimited", hc: base, pids: &pids, check: func(h container.HostConfig) bool { return h.PidsLimit == -1 }},
		{name: "restart", hc: base, policy: &container.RestartPolicy{Name: "always"},
			check: func(h container.HostConfig) bool { return h.RestartPolicy.Name == "always" }},
		{name: "restart with --rm", hc: container.HostConfig{AutoRemove: true}, policy: &container.RestartPolicy{Name: "always"},
			wantErr: "Restart policy cannot be updated because AutoRemove is enabled for the container"},
		{name: "restart no with --rm", hc: container.HostConfig{AutoRemove: true}, policy: &container.RestartPolicy{Name: "no"},
			check: func(h container.HostConfig) bool { return h.RestartPolicy.Name == "no" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hc := tt.hc
			err := mergeUpdate(&hc, tt.r, tt.pids, tt.policy)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("mergeUpdate = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || !tt.check(hc) {
				t.Errorf("mergeUpdate = %+v, %v", hc, err)
			}
		})
	}
}
