package caps

import (
	"testing"

	"golang.org/x/sys/unix"
)

// The table's order is the kernel's: each name's index is its number.
func TestNumbersAreTheKernels(t *testing.T) {
	for _, c := range []struct {
		name string
		num  uint
	}{
		{"CAP_CHOWN", unix.CAP_CHOWN}, {"CAP_NET_ADMIN", unix.CAP_NET_ADMIN}, {"CAP_SYS_ADMIN", unix.CAP_SYS_ADMIN},
		{"CAP_MKNOD", unix.CAP_MKNOD}, {"CAP_AUDIT_WRITE", unix.CAP_AUDIT_WRITE}, {"CAP_SETFCAP", unix.CAP_SETFCAP},
		{"cap_bpf", unix.CAP_BPF}, {"CAP_CHECKPOINT_RESTORE", unix.CAP_CHECKPOINT_RESTORE},
	} {
		if n, ok := Number(c.name); !ok || n != c.num {
			t.Errorf("Number(%q) = %d %v, want %d", c.name, n, ok, c.num)
		}
	}
	if len(All) != unix.CAP_LAST_CAP+1 {
		t.Errorf("%d capabilities, the kernel headers know %d", len(All), unix.CAP_LAST_CAP+1)
	}
	if _, ok := Number("CAP_FLY"); ok {
		t.Error("CAP_FLY has a number")
	}
	for _, d := range Default {
		if _, ok := Number(d); !ok {
			t.Errorf("default capability %s is not in the table", d)
		}
	}
}
