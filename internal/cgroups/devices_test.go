package cgroups

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/cilium/ebpf/asm"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// rule builds an OCI device rule from its devices.allow form, "c 1:3 rwm".
func rule(allow bool, s string) specs.LinuxDeviceCgroup {
	var typ, nums, access string
	fmt.Sscan(s, &typ, &nums, &access)
	r := specs.LinuxDeviceCgroup{Allow: allow, Type: typ, Access: access}
	ma, mi, _ := strings.Cut(nums, ":")
	num := func(s string) *int64 {
		if s == "*" || s == "" {
			return nil
		}
		var n int64
		fmt.Sscan(s, &n)
		return &n
	}
	r.Major, r.Minor = num(ma), num(mi)
	return r
}

func allow(s string) specs.LinuxDeviceCgroup { return rule(true, s) }
func deny(s string) specs.LinuxDeviceCgroup  { return rule(false, s) }

// containerRules are the rules spec.Build gives an unprivileged container.
var containerRules = []specs.LinuxDeviceCgroup{
	deny("a *:* rwm"), allow("c *:* m"), allow("b *:* m"),
	allow("c 1:3 rwm"), allow("c 1:5 rwm"), allow("c 1:7 rwm"), allow("c 1:8 rwm"), allow("c 1:9 rwm"),
	allow("c 5:0 rwm"), allow("c 5:1 rwm"), allow("c 5:2 rwm"), allow("c 136:* rwm"),
}

// filterCases are rule lists with the devices.list the v1 kernel shows after
// writing them to devices.allow and devices.deny of a new cgroup (checked
// against the kernel by TestHostDeviceFilterMatchesV1).
var filterCases = []struct {
	name  string
	rules []specs.LinuxDeviceCgroup
	list  string
}{
	{"none", nil, "a *:* rwm\n"},
	{"privileged", []specs.LinuxDeviceCgroup{{Allow: true, Access: "rwm"}}, "a *:* rwm\n"},
	{"container", containerRules,
		"c *:* m\nb *:* m\nc 1:3 rwm\nc 1:5 rwm\nc 1:7 rwm\nc 1:8 rwm\nc 1:9 rwm\nc 5:0 rwm\nc 5:1 rwm\nc 5:2 rwm\nc 136:* rwm\n"},
	{"container with --device /dev/zero:/dev/z:r and a rule",
		append(slices.Clone(containerRules), allow("c 1:5 r"), allow("b 8:0 r")),
		"c *:* m\nb *:* m\nc 1:3 rwm\nc 1:5 rwm\nc 1:7 rwm\nc 1:8 rwm\nc 1:9 rwm\nc 5:0 rwm\nc 5:1 rwm\nc 5:2 rwm\nc 136:* rwm\nb 8:0 r\n"},
	{"deny all", []specs.LinuxDeviceCgroup{deny("a")}, ""},
	{"allows of one device merge",
		[]specs.LinuxDeviceCgroup{deny("a"), allow("c 1:3 r"), allow("c 1:3 w")}, "c 1:3 rw\n"},
	{"a deny takes access from the same exception only",
		[]specs.LinuxDeviceCgroup{deny("a"), allow("c 1:3 rwm"), allow("c *:* rw"), deny("c 1:3 w"), deny("c 1:* r")},
		"c 1:3 rm\nc *:* rw\n"},
	{"a deny of all access drops the exception",
		[]specs.LinuxDeviceCgroup{deny("a"), allow("c 1:3 rw"), allow("b 8:* r"), deny("c 1:3 rwm")}, "b 8:* r\n"},
	{"type a with numbers still means all",
		[]specs.LinuxDeviceCgroup{deny("a"), allow("c 1:3 r"), allow("a 1:3 r")}, "a *:* rwm\n"},
	{"allow all clears the exceptions",
		[]specs.LinuxDeviceCgroup{deny("c 1:3 rwm"), {Allow: true}, deny("a"), allow("c 1:5 m")}, "c 1:5 m\n"},
	{"default allow with exceptions",
		[]specs.LinuxDeviceCgroup{deny("c 1:3 w"), deny("b *:* rwm"), deny("c 1:3 r"), allow("b *:* m")},
		"a *:* rwm\ndeny c 1:3 rw\ndeny b *:* rw\n"},
	{"no access is all access", []specs.LinuxDeviceCgroup{deny("a"), allow("c 10:200")}, "c 10:200 rwm\n"},
}

