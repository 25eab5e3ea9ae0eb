package engine

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/geedocker/geedocker/internal/container"
	"github.com/geedocker/geedocker/internal/dns"
	"github.com/geedocker/geedocker/internal/errdefs"
	"github.com/geedocker/geedocker/internal/events"
	"github.com/geedocker/geedocker/internal/network"
	"github.com/geedocker/geedocker/internal/spec"
)

// Networks are kept as <root>/networks/<name>.json; IP allocations under
// <root>/networks/ipam. The default "bridge" network is made on first use.

// ErrNoSuchNetwork is returned for an unknown network.
var ErrNoSuchNetwork = errdefs.NotFound(errors.New("network not found"))

func (e *Engine) networksDir() string { return filepath.Join(e.Store.Root(), "networks") }

func (e *Engine) ipam() *network.IPAM {
	return &network.IPAM{Dir: filepath.Join(e.networksDir(), "ipam")}
}

// Networks lists the networks, the default one first.
func (e *Engine) Networks() ([]network.Network, error) {
	if _, err := e.Network(network.DefaultName); err != nil {
		return nil, err
	}
	des, err := os.ReadDir(e.networksDir())
	if err != nil {
		return nil, err
	}
	var out []network.Network
	for _, d := range des {
		name, ok := strings.CutSuffix(d.Name(), ".json")
		if !ok {
			continue
		}
		if n, err := e.readNetwork(name); err == nil {
			out = append(out, n)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		return out[i].Name == network.DefaultName || out[j].Name != network.DefaultName && out[i].Name < out[j].Name
	})
	return out, nil
}

func (e *Engine) readNetwork(name string) (network.Network, error) {
	var n network.Network
	// A name is a file of the networks directory, never a path: a reference such as
	// "../volumes/v/_data/x" (a file a container wrote) must not read a file elsewhere.
	if name == "" || name == "." || name == ".." || strings.ContainsAny(name, "/\\\x00") {
		return n, fmt.Errorf("%w: %s", ErrNoSuchNetwork, name)
	}
	b, err := os.ReadFile(filepath.Join(e.networksDir(), name+".json"))
	if err != nil {
		return n, fmt.Errorf("%w: %s", ErrNoSuchNetwork, name)
	}
	return n, json.Unmarshal(b, &n)
}

// Network finds a network by name or ID prefix; "bridge" is created when
// missing.
func (e *Engine) Network(ref string) (network.Network, error) {
	if n, err := e.readNetwork(ref); err == nil {
		return n, nil
	}
	if ref == network.DefaultName {
		n, err := e.createNetwork(network.DefaultName, "", "", false, nil)
		if err != nil {
			if existing, rerr := e.readNetwork(ref); rerr == nil {
				return existing, nil
			}
		}
		return n, err
	}
	des, _ := os.ReadDir(e.networksDir())
	for _, d := range des {
		name, ok := strings.CutSuffix(d.Name(), ".json")
		if !ok {
			continue
		}
		if n, err := e.readNetwork(name); err == nil && len(ref) >= 3 && strings.HasPrefix(n.ID, ref) {
			return n, nil
		}
	}
	return network.Network{}, fmt.Errorf("%w: %s", ErrNoSuchNetwork, ref)
}

// CreateNetwork makes a bridge network; subnet and gateway are optional.
func (e *Engine) CreateNetwork(name, subnet, gateway string, internal bool) (network.Network, error) {
	return e.CreateLabeledNetwork(name, subnet, gateway, internal, nil)
}

// CreateLabeledNetwork is CreateNetwork with the network's labels (--label).
// The predefined networks (bridge, host, none) are Docker's own, never made
// by a user.
func (e *Engine) CreateLabeledNetwork(name, subnet, gateway string, internal bool, labels map[string]string) (network.Network, error) {
	if network.IsPredefined(name) {
		return network.Network{}, errdefs.Forbidden(fmt.Errorf("operation is not permitted on predefined %s network", name))
	}
	return e.createNetwork(name, subnet, gateway, internal, labels)
}

