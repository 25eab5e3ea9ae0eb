package runtime

import (
	"os"
	"testing"
)

// TestMain lets the test binary be re-executed as a container's init by Start.
func TestMain(m *testing.M) {
	Init()
	os.Exit(m.Run())
}
