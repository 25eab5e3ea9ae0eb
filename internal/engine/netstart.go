package engine

import (
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/geedocker/geedocker/internal/container"
	"github.com/geedocker/geedocker/internal/dns"
	"github.com/geedocker/geedocker/internal/netns"
	"github.com/geedocker/geedocker/internal/network"
)

// netSetup is what a container's start did to the network; release undoes it.
type netSetup struct {
	nsPath string
}

func (e *Engine) netnsPath(cs *container.Store, id string) string {
	return filepath.Join(cs.RunDir(), "netns", id[:12])
}

// dnsDir is where the DNS records of a store's user networks are kept, and
// its resolver's files (see internal/dns).
func dnsDir(cs *container.Store) string { return filepath.Join(cs.RunDir(), "dns") }

// setupNetwork wires a container about to start: for a bridge network, a
// pinned network namespace with a veth on the bridge, an address, the NAT
// and published ports, /etc/hosts and /etc/resolv.conf, and on user
// networks its names published to the DNS resolver, which then answers at
// 127.0.0.11 inside the namespace. The container's monitor watches the
// resolver while the container runs (monitor.Start.DNSDir). The spec is
// changed to join that namespace.
//
// With pid > 0 the namespace is not made but that of process pid, the init of a container
// with a user namespace of its own, which made it (so that it belongs to that user
// namespace); it is pinned all the same, and the spec is left alone.
func (e *Engine) setupNetwork(cs *container.Store, c *container.Container, s *specs.Spec, pid int) (*netSetup, error) {
	mode := c.HostConfig.NetworkMode
	if other, ok := strings.CutPrefix(mode, "container:"); ok {
		oc, err := e.Container(other)
		if err != nil {
			return nil, err
		}
		rs, ok := cs.ReadRunState(oc.ID)
		if !oc.State.Running || !ok || rs.Pid == 0 {
			return nil, fmt.Errorf("cannot join network of a non running container: %s", other)
		}
		setNetnsPath(s, fmt.Sprintf("/proc/%d/ns/net", rs.Pid))
		return nil, nil
	}
	if !isBridgeMode(mode) {
		return nil, nil
	}
	n, err := e.Network(mode)
	if err != nil {
		return nil, err
	}
	ns := &netSetup{nsPath: e.netnsPath(cs, c.ID)}
	netns.Remove(ns.nsPath) // a leftover of a crash
	if pid > 0 {
		if err := netns.PinProcess(ns.nsPath, pid); err != nil {
			return nil, err
		}
	} else if err := netns.New(ns.nsPath); err != nil {
		return nil, err
	}
	var want netip.Addr
	if c.HostConfig.IPv4Address != "" {
		if want, err = netip.ParseAddr(c.HostConfig.IPv4Address); err != nil {
			return ns, fmt.Errorf("invalid IPv4 address: %s", c.HostConfig.IPv4Address)
		}
	}
	ip, err := e.ipam().Allocate(n, c.ID, want)
	if err != nil {
		return ns, err
	}
	var mac net.HardwareAddr
	if c.Config.MacAddress != "" {
		if mac, err = net.ParseMAC(c.Config.MacAddress); err != nil {
			return ns, fmt.Errorf("%s is not a valid mac address", c.Config.MacAddress)
		}
	}
	ep, err := network.AttachWithMAC(n, ns.nsPath, c.ID, ip, mac)
	if err != nil {
		return ns, err
	}
	var ports []network.PortMapping
	for _, p := range c.HostConfig.PortBindings {
		m, err := network.ParsePublish(p)
		if err != nil {
			return ns, err
		}
		ports = append(ports, m...)
	}
	if c.HostConfig.PublishAllPorts {
		// -P publishes each exposed port that no -p binds already, as Docker.
		bound := map[[2]string]bool{}
		for _, m := range ports {
			bound[[2]string{fmt.Sprint(m.ContainerPort), m.Proto}] = true
		}
		for p := range c.Config.ExposedPorts {
			m, err := network.ParsePublish(p)
			if err != nil {
				continue
			}
			for _, pm := range m {
				if !bound[[2]string{fmt.Sprint(pm.ContainerPort), pm.Proto}] {
					ports = append(ports, pm)
				}
			}
		}
	}
	if len(ports) > 0 {
		if ports, err = network.Publish(c.ID, ip, ports); err != nil {
			return ns, err
		}
	}
	settings := container.NetworkSettings{Networks: map[string]container.Endpoint{
		n.Name: {
			NetworkID: n.ID, IPAddress: ep.IP.String(), IPPrefixLen: ep.Prefix, Gateway: ep.Gateway.String(),
			MacAddress: ep.MAC.String(), Aliases: append([]string{c.ID[:12]}, c.HostConfig.Aliases...), IfName: "eth0",
		},
	}}
	user := n.Name != network.DefaultName
	for i, name := range c.HostConfig.ExtraNetworks {
		en, err := e.Network(name)
		if err != nil {
			return ns, err
		}
		eep, err := e.attachExtra(ns.nsPath, c, en, fmt.Sprintf("eth%d", i+1))
		if err != nil {
			return ns, err
		}
		settings.Networks[en.Name] = eep
		user = user || en.Name != network.DefaultName
	}
	var links []string
	if n.Name == network.DefaultName {
		if links, err = e.linkHosts(c); err != nil {
			return ns, err
		}
	}
	if err := writeNetFiles(cs.Dir(c.ID), c, ip, user, links); err != nil {
		return ns, err
	}
	for name, ep := range settings.Networks {
		if name == network.DefaultName {
			continue
		}
		if err := dns.Publish(dnsDir(cs), name, c.ID, dnsRecord(c, ep, ns.nsPath)); err != nil {
			return ns, err
		}
	}
	if pid == 0 {
		setNetnsPath(s, ns.nsPath)
	}
	for _, p := range ports {
		hip := ""
		if p.HostIP.IsValid() {
			hip = p.HostIP.String()
		} else {
			hip = "0.0.0.0"
		}
		settings.Ports = append(settings.Ports, container.PortBinding{HostIP: hip, HostPort: p.HostPort, ContainerPort: p.ContainerPort, Proto: p.Proto})
	}
	c.NetworkSettings = settings
	e.emitEndpoints(c, "connect")
	return ns, nil
}

