package seccomp

import (
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// Values of the seccomp security option and of the config file's seccomp-profile.
const (
	// Unconfined turns seccomp off: --security-opt seccomp=unconfined.
	Unconfined = "unconfined"
	// Builtin is Docker's default profile (dockerd's seccomp-profile "builtin").
	Builtin = "builtin"
)

// ErrNoCgo is returned by Compile when this binary was built without cgo, which libseccomp
// needs.
var ErrNoCgo = errors.New("seccomp profiles need a binary built with cgo (libseccomp); use --security-opt seccomp=unconfined")

// The return values of a filter (linux/seccomp.h SECCOMP_RET_*), which are also libseccomp's
// actions.
const (
	retKillProcess uint32 = 0x80000000
	retKillThread  uint32 = 0x00000000
	retTrap        uint32 = 0x00030000
	retErrno       uint32 = 0x00050000
	retUserNotif   uint32 = 0x7fc00000
	retTrace       uint32 = 0x7ff00000
	retLog         uint32 = 0x7ffc0000
	retAllow       uint32 = 0x7fff0000
	retDataMask    uint32 = 0x0000ffff
)

// eperm is the errno of an ERRNO or TRACE action without errnoRet, as in runc and the OCI
// runtime spec.
const eperm = 1

// Instruction is one BPF instruction, struct sock_filter.
type Instruction struct {
	Code   uint16
	Jt, Jf uint8
	K      uint32
}

// Program is a compiled filter: an array of struct sock_filter in the machine's byte order,
// ready for seccomp(2). It travels to the init as it is (JSON makes it base64).
type Program []byte

// instructionSize is sizeof(struct sock_filter).
const instructionSize = 8

// Instructions decodes the program.
func (p Program) Instructions() ([]Instruction, error) {
	if len(p)%instructionSize != 0 {
		return nil, fmt.Errorf("seccomp program of %d bytes is not a whole number of instructions", len(p))
	}
	out := make([]Instruction, 0, len(p)/instructionSize)
	for b := []byte(p); len(b) > 0; b = b[instructionSize:] {
		out = append(out, Instruction{
			Code: binary.NativeEndian.Uint16(b[0:]),
			Jt:   b[2], Jf: b[3],
			K: binary.NativeEndian.Uint32(b[4:]),
		})
	}
	return out, nil
}

// encode is the inverse of Instructions.
func encode(ins []Instruction) Program {
	p := make(Program, 0, len(ins)*instructionSize)
	for _, in := range ins {
		p = binary.NativeEndian.AppendUint16(p, in.Code)
		p = append(p, in.Jt, in.Jf)
		p = binary.NativeEndian.AppendUint32(p, in.K)
	}
	return p
}

// action is an OCI action with its errno (EPERM when errnoRet is nil) in the filter's return
// value, as runc renders it.
func action(a specs.LinuxSeccompAction, errnoRet *uint) (uint32, error) {
	data := uint32(eperm)
	if errnoRet != nil {
		data = uint32(*errnoRet) & retDataMask
	}
	switch a {
	case specs.ActKill, specs.ActKillThread:
		return retKillThread, nil
	case specs.ActKillProcess:
		return retKillProcess, nil
	case specs.ActTrap:
		return retTrap, nil
	case specs.ActErrno:
		return retErrno | data, nil
	case specs.ActTrace:
		return retTrace | data, nil
	case specs.ActAllow:
		return retAllow, nil
	case specs.ActLog:
		return retLog, nil
	case specs.ActNotify:
		return 0, fmt.Errorf("action %s is not supported (GeeDocker has no seccomp agent)", a)
	}
	return 0, fmt.Errorf("unknown action %q", a)
}

// Validate checks what the compiler relies on in an evaluated profile, without libseccomp:
// known actions and operators, argument indexes, errno values, architecture names.
func Validate(p *specs.LinuxSeccomp) error {
	if p == nil {
		return nil
	}
	if p.DefaultAction == "" {
		return errors.New("no defaultAction")
	}
	if err := checkErrno(p.DefaultAction, p.DefaultErrnoRet); err != nil {
		return fmt.Errorf("defaultErrnoRet: %w", err)
	}
	if _, err := action(p.DefaultAction, p.DefaultErrnoRet); err != nil {
		return fmt.Errorf("defaultAction: %w", err)
	}
	for _, a := range p.Architectures {
		if archName(a) == "" {
			return fmt.Errorf("unknown architecture %q", a)
		}
	}
	if len(p.ListenerPath) > 0 {
		return errors.New("listenerPath is not supported (GeeDocker has no seccomp agent)")
	}
	for i, sc := range p.Syscalls {
		if len(sc.Names) == 0 {
			return fmt.Errorf("syscalls[%d]: no names", i)
		}
		if slices.Contains(sc.Names, "") {
			return fmt.Errorf("syscalls[%d]: an empty name", i)
		}
		if err := checkErrno(sc.Action, sc.ErrnoRet); err != nil {
			return fmt.Errorf("syscalls[%d] (%s): errnoRet: %w", i, sc.Names[0], err)
		}
		if _, err := action(sc.Action, sc.ErrnoRet); err != nil {
			return fmt.Errorf("syscalls[%d] (%s): %w", i, sc.Names[0], err)
		}
		if len(sc.Args) > 6 {
			return fmt.Errorf("syscalls[%d] (%s): %d argument conditions, at most 6", i, sc.Names[0], len(sc.Args))
		}
		for _, arg := range sc.Args {
			if arg.Index > 5 {
				return fmt.Errorf("syscalls[%d] (%s): argument index %d, at most 5", i, sc.Names[0], arg.Index)
			}
			if _, ok := operators[arg.Op]; !ok {
				return fmt.Errorf("syscalls[%d] (%s): unknown operator %q", i, sc.Names[0], arg.Op)
			}
		}
	}
	return nil
}

// checkErrno checks an errnoRet: only SCMP_ACT_ERRNO and SCMP_ACT_TRACE take one, and errno
// values end at 4095 (MAX_ERRNO).
func checkErrno(a specs.LinuxSeccompAction, e *uint) error {
	switch {
	case e == nil:
		return nil
	case a != specs.ActErrno && a != specs.ActTrace:
		return fmt.Errorf("only for %s and %s, not %s", specs.ActErrno, specs.ActTrace, a)
	case *e > 4095:
		return fmt.Errorf("errno %d out of range 0-4095", *e)
	}
	return nil
}

// operators maps the OCI operators to libseccomp's enum scmp_compare.
var operators = map[specs.LinuxSeccompOperator]int{
	specs.OpNotEqual:     1,
	specs.OpLessThan:     2,
	specs.OpLessEqual:    3,
	specs.OpEqualTo:      4,
	specs.OpGreaterEqual: 5,
	specs.OpGreaterThan:  6,
	specs.OpMaskedEqual:  7,
}

// archName is libseccomp's name of an OCI architecture ("SCMP_ARCH_X86_64" is "x86_64"), or
// "" for a name that is not one.
func archName(a specs.Arch) string {
	n, ok := strings.CutPrefix(string(a), "SCMP_ARCH_")
	if !ok {
		return ""
	}
	switch n := strings.ToLower(n); n {
	case "x86", "x86_64", "x32", "arm", "aarch64", "mips", "mips64", "mips64n32", "mipsel",
		"mipsel64", "mipsel64n32", "ppc", "ppc64", "ppc64le", "s390", "s390x", "parisc",
		"parisc64", "riscv64", "loongarch64", "m68k", "sh", "sheb":
		return n
	}
	return ""
}
