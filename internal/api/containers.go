package api

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	ctypes "github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/mount"
	"github.com/moby/moby/api/types/network"

	"github.com/geedocker/geedocker/internal/container"
	"github.com/geedocker/geedocker/internal/engine"
	"github.com/geedocker/geedocker/internal/spec"
)

func (s *Server) containerRoutes(mux *http.ServeMux) {
	mux.HandleFunc("POST /containers/create", s.createContainer)
	mux.HandleFunc("GET /containers/json", s.listContainers)
	mux.HandleFunc("GET /containers/{id}/json", s.inspectContainer)
	mux.HandleFunc("POST /containers/{id}/start", s.startContainer)
	mux.HandleFunc("POST /containers/{id}/stop", s.stopContainer)
	mux.HandleFunc("POST /containers/{id}/kill", s.killContainer)
	mux.HandleFunc("POST /containers/{id}/restart", s.restartContainer)
	mux.HandleFunc("POST /containers/{id}/wait", s.waitContainer)
	mux.HandleFunc("GET /containers/{id}/logs", s.containerLogs)
	mux.HandleFunc("POST /containers/{id}/attach", s.attachContainer)
	mux.HandleFunc("POST /containers/{id}/resize", s.resizeContainer)
	mux.HandleFunc("GET /containers/{id}/top", s.topContainer)
	mux.HandleFunc("GET /containers/{id}/stats", s.containerStats)
	mux.HandleFunc("DELETE /containers/{id}", s.removeContainer)
	mux.HandleFunc("POST /containers/{id}/rename", s.renameContainer)
	mux.HandleFunc("POST /containers/{id}/update", s.updateContainer)
	mux.HandleFunc("POST /containers/{id}/pause", s.pauseContainer)
	mux.HandleFunc("POST /containers/{id}/unpause", s.unpauseContainer)
}

