package dns

import (
	"os"
	"testing"
)

// TestMain serves as the resolver when Ensure starts this binary under
// ResolverName, as cmd/geedocker does.
func TestMain(m *testing.M) {
	if IsResolver() {
		os.Exit(Main(os.Args[1:]))
	}
	os.Exit(m.Run())
}