func setNetnsPath(s *specs.Spec, path string) {
	for i, ns := range s.Linux.Namespaces {
		if ns.Type == specs.NetworkNamespace {
			s.Linux.Namespaces[i].Path = path
			return
		}
	}
	s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: specs.NetworkNamespace, Path: path})
}

// releaseNetwork undoes setupNetwork; idempotent, and safe for a container
// whose monitor died halfway.
func (e *Engine) releaseNetwork(cs *container.Store, c *container.Container, ns *netSetup) {
	if !isBridgeMode(c.HostConfig.NetworkMode) {
		return
	}
	dns.Forget(dnsDir(cs), c.ID)
	network.Unpublish(c.ID)
	network.Detach(c.ID)
	if n, err := e.readNetwork(c.HostConfig.NetworkMode); err == nil {
		e.ipam().Release(n, c.ID)
	}
	extras := c.HostConfig.ExtraNetworks
	if fresh, err := cs.Get(c.ID); err == nil {
		extras = fresh.HostConfig.ExtraNetworks // connected since it started
	}
	for _, name := range extras {
		e.detachExtra(c.ID, name)
	}
	netns.Remove(e.netnsPath(cs, c.ID))
}

// extraOwner names a container's endpoint on a further network (its veth
// and its address).
func extraOwner(id, network string) string { return "net:" + network + ":" + id }

// attachExtra wires a container's namespace to a further network.
func (e *Engine) attachExtra(nsPath string, c *container.Container, n network.Network, ifname string) (container.Endpoint, error) {
	owner := extraOwner(c.ID, n.Name)
	ip, err := e.ipam().Allocate(n, owner, netip.Addr{})
	if err != nil {
		return container.Endpoint{}, err
	}
	ep, err := network.AttachInterface(n, nsPath, owner, ip, ifname, false)
	if err != nil {
		e.ipam().Release(n, owner)
		return container.Endpoint{}, err
	}
	return container.Endpoint{
		NetworkID: n.ID, IPAddress: ep.IP.String(), IPPrefixLen: ep.Prefix, Gateway: ep.Gateway.String(),
		MacAddress: ep.MAC.String(), Aliases: append([]string{c.ID[:12]}, c.HostConfig.ExtraAliases[n.Name]...), IfName: ifname,
	}, nil
}

// detachExtra undoes attachExtra; idempotent.
func (e *Engine) detachExtra(id, name string) {
	owner := extraOwner(id, name)
	network.Detach(owner)
	if n, err := e.readNetwork(name); err == nil {
		e.ipam().Release(n, owner)
	}
}