// createNetwork makes a bridge network: a user's, or the default one on
// first use.
func (e *Engine) createNetwork(name, subnet, gateway string, internal bool, labels map[string]string) (network.Network, error) {
	if err := os.MkdirAll(e.networksDir(), 0o700); err != nil {
		return network.Network{}, err
	}
	if name == "" || strings.ContainsAny(name, "/\\. ") && name != network.DefaultName {
		return network.Network{}, errdefs.InvalidArgument(fmt.Errorf("invalid network name %q", name))
	}
	if _, err := e.readNetwork(name); err == nil {
		return network.Network{}, errdefs.Conflict(fmt.Errorf("network with name %s already exists", name))
	}
	var used []netip.Prefix
	if des, err := os.ReadDir(e.networksDir()); err == nil {
		for _, d := range des {
			if n, err := e.readNetwork(strings.TrimSuffix(d.Name(), ".json")); err == nil {
				used = append(used, n.Subnet)
			}
		}
	}
	var prefix netip.Prefix
	if subnet != "" {
		p, err := netip.ParsePrefix(subnet)
		if err != nil {
			return network.Network{}, errdefs.InvalidArgument(fmt.Errorf("invalid subnet %s: %w", subnet, err))
		}
		prefix = p.Masked()
		for _, u := range used {
			if u.Overlaps(prefix) {
				return network.Network{}, errdefs.InvalidArgument(errors.New("invalid pool request: Pool overlaps with other one on this address space"))
			}
		}
	} else {
		routes, err := network.HostRoutes()
		if err != nil {
			return network.Network{}, err
		}
		if name == network.DefaultName {
			prefix, err = network.DefaultSubnet(routes, used)
		} else {
			prefix, err = network.NextSubnet(routes, used)
		}
		if err != nil {
			return network.Network{}, err
		}
	}
	id := make([]byte, 32)
	rand.Read(id)
	n, err := network.NewNetwork(name, hex.EncodeToString(id), prefix, internal)
	if err != nil {
		return n, err
	}
	if gateway != "" {
		gw, err := netip.ParseAddr(gateway)
		if err != nil || !prefix.Contains(gw) {
			return n, errdefs.InvalidArgument(fmt.Errorf("invalid gateway %s for subnet %s", gateway, prefix))
		}
		n.Gateway = gw
	}
	if len(labels) > 0 {
		n.Labels = labels
	}
	if err := n.Validate(); err != nil {
		return n, err
	}
	b, _ := json.MarshalIndent(n, "", "  ")
	path := filepath.Join(e.networksDir(), name+".json")
	// Written whole to a temp file, then linked into place: link fails when
	// the name exists, so two creators never both win and no reader ever
	// sees a half-written file.
	tmp, err := os.CreateTemp(e.networksDir(), ".tmp-"+name+"-")
	if err != nil {
		return n, err
	}
	defer os.Remove(tmp.Name())
	_, err = tmp.Write(b)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return n, err
	}
	if err := os.Link(tmp.Name(), path); err != nil {
		if errors.Is(err, os.ErrExist) {
			if name == network.DefaultName {
				return e.readNetwork(name) // made meanwhile by another command
			}
			return n, errdefs.Conflict(fmt.Errorf("network with name %s already exists", name))
		}
		return n, err
	}
	if n.Name != network.DefaultName { // made on first use, as dockerd's at its start
		e.emitNetwork(n, "create", "")
	}
	return n, nil
}

// NetworkUsers lists the containers attached to a network.
func (e *Engine) NetworkUsers(n network.Network) ([]*container.Container, error) {
	all, err := e.ListContainers()
	if err != nil {
		return nil, err
	}
	var users []*container.Container
	for _, c := range all {
		if c.HostConfig.NetworkMode == n.Name || c.HostConfig.NetworkMode == n.ID || slices.Contains(c.HostConfig.ExtraNetworks, n.Name) {
			users = append(users, c)
		}
	}
	return users, nil
}

