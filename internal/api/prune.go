package api

import (
	"net/http"

	ctypes "github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/image"
	"github.com/moby/moby/api/types/network"
)

// The prune endpoints take no filters yet: a filter is refused rather than
// ignored, since ignoring it would remove more than asked.
func (s *Server) pruneRoutes(mux *http.ServeMux) {
	mux.HandleFunc("POST /containers/prune", s.pruneContainers)
	mux.HandleFunc("POST /images/prune", s.pruneImages)
	mux.HandleFunc("POST /networks/prune", s.pruneNetworks)
}

func refuseFilters(w http.ResponseWriter, r *http.Request) bool {
	f, err := parseFilters(r.URL.Query().Get("filters"))
	if err != nil {
		writeError(w, badRequest(err))
		return true
	}
	for k, vs := range f {
		// dangling=true is what prune does anyway.
		if k == "dangling" && len(vs) == 1 && (vs[0] == "true" || vs[0] == "1") {
			continue
		}
		writeError(w, badRequest(&filterError{k}))
		return true
	}
	return false
}

type filterError struct{ key string }

func (e *filterError) Error() string {
	return "invalid filter '" + e.key + "': prune takes no filters yet"
}

func (s *Server) pruneContainers(w http.ResponseWriter, r *http.Request) {
	if refuseFilters(w, r) {
		return
	}
	ids, space, err := s.Engine.PruneContainers()
	if err != nil {
		writeError(w, err)
		return
	}
	for _, id := range ids {
		s.removed(id)
	}
	if ids == nil {
		ids = []string{}
	}
	writeJSON(w, http.StatusOK, ctypes.PruneReport{ContainersDeleted: ids, SpaceReclaimed: uint64(space)})
}

func (s *Server) pruneImages(w http.ResponseWriter, r *http.Request) {
	prune := s.Engine.PruneImages
	if f, err := parseFilters(r.URL.Query().Get("filters")); err == nil && len(f) == 1 && len(f["dangling"]) == 1 &&
		(f["dangling"][0] == "false" || f["dangling"][0] == "0") {
		prune = s.Engine.PruneUnusedImages // prune -a
		r.URL.RawQuery = ""
	}
	if refuseFilters(w, r) {
		return
	}
	res, space, err := prune()
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, image.PruneReport{ImagesDeleted: deleteResponses(res), SpaceReclaimed: uint64(space)})
}

func (s *Server) pruneNetworks(w http.ResponseWriter, r *http.Request) {
	if refuseFilters(w, r) {
		return
	}
	names, err := s.Engine.PruneNetworks()
	if err != nil {
		writeError(w, err)
		return
	}
	if names == nil {
		names = []string{}
	}
	writeJSON(w, http.StatusOK, network.PruneReport{NetworksDeleted: names})
}
