package cli

import (
	"fmt"
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
}

const psTable = "table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}"

func newPsCmd(g *globals, use string) *cobra.Command {
	var all, quiet, latest, noTrunc bool
	var filters []string
	var format string
	c := &cobra.Command{
		Use:   use + " [OPTIONS]",
		Short: "List containers",
		Args:  exactArgs(0),
		RunE: func(c *cobra.Command, args []string) error {
			match, err := psFilter(filters)
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
			if latest && len(list) > 0 {
				list = list[:1]
				all = true
			}
			var rows []psRow
			for _, ct := range list {
				if !all && !ct.State.Running && len(filters) == 0 {
					continue
				}
				if !match(ct) {
					continue
				}
				rows = append(rows, makePsRow(ct, noTrunc))
			}
			if quiet {
				for _, r := range rows {
					fmt.Fprintln(g.stdout, r.ID)
				}
				return nil
			}
			return printFormatted(g.stdout, format, psTable, rows)
		},
	}
	f := c.Flags()
	f.BoolVarP(&all, "all", "a", false, "Show all containers (default shows just running)")
	f.BoolVarP(&quiet, "quiet", "q", false, "Only display container IDs")
	f.BoolVarP(&latest, "latest", "l", false, "Show the latest created container (includes all states)")
	f.BoolVar(&noTrunc, "no-trunc", false, "Don't truncate output")
	f.StringArrayVarP(&filters, "filter", "f", nil, "Filter output based on conditions provided (status=, name=, ancestor=, id=)")
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
		Status: statusText(c), Labels: "", Mounts: "", Networks: c.HostConfig.NetworkMode, Size: "0B",
	}
}

// statusText is Docker's STATUS column.
func statusText(c *container.Container) string {
	switch {
	case c.State.Running:
		return "Up " + humanDuration(time.Since(c.State.StartedAt))
	case c.State.Restarting:
		return fmt.Sprintf("Restarting (%d) %s", c.State.ExitCode, ago(c.State.FinishedAt))
	case c.State.Status == container.Exited:
		return fmt.Sprintf("Exited (%d) %s", c.State.ExitCode, ago(c.State.FinishedAt))
	}
	return "Created"
}

func psFilter(filters []string) (func(*container.Container) bool, error) {
	var preds []func(*container.Container) bool
	for _, f := range filters {
		k, v, ok := strings.Cut(f, "=")
		if !ok {
			return nil, flagError{fmt.Errorf("bad format of filter (expected name=value): %s", f)}
		}
		switch k {
		case "status":
			switch v {
			case "created", "running", "exited", "restarting", "removing", "paused", "dead":
			default:
				return nil, flagError{fmt.Errorf("invalid filter 'status=%s'", v)}
			}
			preds = append(preds, func(c *container.Container) bool { return c.State.Status == v })
		case "name":
			preds = append(preds, func(c *container.Container) bool { return strings.Contains(c.Name, strings.TrimPrefix(v, "/")) })
		case "id":
			preds = append(preds, func(c *container.Container) bool { return strings.HasPrefix(c.ID, v) })
		case "ancestor":
			preds = append(preds, func(c *container.Container) bool {
				return c.ImageName == v || strings.HasPrefix(c.Image, v) || strings.HasPrefix(strings.TrimPrefix(c.Image, "sha256:"), v) ||
					familiarOrRaw(c.ImageName) == familiarOrRaw(v)
			})
		case "exited":
			code, err := strconv.Atoi(v)
			if err != nil {
				return nil, flagError{fmt.Errorf("invalid filter 'exited=%s'", v)}
			}
			preds = append(preds, func(c *container.Container) bool {
				return c.State.Status == container.Exited && c.State.ExitCode == code
			})
		default:
			return nil, flagError{fmt.Errorf("invalid filter '%s'", k)}
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

// portsText is the PORTS column: "0.0.0.0:8080->80/tcp".
func portsText(c *container.Container) string {
	var parts []string
	for _, p := range c.NetworkSettings.Ports {
		parts = append(parts, fmt.Sprintf("%s:%d->%d/%s", p.HostIP, p.HostPort, p.ContainerPort, p.Proto))
	}
	return strings.Join(parts, ", ")
}