func TestNewDeviceFilter(t *testing.T) {
	for _, tt := range filterCases {
		t.Run(tt.name, func(t *testing.T) {
			f, err := NewDeviceFilter(tt.rules)
			if err != nil {
				t.Fatal(err)
			}
			if got := f.String(); got != tt.list {
				t.Errorf("filter:\n%s\nwant:\n%s", got, tt.list)
			}
		})
	}
}

func TestNewDeviceFilterRejects(t *testing.T) {
	for _, tt := range []struct {
		rule   specs.LinuxDeviceCgroup
		errHas string
	}{
		{specs.LinuxDeviceCgroup{Allow: true, Type: "x", Access: "r"}, `type "x"`},
		{allow("c 1:3 rx"), `access "rx"`},
		{specs.LinuxDeviceCgroup{Allow: true, Type: "c", Major: i64(-2), Access: "r"}, "number -2"},
	} {
		_, err := NewDeviceFilter([]specs.LinuxDeviceCgroup{deny("a"), tt.rule})
		if err == nil || !strings.Contains(err.Error(), tt.errHas) {
			t.Errorf("%+v: error = %v, want one containing %q", tt.rule, err, tt.errHas)
		}
	}
}

// access names DeviceAccess bits by their letters.
func access(s string) DeviceAccess { return parseAccess(s) }

func TestDeviceFilterAllows(t *testing.T) {
	withDevices := append(slices.Clone(containerRules), allow("c 1:5 r"), allow("b 8:0 r"), allow("c 10:200 rw"))
	for _, tt := range []struct {
		name   string
		rules  []specs.LinuxDeviceCgroup
		typ    byte
		major  uint32
		minor  uint32
		access string
		want   bool
	}{
		{"mknod /dev/sda", containerRules, 'b', 8, 0, "m", true},
		{"read /dev/sda", containerRules, 'b', 8, 0, "r", false},
		{"write /dev/sda", containerRules, 'b', 8, 0, "w", false},
		{"open /dev/sda rw", containerRules, 'b', 8, 0, "rw", false},
		{"read /dev/mem", containerRules, 'c', 1, 1, "r", false},
		{"mknod /dev/mem", containerRules, 'c', 1, 1, "m", true},
		{"open /dev/null rw", containerRules, 'c', 1, 3, "rw", true},
		{"/dev/null as a block device", containerRules, 'b', 1, 3, "r", false},
		{"open /dev/pts/7 rw", containerRules, 'c', 136, 7, "rw", true},
		{"open /dev/ptmx rw", containerRules, 'c', 5, 2, "rw", true},
		{"open /dev/net/tun", containerRules, 'c', 10, 200, "r", false},
		{"--device-cgroup-rule 'b 8:0 r': read", withDevices, 'b', 8, 0, "r", true},
		{"--device-cgroup-rule 'b 8:0 r': write", withDevices, 'b', 8, 0, "w", false},
		{"--device-cgroup-rule 'b 8:0 r': rw", withDevices, 'b', 8, 0, "rw", false},
		{"b 8:0 r names no other disk", withDevices, 'b', 8, 16, "r", false},
		{"--device tun:rw", withDevices, 'c', 10, 200, "rw", true},
		{"--device tun:rw, mknod by the m of c *:*", withDevices, 'c', 10, 200, "m", true},
		{"--device tun:rw, not rwm at once", withDevices, 'c', 10, 200, "rwm", false},
		{"no single exception covers rw",
			[]specs.LinuxDeviceCgroup{deny("a"), allow("c *:* r"), allow("c 1:3 w")}, 'c', 1, 3, "rw", false},
		{"each part alone", []specs.LinuxDeviceCgroup{deny("a"), allow("c *:* r"), allow("c 1:3 w")}, 'c', 1, 3, "w", true},
		{"default allow: partly denied is denied",
			[]specs.LinuxDeviceCgroup{deny("c 1:3 w")}, 'c', 1, 3, "rw", false},
		{"default allow: the rest is allowed", []specs.LinuxDeviceCgroup{deny("c 1:3 w")}, 'c', 1, 3, "rm", true},
		{"default allow: other devices", []specs.LinuxDeviceCgroup{deny("c 1:3 w")}, 'c', 1, 4, "w", true},
		{"privileged", []specs.LinuxDeviceCgroup{{Allow: true, Access: "rwm"}}, 'b', 8, 0, "rw", true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f, err := NewDeviceFilter(tt.rules)
			if err != nil {
				t.Fatal(err)
			}
			if got := f.Allows(tt.typ, tt.major, tt.minor, access(tt.access)); got != tt.want {
				t.Errorf("Allows(%c %d:%d %s) = %v, want %v; filter:\n%s", tt.typ, tt.major, tt.minor, tt.access, got, tt.want, f)
			}
			prog := DeviceProgram(f)
			if got := runDeviceProgram(t, prog, tt.typ, tt.major, tt.minor, access(tt.access)); got != tt.want {
				t.Errorf("program(%c %d:%d %s) = %v, want %v; program:\n%v", tt.typ, tt.major, tt.minor, tt.access, got, tt.want, prog)
			}
		})
	}
}

