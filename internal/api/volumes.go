package api

import (
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"time"

	vtypes "github.com/moby/moby/api/types/volume"

	"github.com/geedocker/geedocker/internal/volume"
)

func (s *Server) volumeRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /volumes", s.listVolumes)
	mux.HandleFunc("GET /volumes/{$}", s.listVolumes)
	mux.HandleFunc("POST /volumes/create", s.createVolume)
	mux.HandleFunc("POST /volumes/prune", s.pruneVolumes)
	mux.HandleFunc("GET /volumes/{name}", s.inspectVolume)
	mux.HandleFunc("DELETE /volumes/{name}", s.removeVolume)
}

func volumeOf(v *volume.Volume) vtypes.Volume {
	return vtypes.Volume{
		CreatedAt: v.CreatedAt.Local().Format(time.RFC3339), Driver: v.Driver, Labels: v.Labels,
		Mountpoint: v.Mountpoint, Name: v.Name, Options: v.Options, Scope: v.Scope,
	}
}

func (s *Server) listVolumes(w http.ResponseWriter, r *http.Request) {
	raw, err := parseFilters(r.URL.Query().Get("filters"))
	if err != nil {
		writeError(w, badRequest(err))
		return
	}
	f, err := volume.ParseFilters(raw, false)
	if err != nil {
		writeError(w, err)
		return
	}
	vs, err := s.Engine.Volumes()
	if err != nil {
		writeError(w, err)
		return
	}
	all, err := vs.List()
	if err != nil {
		writeError(w, err)
		return
	}
	users, err := s.Engine.VolumeUsers()
	if err != nil {
		writeError(w, err)
		return
	}
	out := vtypes.ListResponse{Volumes: []vtypes.Volume{}, Warnings: []string{}}
	for _, v := range all {
		if f.Match(v, len(users[v.Name])) {
			out.Volumes = append(out.Volumes, volumeOf(v))
		}
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) createVolume(w http.ResponseWriter, r *http.Request) {
	var req vtypes.CreateRequest
	if err := readJSON(r, &req); err != nil {
		writeError(w, err)
		return
	}
	if req.Driver != "" && req.Driver != volume.Driver {
		writeError(w, notFound(fmt.Errorf("plugin %q not found", req.Driver)))
		return
	}
	if len(req.DriverOpts) > 0 {
		writeError(w, badRequest(fmt.Errorf("driver options are not supported")))
		return
	}
	v, err := s.Engine.CreateVolume(req.Name, req.Labels)
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusCreated, volumeOf(v))
}

func (s *Server) inspectVolume(w http.ResponseWriter, r *http.Request) {
	vs, err := s.Engine.Volumes()
	if err != nil {
		writeError(w, err)
		return
	}
	v, err := vs.Get(r.PathValue("name"))
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, volumeOf(v))
}

func (s *Server) removeVolume(w http.ResponseWriter, r *http.Request) {
	if err := s.Engine.RemoveVolume(r.PathValue("name"), boolParam(r, "force")); err != nil {
		writeError(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// pruneVolumes removes the unused anonymous volumes, or every unused one with the filter
// all=true (API 1.42 and later, as Docker's); label and label! filters apply.
func (s *Server) pruneVolumes(w http.ResponseWriter, r *http.Request) {
	raw, err := parseFilters(r.URL.Query().Get("filters"))
	if err != nil {
		writeError(w, badRequest(err))
		return
	}
	all := false
	if vals, ok := raw["all"]; ok {
		for _, v := range vals {
			b, err := strconv.ParseBool(v)
			if err != nil {
				writeError(w, badRequest(fmt.Errorf("invalid filter 'all=%s'", v)))
				return
			}
			all = b
		}
		delete(raw, "all")
	}
	f, err := volume.ParseFilters(raw, true)
	if err != nil {
		writeError(w, err)
		return
	}
	names, space, err := s.Engine.PruneVolumes(all, func(v *volume.Volume) bool { return f.Match(v, 0) })
	if err != nil {
		writeError(w, err)
		return
	}
	sort.Strings(names)
	if names == nil {
		names = []string{}
	}
	writeJSON(w, http.StatusOK, vtypes.PruneReport{VolumesDeleted: names, SpaceReclaimed: uint64(space)})
}
