package cli

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/geedocker/geedocker/internal/volume"
)

func newVolumeCmd(g *globals) *cobra.Command {
	c := &cobra.Command{Use: "volume", Short: "Manage volumes"}

	var labels []string
	var driver string
	var opts []string
	create := &cobra.Command{
		Use:   "create [OPTIONS] [VOLUME]",
		Short: "Create a volume",
		Args:  maxArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			if driver != volume.Driver {
				return flagError{fmt.Errorf("only the local driver is supported, not %q", driver)}
			}
			if len(opts) > 0 {
				return flagError{fmt.Errorf("driver options are not supported: %s", strings.Join(opts, ", "))}
			}
			name := ""
			if len(args) == 1 {
				name = args[0]
			}
			lm := map[string]string{}
			for _, l := range labels {
				k, v, _ := strings.Cut(l, "=")
				lm[k] = v
			}
			e, err := g.engine()
			if err != nil {
				return err
			}
			v, err := e.CreateVolume(name, lm)
			if err != nil {
				return err
			}
			fmt.Fprintln(g.stdout, v.Name)
			return nil
		},
	}
	create.Flags().StringArrayVarP(&labels, "label", "l", nil, "Set metadata for a volume")
	create.Flags().StringVarP(&driver, "driver", "d", volume.Driver, "Specify volume driver name")
	create.Flags().StringArrayVarP(&opts, "opt", "o", nil, "Set driver specific options")

	var quiet bool
	var lsFormat string
	var lsFilters []string
	ls := &cobra.Command{
		Use:     "ls [OPTIONS]",
		Aliases: []string{"list"},
		Short:   "List volumes",
		Args:    exactArgs(0),
		RunE: func(c *cobra.Command, args []string) error {
			f, err := parseVolumeFilters(lsFilters, true)
			if err != nil {
				return err
			}
			e, err := g.engine()
			if err != nil {
				return err
			}
			vs, err := e.Volumes()
			if err != nil {
				return err
			}
			all, err := vs.List()
			if err != nil {
				return err
			}
			users, err := e.VolumeUsers()
			if err != nil {
				return err
			}
			var rows []volumeRow
			for _, v := range all {
				if !f.Match(v, len(users[v.Name])) {
					continue
				}
				rows = append(rows, makeVolumeRow(v, len(users[v.Name])))
			}
			if quiet {
				lsFormat = "{{.Name}}"
			}
			return printFormatted(g.stdout, lsFormat, "table {{.Driver}}\t{{.Name}}", rows)
		},
	}
	ls.Flags().BoolVarP(&quiet, "quiet", "q", false, "Only display volume names")
	ls.Flags().StringVar(&lsFormat, "format", "", formatUsage)
	ls.Flags().StringArrayVarP(&lsFilters, "filter", "f", nil, "Provide filter values (e.g. \"dangling=true\")")

	var format string
	inspect := &cobra.Command{
		Use:   "inspect [OPTIONS] VOLUME [VOLUME...]",
		Short: "Display detailed information on one or more volumes",
		Args:  minArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			e, err := g.engine()
			if err != nil {
				return err
			}
			vs, err := e.Volumes()
			if err != nil {
				return err
			}
			var docs []any
			var errs []error
			for _, name := range args {
				v, err := vs.Get(name)
				if err != nil {
					errs = append(errs, err)
					continue
				}
				docs = append(docs, makeVolumeInspect(v))
			}
			if err := printInspect(g.stdout, format, docs); err != nil {
				return err
			}
			return errors.Join(errs...)
		},
	}
	inspect.Flags().StringVarP(&format, "format", "f", "", "Format output using a Go template")

	var force bool
	rm := &cobra.Command{
		Use:     "rm [OPTIONS] VOLUME [VOLUME...]",
		Aliases: []string{"remove"},
		Short:   "Remove one or more volumes",
		Args:    minArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			e, err := g.engine()
			if err != nil {
				return err
			}
			return forEach(g, args, func(name string) error { return e.RemoveVolume(name, force) })
		},
	}
	rm.Flags().BoolVarP(&force, "force", "f", false, "Force the removal of one or more volumes")

	var pruneAll, pruneForce bool
	var pruneFilters []string
	prune := &cobra.Command{
		Use:   "prune [OPTIONS]",
		Short: "Remove unused local volumes",
		Args:  exactArgs(0),
		RunE: func(c *cobra.Command, args []string) error {
			f, err := parseVolumeFilters(pruneFilters, false)
			if err != nil {
				return err
			}
			e, err := g.engine()
			if err != nil {
				return err
			}
			what := "anonymous local volumes"
			if pruneAll {
				what = "all local volumes"
			}
			if !pruneForce && !confirm(g, "WARNING! This will remove "+what+" not used by at least one container.\nAre you sure you want to continue?") {
				return nil
			}
			names, reclaimed, err := e.PruneVolumes(pruneAll, func(v *volume.Volume) bool { return f.Match(v, 0) })
			if len(names) > 0 {
				fmt.Fprintln(g.stdout, "Deleted Volumes:")
				fmt.Fprintln(g.stdout, strings.Join(names, "\n"))
				fmt.Fprintln(g.stdout)
			}
			fmt.Fprintln(g.stdout, "Total reclaimed space: "+humanSize(reclaimed))
			return err
		},
	}
	prune.Flags().BoolVarP(&pruneForce, "force", "f", false, "Do not prompt for confirmation")
	prune.Flags().BoolVarP(&pruneAll, "all", "a", false, "Remove all unused volumes, not just anonymous ones")
	prune.Flags().StringArrayVar(&pruneFilters, "filter", nil, "Provide filter values (e.g. \"label=<label>\")")

	c.AddCommand(create, ls, inspect, rm, prune)
	return c
}

