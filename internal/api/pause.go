package api

import "net/http"

// pauseContainer is POST /containers/{id}/pause: 204, or 409 when the container is not
// running or already paused.
func (s *Server) pauseContainer(w http.ResponseWriter, r *http.Request) {
	if err := s.Engine.Pause(r.PathValue("id")); err != nil {
		writeError(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// unpauseContainer is POST /containers/{id}/unpause: 204, or 409 when it is not paused.
func (s *Server) unpauseContainer(w http.ResponseWriter, r *http.Request) {
	if err := s.Engine.Unpause(r.PathValue("id")); err != nil {
		writeError(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
