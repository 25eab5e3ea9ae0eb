package api

import (
	"errors"
	"fmt"
	"maps"
	"net"
	"net/http"
	"net/netip"
	"regexp"
	"sort"

	"github.com/moby/moby/api/types/network"

	"github.com/geedocker/geedocker/internal/container"
	gdnet "github.com/geedocker/geedocker/internal/network"
)

func (s *Server) networkRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /networks", s.listNetworks)
	mux.HandleFunc("GET /networks/{$}", s.listNetworks)
	mux.HandleFunc("POST /networks/create", s.createNetwork)
	mux.HandleFunc("GET /networks/{id}", s.inspectNetwork)
	mux.HandleFunc("DELETE /networks/{id}", s.removeNetwork)
	mux.HandleFunc("POST /networks/{id}/connect", s.connectNetwork)
	mux.HandleFunc("POST /networks/{id}/disconnect", s.disconnectNetwork)
}

func networkOf(n gdnet.Network) network.Network {
	out := network.Network{
		Name: n.Name, ID: n.ID, Scope: "local", Driver: "bridge", EnableIPv4: true, Internal: n.Internal,
		IPAM:    network.IPAM{Driver: "default", Options: map[string]string{}, Config: []network.IPAMConfig{{Subnet: n.Subnet, Gateway: n.Gateway}}},
		Options: map[string]string{},
		Labels:  map[string]string{},
	}
	// Docker shows the options a network was made with: none for a user
	// network (docker-compose compares them with its file's), the bridge's
	// name for the default one.
	if n.Name == gdnet.DefaultName {
		out.Options["com.docker.network.bridge.name"] = n.Bridge
		out.Options["com.docker.network.bridge.default_bridge"] = "true"
	}
	maps.Copy(out.Labels, n.Labels)
	return out
}

// networkKeys are the filters of GET /networks, dockerd's.
var networkKeys = map[string]bool{"name": true, "id": true, "driver": true, "label": true, "scope": true, "type": true, "dangling": true}

