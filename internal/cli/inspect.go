package cli

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/geedocker/geedocker/internal/container"
)

// containerInspect is Docker's inspect document of a container.
type containerInspect struct {
	ID              string                 `json:"Id"`
	Created         string                 `json:"Created"`
	Path            string                 `json:"Path"`
	Args            []string               `json:"Args"`
	State           containerState         `json:"State"`
	Image           string                 `json:"Image"`
	ResolvConfPath  string                 `json:"ResolvConfPath"`
	HostnamePath    string                 `json:"HostnamePath"`
	HostsPath       string                 `json:"HostsPath"`
	LogPath         string                 `json:"LogPath"`
	Name            string                 `json:"Name"`
	RestartCount    int                    `json:"RestartCount"`
	Driver          string                 `json:"Driver"`
	Platform        string                 `json:"Platform"`
	HostConfig      inspectHostConfig      `json:"HostConfig"`
	Mounts          []mountPoint           `json:"Mounts"`
	Config          inspectConfig          `json:"Config"`
	NetworkSettings inspectNetworkSettings `json:"NetworkSettings"`
}

type containerState struct {
	Status     string `json:"Status"`
	Running    bool   `json:"Running"`
	Paused     bool   `json:"Paused"`
	Restarting bool   `json:"Restarting"`
	OOMKilled  bool   `json:"OOMKilled"`
	Dead       bool   `json:"Dead"`
	Pid        int    `json:"Pid"`
	ExitCode   int    `json:"ExitCode"`
	Error      string `json:"Error"`
	StartedAt  string `json:"StartedAt"`
	FinishedAt string `json:"FinishedAt"`

	// Health is there for a container with a health check once it started.
	Health *container.Health `json:"Health,omitempty"`
}

type mountPoint struct {
	Type        string `json:"Type"`
	Name        string `json:"Name,omitempty"`
	Source      string `json:"Source"`
	Destination string `json:"Destination"`
	Driver      string `json:"Driver,omitempty"`
	Mode        string `json:"Mode"`
	RW          bool   `json:"RW"`
	Propagation string `json:"Propagation"`
}

const zeroTime = "0001-01-01T00:00:00Z"

func inspectTime(t interface {
	IsZero() bool
	Format(string) string
}) string {
	if t.IsZero() {
		return zeroTime
	}
	return t.Format("2006-01-02T15:04:05.999999999Z07:00")
}

// inspectHealth is the health state with Docker's empty log ([], not null).
func inspectHealth(h *container.Health) *container.Health {
	if h == nil || h.Log != nil {
		return h
	}
	cp := *h
	cp.Log = []container.HealthResult{}
	return &cp
}

func makeContainerInspect(dir string, c *container.Container) containerInspect {
	d := containerInspect{
		ID: c.ID, Created: inspectTime(c.Created), Path: c.Path, Args: c.Args, Image: c.Image,
		ResolvConfPath: dir + "/resolv.conf", HostnamePath: dir + "/hostname", HostsPath: dir + "/hosts",
		LogPath: c.LogPath, Name: "/" + c.Name, RestartCount: c.RestartCount, Driver: "overlay",
		Platform: "linux", HostConfig: makeInspectHostConfig(c.HostConfig), Config: makeInspectConfig(c.Config), Mounts: []mountPoint{},
		State: containerState{
			Status: c.State.Status, Running: c.State.Running, Paused: c.State.Paused, Restarting: c.State.Restarting, Pid: c.State.Pid, ExitCode: c.State.ExitCode,
			OOMKilled: c.State.OOMKilled, Error: c.State.Error,
			StartedAt: inspectTime(c.State.StartedAt), FinishedAt: inspectTime(c.State.FinishedAt),
			Health: inspectHealth(c.State.Health),
		},
		NetworkSettings: networkSettings(c),
	}
	for _, m := range c.Mounts {
		d.Mounts = append(d.Mounts, mountPoint{
			Type: m.Type, Name: m.Name, Source: m.Source, Destination: m.Destination, Driver: m.Driver,
			Mode: m.Mode, RW: m.RW, Propagation: m.Propagation,
		})
	}
	if c.Mounts != nil {
		return d
	}
	// A record written before Mounts were kept: its binds.
	for _, b := range c.HostConfig.Binds {
		parts := strings.Split(b, ":")
		m := mountPoint{Type: "bind", Source: parts[0], RW: true, Propagation: "rprivate"}
		if len(parts) > 1 {
			m.Destination = parts[1]
		}
		if len(parts) > 2 {
			m.Mode = parts[2]
			m.RW = !strings.Contains(parts[2], "ro")
		}
		d.Mounts = append(d.Mounts, m)
	}
	return d
}

// newInspectCmd is `inspect`: containers first, then images, as Docker.
func newInspectCmd(g *globals) *cobra.Command {
	var format, typ string
	c := &cobra.Command{
		Use:   "inspect [OPTIONS] NAME|ID [NAME|ID...]",
		Short: "Return low-level information on containers or images",
		Args:  minArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			e, err := g.engine()
			if err != nil {
				return err
			}
			cs, err := e.Containers()
			if err != nil {
				return err
			}
			var docs []any
			var errs []error
			for _, ref := range args {
				if typ != "image" {
					if ct, err := e.Container(ref); err == nil {
						docs = append(docs, makeContainerInspect(cs.Dir(ct.ID), ct))
						continue
					} else if typ == "container" {
						errs = append(errs, err)
						continue
					}
				}
				if d, err := e.InspectImage(ref); err == nil {
					docs = append(docs, d)
					continue
				}
				errs = append(errs, fmt.Errorf("No such object: %s", ref))
			}
			if err := printInspect(g.stdout, format, docs); err != nil {
				return err
			}
			return errors.Join(errs...)
		},
	}
	c.Flags().StringVarP(&format, "format", "f", "", "Format output using a Go template")
	c.Flags().StringVar(&typ, "type", "", "Return JSON for specified type (container, image)")
	return c
}

func newContainerInspectCmd(g *globals) *cobra.Command {
	c := newInspectCmd(g)
	c.Flags().Set("type", "container")
	return c
}

// networkSettings is Docker's NetworkSettings: the primary network's
// address at the top, every network under Networks, ports by "80/tcp".
