package seccomp

import "slices"

// Architectures as the kernel names them in seccomp_data.arch (AUDIT_ARCH_*), which are also
// libseccomp's tokens, except for x32: its system calls arrive as AUDIT_ARCH_X86_64 with bit
// 30 set in the number, and libseccomp gives it a token of its own.
const (
	auditArchX86_64 uint32 = 0xc000003e
	tokenX32        uint32 = 0x4000003e
	x32Bit          uint32 = 0x40000000
)

// Classic BPF opcodes of a seccomp program.
const (
	bpfLdWAbs  = 0x20 // BPF_LD | BPF_W | BPF_ABS
	bpfJmpJa   = 0x05 // BPF_JMP | BPF_JA
	bpfJeqK    = 0x15 // BPF_JMP | BPF_JEQ | BPF_K
	bpfJgtK    = 0x25 // BPF_JMP | BPF_JGT | BPF_K
	bpfJsetK   = 0x45 // BPF_JMP | BPF_JSET | BPF_K
	bpfRetK    = 0x06 // BPF_RET | BPF_K
	offsetNr   = 0    // offsetof(struct seccomp_data, nr)
	offsetArch = 4    // offsetof(struct seccomp_data, arch)
	enosys     = 38
)

// enosysStub is the program that runs before libseccomp's: on each architecture of highest
// (by token, see above), a system call numbered above the highest one the profile names there
// fails with ENOSYS; everything else goes on to libseccomp's program, which follows the stub.
func enosysStub(highest map[uint32]uint32) []Instruction {
	x32Max, hasX32 := highest[tokenX32]
	arches := make([]uint32, 0, len(highest))
	for a := range highest {
		if a != tokenX32 {
			arches = append(arches, a)
		}
	}
	slices.Sort(arches)

	// Jump targets are symbolic until the length of the stub is known.
	const (
		next   = -1 // the next architecture's check
		toFail = -2 // the ENOSYS return
		toEnd  = -3 // libseccomp's program
	)
	type ins struct {
		Instruction
		jt, jf int // 0: the next instruction; else one of the targets above
	}
	var code []ins
	var blockStarts []int // where each architecture's check starts
	var nexts []int       // instructions that jump to the next block
	code = append(code, ins{Instruction: Instruction{Code: bpfLdWAbs, K: offsetArch}})
	for _, a := range arches {
		blockStarts = append(blockStarts, len(code))
		nexts = append(nexts, len(code))
		code = append(code,
			ins{Instruction{Code: bpfJeqK, K: a}, 0, next},
			ins{Instruction: Instruction{Code: bpfLdWAbs, K: offsetNr}},
		)
		if a == auditArchX86_64 {
			if hasX32 {
				code = append(code,
					ins{Instruction{Code: bpfJsetK, K: x32Bit}, 1, 0}, // jt: skip one, to x32's check
					ins{Instruction{Code: bpfJgtK, K: highest[a]}, toFail, toEnd},
					ins{Instruction{Code: bpfJgtK, K: x32Max}, toFail, toEnd},
				)
				continue
			}
			// x32 is not in the filter: libseccomp's program refuses it.
			code = append(code, ins{Instruction{Code: bpfJsetK, K: x32Bit}, toEnd, 0})
		}
		code = append(code, ins{Instruction{Code: bpfJgtK, K: highest[a]}, toFail, toEnd})
	}
	blockStarts = append(blockStarts, len(code))
	code = append(code,
		ins{Instruction: Instruction{Code: bpfJmpJa}}, // K patched below: to libseccomp's program
		ins{Instruction: Instruction{Code: bpfRetK, K: retErrno | enosys}},
	)
	fail, end := len(code)-1, len(code)
	code[len(code)-2].K = uint32(end - (len(code) - 2) - 1)
	nextOf := map[int]int{}
	for i, at := range nexts {
		nextOf[at] = blockStarts[i+1]
	}
	out := make([]Instruction, len(code))
	for i, c := range code {
		resolve := func(t int) uint8 {
			switch t {
			case next:
				return uint8(nextOf[i] - i - 1)
			case toFail:
				return uint8(fail - i - 1)
			case toEnd:
				return uint8(end - i - 1)
			}
			return uint8(t)
		}
		c.Jt, c.Jf = resolve(c.jt), resolve(c.jf)
		out[i] = c.Instruction
	}
	return out
}
