package cli

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/geedocker/geedocker/internal/container"
	"github.com/geedocker/geedocker/internal/network"
)

// psFilters are the values of `ps --filter`, by key. As Docker: values of
// one key match when any matches (labels: when all do), keys when all do.
type psFilters map[string][]string

func parsePsFilters(args []string) (psFilters, error) {
	f := psFilters{}
	for _, a := range args {
		k, v, ok := strings.Cut(a, "=")
		if !ok {
			return nil, flagError{fmt.Errorf("bad format of filter (expected name=value): %s", a)}
		}
		k = strings.ToLower(strings.TrimSpace(k))
		bad := flagError{fmt.Errorf("invalid filter '%s=%s'", k, v)}
		switch k {
		case "status":
			switch v {
			case "created", "running", "exited", "restarting", "removing", "paused", "dead":
			default:
				return nil, bad
			}
		case "exited":
			if _, err := strconv.Atoi(v); err != nil {
				return nil, bad
			}
		case "health":
			switch v {
			case "starting", "healthy", "unhealthy", "none":
			default:
				return nil, flagError{fmt.Errorf("Unrecognised filter value for health: %s", v)}
			}
		case "is-task":
			if _, err := strconv.ParseBool(v); err != nil {
				return nil, bad
			}
		case "publish", "expose":
			if _, _, _, err := parsePortFilter(v); err != nil {
				return nil, bad
			}
		case "name", "id", "ancestor", "label", "network", "volume", "before", "since":
		default:
			return nil, flagError{fmt.Errorf("invalid filter '%s'", k)}
		}
		f[k] = append(f[k], v)
	}
	return f, nil
}

// parsePortFilter reads "80", "80/udp", "8000-8080/tcp".
func parsePortFilter(v string) (lo, hi int, proto string, err error) {
	ports, proto, _ := strings.Cut(v, "/")
	if proto == "" {
		proto = "tcp"
	}
	a, b, isRange := strings.Cut(ports, "-")
	lo, err = strconv.Atoi(a)
	if err != nil {
		return 0, 0, "", err
	}
	hi = lo
	if isRange {
		if hi, err = strconv.Atoi(b); err != nil {
			return 0, 0, "", err
		}
	}
	if lo < 1 || hi > 65535 || hi < lo {
		return 0, 0, "", fmt.Errorf("bad port range %s", v)
	}
	return lo, hi, proto, nil
}

