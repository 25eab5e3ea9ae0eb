package dns

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"net/netip"
	"strings"
	"sync"
	"time"

	"golang.org/x/net/dns/dnsmessage"
)

// Addr is where a container's DNS server listens inside its network
// namespace, as Docker's does.
const Addr = "127.0.0.11:53"

// Limits of the DNS server.
const (
	dnsTTL            = 600 // seconds, Docker's TTL for container names
	dnsForwardTimeout = 4 * time.Second
	dnsTCPIdle        = 10 * time.Second
	dnsMaxInFlight    = 128 // queries answered at once; more UDP queries are dropped
)

// Server answers the DNS queries of one container: A queries for names
// that lookup knows (container names and aliases on the container's
// networks) are answered from it, asked anew for every query so that
// containers started later resolve; every other query is forwarded to the
// upstream resolvers, or answered NXDOMAIN when there are none. It serves
// UDP and TCP.
type Server struct {
	lookup   func(name string) []netip.Addr
	upstream []string
	// dial opens a connection to an upstream resolver; on Linux it does so
	// from the container's network namespace.
	dial func(ctx context.Context, network, addr string) (net.Conn, error)

	udp net.PacketConn
	tcp net.Listener

	ctx      context.Context
	cancel   context.CancelFunc
	inFlight chan struct{}
	wg       sync.WaitGroup
	onClose  func()
	closed   sync.Once
}

// NewServer wraps bound sockets into a server, not yet serving; it
// forwards from the calling process's network namespace (Listen makes one
// that forwards from the container's).
func NewServer(udp net.PacketConn, tcp net.Listener, lookup func(string) []netip.Addr, upstream []string) *Server {
	ctx, cancel := context.WithCancel(context.Background())
	if lookup == nil {
		lookup = func(string) []netip.Addr { return nil }
	}
	var ups []string
	for _, u := range upstream {
		if _, _, err := net.SplitHostPort(u); err != nil {
			u = net.JoinHostPort(u, "53")
		}
		ups = append(ups, u)
	}
	return &Server{
		lookup: lookup, upstream: ups,
		dial: (&net.Dialer{}).DialContext,
		udp:  udp, tcp: tcp,
		ctx: ctx, cancel: cancel,
		inFlight: make(chan struct{}, dnsMaxInFlight),
	}
}

// Addr returns the UDP address the server listens on.
func (d *Server) Addr() net.Addr { return d.udp.LocalAddr() }

// Serve answers queries until ctx is done or Close is called, then closes
// the sockets and waits for the queries in flight.
func (d *Server) Serve(ctx context.Context) error {
	stop := context.AfterFunc(ctx, func() { d.Close() })
	defer stop()
	d.wg.Add(2)
	go d.serveUDP()
	go d.serveTCP()
	<-d.ctx.Done()
	d.wg.Wait()
	return nil
}

// Close stops the server; Serve returns once the queries in flight are done.
func (d *Server) Close() error {
	d.closed.Do(func() {
		d.cancel()
		d.udp.Close()
		d.tcp.Close()
		if d.onClose != nil {
			d.onClose()
		}
	})
	return nil
}

