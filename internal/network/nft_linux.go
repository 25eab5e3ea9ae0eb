package network

import (
	"fmt"
	"strings"

	"github.com/google/nftables"
	"github.com/google/nftables/binaryutil"
	"github.com/google/nftables/expr"
	"github.com/google/nftables/userdata"
	"golang.org/x/sys/unix"
)

// ipsDstNAT is IPS_DST_NAT of the conntrack status bits.
const ipsDstNAT = 0x20

// exprs translates a rule description into nftables expressions, the ones
// nft itself would generate for the text of r.String().
func exprs(r rule) []expr.Any {
	var out []expr.Any
	ipv4 := false
	needIPv4 := func() {
		if !ipv4 {
			out = append(out,
				&expr.Meta{Key: expr.MetaKeyNFPROTO, Register: 1},
				&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: []byte{unix.NFPROTO_IPV4}})
			ipv4 = true
		}
	}
	for _, m := range r.matches {
		op := expr.CmpOpEq
		if m.not {
			op = expr.CmpOpNeq
		}
		switch m.kind {
		case matchIIF, matchOIF:
			key := expr.MetaKeyIIFNAME
			if m.kind == matchOIF {
				key = expr.MetaKeyOIFNAME
			}
			out = append(out,
				&expr.Meta{Key: key, Register: 1},
				&expr.Cmp{Op: op, Register: 1, Data: ifname(m.name)})
		case matchSaddr, matchDaddr:
			needIPv4()
			offset := uint32(12)
			if m.kind == matchDaddr {
				offset = 16
			}
			out = append(out, &expr.Payload{DestRegister: 1, Base: expr.PayloadBaseNetworkHeader, Offset: offset, Len: 4})
			if m.prefix.Bits() < 32 {
				out = append(out, &expr.Bitwise{SourceRegister: 1, DestRegister: 1, Len: 4,
					Mask: prefixMask(m.prefix.Bits()), Xor: []byte{0, 0, 0, 0}})
			}
			a := m.prefix.Masked().Addr().As4()
			out = append(out, &expr.Cmp{Op: op, Register: 1, Data: a[:]})
		case matchDaddrLocal:
			needIPv4()
			out = append(out,
				&expr.Fib{Register: 1, FlagDADDR: true, ResultADDRTYPE: true},
				&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: binaryutil.NativeEndian.PutUint32(unix.RTN_LOCAL)})
		case matchDport:
			proto := byte(unix.IPPROTO_TCP)
			if m.proto == "udp" {
				proto = unix.IPPROTO_UDP
			}
			out = append(out,
				&expr.Meta{Key: expr.MetaKeyL4PROTO, Register: 1},
				&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: []byte{proto}},
				&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseTransportHeader, Offset: 2, Len: 2},
				&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: binaryutil.BigEndian.PutUint16(m.port)})
		case matchCtState:
			out = append(out,
				&expr.Ct{Register: 1, Key: expr.CtKeySTATE},
				&expr.Bitwise{SourceRegister: 1, DestRegister: 1, Len: 4,
					Mask: binaryutil.NativeEndian.PutUint32(expr.CtStateBitESTABLISHED | expr.CtStateBitRELATED),
					Xor:  []byte{0, 0, 0, 0}},
				&expr.Cmp{Op: expr.CmpOpNeq, Register: 1, Data: []byte{0, 0, 0, 0}})
		case matchCtDNAT:
			out = append(out,
				&expr.Ct{Register: 1, Key: expr.CtKeySTATUS},
				&expr.Bitwise{SourceRegister: 1, DestRegister: 1, Len: 4,
					Mask: binaryutil.NativeEndian.PutUint32(ipsDstNAT), Xor: []byte{0, 0, 0, 0}},
				&expr.Cmp{Op: expr.CmpOpNeq, Register: 1, Data: []byte{0, 0, 0, 0}})
		}
	}
	switch r.verdict {
	case verdictAccept:
		out = append(out, &expr.Verdict{Kind: expr.VerdictAccept})
	case verdictDrop:
		out = append(out, &expr.Verdict{Kind: expr.VerdictDrop})
	case verdictMasquerade:
		out = append(out, &expr.Masq{})
	case verdictDNAT:
		needIPv4()
		a := r.to.Addr().As4()
		out = append(out,
			&expr.Immediate{Register: 1, Data: a[:]},
			&expr.Immediate{Register: 2, Data: binaryutil.BigEndian.PutUint16(r.to.Port())},
			&expr.NAT{Type: expr.NATTypeDestNAT, Family: unix.NFPROTO_IPV4, RegAddrMin: 1, RegProtoMin: 2, Specified: true})
	}
	return out
}

// ifname pads an interface name the way the kernel compares it; a name
// ending in * is a prefix, compared on its own length.
func ifname(name string) []byte {
	if prefix, ok := strings.CutSuffix(name, "*"); ok {
		return []byte(prefix)
	}
	b := make([]byte, unix.IFNAMSIZ)
	copy(b, name)
	return b
}

