package api

import (
	"errors"
	"fmt"
	"maps"
	"net"
	"net/http"
	"net/netip"
	"sort"
	"strings"

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

func (s *Server) listNetworks(w http.ResponseWriter, r *http.Request) {
	f, err := parseFilters(r.URL.Query().Get("filters"))
	if err != nil {
		writeError(w, badRequest(err))
		return
	}
	for k := range f {
		if k != "name" && k != "id" && k != "driver" && k != "label" {
			writeError(w, badRequest(fmt.Errorf("invalid filter '%s'", k)))
			return
		}
	}
	nets, err := s.Engine.Networks()
	if err != nil {
		writeError(w, err)
		return
	}
	out := []network.Summary{}
	for _, n := range nets {
		if !matchAny(f["name"], func(v string) bool { return strings.Contains(n.Name, v) }) ||
			!matchAny(f["id"], func(v string) bool { return strings.HasPrefix(n.ID, v) }) ||
			!matchAny(f["driver"], func(v string) bool { return v == "bridge" }) || !matchLabels(f["label"], n.Labels) {
			continue
		}
		out = append(out, network.Summary{Network: networkOf(n)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	writeJSON(w, http.StatusOK, out)
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
	if _, err := s.Engine.Network(req.Name); err == nil {
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
