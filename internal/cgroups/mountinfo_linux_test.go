package cgroups

import (
	"os"
	"strings"
	"testing"
)

// A Debian 10 host booted with systemd.unified_cgroup_hierarchy=0 and no
// unified mount: v1 only.
const mountinfoLegacy = `18 23 0:17 / /sys rw,nosuid,nodev,noexec,relatime shared:6 - sysfs sysfs rw
23 0 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw,errors=remount-ro
26 18 0:22 / /sys/fs/cgroup ro,nosuid,nodev,noexec shared:9 - tmpfs tmpfs ro,mode=755
28 26 0:24 / /sys/fs/cgroup/systemd rw,nosuid,nodev,noexec,relatime shared:11 - cgroup cgroup rw,xattr,name=systemd
31 26 0:27 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid,nodev,noexec,relatime shared:14 - cgroup cgroup rw,cpu,cpuacct
32 26 0:28 / /sys/fs/cgroup/memory rw,nosuid,nodev,noexec,relatime shared:15 - cgroup cgroup rw,memory
33 26 0:29 / /sys/fs/cgroup/pids rw,nosuid,nodev,noexec,relatime shared:16 - cgroup cgroup rw,pids
`

// An Ubuntu 22.04 host: cgroup2 at /sys/fs/cgroup.
const mountinfoUnified = `22 29 0:21 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw
29 1 252:1 / / rw,relatime shared:1 - ext4 /dev/vda1 rw
26 22 0:23 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:9 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot
`

func TestParseMountinfo(t *testing.T) {
	hybrid, err := os.ReadFile("testdata/mountinfo-hybrid.txt") // this build machine
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, text, root string
		want             Mode
		errHas           string
	}{
		{name: "legacy", text: mountinfoLegacy, want: Legacy},
		{name: "hybrid (this machine)", text: string(hybrid), want: Hybrid},
		{name: "unified", text: mountinfoUnified, want: Unified},
		{name: "unified, root given with a slash", text: mountinfoUnified, root: "/sys/fs/cgroup/", want: Unified},
		{name: "empty", text: "", want: Unavailable},
		{name: "no cgroups", text: "23 0 8:1 / / rw - ext4 /dev/sda1 rw\n", want: Unavailable},
		{name: "cgroup2 elsewhere only", text: "40 23 0:37 / /mnt/cg2 rw - cgroup2 cgroup2 rw\n", want: Unavailable},
		{name: "named v1 elsewhere only", text: "40 23 0:37 / /run/cg rw - cgroup cgroup rw,memory\n", want: Unavailable},
		{name: "hybrid with optional fields", text: "30 22 0:27 / /sys/fs/cgroup ro shared:9 master:2 - tmpfs tmpfs ro\n" +
			"31 30 0:28 / /sys/fs/cgroup/memory rw shared:10 - cgroup cgroup rw,memory\n" +
			"40 30 0:37 / /sys/fs/cgroup/unified rw shared:11 - cgroup2 cgroup2 rw\n", want: Hybrid},
		{name: "tmpfs over cgroup2 at root hides it", text: "26 22 0:23 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n" +
			"27 26 0:24 / /sys/fs/cgroup rw - tmpfs tmpfs rw\n" +
			"28 27 0:25 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n", want: Legacy},
		{name: "custom root", text: "26 22 0:23 / /custom\\040root rw - cgroup2 cgroup2 rw\n", root: "/custom root", want: Unified},
		{name: "sibling path is not below root", text: "28 26 0:24 / /sys/fs/cgroupX/memory rw - cgroup cgroup rw,memory\n", want: Unavailable},
		{name: "too few fields", text: "26 22 0:23 / /sys/fs/cgroup\n", errHas: "parsing mountinfo"},
		{name: "no separator", text: mountinfoUnified + "26 22 0:23 / /sys/fs/cgroup rw shared:9 cgroup2 cgroup2 rw\n", errHas: "parsing mountinfo"},
		{name: "nothing after separator", text: "26 22 0:23 / /sys/fs/cgroup rw shared:9 -\n", errHas: "parsing mountinfo"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseMountinfo(strings.NewReader(tt.text), tt.root)
			if tt.errHas != "" {
				if err == nil || !strings.Contains(err.Error(), tt.errHas) {
					t.Fatalf("ParseMountinfo error = %v, want one containing %q", err, tt.errHas)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("ParseMountinfo = %v (%d), %v; want %v (%d)", got, got, err, tt.want, tt.want)
			}
		})
	}
}