// parseVolumeFilters reads KEY=VALUE --filter values.
func parseVolumeFilters(args []string, ls bool) (volume.Filters, error) {
	m := map[string][]string{}
	for _, a := range args {
		k, v, ok := strings.Cut(a, "=")
		if !ok {
			return nil, flagError{fmt.Errorf("bad format of filter (expected name=value): %s", a)}
		}
		m[k] = append(m[k], v)
	}
	f, err := volume.ParseFilters(m, !ls)
	if err != nil {
		return nil, flagError{err}
	}
	return f, nil
}

// volumeRow is one line of `volume ls`, and the object of --format.
type volumeRow struct {
	Availability string
	CreatedAt    string `header:"CREATED AT"`
	Driver       string
	Group        string
	Labels       string
	Links        string
	Mountpoint   string
	Name         string `header:"VOLUME NAME"`
	Scope        string
	Size         string
	Status       string
	labels       map[string]string
}

// Label is Docker's {{.Label "key"}}.
func (r volumeRow) Label(k string) string { return r.labels[k] }

func makeVolumeRow(v *volume.Volume, users int) volumeRow {
	var ls []string
	for k, val := range v.Labels {
		ls = append(ls, k+"="+val)
	}
	sort.Strings(ls)
	return volumeRow{
		Availability: "N/A", CreatedAt: v.CreatedAt.Local().Format("2006-01-02 15:04:05 -0700 MST"),
		Driver: v.Driver, Group: "N/A", Labels: strings.Join(ls, ","), Links: strconv.Itoa(users),
		Mountpoint: v.Mountpoint, Name: v.Name, Scope: v.Scope, Size: "N/A", Status: "N/A", labels: v.Labels,
	}
}

// volumeInspect is Docker's inspect document of a volume.
type volumeInspect struct {
	CreatedAt  string            `json:"CreatedAt"`
	Driver     string            `json:"Driver"`
	Labels     map[string]string `json:"Labels"`
	Mountpoint string            `json:"Mountpoint"`
	Name       string            `json:"Name"`
	Options    map[string]string `json:"Options"`
	Scope      string            `json:"Scope"`
}

func makeVolumeInspect(v *volume.Volume) volumeInspect {
	return volumeInspect{
		CreatedAt: v.CreatedAt.Local().Format(time.RFC3339), Driver: v.Driver, Labels: v.Labels,
		Mountpoint: v.Mountpoint, Name: v.Name, Options: v.Options, Scope: v.Scope,
	}
}
