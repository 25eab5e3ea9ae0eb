package cli

import (
	"fmt"
	"net"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/geedocker/geedocker/internal/container"
)

// psRow is one line of `ps`, and the object of --format.
type psRow struct {
	Command      string
	CreatedAt    string `header:"CREATED AT"`
	ID           string `header:"CONTAINER ID"`
	Image        string
	Labels       string
	LocalVolumes string `header:"LOCAL VOLUMES"`
	Mounts       string
	Names        string
	Networks     string
	Ports        string
	RunningFor   string `header:"CREATED"`
	Size         string
	State        string
	Status       string

	labels map[string]string
}

// Label is the value of one label: {{.Label "com.example.tier"}}.
func (r psRow) Label(name string) string { return r.labels[name] }

const psTable = "table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}"

func newPsCmd(g *globals, use string) *cobra.Command {
	var all, quiet, latest, noTrunc, size bool
	var last int
	var filters []string
	var format string
	c := &cobra.Command{
		Use:   use + " [OPTIONS]",
		Short: "List containers",
		Args:  exactArgs(0),
		RunE: func(c *cobra.Command, args []string) error {
			f, err := parsePsFilters(filters)
			if err != nil {
				return err
			}
			e, err := g.engine()
			if err != nil {
				return err
			}
			list, err := e.ListContainers()
			if err != nil {
				return err
			}
			nets, err := e.Networks()
			if err != nil {
				return err
			}
			netIDs := map[string]string{}
			for _, n := range nets {
				netIDs[n.Name] = n.ID
			}
			match, err := f.matcher(list, netIDs)
			if err != nil {
				return err
			}
			if latest && last < 0 {
				last = 1
			}
			// As Docker: a status filter or a limit shows every state.
			all = all || last > 0 || len(f["status"]) > 0
			showSize := size || strings.Contains(format, ".Size")
			var rows []psRow
			for _, ct := range list {
				if last > 0 && len(rows) == last {
					break
				}
				if !all && !ct.State.Running || !match(ct) {
					continue
				}
				r := makePsRow(ct, noTrunc)
				if showSize {
					rw, virtual, _ := e.ContainerSize(ct)
					r.Size = fmt.Sprintf("%s (virtual %s)", humanSize(rw), humanSize(virtual))
				}
				rows = append(rows, r)
			}
			switch {
			case quiet:
				format = "{{.ID}}"
			case format == "" && size:
				format = psTable + "\\t{{.Size}}"
			}
			return printFormatted(g.stdout, format, psTable, rows)
		},
	}
	f := c.Flags()
	f.BoolVarP(&all, "all", "a", false, "Show all containers (default shows just running)")
	f.BoolVarP(&quiet, "quiet", "q", false, "Only display container IDs")
	f.BoolVarP(&latest, "latest", "l", false, "Show the latest created container (includes all states)")
	f.IntVarP(&last, "last", "n", -1, "Show n last created containers (includes all states)")
	f.BoolVarP(&size, "size", "s", false, "Display total file sizes")
	f.BoolVar(&noTrunc, "no-trunc", false, "Don't truncate output")
	f.StringArrayVarP(&filters, "filter", "f", nil, "Filter output based on conditions provided")
	f.StringVar(&format, "format", "", formatUsage)
	return c
}

func makePsRow(c *container.Container, noTrunc bool) psRow {
	id := c.ID
	// As Docker: arguments holding a space are single-quoted, the command is
	// cut to 20 columns, and only then quoted.
	parts := []string{c.Path}
	for _, a := range c.Args {
		if strings.Contains(a, " ") {
			a = "'" + a + "'"
		}
		parts = append(parts, a)
	}
	cmd := strings.Join(parts, " ")
	if !noTrunc {
		id = id[:12]
		if r := []rune(cmd); len(r) > 20 {
			cmd = string(r[:19]) + "…"
		}
	}
	cmd = strconv.Quote(cmd)
	return psRow{
		Command: cmd, CreatedAt: c.Created.Local().Format("2006-01-02 15:04:05 -0700 MST"), ID: id,
		Image: c.ImageName, Names: c.Name, RunningFor: ago(c.Created), State: c.State.Status, Ports: portsText(c),
		Status: statusText(c), Labels: labelsText(c.Config.Labels), labels: c.Config.Labels, Networks: strings.Join(containerNetworks(c), ","),
	}
}