// runOptions maps a create request to what `run` asks of the engine. Only
// what the engine supports is taken; the rest of HostConfig is ignored.
func runOptions(name string, req *ctypes.CreateRequest) (engine.RunOptions, error) {
	cfg := req.Config
	if cfg == nil {
		return engine.RunOptions{}, errors.New("config cannot be empty in order to create a container")
	}
	if cfg.Image == "" {
		return engine.RunOptions{}, errors.New("no image specified")
	}
	hc := req.HostConfig
	if hc == nil {
		hc = &ctypes.HostConfig{}
	}
	netMode := string(hc.NetworkMode)
	if netMode == "" || netMode == "default" {
		netMode = "bridge"
	}
	so := spec.Options{
		Hostname: cfg.Hostname, Cmd: cfg.Cmd, Env: cfg.Env, WorkingDir: cfg.WorkingDir, User: cfg.User,
		Terminal: cfg.Tty, ReadOnly: hc.ReadonlyRootfs, Privileged: hc.Privileged,
		Init: hc.Init != nil && *hc.Init, CapAdd: hc.CapAdd, CapDrop: hc.CapDrop,
		Binds: hc.Binds, Network: netMode, DeviceCgroupRules: hc.DeviceCgroupRules,
		Resources: spec.Resources{
			NanoCPUs: hc.NanoCPUs, Memory: hc.Memory, MemorySwap: hc.MemorySwap,
			CPUShares: hc.CPUShares, CpusetCpus: hc.CpusetCpus,
		},
	}
	if hc.PidsLimit != nil {
		so.Resources.PidsLimit = *hc.PidsLimit
	}
	hostOptions(&so, hc)
	if cfg.Entrypoint != nil {
		ep := append([]string{}, cfg.Entrypoint...)
		if len(ep) == 1 && ep[0] == "" {
			ep = []string{}
		}
		so.Entrypoint = &ep
	}
	if cfg.Tty && hc.ConsoleSize != [2]uint{} {
		so.ConsoleSize = consoleBox(hc.ConsoleSize)
	}
	for path, opts := range hc.Tmpfs {
		if opts != "" {
			path += ":" + opts
		}
		so.Tmpfs = append(so.Tmpfs, path)
	}
	sort.Strings(so.Tmpfs)
	for _, d := range hc.Devices {
		v := d.PathOnHost
		if d.PathInContainer != "" {
			v += ":" + d.PathInContainer
		}
		if d.CgroupPermissions != "" {
			v += ":" + d.CgroupPermissions
		}
		dm, err := spec.ParseDevice(v)
		if err != nil {
			return engine.RunOptions{}, err
		}
		so.Devices = append(so.Devices, dm)
	}
	for _, opt := range hc.SecurityOpt {
		switch opt {
		case "no-new-privileges", "no-new-privileges:true", "no-new-privileges=true":
			so.NoNewPrivileges = true
			continue
		case "no-new-privileges:false", "no-new-privileges=false":
			continue
		}
		key, val, ok := strings.Cut(opt, "=")
		if !ok {
			key, val, ok = strings.Cut(opt, ":")
		}
		if !ok || key != "seccomp" || val == "" {
			return engine.RunOptions{}, fmt.Errorf("invalid --security-opt: %q", opt)
		}
		so.Seccomp = val // "unconfined", "builtin", or the profile's JSON as the CLI sends it
	}
	o := engine.RunOptions{
		Image: cfg.Image, Name: strings.TrimPrefix(name, "/"), Pull: engine.PullNever, Remove: hc.AutoRemove,
		Spec: so, Userns: string(hc.UsernsMode), Runtime: hc.Runtime, PublishAll: hc.PublishAllPorts,
		DNSSearch: hc.DNSSearch, DNSOptions: hc.DNSOptions, ExtraHosts: hc.ExtraHosts, VolumesFrom: hc.VolumesFrom,
		Labels: cfg.Labels, StopSignal: cfg.StopSignal, StopTimeout: cfg.StopTimeout,
		AttachStdin: cfg.AttachStdin, AttachStdout: cfg.AttachStdout, AttachStderr: cfg.AttachStderr,
		GroupAdd: hc.GroupAdd,
	}
	for _, m := range hc.Mounts {
		o.Mounts = append(o.Mounts, mountFlag(m))
	}
	if cfg.OpenStdin {
		o.Stdin = strings.NewReader("") // marks OpenStdin; the monitor holds stdin open
	}
	if cfg.Healthcheck != nil {
		hc := container.HealthConfig(*cfg.Healthcheck)
		o.Healthcheck = &hc
	}
	if p := hc.RestartPolicy; p.Name != "" && p.Name != "no" {
		o.Restart = string(p.Name)
		if p.MaximumRetryCount > 0 {
			o.Restart += ":" + strconv.Itoa(p.MaximumRetryCount)
		}
	}
	for k, v := range hc.LogConfig.Config {
		o.LogOpts = append(o.LogOpts, k+"="+v)
	}
	sort.Strings(o.LogOpts)
	o.LogDriver, o.Links = hc.LogConfig.Type, hc.Links
	for p := range cfg.ExposedPorts {
		o.Expose = append(o.Expose, p.Port()+"/"+string(p.Proto()))
	}
	sort.Strings(o.Expose)
	for _, d := range hc.DNS {
		o.DNS = append(o.DNS, d.String())
	}
	o.Publish = publishFlags(hc.PortBindings)
	if req.NetworkingConfig != nil {
		for netName, ep := range req.NetworkingConfig.EndpointsConfig {
			if ep == nil || (netName != netMode && !(netMode == "bridge" && netName == "default")) {
				continue
			}
			o.Aliases = append(o.Aliases, ep.Aliases...)
			if len(ep.MacAddress) > 0 {
				o.MacAddress = ep.MacAddress.String()
			}
			if ep.IPAMConfig != nil && ep.IPAMConfig.IPv4Address.IsValid() {
				o.IP = ep.IPAMConfig.IPv4Address.String()
			}
		}
	}
	return o, nil
}

// publishFlags turns PortBindings back into -p values, sorted.
func publishFlags(pm network.PortMap) []string {
	var out []string
	for port, bindings := range pm {
		ctr := port.Port() + "/" + string(port.Proto())
		if len(bindings) == 0 {
			out = append(out, ctr)
		}
		for _, b := range bindings {
			v := ctr
			if b.HostPort != "" || b.HostIP.IsValid() {
				v = b.HostPort + ":" + ctr
			}
			if b.HostIP.IsValid() && !b.HostIP.IsUnspecified() {
				ip := b.HostIP.String()
				if b.HostIP.Is6() {
					ip = "[" + ip + "]"
				}
				v = ip + ":" + v
			}
			out = append(out, v)
		}
	}
	sort.Strings(out)
	return out
}

