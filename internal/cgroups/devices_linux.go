package cgroups

import (
	"errors"
	"fmt"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/asm"
	"github.com/cilium/ebpf/link"
	"golang.org/x/sys/unix"
)

// deviceProgramName is the name the kernel shows for the device programs
// (bpftool prog), at most 15 bytes.
const deviceProgramName = "geedocker_dev"

// loadDeviceProgram loads the instructions as a cgroup device program. The
// caller closes it.
func loadDeviceProgram(insns asm.Instructions) (*ebpf.Program, error) {
	prog, err := ebpf.NewProgram(&ebpf.ProgramSpec{
		Type:         ebpf.CGroupDevice,
		Name:         deviceProgramName,
		Instructions: insns,
		License:      "Apache-2.0",
	})
	if err != nil {
		return nil, fmt.Errorf("loading the device program: %w", err)
	}
	return prog, nil
}

// setDeviceFilter makes f the device filter of the v2 cgroup at dir: it
// attaches the program compiled from f (none when f allows everything),
// then detaches the device programs attached there before, so there is no
// moment without a filter when Create runs again.
//
// The attachment is BPF_PROG_ATTACH, not a bpf_link: it needs no open file
// and lasts as long as the cgroup; the kernel releases the program when the
// cgroup is removed. BPF_F_ALLOW_MULTI lets the programs of the ancestors
// run too (all must allow).
func setDeviceFilter(dir string, f DeviceFilter) error {
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("setting the device filter: %w", err)
	}
	defer unix.Close(fd)
	old, err := link.QueryPrograms(link.QueryOptions{Target: fd, Attach: ebpf.AttachCGroupDevice})
	if err != nil {
		return fmt.Errorf("setting the device filter: %w", err)
	}
	if insns := DeviceProgram(f); insns != nil {
		prog, err := loadDeviceProgram(insns)
		if err != nil {
			return err
		}
		defer prog.Close()
		err = link.RawAttachProgram(link.RawAttachProgramOptions{
			Target: fd, Program: prog, Attach: ebpf.AttachCGroupDevice, Flags: unix.BPF_F_ALLOW_MULTI,
		})
		if err != nil {
			return fmt.Errorf("attaching the device program to %s: %w", dir, err)
		}
	}
	for _, p := range old.Programs {
		if err := detachDeviceProgram(fd, p.ID); err != nil {
			return fmt.Errorf("replacing the device program of %s: %w", dir, err)
		}
	}
	return nil
}

func detachDeviceProgram(cgroupFd int, id ebpf.ProgramID) error {
	prog, err := ebpf.NewProgramFromID(id)
	if errors.Is(err, unix.ENOENT) {
		return nil // detached and freed meanwhile
	}
	if err != nil {
		return err
	}
	defer prog.Close()
	err = link.RawDetachProgram(link.RawDetachProgramOptions{Target: cgroupFd, Program: prog, Attach: ebpf.AttachCGroupDevice})
	if errors.Is(err, unix.ENOENT) {
		return nil
	}
	return err
}

// deviceProgramIDs lists the device programs attached to the v2 cgroup at dir.
func deviceProgramIDs(dir string) ([]ebpf.ProgramID, error) {
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	defer unix.Close(fd)
	res, err := link.QueryPrograms(link.QueryOptions{Target: fd, Attach: ebpf.AttachCGroupDevice})
	if err != nil {
		return nil, err
	}
	var ids []ebpf.ProgramID
	for _, p := range res.Programs {
		ids = append(ids, p.ID)
	}
	return ids, nil
}
