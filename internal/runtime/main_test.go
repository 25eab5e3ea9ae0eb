package runtime

import (
	"os"
	"testing"
)

// TestMain lets the test binary be re-executed as a container's init by Start and as a
// process in a container by Exec. (The package's init function already calls Init; this is
// what a main function does.)
func TestMain(m *testing.M) {
	Init()
	os.Exit(m.Run())
}
