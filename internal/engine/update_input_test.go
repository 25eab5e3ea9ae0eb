package engine

import (
	"errors"
	"testing"

	"github.com/geedocker/geedocker/internal/container"
	"github.com/geedocker/geedocker/internal/errdefs"
	"github.com/geedocker/geedocker/internal/spec"
)

// An update with a value out of range is the client's error (400 through the API, not
// 500), and the record is left as it was.
func TestUpdateOutOfRangeIsInvalidArgument(t *testing.T) {
	e, cs := newEngineAndContainers(t)
	c := &container.Container{ID: container.NewID(), Name: "upd"}
	c.Spec = []byte(`{}`)
	c.HostConfig.CPUShares = 512
	if err := cs.Create(c); err != nil {
		t.Fatal(err)
	}
	_, err := e.Update("upd", UpdateOptions{Resources: spec.Resources{CPUShares: -1}})
	if err == nil || !errors.Is(err, errdefs.ErrInvalidArgument) {
		t.Fatalf("update --cpu-shares -1: %v; want an invalid argument", err)
	}
	got, err := e.Container("upd")
	if err != nil || got.HostConfig.CPUShares != 512 {
		t.Errorf("record after a refused update: %+v, %v", got.HostConfig, err)
	}
}

// An image reference that cannot be parsed is the client's error (400 through the API).
func TestLookupBadReferenceIsInvalidArgument(t *testing.T) {
	e := newEngine(t)
	for _, ref := range []string{"../../etc", "UPPER", "a b"} {
		if _, _, err := e.Lookup(ref); !errors.Is(err, errdefs.ErrInvalidArgument) || err.Error() == "" {
			t.Errorf("Lookup(%q): %v; want an invalid argument", ref, err)
		}
	}
}