// PredefinedNetworkUsers lists the running containers of host or none (as
// Docker's, whose endpoints on them exist while a container runs).
func (e *Engine) PredefinedNetworkUsers(p network.Predefined) []*container.Container {
	all, err := e.ListContainers()
	if err != nil {
		return nil
	}
	var users []*container.Container
	for _, c := range all {
		if c.State.Running && c.HostConfig.NetworkMode == p.Name {
			users = append(users, c)
		}
	}
	return users
}

// RemoveNetwork deletes a network no container uses. The predefined ones
// (bridge, host, none) are never removed.
func (e *Engine) RemoveNetwork(ref string) error {
	if p, ok := network.LookupPredefined(ref); ok {
		return errPredefined(p.Name)
	}
	if ref == network.DefaultName {
		return errPredefined(ref)
	}
	n, err := e.Network(ref)
	if err != nil {
		return err
	}
	if n.Name == network.DefaultName {
		return errPredefined(n.Name)
	}
	users, err := e.NetworkUsers(n)
	if err != nil {
		return err
	}
	if len(users) > 0 {
		return errdefs.Conflict(fmt.Errorf("error while removing network: network %s id %s has active endpoints", n.Name, n.ID))
	}
	if err := network.RemoveBridge(n); err != nil {
		return err
	}
	e.ipam().Remove(n)
	if err := os.Remove(filepath.Join(e.networksDir(), n.Name+".json")); err != nil {
		return err
	}
	e.emitNetwork(n, "destroy", "")
	return nil
}

// errPredefined is Docker's refusal to remove a predefined network.
func errPredefined(name string) error {
	return errdefs.Forbidden(fmt.Errorf("%s is a pre-defined network and cannot be removed", name))
}

// PruneNetworks removes the user networks no container uses.
func (e *Engine) PruneNetworks() ([]string, error) {
	return e.PruneNetworksFiltered(PruneFilter{})
}

// PruneNetworksFiltered is PruneNetworks for the networks f matches (networks have no
// labels here, and their creation time is not kept).
func (e *Engine) PruneNetworksFiltered(f PruneFilter) ([]string, error) {
	all, err := e.Networks()
	if err != nil {
		return nil, err
	}
	var removed []string
	for _, n := range all {
		if n.Name == network.DefaultName || !f.Match(time.Time{}, nil) {
			continue
		}
		if err := e.RemoveNetwork(n.Name); err == nil {
			removed = append(removed, n.Name)
		}
	}
	e.Emit(events.Network, "prune", "", map[string]string{"reclaimed": "0"})
	return removed, nil
}

// isBridgeMode tells whether a network mode names a bridge network.
func isBridgeMode(mode string) bool {
	return mode != "none" && mode != "host" && !strings.HasPrefix(mode, "container:")
}

// checkNetworkOptions refuses, before anything is created, network options
// that cannot work: an unknown network, ports or --ip without a bridge
// network, bad -p, --add-host or --dns values.
func (e *Engine) checkNetworkOptions(mode string, o RunOptions) error {
	if isBridgeMode(mode) {
		n, err := e.Network(mode)
		if err != nil {
			return err
		}
		if o.IP != "" {
			ip, err := netip.ParseAddr(o.IP)
			if err != nil {
				return fmt.Errorf("invalid IPv4 address: %s", o.IP)
			}
			if n.Name == network.DefaultName {
				return fmt.Errorf("user specified IP address is supported on user defined networks only")
			}
			if !n.Subnet.Contains(ip) {
				return fmt.Errorf("invalid IP address %s: not in the subnet %s of network %s", o.IP, n.Subnet, n.Name)
			}
		}
		if len(o.Aliases) > 0 && n.Name == network.DefaultName {
			return fmt.Errorf("network-scoped alias is supported only for containers in user defined networks")
		}
	} else if len(o.Publish) > 0 || o.PublishAll || o.IP != "" {
		if len(o.Publish) > 0 || o.PublishAll {
			return fmt.Errorf("published ports need a bridge network, not --network %s", mode)
		}
		return fmt.Errorf("--ip needs a user-defined network, not --network %s", mode)
	}
	for _, p := range o.Publish {
		if _, err := network.ParsePublish(p); err != nil {
			return err
		}
	}
	return nil
}

