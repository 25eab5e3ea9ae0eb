package engine

import (
	"errors"
	"fmt"
	"maps"
	"net"
	"path"
	"strings"
	"unicode"

	"github.com/geedocker/geedocker/internal/container"
	"github.com/geedocker/geedocker/internal/errdefs"
	"github.com/geedocker/geedocker/internal/network"
)

// mergeExposedPorts is Config.ExposedPorts as Docker makes it: the image's, the --expose ones and
// the container side of every -p; nil when there is none.
func mergeExposedPorts(image map[string]struct{}, expose, publish []string) (map[string]struct{}, error) {
	out := maps.Clone(image)
	add := func(p string) {
		if out == nil {
			out = map[string]struct{}{}
		}
		out[p] = struct{}{}
	}
	for _, p := range expose {
		port, proto, ok := strings.Cut(p, "/")
		if !ok || port == "" || (proto != "tcp" && proto != "udp") {
			return nil, errdefs.InvalidArgument(fmt.Errorf("invalid exposed port %q: want PORT/tcp or PORT/udp", p))
		}
		add(p)
	}
	for _, p := range publish {
		ms, err := network.ParsePublish(p)
		if err != nil {
			continue // refused with its own message when the container starts
		}
		for _, m := range ms {
			add(fmt.Sprintf("%d/%s", m.ContainerPort, m.Proto))
		}
	}
	return out, nil
}

// checkMacAddress validates --mac-address in Docker's words: a unicast EUI-48 address, on a
// network of the container's own.
func checkMacAddress(mac, netMode string) (string, error) {
	if mac == "" {
		return "", nil
	}
	hw, err := net.ParseMAC(mac)
	if err != nil || len(hw) != 6 {
		return "", errdefs.InvalidArgument(fmt.Errorf("%s is not a valid mac address", mac))
	}
	if hw[0]&1 == 1 {
		return "", errdefs.InvalidArgument(fmt.Errorf("%s is a multicast mac address: a container needs a unicast one", mac))
	}
	if !isBridgeMode(netMode) {
		return "", errdefs.InvalidArgument(errors.New("conflicting options: mac-address and the network mode"))
	}
	return hw.String(), nil
}

// links turns --link values (NAME[:ALIAS]) into HostConfig.Links as Docker records them,
// "/NAME:/SELF/ALIAS", once the linked containers are found. Links need the default bridge.
func (e *Engine) links(values []string, self, netMode string) ([]string, error) {
	if len(values) == 0 {
		return nil, nil
	}
	if netMode == "host" {
		return nil, errdefs.InvalidArgument(errors.New("conflicting options: host type networking can't be used with links. This would result in undefined behavior"))
	}
	if strings.HasPrefix(netMode, "container:") {
		return nil, errdefs.InvalidArgument(errors.New("conflicting options: container type network can't be used with links. This would result in undefined behavior"))
	}
	var out []string
	for _, v := range values {
		name, alias, ok := strings.Cut(v, ":")
		if !ok {
			alias = name
		}
		name, alias = strings.TrimPrefix(name, "/"), strings.TrimPrefix(alias, "/")
		// The alias becomes a name of a line of the container's /etc/hosts: a space, a
		// newline or another control character would add names or lines of its own.
		if name == "" || alias == "" || strings.Contains(alias, ":") || strings.ContainsFunc(alias, badHostsRune) {
			return nil, errdefs.InvalidArgument(fmt.Errorf("bad format for links: %s", v))
		}
		c, err := e.Container(name)
		if err != nil {
			if errdefs.IsNotFound(err) {
				return nil, errdefs.InvalidArgument(fmt.Errorf("could not get container for %s: %w", name, err))
			}
			return nil, err
		}
		out = append(out, "/"+c.Name+":/"+self+"/"+alias)
	}
	return out, nil
}

func badHostsRune(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }

// linkHosts are the /etc/hosts entries of a container's links on the default bridge, in the
// form of --add-host values ("NAMES:IP"): each linked container's address with its alias, its
// host name and its name (when not the alias), as Docker writes them. A linked container that
// is not running is Docker's error.
func (e *Engine) linkHosts(c *container.Container) ([]string, error) {
	var out []string
	for _, l := range c.HostConfig.Links {
		child, aliasPath, _ := strings.Cut(l, ":")
		other, err := e.Container(strings.TrimPrefix(child, "/"))
		if err != nil {
			return nil, fmt.Errorf("could not get container for %s: %w", strings.TrimPrefix(child, "/"), err)
		}
		if !other.State.Running {
			return nil, errdefs.Conflict(fmt.Errorf("Cannot link to a non running container: /%s AS %s", other.Name, aliasPath))
		}
		alias := path.Base(aliasPath)
		names := alias + " " + other.Config.Hostname
		if alias != other.Name {
			names += " " + other.Name
		}
		ep, ok := other.NetworkSettings.Networks[network.DefaultName]
		if !ok || ep.IPAddress == "" {
			continue // not on the default bridge: no address to give, as with Docker
		}
		out = append(out, names+":"+ep.IPAddress)
	}
	return out, nil
}