// dnsRecord is what the DNS resolver answers for container c on a user
// network, and where it forwards c's other queries: to its --dns servers,
// else to the host's.
func dnsRecord(c *container.Container, ep container.Endpoint, nsPath string) dns.Record {
	r := dns.Record{Netns: nsPath, Names: []string{c.Name}}
	if c.Config.Hostname != "" && c.Config.Hostname != c.Name {
		r.Names = append(r.Names, c.Config.Hostname)
	}
	for _, a := range ep.Aliases {
		if !slices.Contains(r.Names, a) {
			r.Names = append(r.Names, a)
		}
	}
	if ip, err := netip.ParseAddr(ep.IPAddress); err == nil {
		r.Addrs = []netip.Addr{ip}
	}
	if len(c.HostConfig.DNS) > 0 {
		for _, d := range c.HostConfig.DNS {
			r.Upstreams = append(r.Upstreams, net.JoinHostPort(d, "53"))
		}
	} else {
		r.Upstreams = dns.UpstreamsFromResolvConf(readHostResolvConf())
	}
	return r
}

func readHostResolvConf() []byte {
	b, _ := os.ReadFile("/etc/resolv.conf")
	return b
}

// writeNetFiles rewrites the container's /etc/hosts and /etc/resolv.conf for
// its address and network.
func writeNetFiles(dir string, c *container.Container, ip netip.Addr, userNetwork bool, links []string) error {
	hosts := hostsFile(defaultHosts, slices.Concat(c.HostConfig.ExtraHosts, links), ip.String()+"\t"+c.Config.Hostname)
	if err := os.WriteFile(filepath.Join(dir, "hosts"), []byte(hosts), 0o644); err != nil {
		return err
	}
	return writeResolvConf(dir, c, userNetwork)
}

// writeResolvConf rewrites the container's /etc/resolv.conf, in place (it
// is bind-mounted into the running container).
func writeResolvConf(dir string, c *container.Container, userNetwork bool) error {
	rc := resolvConfFor(c.HostConfig, userNetwork, resolvConf)
	return os.WriteFile(filepath.Join(dir, "resolv.conf"), []byte(rc), 0o644)
}

// resolvConfFor is a container's resolv.conf: on a user network the
// resolver at 127.0.0.11 alone, as Docker writes it (it forwards to the
// --dns servers), else the --dns servers or the host's file (host, read
// only then). The --dns-search domains and the --dns-option options
// replace the host's, as Docker's do; on a user network ndots:0 is added
// unless an ndots option was given.
func resolvConfFor(hc container.HostConfig, userNetwork bool, host func() string) string {
	var rc strings.Builder
	switch {
	case userNetwork:
		rc.WriteString("nameserver 127.0.0.11\n")
	case len(hc.DNS) > 0:
		for _, d := range hc.DNS {
			rc.WriteString("nameserver " + d + "\n")
		}
	default:
		for _, line := range strings.SplitAfter(host(), "\n") {
			f := strings.Fields(line)
			replaced := len(f) > 0 && ((f[0] == "search" || f[0] == "domain") && len(hc.DNSSearch) > 0 ||
				f[0] == "options" && len(hc.DNSOptions) > 0)
			if !replaced {
				rc.WriteString(line)
			}
		}
		if s := rc.String(); s != "" && !strings.HasSuffix(s, "\n") {
			rc.WriteString("\n")
		}
	}
	if len(hc.DNSSearch) > 0 {
		rc.WriteString("search " + strings.Join(hc.DNSSearch, " ") + "\n")
	}
	options := hc.DNSOptions
	if userNetwork && !slices.ContainsFunc(options, func(o string) bool { return strings.HasPrefix(o, "ndots:") }) {
		options = append(slices.Clip(options), "ndots:0")
	}
	if len(options) > 0 {
		rc.WriteString("options " + strings.Join(options, " ") + "\n")
	}
	return rc.String()
}

// PortLines are `port`'s lines: "80/tcp -> 0.0.0.0:8080".
func PortLines(c *container.Container) []string {
	var out []string
	for _, p := range c.NetworkSettings.Ports {
		out = append(out, strconv.Itoa(int(p.ContainerPort))+"/"+p.Proto+" -> "+p.HostIP+":"+strconv.Itoa(int(p.HostPort)))
	}
	return out
}
