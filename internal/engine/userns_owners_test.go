package engine

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"io"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/geedocker/geedocker/internal/idmap"
)

var ownersRemap = &idmap.Remap{UID: idmap.Range{Start: 100000, Size: 65536}, GID: idmap.Range{Start: 100000, Size: 65536}}

func TestRemapOfSpec(t *testing.T) {
	m := []specs.LinuxIDMapping{{ContainerID: 0, HostID: 100000, Size: 65536}}
	for _, c := range []struct {
		name string
		s    specs.Spec
		want *idmap.Remap
	}{
		{"no linux section", specs.Spec{}, nil},
		{"no user namespace", specs.Spec{Linux: &specs.Linux{}}, nil},
		{"remapped", specs.Spec{Linux: &specs.Linux{UIDMappings: m, GIDMappings: m}}, ownersRemap},
		{"not from 0", specs.Spec{Linux: &specs.Linux{UIDMappings: []specs.LinuxIDMapping{{ContainerID: 1, HostID: 1, Size: 1}}, GIDMappings: m}}, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := remapOfSpec(&c.s)
			if (got == nil) != (c.want == nil) || got != nil && *got != *c.want {
				t.Errorf("got %+v, want %+v", got, c.want)
			}
		})
	}
}

func TestOwnerShifts(t *testing.T) {
	for _, c := range []struct {
		name     string
		f        func(*tar.Header)
		hdrName  string
		uid, gid int
		want     [2]int
	}{
		{"layer: a file of the container's root", layerToContainerIDs(ownersRemap), "etc/x", 100000, 100000, [2]int{0, 0}},
		{"layer: a file of 1000", layerToContainerIDs(ownersRemap), "d/f", 101000, 101000, [2]int{1000, 1000}},
		{"layer: a whiteout made by host root", layerToContainerIDs(ownersRemap), "bin/.wh.ls", 0, 0, [2]int{0, 0}},
		{"layer: an opaque marker", layerToContainerIDs(ownersRemap), "d/.wh..wh..opq", 100000, 100000, [2]int{0, 0}},
		{"layer: a file of host root", layerToContainerIDs(ownersRemap), "etc/hosts", 0, 0, [2]int{idmap.Overflow, idmap.Overflow}},
		{"out: a file named .wh. is a file", toContainerIDs(ownersRemap), ".wh.x", 0, 0, [2]int{idmap.Overflow, idmap.Overflow}},
		{"in: root-owned copy", toHostIDs(ownersRemap, true), "x", 1234, 1234, [2]int{100000, 100000}},
		{"in: -a copy", toHostIDs(ownersRemap, false), "x", 1234, 1234, [2]int{101234, 101234}},
	} {
		t.Run(c.name, func(t *testing.T) {
			h := &tar.Header{Name: c.hdrName, Uid: c.uid, Gid: c.gid}
			c.f(h)
			if h.Uid != c.want[0] || h.Gid != c.want[1] {
				t.Errorf("%d:%d, want %d:%d", h.Uid, h.Gid, c.want[0], c.want[1])
			}
		})
	}
	if toContainerIDs(nil) != nil || toHostIDs(nil, true) != nil || layerToContainerIDs(nil) != nil || exportOwners(nil) != nil {
		t.Error("a shift without remapping")
	}
	// export: the upper layer (0) holds host ids, the image's layers the container's own.
	ex := exportOwners(ownersRemap)
	for _, c := range []struct{ layer, id, want int }{{0, 100000, 0}, {0, 0, idmap.Overflow}, {1, 0, 0}, {2, 1000, 1000}, {1, 70000, idmap.Overflow}} {
		h := &tar.Header{Uid: c.id, Gid: c.id}
		ex(c.layer, h)
		if h.Uid != c.want || h.Gid != c.want {
			t.Errorf("export of id %d from layer %d: %d:%d, want %d", c.id, c.layer, h.Uid, h.Gid, c.want)
		}
	}
}

func TestShiftingWriter(t *testing.T) {
	var src bytes.Buffer
	tw := tar.NewWriter(&src)
	tw.WriteHeader(&tar.Header{Name: "f", Typeflag: tar.TypeReg, Size: 1, Uid: 100000, Gid: 100000})
	tw.Write([]byte("x"))
	tw.Close()

	var out bytes.Buffer
	w, wait := shiftingWriter(context.Background(), &out, toContainerIDs(ownersRemap))
	_, err := io.Copy(w, bytes.NewReader(src.Bytes()))
	if err := wait(err); err != nil {
		t.Fatal(err)
	}
	h, err := tar.NewReader(&out).Next()
	if err != nil || h.Uid != 0 || h.Gid != 0 {
		t.Fatalf("shifted: %+v %v", h, err)
	}

	// The writer's error wins over the rewriter's; a bad stream is the rewriter's error.
	boom := errors.New("boom")
	w, wait = shiftingWriter(context.Background(), io.Discard, toContainerIDs(ownersRemap))
	if err := wait(boom); err != boom {
		t.Errorf("writer error: %v", err)
	}
	w, wait = shiftingWriter(context.Background(), io.Discard, toContainerIDs(ownersRemap))
	w.Write(bytes.Repeat([]byte{'x'}, 512))
	if err := wait(nil); err == nil {
		t.Error("a bad stream went through")
	}
	// Without remapping, nothing is in between.
	if w, _ := shiftingWriter(context.Background(), &out, nil); w != &out {
		t.Error("a writer without a shift")
	}
}
