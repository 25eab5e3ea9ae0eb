package runtime

import (
	"bytes"
	"errors"
	"os"
	"syscall"
	"testing"
)

// The sealed binary has the content of this binary, and nothing can write it, not even
// after reopening it through /proc/self/fd as a container would with a /proc/PID/exe it holds.
func TestSealedExe(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: sealing mounts a detached overlay (fsmount)")
	}
	for _, c := range []struct {
		name string
		seal func() (*os.File, string, error)
		deny []error
	}{
		{"overlay", sealOverlay, []error{syscall.EROFS}},
		{"memfd", sealMemfd, []error{syscall.EPERM}},
	} {
		t.Run(c.name, func(t *testing.T) {
			f, how, err := c.seal()
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			if how != c.name {
				t.Errorf("sealed by %q, want %q", how, c.name)
			}
			want, err := os.ReadFile("/proc/self/exe")
			if err != nil {
				t.Fatal(err)
			}
			got, err := os.ReadFile(fdPath(int(f.Fd())))
			if err != nil || !bytes.Equal(got, want) {
				t.Fatalf("sealed copy differs from /proc/self/exe (%d vs %d bytes, %v)", len(got), len(want), err)
			}
			for _, flag := range []int{os.O_WRONLY, os.O_RDWR, os.O_WRONLY | os.O_TRUNC, os.O_APPEND | os.O_WRONLY} {
				w, err := os.OpenFile(fdPath(int(f.Fd())), flag, 0)
				if err == nil {
					// A sealed memfd opens, but refuses every write.
					_, err = w.Write([]byte("changed"))
					w.Close()
					if err == nil {
						t.Fatalf("wrote into the sealed binary after reopening it with flags %#x", flag)
					}
				}
				if !errorsIsAny(err, c.deny) {
					t.Errorf("reopening with flags %#x: %v, want one of %v", flag, err, c.deny)
				}
			}
		})
	}
	// Cached, and above the descriptors a child's ExtraFiles take.
	f1, _, err := sealedExe()
	if err != nil {
		t.Fatal(err)
	}
	f2, _, _ := sealedExe()
	if f1 != f2 || f1.Fd() < minSealedFd {
		t.Errorf("sealedExe: fd %d then %d, want one cached descriptor >= %d", f1.Fd(), f2.Fd(), minSealedFd)
	}
}

func errorsIsAny(err error, targets []error) bool {
	for _, t := range targets {
		if errors.Is(err, t) {
			return true
		}
	}
	return false
}
