package testutil

import (
	"os/exec"
	"strings"
	"testing"
)

// Forbidden is a package (and those below it) that a program must not link, and why.
type Forbidden struct{ Prefix, Why string }

// CheckDependencies fails t when the package in the current directory links one of the
// forbidden packages (`go list -deps`, in the manner of go-containerregistry's
// internal/depcheck). Each name is first checked against reference, a package that links
// all of them, so that a misspelt name cannot pass unnoticed.
func CheckDependencies(t *testing.T, reference string, forbidden []Forbidden) {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("needs the go command")
	}
	list := func(pkg string) []string {
		out, err := exec.Command(goBin, "list", "-deps", pkg).CombinedOutput()
		if err != nil {
			t.Fatalf("go list -deps %s: %v\n%s", pkg, err, out)
		}
		deps := strings.Fields(string(out))
		if len(deps) < 10 {
			t.Fatalf("go list -deps %s listed only %v", pkg, deps)
		}
		return deps
	}
	links := func(deps []string, f Forbidden) []string {
		var hits []string
		for _, d := range deps {
			if d == f.Prefix || strings.HasPrefix(d, f.Prefix+"/") {
				hits = append(hits, d)
			}
		}
		return hits
	}
	deps, full := list("."), list(reference)
	for _, f := range forbidden {
		if len(links(full, f)) == 0 {
			t.Errorf("%s does not depend on %s: is the name right?", reference, f.Prefix)
		}
		for _, d := range links(deps, f) {
			t.Errorf("this program depends on %s (%s)", d, f.Why)
		}
	}
}