func (s *Server) createContainer(w http.ResponseWriter, r *http.Request) {
	var req ctypes.CreateRequest
	if err := readJSON(r, &req); err != nil {
		writeError(w, err)
		return
	}
	o, err := runOptions(r.URL.Query().Get("name"), &req)
	if err != nil {
		writeError(w, badRequest(err))
		return
	}
	warnings := []string{}
	o.Warn = func(w string) { warnings = append(warnings, w) }
	c, err := s.Engine.Create(r.Context(), o)
	if err != nil {
		writeError(w, userError(err))
		return
	}
	writeJSON(w, http.StatusCreated, ctypes.CreateResponse{ID: c.ID, Warnings: warnings})
}

// lookup finds a container named in the path.
func (s *Server) lookup(w http.ResponseWriter, r *http.Request) (*container.Container, bool) {
	c, err := s.Engine.Container(r.PathValue("id"))
	if err != nil {
		writeError(w, err)
		return nil, false
	}
	return c, true
}

func (s *Server) startContainer(w http.ResponseWriter, r *http.Request) {
	c, ok := s.lookup(w, r)
	if !ok {
		return
	}
	if c.State.Paused {
		writeError(w, conflict(errors.New("cannot start a paused container, try unpause instead")))
		return
	}
	if c.State.Running {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	if err := s.start(c); err != nil {
		var se *engine.StartError
		if errors.As(err, &se) && se.Code != 125 {
			// The command could not be run: Docker answers 400.
			err = badRequest(err)
		}
		writeError(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) stopContainer(w http.ResponseWriter, r *http.Request) {
	c, ok := s.lookup(w, r)
	if !ok {
		return
	}
	if !c.State.Running && !c.State.Restarting {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	o, err := stopOptions(r)
	if err != nil {
		writeError(w, err)
		return
	}
	if err := s.Engine.StopWith(c.ID, o); err != nil {
		writeError(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// stopOptions reads ?signal=SIG&t=SECONDS (defaults: the container's StopSignal and
// StopTimeout, else SIGTERM and 10).
func stopOptions(r *http.Request) (engine.StopOptions, error) {
	o := engine.StopOptions{Signal: r.URL.Query().Get("signal")}
	if o.Signal != "" {
		if _, err := engine.ParseSignal(o.Signal); err != nil {
			return o, badRequest(err)
		}
	}
	if t := r.URL.Query().Get("t"); t != "" {
		n, err := strconv.Atoi(t)
		if err != nil {
			return o, badRequest(fmt.Errorf("invalid value for t: %q", t))
		}
		o.Timeout = &n
	}
	return o, nil
}

// restartContainer is POST /containers/{id}/restart: stop when running,
// then start.
func (s *Server) restartContainer(w http.ResponseWriter, r *http.Request) {
	c, ok := s.lookup(w, r)
	if !ok {
		return
	}
	o, err := stopOptions(r)
	if err != nil {
		writeError(w, err)
		return
	}
	if c.State.Running || c.State.Restarting {
		if err := s.Engine.StopWith(c.ID, o); err != nil {
			writeError(w, err)
			return
		}
		// The run this server held ends with the stop; the start makes a new one.
		s.mu.Lock()
		rn := s.runs[c.ID]
		s.mu.Unlock()
		if rn != nil && rn.ours() {
			<-rn.done
		}
	}
	if err := s.start(c); err != nil {
		writeError(w, err)
		return
	}
	s.Engine.EmitContainer(c, "restart")
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) killContainer(w http.ResponseWriter, r *http.Request) {
	c, ok := s.lookup(w, r)
	if !ok {
		return
	}
	sig := r.URL.Query().Get("signal")
	if sig == "" {
		sig = "KILL"
	}
	if _, err := engine.ParseSignal(sig); err != nil {
		writeError(w, badRequest(err))
		return
	}
	if !c.State.Running {
		writeError(w, conflict(fmt.Errorf("cannot kill container: %s: container %s is not running", r.PathValue("id"), c.ID)))
		return
	}
	if err := s.Engine.Kill(c.ID, sig); err != nil {
		writeError(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) removeContainer(w http.ResponseWriter, r *http.Request) {
	c, ok := s.lookup(w, r)
	if !ok {
		return
	}
	if (c.State.Running || c.State.Restarting) && !boolParam(r, "force") {
		writeError(w, conflict(fmt.Errorf("cannot remove container \"/%s\": container is running: stop the container before removing or force remove", c.Name)))
		return
	}
	if err := s.Engine.RemoveWithVolumes(c.ID, boolParam(r, "force"), boolParam(r, "v")); err != nil {
		writeError(w, err)
		return
	}
	s.removed(c.ID)
	w.WriteHeader(http.StatusNoContent)
}

// waitContainer is POST /containers/{id}/wait: the headers go out at once,
// the body when the condition is met.
func (s *Server) waitContainer(w http.ResponseWriter, r *http.Request) {
	c, ok := s.lookup(w, r)
	if !ok {
		return
	}
	cond := r.URL.Query().Get("condition")
	switch cond {
	case "", "not-running", "next-exit", "removed":
	default:
		writeError(w, badRequest(fmt.Errorf("invalid condition: %q", cond)))
		return
	}
	// Registered before the headers go out: a start that follows them is seen.
	rn := s.watch(c.ID)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	if f, ok := w.(http.Flusher); ok {
		f.Flush()
	}
	code, err := s.awaitExit(r.Context(), c, rn, cond != "" && cond != "not-running")
	if err == nil && cond == "removed" {
		err = s.awaitRemoved(r.Context(), c.ID)
	}
	resp := ctypes.WaitResponse{StatusCode: int64(code)}
	if err != nil {
		if r.Context().Err() != nil {
			return
		}
		resp.Error = &ctypes.WaitExitError{Message: err.Error()}
	}
	writeJSONBody(w, resp)
}

func (s *Server) listContainers(w http.ResponseWriter, r *http.Request) {
	f, err := parseFilters(r.URL.Query().Get("filters"))
	if err != nil {
		writeError(w, badRequest(err))
		return
	}
	for k := range f {
		if !containerKeys[k] {
			writeError(w, badRequest(fmt.Errorf("invalid filter '%s'", k)))
			return
		}
	}
	all, err := s.Engine.ListContainers()
	if err != nil {
		writeError(w, err)
		return
	}
	sort.Slice(all, func(i, j int) bool { return all[i].Created.After(all[j].Created) })
	showAll := boolParam(r, "all")
	limit, _ := strconv.Atoi(r.URL.Query().Get("limit"))
	out := []ctypes.Summary{}
	for _, c := range all {
		if !showAll && !c.State.Running && !f.has("status") {
			continue
		}
		if !f.matchContainer(c) {
			continue
		}
		out = append(out, summary(c))
		if limit > 0 && len(out) == limit {
			break
		}
	}
	writeJSON(w, http.StatusOK, out)
}

func summary(c *container.Container) ctypes.Summary {
	sum := ctypes.Summary{
		ID: c.ID, Names: []string{"/" + c.Name}, Image: c.ImageName, ImageID: c.Image,
		Command: strings.Join(append([]string{c.Path}, c.Args...), " "), Created: c.Created.Unix(),
		Labels: c.Config.Labels, State: ctypes.ContainerState(c.State.Status), Status: statusText(c),
		Ports: []ctypes.PortSummary{}, Mounts: []ctypes.MountPoint{},
	}
	if sum.Labels == nil {
		sum.Labels = map[string]string{}
	}
	sum.HostConfig.NetworkMode = c.HostConfig.NetworkMode
	sum.Health = healthSummary(c.State.Health)
	published := map[string]bool{}
	for _, p := range c.NetworkSettings.Ports {
		ps := ctypes.PortSummary{PrivatePort: p.ContainerPort, PublicPort: p.HostPort, Type: p.Proto}
		ps.IP, _ = netip.ParseAddr(p.HostIP)
		sum.Ports = append(sum.Ports, ps)
		published[fmt.Sprintf("%d/%s", p.ContainerPort, p.Proto)] = true
	}
	if c.State.Running {
		// Exposed ports no port is published for: the private side only, as Docker lists them.
		var exposed []string
		for p := range c.Config.ExposedPorts {
			if !published[p] {
				exposed = append(exposed, p)
			}
		}
		sort.Strings(exposed)
		for _, p := range exposed {
			port, err := network.ParsePort(p)
			if err == nil {
				sum.Ports = append(sum.Ports, ctypes.PortSummary{PrivatePort: port.Num(), Type: string(port.Proto())})
			}
		}
	}
	sum.NetworkSettings = &ctypes.NetworkSettingsSummary{Networks: endpoints(c)}
	return sum
}

// statusText is the Status column of ps, as Docker words it.
func statusText(c *container.Container) string {
	switch {
	case c.State.Restarting:
		return fmt.Sprintf("Restarting (%d) %s ago", c.State.ExitCode, humanDuration(time.Since(c.State.FinishedAt)))
	case c.State.Running && c.State.Paused:
		return "Up " + humanDuration(time.Since(c.State.StartedAt)) + " (Paused)"
	case c.State.Running:
		return "Up " + humanDuration(time.Since(c.State.StartedAt)) + c.State.HealthSuffix()
	case c.State.Status == container.Created:
		return "Created"
	}
	return fmt.Sprintf("Exited (%d) %s ago", c.State.ExitCode, humanDuration(time.Since(c.State.FinishedAt)))
}

// humanDuration is go-units' HumanDuration, as Docker prints ages.
func humanDuration(d time.Duration) string {
	switch s := int(d.Seconds()); {
	case s < 1:
		return "Less than a second"
	case s == 1:
		return "1 second"
	case s < 60:
		return fmt.Sprintf("%d seconds", s)
	case d.Minutes() < 2:
		return "About a minute"
	case d.Minutes() < 60:
		return fmt.Sprintf("%d minutes", int(d.Minutes()))
	case d.Hours() < 2:
		return "About an hour"
	case d.Hours() < 48:
		return fmt.Sprintf("%d hours", int(d.Hours()))
	case d.Hours() < 24*7*2:
		return fmt.Sprintf("%d days", int(d.Hours()/24))
	case d.Hours() < 24*30*2:
		return fmt.Sprintf("%d weeks", int(d.Hours()/24/7))
	case d.Hours() < 24*365*2:
		return fmt.Sprintf("%d months", int(d.Hours()/24/30))
	}
	return fmt.Sprintf("%d years", int(d.Hours()/24/365))
}

func endpoints(c *container.Container) map[string]*network.EndpointSettings {
	out := map[string]*network.EndpointSettings{}
	for name, ep := range c.NetworkSettings.Networks {
		es := &network.EndpointSettings{NetworkID: ep.NetworkID, IPPrefixLen: ep.IPPrefixLen, Aliases: ep.Aliases}
		es.IPAddress, _ = netip.ParseAddr(ep.IPAddress)
		es.Gateway, _ = netip.ParseAddr(ep.Gateway)
		if mac, err := net.ParseMAC(ep.MacAddress); err == nil {
			es.MacAddress = network.HardwareAddr(mac)
		}
		out[name] = es
	}
	// A container that is not running shows the networks it will join, with
	// the aliases its start gives it, as Docker's does (docker-compose reads
	// them on a created container before it starts it).
	mode := c.HostConfig.NetworkMode
	if mode == "" || mode == "none" || mode == "host" || strings.HasPrefix(mode, "container:") {
		return out
	}
	if _, ok := out[mode]; !ok {
		out[mode] = &network.EndpointSettings{Aliases: append([]string{c.ID[:12]}, c.HostConfig.Aliases...)}
	}
	for _, name := range c.HostConfig.ExtraNetworks {
		if _, ok := out[name]; !ok {
			out[name] = &network.EndpointSettings{Aliases: append([]string{c.ID[:12]}, c.HostConfig.ExtraAliases[name]...)}
		}
	}
	return out
}

func timeText(t time.Time) string {
	if t.IsZero() {
		return "0001-01-01T00:00:00Z"
	}
	return t.UTC().Format(time.RFC3339Nano)
}

func (s *Server) inspectContainer(w http.ResponseWriter, r *http.Request) {
	c, ok := s.lookup(w, r)
	if !ok {
		return
	}
	writeJSON(w, http.StatusOK, inspect(c))
}

func inspect(c *container.Container) ctypes.InspectResponse {
	hc := c.HostConfig
	out := ctypes.InspectResponse{
		ID: c.ID, Created: timeText(c.Created), Path: c.Path, Args: c.Args, Image: c.Image,
		Name: "/" + c.Name, RestartCount: c.RestartCount, Driver: "overlay", Platform: "linux",
		LogPath: c.LogPath, ExecIDs: nil, Mounts: inspectMounts(c),
		State: &ctypes.State{
			Status: ctypes.ContainerState(c.State.Status), Running: c.State.Running, Paused: c.State.Paused,
			Restarting: c.State.Restarting, OOMKilled: c.State.OOMKilled, Pid: c.State.Pid,
			ExitCode: c.State.ExitCode, Error: c.State.Error,
			StartedAt: timeText(c.State.StartedAt), FinishedAt: timeText(c.State.FinishedAt),
			Health: healthState(c.State.Health),
		},
		Config: &ctypes.Config{
			Hostname: c.Config.Hostname, User: c.Config.User, Tty: c.Config.Tty, OpenStdin: c.Config.OpenStdin,
			Env: c.Config.Env, Cmd: c.Config.Cmd, Entrypoint: c.Config.Entrypoint, Image: c.ImageName,
			WorkingDir: c.Config.WorkingDir, Labels: c.Config.Labels, StopSignal: c.Config.StopSignal,
			StopTimeout: c.Config.StopTimeout, AttachStdin: c.Config.AttachStdin,
			AttachStdout: c.Config.AttachStdout, AttachStderr: c.Config.AttachStderr,
		},
		HostConfig: &ctypes.HostConfig{
			Binds: hc.Binds, NetworkMode: ctypes.NetworkMode(hc.NetworkMode), AutoRemove: hc.AutoRemove,
			ReadonlyRootfs: hc.ReadonlyRootfs, Privileged: hc.Privileged, UsernsMode: ctypes.UsernsMode(hc.UsernsMode), Runtime: hc.Runtime,
			CapAdd: hc.CapAdd, CapDrop: hc.CapDrop, SecurityOpt: hc.SecurityOpt, Tmpfs: hc.Tmpfs,
			PublishAllPorts: hc.PublishAllPorts, DNSSearch: hc.DNSSearch, DNSOptions: hc.DNSOptions, ExtraHosts: hc.ExtraHosts, Links: hc.Links,
			PortBindings:  inspectPortBindings(hc),
			RestartPolicy: ctypes.RestartPolicy{Name: ctypes.RestartPolicyMode(hc.RestartPolicy.Name), MaximumRetryCount: hc.RestartPolicy.MaximumRetryCount},
			LogConfig:     ctypes.LogConfig{Type: hc.LogConfig.Type, Config: hc.LogConfig.Config},
			Resources: ctypes.Resources{
				Memory: hc.Memory, MemorySwap: hc.MemorySwap, NanoCPUs: hc.NanoCpus, CPUShares: hc.CPUShares,
				CpusetCpus: hc.CpusetCpus, DeviceCgroupRules: hc.DeviceCgroupRules,
			},
		},
		NetworkSettings: &ctypes.NetworkSettings{Networks: endpoints(c), Ports: network.PortMap{}},
	}
	if h := c.Config.Healthcheck; h != nil {
		out.Config.Healthcheck = (*ctypes.HealthConfig)(h)
	}
	if hc.Init {
		t := true
		out.HostConfig.Init = &t
	}
	if hc.PidsLimit != 0 {
		n := hc.PidsLimit
		out.HostConfig.PidsLimit = &n
	}
	inspectHostOptions(out.HostConfig, hc)
	for _, d := range hc.DNS {
		if a, err := netip.ParseAddr(d); err == nil {
			out.HostConfig.DNS = append(out.HostConfig.DNS, a)
		}
	}
	for _, d := range hc.Devices {
		out.HostConfig.Devices = append(out.HostConfig.Devices, ctypes.DeviceMapping(d))
	}
	for _, p := range c.NetworkSettings.Ports {
		port, err := network.ParsePort(strconv.Itoa(int(p.ContainerPort)) + "/" + p.Proto)
		if err != nil {
			continue
		}
		b := network.PortBinding{HostPort: strconv.Itoa(int(p.HostPort))}
		b.HostIP, _ = netip.ParseAddr(p.HostIP)
		out.NetworkSettings.Ports[port] = append(out.NetworkSettings.Ports[port], b)
	}
	if len(c.Config.ExposedPorts) > 0 {
		out.Config.ExposedPorts = network.PortSet{}
		for p := range c.Config.ExposedPorts {
			if port, err := network.ParsePort(p); err == nil {
				out.Config.ExposedPorts[port] = struct{}{}
			}
		}
	}
	return out
}

// topContainer is GET /containers/{id}/top: the PIDs of the container, as
// ps -ef columns Docker shows by default.
func (s *Server) topContainer(w http.ResponseWriter, r *http.Request) {
	c, ok := s.lookup(w, r)
	if !ok {
		return
	}
	if !c.State.Running {
		writeError(w, conflict(fmt.Errorf("container %s is not running", c.ID)))
		return
	}
	pids, err := s.Engine.Procs(c)
	if err != nil {
		writeError(w, err)
		return
	}
	names, _ := s.Engine.UserNames(c)
	writeJSON(w, http.StatusOK, topResponse(pids, names))
}

// awaitExit waits for the end of c's current run, or with next, of its next
// one, and returns its exit code.
func (s *Server) awaitExit(ctx context.Context, c *container.Container, rn *run, next bool) (int, error) {
	if rn.ours() {
		select {
		case <-rn.done:
			return rn.code, nil
		case <-ctx.Done():
			return 0, ctx.Err()
		}
	}
	if !c.State.Running && !c.State.Restarting {
		if !next {
			return c.State.ExitCode, nil
		}
		// Not running: the next exit follows a start, by this server.
		select {
		case <-rn.started:
		case <-ctx.Done():
			return 0, ctx.Err()
		}
		if rn.ours() {
			select {
			case <-rn.done:
				return rn.code, nil
			case <-ctx.Done():
				return 0, ctx.Err()
			}
		}
	}
	return s.Engine.Wait(ctx, c.ID)
}

// mountFlag writes a HostConfig.Mounts entry as the --mount value the engine reads.
func mountFlag(m mount.Mount) string {
	f := []string{"type=" + string(m.Type), "target=" + m.Target}
	if m.Source != "" {
		f = append(f, "source="+m.Source)
	}
	if m.ReadOnly {
		f = append(f, "readonly")
	}
	if m.BindOptions != nil && m.BindOptions.Propagation != "" {
		f = append(f, "bind-propagation="+string(m.BindOptions.Propagation))
	}
	if m.VolumeOptions != nil && m.VolumeOptions.NoCopy {
		f = append(f, "volume-nocopy")
	}
	if m.TmpfsOptions != nil {
		if m.TmpfsOptions.SizeBytes > 0 {
			f = append(f, "tmpfs-size="+strconv.FormatInt(m.TmpfsOptions.SizeBytes, 10))
		}
		if mode := m.TmpfsOptions.Mode; mode != 0 {
			bits := uint64(mode.Perm())
			if mode&os.ModeSticky != 0 {
				bits |= 0o1000
			}
			f = append(f, "tmpfs-mode="+strconv.FormatUint(bits, 8))
		}
	}
	return strings.Join(f, ",")
}

// renameContainer is POST /containers/{id}/rename?name=NEW.
func (s *Server) renameContainer(w http.ResponseWriter, r *http.Request) {
	c, ok := s.lookup(w, r)
	if !ok {
		return
	}
	if err := s.Engine.Rename(c.ID, r.URL.Query().Get("name")); err != nil {
		writeError(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