// matcher is the predicate of the filters over the containers of list
// (newest first; before= and since= name one of them); netIDs maps network
// names to IDs.
func (f psFilters) matcher(list []*container.Container, netIDs map[string]string) (func(*container.Container) bool, error) {
	var preds []func(*container.Container) bool
	oneOf := func(key string, one func(c *container.Container, v string) bool) {
		vals := f[key]
		if len(vals) == 0 {
			return
		}
		preds = append(preds, func(c *container.Container) bool {
			for _, v := range vals {
				if one(c, v) {
					return true
				}
			}
			return false
		})
	}
	oneOf("status", func(c *container.Container, v string) bool { return c.State.Status == v })
	oneOf("name", func(c *container.Container, v string) bool {
		return strings.Contains(c.Name, strings.TrimPrefix(v, "/"))
	})
	oneOf("id", func(c *container.Container, v string) bool { return strings.HasPrefix(c.ID, v) })
	oneOf("ancestor", func(c *container.Container, v string) bool {
		return c.ImageName == v || strings.HasPrefix(c.Image, v) || strings.HasPrefix(strings.TrimPrefix(c.Image, "sha256:"), v) ||
			familiarOrRaw(c.ImageName) == familiarOrRaw(v)
	})
	oneOf("exited", func(c *container.Container, v string) bool {
		code, _ := strconv.Atoi(v)
		return c.State.Status == container.Exited && c.State.ExitCode == code
	})
	oneOf("health", func(c *container.Container, v string) bool { return c.State.HealthStatus() == v })
	// No container is a swarm task.
	oneOf("is-task", func(_ *container.Container, v string) bool { b, _ := strconv.ParseBool(v); return !b })
	oneOf("network", func(c *container.Container, v string) bool {
		for _, name := range containerNetworks(c) {
			if name == v || netIDs[name] != "" && strings.HasPrefix(netIDs[name], v) {
				return true
			}
		}
		return false
	})
	oneOf("volume", func(c *container.Container, v string) bool {
		// A volume by name or mount point, a bind by source or mount point.
		for _, m := range c.Mounts {
			if m.Name == v || m.Source == v || m.Destination == v {
				return true
			}
		}
		for _, b := range c.HostConfig.Binds {
			parts := strings.Split(b, ":")
			if parts[0] == v || len(parts) > 1 && parts[1] == v {
				return true
			}
		}
		return false
	})
	oneOf("publish", func(c *container.Container, v string) bool { return portsMatch(publishedPorts(c), v) })
	oneOf("expose", func(c *container.Container, v string) bool { return portsMatch(exposedPorts(c), v) })
	for _, v := range f["label"] {
		key, want, hasValue := strings.Cut(v, "=")
		preds = append(preds, func(c *container.Container) bool {
			got, ok := c.Config.Labels[key]
			return ok && (!hasValue || got == want)
		})
	}
	for _, key := range []string{"before", "since"} {
		for _, v := range f[key] {
			ref, err := findContainer(list, v)
			if err != nil {
				return nil, err
			}
			if key == "before" {
				preds = append(preds, func(c *container.Container) bool { return c.Created.Before(ref.Created) })
			} else {
				preds = append(preds, func(c *container.Container) bool { return c.Created.After(ref.Created) })
			}
		}
	}
	return func(c *container.Container) bool {
		for _, p := range preds {
			if !p(c) {
				return false
			}
		}
		return true
	}, nil
}

// findContainer finds a container of list by name, ID or ID prefix.
func findContainer(list []*container.Container, ref string) (*container.Container, error) {
	for _, c := range list {
		if c.Name == strings.TrimPrefix(ref, "/") || c.ID == ref {
			return c, nil
		}
	}
	var found *container.Container
	for _, c := range list {
		if strings.HasPrefix(c.ID, ref) {
			if found != nil {
				return nil, fmt.Errorf("%w: %s", container.ErrAmbiguous, ref)
			}
			found = c
		}
	}
	if found == nil {
		return nil, fmt.Errorf("No such container: %s", ref)
	}
	return found, nil
}

// containerNetworks are the names of the networks a container is on.
func containerNetworks(c *container.Container) []string {
	mode := c.HostConfig.NetworkMode
	if mode == "" || mode == "default" {
		mode = network.DefaultName
	}
	var names []string
	if !strings.HasPrefix(mode, "container:") {
		names = append(names, mode)
	}
	return append(names, c.HostConfig.ExtraNetworks...)
}

// publishedPorts are the container ports of -p (and -P), as "80/tcp".
func publishedPorts(c *container.Container) []string {
	var out []string
	for _, spec := range c.HostConfig.PortBindings {
		ms, err := network.ParsePublish(spec)
		if err != nil {
			continue
		}
		for _, m := range ms {
			out = append(out, fmt.Sprintf("%d/%s", m.ContainerPort, m.Proto))
		}
	}
	if c.HostConfig.PublishAllPorts {
		for p := range c.Config.ExposedPorts {
			out = append(out, p)
		}
	}
	return out
}

// exposedPorts are the image's EXPOSE ports and the published ones.
func exposedPorts(c *container.Container) []string {
	out := publishedPorts(c)
	for p := range c.Config.ExposedPorts {
		if !strings.Contains(p, "/") {
			p += "/tcp"
		}
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

func portsMatch(ports []string, filter string) bool {
	lo, hi, proto, err := parsePortFilter(filter)
	if err != nil {
		return false
	}
	for _, p := range ports {
		n, pr, _ := strings.Cut(p, "/")
		port, err := strconv.Atoi(n)
		if err == nil && pr == proto && port >= lo && port <= hi {
			return true
		}
	}
	return false
}
