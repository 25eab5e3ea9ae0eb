package runtime

import (
	"testing"

	"github.com/moby/sys/mountinfo"
)

func TestTopIsSelfBind(t *testing.T) {
	root := &mountinfo.Info{ID: 1, Parent: 0, Major: 8, Minor: 1, Root: "/", Mountpoint: "/"}
	run := &mountinfo.Info{ID: 2, Parent: 1, Major: 0, Minor: 25, Root: "/", Mountpoint: "/run"}
	overlay := &mountinfo.Info{ID: 3, Parent: 2, Major: 0, Minor: 60, Root: "/", Mountpoint: "/run/b/rootfs"}
	tests := []struct {
		name   string
		mounts []*mountinfo.Info
		dir    string
		want   bool
	}{
		{"a directory bound on itself", []*mountinfo.Info{root,
			{ID: 4, Parent: 1, Major: 8, Minor: 1, Root: "/work/b/rootfs", Mountpoint: "/work/b/rootfs"},
			{ID: 5, Parent: 4, Major: 0, Minor: 70, Root: "/", Mountpoint: "/work/b/rootfs/proc"}}, "/work/b/rootfs", true},
		{"a directory, nothing mounted", []*mountinfo.Info{root}, "/work/b/rootfs", false},
		{"an overlay bound on itself", []*mountinfo.Info{root, run, overlay,
			{ID: 4, Parent: 3, Major: 0, Minor: 60, Root: "/", Mountpoint: "/run/b/rootfs"}}, "/run/b/rootfs", true},
		{"the caller's overlay alone stays", []*mountinfo.Info{root, run, overlay}, "/run/b/rootfs", false},
		{"another directory bound there", []*mountinfo.Info{root,
			{ID: 4, Parent: 1, Major: 8, Minor: 1, Root: "/elsewhere", Mountpoint: "/work/b/rootfs"}}, "/work/b/rootfs", false},
		{"a tmpfs there", []*mountinfo.Info{root,
			{ID: 4, Parent: 1, Major: 0, Minor: 80, Root: "/", Mountpoint: "/work/b/rootfs"}}, "/work/b/rootfs", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := topIsSelfBind(tt.mounts, tt.dir); got != tt.want {
				t.Errorf("topIsSelfBind = %v, want %v", got, tt.want)
			}
		})
	}
}