// TestDeviceProgramMatchesFilter runs every program on every device and
// access made of the numbers its rules name (and their neighbours), and
// compares its answer with the filter's.
func TestDeviceProgramMatchesFilter(t *testing.T) {
	for _, tt := range filterCases {
		t.Run(tt.name, func(t *testing.T) {
			f, err := NewDeviceFilter(tt.rules)
			if err != nil {
				t.Fatal(err)
			}
			prog := DeviceProgram(f)
			numbers := []uint32{0, 1, 2, 3, 4, 5, 7, 8, 9, 16, 136, 200, 254, 4095, 1<<20 - 1}
			for _, r := range tt.rules {
				for _, p := range []*int64{r.Major, r.Minor} {
					if p != nil {
						numbers = append(numbers, uint32(*p), uint32(*p+1))
					}
				}
			}
			checked := 0
			for _, typ := range []byte{'b', 'c'} {
				for _, major := range numbers {
					for _, minor := range numbers {
						for a := DeviceAccess(1); a <= accessAll; a++ {
							want := f.Allows(typ, major, minor, a)
							if got := runDeviceProgram(t, prog, typ, major, minor, a); got != want {
								t.Fatalf("%c %d:%d %s: program says %v, filter %v\nfilter:\n%s\nprogram:\n%v",
									typ, major, minor, a, got, want, f, prog)
							}
							checked++
						}
					}
				}
			}
			if checked == 0 {
				t.Fatal("nothing checked")
			}
		})
	}
}