// checkNames validates every name and address that goes into the container's /etc files
// (--hostname, --add-host, --dns, --dns-search, --dns-option, --network-alias), before any pull, and puts them in the form written there.
// The CLI checks them as it parses its flags; a library caller gets the same words.
func checkNames(o *RunOptions) error {
	check := func(flag string, vals []string, fn func(string) (string, error)) ([]string, error) {
		var out []string
		for _, v := range vals {
			n, err := fn(v)
			if err != nil {
				return nil, fmt.Errorf("invalid argument %q for \"--%s\" flag: %w", v, flag, err)
			}
			out = append(out, n)
		}
		return out, nil
	}
	if o.Spec.Hostname != "" {
		if err := spec.ValidateHostname(o.Spec.Hostname); err != nil {
			return err
		}
	}
	var err error
	if o.ExtraHosts, err = check("add-host", o.ExtraHosts, spec.ValidateExtraHost); err != nil {
		return err
	}
	if o.DNS, err = check("dns", o.DNS, spec.ValidateIPAddress); err != nil {
		return err
	}
	if o.DNSOptions, err = check("dns-option", o.DNSOptions, spec.ValidateDNSOption); err != nil {
		return err
	}
	if o.DNSSearch, err = check("dns-search", o.DNSSearch, spec.ValidateDNSSearch); err != nil {
		return err
	}
	_, err = check("network-alias", o.Aliases, func(a string) (string, error) { return a, spec.ValidateAlias(a) })
	return err
}

// ConnectNetwork joins a container to a further network: at once when it
// runs (as eth1, eth2 …), and at every start.
func (e *Engine) ConnectNetwork(netRef, ref string) error {
	return e.ConnectNetworkAliases(netRef, ref, nil)
}

