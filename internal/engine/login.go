package engine

import (
	"context"

	"github.com/google/go-containerregistry/pkg/authn"

	"github.com/geedocker/geedocker/internal/auth"
)

// Login checks the credentials against the registry and saves them in the
// Docker config file.
func (e *Engine) Login(ctx context.Context, server, user, password string) error {
	host := server
	if auth.ServerKey(server) == auth.DockerHub {
		host = "index.docker.io"
	}
	err := e.registry(HostPlatform()).CheckLogin(ctx, host, &authn.Basic{Username: user, Password: password})
	if err != nil {
		return err
	}
	return auth.Save(server, user, password)
}
