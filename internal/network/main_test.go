package network

import (
	"os"
	"testing"
)

// TestMain serves as the IPAM helper process when asked to (see
// TestIPAMManyProcesses) or the lock holder (TestLockFreedByDeath), and on Linux as root re-runs the tests in a
// network namespace of their own (see isolate), so that no test can touch
// the machine's network even by mistake.
func TestMain(m *testing.M) {
	if os.Getenv(ipamHelperEnv) != "" {
		os.Exit(ipamHelper())
	}
	if code, done := osHelper(); done {
		os.Exit(code)
	}
	if code, done := isolate(); done {
		os.Exit(code)
	}
	os.Exit(m.Run())
}
