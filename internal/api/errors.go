package api

import (
	"net/http"

	"github.com/geedocker/geedocker/internal/errdefs"
)

// badRequest, notFound and conflict class an error the API itself finds
// (a bad body, an unknown exec ID); the engine classes its own.
func badRequest(err error) error { return errdefs.InvalidArgument(err) }
func notFound(err error) error   { return errdefs.NotFound(err) }
func conflict(err error) error   { return errdefs.Conflict(err) }

// statusOf maps an error's class to Docker's status; 500 for an error
// without a class (an engine fault).
func statusOf(err error) int {
	switch {
	case errdefs.IsNotFound(err):
		return http.StatusNotFound
	case errdefs.IsConflict(err):
		return http.StatusConflict
	case errdefs.IsInvalidArgument(err):
		return http.StatusBadRequest
	case errdefs.IsUnavailable(err):
		return http.StatusServiceUnavailable
	case errdefs.IsForbidden(err):
		return http.StatusForbidden
	}
	return http.StatusInternalServerError
}

// userError marks an error of a use case whose failures are the request's
// fault unless the engine classed them (create, network create): 400.
func userError(err error) error {
	if statusOf(err) != http.StatusInternalServerError {
		return err
	}
	return badRequest(err)
}
