package api

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	ctypes "github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/image"
	"github.com/moby/moby/api/types/network"

	"github.com/geedocker/geedocker/internal/engine"
)

// The prune endpoints take dockerd's filters until, label and label! (and dangling for
// images); any other is refused rather than ignored, since ignoring it would remove more
// than asked.
func (s *Server) pruneRoutes(mux *http.ServeMux) {
	mux.HandleFunc("POST /containers/prune", s.pruneContainers)
	mux.HandleFunc("POST /images/prune", s.pruneImages)
	mux.HandleFunc("POST /networks/prune", s.pruneNetworks)
}

// pruneFilter reads ?filters= of a prune; dangling, when allowed, is returned apart
// (true unless it says false).
func pruneFilter(w http.ResponseWriter, r *http.Request, allowDangling bool) (engine.PruneFilter, bool, bool) {
	f, err := parseFilters(r.URL.Query().Get("filters"))
	if err != nil {
		writeError(w, badRequest(err))
		return engine.PruneFilter{}, false, false
	}
	dangling := true
	if vs, ok := f["dangling"]; ok && allowDangling {
		if len(vs) != 1 {
			writeError(w, badRequest(errors.New("invalid filter 'dangling'")))
			return engine.PruneFilter{}, false, false
		}
		switch vs[0] {
		case "true", "1":
		case "false", "0":
			dangling = false
		default:
			writeError(w, badRequest(fmt.Errorf("invalid filter 'dangling=%s'", vs[0])))
			return engine.PruneFilter{}, false, false
		}
		delete(f, "dangling")
	}
	pf, err := engine.ParsePruneFilter(f, time.Now())
	if err != nil {
		writeError(w, badRequest(err))
		return engine.PruneFilter{}, false, false
	}
	return pf, dangling, true
}

func (s *Server) pruneContainers(w http.ResponseWriter, r *http.Request) {
	f, _, ok := pruneFilter(w, r, false)
	if !ok {
		return
	}
	ids, space, err := s.Engine.PruneContainersFiltered(f)
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
	f, dangling, ok := pruneFilter(w, r, true)
	if !ok {
		return
	}
	res, space, err := s.Engine.PruneImagesFiltered(!dangling, f)
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, image.PruneReport{ImagesDeleted: deleteResponses(res), SpaceReclaimed: uint64(space)})
}

func (s *Server) pruneNetworks(w http.ResponseWriter, r *http.Request) {
	f, _, ok := pruneFilter(w, r, false)
	if !ok {
		return
	}
	names, err := s.Engine.PruneNetworksFiltered(f)
	if err != nil {
		writeError(w, err)
		return
	}
	if names == nil {
		names = []string{}
	}
	writeJSON(w, http.StatusOK, network.PruneReport{NetworksDeleted: names})
}