// ConnectNetworkAliases is ConnectNetwork with the container's aliases on
// that network (--alias), which its DNS answers there.
func (e *Engine) ConnectNetworkAliases(netRef, ref string, aliases []string) error {
	n, err := e.Network(netRef)
	if err != nil {
		return err
	}
	c, err := e.Container(ref)
	if err != nil {
		return err
	}
	// The short ID is every endpoint's alias already (docker-compose names it too).
	aliases = slices.DeleteFunc(slices.Clone(aliases), func(a string) bool { return a == c.ID[:12] })
	if len(aliases) > 0 && n.Name == network.DefaultName {
		return errdefs.InvalidArgument(errors.New("network-scoped alias is supported only for containers in user defined networks"))
	}
	for _, a := range aliases {
		if err := spec.ValidateAlias(a); err != nil {
			return errdefs.InvalidArgument(err)
		}
	}
	if len(aliases) > 0 {
		// Seen by attachExtra below, and kept for every start.
		c.HostConfig.ExtraAliases = maps.Clone(c.HostConfig.ExtraAliases)
		if c.HostConfig.ExtraAliases == nil {
			c.HostConfig.ExtraAliases = map[string][]string{}
		}
		c.HostConfig.ExtraAliases[n.Name] = aliases
	}
	if !isBridgeMode(c.HostConfig.NetworkMode) {
		return errdefs.InvalidArgument(fmt.Errorf("container %s uses --network %s: it cannot be connected to another network", ref, c.HostConfig.NetworkMode))
	}
	if c.HostConfig.NetworkMode == n.Name || slices.Contains(c.HostConfig.ExtraNetworks, n.Name) {
		return errdefs.Conflict(fmt.Errorf("endpoint with name %s already exists in network %s", c.Name, n.Name))
	}
	cs, err := e.Containers()
	if err != nil {
		return err
	}
	var ep container.Endpoint
	if c.State.Running {
		used := map[string]bool{}
		for _, x := range c.NetworkSettings.Networks {
			used[x.IfName] = true
		}
		used["eth0"] = true
		ifname := ""
		for i := 1; ifname == "" || used[ifname]; i++ {
			ifname = fmt.Sprintf("eth%d", i)
		}
		if ep, err = e.attachExtra(e.netnsPath(cs, c.ID), c, n, ifname); err != nil {
			return err
		}
	}
	updated, err := cs.Update(c.ID, func(c *container.Container) error {
		c.HostConfig.ExtraNetworks = append(c.HostConfig.ExtraNetworks, n.Name)
		if len(aliases) > 0 {
			if c.HostConfig.ExtraAliases == nil {
				c.HostConfig.ExtraAliases = map[string][]string{}
			}
			c.HostConfig.ExtraAliases[n.Name] = aliases
		}
		if ep.IPAddress != "" {
			if c.NetworkSettings.Networks == nil {
				c.NetworkSettings.Networks = map[string]container.Endpoint{}
			}
			c.NetworkSettings.Networks[n.Name] = ep
		}
		return nil
	})
	if err != nil && ep.IPAddress != "" {
		e.detachExtra(c.ID, n.Name)
	}
	if err == nil {
		e.emitNetwork(n, "connect", c.ID)
	}
	if err != nil || ep.IPAddress == "" || n.Name == network.DefaultName {
		return err
	}
	// Running, on a user network now: its names there, and the resolver as
	// its nameserver (a container of the default network had the host's).
	if err := dns.Publish(dnsDir(cs), n.Name, c.ID, dnsRecord(updated, ep, e.netnsPath(cs, c.ID))); err != nil {
		return err
	}
	return writeResolvConf(cs.Dir(c.ID), updated, true)
}

// onUserNetwork tells whether c is on a user network, by --network or by
// network connect.
func onUserNetwork(c *container.Container) bool {
	if !isBridgeMode(c.HostConfig.NetworkMode) {
		return false
	}
	if c.HostConfig.NetworkMode != network.DefaultName {
		return true
	}
	return slices.ContainsFunc(c.HostConfig.ExtraNetworks, func(n string) bool { return n != network.DefaultName })
}

// DisconnectNetwork takes a container off a network it was connected to.
func (e *Engine) DisconnectNetwork(netRef, ref string) error {
	n, err := e.Network(netRef)
	if err != nil {
		return err
	}
	c, err := e.Container(ref)
	if err != nil {
		return err
	}
	if c.HostConfig.NetworkMode == n.Name {
		return fmt.Errorf("container %s is on network %s by --network: only networks joined with network connect can be disconnected", ref, n.Name)
	}
	if !slices.Contains(c.HostConfig.ExtraNetworks, n.Name) {
		return fmt.Errorf("container %s is not connected to network %s", ref, n.Name)
	}
	e.detachExtra(c.ID, n.Name)
	e.emitNetwork(n, "disconnect", c.ID)
	cs, err := e.Containers()
	if err != nil {
		return err
	}
	updated, err := cs.Update(c.ID, func(c *container.Container) error {
		c.HostConfig.ExtraNetworks = slices.DeleteFunc(c.HostConfig.ExtraNetworks, func(s string) bool { return s == n.Name })
		delete(c.HostConfig.ExtraAliases, n.Name)
		delete(c.NetworkSettings.Networks, n.Name)
		return nil
	})
	if err != nil {
		return err
	}
	if err := dns.Unpublish(dnsDir(cs), n.Name, c.ID); err != nil {
		return err
	}
	if updated.State.Running && !onUserNetwork(updated) {
		return writeResolvConf(cs.Dir(c.ID), updated, false)
	}
	return nil
}