func (d *Server) serveUDP() {
	defer d.wg.Done()
	buf := make([]byte, 65535)
	for {
		n, from, err := d.udp.ReadFrom(buf)
		if err != nil {
			if d.ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		select {
		case d.inFlight <- struct{}{}:
		default:
			continue // overloaded: the client will retry
		}
		query := bytes.Clone(buf[:n])
		d.wg.Add(1)
		go func() {
			defer func() { <-d.inFlight; d.wg.Done() }()
			if reply := d.handle(query, "udp"); reply != nil {
				d.udp.WriteTo(reply, from)
			}
		}()
	}
}

func (d *Server) serveTCP() {
	defer d.wg.Done()
	for {
		c, err := d.tcp.Accept()
		if err != nil {
			if d.ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		select {
		case d.inFlight <- struct{}{}:
		default:
			c.Close()
			continue
		}
		d.wg.Add(1)
		go func() {
			defer func() { <-d.inFlight; d.wg.Done() }()
			d.serveTCPConn(c)
		}()
	}
}

// serveTCPConn answers length-prefixed queries on c until it goes idle.
func (d *Server) serveTCPConn(c net.Conn) {
	defer c.Close()
	stop := context.AfterFunc(d.ctx, func() { c.Close() })
	defer stop()
	r := bufio.NewReader(c)
	for {
		c.SetDeadline(time.Now().Add(dnsTCPIdle))
		query, err := readTCPMessage(r)
		if err != nil {
			return
		}
		reply := d.handle(query, "tcp")
		if reply == nil {
			return
		}
		if err := writeTCPMessage(c, reply); err != nil {
			return
		}
	}
}

func readTCPMessage(r io.Reader) ([]byte, error) {
	var n uint16
	if err := binary.Read(r, binary.BigEndian, &n); err != nil {
		return nil, err
	}
	msg := make([]byte, n)
	_, err := io.ReadFull(r, msg)
	return msg, err
}

func writeTCPMessage(w io.Writer, msg []byte) error {
	_, err := w.Write(append(binary.BigEndian.AppendUint16(nil, uint16(len(msg))), msg...))
	return err
}

// handle returns the reply to one query, nil for none (not a query, or
// not even a header).
func (d *Server) handle(query []byte, network string) []byte {
	reply, forward := d.answer(query)
	if !forward {
		return reply
	}
	reply, err := d.forward(query, network)
	if err != nil {
		return errorReply(query, dnsmessage.RCodeServerFailure)
	}
	return reply
}

// answer answers query from lookup, or says it is to be forwarded.
func (d *Server) answer(query []byte) (reply []byte, forward bool) {
	var p dnsmessage.Parser
	h, err := p.Start(query)
	if err != nil || h.Response {
		return nil, false
	}
	if h.OpCode != 0 {
		return errorReply(query, dnsmessage.RCodeNotImplemented), false
	}
	q, err := p.Question()
	if err != nil {
		return errorReply(query, dnsmessage.RCodeFormatError), false
	}
	var addrs []netip.Addr
	if q.Class == dnsmessage.ClassINET {
		addrs = d.lookup(strings.ToLower(strings.TrimSuffix(q.Name.String(), ".")))
	}
	if len(addrs) == 0 {
		if len(d.upstream) > 0 {
			return nil, true
		}
		return errorReply(query, dnsmessage.RCodeNameError), false
	}

	// A name we know: its addresses of the asked type, maybe none.
	b := dnsmessage.NewBuilder(nil, replyHeader(h, dnsmessage.RCodeSuccess))
	b.EnableCompression()
	b.StartQuestions()
	b.Question(q)
	b.StartAnswers()
	rh := dnsmessage.ResourceHeader{Name: q.Name, Class: dnsmessage.ClassINET, TTL: dnsTTL}
	for _, a := range addrs {
		switch {
		case q.Type == dnsmessage.TypeA && a.Unmap().Is4():
			b.AResource(rh, dnsmessage.AResource{A: a.Unmap().As4()})
		case q.Type == dnsmessage.TypeAAAA && a.Is6() && !a.Is4In6():
			b.AAAAResource(rh, dnsmessage.AAAAResource{AAAA: a.As16()})
		}
	}
	msg, err := b.Finish()
	if err != nil {
		return errorReply(query, dnsmessage.RCodeServerFailure), false
	}
	return msg, false
}

func replyHeader(q dnsmessage.Header, rcode dnsmessage.RCode) dnsmessage.Header {
	return dnsmessage.Header{
		ID: q.ID, Response: true, OpCode: q.OpCode,
		RecursionDesired: q.RecursionDesired, RecursionAvailable: true,
		RCode: rcode,
	}
}

// errorReply answers query with rcode and its first question, nil when
// query has no header.
func errorReply(query []byte, rcode dnsmessage.RCode) []byte {
	var p dnsmessage.Parser
	h, err := p.Start(query)
	if err != nil {
		return nil
	}
	b := dnsmessage.NewBuilder(nil, replyHeader(h, rcode))
	if q, err := p.Question(); err == nil {
		b.StartQuestions()
		b.Question(q)
	}
	msg, err := b.Finish()
	if err != nil {
		return nil
	}
	return msg
}

// forward asks the upstream resolvers in turn, over the query's protocol,
// and returns the first reply.
func (d *Server) forward(query []byte, network string) ([]byte, error) {
	var errs []error
	for _, up := range d.upstream {
		reply, err := d.ask(up, network, query)
		if err == nil {
			return reply, nil
		}
		errs = append(errs, err)
	}
	return nil, errors.Join(errs...)
}

func (d *Server) ask(upstream, network string, query []byte) ([]byte, error) {
	ctx, cancel := context.WithTimeout(d.ctx, dnsForwardTimeout)
	defer cancel()
	c, err := d.dial(ctx, network, upstream)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	stop := context.AfterFunc(ctx, func() { c.Close() })
	defer stop()
	if network == "tcp" {
		if err := writeTCPMessage(c, query); err != nil {
			return nil, err
		}
		return readTCPMessage(bufio.NewReader(c))
	}
	if _, err := c.Write(query); err != nil {
		return nil, err
	}
	buf := make([]byte, 65535)
	for {
		n, err := c.Read(buf)
		if err != nil {
			return nil, err
		}
		// A reply to another query (a late one) is skipped.
		if n >= 2 && buf[0] == query[0] && buf[1] == query[1] {
			return bytes.Clone(buf[:n]), nil
		}
	}
}

// UpstreamsFromResolvConf returns the nameservers of a resolv.conf, as
// host:53, without the loopback ones: those answer only in the host's
// namespace, and queries are forwarded from the container's.
func UpstreamsFromResolvConf(data []byte) []string {
	var out []string
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 || f[0] != "nameserver" {
			continue
		}
		a, err := netip.ParseAddr(f[1])
		if err != nil || a.Unmap().IsLoopback() {
			continue
		}
		out = append(out, net.JoinHostPort(a.String(), "53"))
	}
	return out
}
