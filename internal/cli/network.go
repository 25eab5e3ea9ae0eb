package cli

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/geedocker/geedocker/internal/engine"
	"github.com/geedocker/geedocker/internal/network"
)

func newNetworkCmd(g *globals) *cobra.Command {
	c := &cobra.Command{Use: "network", Short: "Manage networks"}
	var subnet, gateway, driver string
	var internal bool
	var labels []string
	create := &cobra.Command{
		Use:   "create [OPTIONS] NETWORK",
		Short: "Create a network",
		Args:  exactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			if driver != "bridge" {
				return flagError{fmt.Errorf("only the bridge driver is supported, not %q", driver)}
			}
			e, err := g.engine()
			if err != nil {
				return err
			}
			lm := map[string]string{}
			for _, l := range labels {
				k, v, _ := strings.Cut(l, "=")
				lm[k] = v
			}
			n, err := e.CreateLabeledNetwork(args[0], subnet, gateway, internal, lm)
			if err != nil {
				return err
			}
			fmt.Fprintln(g.stdout, n.ID)
			return nil
		},
	}
	create.Flags().StringVar(&subnet, "subnet", "", "Subnet in CIDR format")
	create.Flags().StringVar(&gateway, "gateway", "", "IPv4 gateway for the subnet")
	create.Flags().StringVarP(&driver, "driver", "d", "bridge", "Driver to manage the Network")
	create.Flags().BoolVar(&internal, "internal", false, "Restrict external access to the network")
	create.Flags().StringArrayVar(&labels, "label", nil, "Set metadata on a network")

	var quiet, noTrunc bool
	var lsFormat string
	var lsFilters []string
	ls := &cobra.Command{
		Use:     "ls [OPTIONS]",
		Aliases: []string{"list"},
		Short:   "List networks",
		Args:    exactArgs(0),
		RunE: func(c *cobra.Command, args []string) error {
			e, err := g.engine()
			if err != nil {
				return err
			}
			nf, err := parseNetworkFilters(lsFilters)
			if err != nil {
				return err
			}
			all, err := e.Networks()
			if err != nil {
				return err
			}
			var rows []networkRow
			add := func(r networkRow, fullID string) {
				if nf.match(r, fullID) {
					rows = append(rows, r)
				}
			}
			for _, n := range all {
				id := n.ID
				if !noTrunc {
					id = id[:12]
				}
				add(networkRow{ID: id, Name: n.Name, Driver: "bridge", Scope: "local", IPv6: "false", Internal: fmt.Sprint(n.Internal)}, n.ID)
			}
			for _, p := range network.PredefinedNetworks() {
				id := p.ID
				if !noTrunc {
					id = id[:12]
				}
				add(networkRow{ID: id, Name: p.Name, Driver: p.Driver, Scope: "local", IPv6: "false", Internal: "false"}, p.ID)
			}
			if quiet {
				lsFormat = "{{.ID}}"
			}
			return printFormatted(g.stdout, lsFormat, "table {{.ID}}\t{{.Name}}\t{{.Driver}}\t{{.Scope}}", rows)
		},
	}
	ls.Flags().BoolVarP(&quiet, "quiet", "q", false, "Only display network IDs")
	ls.Flags().StringArrayVarP(&lsFilters, "filter", "f", nil, "Provide filter values (e.g. \"driver=bridge\")")
	ls.Flags().BoolVar(&noTrunc, "no-trunc", false, "Do not truncate the output")
	ls.Flags().StringVar(&lsFormat, "format", "", formatUsage)

	var format string
	inspect := &cobra.Command{
		Use:   "inspect [OPTIONS] NETWORK [NETWORK...]",
		Short: "Display detailed information on one or more networks",
		Args:  minArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			e, err := g.engine()
			if err != nil {
				return err
			}
			var docs []any
			var errs []error
			for _, ref := range args {
				n, err := e.Network(ref)
				if p, ok := network.LookupPredefined(ref); err != nil && ok {
					docs = append(docs, predefinedInspect(e, p))
					continue
				}
				if err != nil {
					errs = append(errs, err)
					continue
				}
				docs = append(docs, networkInspect(e, n))
			}
			if err := printInspect(g.stdout, format, docs); err != nil {
				return err
			}
			return errors.Join(errs...)
		},
	}
	inspect.Flags().StringVarP(&format, "format", "f", "", "Format output using a Go template")

	rm := &cobra.Command{
		Use:     "rm NETWORK [NETWORK...]",
		Aliases: []string{"remove"},
		Short:   "Remove one or more networks",
		Args:    minArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			e, err := g.engine()
			if err != nil {
				return err
			}
			return forEach(g, args, e.RemoveNetwork)
		},
	}
	prune := &cobra.Command{
		Use:   "prune [OPTIONS]",
		Short: "Remove all unused networks",
		Args:  exactArgs(0),
		RunE: func(c *cobra.Command, args []string) error {
			e, err := g.engine()
			if err != nil {
				return err
			}
			if force, _ := c.Flags().GetBool("force"); !force &&
				!confirm(g, "WARNING! This will remove all custom networks not used by at least one container.\nAre you sure you want to continue?") {
				return nil
			}
			names, err := e.PruneNetworks()
			if len(names) > 0 {
				fmt.Fprintln(g.stdout, "Deleted Networks:")
				fmt.Fprintln(g.stdout, strings.Join(names, "\n"))
			}
			return err
		},
	}
	prune.Flags().BoolP("force", "f", false, "Do not prompt for confirmation")
	var aliases []string
	connect := &cobra.Command{
		Use:   "connect [OPTIONS] NETWORK CONTAINER",
		Short: "Connect a container to a network",
		Args:  exactArgs(2),
		RunE: func(c *cobra.Command, args []string) error {
			e, err := g.engine()
			if err != nil {
				return err
			}
			return e.ConnectNetworkAliases(args[0], args[1], aliases)
		},
	}
	connect.Flags().StringArrayVar(&aliases, "alias", nil, "Add network-scoped alias for the container")
	disconnect := &cobra.Command{
		Use:   "disconnect NETWORK CONTAINER",
		Short: "Disconnect a container from a network",
		Args:  exactArgs(2),
		RunE: func(c *cobra.Command, args []string) error {
			e, err := g.engine()
			if err != nil {
				return err
			}
			return e.DisconnectNetwork(args[0], args[1])
		},
	}
	c.AddCommand(create, ls, inspect, rm, prune, connect, disconnect)
	return c
}

