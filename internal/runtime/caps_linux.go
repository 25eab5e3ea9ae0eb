package runtime

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// dropBoundingSet removes from the calling thread's bounding set every capability the kernel
// knows that is not in keep. After execve no process of the container can gain them back.
func dropBoundingSet(keep uint64) error {
	for c := 0; c < 64; c++ {
		if _, err := unix.PrctlRetInt(unix.PR_CAPBSET_READ, uintptr(c), 0, 0, 0); err == unix.EINVAL {
			return nil // past the last capability of this kernel
		}
		if keep&(1<<c) != 0 {
			continue
		}
		if err := unix.Prctl(unix.PR_CAPBSET_DROP, uintptr(c), 0, 0, 0); err != nil {
			return fmt.Errorf("dropping capability %d from the bounding set: %w", c, err)
		}
	}
	return nil
}

// applyCapabilities sets the effective, permitted, inheritable and ambient sets of the
// calling thread, the one that calls execve.
func applyCapabilities(s capSets) error {
	known := uint64(0)
	for c := 0; c < 64; c++ {
		if _, err := unix.PrctlRetInt(unix.PR_CAPBSET_READ, uintptr(c), 0, 0, 0); err == unix.EINVAL {
			break
		}
		known |= 1 << c
	}
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var data [2]unix.CapUserData
	for i := range data {
		shift := 32 * i
		data[i].Effective = uint32((s.Effective & known) >> shift)
		data[i].Permitted = uint32((s.Permitted & known) >> shift)
		data[i].Inheritable = uint32((s.Inheritable & known) >> shift)
	}
	if err := unix.Capset(&hdr, &data[0]); err != nil {
		return fmt.Errorf("setting capabilities: %w", err)
	}
	if err := unix.Prctl(unix.PR_CAP_AMBIENT, unix.PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0); err != nil {
		return fmt.Errorf("clearing ambient capabilities: %w", err)
	}
	// The kernel raises an ambient capability only when it is permitted and inheritable;
	// runc only warns about the others (its default spec asks for ambient capabilities that
	// are not inheritable), so they are left out here.
	ambient := s.Ambient & s.Permitted & s.Inheritable & known
	for c := 0; c < 64; c++ {
		if ambient&(1<<c) == 0 {
			continue
		}
		if err := unix.Prctl(unix.PR_CAP_AMBIENT, unix.PR_CAP_AMBIENT_RAISE, uintptr(c), 0, 0); err != nil {
			return fmt.Errorf("raising ambient capability %d: %w", c, err)
		}
	}
	return nil
}
