// Package dnstest asks DNS servers questions, for tests: one query over
// UDP or TCP, the reply's code and addresses.
package dnstest

import (
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"net/netip"
	"strings"
	"time"

	"golang.org/x/net/dns/dnsmessage"
)

// Query sends one query for name and typ to server (host:port) over network
// ("udp" or "tcp") and returns the reply's code and addresses (A and AAAA
// answers).
func Query(network, server, name string, typ dnsmessage.Type) (dnsmessage.RCode, []netip.Addr, error) {
	const id = 4242
	q, err := Build(id, name, typ)
	if err != nil {
		return 0, nil, err
	}
	c, err := net.DialTimeout(network, server, 5*time.Second)
	if err != nil {
		return 0, nil, err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	var reply []byte
	if network == "tcp" {
		if _, err := c.Write(append(binary.BigEndian.AppendUint16(nil, uint16(len(q))), q...)); err != nil {
			return 0, nil, err
		}
		var n uint16
		if err := binary.Read(c, binary.BigEndian, &n); err != nil {
			return 0, nil, err
		}
		reply = make([]byte, n)
		if _, err := io.ReadFull(c, reply); err != nil {
			return 0, nil, err
		}
	} else {
		if _, err := c.Write(q); err != nil {
			return 0, nil, err
		}
		buf := make([]byte, 65535)
		n, err := c.Read(buf)
		if err != nil {
			return 0, nil, err
		}
		reply = buf[:n]
	}
	return Parse(reply, id)
}

// Build makes a query with one question, recursion desired; name is made
// absolute (a dot appended) when it is not.
func Build(id uint16, name string, typ dnsmessage.Type) ([]byte, error) {
	if !strings.HasSuffix(name, ".") {
		name += "."
	}
	n, err := dnsmessage.NewName(name)
	if err != nil {
		return nil, err
	}
	b := dnsmessage.NewBuilder(nil, dnsmessage.Header{ID: id, RecursionDesired: true})
	b.StartQuestions()
	b.Question(dnsmessage.Question{Name: n, Type: typ, Class: dnsmessage.ClassINET})
	return b.Finish()
}

// Parse reads a reply to query id: its code and its A and AAAA answers.
func Parse(reply []byte, id uint16) (dnsmessage.RCode, []netip.Addr, error) {
	var p dnsmessage.Parser
	h, err := p.Start(reply)
	if err != nil {
		return 0, nil, err
	}
	if h.ID != id || !h.Response {
		return 0, nil, fmt.Errorf("reply has ID %d response %v", h.ID, h.Response)
	}
	if err := p.SkipAllQuestions(); err != nil {
		return 0, nil, err
	}
	var addrs []netip.Addr
	for {
		r, err := p.Answer()
		if err == dnsmessage.ErrSectionDone {
			break
		}
		if err != nil {
			return 0, nil, err
		}
		switch b := r.Body.(type) {
		case *dnsmessage.AResource:
			addrs = append(addrs, netip.AddrFrom4(b.A))
		case *dnsmessage.AAAAResource:
			addrs = append(addrs, netip.AddrFrom16(b.AAAA))
		}
	}
	return h.RCode, addrs, nil
}