// listNetworks is GET /networks: the user networks, the default bridge and
// Docker's predefined host and none, with dockerd's filters: name and id a
// regular expression (or the exact text), driver and scope exactly, label,
// type (builtin or custom) and dangling (no container, and not predefined).
func (s *Server) listNetworks(w http.ResponseWriter, r *http.Request) {
	f, err := parseFilters(r.URL.Query().Get("filters"))
	if err != nil {
		writeError(w, badRequest(err))
		return
	}
	for k := range f {
		if !networkKeys[k] {
			writeError(w, badRequest(fmt.Errorf("invalid filter '%s'", k)))
			return
		}
	}
	for _, v := range f["type"] {
		if v != "builtin" && v != "custom" {
			writeError(w, badRequest(fmt.Errorf("invalid filter: 'type'='%s'", v)))
			return
		}
	}
	dangling, err := danglingFilter(f["dangling"])
	if err != nil {
		writeError(w, badRequest(err))
		return
	}
	nets, err := s.Engine.Networks()
	if err != nil {
		writeError(w, err)
		return
	}
	var all []network.Network
	for _, n := range nets {
		all = append(all, networkOf(n))
	}
	for _, p := range gdnet.PredefinedNetworks() {
		all = append(all, predefinedOf(p))
	}
	out := []network.Summary{}
	for _, n := range all {
		builtin := gdnet.IsPredefined(n.Name)
		if !matchAny(f["name"], func(v string) bool { return matchRegexp(v, n.Name) }) ||
			!matchAny(f["id"], func(v string) bool { return matchRegexp(v, n.ID) }) ||
			!matchAny(f["driver"], func(v string) bool { return v == n.Driver }) ||
			!matchAny(f["scope"], func(v string) bool { return v == n.Scope }) ||
			!matchAny(f["type"], func(v string) bool { return (v == "builtin") == builtin }) ||
			!matchLabels(f["label"], n.Labels) {
			continue
		}
		if dangling != nil && *dangling != (!builtin && !s.networkInUse(n.Name)) {
			continue
		}
		out = append(out, network.Summary{Network: n})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	writeJSON(w, http.StatusOK, out)
}

// danglingFilter reads the dangling filter: nil when absent.
func danglingFilter(vals []string) (*bool, error) {
	if len(vals) == 0 {
		return nil, nil
	}
	if len(vals) > 1 {
		return nil, errors.New(`got more than one value for filter key "dangling"`)
	}
	var on bool
	switch vals[0] {
	case "1", "true":
		on = true
	case "0", "false":
	default:
		return nil, errors.New(`invalid value for filter 'dangling', must be "true" (or "1"), or "false" (or "0")`)
	}
	return &on, nil
}

// networkInUse says whether a container uses the user network name.
func (s *Server) networkInUse(name string) bool {
	n, err := s.Engine.Network(name)
	if err != nil {
		return false
	}
	users, err := s.Engine.NetworkUsers(n)
	return err == nil && len(users) > 0
}

// matchRegexp is dockerd's filter match: the exact text, or a regular
// expression that matches (an invalid one matches nothing).
func matchRegexp(pattern, s string) bool {
	if pattern == s {
		return true
	}
	re, err := regexp.Compile(pattern)
	return err == nil && re.MatchString(s)
}

// predefinedOf is Docker's document of host or none: no bridge, no
// addresses, no IPAM configuration.
func predefinedOf(p gdnet.Predefined) network.Network {
	return network.Network{
		Name: p.Name, ID: p.ID, Scope: "local", Driver: p.Driver, EnableIPv4: true,
		IPAM:    network.IPAM{Driver: "default"},
		Options: map[string]string{},
		Labels:  map[string]string{},
	}
}

func matchAny(vals []string, f func(string) bool) bool {
	if len(vals) == 0 {
		return true
	}
	for _, v := range vals {
		if f(v) {
			return true
		}
	}
	return false
}

func (s *Server) inspectNetwork(w http.ResponseWriter, r *http.Request) {
	n, err := s.Engine.Network(r.PathValue("id"))
	if p, ok := gdnet.LookupPredefined(r.PathValue("id")); err != nil && ok {
		out := network.Inspect{Network: predefinedOf(p), Containers: map[string]network.EndpointResource{}}
		for _, c := range s.Engine.PredefinedNetworkUsers(p) {
			out.Containers[c.ID] = network.EndpointResource{Name: c.Name}
		}
		writeJSON(w, http.StatusOK, out)
		return
	}
	if err != nil {
		writeError(w, err)
		return
	}
	out := network.Inspect{Network: networkOf(n), Containers: map[string]network.EndpointResource{}}
	users, err := s.Engine.NetworkUsers(n)
	if err != nil {
		writeError(w, err)
		return
	}
	for _, c := range users {
		ep, ok := c.NetworkSettings.Networks[n.Name]
		if !ok {
			continue
		}
		er := network.EndpointResource{Name: c.Name}
		if mac, err := net.ParseMAC(ep.MacAddress); err == nil {
			er.MacAddress = network.HardwareAddr(mac)
		}
		if a, err := netip.ParseAddr(ep.IPAddress); err == nil {
			er.IPv4Address = netip.PrefixFrom(a, ep.IPPrefixLen)
		}
		out.Containers[c.ID] = er
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) createNetwork(w http.ResponseWriter, r *http.Request) {
	var req network.CreateRequest
	if err := readJSON(r, &req); err != nil {
		writeError(w, err)
		return
	}
	if req.Name == "" {
		writeError(w, badRequest(errors.New("network name is required")))
		return
	}
	if req.Driver != "" && req.Driver != "bridge" {
		writeError(w, badRequest(fmt.Errorf("only the bridge driver is supported, not %q", req.Driver)))
		return
	}
	var subnet, gateway string
	if req.IPAM != nil && len(req.IPAM.Config) > 0 {
		if len(req.IPAM.Config) > 1 {
			writeError(w, badRequest(errors.New("only one IPAM config (one IPv4 subnet) is supported")))
			return
		}
		c := req.IPAM.Config[0]
		if c.Subnet.IsValid() {
			subnet = c.Subnet.String()
		}
		if c.Gateway.IsValid() {
			gateway = c.Gateway.String()
		}
	}
	if _, err := s.Engine.Network(req.Name); err == nil && !gdnet.IsPredefined(req.Name) {
		writeError(w, conflict(fmt.Errorf("network with name %s already exists", req.Name)))
		return
	}
	n, err := s.Engine.CreateLabeledNetwork(req.Name, subnet, gateway, req.Internal, req.Labels)
	if err != nil {
		writeError(w, userError(err))
		return
	}
	writeJSON(w, http.StatusCreated, network.CreateResponse{ID: n.ID})
}

func (s *Server) removeNetwork(w http.ResponseWriter, r *http.Request) {
	if err := s.Engine.RemoveNetwork(r.PathValue("id")); err != nil {
		writeError(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) connectNetwork(w http.ResponseWriter, r *http.Request) {
	var req network.ConnectRequest
	if err := readJSON(r, &req); err != nil {
		writeError(w, err)
		return
	}
	if req.Container == "" {
		writeError(w, badRequest(errors.New("a container is required")))
		return
	}
	var aliases []string
	if req.EndpointConfig != nil {
		aliases = req.EndpointConfig.Aliases
	}
	if err := s.Engine.ConnectNetworkAliases(r.PathValue("id"), req.Container, aliases); err != nil {
		writeError(w, connectError(err))
		return
	}
	w.WriteHeader(http.StatusOK)
}

func (s *Server) disconnectNetwork(w http.ResponseWriter, r *http.Request) {
	var req network.DisconnectRequest
	if err := readJSON(r, &req); err != nil {
		writeError(w, err)
		return
	}
	if req.Container == "" {
		writeError(w, badRequest(errors.New("a container is required")))
		return
	}
	if err := s.Engine.DisconnectNetwork(r.PathValue("id"), req.Container); err != nil {
		writeError(w, connectError(err))
		return
	}
	w.WriteHeader(http.StatusOK)
}

// connectError: a missing network or container is 404, the rest (already
// connected, wrong mode) the request's fault.
func connectError(err error) error {
	if errors.Is(err, container.ErrNotFound) {
		return err
	}
	return userError(err)
}
