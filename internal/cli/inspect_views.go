package cli

import (
	"fmt"

	"github.com/geedocker/geedocker/internal/container"
	"github.com/geedocker/geedocker/internal/network"
)

// The parts of a container's inspect document whose records are stored in
// another shape, as typed views with Docker's fields in Docker's order: a
// template sees Docker's names, `{{json .Config}}` prints Docker's keys in
// Docker's order, and numbers stay integers.

// inspectConfig is Docker's container.Config.
type inspectConfig struct {
	Hostname     string                  `json:"Hostname"`
	Domainname   string                  `json:"Domainname"`
	User         string                  `json:"User"`
	AttachStdin  bool                    `json:"AttachStdin"`
	AttachStdout bool                    `json:"AttachStdout"`
	AttachStderr bool                    `json:"AttachStderr"`
	ExposedPorts map[string]struct{}     `json:"ExposedPorts,omitempty"`
	Tty          bool                    `json:"Tty"`
	OpenStdin    bool                    `json:"OpenStdin"`
	StdinOnce    bool                    `json:"StdinOnce"`
	Env          []string                `json:"Env"`
	Cmd          []string                `json:"Cmd"`
	Healthcheck  *container.HealthConfig `json:"Healthcheck,omitempty"`
	Image        string                  `json:"Image"`
	Volumes      map[string]struct{}     `json:"Volumes"`
	WorkingDir   string                  `json:"WorkingDir"`
	Entrypoint   []string                `json:"Entrypoint"`
	MacAddress   string                  `json:"MacAddress,omitempty"`
	OnBuild      []string                `json:"OnBuild"`
	Labels       map[string]string       `json:"Labels"`
	StopSignal   string                  `json:"StopSignal,omitempty"`
	StopTimeout  *int                    `json:"StopTimeout,omitempty"`
}

func makeInspectConfig(c container.Config) inspectConfig {
	return inspectConfig{
		Hostname: c.Hostname, User: c.User, AttachStdin: c.AttachStdin, AttachStdout: c.AttachStdout,
		AttachStderr: c.AttachStderr, ExposedPorts: c.ExposedPorts, Tty: c.Tty, OpenStdin: c.OpenStdin,
		// Docker's run -i (without -d) closes stdin after the first attach.
		StdinOnce: c.OpenStdin && c.AttachStdin,
		Env:       c.Env, Cmd: c.Cmd, Healthcheck: c.Healthcheck, Image: c.Image, WorkingDir: c.WorkingDir,
		Entrypoint: c.Entrypoint, MacAddress: c.MacAddress, Labels: c.Labels, StopSignal: c.StopSignal,
		StopTimeout: c.StopTimeout,
	}
}

// inspectNetworkSettings is Docker's NetworkSettings (with the fields Docker
// 28 still prints for the default network).
type inspectNetworkSettings struct {
	Bridge                 string                     `json:"Bridge"`
	SandboxID              string                     `json:"SandboxID"`
	SandboxKey             string                     `json:"SandboxKey"`
	Ports                  map[string][]inspectPort   `json:"Ports"`
	HairpinMode            bool                       `json:"HairpinMode"`
	LinkLocalIPv6Address   string                     `json:"LinkLocalIPv6Address"`
	LinkLocalIPv6PrefixLen int                        `json:"LinkLocalIPv6PrefixLen"`
	SecondaryIPAddresses   []string                   `json:"SecondaryIPAddresses"`
	SecondaryIPv6Addresses []string                   `json:"SecondaryIPv6Addresses"`
	EndpointID             string                     `json:"EndpointID"`
	Gateway                string                     `json:"Gateway"`
	GlobalIPv6Address      string                     `json:"GlobalIPv6Address"`
	GlobalIPv6PrefixLen    int                        `json:"GlobalIPv6PrefixLen"`
	IPAddress              string                     `json:"IPAddress"`
	IPPrefixLen            int                        `json:"IPPrefixLen"`
	IPv6Gateway            string                     `json:"IPv6Gateway"`
	MacAddress             string                     `json:"MacAddress"`
	Networks               map[string]inspectEndpoint `json:"Networks"`
}

// inspectPort is Docker's nat.PortBinding.
type inspectPort struct {
	HostIP   string `json:"HostIp"`
	HostPort string `json:"HostPort"`
}

// inspectEndpoint is Docker's network.EndpointSettings.
type inspectEndpoint struct {
	IPAMConfig          *struct{}         `json:"IPAMConfig"`
	Links               []string          `json:"Links"`
	Aliases             []string          `json:"Aliases"`
	MacAddress          string            `json:"MacAddress"`
	DriverOpts          map[string]string `json:"DriverOpts"`
	GwPriority          int               `json:"GwPriority"`
	NetworkID           string            `json:"NetworkID"`
	EndpointID          string            `json:"EndpointID"`
	Gateway             string            `json:"Gateway"`
	IPAddress           string            `json:"IPAddress"`
	IPPrefixLen         int               `json:"IPPrefixLen"`
	IPv6Gateway         string            `json:"IPv6Gateway"`
	GlobalIPv6Address   string            `json:"GlobalIPv6Address"`
	GlobalIPv6PrefixLen int               `json:"GlobalIPv6PrefixLen"`
	DNSNames            []string          `json:"DNSNames"`
}

func networkSettings(c *container.Container) inspectNetworkSettings {
	out := inspectNetworkSettings{Ports: map[string][]inspectPort{}, Networks: map[string]inspectEndpoint{}}
	for _, p := range c.NetworkSettings.Ports {
		key := fmt.Sprintf("%d/%s", p.ContainerPort, p.Proto)
		out.Ports[key] = append(out.Ports[key], inspectPort{HostIP: p.HostIP, HostPort: fmt.Sprint(p.HostPort)})
	}
	for name, ep := range c.NetworkSettings.Networks {
		out.Networks[name] = inspectEndpoint{
			Aliases: ep.Aliases, MacAddress: ep.MacAddress, NetworkID: ep.NetworkID, Gateway: ep.Gateway,
			IPAddress: ep.IPAddress, IPPrefixLen: ep.IPPrefixLen,
		}
		out.IPAddress, out.Gateway, out.MacAddress, out.IPPrefixLen = ep.IPAddress, ep.Gateway, ep.MacAddress, ep.IPPrefixLen
	}
	if len(out.Networks) == 0 {
		out.Networks[c.HostConfig.NetworkMode] = inspectEndpoint{}
	}
	return out
}

// inspectHostConfig is the stored host config with PortBindings in Docker's
// shape ({"80/tcp": [{"HostIp": "", "HostPort": "8080"}]}) instead of the
// -p values it is kept as.
type inspectHostConfig struct {
	container.HostConfig
	PortBindings map[string][]inspectPort `json:"PortBindings"`
}

func makeInspectHostConfig(hc container.HostConfig) inspectHostConfig {
	out := inspectHostConfig{HostConfig: hc, PortBindings: map[string][]inspectPort{}}
	for _, p := range hc.PortBindings {
		ms, err := network.ParsePublish(p)
		if err != nil {
			continue // refused when the container was made
		}
		for _, m := range ms {
			key := fmt.Sprintf("%d/%s", m.ContainerPort, m.Proto)
			b := inspectPort{}
			if m.HostIP.IsValid() {
				b.HostIP = m.HostIP.String()
			}
			if m.HostPort != 0 {
				b.HostPort = fmt.Sprint(m.HostPort)
			}
			out.PortBindings[key] = append(out.PortBindings[key], b)
		}
	}
	return out
}