func TestDeviceProgramSize(t *testing.T) {
	for _, tt := range []struct {
		name  string
		rules []specs.LinuxDeviceCgroup
		want  int // instructions; 0 for no program
	}{
		{"privileged: no program", []specs.LinuxDeviceCgroup{{Allow: true, Access: "rwm"}}, 0},
		{"no rules: no program", nil, 0},
		{"deny all: prologue and default", []specs.LinuxDeviceCgroup{deny("a")}, 6 + 2},
		// c *:* m and b *:* m: type, access (3), return (2); 8 devices:
		// type, major, minor, return (2); c 136:*: type, major, return (2).
		{"container", containerRules, 6 + 2*6 + 8*5 + 4 + 2},
		{"covered exceptions left out",
			[]specs.LinuxDeviceCgroup{deny("a"), allow("c *:* rw"), allow("c 1:3 r"), allow("c 1:* w"), allow("c 1:3 rwm")},
			6 + 6 + 5 + 2},
		{"default allow tests every access",
			[]specs.LinuxDeviceCgroup{deny("b *:* rwm")}, 6 + 6 + 2},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f, err := NewDeviceFilter(tt.rules)
			if err != nil {
				t.Fatal(err)
			}
			if got := len(DeviceProgram(f)); got != tt.want {
				t.Errorf("%d instructions, want %d:\n%v", got, tt.want, DeviceProgram(f))
			}
		})
	}
}

// runDeviceProgram interprets the instructions DeviceProgram emits (32-bit
// loads from the context, 64-bit mov, and, rsh, conditional jumps against
// constants, exit) the way the kernel would run them for a device check,
// and returns whether the program allows the access.
func runDeviceProgram(t *testing.T, insns asm.Instructions, typ byte, major, minor uint32, a DeviceAccess) bool {
	t.Helper()
	if insns == nil {
		return true // no program: nothing is refused
	}
	devType := uint32(bpfDevChar)
	if typ == 'b' {
		devType = bpfDevBlock
	}
	ctx := [3]uint32{uint32(a)<<16 | devType, major, minor}
	var reg [11]uint64
	ctxReg := map[asm.Register]bool{asm.R1: true} // registers holding the context pointer
	set := func(r asm.Register, v uint64) {
		reg[r] = v
		delete(ctxReg, r)
	}
	for pc := 0; pc < len(insns); pc++ {
		ins := insns[pc]
		op := ins.OpCode
		switch {
		case op.Class() == asm.LdXClass && op.Mode() == asm.MemMode && op.Size() == asm.Word:
			if !ctxReg[ins.Src] || ins.Offset%4 != 0 || ins.Offset < 0 || ins.Offset > 8 {
				t.Fatalf("insn %d: %v: load from outside the context", pc, ins)
			}
			set(ins.Dst, uint64(ctx[ins.Offset/4]))
		case op.Class() == asm.ALU64Class:
			src := uint64(ins.Constant)
			if op.Source() == asm.RegSource {
				if ctxReg[ins.Src] {
					t.Fatalf("insn %d: %v: arithmetic on the context pointer", pc, ins)
				}
				src = reg[ins.Src]
			}
			switch op.ALUOp() {
			case asm.Mov:
				set(ins.Dst, src)
			case asm.And:
				set(ins.Dst, reg[ins.Dst]&src)
			case asm.RSh:
				set(ins.Dst, reg[ins.Dst]>>src)
			default:
				t.Fatalf("insn %d: %v: not interpreted", pc, ins)
			}
		case op.Class() == asm.JumpClass && op.JumpOp() == asm.Exit:
			switch reg[asm.R0] {
			case 0:
				return false
			case 1:
				return true
			}
			t.Fatalf("insn %d: returns %d, want 0 or 1", pc, reg[asm.R0])
		case op.Class() == asm.JumpClass && op.Source() == asm.ImmSource:
			var take bool
			switch op.JumpOp() {
			case asm.JEq:
				take = reg[ins.Dst] == uint64(ins.Constant)
			case asm.JNE:
				take = reg[ins.Dst] != uint64(ins.Constant)
			case asm.Ja:
				take = true
			default:
				t.Fatalf("insn %d: %v: not interpreted", pc, ins)
			}
			if ins.Offset <= 0 {
				t.Fatalf("insn %d: %v: jumps backwards or nowhere", pc, ins)
			}
			if take {
				pc += int(ins.Offset)
			}
		default:
			t.Fatalf("insn %d: %v: not interpreted", pc, ins)
		}
	}
	t.Fatal("the program runs off its end")
	return false
}