// labelsText is the LABELS column: "a=1,b=2".
func labelsText(labels map[string]string) string {
	var kv []string
	for k, v := range labels {
		kv = append(kv, k+"="+v)
	}
	sort.Strings(kv)
	return strings.Join(kv, ",")
}

// statusText is Docker's STATUS column.
func statusText(c *container.Container) string {
	switch {
	case c.State.Running && c.State.Paused:
		return "Up " + humanDuration(time.Since(c.State.StartedAt)) + " (Paused)"
	case c.State.Running:
		return "Up " + humanDuration(time.Since(c.State.StartedAt)) + c.State.HealthSuffix()
	case c.State.Restarting:
		return fmt.Sprintf("Restarting (%d) %s", c.State.ExitCode, ago(c.State.FinishedAt))
	case c.State.Status == container.Exited:
		return fmt.Sprintf("Exited (%d) %s", c.State.ExitCode, ago(c.State.FinishedAt))
	}
	return "Created"
}

// portsText is the PORTS column of a running container: its published
// ports ("0.0.0.0:8080->80/tcp") and the exposed ones no port is published
// for ("5432/tcp").
func portsText(c *container.Container) string {
	if !c.State.Running {
		return ""
	}
	var ports []apiPort
	published := map[string]bool{}
	for _, p := range c.NetworkSettings.Ports {
		ports = append(ports, apiPort{IP: p.HostIP, Private: p.ContainerPort, Public: p.HostPort, Type: p.Proto})
		published[fmt.Sprintf("%d/%s", p.ContainerPort, p.Proto)] = true
	}
	for _, p := range exposedPorts(c) {
		if published[p] {
			continue
		}
		published[p] = true
		n, proto, _ := strings.Cut(p, "/")
		port, err := strconv.ParseUint(n, 10, 16)
		if err == nil {
			ports = append(ports, apiPort{Private: uint16(port), Type: proto})
		}
	}
	return displayablePorts(ports)
}

// apiPort is a port as Docker's API lists it: published when IP is set.
type apiPort struct {
	IP              string
	Private, Public uint16
	Type            string
}

// displayablePorts is Docker's rendering of a port list: sorted, runs of
// consecutive ports grouped ("8000-8002/tcp"), mappings to another host
// port last.
func displayablePorts(ports []apiPort) string {
	sort.Slice(ports, func(i, j int) bool {
		a, b := ports[i], ports[j]
		if a.Private != b.Private {
			return a.Private < b.Private
		}
		if a.IP != b.IP {
			return a.IP < b.IP
		}
		if a.Public != b.Public {
			return a.Public < b.Public
		}
		return a.Type < b.Type
	})
	type group struct{ first, last uint16 }
	groups := map[string]*group{}
	var keys, result, mappings []string
	form := func(key string, g *group) string {
		ports := strconv.Itoa(int(g.first))
		if g.first != g.last {
			ports += "-" + strconv.Itoa(int(g.last))
		}
		ip, typ, ok := strings.Cut(key, "/")
		if !ok {
			return ports + "/" + key
		}
		return net.JoinHostPort(ip, ports) + "->" + ports + "/" + typ
	}
	for _, p := range ports {
		key := p.Type
		if p.IP != "" {
			if p.Public != p.Private {
				mappings = append(mappings, fmt.Sprintf("%s->%d/%s", net.JoinHostPort(p.IP, strconv.Itoa(int(p.Public))), p.Private, p.Type))
				continue
			}
			key = p.IP + "/" + p.Type
		}
		g := groups[key]
		switch {
		case g == nil:
			groups[key] = &group{p.Private, p.Private}
			keys = append(keys, key)
		case p.Private == g.last+1:
			g.last = p.Private
		default:
			result = append(result, form(key, g))
			groups[key] = &group{p.Private, p.Private}
		}
	}
	for _, k := range keys {
		result = append(result, form(k, groups[k]))
	}
	return strings.Join(append(result, mappings...), ", ")
}