// networkRow is one line of `network ls`, and the object of --format.
type networkRow struct {
	CreatedAt string `header:"CREATED AT"`
	Driver    string
	ID        string `header:"NETWORK ID"`
	IPv6      string
	Internal  string
	Labels    string
	Name      string
	Scope     string
}

// networkResource is Docker's inspect document of a network.
type networkResource struct {
	Name       string                      `json:"Name"`
	ID         string                      `json:"Id"`
	Scope      string                      `json:"Scope"`
	Driver     string                      `json:"Driver"`
	EnableIPv6 bool                        `json:"EnableIPv6"`
	IPAM       networkIPAM                 `json:"IPAM"`
	Internal   bool                        `json:"Internal"`
	Containers map[string]networkContainer `json:"Containers"`
	Options    map[string]string           `json:"Options"`
	Labels     map[string]string           `json:"Labels"`
}

type networkIPAM struct {
	Driver string              `json:"Driver"`
	Config []map[string]string `json:"Config"`
}

type networkContainer struct {
	Name        string `json:"Name"`
	MacAddress  string `json:"MacAddress"`
	IPv4Address string `json:"IPv4Address"`
}

func networkInspect(e *engine.Engine, n network.Network) networkResource {
	containers := map[string]networkContainer{}
	if users, err := e.NetworkUsers(n); err == nil {
		for _, c := range users {
			ep, ok := c.NetworkSettings.Networks[n.Name]
			if !ok {
				continue
			}
			containers[c.ID] = networkContainer{
				Name: c.Name, MacAddress: ep.MacAddress, IPv4Address: fmt.Sprintf("%s/%d", ep.IPAddress, ep.IPPrefixLen),
			}
		}
	}
	return networkResource{
		Name: n.Name, ID: n.ID, Scope: "local", Driver: "bridge", Internal: n.Internal,
		IPAM:       networkIPAM{Driver: "default", Config: []map[string]string{{"Subnet": n.Subnet.String(), "Gateway": n.Gateway.String()}}},
		Containers: containers,
		Options:    map[string]string{"com.docker.network.bridge.name": n.Bridge},
		Labels:     labelsOrEmpty(n.Labels),
	}
}

// predefinedInspect is Docker's inspect document of host or none: no
// addresses, and the running containers that use it.
func predefinedInspect(e *engine.Engine, p network.Predefined) networkResource {
	containers := map[string]networkContainer{}
	for _, c := range e.PredefinedNetworkUsers(p) {
		containers[c.ID] = networkContainer{Name: c.Name}
	}
	return networkResource{
		Name: p.Name, ID: p.ID, Scope: "local", Driver: p.Driver,
		IPAM: networkIPAM{Driver: "default"}, Containers: containers,
		Options: map[string]string{}, Labels: map[string]string{},
	}
}

func newPortCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "port CONTAINER [PRIVATE_PORT[/PROTO]]",
		Short: "List port mappings or a specific mapping for the container",
		Args:  rangeArgs(1, 2),
		RunE: func(c *cobra.Command, args []string) error {
			e, err := g.engine()
			if err != nil {
				return err
			}
			ct, err := e.Container(args[0])
			if err != nil {
				return err
			}
			found := false
			for _, line := range engine.PortLines(ct) {
				if len(args) == 2 {
					want := args[1]
					if !strings.Contains(want, "/") {
						want += "/tcp"
					}
					if !strings.HasPrefix(line, want+" ") {
						continue
					}
					line = strings.SplitN(line, " -> ", 2)[1]
				}
				found = true
				fmt.Fprintln(g.stdout, line)
			}
			if len(args) == 2 && !found {
				return fmt.Errorf("No public port '%s' published for %s", args[1], args[0])
			}
			return nil
		},
	}
}

// labelsOrEmpty is labels, or an empty map (inspect shows {}, not null).
func labelsOrEmpty(labels map[string]string) map[string]string {
	if labels == nil {
		return map[string]string{}
	}
	return labels
}