func prefixMask(bits int) []byte {
	m := uint32(0xffffffff) << (32 - bits)
	if bits == 0 {
		m = 0
	}
	return binaryutil.BigEndian.PutUint32(m)
}

// chainSpec is how each chain of the table is hooked.
func chainSpec(t *nftables.Table, name string) *nftables.Chain {
	c := &nftables.Chain{Table: t, Name: name, Policy: policyAccept()}
	switch name {
	case chainGuard:
		c.Type, c.Hooknum, c.Priority = nftables.ChainTypeFilter, nftables.ChainHookPrerouting, nftables.ChainPriorityRaw
	case chainPrerouting:
		c.Type, c.Hooknum, c.Priority = nftables.ChainTypeNAT, nftables.ChainHookPrerouting, nftables.ChainPriorityNATDest
	case chainOutput:
		c.Type, c.Hooknum, c.Priority = nftables.ChainTypeNAT, nftables.ChainHookOutput, nftables.ChainPriorityNATDest
	case chainPostrouting:
		c.Type, c.Hooknum, c.Priority = nftables.ChainTypeNAT, nftables.ChainHookPostrouting, nftables.ChainPriorityNATSource
	case chainIsolate:
		c.Type, c.Hooknum, c.Priority = nftables.ChainTypeFilter, nftables.ChainHookForward, nftables.ChainPriorityRef(-10)
	case chainForward:
		c.Type, c.Hooknum, c.Priority = nftables.ChainTypeFilter, nftables.ChainHookForward, nftables.ChainPriorityFilter
	}
	return c
}

func policyAccept() *nftables.ChainPolicy {
	p := nftables.ChainPolicyAccept
	return &p
}

// firewall is a netlink connection to nftables in the namespace of the
// thread that opened it, and GeeDocker's table there.
type firewall struct {
	conn  *nftables.Conn
	table *nftables.Table
}

// installed is a rule found in the table, with its comment.
type installed struct {
	rule    *nftables.Rule
	comment string
}

// openFirewall connects to nftables in the calling thread's network
// namespace.
func openFirewall() (*firewall, error) {
	c, err := nftables.New(nftables.AsLasting())
	if err != nil {
		return nil, fmt.Errorf("connecting to nftables: %w", err)
	}
	return &firewall{conn: c, table: &nftables.Table{Name: tableName, Family: nftables.TableFamilyINet}}, nil
}

func (f *firewall) close() { f.conn.CloseLasting() }

// list returns the rules of the table, in chain order, and how many of
// its chains exist (0: no table; len(chainNames): complete).
func (f *firewall) list() (rules []installed, chains int, err error) {
	all, err := f.conn.ListChainsOfTableFamily(nftables.TableFamilyINet)
	if err != nil {
		return nil, 0, fmt.Errorf("listing nftables chains: %w", err)
	}
	exists := map[string]bool{}
	for _, c := range all {
		if c.Table.Name == tableName {
			exists[c.Name] = true
		}
	}
	for _, name := range chainNames {
		if !exists[name] {
			continue
		}
		chains++
		got, err := f.conn.GetRules(f.table, &nftables.Chain{Name: name, Table: f.table})
		if err != nil {
			return nil, 0, fmt.Errorf("listing nftables chain %s %s: %w", tableName, name, err)
		}
		for _, r := range got {
			c, _ := userdata.GetString(r.UserData, userdata.TypeComment)
			rules = append(rules, installed{rule: r, comment: c})
		}
	}
	return rules, chains, nil
}

// queueTable queues the creation of the table and its chains; both are
// no-ops for what exists.
func (f *firewall) queueTable() {
	f.conn.AddTable(f.table)
	for _, name := range chainNames {
		f.conn.AddChain(chainSpec(f.table, name))
	}
}

// queueAdd queues rules to be appended to their chains.
func (f *firewall) queueAdd(rules []rule) {
	for _, r := range rules {
		f.conn.AddRule(&nftables.Rule{
			Table:    f.table,
			Chain:    &nftables.Chain{Name: r.chain, Table: f.table},
			Exprs:    exprs(r),
			UserData: userdata.AppendString(nil, userdata.TypeComment, r.comment),
		})
	}
}

// queueDelete queues the deletion of installed rules.
func (f *firewall) queueDelete(rules []installed) error {
	for _, r := range rules {
		if err := f.conn.DelRule(r.rule); err != nil {
			return fmt.Errorf("deleting nftables rule %q: %w", r.comment, err)
		}
	}
	return nil
}

// queueDeleteTable queues the deletion of the whole table.
func (f *firewall) queueDeleteTable() { f.conn.DelTable(f.table) }

// commit sends the queued changes as one transaction: all or nothing.
func (f *firewall) commit(what string) error {
	if err := f.conn.Flush(); err != nil {
		return fmt.Errorf("%s: nftables: %w", what, err)
	}
	return nil
}
