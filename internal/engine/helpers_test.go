package engine

import (
	"testing"

	"github.com/geedocker/geedocker/internal/container"
)

// newEngine is an engine over a new store in a temporary directory.
func newEngine(t *testing.T) *Engine {
	t.Helper()
	e, err := New(t.TempDir(), Config{})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return e
}

// newEngineAndContainers is newEngine with its container store.
func newEngineAndContainers(t *testing.T) (*Engine, *container.Store) {
	t.Helper()
	e := newEngine(t)
	cs, err := e.Containers()
	if err != nil {
		t.Fatal(err)
	}
	return e, cs
}
