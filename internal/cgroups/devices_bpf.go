package cgroups

import (
	"github.com/cilium/ebpf/asm"
)

// Device types as a BPF_PROG_TYPE_CGROUP_DEVICE program sees them in the
// low 16 bits of bpf_cgroup_dev_ctx.access_type (BPF_DEVCG_DEV_*); the high
// 16 bits hold the DeviceAccess bits asked for.
const (
	bpfDevBlock = 1
	bpfDevChar  = 2
)

// Registers of the device program after its prologue.
const (
	regType   = asm.R2
	regAccess = asm.R3
	regMajor  = asm.R4
	regMinor  = asm.R5
	regTmp    = asm.R1 // the context pointer is not needed after the prologue
)

// DeviceProgram compiles the filter into the instructions of a cgroup device
// program (BPF_PROG_TYPE_CGROUP_DEVICE) that returns 1 (allow) or 0 (deny)
// exactly as [DeviceFilter.Allows] answers. It returns nil when the filter
// allows everything: then no program is needed.
//
// The program loads the context, then tests the exceptions one by one; the
// first that matches decides, against the default, which ends the program.
// Exceptions covered by another are left out, and so are comparisons with a
// wildcard number and, where the default is deny, with a full "rwm" access.
func DeviceProgram(f DeviceFilter) asm.Instructions {
	if f.AllowsAll() {
		return nil
	}
	insns := asm.Instructions{
		asm.LoadMem(regType, asm.R1, 0, asm.Word), // access_type
		asm.Mov.Reg(regAccess, regType),
		asm.RSh.Imm(regAccess, 16),
		asm.And.Imm(regType, 0xffff),
		asm.LoadMem(regMajor, asm.R1, 4, asm.Word),
		asm.LoadMem(regMinor, asm.R1, 8, asm.Word),
	}
	verdict := int32(1) // what a matching exception answers
	if f.DefaultAllow {
		verdict = 0
	}
	for _, e := range f.minimal() {
		insns = append(insns, exceptionBlock(e, f.DefaultAllow, verdict)...)
	}
	return append(insns,
		asm.Mov.Imm(asm.R0, 1-verdict),
		asm.Return(),
	)
}

// exceptionBlock is the test of one exception: each condition jumps past the
// block when it fails; when all hold, the block returns verdict.
func exceptionBlock(e DeviceException, defaultAllow bool, verdict int32) asm.Instructions {
	typ := int32(bpfDevChar)
	if e.Type == 'b' {
		typ = bpfDevBlock
	}
	// Each condition is a list of instructions whose last one jumps to the
	// end of the block, with its offset filled in below.
	conds := []asm.Instructions{{jumpIf(asm.JNE, regType, typ)}}
	if e.Major != wildcard {
		conds = append(conds, asm.Instructions{jumpIf(asm.JNE, regMajor, int32(e.Major))})
	}
	if e.Minor != wildcard {
		conds = append(conds, asm.Instructions{jumpIf(asm.JNE, regMinor, int32(e.Minor))})
	}
	switch {
	case defaultAllow:
		// Denied when any bit asked for is one of the exception's.
		conds = append(conds, asm.Instructions{
			asm.Mov.Reg(regTmp, regAccess),
			asm.And.Imm(regTmp, int32(e.Access)),
			jumpIf(asm.JEq, regTmp, 0),
		})
	case e.Access != accessAll:
		// Allowed when every bit asked for is one of the exception's.
		conds = append(conds, asm.Instructions{
			asm.Mov.Reg(regTmp, regAccess),
			asm.And.Imm(regTmp, int32(accessAll&^e.Access)),
			jumpIf(asm.JNE, regTmp, 0),
		})
	}
	var block asm.Instructions
	for _, c := range conds {
		block = append(block, c...)
	}
	block = append(block, asm.Mov.Imm(asm.R0, verdict), asm.Return())
	for i := range block {
		if op := block[i].OpCode.JumpOp(); op == asm.JNE || op == asm.JEq {
			block[i].Offset = int16(len(block) - i - 1) // past the block
		}
	}
	return block
}

// jumpIf compares the 64-bit register with the constant; the caller sets
// the offset of the jump.
func jumpIf(op asm.JumpOp, reg asm.Register, value int32) asm.Instruction {
	return asm.Instruction{OpCode: op.Op(asm.ImmSource), Dst: reg, Constant: int64(value)}
}
