//go:build linux && cgo

package seccomp

/*
#cgo LDFLAGS: -lseccomp
#include <errno.h>
#include <stdlib.h>
#include <seccomp.h>
*/
import "C"

import (
	"fmt"
	"io"
	"os"
	"unsafe"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// x32SyscallBit marks the system call numbers of the x32 ABI (__X32_SYSCALL_BIT).
const x32SyscallBit = 0x40000000

// Compile renders an evaluated profile as a BPF program: libseccomp's rendering of the rules
// behind the ENOSYS stub (see the package doc). A nil profile is no filter (nil, nil).
func Compile(p *specs.LinuxSeccomp) (Program, error) {
	if p == nil {
		return nil, nil
	}
	if err := Validate(p); err != nil {
		return nil, err
	}
	defAct, _ := action(p.DefaultAction, p.DefaultErrnoRet)
	ctx := C.seccomp_init(C.uint32_t(defAct))
	if ctx == nil {
		return nil, fmt.Errorf("seccomp_init failed (default action %s)", p.DefaultAction)
	}
	defer C.seccomp_release(ctx)
	// Only the exported program is used: libseccomp must not set no_new_privs itself.
	if rc := C.seccomp_attr_set(ctx, C.SCMP_FLTATR_CTL_NNP, 0); rc < 0 {
		return nil, fmt.Errorf("seccomp_attr_set: %w", unix.Errno(-rc))
	}
	// A binary tree of system call numbers instead of a list: a few comparisons to a system
	// call's rules instead of hundreds, for every system call of the container and for the
	// kernel, which runs the filter for each number when it loads it (its action cache).
	if rc := C.seccomp_attr_set(ctx, C.SCMP_FLTATR_CTL_OPTIMIZE, 2); rc < 0 {
		return nil, fmt.Errorf("seccomp_attr_set: %w", unix.Errno(-rc))
	}
	arches := []C.uint32_t{C.seccomp_arch_native()}
	for _, a := range p.Architectures {
		tok, err := archToken(a)
		if err != nil {
			return nil, err
		}
		rc := C.seccomp_arch_add(ctx, tok)
		if rc == -C.EEXIST {
			continue
		}
		if rc < 0 {
			return nil, fmt.Errorf("adding architecture %s: %w", a, unix.Errno(-rc))
		}
		arches = append(arches, tok)
	}
	for _, sc := range p.Syscalls {
		act, _ := action(sc.Action, sc.ErrnoRet)
		if act == defAct {
			continue // libseccomp refuses a rule that does what the default does
		}
		conds := conditions(sc.Args)
		for _, name := range sc.Names {
			if err := addRules(ctx, name, act, conds); err != nil {
				return nil, err
			}
		}
	}
	prog, err := export(ctx)
	if err != nil {
		return nil, err
	}
	if defAct == retAllow || defAct == retLog {
		// A profile that lists what is denied: a newer system call is allowed too.
		return encode(prog), nil
	}
	native := map[uint32]uint32{}
	for a, nr := range highest(p, arches) {
		native[uint32(a)] = nr
	}
	return encode(append(enosysStub(native), prog...)), nil
}

// conditions groups the argument conditions of a rule as runc does: all in one rule (AND)
// when each names another argument, else one rule per condition (OR), which is how Docker's
// profile means several values for one argument.
func conditions(args []specs.LinuxSeccompArg) [][]C.struct_scmp_arg_cmp {
	if len(args) == 0 {
		return [][]C.struct_scmp_arg_cmp{nil}
	}
	all := make([]C.struct_scmp_arg_cmp, 0, len(args))
	seen := map[uint]bool{}
	repeated := false
	for _, a := range args {
		repeated = repeated || seen[a.Index]
		seen[a.Index] = true
		c := C.struct_scmp_arg_cmp{
			arg:     C.uint(a.Index),
			op:      C.enum_scmp_compare(operators[a.Op]),
			datum_a: C.scmp_datum_t(a.Value),
		}
		if a.Op == specs.OpMaskedEqual {
			c.datum_b = C.scmp_datum_t(a.ValueTwo)
		}
		all = append(all, c)
	}
	if !repeated {
		return [][]C.struct_scmp_arg_cmp{all}
	}
	out := make([][]C.struct_scmp_arg_cmp, len(all))
	for i := range all {
		out[i] = all[i : i+1]
	}
	return out
}

// addRules adds the rules of one system call. A name libseccomp does not know is skipped, as
// runc does: it cannot be filtered by number, and the ENOSYS stub covers the newer ones.
func addRules(ctx C.scmp_filter_ctx, name string, act uint32, conds [][]C.struct_scmp_arg_cmp) error {
	cname := C.CString(name)
	nr := C.seccomp_syscall_resolve_name(cname)
	C.free(unsafe.Pointer(cname))
	if nr == C.__NR_SCMP_ERROR {
		return nil
	}
	for _, cs := range conds {
		var ptr *C.struct_scmp_arg_cmp
		if len(cs) > 0 {
			ptr = &cs[0] // Go memory without Go pointers: fine for the duration of the call
		}
		if rc := C.seccomp_rule_add_array(ctx, C.uint32_t(act), nr, C.uint(len(cs)), ptr); rc < 0 {
			return fmt.Errorf("adding a rule for %s: %w", name, unix.Errno(-rc))
		}
	}
	return nil
}

// archToken is libseccomp's token of an OCI architecture.
func archToken(a specs.Arch) (C.uint32_t, error) {
	n := archName(a)
	if n == "" {
		return 0, fmt.Errorf("unknown architecture %q", a)
	}
	cn := C.CString(n)
	defer C.free(unsafe.Pointer(cn))
	tok := C.seccomp_arch_resolve_name(cn)
	if tok == 0 {
		return 0, fmt.Errorf("architecture %s is not supported by libseccomp %d.%d.%d", a, C.SCMP_VER_MAJOR, C.SCMP_VER_MINOR, C.SCMP_VER_MICRO)
	}
	return tok, nil
}

// export asks libseccomp for the program, through a memory file.
func export(ctx C.scmp_filter_ctx) ([]Instruction, error) {
	fd, err := unix.MemfdCreate("seccomp-bpf", unix.MFD_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("creating memory file for the seccomp program: %w", err)
	}
	f := os.NewFile(uintptr(fd), "seccomp-bpf")
	defer f.Close()
	if rc := C.seccomp_export_bpf(ctx, C.int(fd)); rc < 0 {
		return nil, fmt.Errorf("exporting the seccomp program: %w", unix.Errno(-rc))
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	b, err := io.ReadAll(f)
	if err != nil {
		return nil, fmt.Errorf("reading the seccomp program: %w", err)
	}
	return Program(b).Instructions()
}

// highest returns, for each architecture of the filter, the highest system call number any
// rule of the profile names there (x32's with its bit set); architectures where no name
// resolves are missing.
func highest(p *specs.LinuxSeccomp, arches []C.uint32_t) map[C.uint32_t]uint32 {
	max := map[C.uint32_t]uint32{}
	for _, sc := range p.Syscalls {
		for _, name := range sc.Names {
			cname := C.CString(name)
			for _, a := range arches {
				nr := C.seccomp_syscall_resolve_name_arch(a, cname)
				if nr < 0 {
					continue // unknown there, or a pseudo number
				}
				if m, ok := max[a]; !ok || uint32(nr) > m {
					max[a] = uint32(nr)
				}
			}
			C.free(unsafe.Pointer(cname))
		}
	}
	return max
}

// libVersion is the version of the linked libseccomp.
func libVersion() string {
	v := C.seccomp_version()
	return fmt.Sprintf("%d.%d.%d", v.major, v.minor, v.micro)
}
