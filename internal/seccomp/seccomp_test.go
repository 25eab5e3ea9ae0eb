package seccomp

import (
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func uintp(v uint) *uint { return &v }

func TestValidate(t *testing.T) {
	ok := func(p *specs.LinuxSeccomp) *specs.LinuxSeccomp { return p }
	for _, tc := range []struct {
		name string
		p    *specs.LinuxSeccomp
		want string // "" for valid
	}{
		{"none", nil, ""},
		{"minimal", ok(&specs.LinuxSeccomp{DefaultAction: specs.ActAllow}), ""},
		{"errno with defaultErrnoRet", &specs.LinuxSeccomp{DefaultAction: specs.ActErrno, DefaultErrnoRet: uintp(13)}, ""},
		{"no default", &specs.LinuxSeccomp{}, "no defaultAction"},
		{"unknown default", &specs.LinuxSeccomp{DefaultAction: "SCMP_ACT_MAYBE"}, `unknown action "SCMP_ACT_MAYBE"`},
		{"notify", &specs.LinuxSeccomp{DefaultAction: specs.ActNotify}, "not supported"},
		{"defaultErrnoRet with allow", &specs.LinuxSeccomp{DefaultAction: specs.ActAllow, DefaultErrnoRet: uintp(1)}, "only for SCMP_ACT_ERRNO"},
		{"errno too big", &specs.LinuxSeccomp{DefaultAction: specs.ActErrno, DefaultErrnoRet: uintp(5000)}, "out of range"},
		{"unknown arch", &specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Architectures: []specs.Arch{"SCMP_ARCH_Z80"}}, "unknown architecture"},
		{"arch without prefix", &specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Architectures: []specs.Arch{"x86_64"}}, "unknown architecture"},
		{"listener", &specs.LinuxSeccomp{DefaultAction: specs.ActAllow, ListenerPath: "/run/agent.sock"}, "listenerPath"},
		{"rule without names", &specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Syscalls: []specs.LinuxSyscall{{Action: specs.ActErrno}}}, "no names"},
		{"empty name", &specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Syscalls: []specs.LinuxSyscall{{Names: []string{""}, Action: specs.ActErrno}}}, "empty name"},
		{"rule action", &specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Syscalls: []specs.LinuxSyscall{{Names: []string{"keyctl"}, Action: "NOPE"}}}, "(keyctl): unknown action"},
		{"errnoRet on kill", &specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Syscalls: []specs.LinuxSyscall{{Names: []string{"keyctl"}, Action: specs.ActKill, ErrnoRet: uintp(1)}}}, "only for"},
		{"argument index", &specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Syscalls: []specs.LinuxSyscall{{Names: []string{"keyctl"}, Action: specs.ActErrno, Args: []specs.LinuxSeccompArg{{Index: 6, Op: specs.OpEqualTo}}}}}, "argument index 6"},
		{"operator", &specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Syscalls: []specs.LinuxSyscall{{Names: []string{"keyctl"}, Action: specs.ActErrno, Args: []specs.LinuxSeccompArg{{Index: 0, Op: "SCMP_CMP_ALMOST"}}}}}, "unknown operator"},
		{"trace with errno", &specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Syscalls: []specs.LinuxSyscall{{Names: []string{"keyctl"}, Action: specs.ActTrace, ErrnoRet: uintp(1)}}}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := Validate(tc.p)
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("Validate: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("Validate: %v, want an error with %q", err, tc.want)
			}
		})
	}
}

func TestActionErrno(t *testing.T) {
	for _, tc := range []struct {
		a     specs.LinuxSeccompAction
		errno *uint
		want  uint32
	}{
		{specs.ActErrno, nil, retErrno | 1}, // EPERM, not the profile's defaultErrnoRet
		{specs.ActErrno, uintp(38), retErrno | 38},
		{specs.ActTrace, nil, retTrace | 1},
		{specs.ActAllow, nil, retAllow},
		{specs.ActKill, nil, retKillThread},
		{specs.ActKillProcess, nil, retKillProcess},
		{specs.ActLog, nil, retLog},
		{specs.ActTrap, nil, retTrap},
	} {
		if got, err := action(tc.a, tc.errno); err != nil || got != tc.want {
			t.Errorf("action(%s, %v) = %#x, %v; want %#x", tc.a, tc.errno, got, err, tc.want)
		}
	}
}

func TestProgramEncoding(t *testing.T) {
	ins := []Instruction{{Code: bpfLdWAbs, K: offsetArch}, {Code: bpfJeqK, Jt: 1, Jf: 0, K: auditArchX86_64}, {Code: bpfRetK, K: retAllow}}
	p := encode(ins)
	if len(p) != 24 {
		t.Fatalf("3 instructions in %d bytes", len(p))
	}
	back, err := p.Instructions()
	if err != nil || len(back) != 3 || back[1] != ins[1] {
		t.Fatalf("round trip: %+v %v", back, err)
	}
	if _, err := Program(p[:23]).Instructions(); err == nil {
		t.Error("a truncated program decoded")
	}
}

// The stub alone, followed by "allow" standing for libseccomp's program.
func TestEnosysStub(t *testing.T) {
	const i386 = 0x40000003
	stub := enosysStub(map[uint32]uint32{auditArchX86_64: 450, tokenX32: x32Bit | 547, i386: 460})
	prog := append(stub, Instruction{Code: bpfRetK, K: retAllow})
	onlyNative := append(enosysStub(map[uint32]uint32{auditArchX86_64: 450}), Instruction{Code: bpfRetK, K: retAllow})
	enosysRet := retErrno | enosys
	for _, tc := range []struct {
		name string
		prog []Instruction
		c    call
		want uint32
	}{
		{"x86_64 highest", prog, call{arch: auditArchX86_64, nr: 450}, retAllow},
		{"x86_64 newer", prog, call{arch: auditArchX86_64, nr: 451}, enosysRet},
		{"x86_64 -1", prog, call{arch: auditArchX86_64, nr: 0xffffffff}, enosysRet},
		{"x32 known", prog, call{arch: auditArchX86_64, nr: x32Bit | 0}, retAllow},
		{"x32 highest", prog, call{arch: auditArchX86_64, nr: x32Bit | 547}, retAllow},
		{"x32 newer", prog, call{arch: auditArchX86_64, nr: x32Bit | 548}, enosysRet},
		{"i386 in range", prog, call{arch: i386, nr: 455}, retAllow},
		{"i386 newer", prog, call{arch: i386, nr: 461}, enosysRet},
		{"other arch", prog, call{arch: 0xc00000b7, nr: 9999}, retAllow},
		{"x32 not in the profile: libseccomp decides", onlyNative, call{arch: auditArchX86_64, nr: x32Bit | 9999}, retAllow},
		{"native without x32", onlyNative, call{arch: auditArchX86_64, nr: 451}, enosysRet},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := run(t, tc.prog, tc.c); got != tc.want {
				t.Errorf("%+v: %s, want %s", tc.c, retName(got), retName(tc.want))
			}
		})
	}
}
