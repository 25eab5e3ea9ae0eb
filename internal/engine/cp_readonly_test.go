package engine

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/geedocker/geedocker/internal/container"
	"github.com/geedocker/geedocker/internal/errdefs"
)

// A copy into a container is refused, in Docker's words and before anything is touched,
// into a read-only mount, and with --read-only anywhere but a writable mount.
func TestCopyIntoReadOnly(t *testing.T) {
	e, cs := newEngineAndContainers(t)
	ro := &container.Container{ID: container.NewID(), Name: "ro"}
	ro.HostConfig.ReadonlyRootfs = true
	ro.Mounts = []container.MountPoint{{Type: "volume", Destination: "/data", RW: true}, {Type: "bind", Destination: "/conf", RW: false}}
	rw := &container.Container{ID: container.NewID(), Name: "rw"}
	rw.Mounts = []container.MountPoint{{Type: "bind", Destination: "/conf", RW: false}}
	for _, c := range []*container.Container{ro, rw} {
		if err := cs.Create(c); err != nil {
			t.Fatal(err)
		}
	}
	// A cancelled context: were the check missing, the copy helper would not be started.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, tc := range []struct {
		ctr, dst, want string
	}{
		{"ro", "/", "container rootfs is marked read-only"},
		{"ro", "/tmp", "container rootfs is marked read-only"},
		{"ro", "database", "container rootfs is marked read-only"},
		{"ro", "/conf/x", "mounted volume is marked read-only"},
		{"rw", "/conf", "mounted volume is marked read-only"},
		{"rw", "/conf/../conf/a", "mounted volume is marked read-only"},
	} {
		err := e.Copy(ctx, CopyRequest{Container: tc.ctr, ToContainer: true, Src: "-", Dst: tc.dst}, nil, strings.NewReader(""), nil)
		if err == nil || err.Error() != tc.want || !errors.Is(err, errdefs.ErrInvalidArgument) {
			t.Errorf("copy into %s:%s: %v; want %q", tc.ctr, tc.dst, err, tc.want)
		}
	}
	for _, tc := range []struct{ ctr, dst string }{{"ro", "/data"}, {"ro", "/data/sub"}, {"rw", "/tmp"}, {"rw", "/confx"}} {
		if err := checkCopyTarget(map[string]*container.Container{"ro": ro, "rw": rw}[tc.ctr], tc.dst); err != nil {
			t.Errorf("copy into %s:%s: %v; want it allowed", tc.ctr, tc.dst, err)
		}
	}
}

// When the unpacking side of a copy fails, its error is the one reported, not the
// "copy stopped" its end causes on the archiving side.
func TestPipeCopyReportsTheReadersError(t *testing.T) {
	want := errors.New("destination: no such file or directory")
	err := pipeCopy(context.Background(), func(w io.Writer) error {
		for {
			if _, err := w.Write(make([]byte, 4096)); err != nil {
				return err
			}
		}
	}, func(r io.Reader) error { return want })
	if err != want {
		t.Errorf("pipeCopy: %v; want %v", err, want)
	}
}
