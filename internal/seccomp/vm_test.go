package seccomp

import (
	"encoding/binary"
	"fmt"
	"testing"

	"golang.org/x/net/bpf"
)

// call is a system call as the filter sees it (struct seccomp_data).
type call struct {
	arch uint32
	nr   uint32
	args [6]uint64
}

// run evaluates a program on c with x/net/bpf's interpreter. The interpreter loads words in
// network byte order and the kernel in the machine's: since a seccomp filter only loads
// aligned 32-bit words, each word of seccomp_data is written big-endian where the kernel
// would have it (for a little-endian machine: an argument's low word first).
func run(t *testing.T, p []Instruction, c call) uint32 {
	t.Helper()
	if binary.NativeEndian.Uint16([]byte{1, 0}) != 1 {
		t.Skip("the seccomp_data layout below is a little-endian machine's")
	}
	raw := make([]bpf.RawInstruction, len(p))
	for i, in := range p {
		raw[i] = bpf.RawInstruction{Op: in.Code, Jt: in.Jt, Jf: in.Jf, K: in.K}
	}
	ins, ok := bpf.Disassemble(raw)
	if !ok {
		t.Fatal("the program holds instructions x/net/bpf cannot decode")
	}
	vm, err := bpf.NewVM(ins)
	if err != nil {
		t.Fatalf("loading the program: %v", err)
	}
	data := make([]byte, 64)
	binary.BigEndian.PutUint32(data[0:], c.nr)
	binary.BigEndian.PutUint32(data[4:], c.arch)
	for i, a := range c.args {
		binary.BigEndian.PutUint32(data[16+8*i:], uint32(a))
		binary.BigEndian.PutUint32(data[16+8*i+4:], uint32(a>>32))
	}
	ret, err := vm.Run(data)
	if err != nil {
		t.Fatalf("running the program: %v", err)
	}
	return uint32(ret)
}

// retName names a filter's return value for test messages.
func retName(r uint32) string {
	switch r &^ retDataMask {
	case retAllow:
		return "allow"
	case retErrno:
		return fmt.Sprintf("errno %d", r&retDataMask)
	case retKillThread:
		return "kill thread"
	case retKillProcess:
		return "kill process"
	case retTrap:
		return "trap"
	case retLog:
		return "log"
	case retTrace:
		return "trace"
	}
	return "unknown"
}
